"""Found by the fuzzer: wrong (-), shrunk.

d/dx at (-0.411167, -0.802786): s2sdiff 0.0, finite differences
-0.00034698151539502836 (h=1e-05), -0.00034698152164003293 (h=1e-06)

Reproduce the unshrunk program: python -m fuzz --one 592
"""

# fuzz seed: 592
import math


def f(x, y):
    i = 0
    while True:
        i += 1
        j = 0
        while j < 1:
            j += 1
            x = math.sin(y)
            a = x
            a, y = (y, a)
        if 3 / 2.0 > y or x > -0.55:
            while j < 3:
                if math.e > x and y < math.e:
                    return i * 0.36 * math.tan(0.7 * math.tanh(y)) * (x / (2.0 + math.cos(x)))


POINTS = [(-0.411167, -0.802786), (-0.197476, -1.080441), (-1.096229, -1.629895)]


def test_fuzz_592():
    from fuzz.check import assert_matches_finite_differences

    assert_matches_finite_differences(f, POINTS)
