
3
ConstConst*
dtype0*
valueB:
6
Const_1Const*
dtype0*
valueB
:
xPlaceholder*
dtype0*
shape:
a
SpaceToBatchNDSpaceToBatchNDxConstConst_1*
Tblock_shape0*
	Tpaddings0*
T0
-
IdentityIdentitySpaceToBatchND*
T0"ª