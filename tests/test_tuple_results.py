"""Functions whose early returns give tuples: in a branch, in a loop, in a helper
called in a loop and unpacked (with keyword arguments).  Each early return
assigns the function's result; the tuples are joined item by item at the join
of the branches and carried item by item through loops."""

import math

import pytest

from s2sdiff import S2SDiffError, grad, jacobian, jvp
from tests.fd import assert_grad_close, fd_partial


def pair_in_branch(p, q):
    if p > 0.5:
        return math.tanh(p * q), 0.5
    s = p + q
    return math.tanh(s), math.sin(q)


def pair_in_loop(p, q):
    s = p
    for i in range(4):
        s = 0.5 * s + math.sin(q * i)
        if s > 1.2:
            return s * q, math.cos(s)
    return s, q * s


def calls_in_branch(x, y):
    a, b = pair_in_branch(x, y)
    return a * b + x


def calls_in_loop(x, y):
    total = 0.0
    for i in range(3):
        a, b = pair_in_loop(x + 0.1 * i, q=y)
        c, d = pair_in_branch(q=a, p=b)
        total = total + a * d - b * c
    return total


POINTS = [(0.3, 0.7), (0.9, 0.4), (1.4, 1.1), (-0.6, 2.0)]


@pytest.mark.parametrize("f", [calls_in_branch, calls_in_loop])
@pytest.mark.parametrize("point", POINTS)
def test_helpers_returning_pairs_early(f, point):
    assert_grad_close(f, grad(f, wrt=(0, 1)), point, (0, 1))
    assert_grad_close(f, grad(f, wrt=(0, 1), mode="forward"), point, (0, 1))


@pytest.mark.parametrize("f", [pair_in_branch, pair_in_loop])
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_function_returning_pairs_early(f, point, mode):
    got = jacobian(f, wrt=(0, 1), mode=mode)(*point)
    for k in range(2):
        for i in range(2):
            want = fd_partial(lambda *a, k=k: f(*a)[k], point, i)
            assert got[k][i] == pytest.approx(want, rel=1e-6, abs=1e-8)
    value, tangent = jvp(f, wrt=(0, 1))(*point, (1.0, 0.0))
    assert value == pytest.approx(f(*point))
    assert tangent == pytest.approx([got[0][0], got[1][0]], rel=1e-9, abs=1e-12)


def pair_or_number(p):
    if p > 0.0:
        return p, p
    return p


def test_a_tuple_on_some_paths_only_is_a_located_error():
    def f(x):
        return pair_or_number(x)[0]

    with pytest.raises(S2SDiffError, match="returns a tuple on some paths") as caught:
        grad(f)(1.0)
    assert "'_result" not in str(caught.value)  # no name the user did not write
