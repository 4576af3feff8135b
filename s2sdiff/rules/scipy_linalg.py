"""SciPy's linear algebra, registered when ``scipy.linalg`` is imported:
``scipy.linalg.cholesky`` and ``scipy.linalg.solve_triangular``.

``cholesky(a, lower=False)`` gives the upper factor ``U`` (``a = Uᵀ U``) and
reads the upper triangle of ``a``; with ``lower=True`` the lower factor and
triangle, as ``np.linalg.cholesky``.  Its rules are NumPy's on the lower factor
``Uᵀ``, with the adjoint put in (the tangent read from) the triangle read.

``solve_triangular(a, b, trans, lower, unit_diagonal)`` solves ``a x = b``
(``trans`` 1 or "T": ``aᵀ x = b``) reading one triangle of ``a`` (without its
diagonal, taken as ones, with ``unit_diagonal``): ``b`` gets the solution of
the transposed system for ``g``, and ``a`` minus its outer product with ``x``,
in the triangle read; ``x`` moves by the solution of ``b_dot`` minus the
triangle of ``a_dot`` applied to ``x``.  ``trans=2`` ("C") is ``trans=1`` on
real arrays.  Hessians go through both (the JVPs of their adjoints).
"""

import numpy as np
from scipy import linalg

from .linalg import _cholesky_vjp, _cholesky_vjp_along, _phi, _sym_tangent
from .numpy import _transposed
from .registry import helper, jvp, vjp


@helper
def _lower_cholesky_vjp(g, out, lower):
    """The adjoint of ``a`` from that ``g`` of ``scipy.linalg.cholesky(a, lower)``."""
    if lower:
        return _cholesky_vjp(g, out)
    return _cholesky_vjp(_transposed(g), _transposed(out), "U")


@helper
def _lower_cholesky_jvp(a_dot, out, lower):
    """The tangent of ``scipy.linalg.cholesky(a, lower)`` along ``a_dot``."""
    low = out if lower else _transposed(out)
    sym = _sym_tangent(a_dot, "L" if lower else "U")
    low_dot = low @ _phi(np.linalg.solve(low, _transposed(np.linalg.solve(low, sym))))
    return low_dot if lower else _transposed(low_dot)


@helper
def _lower_cholesky_vjp_along(g, out, lower, out_dot):
    """The tangent of ``_lower_cholesky_vjp(g, out, lower)`` as ``out`` moves along
    ``out_dot``."""
    if lower:
        return _cholesky_vjp_along(g, out, out_dot)
    return _cholesky_vjp_along(_transposed(g), _transposed(out), _transposed(out_dot), "U")


@jvp(_lower_cholesky_vjp)
def _(g, out, lower):
    return (_lower_cholesky_vjp(g_dot, out, lower),  # noqa: F821
            _lower_cholesky_vjp_along(g, out, lower, out_dot), None)  # noqa: F821


@vjp(linalg.cholesky)
def _(g, a, lower=False, overwrite_a=False, check_finite=True, *, out):
    return (_lower_cholesky_vjp(g, out, lower),)


@jvp(linalg.cholesky)
def _(a, lower=False, overwrite_a=False, check_finite=True, *, out):
    return (_lower_cholesky_jvp(a_dot, out, lower),)  # noqa: F821


@helper
def _triangle(m, lower, unit_diagonal):
    """The part of ``m`` that ``solve_triangular`` reads of its matrix."""
    k = -1 if unit_diagonal else 0
    return np.tril(m, k) if lower else np.triu(m, -k)


@helper
def _is_transposed(trans):
    """Whether ``solve_triangular``'s ``trans`` solves with the transpose (real arrays)."""
    return trans in (1, 2, "T", "C")


@helper
def _solve_triangular_vjp(g, a, out, trans, lower, unit_diagonal, which):
    """The adjoint of ``a`` (``which`` 0) or ``b`` (1) of ``x = solve_triangular(a, b)``."""
    transposed = _is_transposed(trans)
    b_bar = linalg.solve_triangular(a, g, trans=0 if transposed else 1, lower=lower,
                                    unit_diagonal=unit_diagonal)
    if which == 1:
        return b_bar
    left, right = (out, b_bar) if transposed else (b_bar, out)
    outer = np.multiply.outer(left, right) if np.ndim(out) == 1 else left @ _transposed(right)
    return -_triangle(outer, lower, unit_diagonal)


@helper
def _solve_triangular_vjp_along(g, a, out, trans, lower, unit_diagonal, which, a_dot, out_dot):
    """The tangent of ``_solve_triangular_vjp(g, a, out, ...)`` as ``a`` moves along
    ``a_dot`` or ``out`` along ``out_dot`` (the other None)."""
    transposed = _is_transposed(trans)
    back = 0 if transposed else 1  # the system the adjoint solves
    b_bar = linalg.solve_triangular(a, g, trans=back, lower=lower, unit_diagonal=unit_diagonal)
    if a_dot is not None:
        part = _triangle(a_dot, lower, unit_diagonal)
        moved = (part if transposed else _transposed(part)) @ b_bar
        b_bar_dot = -linalg.solve_triangular(a, moved, trans=back, lower=lower,
                                             unit_diagonal=unit_diagonal)
        if which == 1:
            return b_bar_dot
        pair = (out, b_bar_dot) if transposed else (b_bar_dot, out)
    else:
        if which == 1:
            return np.zeros(np.shape(out))
        pair = (out_dot, b_bar) if transposed else (b_bar, out_dot)
    left, right = pair
    outer = np.multiply.outer(left, right) if np.ndim(out) == 1 else left @ _transposed(right)
    return -_triangle(outer, lower, unit_diagonal)


@jvp(_solve_triangular_vjp)
def _(g, a, out, trans, lower, unit_diagonal, which):
    return (_solve_triangular_vjp(g_dot, a, out, trans, lower, unit_diagonal, which),  # noqa: F821
            _solve_triangular_vjp_along(g, a, out, trans, lower, unit_diagonal, which,
                                        a_dot, None),  # noqa: F821
            _solve_triangular_vjp_along(g, a, out, trans, lower, unit_diagonal, which,
                                        None, out_dot),  # noqa: F821
            None, None, None, None)


@helper
def _solve_triangular_jvp(a, a_dot, b_dot, out, trans, lower, unit_diagonal):
    """The tangent of ``x = solve_triangular(a, b)`` as ``a``, ``b`` move along
    ``a_dot``, ``b_dot`` (either None: still)."""
    moved = 0.0 if b_dot is None else b_dot
    if a_dot is not None:
        part = _triangle(a_dot, lower, unit_diagonal)
        moved = moved - (_transposed(part) if _is_transposed(trans) else part) @ out
    return linalg.solve_triangular(a, moved, trans=trans, lower=lower,
                                   unit_diagonal=unit_diagonal)


@vjp(linalg.solve_triangular)
def _(g, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True,
      *, out):
    return (_solve_triangular_vjp(g, a, out, trans, lower, unit_diagonal, 0),
            _solve_triangular_vjp(g, a, out, trans, lower, unit_diagonal, 1))


@jvp(linalg.solve_triangular)
def _(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True,
      *, out):
    return (_solve_triangular_jvp(a, a_dot, None, out, trans, lower, unit_diagonal),  # noqa: F821
            _solve_triangular_jvp(a, None, b_dot, out, trans, lower, unit_diagonal))  # noqa: F821
