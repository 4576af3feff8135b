"""Lists changed item by item (``xs[i] = v``), in loops, branches and at the top.

Each write makes a new version of the list in SSA (``_with_item``); every
version shares one adjoint list, whose item the reverse of a write hands to
the written value and then zeroes.  Gradients are checked against central
finite differences (shapes included) and against forward mode; Hessians
(forward over the gradient) against central differences of the gradient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import s2sdiff
from s2sdiff import S2SDiffError, grad, jvp

from .fd import fd_argument_gradient, fd_grad, fd_partial
from tests.fd import fd_argument_jacobian


def _check(f, args, wrt):
    """The reverse gradient of ``f`` against finite differences, shapes included."""
    got = grad(f, wrt=wrt)(*args)
    got = got if isinstance(got, tuple) else (got,)
    for g, i in zip(got, wrt):
        want = fd_argument_gradient(f, args, i)
        assert np.shape(g) == np.shape(args[i]), f"gradient {i} has shape {np.shape(g)}"
        np.testing.assert_allclose(np.asarray(g), want, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{f.__name__}: gradient in argument {i}")
    return got


# --------------------------------------------------------------- scalar code


def scalar_rotate(x, y):
    """Items read back in the same trip, one of them at index -1 (the last item)."""
    xs = [x, y, x * y]
    for _ in range(3):
        for i in range(3):
            xs[i] = math.sin(xs[i]) * y + 0.5 * xs[i - 1]
    return xs[0] + 2.0 * xs[1] * xs[2]


def scalar_branch_in_loop(x, y):
    """An item written in a branch inside a loop (a φ of two versions of the list)."""
    xs = [x, y, x + y]
    for t in range(4):
        for i in range(3):
            if xs[i] > 0.3 * t:
                xs[i] = xs[i] * y
            else:
                xs[i] = xs[i] + x * x
    return xs[0] * xs[1] + xs[2]


def scalar_one_sided_branch(x, y):
    """An item written on one path only (the φ's other side is the list unchanged)."""
    xs = [x, y]
    for t in range(4):
        if t % 3 > 0:
            xs[t % 2] = xs[t % 2] * y + x
    return xs[0] * xs[1]


def scalar_read_after_write(x, y):
    """Items read after the write in the same trip, and after the loop by ``sum``."""
    xs = [x, y]
    total = 0.0
    for t in range(3):
        for i in range(2):
            xs[i] = xs[i] * x + y
            total = total + xs[i] * xs[i]
    return total + sum(xs)


def scalar_negative_indices(x, y):
    xs = [x, y, 1.0]
    for _ in range(3):
        xs[-1] = xs[-1] * x + xs[-3]
        xs[-2] = math.exp(-xs[-1] * xs[-2])
    return xs[0] + xs[1] + xs[2]


def scalar_constants_first(x, y):
    """A list of constants (no derivative) whose items become active when written."""
    xs = [0.0, 0.0, 0.0]
    for i in range(3):
        xs[i] = x ** (i + 1) * y
    for i in range(1, 3):
        xs[i] = xs[i] + xs[i - 1]
    return xs[2] * xs[0]


def scalar_top_level_and_tuple(x, y):
    """Writes outside any loop, and a tuple target of two item writes (a swap)."""
    xs = [x, y * y]
    xs[0] = xs[0] * xs[1]
    xs[0], xs[1] = xs[1], xs[0]
    return xs[0] - 3.0 * xs[1]


def scalar_while(x, y):
    """A while loop writing items (its trips counted for the reverse)."""
    xs = [x, y]
    k = 0
    while k < 5:
        xs[k % 2] = xs[k % 2] * 0.9 + xs[(k + 1) % 2] * y
        k = k + 1
    return xs[0] * xs[1]


def scalar_loop_over_list_after(x, y):
    """Items of the last version read by ``for v in xs`` after the loop."""
    xs = [x, y, x * y]
    for t in range(2):
        for i in range(3):
            xs[i] = math.tanh(xs[i] + t * x)
    total = 0.0
    for v in xs:
        total = total + v * v
    return total


def scalar_appended_then_written(x, y):
    """Built with append in one loop, changed item by item in the next."""
    xs = []
    for i in range(4):
        xs.append(x * (i + 1.0))
    for t in range(3):
        for i in range(4):
            xs[i] = xs[i] * y + xs[(i + 1) % 4] * 0.25
    return xs[0] + xs[3] * xs[1]


SCALAR = [scalar_rotate, scalar_branch_in_loop, scalar_one_sided_branch, scalar_read_after_write,
          scalar_negative_indices, scalar_constants_first, scalar_top_level_and_tuple,
          scalar_while, scalar_loop_over_list_after, scalar_appended_then_written]
POINTS = [(0.7, -0.4), (1.3, 0.6), (-0.5, 0.9)]


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_scalar_gradient_matches_finite_differences(f, point):
    got = grad(f, wrt=(0, 1))(*point)
    want = fd_grad(f, point, (0, 1))
    assert all(isinstance(g, float) for g in got)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
def test_scalar_forward_mode_agrees_with_reverse(f):
    point = POINTS[0]
    reverse = grad(f, wrt=(0, 1))(*point)
    forward = grad(f, wrt=(0, 1), mode="forward")(*point)
    np.testing.assert_allclose(forward, reverse, rtol=1e-10, atol=1e-12)
    value, tangent = jvp(f, wrt=(0, 1))(*point, (0.3, -0.8))
    assert value == pytest.approx(f(*point))
    assert tangent == pytest.approx(0.3 * reverse[0] - 0.8 * reverse[1], rel=1e-10, abs=1e-12)


def test_scalar_code_stays_scalar():
    """No NumPy in the gradient of scalar code: plain floats and lists."""
    source = s2sdiff.show(scalar_rotate, wrt=(0, 1))
    assert "numpy" not in source and "np." not in source
    assert "def _with_item(xs, index, value):" in source
    assert "xs_bar[i] = 0.0" in source  # the item before the write gets no more


# ---------------------------------------------------------------- array code


def items_written_in_loop(x, w):
    hiddens = []
    for i in range(2):
        hiddens.append(x * (i + 1.0))
    for t in range(3):
        for i in range(2):
            hiddens[i] = np.tanh(hiddens[i] * w)
    return np.sum(hiddens[0] + hiddens[1])


def cell(h, c, x, w):
    c = c * np.tanh(w[0] * x) + np.tanh(w[1] * h)
    return np.tanh(c) * w[2], c


def arrays_tuple_target(x, w, state):
    """The LSTM shape: ``hs[i], cs[i] = cell(...)`` in a nested loop."""
    hs = [state[0], state[1]]
    cs = [state[2], state[3]]
    total = 0.0
    for t in range(3):
        inp = x * (t + 1.0)
        for i in range(2):
            hs[i], cs[i] = cell(hs[i], cs[i], inp, w)
            inp = hs[i]
        total = total + np.sum(inp * inp)
    return total + np.sum(cs[0] * cs[1])


def arrays_one_item_per_statement(x, w, state):
    hs = [state[0], state[1]]
    cs = [state[2], state[3]]
    total = 0.0
    for t in range(3):
        inp = x * (t + 1.0)
        for i in range(2):
            h, c = cell(hs[i], cs[i], inp, w)
            hs[i] = h
            cs[i] = c
            inp = h
        total = total + np.sum(inp * inp)
    return total + np.sum(cs[0] * cs[1])


def arrays_branch_in_loop(x, w, state):
    """A list item written in a branch inside a loop, read back after the loop by
    NumPy functions taking the whole list."""
    hs = [state[0], state[1], state[2]]
    for t in range(3):
        for i in range(3):
            if np.sum(hs[i]) > 0.1 * t:
                hs[i] = np.sin(hs[i] * w[0]) + x
            else:
                hs[i] = hs[i] * w[1]
    stacked = np.stack(hs)
    return np.sum(stacked * stacked) + np.sum(sum(hs) * x)


def arrays_negative_indices(x, w, state):
    hs = [state[0], state[1]]
    for _ in range(3):
        hs[-1] = np.tanh(hs[-1] * w[0] + hs[-2])
        hs[-2] = hs[-2] * x
    return np.sum(hs[0] * hs[1])


def arrays_zeros_then_written(x, w, state):
    """Items that start as numbers (0.0) and are written with arrays."""
    hs = [0.0, 0.0]
    for t in range(2):
        for i in range(2):
            hs[i] = hs[i] + np.tanh(state[i] * w[t] + x)
    return np.sum(hs[0] * hs[1])


ARRAYS = [arrays_tuple_target, arrays_one_item_per_statement, arrays_branch_in_loop,
          arrays_negative_indices, arrays_zeros_then_written]


def _array_args(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=3), 0.5 * rng.normal(size=3), rng.normal(size=(4, 3))


@pytest.mark.parametrize("f", ARRAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("seed", [1, 2])
def test_array_gradient_matches_finite_differences(f, seed):
    _check(f, _array_args(seed), (0, 1, 2))


def test_a_list_of_arrays_built_by_append_then_written_in_a_loop():
    _check(items_written_in_loop, (np.array([0.3, -0.2, 0.5]), 0.7), (0, 1))


@pytest.mark.parametrize("f", ARRAYS, ids=lambda f: f.__name__)
def test_array_forward_mode_agrees_with_reverse(f):
    args = _array_args(3)
    reverse = grad(f, wrt=(0, 1, 2))(*args)
    forward = grad(f, wrt=(0, 1, 2), mode="forward")(*args)
    for r, g in zip(reverse, forward):
        assert np.shape(r) == np.shape(g)
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


def test_both_lstm_forms_give_the_same_gradient_as_the_array_form():
    from .benchmark_scripts import load

    B = load("bench_adbench")
    args = B.lstm_args(np.random.default_rng(4), layers=3, b=4, steps=5)
    want = grad(B.lstm_objective_array, wrt=(0, 1, 2))(*args)
    for f in (B.lstm_objective, B.lstm_objective_items):
        for g, w in zip(grad(f, wrt=(0, 1, 2))(*args), want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_the_generated_code_writes_items_and_zeroes_their_adjoints():
    source = s2sdiff.show(arrays_one_item_per_statement, wrt=(0, 1, 2))
    assert "hs_2 = _with_item(hs_2, i, _t_1)" in source  # hs[i] = h: a new version
    assert "_t_2_bar = cs_bar[i]  # cs[i] = c" in source  # the value takes the item's adjoint
    assert "cs_bar[i] = _zero_like(cs_2[i])" in source  # the item before the write: zeros
    assert "hs_bar[i] += _t7_bar" in source  # a read of an item adds to it
    assert "hs_bar = _zeros_of(hs)" in source and "hs_1_bar" not in source  # one adjoint


# ------------------------------------------------------------------- Hessians
# Forward mode over the gradient: its adjoint lists get tangent lists, written item
# by item alongside them.  Checked against central differences of the gradient.


def _fd_hessian(f, args, wrt, h=1e-5):
    """∂(∂f/∂args[wrt])/∂args[wrt] by central differences of the reverse gradient."""
    return fd_argument_jacobian(grad(f, wrt=wrt), args, wrt, h)


def _scalar_fd_hessian(f, point, h=1e-5):
    """The 2×2 Hessian of ``f`` by central differences of its reverse gradient."""
    g = grad(f, wrt=(0, 1))
    return np.stack([fd_argument_jacobian(lambda *a: np.array(g(*a)), point, j, h)
                     for j in range(2)], axis=1)


@pytest.mark.parametrize("f", SCALAR, ids=lambda f: f.__name__)
def test_scalar_hessian_matches_finite_differences_of_the_gradient(f):
    point = POINTS[0]
    got = np.array(s2sdiff.hessian(f, wrt=(0, 1))(*point))
    want = _scalar_fd_hessian(f, point)
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("f", [arrays_tuple_target, arrays_negative_indices,
                               arrays_zeros_then_written], ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [0, 2])
def test_array_hessian_matches_finite_differences_of_the_gradient(f, wrt):
    args = _array_args(5)
    got = np.asarray(s2sdiff.hessian(f, wrt=wrt)(*args))
    want = _fd_hessian(f, args, wrt)
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7 * scale)


@pytest.mark.parametrize("point", POINTS, ids=str)
def test_hessian_of_a_list_built_by_append_then_written_matches_finite_differences(point):
    """Appends have tangents appended beside them, and the reverse sweep's pops of the list
    and of its adjoint list pop their tangent lists in step."""
    got = np.array(s2sdiff.hessian(scalar_appended_then_written, wrt=(0, 1))(*point))
    want = _scalar_fd_hessian(scalar_appended_then_written, point)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * max(1.0, np.max(np.abs(want))))


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_hessian_of_a_whole_list_read_by_numpy_matches_finite_differences(wrt):
    """The adjoint of ``np.stack(hs)`` adds a list to the adjoint list (``_add_items``):
    its tangent adds the tangent lists."""
    args = _array_args(1)
    got = np.asarray(s2sdiff.hessian(arrays_branch_in_loop, wrt=wrt)(*args))
    want = _fd_hessian(arrays_branch_in_loop, args, wrt)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7 * max(1.0, np.max(np.abs(want))))


