"""``scipy.linalg.cholesky`` (upper and lower factors) and
``scipy.linalg.solve_triangular`` (lower/upper, transposed, unit diagonal, vector
and matrix right-hand sides, a matrix that is not triangular: only its triangle
is read), in both modes against finite differences; a Gaussian process's
negative log likelihood through both."""

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.linalg import solve_triangular

import s2sdiff
from tests.fd import assert_gradients_match_fd, fd_argument_jacobian


def upper_factor(A):
    U = sla.cholesky(A @ A.T + np.eye(A.shape[0]))
    return np.sum(U ** 3) + np.sum(np.log(np.diag(U)))


def lower_factor(A):
    return np.sum(np.sin(sla.cholesky(A @ A.T + np.eye(A.shape[0]), lower=True)))


def solved(A, b):
    return np.sum(solve_triangular(A, b) ** 2)


def solved_transposed_lower(A, b):
    return np.sum(np.sin(solve_triangular(A, b, trans="T", lower=True)))


def solved_unit_diagonal(A, B):
    return np.sum(solve_triangular(A, B, lower=True, unit_diagonal=True) ** 2)


def solved_transposed(A, B):
    return np.sum(solve_triangular(A, B, trans=1) ** 3)


def gaussian_process(ell, X, y):
    d = X[:, None, :] - X[None, :, :]
    K = np.exp(-0.5 * np.sum(d ** 2, axis=2) / ell ** 2) + 0.1 * np.eye(X.shape[0])
    L = sla.cholesky(K, lower=True)
    z = sla.solve_triangular(L, y, lower=True)
    return 0.5 * z @ z + np.sum(np.log(np.diag(L)))


RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 3))
UPPER, LOWER = np.triu(A) + 3.0 * np.eye(3), np.tril(A) + 3.0 * np.eye(3)
CASES = [
    (upper_factor, [A]),
    (lower_factor, [A]),
    (solved, [UPPER + 0.3 * RNG.normal(size=(3, 3)), RNG.normal(size=3)]),
    (solved_transposed_lower, [LOWER, RNG.normal(size=3)]),
    (solved_unit_diagonal, [LOWER, RNG.normal(size=(3, 2))]),
    (solved_transposed, [UPPER, RNG.normal(size=(3, 2))]),
    (gaussian_process, [1.3, RNG.normal(size=(4, 2)), RNG.normal(size=4)]),
]


@pytest.mark.parametrize("f, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradients_match_finite_differences(f, args):
    assert_gradients_match_fd(f, args, tuple(range(len(args))), rtol=1e-5, atol=1e-6)


def test_the_gaussian_process_gradient_is_specialised_to_its_arguments():
    """The abstract values go through ``np.eye`` of a run-time size and the adjoints of
    both SciPy calls: no run-time broadcasting helpers are left."""
    X, y = np.ones((4, 2)), np.ones(4)
    source = s2sdiff.grad(gaussian_process, wrt=(0, 1, 2)).specialised(1.3, X, y).source
    assert "_unbroadcast(" not in source and "_scatter_add(" not in source, source
    assert "_lower_cholesky_vjp(" in source and "_solve_triangular_vjp(" in source


@pytest.mark.parametrize("f, args, w", [(f, args, w) for f, args in CASES for w in (0, 1)
                                         if w < len(args) and f is not gaussian_process])
def test_hessians_match_differences_of_the_gradient(f, args, w):
    got = s2sdiff.hessian(f, wrt=w)(*args)
    want = fd_argument_jacobian(s2sdiff.grad(f, wrt=w), args, w)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def solved_raw(A, B):
    return solve_triangular(A, B, trans=1)


def factor_raw(A):
    return sla.cholesky(A @ A.T + np.eye(3), lower=True)


@pytest.mark.parametrize("f, args, w", [(solved_raw, (UPPER, RNG.normal(size=(3, 2))), 0),
                                        (solved_raw, (UPPER, RNG.normal(size=(3, 2))), 1),
                                        (factor_raw, (A,), 0)])
def test_jacobians_have_jax_shapes_and_match_finite_differences(f, args, w):
    want = fd_argument_jacobian(f, args, w)
    for transform in (s2sdiff.jacfwd, s2sdiff.jacrev):
        got = transform(f, wrt=w)(*args)
        assert np.shape(got) == np.shape(f(*args)) + np.shape(args[w])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
