"""Hessians of functions that build lists with ``append`` or use them as stacks.

The Hessian is forward mode over the gradient.  The gradient of such a function
pops the list in its reverse sweep (``hs.pop()``), keeps an adjoint list
(``hs_bar = [0.0] * len(hs)``) that reads of items add to (``hs_bar[i] += g``) and
appends undo (``h_bar = hs_bar.pop()``), and a stack's adjoint is a stack too.
Forward mode gives each list and adjoint list a tangent list kept in step with
it, and carries a stack's tangents beside its values.  Each Hessian is checked
against central differences of the reverse gradient, shapes included (JAX's:
f: S_in → scalar gives S_in + S_in), on numbers and on arrays (code for the
arguments' abstract values).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import s2sdiff
from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, vjp
from tests.fd import fd_argument_jacobian

# ------------------------------------------------------------------ scalar code


def lstm_cells(x, y):
    """An LSTM-like loop over per-layer state lists: reads ``hs[-2]``, ``cs[-1]``, ``hs[i]``."""
    hs = [x, y]
    cs = []
    cs.append(y)
    for t in range(3):
        for i in range(2):
            c = cs[-1] * math.sin(hs[-2] * y) + x * hs[i]
            cs.append(c)
            hs.append(math.tanh(c) * y)
    return hs[-1] * hs[-2] + cs[2]


def read_back(x, y):
    hs = []
    hs.append(x)
    for t in range(4):
        hs.append(math.tanh(hs[-1] * y + 0.3 * x))
    total = 0.0
    for i in range(len(hs)):
        total = total + hs[i] * hs[i]
    return total + hs[-1]


def appends_in_branches(x, y):
    hs = [x]
    for t in range(5):
        if hs[-1] > 0.2:
            hs.append(math.sin(hs[-1] * y))
        else:
            hs.append(hs[-1] * x + y)
    return sum(hs) * hs[-1]


def stack_in_while(x, y):
    """Appends in a while loop, then a stack emptied by another, popping in a branch."""
    hs = []
    h = x
    while len(hs) < 4:
        h = math.tanh(h * y + x)
        hs.append(h)
    stack = []
    for v in hs:
        stack.append(v * v)
    s = 0.0
    while len(stack) > 0:
        v = stack.pop()
        if v > 0.1:
            s = s + v * y
        else:
            s = s * x
    return s + hs[2]


def stack_walk(x, y):
    stack = []
    t = x
    for i in range(4):
        stack.append(t)
        t = math.sin(t * y) + 0.5 * t
    s = 0.0
    for k in range(2):
        u = stack.pop()
        s = s + u * t
    for v in reversed(stack):
        s = s * 0.9 + v * v
    return s


def _run(x, y):
    hs = []
    hs.append(x)
    for t in range(3):
        hs.append(math.tanh(hs[-1] * y + x))
    return hs[-1] * hs[1]


def callee_appends(x, y):
    """A helper that appends, kept a call (its vjp, then the jvp of that vjp)."""
    return _run(x, y) * x + _run(y, x)


SCALAR = [lstm_cells, read_back, appends_in_branches, stack_in_while, stack_walk, callee_appends]
POINTS = [(0.7, -0.4), (0.6, 0.8)]


def _fd_hessian(f, args, wrt, h=1e-5):
    """∂(∂f/∂args[wrt])/∂args[wrt] by central differences of the reverse gradient."""
    return fd_argument_jacobian(grad(f, wrt=wrt), args, wrt, h)


def _fd_scalar_hessian(f, point, h=1e-5):
    """The 2×2 Hessian of ``f`` by central differences of its reverse gradient."""
    g = grad(f, wrt=(0, 1))
    return np.stack([fd_argument_jacobian(lambda *a: np.array(g(*a)), point, j, h)
                     for j in range(2)], axis=1)


def _close(got, want, rtol=1e-6):
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-7 * max(1.0, np.max(np.abs(want))))


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_scalar_hessian_matches_finite_differences_of_the_gradient(f, point):
    got = hessian(f, wrt=(0, 1))(*point)
    assert all(isinstance(v, float) for row in got for v in row)
    _close(np.array(got), _fd_scalar_hessian(f, point))


def test_the_tangent_lists_are_kept_in_step_with_the_lists():
    source = s2sdiff.show(read_back, kind="hessian", wrt=(0, 1))
    assert "hs_dot.append(_t1_dot)" in source  # an append: its tangent beside it
    assert "hs_bar_dot = [0.0] * len(hs)" in source  # the adjoint list's tangent list
    assert "hs.pop()\n        hs_dot.pop()" in source  # the reverse of an append
    assert "_t1_bar_dot = hs_bar_dot.pop()" in source


def test_a_stack_carries_each_tangent_beside_its_value():
    source = s2sdiff.show(stack_walk, kind="hessian", wrt=(0, 1))
    assert "stack.append((t, t_dot))" in source
    assert "u, u_dot = stack.pop()" in source
    assert "stack_bar.append((u_bar, u_bar_dot))" in source  # the adjoint stack too
    assert "_adj1, _adj1_dot = stack_bar.pop()" in source


def test_numba_gives_the_hessians_python_gives():
    pytest.importorskip("numba")
    for f in (lstm_cells, stack_in_while, stack_walk):
        point = POINTS[1]
        got = hessian(f, wrt=(0, 1), jit=True)(*point)
        np.testing.assert_allclose(got, hessian(f, wrt=(0, 1))(*point), rtol=1e-12)


# ------------------------------------------------------------------- array code


def lstm_arrays(x, w, state):
    """The LSTM shape: per-layer state lists ``hs``, ``cs`` appended to, read at ``i``
    and at ``-1``."""
    hs = []
    cs = []
    for i in range(2):
        hs.append(state[i])
        cs.append(state[i + 2])
    out = []
    for t in range(3):
        inp = x * (t + 1.0)
        for i in range(2):
            c = cs[i] * np.tanh(w[0] * inp) + np.tanh(w[1] * hs[i])
            h = np.tanh(c) * w[2]
            hs.append(h)
            cs.append(c)
            inp = hs[-1]
        out.append(np.sum(inp * inp))
    return sum(out) + np.sum(cs[-1] * hs[3])


def layers(x, W, b):
    """Each layer's activations kept in a list (a display, then appends)."""
    acts = [x]
    for k in range(3):
        acts.append(np.tanh(W[k] @ acts[-1] + b[k]))
    loss = 0.0
    for k in range(len(acts)):
        loss = loss + np.sum(acts[k] * acts[-1])
    return loss


