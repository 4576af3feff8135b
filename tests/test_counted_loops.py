"""``while`` loops that count to a constant become ``for`` loops (``ir/counted.py``).

The rewritten loops' derivatives are checked against finite differences, and
the loops that must stay ``while`` loops (a counter read after the loop, a
``break``, a bound known only at run time, a float counter, a step in a
branch) are checked to stay so.
"""

from __future__ import annotations

import math

import pytest

import s2sdiff
from s2sdiff import grad, hessian, jvp
from tests.fd import fd_partial


def counts_to_100(x, y):
    t = 0.0
    k = 0
    while k < 100:
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1
    return t


def steps_of_three(x, y):
    s = x
    k = 2
    while k <= 10:
        s = s * y + math.sin(s * k)
        k += 3
    return s


def reads_the_next_count(x, y):
    s = x
    k = 0
    while k < 4:
        k = k + 1
        s = s * y + k * x
    return s


def never_runs(x, y):
    s = x * y
    k = 5
    while k < 3:
        s = s * s
        k = k + 1
    return s


def counter_read_after(x, y):
    s = x
    k = 0
    while k < 5:
        s = s * y
        k = k + 1
    return s * k


def breaks(x, y):
    s = x
    k = 0
    while k < 50:
        s = s * y + 0.1
        if s > 3.0:
            break
        k = k + 1
    return s


def bound_at_run_time(x, n):
    s = x
    k = 0
    while k < n:
        s = math.sin(s) + x
        k = k + 1
    return s


def float_counter(x, y):
    s = x
    k = 0.0
    while k < 3.0:
        s = s * y
        k = k + 1.0
    return s


def step_in_a_branch(x, y):
    s = x
    k = 0
    while k < 6:
        s = s * y
        if s > 0.0:
            k = k + 1
        else:
            k = k + 2
    return s


ROUND = [(counts_to_100, "for k in range(100):"), (steps_of_three, "for k in range(2, 11, 3):"),
         (reads_the_next_count, "for k in range(4):"), (never_runs, "for k in range(5, 3):")]
KEPT = [counter_read_after, breaks, bound_at_run_time, float_counter, step_in_a_branch]


@pytest.mark.parametrize("fn, header", ROUND, ids=lambda v: getattr(v, "__name__", ""))
def test_a_loop_that_counts_to_a_constant_is_a_for_loop(fn, header):
    assert header in s2sdiff.show(fn, stage="ssa")
    assert "while" not in s2sdiff.show(fn, wrt=(0, 1))


@pytest.mark.parametrize("fn", KEPT, ids=lambda f: f.__name__)
def test_other_loops_stay_while_loops(fn):
    assert "while" in s2sdiff.show(fn, stage="ssa")


@pytest.mark.parametrize("fn", [f for f, _ in ROUND] + KEPT, ids=lambda f: f.__name__)
def test_derivatives_match_finite_differences(fn):
    point = (0.6, 4) if fn is bound_at_run_time else (0.6, 0.9)
    wrt = 0 if fn is bound_at_run_time else (0, 1)
    names = (wrt,) if isinstance(wrt, int) else wrt
    got = grad(fn, wrt=wrt)(*point)
    got = (got,) if isinstance(wrt, int) else got
    for g, i in zip(got, names):
        assert g == pytest.approx(fd_partial(fn, point, i), rel=1e-6, abs=1e-8)
    _, tangent = jvp(fn, wrt=0)(*point, 1.0)
    assert tangent == pytest.approx(got[0], rel=1e-12, abs=1e-14)
    if fn is not bound_at_run_time:
        first = grad(fn, wrt=0)
        assert hessian(fn, wrt=0)(*point) == pytest.approx(fd_partial(first, point, 0),
                                                           rel=1e-5, abs=1e-7)


def test_under_numba_the_tape_of_a_counted_loop_is_an_array():
    pytest.importorskip("numba")
    source = s2sdiff.show(counts_to_100, wrt=(0, 1), jit=True)
    assert "np.empty(100)" in source and ".append(" not in source
    got = grad(counts_to_100, wrt=(0, 1), jit=True)(0.7, 0.8)
    assert got == pytest.approx(grad(counts_to_100, wrt=(0, 1))(0.7, 0.8), rel=1e-12)
