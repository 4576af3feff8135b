"""Helpers of the Jacobian and Hessian wrappers on arrays.

A wrapper calls a jvp once per element of an input (a column of the
Jacobian) or a vjp once per element of an output (a row); these helpers make
the unit seeds and assemble the results into JAX's layout: the block of an
output ``y`` and an input ``x`` has the shape ``y.shape + x.shape``.  They
are copied into the generated modules that call them.
"""

import numpy as np

from .registry import helper


@helper
def _unit_vectors(x):
    """One array of ``x``'s shape per element of ``x`` (in C order), 1 there and 0
    elsewhere, in ``x``'s floating dtype."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind in "fc" else np.float64
    return np.eye(x.size, dtype=dtype).reshape((x.size,) + x.shape)


@helper
def _from_rows(rows, value, x):
    """The block ∂value/∂x from one row (a vjp result shaped like ``x``) per element
    of ``value``; a row may be the number 0.0 (``x`` does not reach ``value``)."""
    shape = np.shape(x)
    rows = [np.broadcast_to(row, shape) for row in rows]
    return np.reshape(rows, np.shape(value) + shape)


@helper
def _from_columns(columns, value, x):
    """The block ∂value/∂x from one column (a jvp result shaped like ``value``) per
    element of ``x``; a column may be the number 0.0 (``value`` does not depend on ``x``)."""
    shape = np.shape(value)
    columns = [np.broadcast_to(column, shape) for column in columns]
    stacked = np.reshape(columns, (len(columns),) + shape)
    return np.moveaxis(stacked, 0, -1).reshape(shape + np.shape(x))


@helper
def _gradient_from_columns(columns, value, x):
    """``_from_columns`` for a gradient: in ``x``'s floating dtype, as JAX's
    (a float32 input's gradient is float32 where the computation promotes)."""
    block = _from_columns(columns, value, x)
    if not isinstance(x, (np.ndarray, np.generic)):
        return block
    return np.asarray(block, dtype=np.result_type(x.dtype, np.float16))


@helper
def _batched_seeds(*xs):
    """The seeds of all the elements of ``xs`` at once: the rows of an identity
    matrix of their total size, cut into one array per ``x`` of shape
    ``(total,) + x.shape`` (a leading axis of seeds), in ``x``'s floating dtype."""
    xs = [np.asarray(x) for x in xs]
    eye = np.eye(sum(x.size for x in xs))
    seeds, start = [], 0
    for x in xs:
        dtype = x.dtype if x.dtype.kind in "fc" else np.float64
        seeds.append(eye[:, start:start + x.size].astype(dtype).reshape((len(eye),) + x.shape))
        start += x.size
    return tuple(seeds)


@helper
def _from_batch(columns, x, start=0):
    """The block ∂value/∂x from the batched tangent ``columns`` (shape ``(seeds,) +
    value.shape``), the seeds of ``x``'s elements from ``start`` on."""
    block = np.moveaxis(columns[start:start + np.size(x)], 0, -1)
    return block.reshape(block.shape[:-1] + np.shape(x))


@helper
def _unbroadcast_seeds(g, x):
    """``_unbroadcast`` of each of the seeds' ``g[k]``: summed over the axes along
    which ``x`` was broadcast to it (the leading axis of seeds kept)."""
    shape = np.shape(x)
    lead = np.ndim(g) - 1 - len(shape)
    axes = tuple(range(1, 1 + lead)) + tuple(
        1 + lead + i for i, n in enumerate(shape) if n == 1 and g.shape[1 + lead + i] != 1)
    if not axes:
        return g
    return np.add.reduce(g, axis=axes, keepdims=True).reshape((len(g),) + shape)


@helper
def _full_tangent_seeds(t, *operands):
    """``_full_tangent`` of each of the seeds' ``t[k]``: spread to the result's shape."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in operands))
    t = t.reshape(t.shape[:1] + (1,) * (len(shape) + 1 - t.ndim) + t.shape[1:])
    return t if t.shape[1:] == shape else np.broadcast_to(t, t.shape[:1] + shape)


@helper
def _unreduce_seeds(g, x, axis, keepdims):
    """``_unreduce`` of each of the seeds' ``g[k]``: spread back to ``x``'s shape."""
    shape = np.shape(x)
    if axis is None:
        g = np.reshape(g, g.shape[:1] + (1,) * len(shape))
    elif not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = np.expand_dims(g, tuple(1 + a % len(shape) for a in axes))
    return np.broadcast_to(g, g.shape[:1] + shape)


@helper
def _from_batched_rows(rows, value, x, start=0):
    """The block ∂value/∂x from the batched gradient ``rows`` (shape ``(seeds,) +
    x.shape``), the seeds of ``value``'s elements from ``start`` on."""
    return rows[start:start + np.size(value)].reshape(np.shape(value) + np.shape(x))


@helper
def _gradient_from_batch(columns, x, start=0):
    """``_from_batch`` for a gradient: in ``x``'s floating dtype, as JAX's (a float32
    input's gradient is float32 where the computation promotes)."""
    block = _from_batch(columns, x, start)
    if not isinstance(x, (np.ndarray, np.generic)):
        return block
    return np.asarray(block, dtype=np.result_type(x.dtype, np.float16))
