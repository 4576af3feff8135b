"""Functions passed as arguments (a solver taking ``f`` and its gradient): code is
generated for each function passed, as JAX's ``static_argnums``, and calls (or
inlines) it as a function of the module; checked against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jvp, value_and_grad
from tests.fd import assert_grad_close


def bump(x, a):
    return a * math.sin(x) + x ** 2


def spiral(x, a):
    s = x
    for i in range(3):
        s = s * a + math.cos(s)
    return s


def integrate(f, x, a, n):
    s = 0.0
    for i in range(n):
        s = s + f(x + 0.1 * i, a)
    return s


@pytest.mark.parametrize("f", [bump, spiral], ids=["inlined", "called"])
def test_each_function_passed_gets_its_derivative(f):
    fixed = lambda x, a, n: integrate(f, x, a, n)  # noqa: E731
    g = grad(integrate, wrt=(1, 2))
    for point in [(0.3, 1.2, 5), (-0.7, 0.4, 3)]:
        assert_grad_close(fixed, lambda x, a, n: g(f, x, a, n), point, (0, 1))
    value, gv = value_and_grad(integrate, wrt=(1, 2))(f, 0.3, 1.2, 5)
    assert value == pytest.approx(integrate(f, 0.3, 1.2, 5))
    assert gv == pytest.approx(g(f, 0.3, 1.2, 5), rel=1e-12)
    _, tangent = jvp(integrate, wrt=(1, 2))(f, 0.3, 1.2, 5, (1.0, 0.0))
    assert tangent == pytest.approx(g(f, 0.3, 1.2, 5)[0], rel=1e-10)
    h = hessian(integrate, wrt=(1, 2))(f, 0.3, 1.2, 5)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-8)


def test_the_code_calls_the_function_passed():
    g = grad(integrate, wrt=(1, 2))
    assert "fwd_spiral(" in g.specialised(spiral, 0.3, 1.2, 5).source
    assert "math.sin" in g.specialised(bump, 0.3, 1.2, 5).source  # a small one, inlined


def loss(w, X, y):
    return np.mean((X @ w - y) ** 2)


def loss_gradient(w, X, y):
    return 2.0 * X.T @ (X @ w - y) / len(y)


def descend(f, df, w, X, y, lr):
    for i in range(3):
        w = w - lr * df(w, X, y)
    return f(w, X, y)


def test_a_solver_taking_a_loss_and_its_gradient():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    dloss = loss_gradient
    g = grad(descend, wrt=5)(loss, dloss, w, X, y, 0.1)
    h = 1e-6
    fd = (descend(loss, dloss, w, X, y, 0.1 + h) - descend(loss, dloss, w, X, y, 0.1 - h)) / (2 * h)
    assert g == pytest.approx(fd, rel=1e-6)
    gw = grad(descend, wrt=2)(loss, dloss, w, X, y, 0.1)
    fdw = [(descend(loss, dloss, w + h * e, X, y, 0.1)
            - descend(loss, dloss, w - h * e, X, y, 0.1)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(gw, fdw, rtol=1e-6)


def test_what_is_not_a_function_or_is_differentiated_is_refused():
    g = grad(integrate, wrt=(1, 2))
    with pytest.raises(S2SDiffError, match=r"test_passed_functions.py:\d+.*call of the parameter f"):
        g(1.0, 0.3, 1.2, 5)
    with pytest.raises(S2SDiffError, match="f is a function passed as an argument"):
        grad(integrate, wrt=0)(bump, 0.3, 1.2, 5)
