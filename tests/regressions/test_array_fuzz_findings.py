"""Wrong and crashing gradients the array fuzzer found (fuzz/arrays.py), each checked
against finite differences, values and shapes, in the generic and the specialised code.

A: appending a value from outside a loop to a list inside it lost its adjoint
   (the reverse of the loop was left out: gradient 0).
B: a value carried by a loop that changes shape in it: its adjoint was un-broadcast
   to the shape after the loop, and zeroed with the final value's shape.
C: list items whose adjoint stays the number 0.0 crashed the array rules
   (``_unreduce``, ``_unbroadcast``, ``_matmul_vjp`` of 0.0).
"""

from __future__ import annotations

import numpy as np
import pytest

from s2sdiff import grad, jacrev
from tests.test_arrays import assert_block, fd_jacobian


def appended_from_outside(x):  # A (seed 15 and 85 others)
    parts = []
    for _ in range(2):
        parts.append(x)
    return np.sum(np.stack(parts))


def appended_number(x):  # A, on numbers
    parts = []
    for _ in range(2):
        parts.append(x)
    return sum(parts)


def replaced_in_loop(x, c):  # B: d/dc is 0.0, shape ()
    acc = c
    for i in range(2):
        acc = x[i]
    return np.sum(acc)


def grows_in_loop(x):  # B: wrong values
    acc = x.min()
    for k in range(1, 3):
        acc = acc + x[k]
    return np.sum(acc ** 2)


def reshaped_in_loop(x, z):  # B: a crash
    acc = np.sum(z, keepdims=True)
    for _ in range(1):
        acc = x
    return np.sum(acc)


def unread_items_reduced(x):  # C: AxisError in _unreduce
    parts = []
    for k in range(3):
        parts.append(np.sum(x, axis=-2) * k)
    return np.sum(parts[1])


def unread_items_broadcast(x, y):  # C: IndexError in _unbroadcast
    parts = []
    for i in range(2):
        parts.append(y - x[i])
    return np.sum(parts[0])


def unread_items_product(x):  # C: matmul of 0.0
    parts = []
    for _ in range(2):
        parts.append(np.dot(x, x.sum(axis=1)))
    return np.sum(parts[1])


CASES = [
    (appended_from_outside, (np.array([0.5, -1.0]),)),
    (appended_number, (1.5,)),
    (replaced_in_loop, (np.array([[0.3, 0.5], [0.2, 0.1]]), 0.7)),
    (grows_in_loop, (np.array([[0.3, -0.2], [0.5, -1.0], [0.7, 0.4]]),)),
    (reshaped_in_loop, (np.ones((4, 1)) * 0.5, np.arange(4.0))),
    (unread_items_reduced, (np.ones((1, 3)),)),
    (unread_items_broadcast, (np.array([0.5, 0.2]), np.ones((1, 1)))),
    (unread_items_product, (np.arange(9.0).reshape(3, 3) / 5,)),
]


@pytest.mark.parametrize("fn,args", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("code", ["specialised", "generic"])
def test_gradient_against_finite_differences(fn, args, code):
    wrt = tuple(range(len(args)))
    transform = grad(fn, wrt=wrt)
    got = transform(*args) if code == "specialised" else transform.__wrapped__(*args)
    for g, i in zip(got, wrt):
        assert_block(g, fd_jacobian(fn, args, i))


@pytest.mark.parametrize("fn,args", CASES[2:], ids=[c[0].__name__ for c in CASES[2:]])
def test_jacrev_against_finite_differences(fn, args):
    wrt = tuple(range(len(args)))
    for block, i in zip(jacrev(fn, wrt=wrt)(*args), wrt):
        assert_block(block, fd_jacobian(fn, args, i))


def last_item(x, y):  # D (seeds 849, 1213): a number as the cotangent of a 0-D output
    return y[-1] + 0.0 * np.sum(x)


def test_a_number_is_the_cotangent_of_a_0d_output():
    """The vjp specialised to ``y[-1]`` (a 0-D float64) read its cotangent as a 0-D
    array (``_ct1[None,]``): a Python float crashed it; it is made one now."""
    from s2sdiff import vjp

    x, y = np.ones(2), np.array([3.0])
    value, pullback = vjp(last_item, wrt=(0, 1))(x, y)
    gx, gy = pullback(2.0)
    assert_block(gx, np.zeros(2))
    assert_block(gy, np.array([2.0]))
