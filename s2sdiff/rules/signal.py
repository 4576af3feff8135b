"""Convolution, correlation and polynomials: ``np.convolve``, ``np.correlate``,
``np.polyval``, ``np.polyder``.

A convolution is linear in each argument, so its tangent convolves the tangents
(``np.convolve(a_dot, v) + np.convolve(a, v_dot)``) and its adjoint correlates:
with ``g`` put back where the mode's slice of the full convolution lies, ``a``
gets ``np.correlate(g_full, v, "valid")`` and ``v`` gets ``np.correlate(g_full,
a, "valid")``.  For real arrays ``np.correlate(a, v, "full")`` is
``np.convolve(a, v[::-1], "full")``, which is how its rules are written (its
"same" slice is not always the convolution's).
``np.polyval(p, x)`` is linear in ``p``: ``p`` gets ``g`` times the powers of
``x`` summed over ``x``'s elements, and ``x`` gets ``g`` times the derivative
polynomial (``np.polyder``, linear in ``p`` too).  One-dimensional ``p`` only (NumPy's ``poly1d``
objects are not differentiated).
"""

import numpy as np

from .registry import helper, jvp, vjp


@helper
def _convolve_vjp(g, a, v, mode, which, correlating=False):
    """The adjoint of argument ``which`` (0: ``a``, 1: ``v``) of
    ``np.convolve(a, v, mode)`` from its adjoint ``g``; with ``correlating``, of
    ``np.correlate(a, v[::-1], mode)`` (its "same" slice lies one further for an
    ``a`` shorter than ``v`` and of even length)."""
    n, m = np.size(a), np.size(v)
    full = np.zeros(n + m - 1, dtype=np.result_type(g, a, v, np.float16))
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    if correlating and mode == "same" and n < m:
        start = n // 2
    full[start:start + np.size(g)] = g
    return np.correlate(full, v if which == 0 else a, "valid")


@helper
def _convolve_vjp_moved(g, a, v, mode, which, correlating, moved):
    """The tangent of ``_convolve_vjp(g, a, v, mode, which)`` as argument ``moved``
    (0: ``a``, 1: ``v``) moves along the value given in its place: the adjoint of
    one argument is linear in the other and reads only the size of its own."""
    if moved == which:
        return np.zeros(np.size(a if which == 0 else v))
    return _convolve_vjp(g, a, v, mode, which, correlating)


@jvp(_convolve_vjp)
def _(g, a, v, mode, which, correlating=False):
    return (_convolve_vjp(g_dot, a, v, mode, which, correlating),  # noqa: F821
            _convolve_vjp_moved(g, a_dot, v, mode, which, correlating, 0),  # noqa: F821
            _convolve_vjp_moved(g, a, v_dot, mode, which, correlating, 1),  # noqa: F821
            None, None)


@vjp(np.convolve)
def _(g, a, v, mode="full", *, out):
    return (_convolve_vjp(g, a, v, mode, 0), _convolve_vjp(g, a, v, mode, 1))


@jvp(np.convolve)
def _(a, v, mode="full", *, out):
    return (np.convolve(a_dot, v, mode), np.convolve(a, v_dot, mode))  # noqa: F821


@vjp(np.correlate)
def _(g, a, v, mode="valid", *, out):
    return (_convolve_vjp(g, a, np.flip(v), mode, 0, True),
            np.flip(_convolve_vjp(g, a, np.flip(v), mode, 1, True)))


@jvp(np.correlate)
def _(a, v, mode="valid", *, out):
    return (np.correlate(a_dot, v, mode), np.correlate(a, v_dot, mode))  # noqa: F821


@helper
def _polyval_vjp_p(g, p, x):
    """The adjoint of ``p`` in ``np.polyval(p, x)``: ``g`` times each power of ``x``,
    summed over the elements of ``x``."""
    powers = np.asarray(x)[..., None] ** np.arange(np.size(p) - 1, -1, -1)
    g = np.broadcast_to(g, np.shape(powers)[:-1])
    return np.tensordot(g, powers, axes=np.ndim(g))


@helper
def _polyval_vjp_p_along_x(g, p, x, x_dot):
    """The tangent of ``_polyval_vjp_p(g, p, x)`` as ``x`` moves along ``x_dot``."""
    k = np.arange(np.size(p) - 1, -1, -1)
    powers = k * np.asarray(x)[..., None] ** np.maximum(k - 1, 0)
    g = np.broadcast_to(g * x_dot, np.shape(powers)[:-1])
    return np.tensordot(g, powers, axes=np.ndim(g))


@jvp(_polyval_vjp_p)
def _(g, p, x):
    return (_polyval_vjp_p(g_dot, p, x), None,  # noqa: F821
            _polyval_vjp_p_along_x(g, p, x, x_dot))  # noqa: F821


@helper
def _polyder_vjp(g, p, m):
    """The adjoint of ``p`` in ``np.polyder(p, m)``: each derivative's transpose,
    ``g * [n-1, ..., 1]`` then a zero for the constant term, ``m`` times."""
    for _ in range(m):
        g = np.append(g * np.arange(np.size(g), 0, -1), 0.0)
    return g[np.size(g) - np.size(p):] if np.size(g) > np.size(p) else g


@vjp(np.polyder)
def _(g, p, m=1, *, out):
    return (_polyder_vjp(g, p, m),)


@jvp(np.polyder)
def _(p, m=1, *, out):
    return (np.polyder(p_dot, m),)  # noqa: F821


@jvp(_polyder_vjp)
def _(g, p, m):
    return (_polyder_vjp(g_dot, p, m), None, None)  # noqa: F821


@vjp(np.polyval)
def _(g, p, x, *, out):
    return (_polyval_vjp_p(g, p, x), g * np.polyval(np.polyder(p), x))


@jvp(np.polyval)
def _(p, x, *, out):
    return (np.polyval(p_dot, x), x_dot * np.polyval(np.polyder(p), x))  # noqa: F821
