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
