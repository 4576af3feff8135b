"""Abstract values of the results of linear algebra and SciPy calls (see :mod:`.types`).

Registered with :func:`.types.register` once NumPy (linear algebra) or SciPy is
imported (importing this module arranges it; the SSA pass does); the rule
modules themselves, a lower stage, do not import the IR.
"""

from __future__ import annotations

from . import helper_types, types
from .types import Arr, floating, promote


def _matrices(args):
    """The abstract value of the first argument if it is a stack of matrices, else None."""
    a = args[0]
    return a if isinstance(a, Arr) and a.ndim >= 2 else None


def _min_one(m, n):
    """Whether ``min(m, n)`` is 1 (per :class:`Arr`'s ``ones``)."""
    return True if m or n else False if m is False and n is False else None


def _same(args, consts, kwargs):
    a = _matrices(args)
    return None if a is None else floating(a)


def _one_per_matrix(args, consts, kwargs):
    a = _matrices(args)
    return None if a is None else Arr(floating(a).dtype, a.ones[:-2])


def _vector_per_matrix(args, consts, kwargs):
    a = _matrices(args)
    return None if a is None else Arr(floating(a).dtype, a.ones[:-1])


def _svd_part(which: int):
    """``u`` (0), ``s`` (1) or ``vh`` (2) of ``np.linalg.svd(a, full_matrices)``."""
    def rule(args, consts, kwargs):
        a = _matrices(args)
        if a is None:
            return None
        m, n = a.ones[-2:]
        k = _min_one(m, n)
        full = consts[1] if len(consts) > 1 else kwargs.get("full_matrices", True)
        if which != 1 and full is not False:  # u is (m, m), vh (n, n)
            k = (m if which == 0 else n) if full is True else None
        shape = {0: (m, k), 1: (k,), 2: (k, n)}[which]
        return Arr(floating(a).dtype, a.ones[:-2] + shape)

    return rule


def _qr_part(which: int):
    """``q`` (0) or ``r`` (1) of ``np.linalg.qr(a)`` (reduced)."""
    def rule(args, consts, kwargs):
        a = _matrices(args)
        if a is None:
            return None
        m, n = a.ones[-2:]
        k = _min_one(m, n)
        return Arr(floating(a).dtype, a.ones[:-2] + ((m, k) if which == 0 else (k, n)))

    return rule


def _pinv(args, consts, kwargs):
    a = _matrices(args)
    return None if a is None else Arr(floating(a).dtype, a.ones[:-2] + a.ones[-1:-3:-1])


def _lstsq_x(args, consts, kwargs):
    a, b = _matrices(args), args[1]
    if a is None or not isinstance(b, Arr) or a.ndim != 2:
        return None
    return Arr(floating(a).dtype, a.ones[1:] + b.ones[1:])


def _floating(args, consts, kwargs):
    return floating(promote(*args))


def _norm(args, consts, kwargs):
    """``np.linalg.norm(x, ord, axis, keepdims)``: a reduction over ``axis`` (all of
    ``x`` when None)."""
    axis = consts[2] if len(consts) > 2 else kwargs.get("axis")
    keepdims = consts[3] if len(consts) > 3 else kwargs.get("keepdims", False)
    return types._reduce("float")([args[0]], [None, axis], {"keepdims": keepdims})


def register_linalg() -> None:
    import numpy as np

    from ..rules import linalg

    types.register(_same, np.linalg.cholesky, linalg._eigh_vectors, np.linalg.matrix_power)
    types.register(_norm, np.linalg.norm)
    types.register(_one_per_matrix, linalg._slogdet_sign, linalg._slogdet_log)
    types.register(_vector_per_matrix, linalg._eigh_values, np.linalg.eigvalsh)
    types.register(_svd_part(0), linalg._svd_u)
    types.register(_svd_part(1), linalg._svd_s, *filter(None, [getattr(np.linalg, "svdvals",
                                                                           None)]))
    types.register(_svd_part(2), linalg._svd_vh)
    types.register(_qr_part(0), linalg._qr_q)
    types.register(_qr_part(1), linalg._qr_r)
    types.register(_pinv, np.linalg.pinv)
    types.register(_lstsq_x, linalg._lstsq_solution)


def register_scipy_special() -> None:
    from scipy import special

    types.register(_floating, special.gammaln, special.digamma, special.erf, special.erfc,
                   special.erfinv, special.expit, special.logit, special.xlogy, special.xlog1py)
    types.register(lambda args, consts, kwargs: floating(args[1]), special.polygamma)
    types.register(lambda args, consts, kwargs: floating(args[0]), special.softmax,
                   special.log_softmax)


def register_scipy_stats() -> None:
    from ..rules import scipy_stats

    types.register(_floating, scipy_stats._norm_logpdf, scipy_stats._norm_pdf,
                   scipy_stats._norm_cdf)


def register_scipy_linalg() -> None:
    from scipy import linalg as scipy_linalg

    from ..rules import scipy_linalg as rules

    types.register(lambda args, consts, kwargs: floating(args[0]), scipy_linalg.cholesky)
    types.register(_solved, scipy_linalg.solve_triangular)
    types.register(lambda args, consts, kwargs: _adjoint(args[0], args[1]),
                   rules._lower_cholesky_vjp)
    types.register(lambda args, consts, kwargs: _adjoint(args[0], args[1 if consts[6] == 0 else 2])
                   if consts[6] in (0, 1) else None, rules._solve_triangular_vjp)


def _adjoint(g, x):
    """An adjoint of ``x`` made from ``g``: ``x``'s dimensions, floating."""
    if not isinstance(g, Arr) or not isinstance(x, Arr):
        return None
    return Arr(floating(promote(g, x)).dtype, x.ones)


def _solved(args, consts, kwargs):
    """``solve_triangular(a, b)``: ``b``'s dimensions, the dtype of both, floating."""
    a, b = args[0], args[1]
    if not isinstance(a, Arr) or not isinstance(b, Arr):
        return None
    return Arr(floating(promote(a, b)).dtype, b.ones)


def _logsumexp(args, consts, kwargs):
    """``logsumexp(a, axis, keepdims=...)`` without ``b`` or ``return_sign``: a
    floating reduction."""
    if kwargs.keys() - {"axis", "keepdims"} or len(args) > 2 or not isinstance(args[0], Arr):
        return None
    return types._reduce("float")(args, consts, kwargs)


def register_scipy_reductions() -> None:
    from scipy import special

    types.register(_logsumexp, special.logsumexp)


types.register_when_imported("numpy", register_linalg)
types.register_when_imported("scipy.special", register_scipy_reductions)
types.register_when_imported("numpy", helper_types.register_adjoint_helpers)
types.register_when_imported("scipy.special", register_scipy_special)
types.register_when_imported("scipy.stats", register_scipy_stats)
types.register_when_imported("scipy.linalg", register_scipy_linalg)
