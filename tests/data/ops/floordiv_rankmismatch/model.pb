
.
xPlaceholder*
dtype0*
shape:
6
yPlaceholder*
dtype0*
shape:
#
FloorDivFloorDivxy*
T0
'
IdentityIdentityFloorDiv*
T0"ª