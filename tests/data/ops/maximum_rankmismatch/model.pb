
.
xPlaceholder*
dtype0*
shape:
6
yPlaceholder*
dtype0*
shape:
!
MaximumMaximumxy*
T0
&
IdentityIdentityMaximum*
T0"ª