def joined(x, w):
    """Lists built in a loop, joined: ``np.stack``, ``np.concatenate`` and ``sum``."""
    parts = []
    for i in range(3):
        parts.append(np.sin(x * w[i]) * x)
    s = np.concatenate(parts)
    return np.sum(s * s) + np.sum(np.stack(parts, axis=-1) * x[:, None]) + np.sum(sum(parts) * x)


def stack_of_arrays(x, w):
    stack = []
    h = x
    for i in range(3):
        h = np.tanh(h * w[i] + x)
        stack.append(h)
    s = 0.0
    for v in reversed(stack):
        s = s * 0.5 + np.sum(v * h)
    return s


def straight_line(x, w):
    """Appends and pops with no loop: the batched form of the Hessian is looked for."""
    hs = []
    hs.append(x * w[0])
    hs.append(np.sin(x) * w[1])
    hs.append(hs[0] * hs[1])
    stack = []
    stack.append(hs[-1] * w[2])
    stack.append(np.cos(x) * hs[0])
    a = stack.pop()
    b = stack.pop()
    return np.sum(np.stack(hs) ** 2) + np.sum(a * b * a)


def _stacked(x, w):
    hs = []
    hs.append(x)
    for t in range(3):
        hs.append(np.tanh(hs[-1] * w[t] + x))
    return np.stack(hs)


def array_callee_appends(x, w):
    s = _stacked(x, w)
    return np.sum(s * s) + np.sum(_stacked(w, x)[-1])


def _args(f, seed):
    rng = np.random.default_rng(seed)
    if f is lstm_arrays:
        return rng.normal(size=3), 0.5 * rng.normal(size=3), rng.normal(size=(4, 3))
    if f is layers:
        return rng.normal(size=3), 0.5 * rng.normal(size=(3, 3, 3)), rng.normal(size=(3, 3))
    return rng.normal(size=3), rng.normal(size=3)


