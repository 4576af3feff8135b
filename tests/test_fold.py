"""Temporaries written into their single use keep Python's meaning: operator
precedence and associativity, comparisons that must not chain, φ copies that
read what an earlier copy assigned."""

import math

import pytest

from s2sdiff import grad, jvp, value_and_grad


def nested_subtractions(x, y):
    return x - (y - (x - y * y)) / (x / (y - x))


def powers_and_negation(x, y):
    a = -x
    return a ** 2 + 2.0 ** (-y) + (x ** y) ** 0.5 - (-(x * y)) ** 3 + x ** y ** 0.5


def compared_comparisons(x, y):
    flag = (x < y) == (y < 1.0)
    if flag:
        return x * y
    return x - y


def rotation_in_a_loop(x, y):
    for _ in range(3):
        x, y = 0.6 * x - 0.8 * y, 0.8 * x + 0.6 * y + 0.1 * x * y
    return x * math.exp(-y)


def reads_before_copy(x, y):
    s = x
    t = y
    for _ in range(4):
        t_next = s * 0.5 + math.sin(t)
        s = t
        t = t_next
    return s + 2.0 * t


def while_with_outer_bound(x, y):
    k = 0
    s = x
    while k < int(y * 10 + 0.5) + 2:
        s = s * 0.9 + math.sin(s * y)
        k += 1
    return s


def while_on_a_carried_value(x, y):
    t = x
    steps = 0.0
    while t < 5.0:
        t = t * 1.3 + y * y
        steps = steps + t * 0.01
    return t + steps


def while_true_with_break(x, y):
    s = x
    i = 0
    while True:
        s = s * y + 0.1
        i += 1
        if s > 4.0 or i > 20:
            break
    return s


FUNCTIONS = [nested_subtractions, powers_and_negation, compared_comparisons,
             rotation_in_a_loop, reads_before_copy, while_with_outer_bound,
             while_on_a_carried_value, while_true_with_break]
POINTS = [(1.3, 0.7), (0.4, 1.9)]


def central(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("point", POINTS)
def test_folded_code_computes_the_same(f, point):
    value, grads = value_and_grad(f, wrt=(0, 1))(*point)
    assert value == f(*point)
    for i, g in enumerate(grads):
        assert g == pytest.approx(central(f, point, i), rel=1e-6, abs=1e-8)
    _, tangent = jvp(f, wrt=(0, 1))(*point, (1.0, 0.0))
    assert tangent == pytest.approx(grads[0], rel=1e-9, abs=1e-12)


def test_a_temporary_used_once_is_written_into_its_use():
    source = grad(rotation_in_a_loop).source
    assert "0.6 * x - 0.8 * y" in source.replace("x_1", "x").replace("y_1", "y")


def test_a_while_condition_is_written_in_the_while_line():
    source = grad(while_on_a_carried_value).source
    assert "while t < 5.0:" in source.replace("t_1", "t"), source
    assert "_cond" not in source
