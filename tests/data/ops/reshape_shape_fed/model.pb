
2
shapePlaceholder*
dtype0*
shape:
?
xPlaceholder*
dtype0* 
shape:ÿÿÿÿÿÿÿÿÿ
3
ReshapeReshapexshape*
Tshape0*
T0
&
IdentityIdentityReshape*
T0"ª