"""Linear algebra of issue 18: ``slogdet``, ``cholesky``, ``eigh``/``eigvalsh``, ``svd``/
``svdvals``, ``pinv``, ``qr``, ``lstsq``, ``matrix_power``, ``multi_dot`` and ``norm``.

Each is checked against central finite differences of NumPy itself in both
modes (``vjp``, ``jvp``, the Jacobian forward and reverse, shapes included:
:func:`tests.rule_checks.check`), on single and stacked matrices where NumPy
takes stacks.  Tuple results are unpacked (``w, v = np.linalg.eigh(a)``).
Eigenvectors and singular vectors are defined up to sign: the functions
checked use them through sign-free products.  What is refused is refused at
generation with a located error naming the function.
"""

from __future__ import annotations

import numpy as np
import pytest

from s2sdiff import NoRuleError, S2SDiffError, grad, hessian, jacobian, show
from tests.rule_checks import check

RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.normal(size=shape)


def spd(n, *batch):
    """A symmetric positive definite matrix (or a stack of them)."""
    m = normal(*batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def slogdet_(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def cholesky_(a):
    return np.linalg.cholesky(a)


def eigenvalues(a):
    w, v = np.linalg.eigh(a)
    return w


def eigenvectors(a):
    w, v = np.linalg.eigh(a)
    return v * v[..., :1, :]  # each column times its first element: free of its sign


def eigh_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return w * 2.0 + (v * v[..., :1, :]).sum(axis=-2)


def eigvalsh_(a):
    return np.linalg.eigvalsh(a) ** 2


def eigh_item(a):
    return np.linalg.eigh(a)[0] * 3.0


def singular_values(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return s


def svd_values_only(a):
    return np.linalg.svd(a, compute_uv=False) * 2.0


def svdvals_(a):
    return np.linalg.svdvals(a) ** 2


def left_vectors(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u * u[..., :1, :]


def right_vectors(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return vh * vh[..., :, :1]


def svd_rebuilt(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def pinv_(a):
    return np.linalg.pinv(a)


def q_(a):
    q, r = np.linalg.qr(a)
    return q


def r_(a):
    q, r = np.linalg.qr(a)
    return r


def r_only(a):
    return np.linalg.qr(a, mode="r")


def cube(a):
    return np.linalg.matrix_power(a, 3)


def inverse_square(a):
    return np.linalg.matrix_power(a, -2)


def power_zero(a):
    return np.linalg.matrix_power(a, 0) + a


def chain(a, b):
    return np.linalg.multi_dot([a, b, a.T])


def chain_tuple(a, b):
    return np.linalg.multi_dot((b.T, a))


def lstsq_solution(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return x


def lstsq_residuals(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return residuals


def lstsq_singular_values(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return s * rank


CASES = [  # (function, arguments, which arguments to check)
    (slogdet_, [spd(3)], [0]),
    (slogdet_, [normal(3, 3)], [0]),
    (slogdet_, [normal(2, 3, 3)], [0]),
    (cholesky_, [spd(3)], [0]),
    (cholesky_, [spd(4, 2)], [0]),
    (eigenvalues, [spd(3)], [0]),
    (eigenvalues, [normal(2, 3, 3)], [0]),  # not symmetric: its lower triangle is read
    (eigenvectors, [spd(3)], [0]),
    (eigenvectors, [normal(2, 4, 4)], [0]),
    (eigh_upper, [normal(3, 3)], [0]),
    (eigvalsh_, [normal(3, 3)], [0]),
    (eigh_item, [spd(3, 2)], [0]),
    (singular_values, [normal(4, 3)], [0]),
    (singular_values, [normal(2, 3, 5)], [0]),
    (svd_values_only, [normal(3, 4)], [0]),
    pytest.param(svdvals_, [normal(2, 3, 4)], [0], marks=pytest.mark.skipif(
        not hasattr(np.linalg, "svdvals"), reason="np.linalg.svdvals is NumPy 2's")),
    (left_vectors, [normal(4, 3)], [0]),
    (left_vectors, [normal(2, 3, 4)], [0]),
    (right_vectors, [normal(4, 3)], [0]),
    (right_vectors, [normal(3, 4)], [0]),
    (svd_rebuilt, [normal(2, 4, 3)], [0]),
    (pinv_, [normal(4, 3)], [0]),
    (pinv_, [normal(2, 3, 4)], [0]),
    (q_, [normal(4, 3)], [0]),
    (q_, [normal(3, 3)], [0]),
    (q_, [normal(2, 3, 5)], [0]),  # wide: r has a block beside the triangle
    (r_, [normal(4, 3)], [0]),
    (r_, [normal(2, 3, 5)], [0]),
    (r_only, [normal(3, 3)], [0]),
    (cube, [normal(3, 3)], [0]),
    (cube, [normal(2, 3, 3)], [0]),
    (inverse_square, [spd(3)], [0]),
    (power_zero, [normal(3, 3)], [0]),
    (chain, [normal(3, 2), normal(2, 2)], [0, 1]),
    (chain_tuple, [normal(3, 2), normal(3, 4)], [0, 1]),
    (lstsq_solution, [normal(5, 3), normal(5)], [0, 1]),
    (lstsq_solution, [normal(5, 3), normal(5, 2)], [0, 1]),
    (lstsq_solution, [normal(3, 3), normal(3)], [0, 1]),
    (lstsq_residuals, [normal(5, 3), normal(5)], [0, 1]),
    (lstsq_residuals, [normal(6, 2), normal(6, 3)], [0, 1]),
    (lstsq_singular_values, [normal(5, 3), normal(5)], [0, 1]),
]


@pytest.mark.parametrize("fn, args, wrts", CASES,
                         ids=lambda v: getattr(v, "__name__", None) or (
                             "x".join(map(str, v[0].shape)) if isinstance(v, list) and hasattr(v[0], "shape")
                             else "wrt" + "".join(map(str, v))))
def test_matches_finite_differences_in_both_modes(fn, args, wrts):
    for wrt in wrts:
        check(fn, args, wrt)


def test_a_wide_lstsq_has_no_residuals_and_a_zero_derivative_of_them():
    a, b = normal(2, 4), normal(2)
    assert np.linalg.lstsq(a, b, rcond=None)[1].shape == (0,)
    for mode in ("forward", "reverse"):
        assert jacobian(lstsq_residuals, 0, mode=mode)(a, b).shape == (0, 2, 4)


# --- norm, every form ------------------------------------------------------------


def _norm(ord, axis=None, keepdims=False):
    def norm_(x):
        return np.linalg.norm(x, ord, axis, keepdims) * 1.0

    return norm_


NORMS = [(_norm(o), (5,)) for o in (None, 1, 2, 3, 0.5, np.inf, -np.inf, -1)] + \
    [(_norm(o, 1, True), (3, 4)) for o in (None, 1, 3, np.inf)] + \
    [(_norm(o), (3, 4)) for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)] + \
    [(_norm(o, (1, 2)), (2, 3, 4)) for o in ("fro", "nuc", 2, -2, 1, np.inf)]


@pytest.mark.parametrize("fn, shape", NORMS, ids=[f"{i}" for i in range(len(NORMS))])
def test_every_norm_matches_finite_differences(fn, shape):
    check(fn, [normal(*shape)])


def norm_of_list(x):
    return np.linalg.norm([x, x + 2.0])


def test_norm_of_a_list():
    check(norm_of_list, [0.7])


# --- conventions --------------------------------------------------------------------


def weighted_eigenvalues(a):
    return np.sum(np.linalg.eigvalsh(a) * np.array([1.0, 2.0, 3.0]))


def test_eigh_reads_one_triangle_as_numpy_does():
    a = spd(3)
    g = grad(weighted_eigenvalues)(a)
    assert np.all(np.triu(g, 1) == 0.0)  # the upper triangle is never read
    a_sym = np.tril(a) + np.tril(a, -1).T
    w, v = np.linalg.eigh(a_sym)
    full = v @ np.diag([1.0, 2.0, 3.0]) @ v.T  # the symmetric derivative
    np.testing.assert_allclose(g, np.tril(full + full.T, -1) + np.diag(np.diag(full)), 1e-10,
                               1e-12)


def sum_of_eigenvalues(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w)


def eigenvector_product(a):
    w, v = np.linalg.eigh(a)
    return np.sum(v * v[:1, :])


def test_repeated_eigenvalues():
    """Eigenvalues are differentiated at a repeated eigenvalue; eigenvectors get finite
    numbers (the terms between equal eigenvalues dropped), no nan."""
    a = np.diag([2.0, 2.0, 5.0])
    np.testing.assert_allclose(grad(sum_of_eigenvalues)(a), 2.0 * a)
    assert np.all(np.isfinite(grad(eigenvector_product)(a)))


def test_multi_dot_is_a_chain_of_matmuls():
    text = show(chain, kind="jvp", signature="a=f8[n,k],b=f8[k,k]")
    code = [line.split("#")[0] for line in text.splitlines()[1:]]  # no docstring, no comments
    assert not any("multi_dot" in line for line in code)
    assert "    _t1 = a @ b" in code and "    _t4 = _t1 @ _t3" in code


def test_tuple_items_are_calls_of_their_own():
    text = show(eigenvalues, kind="jvp", signature="a=f8[n,n]")
    assert "    w = _eigh_values(a)\n" in text and "_eigh_vectors" not in text  # v is never used


def logdet_(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


def test_slogdet_has_a_hessian():
    a = normal(3, 3)
    inv = np.linalg.inv(a)  # d(inv(a).T)[i, j] / da[k, l] = -inv[j, k] inv[l, i]
    np.testing.assert_allclose(hessian(logdet_)(a), -np.einsum("jk,li->ijkl", inv, inv),
                               1e-8, 1e-10)


# --- refused at generation ----------------------------------------------------------


def svd_default(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u * u[:1, :])


def svd_values_default(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s)


def svd_hermitian(a):
    return np.sum(np.linalg.svd(a, compute_uv=False, hermitian=True))


def svd_varied_compute_uv(a, flag):
    return np.sum(np.linalg.svd(a, compute_uv=flag))


def qr_complete(a):
    q, r = np.linalg.qr(a, mode="complete")
    return np.sum(q)


def cholesky_upper(a):
    return np.sum(np.linalg.cholesky(a, upper=True))


def pinv_hermitian(a):
    return np.sum(np.linalg.pinv(a, hermitian=True))


def eig_general(a):
    w, v = np.linalg.eig(a)
    return np.sum(w)


@pytest.mark.parametrize("fn, args, words", [
    (svd_default, (normal(3, 3),), "np.linalg.svd with full_matrices=True"),
    (svd_hermitian, (normal(3, 3),), "np.linalg.svd with hermitian=True"),
    (svd_varied_compute_uv, (normal(3, 3), True), "np.linalg.svd with compute_uv not"),
    (qr_complete, (normal(3, 3),), "np.linalg.qr with mode='complete'"),
    (cholesky_upper, (spd(3),), "np.linalg.cholesky with upper=True"),
    (pinv_hermitian, (spd(3),), "np.linalg.pinv with hermitian=True"),
    (eig_general, (spd(3),), "np.linalg.eig"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused_with_a_located_error(fn, args, words):
    with pytest.raises(S2SDiffError, match=r"test_rules_linalg.py:\d+:\d+: ") as error:
        grad(fn)(*args)
    assert words in str(error.value)


def test_singular_values_of_a_default_svd_are_differentiated():
    a = normal(3, 3)
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(grad(svd_values_default)(a), u @ vh, 1e-10, 1e-12)


def _scalar(fn):
    def total(a):
        return np.sum(fn(a) * fn(a))

    return total


@pytest.mark.parametrize("fn, arg", [
    (weighted_eigenvalues, spd(3)), (_scalar(pinv_), normal(3, 2)),
    (_scalar(r_), normal(3, 3)), (_scalar(singular_values), normal(3, 2)),
], ids=["eigvalsh", "pinv", "qr", "svd"])
def test_hessians_of_decompositions_are_refused_with_a_located_error(fn, arg):
    with pytest.raises(S2SDiffError, match=r"test_rules_linalg.py:\d+:\d+: no derivative rule "
                                           r"for _\w+_vjp"):
        hessian(fn)(arg)


def qr_returned(a):
    return np.linalg.qr(a)


def test_a_tuple_result_returned_whole():
    a = normal(4, 3)
    check(lambda_sum_qr, [a])
    value = jacobian(qr_returned, mode="reverse")(a)
    assert [np.shape(v) for v in value] == [(4, 3, 4, 3), (3, 3, 4, 3)]


def lambda_sum_qr(a):
    q, r = qr_returned(a)
    return np.sum(q * np.arange(3.0)) + np.sum(r * r)


def test_differentiating_a_gradient_again_reads_helpers_by_their_rules_not_their_source():
    """``jacobian(grad(f))`` through ``np.linalg.eigvalsh``: the gradient calls a helper
    that has no JVP rule; its source is s2sdiff's, never inlined (through cholesky, that
    gave "method `.upper(...)`" located in rules/linalg.py)."""
    with pytest.raises(NoRuleError, match=r"no derivative rule for _\w+"):
        jacobian(grad(weighted_eigenvalues))(spd(3))
