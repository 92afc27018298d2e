
<
ConstConst*
dtype0*
valueB:
ÿÿÿÿÿÿÿÿÿ
6
xPlaceholder*
dtype0*
shape:
:
MaxMaxxConst*

Tidx0*
T0*
	keep_dims(
"
IdentityIdentityMax*
T0"ª