"""Joining arrays: ``np.concatenate`` and ``np.stack`` of a list of arrays.

The list is one the function builds (a tuple display passed to them becomes
a list), so in reverse mode its adjoint is a list of the same length, the
pieces of the result's adjoint, and in forward mode its tangent is the list
of the items' tangents (``0.0`` for an item without one).
"""

import numpy as np

from .registry import helper, jvp, vjp


@helper
def _add_items(xs, ys):
    """The adjoint list ``xs`` with ``ys`` added item by item."""
    return [x + y for x, y in zip(xs, ys)]


@helper
def _tangents(arrays, arrays_dot):
    """The tangent of each of ``arrays``, as an array of its shape (zeros for ``0.0``)."""
    return [np.broadcast_to(d, np.shape(a)) for a, d in zip(arrays, arrays_dot)]


@helper
def _concatenate_vjp(g, arrays, axis):
    """The adjoints of the arrays joined by ``np.concatenate(arrays, axis)``: pieces of ``g``."""
    if axis is None:
        ends = np.cumsum([np.size(a) for a in arrays])[:-1]
        return [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, ends), arrays)]
    ends = np.cumsum([np.shape(a)[axis] for a in arrays])[:-1]
    return np.split(g, ends, axis=axis)


@vjp(np.concatenate)
def _(g, arrays, axis=0, *, out):
    return (_concatenate_vjp(g, arrays, axis),)


@jvp(np.concatenate)
def _(arrays, axis=0, *, out):
    return (np.concatenate(_tangents(arrays, arrays_dot), axis),)  # noqa: F821


@helper
def _unstack(g, axis):
    """The adjoints of the arrays stacked by ``np.stack(arrays, axis)``: slices of ``g``."""
    return list(np.moveaxis(g, axis, 0))


@vjp(np.stack)
def _(g, arrays, axis=0, *, out):
    return (_unstack(g, axis),)


@jvp(np.stack)
def _(arrays, axis=0, *, out):
    return (np.stack(_tangents(arrays, arrays_dot), axis),)  # noqa: F821


# The reverse helpers are linear in ``g``: their tangents (Hessians of joining code).
@jvp(_concatenate_vjp)
def _(g, arrays, axis, *, out):
    return (_concatenate_vjp(g_dot, arrays, axis), None, None)  # noqa: F821


@jvp(_unstack)
def _(g, axis, *, out):
    return (_unstack(g_dot, axis), None)  # noqa: F821
