"""Found by the fuzzer: wrong (-), shrunk.

partial 1 at (0.7, -1.3) is array(0.), not a float

Reproduce the unshrunk program: python -m fuzz --one 130002 --kind arbitrary

``y.conjugate()`` makes this array code, where the zero adjoint of a
parameter nothing differentiable reads was ``np.zeros_like(y)``: a 0-d array
for a float ``y``.  It is ``_spread(0.0, y)`` now: 0.0 for a number.
"""

# fuzz seed: 130002
def f(x, y):
    t, [y, s] = (1, [2, 3])  # noqa: F841 - the program as the fuzzer wrote it
    return (s is y.conjugate()) + x


POINTS = [(0.7, -1.3)]


def test_fuzz_arb_130002():
    from fuzz.arbitrary import assert_grad_robust

    assert_grad_robust(f, (0.7, -1.3))
