"""An index tuple held in a name (``idx = (i, 1)``, then ``x[idx]``) crashed the
code generator with an AttributeError (the tuple of IR values reached the
printer); it is built as the index ``x[i, 1]`` is."""

import numpy as np
import pytest

from s2sdiff import grad, jacobian


def rows_of_a_column(x):
    total = 0.0
    for i in range(2):
        idx = (i, 1)
        total = total + x[idx] * x[i, 0]
    return total


def constant_index(x):
    idx = (2, 0)
    return x[idx] ** 2


def _fd(f, x, h=1e-6):
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out[k] = (f(up) - f(down)) / (2 * h)
    return out


@pytest.mark.parametrize("f", [rows_of_a_column, constant_index])
def test_an_index_tuple_held_in_a_name(f):
    x = np.arange(1.0, 7.0).reshape(3, 2) / 5
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(x), _fd(f, x), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(jacobian(f)(x), _fd(f, x), rtol=1e-6, atol=1e-9)
