"""An index tuple held in a name (``idx = (i, 1)``, then ``x[idx]``) crashed the
code generator with an AttributeError (the tuple of IR values reached the
printer); it is built as the index ``x[i, 1]`` is."""

import numpy as np
import pytest

from s2sdiff import grad, jacobian
from tests.fd import fd_array_gradient


def rows_of_a_column(x):
    total = 0.0
    for i in range(2):
        idx = (i, 1)
        total = total + x[idx] * x[i, 0]
    return total


def constant_index(x):
    idx = (2, 0)
    return x[idx] ** 2


@pytest.mark.parametrize("f", [rows_of_a_column, constant_index])
def test_an_index_tuple_held_in_a_name(f):
    x = np.arange(1.0, 7.0).reshape(3, 2) / 5
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(f, mode=mode)(x), fd_array_gradient(f, x), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(jacobian(f)(x), fd_array_gradient(f, x), rtol=1e-6, atol=1e-9)
