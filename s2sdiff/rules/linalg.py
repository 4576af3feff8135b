"""Linear algebra: ``slogdet``, ``cholesky``, ``eigh``/``eigvalsh``, ``svd``/``svdvals``, ``pinv``,
``qr``, ``lstsq``, ``matrix_power`` (``det``, ``inv``, ``solve``, ``norm`` are in
:mod:`.numpy`; ``multi_dot([a, b, c])`` is written ``a @ b @ c`` by the SSA pass).

Stacks of matrices (leading axes) work wherever NumPy takes them (all but
``lstsq``).  A call returning a tuple (``w, v = np.linalg.eigh(a)``) becomes one
call per item (:func:`.registry.splits`): ``w = _eigh_values(a)``, ``v =
_eigh_vectors(a)``, each with its own rules, so an item nothing reads costs
nothing in the derivative (the decomposition is computed once per item used).

Conventions, as NumPy computes:

- ``eigh``, ``eigvalsh`` and ``cholesky`` read one triangle of ``a`` (the lower
  one; ``UPLO="U"``: the upper one): the derivative in an element of the other
  triangle is 0, and an element of the triangle read counts for both places
  of the symmetric matrix.  On symmetric perturbations this is the usual
  derivative.
- Eigenvectors (and singular vectors) have no derivative where eigenvalues
  (singular values) are repeated: the terms between equal ones are dropped
  (right for a result that does not depend on the basis chosen in that
  eigenspace), and near-equal ones make the derivative grow as 1/(w_i - w_j).
  Eigenvalues alone (``eigvalsh``, or ``w`` with ``v`` unused) are fine there.
- ``svd`` singular vectors need nonzero singular values; ``pinv`` and the
  ``lstsq`` solution are differentiated where the rank does not change.

Refused at generation, with a located error: ``svd`` vectors with
``full_matrices`` not ``False`` (the extra columns are not unique) or
``hermitian=True``, ``compute_uv`` not written as a constant; ``qr`` with
``mode`` other than ``"reduced"`` or ``"r"``; ``cholesky(upper=True)``;
``pinv(hermitian=True)``.
"""

import numpy as np

from .numpy import _transposed
from .registry import UNKNOWN, constant, convention, helper, jvp, matmul_chain, refuse, splits, vjp

# ---------------------------------------------------------------- helpers


@helper
def _sym_tangent(a_dot, UPLO):
    """The tangent of the symmetric matrix NumPy reads from the ``UPLO`` triangle of ``a``."""
    lower = UPLO.upper() == "L"
    half = np.tril(a_dot) if lower else np.triu(a_dot)
    strict = np.tril(a_dot, -1) if lower else np.triu(a_dot, 1)
    return half + _transposed(strict)


@helper
def _sym_adjoint(g, UPLO):
    """The adjoint of ``a`` from ``g``, that of the symmetric matrix read from its triangle."""
    both = g + _transposed(g)
    strict = np.tril(both, -1) if UPLO.upper() == "L" else np.triu(both, 1)
    return strict + g * np.eye(np.shape(g)[-1])


@helper
def _gaps(w):
    """``1 / (w_j - w_i)`` at (i, j), 0 on the diagonal and between equal values."""
    d = w[..., None, :] - w[..., :, None]
    zero = d == 0
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, d))


@helper
def _diagonal(m):
    """The diagonals of the matrices ``m`` (last two axes)."""
    return np.diagonal(m, axis1=-2, axis2=-1)


@helper
def _diag(v):
    """Diagonal matrices with the vectors ``v`` (last axis) on their diagonals."""
    return v[..., None, :] * np.eye(np.shape(v)[-1])


@helper
def _solve_right(b, r):
    """``b @ inv(r)``."""
    return _transposed(np.linalg.solve(_transposed(r), _transposed(b)))


# ---------------------------------------------------------------- slogdet


@helper
def _slogdet_sign(a):
    """The sign of ``np.linalg.slogdet(a)``."""
    return np.linalg.slogdet(a)[0]


@helper
def _slogdet_log(a):
    """The log of the absolute determinant of ``np.linalg.slogdet(a)``."""
    return np.linalg.slogdet(a)[1]


@splits(np.linalg.slogdet)
def _(args, kwargs):
    return (_slogdet_sign, _slogdet_log)


