"""A call that stays a call, unpacked inside a loop (found by the Numba benchmark).

``a, b = pair(x, k)`` of a helper too large to inline, inside a loop: its
reverse ``x_bar, k_bar = bwd_pair(...)`` assigned the adjoint of ``k`` (read
in every trip, defined before the loop) on each trip instead of adding to
it, so the gradient kept the first trip's share only.  Forward mode was right.
"""

import math

import pytest

from s2sdiff import grad, hessian, jvp, vjp
from tests.fd import assert_grad_close


def pair(x, k):
    e = math.exp(-x * x)
    c = math.cos(3.0 * x)
    return k * x - x * e * c, k * e - c


def trips(x, k):
    for i in range(2):
        a, b = pair(x, k)
        x = a * b
    return x


def test_the_adjoint_of_a_value_read_by_a_call_in_every_trip_adds_up():
    assert_grad_close(trips, grad(trips, wrt=(0, 1)), (0.5, 1.3), (0, 1))
    _, pullback = vjp(trips, wrt=(0, 1))(0.5, 1.3)
    assert pullback(1.0) == pytest.approx(grad(trips, wrt=(0, 1))(0.5, 1.3), rel=1e-12)
    assert grad(trips, wrt=1)(0.5, 1.3) == pytest.approx(
        jvp(trips, wrt=1)(0.5, 1.3, 1.0)[1], rel=1e-10)
    h = hessian(trips, wrt=(0, 1))(0.5, 1.3)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-8)
