"""Proving generated derivatives right with SymPy: `s2sdiff.check`.

The first report proves a gradient and a JVP symbolically; the second shows
a wrong custom rule being caught, with both expressions.
"""

import math

import s2sdiff
from s2sdiff.verify import lift


def trajectory(v, angle):
    """Range of a projectile with a crude drag factor."""
    vx = v * math.cos(angle)
    vy = v * math.sin(angle)
    t = 2.0 * vy / 9.81
    return vx * t / (1.0 + 0.01 * v * v)


def cube(x):
    return x * x * x


def uses_cube(x):
    return cube(math.sin(x)) + x


print(s2sdiff.check(trajectory, wrt=("v", "angle"), modes=("reverse", "forward")))
print()

# A deliberately wrong rule: the derivative of x**3 given as 2x.
@s2sdiff.partials(cube)
def _(x):
    return (2.0 * x,)


lift.register_sympy(cube, lambda x: x ** 3)
report = s2sdiff.check(uses_cube)
print(report)
assert not report.ok
