"""Crashes found while giving Hessians to functions that build lists, each checked
against finite differences (values and shapes).

A: the zero tangent of an array appended to a list was the number 0.0, which array
   rules do not take (``hs_dot[0] @ x``: matmul of a 0-d operand), in jvp as in
   Hessians.
B: the same for an array item of a list display (``acts_dot = [0.0]``).
C: with ``jit=True``, a stack the user pops and its adjoint were split into one tape
   per kind of record, under the pushed names, which pops of other names did not
   find (NameError: ``stack_bar``): grad and hessian failed.
D: an adjoint that starts as ``np.zeros_like(x)`` (a value read only where a branch
   runs, or an array written row by row) had the tangent 0.0, which ``_setitem``
   and ``_unbroadcast`` of a value with a length-1 dimension cannot take
   (IndexError): the Hessian of bench_adbench's lstm_objective_array crashed, and
   of seed 1799 of the array fuzzer (checked with its Hessian, on a list program).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jvp
from tests.test_arrays import assert_block, fd_jacobian


def appended_constant(x, W):  # A
    hs = []
    hs.append(W)
    hs.append(x)
    a = hs[0] @ x
    return np.sum(np.sum(hs[0], axis=0) * a * hs[1])


def display_of_an_input(x, W):  # B
    acts = [x]
    for k in range(2):
        acts.append(np.tanh(W[k] @ acts[-1]))
    return np.sum(acts[-1] * acts[0])


@pytest.mark.parametrize("f", [appended_constant, display_of_an_input],
                         ids=lambda f: f.__name__)
def test_a_zero_tangent_of_an_array_in_a_list_has_its_shape(f):
    rng = np.random.default_rng(0)
    x = rng.normal(size=3)
    W = rng.normal(size=(2, 3, 3)) if f is display_of_an_input else rng.normal(size=(3, 3))
    for wrt in (0, 1):
        t = rng.normal(size=np.shape((x, W)[wrt]))
        _, got = jvp(f, wrt=wrt)(x, W, t)
        want = np.tensordot(fd_jacobian(f, (x, W), wrt), t, axes=t.ndim)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    blocks = hessian(f, wrt=(0, 1))(x, W)
    for a in (0, 1):
        for b in (0, 1):
            g = grad(f, wrt=a)
            assert_block(blocks[a][b], fd_jacobian(g, (x, W), b), rtol=1e-4, atol=1e-5)


def stack_user(x, y):  # C
    stack = []
    t = x
    for i in range(3):
        stack.append(t)
        t = math.sin(t * y)
    s = 0.0
    for k in range(2):
        u = stack.pop()
        s = s + u * t
    for v in reversed(stack):
        s = s * 0.5 + v * v
    return s


def test_numba_keeps_a_users_stack_whole():
    pytest.importorskip("numba")
    point = (0.7, 1.3)
    np.testing.assert_allclose(grad(stack_user, wrt=(0, 1), jit=True)(*point),
                               grad(stack_user, wrt=(0, 1))(*point), rtol=1e-12)
    np.testing.assert_allclose(hessian(stack_user, wrt=(0, 1), jit=True)(*point),
                               hessian(stack_user, wrt=(0, 1))(*point), rtol=1e-12)


def branch_never_taken(y):  # D (seed 1799, shrunk)
    acc = y
    for k in range(1):
        acc = 0.5 * acc + np.sin(y[:1] @ y)
    w = np.ones(3)
    for i in range(1, 2):
        if i % 2 == 0:
            w[i] = np.tanh(acc[i].sum())
    return np.sum(w) + np.sum(y * y)


def _cell(h, c, x):
    c = c * np.tanh(x) + np.tanh(h)
    return np.tanh(c) * x, c


def rows_written(x, state):  # D (lstm_objective_array's shape)
    state = np.copy(state)
    total = 0.0
    for t in range(2):
        for i in range(2):
            h, c = _cell(state[2 * i], state[2 * i + 1], x)
            state[2 * i] = h
            state[2 * i + 1] = c
            x = h
        total = total + np.sum(x * x)
    return total


@pytest.mark.parametrize("f, args", [
    (branch_never_taken, (np.array([[0.3, -0.6], [1.1, 0.4]]),)),
    (rows_written, (np.array([0.3, -0.6, 0.8]), np.linspace(-1.0, 1.0, 12).reshape(4, 3))),
], ids=["branch_never_taken", "rows_written"])
def test_a_zero_adjoint_buffer_has_a_tangent_of_its_shape(f, args):
    blocks = hessian(f, wrt=tuple(range(len(args))))(*args)
    for a in range(len(args)):
        g = grad(f, wrt=a)
        for b in range(len(args)):
            assert_block(blocks[a][b], fd_jacobian(g, args, b), rtol=1e-4, atol=1e-5)


def twice(x, y):
    return math.sin(x) * y


@pytest.mark.parametrize("transform", [
    lambda: hessian(twice, wrt=(0, 0))(0.5, 2.0),
    lambda: jvp(twice, wrt=(0, 0))(0.5, 2.0, (1.0, 1.0)),
    lambda: grad(twice, wrt=(0, 0), mode="forward")(0.5, 2.0),
])
def test_forward_mode_refuses_a_parameter_named_twice(transform):
    """(Found on the way: the generated function had two parameters ``x_dot``, a
    SyntaxError, and jvp silently used one of the two tangents.)"""
    with pytest.raises(S2SDiffError, match="wrt names x twice"):
        transform()