@vjp(_slogdet_log)
def _(g, a, *, out):
    return (np.asarray(g)[..., None, None] * _transposed(np.linalg.inv(a)),)


@jvp(_slogdet_log)
def _(a, *, out):
    return (np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1),)  # noqa: F821


# ---------------------------------------------------------------- eigh


@helper
def _eigh_values(a, UPLO="L"):
    """The eigenvalues of ``np.linalg.eigh(a, UPLO)``."""
    return np.linalg.eigvalsh(a, UPLO)


@helper
def _eigh_vectors(a, UPLO="L"):
    """The eigenvectors of ``np.linalg.eigh(a, UPLO)``."""
    return np.linalg.eigh(a, UPLO)[1]


@helper
def _eigh_vjp(a, UPLO, w_bar, v_bar):
    """The adjoint of ``a`` from those of the eigenvalues ``w_bar`` or eigenvectors ``v_bar``."""
    w, v = np.linalg.eigh(a, UPLO)
    inner = _diag(w_bar) if v_bar is None else _gaps(w) * (_transposed(v) @ v_bar)
    return _sym_adjoint(v @ inner @ _transposed(v), UPLO)


@helper
def _eigh_jvp(a, a_dot, UPLO, which):
    """The tangent of the eigenvalues (``which`` 0) or eigenvectors (1) of ``eigh(a)``."""
    w, v = np.linalg.eigh(a, UPLO)
    p = _transposed(v) @ _sym_tangent(a_dot, UPLO) @ v
    return _diagonal(p) if which == 0 else v @ (_gaps(w) * p)


@splits(np.linalg.eigh)
def _(args, kwargs):
    return (_eigh_values, _eigh_vectors)


@vjp(_eigh_values, np.linalg.eigvalsh)
def _(g, a, UPLO="L", *, out):
    return (_eigh_vjp(a, UPLO, g, None),)


@jvp(_eigh_values, np.linalg.eigvalsh)
def _(a, UPLO="L", *, out):
    return (_eigh_jvp(a, a_dot, UPLO, 0),)  # noqa: F821


@vjp(_eigh_vectors)
def _(g, a, UPLO="L", *, out):
    return (_eigh_vjp(a, UPLO, None, g),)


@jvp(_eigh_vectors)
def _(a, UPLO="L", *, out):
    return (_eigh_jvp(a, a_dot, UPLO, 1),)  # noqa: F821


# ---------------------------------------------------------------- cholesky


@helper
def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved."""
    return np.tril(x) - 0.5 * x * np.eye(np.shape(x)[-1])


@helper
def _cholesky_vjp(g, low, UPLO="L"):
    """The adjoint of ``a`` from that ``g`` of its lower Cholesky factor ``low``, put in
    the triangle ``UPLO`` of ``a`` (the one read)."""
    inverse = np.linalg.inv(low)
    return _sym_adjoint(_transposed(inverse) @ _phi(_transposed(low) @ g) @ inverse, UPLO)


@helper
def _cholesky_vjp_along(g, low, low_dot, UPLO="L"):
    """The tangent of ``_cholesky_vjp(g, low, UPLO)`` as ``low`` moves along ``low_dot``."""
    inverse = np.linalg.inv(low)
    inverse_dot = -(inverse @ low_dot @ inverse)
    inner = _phi(_transposed(low) @ g)
    inner_dot = _phi(_transposed(low_dot) @ g)
    return _sym_adjoint(_transposed(inverse_dot) @ inner @ inverse
                        + _transposed(inverse) @ inner_dot @ inverse
                        + _transposed(inverse) @ inner @ inverse_dot, UPLO)


@jvp(_cholesky_vjp)
def _(g, low, UPLO="L", *, out):
    return (_cholesky_vjp(g_dot, low, UPLO),  # noqa: F821
            _cholesky_vjp_along(g, low, low_dot, UPLO))  # noqa: F821


@vjp(np.linalg.cholesky)
def _(g, a, upper=False, *, out):
    return (_cholesky_vjp(g, out),)


@jvp(np.linalg.cholesky)
def _(a, upper=False, *, out):
    return (out @ _phi(np.linalg.solve(out, _transposed(  # noqa: F821
        np.linalg.solve(out, _sym_tangent(a_dot, "L"))))),)  # noqa: F821


@refuse(np.linalg.cholesky)
def _(args, kwargs):
    return None if kwargs.get("upper", False) is False else "np.linalg.cholesky with upper=True"


# ---------------------------------------------------------------- svd


@helper
def _svd_u(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The left singular vectors of ``np.linalg.svd(a, full_matrices)``."""
    return np.linalg.svd(a, full_matrices)[0]


