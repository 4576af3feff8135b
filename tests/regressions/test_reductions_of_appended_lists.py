"""``np.sum`` (``np.mean``, ``np.max``) of a list built by ``append`` crashed with an
IndexError in the pipeline: the abstract value of the reduction of a list was the
list's (an empty tuple), not a number or an array."""

import numpy as np
import pytest

import s2sdiff
from tests.fd import fd_array_gradient


def summed(x):
    squares = []
    for v in x:
        squares.append(v * v)
    return np.sum(squares)


def averaged_rows(x):
    rows = []
    for k in range(3):
        rows.append(np.sin(x * (k + 1.0)))
    return np.max(np.mean(rows, axis=0))


@pytest.mark.parametrize("f", [summed, averaged_rows])
def test_reductions_of_appended_lists_are_differentiated(f):
    x = np.array([0.5, -1.0, 2.0])
    for mode in ("reverse", "forward"):
        got = s2sdiff.grad(f, mode=mode)(x)
        np.testing.assert_allclose(got, fd_array_gradient(f, x), rtol=1e-6, atol=1e-8)