def test_gradient_of_the_gradient_of_list_item_code_is_composed_in_ir():
    first = grad(scalar_rotate, wrt=0)
    for wrt in (0, 1):
        got = grad(first, wrt=wrt)(0.7, -0.4)
        assert got == pytest.approx(fd_partial(first, (0.7, -0.4), wrt), rel=1e-6, abs=1e-8)


def test_reverse_over_reverse_of_list_item_code_is_refused_with_a_location():
    with pytest.raises(S2SDiffError) as info:
        s2sdiff.vjp(grad(scalar_rotate, wrt=0), wrt=0)(0.7, -0.4)
    assert info.value.location is not None


def test_numba_refuses_list_item_code_with_an_s2sdiff_error():
    pytest.importorskip("numba")
    with pytest.raises(S2SDiffError, match="_with_item"):
        grad(scalar_rotate, wrt=(0, 1), jit=True)(0.7, -0.4)


# ------------------------------------------------------------------- refusals


def appended_while_written(x):
    xs = [x]
    for i in range(3):
        xs.append(x * i)
        xs[i] = xs[i] * x
    return xs[0] + xs[1]


def written_through_another_name(x):
    xs = [x, 2.0 * x]
    ys = xs
    ys[0] = x * x
    return xs[0] + ys[1]


