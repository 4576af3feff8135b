"""JAX's conventions: ``has_aux``, ``argnums`` and ``stop_gradient``, against finite
differences and against the plain transforms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2sdiff import (
    S2SDiffError, grad, hessian, jacfwd, jacobian, jacrev, jvp, stop_gradient, value_and_grad,
    vjp,
)
from tests.test_arrays import assert_block, fd_jacobian


def least_squares(w, X, y):
    r = X @ w - y
    penalty = 0.0
    for i in range(w.shape[0]):
        penalty = penalty + w[i] ** 2
    return np.sum(r ** 2) + 0.1 * penalty, (r, penalty)


def carried(x, y):
    s = x
    for _ in range(3):
        s = math.sin(s) * y  # s is taken back from the tape by the reverse sweep
    return s * 2.0, s


ARGS = (np.array([0.5, -0.2, 0.1]), np.arange(12.0).reshape(4, 3) / 10, np.ones(4))


def loss_only(w, X, y):
    return least_squares(w, X, y)[0]


def test_grad_and_value_and_grad_with_aux():
    g, (r, penalty) = grad(least_squares, has_aux=True)(*ARGS)
    assert_block(g, fd_jacobian(loss_only, ARGS, 0))
    np.testing.assert_allclose(r, ARGS[1] @ ARGS[0] - ARGS[2])
    assert penalty == pytest.approx(0.30)
    (value, aux), g2 = value_and_grad(least_squares, has_aux=True)(*ARGS)
    assert value == pytest.approx(loss_only(*ARGS)) and aux[1] == pytest.approx(0.30)
    np.testing.assert_allclose(g2, g)


def test_the_aux_is_the_final_value_of_a_name_the_reverse_sweep_reuses():
    (value, aux), (gx, gy) = value_and_grad(carried, wrt=(0, 1), has_aux=True)(0.7, 1.3)
    assert (value, aux) == carried(0.7, 1.3)
    assert gx == pytest.approx(fd_jacobian(lambda x, y: carried(x, y)[0], (0.7, 1.3), 0))
    assert gy == pytest.approx(fd_jacobian(lambda x, y: carried(x, y)[0], (0.7, 1.3), 1))


def test_vjp_and_jacobian_with_aux():
    out, pullback, aux = vjp(least_squares, has_aux=True)(*ARGS)
    assert out == pytest.approx(loss_only(*ARGS)) and aux[1] == pytest.approx(0.30)
    assert_block(pullback(1.0), fd_jacobian(loss_only, ARGS, 0))
    for transform in (jacobian, jacfwd, jacrev):
        J, aux = transform(least_squares, has_aux=True)(*ARGS)
        assert_block(J, fd_jacobian(loss_only, ARGS, 0))
        assert aux[1] == pytest.approx(0.30)


def test_has_aux_needs_a_pair():
    with pytest.raises(S2SDiffError, match="must return a pair"):
        grad(loss_only, has_aux=True)(*ARGS)
    with pytest.raises(S2SDiffError, match="with has_aux"):
        grad(least_squares, has_aux=True, mode="forward")


def two(x, y):
    return x * x * y + math.cos(y)


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1,), [0, 1]], ids=str)
def test_argnums_is_wrt(argnums):
    wrt = tuple(argnums) if isinstance(argnums, list) else argnums
    assert grad(two, argnums=argnums)(1.5, 0.5) == grad(two, wrt=wrt)(1.5, 0.5)
    assert hessian(two, argnums=argnums)(1.5, 0.5) == hessian(two, wrt=wrt)(1.5, 0.5)
    assert jacobian(two, argnums=argnums)(1.5, 0.5) == jacobian(two, wrt=wrt)(1.5, 0.5)


def test_wrt_and_argnums_together_are_refused():
    with pytest.raises(S2SDiffError, match="not both"):
        grad(two, wrt=1, argnums=0)


def stopped(x, y):
    return x * stop_gradient(x * y) + math.sin(y)


def stopped_arrays(w, X):
    z = X @ w
    return np.sum(z * stop_gradient(np.tanh(z)))


def test_no_derivative_flows_through_stop_gradient():
    assert grad(stopped, wrt=(0, 1))(2.0, 3.0) == (6.0, pytest.approx(math.cos(3.0)))
    assert jvp(stopped, wrt=(0, 1))(2.0, 3.0, (1.0, 0.0))[1] == 6.0
    assert hessian(stopped, wrt=(0, 1))(2.0, 3.0)[0][0] == 0.0
    w, X = np.array([0.5, -0.2]), np.array([[1.0, 2.0], [0.3, 0.1]])
    np.testing.assert_allclose(grad(stopped_arrays)(w, X), X.T @ np.tanh(X @ w))
    np.testing.assert_allclose(jacobian(grad(stopped_arrays))(w, X), np.zeros((2, 2)))
    assert "\ndef stop_gradient(x):" in grad(stopped).source  # no import of s2sdiff


def sine_weights(x, w):
    return np.sum(np.sin(x) * w)


def test_the_gradient_of_a_0d_array_is_a_0d_array():
    """As JAX: a 0-D array's gradient is a 0-D array of its dtype, not a NumPy scalar."""
    for dtype in (np.float64, np.float32):
        x = np.array(0.5, dtype=dtype)
        gx, gw = grad(sine_weights, argnums=(0, 1))(x, np.ones(3))
        assert type(gx) is np.ndarray and gx.shape == () and gx.dtype == dtype
        assert float(gx) == pytest.approx(3 * np.cos(0.5), rel=1e-6)
        _, gx = value_and_grad(sine_weights)(x, np.ones(3))
        assert type(gx) is np.ndarray and gx.shape == ()


def soft(x):
    return np.tanh(x) * 2.0 + x ** 2


def test_elementwise_grad_as_autograd():
    """The vjp with a cotangent of ones: the diagonal of an elementwise function's
    Jacobian, for arrays and numbers."""
    from s2sdiff import elementwise_grad

    x = np.linspace(-1.0, 1.5, 5)
    np.testing.assert_allclose(elementwise_grad(soft)(x), 2.0 * (1 - np.tanh(x) ** 2) + 2 * x,
                               rtol=1e-12)
    np.testing.assert_allclose(elementwise_grad(soft)(x), np.diag(jacfwd(soft)(x)), rtol=1e-12)
    assert elementwise_grad(soft)(0.3) == pytest.approx(2.0 * (1 - math.tanh(0.3) ** 2) + 0.6)


def test_forward_mode_gradient_of_float32_is_float32():
    """As reverse mode: the gradient has the input's dtype where the computation promotes."""
    x32 = np.linspace(0.1, 1.0, 3).astype(np.float32)
    g = grad(sine_weights, mode="forward")(x32, np.ones(3))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.cos(x32.astype(float)), rtol=1e-6)
    gx, gw = grad(sine_weights, wrt=(0, 1), mode="forward")(x32, np.ones(3))
    assert gx.dtype == np.float32 and gw.dtype == np.float64