@helper
def _svd_s(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular values of ``np.linalg.svd(a)``."""
    return np.linalg.svd(a, compute_uv=False)


@helper
def _svd_vh(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The right singular vectors (as rows) of ``np.linalg.svd(a, full_matrices)``."""
    return np.linalg.svd(a, full_matrices)[2]


@helper
def _svd_vjp(a, u_bar, s_bar, vh_bar):
    """The adjoint of ``a`` from that of one of ``u, s, vh = svd(a, full_matrices=False)``."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if s_bar is not None:
        return u @ _diag(s_bar) @ vh
    f = _gaps(s * s)
    if u_bar is not None:
        j = f * (_transposed(u) @ u_bar - _transposed(u_bar) @ u)
        rest = (u_bar - u @ (_transposed(u) @ u_bar)) / s[..., None, :]
        return u @ (j * s[..., None, :]) @ vh + rest @ vh
    v, v_bar = _transposed(vh), _transposed(vh_bar)
    k = f * (_transposed(v) @ v_bar - _transposed(v_bar) @ v)
    rest = (v_bar - v @ (vh @ v_bar)) / s[..., None, :]
    return u @ (s[..., :, None] * k) @ vh + u @ _transposed(rest)


@helper
def _svd_jvp(a, a_dot, which):
    """The tangent of ``u`` (``which`` 0), ``s`` (1) or ``vh`` (2) of ``svd(a, False)``."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = _transposed(vh)
    p = _transposed(u) @ a_dot @ v
    if which == 1:
        return _diagonal(p)
    f = _gaps(s * s)
    if which == 0:
        return u @ (f * (p * s[..., None, :] + s[..., :, None] * _transposed(p))) + (
            a_dot @ v - u @ p) / s[..., None, :]
    v_dot = v @ (f * (s[..., :, None] * p + _transposed(p) * s[..., None, :])) + (
        _transposed(a_dot) @ u - v @ _transposed(p)) / s[..., None, :]
    return _transposed(v_dot)


@splits(np.linalg.svd)
def _(args, kwargs):
    compute_uv = args[2] if len(args) > 2 else kwargs.get("compute_uv", True)
    if compute_uv is UNKNOWN:
        return "np.linalg.svd with compute_uv not written as a constant"
    return (_svd_u, _svd_s, _svd_vh) if compute_uv else _svd_s


@vjp(_svd_u)
def _(g, a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_vjp(a, g, None, None),)


@jvp(_svd_u)
def _(a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_jvp(a, a_dot, 0),)  # noqa: F821


@vjp(_svd_s)
def _(g, a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_vjp(a, None, g, None),)


@jvp(_svd_s)
def _(a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_jvp(a, a_dot, 1),)  # noqa: F821


@vjp(_svd_vh)
def _(g, a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_vjp(a, None, None, g),)


@jvp(_svd_vh)
def _(a, full_matrices=True, compute_uv=True, hermitian=False, *, out):
    return (_svd_jvp(a, a_dot, 2),)  # noqa: F821


def _svd_option(args, kwargs, position, name, default):
    return args[position] if len(args) > position else kwargs.get(name, default)


@refuse(_svd_u, _svd_vh)
def _(args, kwargs):
    if _svd_option(args, kwargs, 1, "full_matrices", True) is not False:
        return ("np.linalg.svd with full_matrices=True: the extra singular vectors are not "
                "unique; pass full_matrices=False")
    if _svd_option(args, kwargs, 3, "hermitian", False) is not False:
        return "np.linalg.svd with hermitian=True"
    return None


@refuse(_svd_s)
def _(args, kwargs):
    if _svd_option(args, kwargs, 3, "hermitian", False) is not False:
        return "np.linalg.svd with hermitian=True"
    return None


if hasattr(np.linalg, "svdvals"):  # NumPy 2
    @vjp(np.linalg.svdvals)
    def _(g, x, *, out):
        return (_svd_vjp(x, None, g, None),)

    @jvp(np.linalg.svdvals)
    def _(x, *, out):
        return (_svd_jvp(x, x_dot, 1),)  # noqa: F821


# ---------------------------------------------------------------- pinv


@helper
def _pinv_vjp(g, a, x):
    """The adjoint of ``a`` from that ``g`` of ``x = np.linalg.pinv(a)`` (constant rank)."""
    xt, gt = _transposed(x), _transposed(g)
    left = gt @ x @ xt
    right = xt @ x @ gt
    return -(xt @ g @ xt) + left - a @ (x @ left) + right - (right @ x) @ a


@helper
def _pinv_jvp(a, a_dot, x):
    """The tangent of ``x = np.linalg.pinv(a)`` (constant rank)."""
    t = _transposed(a_dot)
    p = x @ _transposed(x) @ t
    q = t @ _transposed(x) @ x
    return -(x @ a_dot @ x) + p - (p @ a) @ x + q - x @ (a @ q)


@vjp(np.linalg.pinv)
def _(g, a, rcond=None, hermitian=False, *, out):
    return (_pinv_vjp(g, a, out),)


@jvp(np.linalg.pinv)
def _(a, rcond=None, hermitian=False, *, out):
    return (_pinv_jvp(a, a_dot, out),)  # noqa: F821


@refuse(np.linalg.pinv)
def _(args, kwargs):
    hermitian = args[2] if len(args) > 2 else kwargs.get("hermitian", False)
    return None if hermitian is False else "np.linalg.pinv with hermitian=True"


# ---------------------------------------------------------------- qr


@helper
def _qr_q(a, mode="reduced"):
    """``q`` of ``np.linalg.qr(a)``."""
    return np.linalg.qr(a)[0]


@helper
def _qr_r(a, mode="reduced"):
    """``r`` of ``np.linalg.qr(a)``."""
    return np.linalg.qr(a)[1]


@helper
def _qr_tall_vjp(q, r, q_bar, r_bar):
    """The adjoint of ``a = q @ r`` (``r`` square) from those of ``q`` and ``r``."""
    m = r @ _transposed(r_bar) - _transposed(q_bar) @ q
    copied = np.tril(m) + _transposed(np.tril(m, -1))
    return _transposed(np.linalg.solve(r, _transposed(q_bar + q @ copied)))


@helper
def _qr_vjp(a, q_bar, r_bar):
    """The adjoint of ``a`` from those of ``q, r = np.linalg.qr(a)`` (None: zero)."""
    q, r = np.linalg.qr(a)
    q_bar = np.zeros_like(q) if q_bar is None else q_bar
    r_bar = np.zeros_like(r) if r_bar is None else r_bar
    m, n = np.shape(a)[-2:]
    if m >= n:
        return _qr_tall_vjp(q, r, q_bar, r_bar)
    y = a[..., :, m:]  # a wide matrix [x | y]: q, r[:, :m] = qr(x) and r[:, m:] = q.T @ y
    x_bar = _qr_tall_vjp(q, r[..., :, :m], q_bar + y @ _transposed(r_bar[..., :, m:]),
                         r_bar[..., :, :m])
    return np.concatenate([x_bar, q @ r_bar[..., :, m:]], axis=-1)


@helper
def _qr_jvp(a, a_dot, which):
    """The tangent of ``q`` (``which`` 0) or ``r`` (1) of ``np.linalg.qr(a)``."""
    q, r = np.linalg.qr(a)
    m, n = np.shape(a)[-2:]
    square = r[..., :, :m] if m < n else r
    x_dot = a_dot[..., :, :m] if m < n else a_dot
    c = _transposed(q) @ _solve_right(x_dot, square)
    omega = np.tril(c, -1) - _transposed(np.tril(c, -1))
    q_dot = q @ omega + _solve_right(x_dot, square) - q @ c
    if which == 0:
        return q_dot
    r_dot = (c - omega) @ square
    if m >= n:
        return r_dot
    rest = _transposed(q_dot) @ a[..., :, m:] + _transposed(q) @ a_dot[..., :, m:]
    return np.concatenate([r_dot, rest], axis=-1)


@splits(np.linalg.qr)
def _(args, kwargs):
    mode = args[1] if len(args) > 1 else kwargs.get("mode", "reduced")
    if mode == "r":
        return _qr_r
    if mode == "reduced":
        return (_qr_q, _qr_r)
    return f"np.linalg.qr with mode={mode!r} (use 'reduced' or 'r')" if mode is not UNKNOWN \
        else "np.linalg.qr with a mode not written as a constant"


@vjp(_qr_q)
def _(g, a, mode="reduced", *, out):
    return (_qr_vjp(a, g, None),)


@jvp(_qr_q)
def _(a, mode="reduced", *, out):
    return (_qr_jvp(a, a_dot, 0),)  # noqa: F821


@vjp(_qr_r)
def _(g, a, mode="reduced", *, out):
    return (_qr_vjp(a, None, g),)


@jvp(_qr_r)
def _(a, mode="reduced", *, out):
    return (_qr_jvp(a, a_dot, 1),)  # noqa: F821


# ---------------------------------------------------------------- lstsq


@helper
def _lstsq_solution(a, b, rcond=None):
    """The least-squares solution of ``np.linalg.lstsq(a, b, rcond)``."""
    return np.linalg.lstsq(a, b, rcond)[0]


@helper
def _lstsq_residuals(a, b, rcond=None):
    """The sums of squared residuals of ``np.linalg.lstsq(a, b, rcond)`` (maybe empty)."""
    return np.linalg.lstsq(a, b, rcond)[1]


@helper
def _lstsq_rank(a, b, rcond=None):
    """The rank of ``a`` found by ``np.linalg.lstsq(a, b, rcond)``."""
    return np.linalg.lstsq(a, b, rcond)[2]


@helper
def _lstsq_singular_values(a, b, rcond=None):
    """The singular values of ``a`` given by ``np.linalg.lstsq(a, b, rcond)``."""
    return np.linalg.lstsq(a, b, rcond)[3]


@helper
def _as_columns(v, b):
    """``v`` as a matrix of columns where ``b`` is a vector."""
    return v[:, None] if np.ndim(b) == 1 else v


@helper
def _lstsq_vjp(g, a, b, x, which):
    """The adjoint of ``a`` (``which`` 0) or ``b`` (1) from that ``g`` of the solution ``x``."""
    p = np.linalg.pinv(a)
    if which == 1:
        return _transposed(p) @ g
    return _pinv_vjp(_as_columns(g, b) @ _transposed(_as_columns(b, b)), a, p)


@helper
def _residuals_vjp(g, a, b, rcond, which):
    """The adjoint of ``a`` (``which`` 0) or ``b`` (1) from that ``g`` of the residuals."""
    x = np.linalg.lstsq(a, b, rcond)[0]
    if np.size(g) == 0:  # no residuals given (rank-deficient or not tall)
        return np.zeros(np.shape(b if which else a))
    r = b - a @ x
    weighted = r * (g[0] if np.ndim(b) == 1 else g)
    if which == 1:
        return 2.0 * weighted
    return -2.0 * _as_columns(weighted, b) @ _transposed(_as_columns(x, b))


@helper
def _residuals_jvp(a, b, rcond, a_dot, b_dot):
    """The tangent of the residuals of ``lstsq(a, b)`` in ``a_dot`` or ``b_dot`` (None: zero)."""
    x, residuals = np.linalg.lstsq(a, b, rcond)[:2]
    if np.size(residuals) == 0:
        return np.zeros(np.shape(residuals))
    r = b - a @ x
    change = -(a_dot @ x) if b_dot is None else b_dot
    return np.reshape(2.0 * np.sum(r * change, axis=0), np.shape(residuals))


@splits(np.linalg.lstsq)
def _(args, kwargs):
    return (_lstsq_solution, _lstsq_residuals, _lstsq_rank, _lstsq_singular_values)


@vjp(_lstsq_solution)
def _(g, a, b, rcond=None, *, out):
    return (_lstsq_vjp(g, a, b, out, 0), _lstsq_vjp(g, a, b, out, 1))


@jvp(_lstsq_solution)
def _(a, b, rcond=None, *, out):
    return (_pinv_jvp(a, a_dot, np.linalg.pinv(a)) @ b,  # noqa: F821
            np.linalg.pinv(a) @ b_dot)  # noqa: F821


@vjp(_lstsq_residuals)
def _(g, a, b, rcond=None, *, out):
    return (_residuals_vjp(g, a, b, rcond, 0), _residuals_vjp(g, a, b, rcond, 1))


@jvp(_lstsq_residuals)
def _(a, b, rcond=None, *, out):
    return (_residuals_jvp(a, b, rcond, a_dot, None),  # noqa: F821
            _residuals_jvp(a, b, rcond, None, b_dot))  # noqa: F821


@vjp(_lstsq_singular_values)
def _(g, a, b, rcond=None, *, out):
    return (_svd_vjp(a, None, g, None), None)


@jvp(_lstsq_singular_values)
def _(a, b, rcond=None, *, out):
    return (_svd_jvp(a, a_dot, 1), None)  # noqa: F821


# ---------------------------------------------------------------- matrix_power


@helper
def _matrix_power_vjp(g, a, n):
    """The adjoint of ``a`` from that ``g`` of ``np.linalg.matrix_power(a, n)``."""
    if n < 0:
        b = np.linalg.inv(a)
        return -(_transposed(b) @ _matrix_power_vjp(g, b, -n) @ _transposed(b))
    powers = [np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a))]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    total = np.zeros(np.shape(a))
    for k in range(n):
        total = total + _transposed(powers[k]) @ g @ _transposed(powers[n - 1 - k])
    return total


