"""Found by the fuzzer: wrong (-), shrunk (then by hand).

d/dx at (1.668503, 0.110781, 0.526539): s2sdiff -0.1436317222295731, finite
differences -0.1335220876863552.  The reverse of the inner ``while`` recomputed
``s - x_bar`` instead of taping it, but ``s`` is carried by the outer loop: at
that point of the reverse sweep it held its last value, not this iteration's.

Reproduce the unshrunk program: python -m fuzz --one 1810
"""

# fuzz seed: 1810
import math


def f(x, y, z):
    s = x * x
    x_bar = x
    for i in range(0, 8, 2):
        j = 0
        while j < 4:
            j += 1
            b = 0.5 * math.atan(math.atan2(s - x_bar, 1.5 + math.cos(x_bar)))
            b, z = (z, b)
        s = 0.5 * s + 0.5 * math.tanh(math.tanh(y) ** 3)
        j = 0
        while j < 4:
            for k in range(3):
                x, y = (y, x)
            if math.asinh(y) >= -0.27:
                return 1.57 - (1.0 + z * z) ** 0.5
            for k in range(0, 8, 2):
                if math.acosh(1.5 + 0.23 * 0.23) > x_bar:
                    x = 0.5 * math.atan(abs(y + s))
    for i in range(0, 4, 2):
        if i * 0.29 >= s and 0.39 < -1.71:
            x_bar = math.sin(s)
    return y - (1.79 + (z - z)) + x_bar


POINTS = [(1.668503, 0.110781, 0.526539)]


def test_fuzz_1810():
    from fuzz.check import assert_matches_finite_differences

    assert_matches_finite_differences(f, POINTS)
