
6
xPlaceholder*
dtype0*
shape:
2
yPlaceholder*
dtype0*
shape
:

MulMulxy*
T0
"
IdentityIdentityMul*
T0"ª