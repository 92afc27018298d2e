
.
xPlaceholder*
dtype0*
shape:
6
yPlaceholder*
dtype0*
shape:

PowPowxy*
T0
"
IdentityIdentityPow*
T0"ª