@helper
def _matrix_power_jvp(a, a_dot, n):
    """The tangent of ``np.linalg.matrix_power(a, n)``."""
    if n < 0:
        b = np.linalg.inv(a)
        return _matrix_power_jvp(b, -(b @ a_dot @ b), -n)
    powers = [np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a))]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    total = np.zeros(np.shape(a))
    for k in range(n):
        total = total + powers[k] @ a_dot @ powers[n - 1 - k]
    return total


@helper
def _matrix_power_vjp_jvp(g, a, a_dot, n):
    """The tangent of ``_matrix_power_vjp(g, a, n)`` along ``a_dot``, ``g`` fixed."""
    if n < 0:
        b = np.linalg.inv(a)
        inner = _matrix_power_vjp(g, b, -n)
        inner_dot = _matrix_power_vjp_jvp(g, b, -(b @ a_dot @ b), -n)
        bt, bt_dot = _transposed(b), _transposed(-(b @ a_dot @ b))
        return -(bt_dot @ inner @ bt + bt @ inner_dot @ bt + bt @ inner @ bt_dot)
    powers = [np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a))]
    tangents = [np.zeros(np.shape(a))]  # of the powers
    for _ in range(n - 1):
        tangents.append(tangents[-1] @ a + powers[-1] @ a_dot)
        powers.append(powers[-1] @ a)
    total = np.zeros(np.shape(a))
    for k in range(n):
        total = total + (_transposed(tangents[k]) @ g @ _transposed(powers[n - 1 - k])
                         + _transposed(powers[k]) @ g @ _transposed(tangents[n - 1 - k]))
    return total


