"""Abstract values of the adjoint helpers the rules emit (see :mod:`.types`).

An adjoint has its operand's dimensions: knowing them lets the code after a
helper call stay specialised (``np.sum(g, axis=0)`` rather than a generic
``_unbroadcast``).  Registered once NumPy is imported (by :mod:`.library_types`).
"""

from __future__ import annotations

from . import types
from .types import Arr, Num, floating, promote


def adjoint(g, x, *others):
    """The adjoint of ``x`` made from ``g`` (and ``others``): ``x``'s dimensions, the
    floating dtype of ``g`` and ``others``; None when one is not known."""
    if not isinstance(x, Arr) or not isinstance(g, (Arr, Num)) \
            or not all(isinstance(o, (Arr, Num)) for o in others):
        return None
    return Arr(floating(types._array_of(promote(g, *others))).dtype, x.ones)


def _of_operand(g_at: int, first: int, which_at: int):
    """The adjoint of operand ``which`` (0 or 1) of two at ``first``, ``first + 1``,
    from ``g`` at ``g_at``; the dtype is that of ``g`` and the other operand."""

    def rule(args, consts, kwargs):
        which = consts[which_at] if len(consts) > which_at else None
        if which not in (0, 1) or isinstance(which, bool):
            return None
        return adjoint(args[g_at], args[first + which], args[first + 1 - which])

    return rule


def _like(g_at: int, x_at: int, *others):
    """The adjoint of the argument at ``x_at`` from ``g`` at ``g_at`` (its dtype also
    that of ``others``: "x" when the helper computes with ``x``, not only reads its
    shape, and ``F8`` when it makes float64 arrays)."""
    return lambda args, consts, kwargs: adjoint(
        args[g_at], args[x_at], *(args[x_at] if o == "x" else o for o in others))


def _per_array(args, consts, kwargs):
    """``_hstack_vjp(g, arrays)`` (and the other joins'): one adjoint per array of a
    list; an array for an array (its rows were joined)."""
    g, arrays = args[0], args[1]
    if isinstance(arrays, Arr):
        return adjoint(g, arrays)
    if not isinstance(arrays, tuple) or not arrays:
        return None
    found = tuple(adjoint(g, a) for a in arrays)
    return found if None not in found else None


def _solve_adjoint(args, consts, kwargs):
    """``_solve_vjp(g, a, b, solution, which)`` for one matrix ``a``: ``a``'s
    dimensions (``which`` 0) or the solution's (1: ``b``'s)."""
    g, a, b, solution = args[:4]
    which = consts[4]
    if not (isinstance(a, Arr) and a.ndim == 2 and isinstance(b, Arr) and 1 <= b.ndim <= 2):
        return None
    if which == 0:
        return adjoint(g, a, a, solution)
    return adjoint(g, b, a) if which == 1 else None


def _lstsq_adjoint(args, consts, kwargs):
    """``_lstsq_vjp(g, a, b, x, which)`` of one matrix ``a``: ``a``'s or ``b``'s."""
    g, a, b = args[:3]
    if not isinstance(a, Arr) or a.ndim != 2 or consts[4] not in (0, 1):
        return None
    return adjoint(g, a, a, b) if consts[4] == 0 else adjoint(g, b, a)


F8 = Arr("float64", ())  # joined with a helper's operands: one that makes float64
# arrays (``np.eye``, ``np.zeros``, an integer ``np.arange``) widens float32 ones


def _of_matrix(a_at: int, *from_at: int, widened=lambda consts: True):
    """The adjoint of the matrix (stack) at ``a_at`` from the adjoints at ``from_at``
    (a constant None among them is no adjoint); float64 at least if ``widened``."""

    def rule(args, consts, kwargs):
        a = args[a_at]
        given = [args[i] for i in from_at if consts[i] is not None]
        if not isinstance(a, Arr) or a.ndim < 2 or not given:
            return None
        return adjoint(given[0], a, a, *given[1:], *([F8] if widened(consts) else []))

    return rule


def _transposed(args, consts, kwargs):
    a = args[0]
    if not isinstance(a, Arr) or a.ndim < 2:
        return None
    return Arr(a.dtype, a.ones[:-2] + (a.ones[-1], a.ones[-2]), a.library)


def _floating_same(args, consts, kwargs):
    return floating(args[0]) if isinstance(args[0], Arr) else None


def register_adjoint_helpers() -> None:
    from ..rules import joining, linalg, numpy as rules, shaping, signal

    register = types.register
    register(_like(0, 1), shaping._on_diagonal, shaping._trace_vjp, shaping._tile_vjp,
             shaping._repeat_vjp, shaping._pad_vjp, shaping._piece_adjoint, rules._delete_vjp)
    register(_like(0, 1, "x"), shaping._cumprod_vjp, linalg._pinv_vjp)
    register(_like(0, 1, "x", F8), linalg._cholesky_vjp, linalg._matrix_power_vjp)
    register(_of_operand(0, 1, 3), rules._inner_vjp, shaping._kron_vjp)
    register(_of_operand(0, 1, 4), rules._tensordot_vjp, shaping._append_vjp,
             signal._convolve_vjp)
    register(lambda a, c, k: adjoint(a[0], a[1], a[2], F8), signal._polyval_vjp_p)
    register(_per_array, shaping._hstack_vjp, shaping._vstack_vjp, shaping._dstack_vjp,
             shaping._column_stack_vjp, joining._unstack)
    register(lambda a, c, k: _per_array([a[0], a[2]], c, k), shaping._select_vjp)
    register(_solve_adjoint, rules._solve_vjp)
    register(_lstsq_adjoint, linalg._lstsq_vjp)
    register(_of_matrix(0, 2, 3), linalg._eigh_vjp)
    register(_of_matrix(0, 1, 2, 3, widened=lambda c: c[2] is not None), linalg._svd_vjp)
    register(_of_matrix(0, 1, 2, widened=lambda c: False), linalg._qr_vjp)
    register(lambda a, c, k: adjoint(a[0], a[0], F8), linalg._sym_adjoint)
    register(lambda a, c, k: adjoint(a[0], a[0], F8), linalg._phi)
    register(_floating_same, rules._norm_partial)
    register(lambda a, c, k: a[0] if isinstance(a[0], Arr) and a[0].dtype.startswith("float")
             else None, rules._prod_others)
    register(_transposed, rules._transposed)
