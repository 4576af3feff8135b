"""Reading array items: ``x[i]``, ``x[1:3]``, ``x[:, 0]``, ``x[mask]``, ``x[idx]``."""

import operator

import numpy as np

from .registry import helper, jvp, vjp


@helper
def _scatter_add(g, x, index):
    """The adjoint of ``x[index]``: ``g`` added into zeros shaped like ``x``."""
    full = np.zeros(np.shape(x), dtype=np.result_type(g, float))
    np.add.at(full, index, g)
    return full


@vjp(operator.getitem)
def _(g, x, index):
    return (_scatter_add(g, x, index), None)


@jvp(operator.getitem)
def _(x, index):
    return (x_dot[index], None)  # noqa: F821
