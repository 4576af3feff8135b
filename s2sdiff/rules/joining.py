"""Joining arrays: ``np.concatenate`` and ``np.stack`` of a list of arrays.

The list is one the function builds (a tuple display passed to them becomes
a list), so in reverse mode its adjoint is a list of the same length, the
pieces of the result's adjoint, and in forward mode its tangent is the list
of the items' tangents (``0.0`` for an item without one).
"""

import numpy as np

from .registry import constant, helper, jvp, vjp


@helper
def _add_items(xs, ys):
    """The adjoint list ``xs`` with ``ys`` added item by item."""
    return [x + y for x, y in zip(xs, ys)]


@helper
def _zeros_of(xs):
    """The zero adjoint of the list ``xs``: zeros shaped like each item (0.0 for a number)."""
    return [_zero_like(x) for x in xs]


@helper
def _zero_like(x):
    """The zero adjoint of one list item ``x``: zeros shaped like it (0.0 for a number)."""
    if not np.ndim(x):
        return 0.0
    zeros = np.zeros_like(x)
    return zeros if zeros.dtype.kind in "fc" else zeros.astype(float)


constant(_zeros_of, _zero_like)  # zeros, whatever the list or item: no derivative


constant(_zeros_of)  # zeros whatever xs holds: no derivative


@helper
def _tangents(arrays, arrays_dot):
    """The tangent of each of ``arrays``, as an array of its shape (zeros for ``0.0``)."""
    return [np.broadcast_to(d, np.shape(a)) for a, d in zip(arrays, arrays_dot)]


@helper
def _list_tangent(a, a_dot):
    """The tangent ``a_dot`` of the (nested) list ``a`` as one array of ``np.array(a)``'s
    shape, for the rules of functions taking an array (not these joining ones)."""
    if type(a_dot) is list:
        return np.array([_list_tangent(x, d) for x, d in zip(a, a_dot)], dtype=float)
    return np.broadcast_to(a_dot, np.shape(a))


@helper
def _concatenate_vjp(g, arrays, axis):
    """The adjoints of the arrays joined by ``np.concatenate(arrays, axis)``: pieces of ``g``."""
    if axis is None:
        ends = np.cumsum([np.size(a) for a in arrays])[:-1]
        bars = [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, ends), arrays)]
    else:
        ends = np.cumsum([np.shape(a)[axis] for a in arrays])[:-1]
        bars = np.split(g, ends, axis=axis)
    return bars if type(arrays) is list else np.reshape(bars, np.shape(arrays))  # (rows joined)


@vjp(np.concatenate)
def _(g, arrays, axis=0, *, out):
    return (_concatenate_vjp(g, arrays, axis),)


@jvp(np.concatenate)
def _(arrays, axis=0, *, out):
    return (np.concatenate(_tangents(arrays, arrays_dot), axis),)  # noqa: F821


@helper
def _unstack(g, arrays, axis):
    """The adjoints of the arrays stacked by ``np.stack(arrays, axis)``: slices of ``g``
    (a list for a list; for an array, whose rows were stacked, an array)."""
    moved = np.moveaxis(g, axis, 0)
    return list(moved) if type(arrays) is list else moved


@vjp(np.stack)
def _(g, arrays, axis=0, *, out):
    return (_unstack(g, arrays, axis),)


@jvp(np.stack)
def _(arrays, axis=0, *, out):
    return (np.stack(_tangents(arrays, arrays_dot), axis),)  # noqa: F821


# The reverse helpers are linear in ``g``: their tangents (Hessians of joining code).
@jvp(_concatenate_vjp)
def _(g, arrays, axis, *, out):
    return (_concatenate_vjp(g_dot, arrays, axis), None, None)  # noqa: F821


@jvp(_unstack)
def _(g, arrays, axis, *, out):
    return (_unstack(g_dot, arrays, axis), None, None)  # noqa: F821


# ``np.r_[a, b]`` is ``np.concatenate([_r_piece(a), _r_piece(b)])`` and ``np.c_[a, b]``
# is ``np.concatenate([_c_piece(a), _c_piece(b)], axis=-1)`` (the SSA writes them so).


@helper
def _r_piece(a):
    """``a`` as ``np.r_`` joins it: a number becomes a 1-element array."""
    return np.reshape(a, np.shape(a) or (1,))


@helper
def _c_piece(a):
    """``a`` as ``np.c_`` joins it: a 1-D array becomes a column, a number a 1×1 array."""
    shape = np.shape(a)
    return np.reshape(a, shape + (1,) * (2 - len(shape)) if len(shape) < 2 else shape)


@helper
def _piece_vjp(g, a):
    """The adjoint of ``a`` from that of its piece: ``g`` in ``a``'s shape (a number for one)."""
    return np.reshape(g, np.shape(a))[()]


@vjp(_r_piece, _c_piece)
def _(g, a, *, out):
    return (_piece_vjp(g, a),)


@jvp(_r_piece)
def _(a, *, out):
    return (_r_piece(a_dot),)  # noqa: F821


@jvp(_c_piece)
def _(a, *, out):
    return (_c_piece(a_dot),)  # noqa: F821


@jvp(_piece_vjp)
def _(g, a=None, *, out):
    return (_piece_vjp(g_dot, a),)  # noqa: F821


JOINING = (np.concatenate, np.stack)  # their tangent rules read lists of tangents
