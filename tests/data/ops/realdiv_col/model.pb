
2
xPlaceholder*
dtype0*
shape
:
2
yPlaceholder*
dtype0*
shape
:
!
RealDivRealDivxy*
T0
&
IdentityIdentityRealDiv*
T0"ª