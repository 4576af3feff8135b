"""Found by the fuzzer: crashed in ``s2sdiff.check`` (TypeError inside SymPy: it
could not order the relationals of the derivative of ``floor(log1p(x*x))``
along a path), shrunk.  SymPy failing is now a note and a fallback to finite
differences, never a crash.

Reproduce the unshrunk program: python -m fuzz --one 970
"""

# fuzz seed: 970
import math


def f(x, y):
    i = 0
    while i < 4:
        i += 1
        x = math.sin(math.log1p(x * x) // 1.0)
    return -x


def test_fuzz_970():
    import s2sdiff

    report = s2sdiff.check(f, wrt=(0, 1), points=[(0.3, 0.7), (1.1, -0.4)],
                           modes=("reverse", "forward"))
    assert report.ok, str(report)
