
2
aPlaceholder*
dtype0*
shape
:
2
bPlaceholder*
dtype0*
shape
:
9
PackPackab*
N*
T0*
axisÿÿÿÿÿÿÿÿÿ
#
IdentityIdentityPack*
T0"ª