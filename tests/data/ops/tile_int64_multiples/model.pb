
3
ConstConst*
dtype0	*
valueB	R
.
xPlaceholder*
dtype0*
shape:
1
TileTilexConst*

Tmultiples0	*
T0
#
IdentityIdentityTile*
T0"ª