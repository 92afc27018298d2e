
9
paddingsPlaceholder*
dtype0*
shape
:
2
xPlaceholder*
dtype0*
shape
:
1
PadPadxpaddings*
	Tpaddings0*
T0
"
IdentityIdentityPad*
T0"ª