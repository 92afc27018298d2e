
6
xPlaceholder*
dtype0*
shape:
<
UnpackUnpackx*
T0*
axisÿÿÿÿÿÿÿÿÿ*	
num
%
IdentityIdentityUnpack*
T0
)

Identity_1IdentityUnpack:1*
T0
)

Identity_2IdentityUnpack:2*
T0
)

Identity_3IdentityUnpack:3*
T0"ª