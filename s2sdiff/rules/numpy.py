"""NumPy rules: elementwise functions as edge partials, the rest as VJP/JVP templates."""

import numpy as np

from .registry import constant, helper, jvp, partials, vjp  # noqa: F401


@helper
def _unbroadcast(g, x):
    """Sum ``g`` over the axes along which ``x`` was broadcast to ``g``'s shape."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    return np.sum(g, axis=axes, keepdims=True) if axes else g


@partials(np.sin)
def _(x):
    return (np.cos(x),)


@vjp(np.sum)
def _(g, x, axis=None, keepdims=False, *, out):
    return (np.broadcast_to(g if keepdims or axis is None else np.expand_dims(g, axis), np.shape(x)),)


@jvp(np.sum)
def _(x, axis=None, keepdims=False, *, out):
    return (np.sum(x_dot, axis=axis, keepdims=keepdims),)  # noqa: F821
