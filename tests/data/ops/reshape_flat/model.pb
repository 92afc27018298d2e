
<
ConstConst*
dtype0*
valueB:
ÿÿÿÿÿÿÿÿÿ
6
xPlaceholder*
dtype0*
shape:
3
ReshapeReshapexConst*
Tshape0*
T0
&
IdentityIdentityReshape*
T0"ª