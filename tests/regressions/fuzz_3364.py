"""Found by the fuzzer: wrong (d/dx 0.00062, finite differences 0.01774), not shrunk.

The copies pass dropped the copy `x_2_bar = c_1_bar` and read x_2_bar as c_1_bar
after `_t3, c_1_bar = bwd_h1_p_q(...)` had written c_1_bar again: the results of a
call (an Unpack) were not seen as a write.

Reproduce: python -m fuzz --one 3364
"""

# fuzz seed: 3364
# ruff: noqa  (a generated program, kept as the fuzzer wrote it)
import math


def h1(p, q, r):
    d = q
    for i in range(1, 0, -1):
        for j in range(2):
            d, r = r, d
            a = (((d if -1.36 >= q else r) + (p / (1.5 + -0.08 * -0.08))) * max(math.acosh(1.5 + (i * 0.36) * (i * 0.36)), r))
            s = math.tanh(max(a, math.atan2((j * 0.15), 1.5 + math.cos(d))))
            c = math.erf(math.atan2(a, 1.5 + math.cos(a)))
    if (d + d) <= (p * p):
        return (math.log2(1.5 + math.sin(d)) - q)
    return (1.22 - math.tanh(math.cosh(math.tanh(d)))) + r


def f(x):
    c = min((x - math.hypot(0.86, 0.5)), x)
    for i in range(2, 0, -1):
        x -= 0.3 * 0.5 * math.atan(h1(x, c, (i * 0.4)))
        c, x = x, c
        x, v = math.erf(-0.35), h1((-x), (x + c), c)
    return ((c * (x * c)) + c) + c



POINTS = [(1.178658,), (0.4137,), (-0.8271,)]


def test_fuzz_3364():
    from fuzz.check import assert_matches_finite_differences

    assert_matches_finite_differences(f, POINTS)
