"""Reading array items: ``x[i]``, ``x[1:3]``, ``x[:, 0]``, ``x[mask]``, ``x[idx]``, and
``np.take(x, idx, axis)`` (its ``mode`` "wrap" or "clip" too)."""

import operator

import numpy as np

from .numpy import _unbroadcast
from .registry import helper, jvp, vjp


@helper
def _scatter_add(g, x, index):
    """The adjoint of ``x[index]``: ``g`` added into zeros shaped like ``x``."""
    full = np.zeros(np.shape(x), dtype=np.result_type(g, x, np.float16))
    np.add.at(full, index, g)
    return full


@helper
def _add_rows(g, index, x):
    """The adjoint of ``x[index]``, ``index`` a 1-D array of integers picking rows
    of a float64 ``x`` of 1 or 2 dimensions: the rows of ``g`` summed per row of
    ``x`` by ``np.bincount``, a column at a time (several times quicker than
    ``np.add.at`` on rows many, columns few; ``np.add.at`` otherwise)."""
    n = len(x)
    shape = np.shape(index) + np.shape(x)[1:]
    if np.shape(g) != shape:
        g = np.broadcast_to(g, shape)
    if np.ndim(x) == 2 and 16 * np.shape(x)[1] > len(index):
        full = np.zeros(np.shape(x))
        np.add.at(full, index, g)
        return full
    index = index % n if len(index) and index.min() < 0 else index
    if np.ndim(x) == 1:
        return np.bincount(index, g, n)
    full = np.empty(np.shape(x))
    for j in range(np.shape(x)[1]):
        full[:, j] = np.bincount(index, g[:, j], n)
    return full


@helper
def _padded(g, x, index):
    """The adjoint of ``x[index]`` for a basic index (integers, slices of step 1): ``g``
    padded with zeros to ``x``'s shape, with no item write (lazy arrays: Dask)."""
    shape = np.shape(x)
    items = index if isinstance(index, tuple) else (index,)
    widths = []
    for axis, item in enumerate(items):
        n = shape[axis]
        if isinstance(item, slice):
            start, stop, _ = item.indices(n)
            widths.append((start, n - max(start, stop)))
        else:
            g = np.expand_dims(g, axis)
            widths.append((item % n, n - item % n - 1))
    return np.pad(g, widths + [(0, 0)] * (len(shape) - len(items)))


@helper
def _setitem(x, index, value):
    """``x`` with ``x[index] = value``, as a new array (the write ``x[i] = v``)."""
    out = np.array(x, dtype=np.result_type(x, value, np.float16), copy=True)
    out[index] = value
    return out


@helper
def _item_of(g, index, value):
    """The part of ``g`` that ``value`` was written to, summed to ``value``'s shape."""
    part = g[index]
    shape = np.shape(value)
    if np.shape(part) == shape:
        return part
    part = np.sum(part, axis=tuple(range(np.ndim(part) - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(part)[i] != 1)
    return np.sum(part, axis=axes, keepdims=True) if axes else part


# Written entries of x do not reach the result; the written value does.
@vjp(_setitem)
def _(g, x, index, value, *, out):
    return (_setitem(g, index, 0.0), None, _item_of(g, index, value))


@jvp(_setitem)
def _(x, index, value, *, out):
    return (_setitem(x_dot, index, 0.0), None,  # noqa: F821
            _setitem(np.zeros_like(out), index, value_dot))  # noqa: F821


@vjp(operator.getitem)
def _(g, x, index):
    return (_scatter_add(g, x, index), None)


@jvp(operator.getitem)
def _(x, index):
    return (x_dot[index], None)  # noqa: F821


@helper
def _take_vjp(g, a, indices, axis, mode):
    """The adjoint of ``a`` in ``np.take(a, indices, axis, mode=mode)``: ``g`` added
    at the positions taken (repeats add up)."""
    full = np.zeros(np.shape(a), dtype=np.result_type(g, a, np.float16))
    along = full.reshape(-1) if axis is None else np.moveaxis(full, axis, 0)
    n = np.shape(along)[0]
    indices = np.asarray(indices)
    if mode == "wrap":
        indices = indices % n
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    start = 0 if axis is None else axis % np.ndim(a)
    g = np.moveaxis(np.asarray(g), list(range(start, start + indices.ndim)),
                    list(range(indices.ndim)))
    np.add.at(along, indices, g)
    return full


# (``out=``, NumPy's array to write into, is not a parameter here: a call passing it
# binds no rule.)
@vjp(np.take)
def _(g, a, indices, axis=None, mode="raise", *, out):
    return (_take_vjp(g, a, indices, axis, mode), None)


@jvp(np.take)
def _(a, indices, axis=None, mode="raise", *, out):
    return (np.take(a_dot, indices, axis, mode=mode), None)  # noqa: F821


# The helpers, differentiated (for the tangent of reverse code): linear in ``g``.
@jvp(_scatter_add)
def _(v, x=None, index=None, *, out):
    return (_scatter_add(v_dot, x, index),)  # noqa: F821


@vjp(_scatter_add)  # (reverse mode over reverse code: the transpose, a gather)
def _(g, v, x=None, index=None, *, out):
    return (_unbroadcast(g[index], v),)


@jvp(_add_rows)
def _(g, index=None, x=None, *, out):
    return (_add_rows(g_dot, index, x),)  # noqa: F821


@jvp(_take_vjp)
def _(g, a=None, indices=None, axis=None, mode=None, *, out):
    return (_take_vjp(g_dot, a, indices, axis, mode),)  # noqa: F821


@jvp(_item_of)
def _(v, index=None, value=None, *, out):
    return (_item_of(v_dot, index, value),)  # noqa: F821


@vjp(_item_of)  # (reverse mode over reverse code: the transpose, a scatter)
def _(g, v, index=None, value=None, *, out):
    return (_scatter_add(g, v, index),)