@vjp(np.linalg.matrix_power)
def _(g, a, n=1, *, out):
    return (_matrix_power_vjp(g, a, n),)


@jvp(_matrix_power_vjp)
def _(g, a, n):
    return (_matrix_power_vjp(g_dot, a, n), _matrix_power_vjp_jvp(g, a, a_dot, n),  # noqa: F821
            None)


@jvp(np.linalg.matrix_power)
def _(a, n=1, *, out):
    return (_matrix_power_jvp(a, a_dot, n),)  # noqa: F821


constant(_slogdet_sign, _lstsq_rank, _gaps, np.linalg.matrix_rank)
matmul_chain(np.linalg.multi_dot)

convention("read one triangle of the matrix, as NumPy (the lower one; `UPLO='U'`: the upper "
           "one): 0 in the other triangle, and an element of the triangle read counts for both "
           "places of the symmetric matrix", np.linalg.eigh, np.linalg.eigvalsh,
           np.linalg.cholesky)
convention("eigenvectors (singular vectors) at repeated eigenvalues (singular values) have no "
           "derivative: the terms between equal ones are dropped, near-equal ones grow as "
           "1/(w_i - w_j); eigenvalues alone are differentiated there", np.linalg.eigh,
           np.linalg.svd)
convention("singular vectors need nonzero singular values; the Hessians of `eigh`, `svd`, "
           "`qr`, `pinv`, `lstsq` are refused (located errors)",
           np.linalg.svd)
convention("differentiated where the rank does not change; `lstsq`'s residuals, empty where "
           "NumPy gives none, have no derivative", np.linalg.pinv, np.linalg.lstsq)
