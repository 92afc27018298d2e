
2
xPlaceholder*
dtype0*
shape
:
.
yPlaceholder*
dtype0*
shape:
)
	IdentityN	IdentityNxy*
T
2
(
IdentityIdentity	IdentityN*
T0
,

Identity_1IdentityIdentityN:1*
T0"ª