"""Found by the fuzzer: wrong (-), shrunk.

d/dx at (-0.726654,): s2sdiff -2.3693571522386656, finite differences
-1.7848484152871433 (h=1e-05), -1.7848484152871436 (h=1e-06)

Reproduce the unshrunk program: python -m fuzz --one 1243
"""

# fuzz seed: 1243
def f(x):
    u = x * x
    b = u
    if 0.77 > x:
        return b + 0.74
    return u - x + b


POINTS = [(0.379872,), (-0.726654,), (1.761054,)]


def test_fuzz_1243():
    from fuzz.check import assert_matches_finite_differences

    assert_matches_finite_differences(f, POINTS)
