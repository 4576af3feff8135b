"""``np.convolve``, ``np.correlate`` (every mode, either argument the longer),
``np.polyval`` and ``np.polyder`` (``rules/signal.py``): gradients in both modes
and Hessians against central differences, shapes included."""

import numpy as np
import pytest

import s2sdiff
from tests.fd import assert_gradients_match_fd, fd_argument_jacobian


def convolved(a, v):
    return np.sum(np.sin(np.convolve(a, v)) * np.convolve(a, v, mode="same")[0])


def convolved_valid(a, v):
    return np.sum(np.convolve(a, v, "valid") ** 3) + np.sum(np.convolve(a, v, "same") ** 2)


def correlated(a, v):
    return np.sum(np.correlate(a, v, "full") ** 2) + np.sum(np.correlate(a, v) ** 3)


def correlated_same(a, v):
    return np.sum(np.sin(np.correlate(a, v, mode="same")))


def polynomial(p, x):
    return np.sum(np.polyval(p, x) ** 2)


def derived_polynomials(p, x):
    return np.sum(np.polyval(np.polyder(p, 2), x) ** 2) + np.sum(np.polyder(p) ** 2)


LENGTHS = [(5, 3), (3, 5), (4, 4), (2, 6), (6, 4), (4, 5), (1, 3)]
CASES = [(f, n, m) for f in (convolved, convolved_valid, correlated, correlated_same)
         for n, m in LENGTHS]
CASES += [(polynomial, 4, (2, 3)), (polynomial, 1, 3), (polynomial, 3, ()),
          (derived_polynomials, 5, 3), (derived_polynomials, 2, 3)]


def _args(n, m):
    rng = np.random.default_rng(n * 10 + (m if isinstance(m, int) else len(m)))
    second = rng.normal(size=m) if m != () else 0.7
    return [rng.normal(size=n), second]


@pytest.mark.parametrize("f, n, m", CASES)
def test_gradients_match_finite_differences(f, n, m):
    assert_gradients_match_fd(f, _args(n, m), (0, 1), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f, n, m", CASES[::3] + CASES[-5:])
@pytest.mark.parametrize("w", [0, 1])
def test_hessians_match_differences_of_the_gradient(f, n, m, w):
    args = _args(n, m)
    got = s2sdiff.hessian(f, wrt=w)(*args)
    want = fd_argument_jacobian(s2sdiff.grad(f, wrt=w), args, w)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def convolved_raw(a, v):
    return np.convolve(a, v, mode="same")


def correlated_raw(a, v):
    return np.correlate(a, v, "full")


def polynomial_raw(p, x):
    return np.polyval(p, x)


@pytest.mark.parametrize("f, n, m", [(convolved_raw, 5, 3), (convolved_raw, 2, 6),
                                     (correlated_raw, 4, 5), (polynomial_raw, 4, (2, 3))])
@pytest.mark.parametrize("w", [0, 1])
def test_jacobians_have_jax_shapes_and_match_finite_differences(f, n, m, w):
    args = _args(n, m)
    want = fd_argument_jacobian(f, args, w)
    for transform in (s2sdiff.jacfwd, s2sdiff.jacrev):
        got = transform(f, wrt=w)(*args)
        assert np.shape(got) == np.shape(f(*args)) + np.shape(args[w])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
