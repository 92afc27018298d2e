
3
ConstConst*
dtype0*
valueB:
2
xPlaceholder*
dtype0*
shape
:
:
MaxMaxxConst*

Tidx0*
T0*
	keep_dims(
"
IdentityIdentityMax*
T0"ª