"""Transforms of a gradient, composed in IR: ``grad(grad(f))``, ``jvp(grad(f))``,
``jacobian(grad(f))`` (either mode) are forward mode over the reverse emitter's
gradient, as ``hessian`` is, without reading the gradient's generated text.

Each is checked against central differences of the first derivative, shapes
included, on code whose generated gradient the front end would not take back:
lists that are appended to (the gradient pops them), stacks of arrays,
broadcasting (the generic gradient calls ``_unbroadcast``), calls of helpers
and a ``while`` loop.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacfwd, jacobian, jacrev, jvp, value_and_grad
from tests.fd import fd_argument_jacobian


def appended(x, a):
    ys = []
    y = x
    for i in range(4):
        y = math.sin(y * a) + 0.3 * x
        ys.append(y)
    return sum(ys)


def stacked(x, w):
    hs = [x]
    for i in range(3):
        hs.append(np.tanh(hs[-1] * w + 0.1))
    return np.sum(np.stack(hs) ** 2)


def broadcast(x, a):
    return np.sum(np.tanh(x * a) ** 2) + a * np.sum(x)


def _scaled(u, v):
    return u * np.exp(v)


def helpers(x, a):
    return np.sum(_scaled(x, a) * _scaled(a, x))


def until_large(x, a):
    y = x
    k = 0
    while y < 8.0 and k < 30:
        y = y * 1.3 + a * math.sin(y)
        k += 1
    return y * a


CASES = [
    pytest.param(appended, (0.4, 0.7), id="appended"),
    pytest.param(stacked, (np.array([0.3, -0.5, 0.8]), 0.9), id="stacked"),
    pytest.param(broadcast, (np.array([[0.3, -0.5], [0.2, 0.6]]), 0.7), id="broadcast"),
    pytest.param(helpers, (np.array([0.3, -0.5]), 0.4), id="helpers"),
    pytest.param(until_large, (0.5, 0.8), id="while"),
]


def _close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn, args", CASES)
@pytest.mark.parametrize("inner", [0, 1])
@pytest.mark.parametrize("outer", [0, 1])
def test_jacobians_of_a_gradient(fn, args, inner, outer):
    first = grad(fn, wrt=inner)
    want = fd_argument_jacobian(first, args, outer)
    for transform in (jacobian, jacfwd, jacrev):
        second = transform(first, wrt=outer)
        _close(second(*args), want)
        assert second.mode == "forward"


@pytest.mark.parametrize("fn, args", CASES)
@pytest.mark.parametrize("inner", [0, 1])
def test_jvp_of_a_gradient(fn, args, inner):
    first = grad(fn, wrt=inner)
    tangent = np.cos(np.arange(np.size(args[0])) + 1.0).reshape(np.shape(args[0]))
    tangent = tangent if np.shape(args[0]) else float(tangent)
    value, directional = jvp(first, wrt=0)(*args, tangent)
    _close(value, first(*args))
    block = fd_argument_jacobian(first, args, 0)
    axes = np.ndim(args[0])
    _close(directional, np.tensordot(block, tangent, axes=axes) if axes else block * tangent)


@pytest.mark.parametrize("fn, args", CASES)
def test_grad_of_a_gradient_of_a_number(fn, args):
    first = grad(fn, wrt=1)  # the second argument is a number: its gradient is one
    for outer in (0, 1):
        second = grad(first, wrt=outer)
        _close(second(*args), fd_argument_jacobian(first, args, outer))


@pytest.mark.parametrize("fn, args", CASES)
def test_it_equals_the_hessian(fn, args):
    by_composition = jacobian(grad(fn, wrt=(0, 1)), wrt=(0, 1))(*args)
    by_hessian = hessian(fn, wrt=(0, 1))(*args)
    for row_got, row_want in zip(by_composition, by_hessian):
        for got, want in zip(row_got, row_want):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_jvp_of_value_and_grad():
    args = (np.array([0.3, -0.5, 0.8]), 0.9)
    (value, gradient), (value_dot, gradient_dot) = jvp(value_and_grad(stacked))(
        *args, np.ones(3))
    assert value == pytest.approx(stacked(*args))
    _close(gradient, grad(stacked)(*args))
    assert value_dot == pytest.approx(float(np.sum(grad(stacked)(*args))))
    _close(gradient_dot, fd_argument_jacobian(grad(stacked), args, 0) @ np.ones(3))


def test_the_composed_module_is_written_from_ir():
    """Its code is forward mode over the gradient's IR: the tape carries tangents,
    and nothing of the generic gradient's text (its helpers) is in it."""
    block = jacobian(grad(broadcast))(np.ones((2, 2)), 0.5)
    code = jacobian(grad(broadcast)).specialised(np.ones((2, 2)), 0.5).source
    assert np.shape(block) == (2, 2, 2, 2)
    assert "_unbroadcast" not in code and "def batched_jvp_grad_broadcast" in code
    tape = grad(grad(appended, wrt=1)).source
    assert "_tape.append((y, y_dot))" in tape


def test_grad_of_a_gradient_that_is_an_array_is_refused():
    """As JAX: grad needs one number; the gradient with respect to an array is one
    (the abstract values of the helpers in its IR are known before any code is
    specialised)."""
    with pytest.raises(S2SDiffError, match="grad needs a function returning one number"):
        grad(grad(broadcast))(np.array([[0.3, -0.5], [0.2, 0.6]]), 0.7)
