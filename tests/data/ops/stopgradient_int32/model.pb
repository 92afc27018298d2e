
2
xPlaceholder*
dtype0*
shape
:
(
StopGradientStopGradientx*
T0
+
IdentityIdentityStopGradient*
T0"ª