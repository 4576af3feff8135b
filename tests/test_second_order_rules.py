"""Hessians through the helpers of reverse code that have a JVP rule of their own:
``np.prod`` (``_prod_others``, zeros included), ``np.linalg.solve`` with a vector
or a matrix right-hand side (``_solve_vjp``), ``np.linalg.matrix_power`` of
positive, zero and negative powers (``_matrix_power_vjp``), ``np.linalg.cholesky``
(``_cholesky_vjp``), and code joining lists
(``_zeros_of`` is a constant): against central differences of the gradient."""

import numpy as np
import pytest

import s2sdiff
from tests.fd import fd_argument_jacobian


def product(x):
    return np.prod(x)


def products_along_axes(X):
    return np.sum(np.prod(X, axis=0) * np.prod(X, axis=1)[:2])


def solved(A, b):
    return np.sum(np.linalg.solve(A, b) ** 2)


def solved_cubed(A, B):
    return np.sum(np.linalg.solve(A, B) ** 3)


def powered(A, n):
    return np.sum(np.linalg.matrix_power(A, n) ** 2)


def factored(B):
    L = np.linalg.cholesky(B @ B.T + np.eye(B.shape[0]))
    return np.sum(L ** 3) + np.sum(np.log(np.diag(L)))


def kernel_width(ell, X):
    d = X[:, None, :] - X[None, :, :]
    K = np.exp(-0.5 * np.sum(d ** 2, axis=2) / ell ** 2) + 0.1 * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    return np.sum(np.log(np.diag(L))) + np.sum(L ** 2)


A = np.array([[2.0, 0.3, 0.1], [0.2, 3.0, 0.4], [0.1, 0.5, 4.0]])
CASES = [
    (factored, (0.5 * A,), 0),
    (kernel_width, (1.3, np.array([[0.1, 0.5], [-0.4, 1.0], [0.8, -0.2]])), 0),
    (powered, (0.3 * A, 3), 0),
    (powered, (0.3 * A, 1), 0),
    (powered, (0.3 * A, 0), 0),
    (powered, (0.3 * A, -2), 0),
    (product, (np.array([0.5, 0.7, 1.2, 0.0]),), 0),
    (product, (np.array([0.5, -0.7, 1.2, 2.0]),), 0),
    (products_along_axes, (np.array([[0.5, 0.7], [1.2, 0.3]]),), 0),
    (solved, (A, np.array([0.3, -0.2, 0.9])), 0),
    (solved, (A, np.array([0.3, -0.2, 0.9])), 1),
    (solved_cubed, (A, np.array([[0.3, 1.0], [-0.2, 0.5], [0.9, 0.1]])), 0),
    (solved_cubed, (A, np.array([[0.3, 1.0], [-0.2, 0.5], [0.9, 0.1]])), 1),
]


@pytest.mark.parametrize("f, args, w", CASES, ids=[f"{c[0].__name__}-{c[2]}-{i}"
                                                   for i, c in enumerate(CASES)])
def test_hessian_matches_differences_of_the_gradient(f, args, w):
    got = s2sdiff.hessian(f, wrt=w)(*args)
    want = fd_argument_jacobian(s2sdiff.grad(f, wrt=w), args, w)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
