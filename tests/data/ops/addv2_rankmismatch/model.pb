
.
xPlaceholder*
dtype0*
shape:
6
yPlaceholder*
dtype0*
shape:

AddV2AddV2xy*
T0
$
IdentityIdentityAddV2*
T0"ª