ARRAYS = [lstm_arrays, layers, joined, stack_of_arrays, straight_line, array_callee_appends]


@pytest.mark.parametrize("f", ARRAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("seed", [1, 2])
def test_array_hessian_matches_finite_differences_of_the_gradient(f, seed):
    args = _args(f, seed)
    for wrt in range(len(args)):
        got = np.asarray(hessian(f, wrt=wrt)(*args))
        assert got.shape == np.shape(args[wrt]) * 2
        _close(got, _fd_hessian(f, args, wrt), rtol=1e-5)


def test_array_hessians_of_several_inputs_nest_as_jax():
    args = _args(lstm_arrays, 3)
    blocks = hessian(lstm_arrays, wrt=(0, 2))(*args)
    gradient = grad(lstm_arrays, wrt=(0, 2))
    h = 1e-5
    for b, j in enumerate((0, 2)):
        x = args[j]
        for index in np.ndindex(x.shape):
            up, down = list(args), list(args)
            up[j] = x.copy()
            down[j] = x.copy()
            up[j][index] += h
            down[j][index] -= h
            for a, (gu, gd) in enumerate(zip(gradient(*up), gradient(*down))):
                assert blocks[a][b].shape == args[(0, 2)[a]].shape + x.shape
                column = blocks[a][b][(Ellipsis,) + index]
                _close(column, (gu - gd) / (2 * h), rtol=1e-5)


@pytest.mark.parametrize("f, reason", [
    (straight_line, "a list built by append carries tangents"),
    (stack_of_arrays, "a loop carries tangents"),
])
def test_code_for_arrays_calls_the_hvp_once_per_seed_and_says_why(f, reason):
    """A list of tangents has no batched form (back/batched.py): the wrapper calls the
    Hessian-vector product once per seed, its docstring saying why."""
    source = s2sdiff.show(f, kind="hessian", wrt=0, signature="x=f8[n],w=f8[n]")
    assert f"Not batched: {reason}." in source
    assert "for seed in _unit_vectors(x)" in source


# -------------------------------------------- the gradient differentiated again


def test_jvp_and_jacobian_of_the_gradient_of_a_stack_give_the_hessian():
    point = POINTS[0]
    want = np.array(hessian(stack_walk, wrt=(0, 1))(*point))
    g = grad(stack_walk, wrt=(0, 1))
    np.testing.assert_allclose(np.array(jacobian(g, wrt=(0, 1))(*point)), want, rtol=1e-10)
    _, column = jvp(g, wrt=(0, 1))(*point, (1.0, 0.0))
    np.testing.assert_allclose(column, want[:, 0], rtol=1e-10)


def test_jvp_and_jacobian_of_the_gradient_of_an_appending_function_give_the_hessian():
    """Its generated gradient pops a list it also reads by index, which the front end
    does not take back; composed in IR, ``jvp(grad(f))`` and ``jacobian(grad(f))``
    are forward mode over the gradient, as ``hessian(f)``."""
    point = (0.7, -0.4)
    want = np.array(hessian(read_back, wrt=(0, 1))(*point))
    g = grad(read_back, wrt=(0, 1))
    np.testing.assert_allclose(np.array(jacobian(g, wrt=(0, 1))(*point)), want, rtol=1e-10)
    _, column = jvp(g, wrt=0)(*point, 1.0)
    np.testing.assert_allclose(column, want[:, 0], rtol=1e-10)
    with pytest.raises(S2SDiffError, match=r"\.pop") as info:  # reverse over reverse: its text
        vjp(g, wrt=0)(*point)
    assert info.value.location is not None and "hs.pop()" in str(info.value)


def test_the_benchmark_lstm_has_one_hessian_in_its_three_forms():
    """bench_adbench's LSTM objective: per-layer state lists built by append and
    written item by item (two forms), and rows of a state array written in place."""
    from .benchmark_scripts import load

    B = load("bench_adbench")
    args = B.lstm_args(np.random.default_rng(4), layers=2, b=3, steps=4)
    for wrt in (1, 2):
        want = _fd_hessian(B.lstm_objective, args, wrt)
        for f in (B.lstm_objective, B.lstm_objective_items, B.lstm_objective_array):
            _close(np.asarray(hessian(f, wrt=wrt)(*args)), want, rtol=1e-5)
