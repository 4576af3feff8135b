"""Front-end items of issue 18: ``assert`` statements (kept in the code that runs the
function, ignored by the derivative), calling a local name bound to a known
function (``r = np.sum; r(x)``), and ``for`` loops over ``enumerate(...)`` and
``zip(...)`` of lists and arrays, in both modes against finite differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, jvp, show
from tests.rule_checks import check


def checked(x, y):
    assert x > 0, "x must be positive"
    assert y.shape[0] == 3
    return math.log(x) * np.sum(y * y)


def test_assert_is_kept_in_the_forward_pass_and_ignored_by_the_derivative():
    y = np.array([1.0, 2.0, 3.0])
    dx, dy = grad(checked, wrt=(0, 1))(2.0, y)
    assert dx == pytest.approx(14.0 / 2.0) and np.allclose(dy, 2.0 * math.log(2.0) * y)
    text = show(checked, wrt=(0, 1))
    assert "    assert x > 0, 'x must be positive'\n" in text
    assert "    assert np.shape(y)[0] == 3\n" in text
    with pytest.raises(AssertionError, match="x must be positive"):
        grad(checked, wrt=(0, 1))(-1.0, y)
    with pytest.raises(AssertionError):
        jvp(checked, wrt=1)(2.0, np.ones(4), np.ones(4))
    _, tangent = jvp(checked, wrt=0)(2.0, y, 1.0)
    assert tangent == pytest.approx(14.0 / 2.0)


def scalar_assert(x):
    assert x < 10.0
    return x * x


def test_assert_in_scalar_code_and_second_derivatives():
    assert grad(scalar_assert)(3.0) == 6.0
    assert grad(grad(scalar_assert))(3.0) == 2.0
    with pytest.raises(AssertionError):
        grad(scalar_assert)(11.0)


def aliases(x):
    total = np.sum
    sine = math.sin
    return total(x * x) + sine(x[0])


def test_a_local_name_bound_to_a_known_function_is_called():
    x = np.array([0.3, 1.2, -0.7])
    check(aliases, [x])
    assert "np.sum(x * x)" in show(aliases, kind="jvp", signature="x=f8[n]")


def rebound(x):
    f = np.sum
    f = np.mean
    return f(x)


def test_a_name_bound_twice_is_still_refused_where_it_is_called():
    with pytest.raises(S2SDiffError, match=r"test_frontend_items.py:\d+:\d+: call of a local value"):
        grad(rebound)(np.ones(3))


def weighted_by_index(x):
    t = 0.0
    for i, v in enumerate(x):
        t = t + i * v * v
    return t


def weighted_from_one(x):
    t = 0.0
    for i, v in enumerate(x, 1):
        t = t + i * np.sin(v)
    return t


def dot_by_zip(x, y):
    t = 0.0
    for a, b in zip(x, y):
        t = t + a * b * b
    return t


def rows_by_zip(m, w):
    total = 0.0
    for row, weight in zip(m, w):
        total = total + weight * np.sum(row * row)
    return total


def swapped_names(x, y):
    t = 0.0
    for y, x in zip(x, y):  # noqa: B020 - the sequences are read once, before the loop
        t = t + 2.0 * y + x * x
    return t


def lists_enumerated_and_zipped(x):
    xs = []
    ys = []
    for i in range(3):
        xs.append(x * i)
        ys.append(x + i)
    t = 0.0
    for k, (a, b) in enumerate(zip(xs, ys)):
        t = t + k * a * b
    return t


def enumerate_a_display(x, y):
    t = 0.0
    for i, v in enumerate([x, y, x * y]):
        t = t + (i + 1) * v
    return t


@pytest.mark.parametrize("fn, args, wrts", [
    (weighted_by_index, [np.array([0.3, 1.2, -0.7])], [0]),
    (weighted_from_one, [np.array([0.3, 1.2, -0.7, 2.0])], [0]),
    (dot_by_zip, [np.array([0.3, 1.2, -0.7]), np.array([1.5, -2.0, 0.5])], [0, 1]),
    (dot_by_zip, [np.array([0.3, 1.2, -0.7]), np.array([1.5, -2.0])], [0, 1]),  # the shortest
    (rows_by_zip, [np.arange(6.0).reshape(3, 2) / 4.0, np.array([0.5, -1.0, 2.0])], [0, 1]),
    (swapped_names, [np.array([0.3, 1.2]), np.array([1.5, -2.0])], [0, 1]),
    (lists_enumerated_and_zipped, [0.7], [0]),
    (enumerate_a_display, [0.7, -1.3], [0, 1]),
], ids=lambda v: getattr(v, "__name__", None))
def test_loops_over_enumerate_and_zip(fn, args, wrts):
    for wrt in wrts:
        check(fn, args, wrt)


def test_enumerate_keeps_the_names_of_the_loop():
    text = show(weighted_by_index)
    assert "v = x[_k1]" in text and "for _k1 in range(_n1):" in text


def test_the_symbolic_check_passes_over_an_assert(capsys):
    from s2sdiff.cli import main

    assert main(["check", f"{__file__}:scalar_assert"]) == 0
    out = capsys.readouterr().out
    assert "simplify  ok" in out and "stopped" not in out
