"""Lists written as displays inside loops and branches (``pair = [a, b]``): where the
function only reads them (by constant indices, or as arguments of NumPy's, SciPy's
or ``math``'s functions and of ``len``/``sum``/...), each is a value like a tuple of its
items, in both modes and in Hessians; where it changes them, returns them, gives them
to other code or walks them in a loop, they are refused at the display."""

import numpy as np
import pytest

import s2sdiff
from s2sdiff import UnsupportedSyntaxError
from tests.fd import fd_array_gradient


def pairs_per_trip(x):
    total = 0.0
    for k in range(3):
        pair = [x[0] * k, x[1]]
        total = total + np.sum(np.stack(pair) ** 2) + pair[0] * sum(pair) + len(pair)
    return total


def rotations_per_angle(angles):
    out = 0.0
    for a in angles:
        rows = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
        out = out + np.sum(np.array(rows) @ np.array([1.0, 2.0]))
    return out


def parts_per_branch(x):
    if x[0] > 0:
        parts = [x, x * 2.0]
    else:
        parts = [x * 3.0, x]
    return np.sum(np.concatenate(parts) ** 2) + np.sum(parts[-1] ** 3)


@pytest.mark.parametrize("f", [pairs_per_trip, rotations_per_angle, parts_per_branch])
@pytest.mark.parametrize("x", [np.array([0.5, -1.0, 2.0]), np.array([-0.5, 1.0, 0.3])])
def test_gradients_and_hessians_match_finite_differences(f, x):
    want = fd_array_gradient(f, x)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(s2sdiff.grad(f, mode=mode)(x), want, rtol=1e-6, atol=1e-8)
    g = s2sdiff.grad(f)
    hessian = np.array([fd_array_gradient(lambda v, k=k: g(v)[k], x) for k in range(3)])
    np.testing.assert_allclose(s2sdiff.hessian(f)(x), hessian, rtol=1e-5, atol=1e-6)


def changed_in_the_loop(x):
    total = 0.0
    for k in range(3):
        pair = [x[0] * k, x[1]]
        pair[0] = pair[0] * 2.0
        total = total + np.sum(np.stack(pair) ** 2)
    return total


def _appends(p):
    p.append(1.0)
    return sum(p)


def given_to_a_helper(x):
    total = 0.0
    for k in range(2):
        pair = [x[0] * k, x[1]]
        total = total + _appends(pair)
    return total


def walked_in_a_loop(x):
    if x[0] > 0:
        parts = [x, x * 2.0]
    else:
        parts = [x * 3.0, x]
    total = 0.0
    for p in parts:
        total = total + np.sum(p ** 3)
    return total


@pytest.mark.parametrize("f", [changed_in_the_loop, given_to_a_helper, walked_in_a_loop])
def test_lists_that_may_change_are_refused_at_the_display(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"\.py:\d+:\d+: list named and built "
                                                     r"inside a loop or a branch"):
        s2sdiff.grad(f)(np.array([0.5, -1.0, 2.0]))
