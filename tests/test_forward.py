"""Forward mode and the transforms built on both modes (issue 3).

- every corpus function: ``grad(mode="forward")`` and ``jvp`` against central
  finite differences, at every point;
- forward against reverse, the dot-product test ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ for
  random v, w (relative error ≤ 1e-10), on the corpus and on functions with
  several outputs (``vjp``);
- ``jacobian`` in every mode, and ``auto``'s choice;
- ``hessian`` (forward over reverse) against finite differences of gradients;
- golden files of generated forward code: ``tests/golden/forward_*.py``,
  compared exactly; ``S2SDIFF_REGEN=1 pytest tests/test_forward.py`` rewrites them.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from s2sdiff import (
    S2SDiffError,
    UnsupportedSyntaxError,
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    vjp,
)
from tests import corpus
from tests.corpus import CORPUS
from tests.fd import ATOL, RTOL, assert_grad_close, fd_partial

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
DOT_RTOL = 1e-10

POINTS = [pytest.param(case, point, id=f"{case.name}-{k}")
          for case in CORPUS for k, point in enumerate(case.points)]
CASES = [pytest.param(case, id=case.name) for case in CORPUS]


def _or_skip(make):
    """``make()``; skips while the front end rejects the function (e.g. lists, still to land)."""
    try:
        return make()
    except UnsupportedSyntaxError as exc:
        pytest.skip(f"not supported by the front end yet: {str(exc).splitlines()[0]}")


# --- functions with several outputs ------------------------------------------------


def polar(r, theta):
    return r * math.cos(theta), r * math.sin(theta)


def trajectory(x, v):
    pos, vel = x, v
    energy = 0.0
    for _ in range(4):
        vel = vel - 0.1 * math.sin(pos)
        pos = pos + 0.1 * vel
        energy = energy + pos * pos
    return pos, vel, energy


def branchy_pair(x, y):
    if x > y:
        a = x * y
    else:
        a = math.exp(x - y)
    return a + y, a * x, 2.0


def wide(x):
    y = x * x
    return y, math.sin(y), y * x, math.exp(-x)


MULTI = [(polar, (1.5, 0.3)), (trajectory, (0.4, -0.2)), (branchy_pair, (1.2, 0.5)),
         (branchy_pair, (0.2, 0.5))]


def fd_jacobian(f, args, wrt):
    """J[output][input] of a tuple-valued f by central differences."""
    columns = [[fd_partial(lambda *a, k=k: f(*a)[k], args, i) for i in wrt]
               for k in range(len(f(*args)))]
    return columns


def close(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


# --- forward mode on the corpus -------------------------------------------------------


@pytest.mark.parametrize("case, point", POINTS)
def test_forward_gradient_matches_finite_differences(case, point):
    g = _or_skip(lambda: grad(case.fn, wrt=case.wrt, mode="forward"))
    assert g.mode == "forward"
    assert_grad_close(case.fn, g, point, case.wrt)


@pytest.mark.parametrize("case", CASES)
def test_jvp_value_and_single_wrt(case):
    point = case.points[0]
    i = case.wrt[0]
    f = _or_skip(lambda: jvp(case.fn, wrt=i))
    value, derivative = f(*point, 1.0)
    assert value == pytest.approx(case.fn(*point), rel=1e-12, abs=1e-15)
    assert close(derivative, fd_partial(case.fn, point, i))
    assert f(*point, tangents=1.0) == (value, derivative)


@pytest.mark.parametrize("case", CASES)
def test_dot_product_forward_against_reverse(case):
    """⟨J v, w⟩ = ⟨v, Jᵀ w⟩ at every point, v and w random."""
    forward = _or_skip(lambda: jvp(case.fn, wrt=case.wrt))
    pullback = _or_skip(lambda: vjp(case.fn, wrt=case.wrt))
    rng = random.Random(case.name)
    for point in case.points:
        v = tuple(rng.uniform(-1.0, 1.0) for _ in case.wrt)
        w = rng.uniform(-1.0, 1.0)
        jv = forward(*point, v)[1]
        _, back = pullback(*point)
        jtw = back(w)
        left, right = jv * w, sum(a * b for a, b in zip(v, jtw))
        assert math.isclose(left, right, rel_tol=DOT_RTOL, abs_tol=1e-300), (left, right)
        assert jtw == pytest.approx(tuple(w * g for g in grad(case.fn, wrt=case.wrt)(*point)),
                                    rel=1e-12, abs=1e-15)


# --- several outputs: jvp, vjp, Jacobians -----------------------------------------------


@pytest.mark.parametrize("f, point", MULTI, ids=lambda p: getattr(p, "__name__", ""))
def test_jacobians_agree_with_finite_differences(f, point):
    wrt = (0, 1)
    expected = fd_jacobian(f, point, wrt)
    for mode in ("forward", "reverse", "auto"):
        jac = jacobian(f, wrt=wrt, mode=mode)
        got = jac(*point)
        assert len(got) == len(expected)
        for row, want in zip(got, expected):
            assert all(close(a, b) for a, b in zip(row, want)), (mode, got, expected)
    assert jacobian(f, wrt=wrt).mode == ("forward" if len(f(*point)) >= 2 else "reverse")


@pytest.mark.parametrize("f, point", MULTI, ids=lambda p: getattr(p, "__name__", ""))
def test_dot_product_several_outputs(f, point):
    rng = random.Random(f.__name__)
    m = len(f(*point))
    for _ in range(3):
        v = (rng.uniform(-1, 1), rng.uniform(-1, 1))
        w = tuple(rng.uniform(-1, 1) for _ in range(m))
        value, jv = jvp(f, wrt=(0, 1))(*point, v)
        assert value == f(*point)
        value2, back = vjp(f, wrt=(0, 1))(*point)
        assert value2 == value
        left = sum(a * b for a, b in zip(jv, w))
        right = sum(a * b for a, b in zip(v, back(w)))
        assert math.isclose(left, right, rel_tol=DOT_RTOL), (left, right)


def test_jacobian_shapes_and_auto_mode():
    j = jacobian(wide)  # one input, four outputs
    assert j.mode == "forward" and "jvp_wide" in j.source
    assert len(j(0.7)) == 4 and all(isinstance(d, float) for d in j(0.7))
    assert jacrev(wide)(0.7) == pytest.approx(j(0.7), rel=1e-12)
    assert jacrev(wide).mode == "reverse" and "vjp_wide" in jacrev(wide).source
    s = jacobian(corpus.three_address, wrt=(0, 1))  # two inputs, one output
    assert s.mode == "reverse"
    assert s(0.5, 1.2) == pytest.approx(grad(corpus.three_address, wrt=(0, 1))(0.5, 1.2))
    assert jacfwd(corpus.three_address, wrt=1)(0.5, 1.2) == pytest.approx(
        grad(corpus.three_address, wrt=1)(0.5, 1.2), rel=1e-12)


def test_jvp_of_several_outputs_and_defaults():
    value, tangent = jvp(polar, wrt=1)(2.0, 0.3, 1.0)
    assert value == polar(2.0, 0.3)
    assert tangent == pytest.approx((-2.0 * math.sin(0.3), 2.0 * math.cos(0.3)))
    # a default argument and a keyword argument
    f = jvp(corpus._affine, wrt=0)
    assert f(3.0, 1.0) == (7.0, 2.0)
    assert f(3.0, 1.0, b=0.5) == (6.5, 2.0)


# --- Hessians: forward over reverse ---------------------------------------------------------

HESSIAN_CASES = ["three_address", "swap_loop", "while_branches", "nested_loops", "branch_in_loop",
                 "if_elif_else", "call_in_loop", "while_true_break", "nested_expression",
                 "power_ops", "min_max", "break_and_continue", "loop_count_param"]


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].name in HESSIAN_CASES])
def test_hessian_matches_finite_differences_of_gradients(case):
    h = hessian(case.fn, wrt=case.wrt)
    assert h.mode == "forward-over-reverse"
    g = grad(case.fn, wrt=case.wrt)
    for point in case.points:
        got = h(*point)
        for j, i in enumerate(case.wrt):
            column = [fd_partial(lambda *a, k=k: g(*a)[k], point, i) for k in range(len(case.wrt))]
            for k, want in enumerate(column):
                assert math.isclose(got[k][j], want, rel_tol=1e-5, abs_tol=1e-6), \
                    (point, k, j, got, want)


def test_hessian_single_wrt_is_a_number():
    h = hessian(corpus.nested_expression)
    x = 0.5
    want = fd_partial(grad(corpus.nested_expression), (x,), 0)
    assert math.isclose(h(x), want, rel_tol=1e-5)


def test_second_derivative_of_straight_line_code_by_reverse_over_reverse():
    d2 = grad(grad(corpus.fan_out))
    x = 1.5
    assert math.isclose(d2(x), 12.0 * x * x + 2.0 - 6.0 * x, rel_tol=1e-12)


# --- errors ---------------------------------------------------------------------------------


def test_errors():
    with pytest.raises(S2SDiffError, match="mode"):
        grad(polar, mode="sideways")
    with pytest.raises(S2SDiffError, match="mode"):
        jacobian(polar, mode="sideways")
    with pytest.raises(S2SDiffError, match="one number"):
        hessian(polar)
    with pytest.raises(S2SDiffError, match="one number"):
        grad(polar, wrt=0, mode="forward")
    with pytest.raises(ValueError, match="expected 2"):  # unpacking the tangents
        jvp(polar, wrt=(0, 1))(1.0, 2.0, (1.0,))


# --- generated code: golden files and lint ---------------------------------------------------

GOLDEN_CASES = {
    "forward_three_address": lambda: jvp(corpus.three_address, wrt=(0, 1)),
    "forward_while_branches": lambda: jvp(corpus.while_branches),
    "forward_if_elif_else": lambda: jvp(corpus.if_elif_else),
    "forward_trajectory": lambda: jacobian(trajectory, wrt=(0, 1)),
    "forward_hessian_swap_loop": lambda: hessian(corpus.swap_loop, wrt=(0, 1)),
}


def _portable(source: str) -> str:
    return source.replace(str(REPO), "<repo>")


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_source(name):
    source = _portable(GOLDEN_CASES[name]().source)
    path = GOLDEN / f"{name}.py"
    if os.environ.get("S2SDIFF_REGEN"):
        path.write_text(source)
    assert path.exists(), f"no golden file {path}; run with S2SDIFF_REGEN=1"
    assert source == path.read_text()


def test_generated_forward_source_is_ruff_clean(tmp_path):
    count = 0
    for case in CORPUS:
        for label, make in (("jvp", jvp), ("hessian", hessian)):
            try:
                source = make(case.fn, wrt=case.wrt).source
            except S2SDiffError:
                continue
            (tmp_path / f"{label}_{case.name}.py").write_text(source)
            count += 1
    assert count
    cmd = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
           "--select", "E,F,W", "--ignore", "E501", str(tmp_path)]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
