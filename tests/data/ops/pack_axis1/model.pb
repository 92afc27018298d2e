
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
2
cPlaceholder*
dtype0*
shape
:
3
PackPackabc*
N*
T0*

axis
#
IdentityIdentityPack*
T0"ª