def _write_first(xs, v):
    xs[0] = v
    return v


def written_by_a_callee(x):
    xs = [x, x]
    v = _write_first(xs, x * x)
    return xs[0] + xs[1] + v


def written_after_stored(x):
    xs = [x, x]
    both = [xs, xs]
    xs[0] = x * x
    return np.sum(np.array(both)) + xs[0]


def slice_written(x):
    xs = [x, x, x]
    xs[0:2] = [x * x, x]
    return xs[0] + xs[2]


def list_swapped_in_loop(x):
    xs = [x, 2.0 * x]
    ys = [3.0 * x, x]
    for _ in range(2):
        xs = ys
    return xs[0]


REFUSED = [
    (appended_while_written, "append to the list `xs` after one of its items was written",
     "xs.append(x * i)"),
    (written_through_another_name, "also held by `xs`", "ys[0] = x * x"),
    (written_by_a_callee, "which this function did not build", "xs[0] = v"),
    (written_after_stored, "also held by another list", "xs[0] = x * x"),
    (slice_written, "a list item written at a slice", "xs[0:2] = [x * x, x]"),
    (list_swapped_in_loop, "list `xs` assigned again inside a loop", "for _ in range(2):"),
]


@pytest.mark.parametrize("f, message, line", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_what_stays_unsupported_is_refused_where_it_is(f, message, line):
    with pytest.raises(S2SDiffError, match=message) as info:
        grad(f)(0.7)
    assert line in str(info.value)
    assert info.value.location is not None
