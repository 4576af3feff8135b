"""The shared corpus: scalar Python functions with the points to check them at.

Each function is plain Python (floats, ints, ``math``) and is followed by a
``_case(fn, point, point, ...)`` line that records it in ``CORPUS``.  Points are
chosen away from kinks (``abs`` at 0, ties in ``min``/``max``, jumps of
``int``/``round``/``floor``/``//``/``%``, branch and loop-exit thresholds) and
from domain edges, so central finite differences are accurate there.

``Case.wrt`` is the tuple of parameter indices to differentiate; by default
every parameter that is a float at the first point (an ``int`` parameter is a
loop count or index, not an input to differentiate).

This module must not import s2sdiff: it is the ground truth the tests compare
against.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from tests import corpus_helpers as helpers
from tests.corpus_helpers import damped


@dataclass(frozen=True)
class Case:
    """One corpus function, the argument tuples to check it at, and what to differentiate."""

    fn: Callable
    points: tuple[tuple, ...]
    explicit_wrt: tuple[int, ...] | None = None

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def wrt(self) -> tuple[int, ...]:
        if self.explicit_wrt is not None:
            return self.explicit_wrt
        return tuple(i for i, a in enumerate(self.points[0]) if isinstance(a, float))


CORPUS: list[Case] = []


def _case(fn: Callable, *points: tuple, wrt: tuple[int, ...] | None = None) -> None:
    assert len(points) >= 3, fn.__name__
    CORPUS.append(Case(fn, tuple(points), wrt))


RATE = 0.3
OFFSET = 1.25


# --- same-module helpers (called by corpus functions, not cases themselves) ---


def _affine(x, a=2.0, b=1.0):
    return a * x + b


def _inner(x):
    return math.sin(x) * x


def _middle(x, k=3.0):
    return _inner(x * k) + x


def _outer(x):
    return _middle(x) + _middle(x, k=0.5)


# --- arithmetic, three-address form ---------------------------------------


def three_address(x, y):
    return (x * y + math.sin(x) / (1.0 + y * y)) ** 2 - x


_case(three_address, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def add_sub(x, y):
    return x + y - 2.0 * x + (y - x) - 3.0


_case(add_sub, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def mul_div(x, y):
    return x * y / (x + 2.5) - y / x + 1.0 / (x * y)


_case(mul_div, (0.5, 1.2), (1.5, -0.7), (-1.0, 0.3))


def power_ops(x, y):
    return x ** 3 + x ** y + 2.0 ** x + x ** 0.5 + y ** 2


_case(power_ops, (0.5, 1.2), (1.5, -0.7), (2.2, 0.3))


def floordiv_mod(x, y):
    q = x // y
    r = x % y
    return q * x + r * r + x % 1.5


_case(floordiv_mod, (2.3, 0.7), (5.1, 1.3), (-1.7, 0.9))


def unary_minus(x, y):
    a = -x
    b = -(x * y)
    return a * b - (-y) + -math.cos(-x)


_case(unary_minus, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def augmented(x, y):
    a = x
    a += y
    a -= 0.5 * x
    a *= y
    a /= 1.0 + x * x
    a **= 2
    return a


_case(augmented, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def int_literals(x):
    return 3 * x + x / 2 - 1 + x ** 2 + 2 ** 3


_case(int_literals, (0.5,), (1.5,), (-2.0,))


def nested_expression(x):
    return math.exp(-x * x / 2.0) * math.cos(3.0 * x) + 1.0 / (1.0 + math.exp(-x))


_case(nested_expression, (0.5,), (1.5,), (-2.0,))


def fan_out(x):
    y = x * x
    return y * y + y - x * y


_case(fan_out, (0.5,), (1.5,), (-2.0,))


def reassign(x):
    a = x
    a = a * a
    a = a + x
    a = math.sin(a)
    return a * x


_case(reassign, (0.5,), (1.5,), (-2.0,))


# --- tuple unpacking and swaps ----------------------------------------------


def unpack(x, y):
    a, b = x * 2.0, y + 1.0
    c, d = b, a
    return a * d - b * c + c


_case(unpack, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def unpack_three(x, y):
    a, b, c = x, y, x * y
    return a + b * c


_case(unpack_three, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def swap_loop(x, y):
    a, b = x, y
    for _ in range(5):
        a, b = b, a + b * 0.5
    return a * b


_case(swap_loop, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def swap_simple(x, y):
    a, b = x * x, y
    a, b = b, a
    return a - 2.0 * b


_case(swap_simple, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


# --- conditionals -----------------------------------------------------------


def ternary(x):
    y = x * x if x > 0.0 else -x * 3.0
    return y + (2.0 * x if x < 1.0 else x)


_case(ternary, (0.5,), (-1.5,), (2.0,))


def ternary_nested(x, y):
    return x * y if x > y else (y * y if y > 0.0 else -y)


_case(ternary_nested, (1.5, 0.5), (0.5, 1.2), (-2.0, -0.3))


def if_elif_else(x):
    if x < -1.0:
        r = -x * x
    elif x < 0.0:
        r = x * 3.0
    elif x < 1.0:
        r = math.sin(x)
    else:
        r = math.log(x) + 1.0
    return r * 2.0


_case(if_elif_else, (-2.0,), (-0.5,), (0.5,), (1.5,))


def bool_conditions(x, y):
    if x > 0.0 and y > 0.0:
        r = x * y
    elif x > 0.0 or y > 0.0:
        r = x + y
    else:
        r = -x * y
    if not r > 1.0:
        r = r * r
    return r


_case(bool_conditions, (1.5, 2.0), (0.5, -2.0), (-1.0, -0.5))


def if_without_else(x):
    y = x
    if x > 1.0:
        y = y * x
    return y + x


_case(if_without_else, (0.5,), (1.5,), (-2.0,))


def nested_if(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y
    else:
        r = math.exp(x) * y
    return r


_case(nested_if, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def chained_comparison(x):
    if 0.0 < x < 2.0:
        return x * x
    return 3.0 * x


_case(chained_comparison, (0.5,), (2.5,), (-1.0,))


# --- returns ----------------------------------------------------------------


def early_return(x):
    if x > 1.0:
        return x * x
    if x < -1.0:
        return -x
    return x ** 3


_case(early_return, (2.0,), (-2.0,), (0.5,))


def return_in_loop(x):
    acc = 1.0
    for i in range(10):
        acc = acc * x
        if acc > 5.0:
            return acc + i
    return -acc


_case(return_in_loop, (1.5,), (0.5,), (1.2,))


def multiple_returns(x, y):
    if x > y:
        return x - y
    elif x < -y:
        return x * y
    else:
        return math.cos(x + y)


_case(multiple_returns, (1.5, 0.5), (-2.0, 1.2), (0.3, 1.0))


# --- for over range ---------------------------------------------------------


def range_one_arg(x):
    acc = 0.0
    for i in range(5):
        acc = acc + x ** i
    return acc


_case(range_one_arg, (0.5,), (1.5,), (-2.0,))


def range_two_args(x):
    acc = 0.0
    for i in range(2, 6):
        acc += math.sin(i * x)
    return acc


_case(range_two_args, (0.5,), (1.5,), (-2.0,))


def range_three_args(x):
    acc = 1.0
    for i in range(10, 0, -3):
        acc = acc * x + i
    return acc


_case(range_three_args, (0.5,), (1.5,), (-2.0,))


def range_int_of_float(x, n):
    acc = 1.0
    for _ in range(int(n)):
        acc = acc * x + 1.0
    return acc


_case(range_int_of_float, (0.5, 3.4), (1.5, 4.4), (-1.2, 2.4))


def range_len(x, y):
    xs = []
    xs.append(x)
    xs.append(y)
    xs.append(x * y)
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * (i + 1)
    return total


_case(range_len, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def loop_count_param(x, n):
    acc = x
    for _ in range(n):
        acc = math.sin(acc) + x
    return acc


_case(loop_count_param, (0.5, 3), (1.5, 1), (-2.0, 5))


def range_computed_bounds(x, n):
    start = n // 2
    stop = n + start
    acc = 0.0
    for i in range(start, stop):
        acc = acc + x / (i + 1)
    return acc * x


_case(range_computed_bounds, (0.5, 3), (1.5, 4), (-2.0, 7))


def range_from_round(x):
    k = round(x * 2.0)
    acc = 1.0
    for _ in range(k):
        acc = acc * x
    return acc


_case(range_from_round, (1.3,), (2.1,), (0.8,))


def range_from_floor(x):
    acc = 0.0
    for i in range(math.floor(x)):
        acc = acc + i * x
    return acc + x


_case(range_from_floor, (2.5,), (3.3,), (1.7,))


# --- for over sequences -------------------------------------------------------


def for_list_literal(x):
    acc = 0.0
    for c in [1.0, 2.0, 0.5]:
        acc = acc * x + c
    return acc


_case(for_list_literal, (0.5,), (1.5,), (-2.0,))


def for_tuple_of_active(x, y):
    acc = 0.0
    for t in (x, y, x * y):
        acc += t * t
    return acc


_case(for_tuple_of_active, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def for_list_variable(x):
    ws = [0.5, 1.5, -2.0]
    acc = 0.0
    for w in ws:
        acc += w * math.sin(x * w)
    return acc


_case(for_list_variable, (0.5,), (1.5,), (-2.0,))


def for_over_built_list(x):
    xs = []
    for i in range(4):
        xs.append(x * i + 1.0)
    total = 0.0
    for v in xs:
        total = total * 0.5 + v * v
    return total


_case(for_over_built_list, (0.5,), (1.5,), (-2.0,))


# --- while loops --------------------------------------------------------------


def while_counter(x):
    t = x
    n = 0
    while n < 4:
        t = t * 0.5 + x
        n += 1
    return t


_case(while_counter, (0.5,), (1.5,), (-2.0,))


def while_value_condition(x):
    t = 1.0
    while t < 10.0:
        t = t * x
    return t


_case(while_value_condition, (1.5,), (2.5,), (1.3,))


def while_true_break(x):
    t = 1.0
    k = 0
    while True:
        t = t * x
        k += 1
        if t > 3.0 or k >= 20:
            break
    return t + k


_case(while_true_break, (1.25,), (1.5,), (0.9,))


def while_continue(x):
    i = 0
    acc = 0.0
    while i < 6:
        i += 1
        if i % 2 == 0:
            continue
        acc = acc + x ** i
    return acc


_case(while_continue, (0.5,), (1.5,), (-2.0,))


def while_branches(x):
    t = x
    steps = 0
    while steps < 8:
        if t > 1.0:
            t = t * 0.5
        else:
            t = t * t + x
        steps += 1
    return t


_case(while_branches, (0.7,), (2.5,), (0.3,))


# --- break and continue in for ----------------------------------------------


def for_break(x):
    acc = 0.0
    for i in range(20):
        acc += x * i
        if acc > 10.0:
            break
    return acc


_case(for_break, (0.7,), (2.3,), (0.1,))


def for_continue(x):
    acc = 0.0
    for i in range(6):
        if i == 3:
            continue
        acc = acc * x + 1.0
    return acc


_case(for_continue, (0.5,), (1.5,), (-2.0,))


def break_and_continue(x, y):
    acc = y
    for i in range(12):
        if i % 3 == 0:
            continue
        acc = acc * x + y
        if abs(acc) > 20.0:
            break
    return acc


_case(break_and_continue, (1.3, 0.9), (0.6, 1.1), (2.1, -0.4))


# --- nested loops, loops in branches, branches in loops ------------------------


def nested_loops(x, y):
    acc = 0.0
    for i in range(3):
        for j in range(2):
            acc = acc * x + y * (i - j)
    return acc


_case(nested_loops, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def nested_dependent_bounds(x):
    acc = 0.0
    for i in range(4):
        for j in range(i):
            acc += x ** j * 0.5
    return acc


_case(nested_dependent_bounds, (0.5,), (1.5,), (-2.0,))


def loop_in_branch(x):
    y = 1.0
    if x > 0.0:
        for _ in range(3):
            y = y * x + 1.0
    else:
        while y < 5.0:
            y = y - x
    return y


_case(loop_in_branch, (0.5,), (1.5,), (-0.7,))


def branch_in_loop(x, y):
    a = 1.0
    for i in range(6):
        if i % 2 == 0:
            a = a * x
        elif i == 3:
            a = a + y
        else:
            a = a - x * y
    return a


_case(branch_in_loop, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def while_in_for(x):
    acc = 0.0
    for i in range(3):
        t = x + i
        while t < 4.0:
            t = t * 1.5
        acc += t
    return acc


_case(while_in_for, (0.5,), (1.3,), (0.9,))


# --- calls into user functions ------------------------------------------------


def call_same_module(x, y):
    return _affine(x, 3.0) + _affine(y, b=2.0) + _affine(x, a=y) + _affine(b=x, x=y)


_case(call_same_module, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def call_chain(x):
    return _outer(x) * 0.5


_case(call_chain, (0.5,), (1.5,), (-2.0,))


def call_other_module(x, y):
    return helpers.scale(x, factor=y) + helpers.poly(y, b=0.5) + helpers.poly(x)


_case(call_other_module, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def call_chain_cross_module(x):
    return helpers.smooth(x, 1.5) * helpers.chain3(x)


_case(call_chain_cross_module, (0.5,), (1.5,), (-2.0,))


def call_in_loop(x):
    acc = 1.0
    for i in range(3):
        acc = _affine(acc, a=x, b=float(i))
    return acc


_case(call_in_loop, (0.5,), (1.5,), (-2.0,))


def call_imported_name(x, y):
    return damped(x) + damped(y, rate=x)


_case(call_imported_name, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def call_with_branches_inside(x, y):
    return helpers.clipped(x * y) + helpers.clipped(x, lo=-3.0, hi=3.0) * y


_case(call_with_branches_inside, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


# --- lists ------------------------------------------------------------------------


def list_append_index(x, y):
    xs = []
    xs.append(x)
    xs.append(y * x)
    xs.append(math.exp(y))
    return xs[0] * xs[2] - xs[1]


_case(list_append_index, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def list_sum(x):
    terms = []
    term = 1.0
    for i in range(6):
        terms.append(term)
        term = term * x / (i + 1)
    return sum(terms)


_case(list_sum, (0.5,), (1.5,), (-2.0,))


def list_index_in_loop(x, y):
    xs = []
    for i in range(4):
        xs.append(x + y * i)
    acc = 0.0
    for i in range(len(xs)):
        acc += xs[i] * xs[len(xs) - 1 - i]
    return acc


_case(list_index_in_loop, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def list_literal_sum(x, y):
    xs = [x, x * y, math.sin(y)]
    return sum(xs) * len(xs)


_case(list_literal_sum, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


# --- math functions, builtins, constants ------------------------------------------


def trig(x):
    return math.sin(x) + math.cos(2.0 * x) * math.tan(x)


_case(trig, (0.5,), (1.2,), (-0.7,))


def inverse_trig(x):
    return math.asin(x) + math.acos(x * 0.5) * math.atan(3.0 * x)


_case(inverse_trig, (0.5,), (-0.6,), (0.2,))


def atan2_case(x, y):
    return math.atan2(y, x) + math.atan2(x * x, 2.0)


_case(atan2_case, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def hyperbolic(x):
    return math.sinh(x) * math.cosh(0.5 * x) + math.tanh(x)


_case(hyperbolic, (0.5,), (1.5,), (-2.0,))


def inverse_hyperbolic(x):
    return math.asinh(x) + math.acosh(1.0 + x * x) + math.atanh(x / 2.0)


_case(inverse_hyperbolic, (0.5,), (-0.7,), (1.2,))


def exp_log(x):
    return math.exp(x) + math.expm1(x * 0.5) + math.log(x) * math.log1p(x)


_case(exp_log, (0.5,), (1.5,), (3.2,))


def log_bases(x, y):
    return math.log(x, 3.0) + math.log2(x) + math.log10(x) + math.log(x, y)


_case(log_bases, (0.5, 1.7), (1.5, 3.1), (4.2, 0.3))


def sqrt_hypot(x, y):
    return math.sqrt(x * x + 1.0) + math.hypot(x, y) + math.sqrt(math.hypot(x, 2.0))


_case(sqrt_hypot, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def erf_case(x):
    return math.erf(x) + math.erfc(x * 0.5) * x


_case(erf_case, (0.5,), (1.5,), (-2.0,))


def fabs_abs(x):
    return math.fabs(x) + abs(x * 2.0 - 1.0) + abs(math.sin(x))


_case(fabs_abs, (0.3,), (1.5,), (-2.0,))


def min_max(x, y):
    return min(x, y) + max(x, y) * 2.0 + max(x, 0.0) + min(x, y, 1.0) + max(x, y, -1.0)


_case(min_max, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def pow_builtin(x, y):
    return pow(x, y) + pow(x, 3) + pow(2.0, x * y)


_case(pow_builtin, (0.5, 1.2), (1.5, -0.7), (2.2, 0.3))


def pi_and_e(x):
    return math.pi * x * x + math.e ** x + math.sin(math.pi * x) / math.e


_case(pi_and_e, (0.3,), (1.4,), (-2.2,))


def integer_work(x):
    n = int(x)
    r = round(x)
    fl = math.floor(x)
    c = 1 if x > 2.0 else 0
    return x * n + r + fl * x + c * x


_case(integer_work, (1.3,), (2.7,), (-1.2,))


def integer_times_input(x):
    c = 1 if x > 2.0 else 0
    return c * x  # the gradient is c: a float all the same


_case(integer_times_input, (1.3,), (2.7,), (-0.4,))


def len_of_list(x, y):
    xs = [x, y, x]
    return x * len(xs) + y ** len(xs)


_case(len_of_list, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def global_constants(x):
    return RATE * x * x + OFFSET


_case(global_constants, (0.5,), (1.5,), (-2.0,))


# --- activity: values and parameters that do not matter ---------------------------


def inactive_value(x):
    c = math.pi * 2.0 + math.e
    d = c * c
    return x * c + d


_case(inactive_value, (0.5,), (1.5,), (-2.0,))


def constant_result(x):
    k = 2.0 * math.e
    return k


_case(constant_result, (0.5,), (1.5,), (-2.0,))


def ignores_param(x, y):
    return x * x + 1.0


_case(ignores_param, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def dead_store(x, y):
    t = y * 3.0
    t = x
    return t * x


_case(dead_store, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))


def selected_wrt(x, y, z):
    return x * y * z + math.sin(z)


_case(selected_wrt, (0.5, 1.2, 0.3), (1.5, -0.7, 2.0), (-2.0, 0.3, -1.0), wrt=(2, 0))


# --- closures and decorated functions -----------------------------------------------


def make_closure(k):
    def closure_scaled(x):
        return math.sin(k * x) + k * x * x

    return closure_scaled


closure_scaled = make_closure(1.5)
_case(closure_scaled, (0.5,), (1.5,), (-2.0,))


def logged(fn):
    """A transparent decorator; s2sdiff differentiates ``fn`` via ``__wrapped__``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@logged
def decorated(x, y):
    return x * math.exp(y) - y


_case(decorated, (0.5, 1.2), (1.5, -0.7), (-2.0, 0.3))
