"""Derivatives of generated derivatives.

On corpus functions with loops and branches, every second derivative made by
composition is checked against central finite differences of the first
derivative:

- ``grad(grad(f))`` and ``jvp(grad(f))``: composed in IR, forward mode over the
  reverse emitter's gradient, as ``hessian`` (``pipeline.generate``'s ``of``);
- the reverse-mode derivative of ``jvp(f)``'s tangent output.

``vjp(grad(f))`` (reverse over reverse) is composed in IR too (the gradient made
SSA again, ``tests/test_reverse_over_reverse_in_ir.py``); of list code it
differentiates the generated gradient as any Python function.  Either way the
outer gradient reverses the inner one's tape pushes and pops with a tape of
adjoints, and its Hessian must equal ``hessian`` to rounding.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys

import pytest

from s2sdiff import UnsupportedSyntaxError, grad, hessian, jacobian, jvp, vjp
from tests import corpus
from tests.corpus import CORPUS
from tests.fd import fd_partial

NAMES = ["swap_loop", "if_elif_else", "bool_conditions", "nested_if", "early_return",
         "return_in_loop", "multiple_returns", "range_int_of_float", "loop_count_param",
         "range_computed_bounds", "for_tuple_of_active", "while_counter",
         "while_value_condition", "while_true_break", "while_continue", "while_branches",
         "for_break", "for_continue", "break_and_continue", "nested_loops",
         "nested_dependent_bounds", "loop_in_branch", "branch_in_loop", "while_in_for",
         "call_in_loop"]
CASES = [pytest.param(c, id=c.name) for c in CORPUS if c.name in NAMES]


def test_the_cases_exist():
    assert len(CASES) == len(NAMES)


def _check(case, second):
    """``second(i, j)(*point)`` against finite differences of ``grad(f, wrt=i)`` in j."""
    for point in case.points:
        for i in case.wrt:
            first = grad(case.fn, wrt=i)
            for j in case.wrt:
                want = fd_partial(first, point, j)
                got = second(i, j)(*point)
                assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6), (point, i, j, got, want)


@pytest.mark.parametrize("case", CASES)
def test_grad_of_grad(case):
    _check(case, lambda i, j: grad(grad(case.fn, wrt=i), wrt=j))


@pytest.mark.parametrize("case", CASES)
def test_jvp_of_grad(case):
    def second(i, j):
        tangent = jvp(grad(case.fn, wrt=i), wrt=j)
        return lambda *args: tangent(*args, 1.0)[1]

    _check(case, second)


@pytest.mark.parametrize("case", CASES)
def test_reverse_mode_derivative_of_jvp(case):
    def second(i, j):
        rows = jacobian(jvp(case.fn, wrt=i), wrt=j, mode="reverse")  # d value, d tangent
        return lambda *args: rows(*args, 1.0)[1]

    _check(case, second)


@pytest.mark.parametrize("name", ["swap_loop", "while_branches", "nested_loops",
                                  "branch_in_loop", "break_and_continue"])
def test_hessian_by_reverse_over_reverse_equals_forward_over_reverse(name):
    case = next(c for c in CORPUS if c.name == name)
    pullback_of = vjp(grad(case.fn, wrt=case.wrt), wrt=case.wrt)
    by_forward = hessian(case.fn, wrt=case.wrt)
    n = len(case.wrt)
    for point in case.points:
        _, pullback = pullback_of(*point)
        want = by_forward(*point)
        assert len(want) == n
        for i in range(n):  # row i of the (symmetric) Hessian: the pullback of unit i
            row = pullback(tuple(float(k == i) for k in range(n)))
            assert row == pytest.approx(want[i], rel=1e-10, abs=1e-12)
        by_jacrev = jacobian(grad(case.fn, wrt=case.wrt), wrt=case.wrt, mode="reverse")(*point)
        for row_got, row_want in zip(by_jacrev, want):  # composed in IR: forward over reverse
            assert row_got == pytest.approx(row_want, rel=1e-10, abs=1e-12)


def test_third_derivative_through_two_tapes():
    second = grad(grad(corpus.while_branches))
    third = grad(second)
    for point in next(c for c in CORPUS if c.name == "while_branches").points:
        assert math.isclose(third(*point), fd_partial(second, point, 0),
                            rel_tol=1e-5, abs_tol=1e-6)


_SLOPE = grad(corpus.branch_in_loop, wrt=0)


def slope_squared(x, y):
    """A user function calling a generated gradient with a tape: inlined like any call."""
    s = _SLOPE(x, y)
    return s * s + y


def slopes_in_a_loop(x, y):
    """The generated gradient inlined in a loop: its tape is made afresh each time."""
    s = 0.0
    for i in range(3):
        s = s * y + _SLOPE(x + 0.1 * i, y)
    return s


@pytest.mark.parametrize("fn", [slope_squared, slopes_in_a_loop])
def test_user_code_calling_a_generated_gradient(fn):
    g = grad(fn, wrt=(0, 1))
    forward = jvp(fn, wrt=(0, 1))
    for point in ((0.5, 1.2), (1.5, -0.7), (-2.0, 0.3)):
        got = g(*point)
        for k in range(2):
            want = fd_partial(fn, point, k)
            assert math.isclose(got[k], want, rel_tol=1e-5, abs_tol=1e-6)
            unit = (1.0, 0.0) if k == 0 else (0.0, 1.0)
            assert math.isclose(forward(*point, unit)[1], want, rel_tol=1e-5, abs_tol=1e-6)


def test_a_gradient_of_list_code_is_differentiated_again_in_ir():
    second = grad(grad(corpus.list_sum))
    assert second.mode == "forward"
    for point in ((0.5,), (1.5,), (-2.0,)):
        want = fd_partial(grad(corpus.list_sum), point, 0)
        assert math.isclose(second(*point), want, rel_tol=1e-6, abs_tol=1e-8)
        assert second(*point) == pytest.approx(hessian(corpus.list_sum)(*point), rel=1e-12)


def test_reverse_over_reverse_of_list_code_is_rejected_with_a_location():
    with pytest.raises(UnsupportedSyntaxError, match=r"grad_list_sum.*\.pop"):
        vjp(grad(corpus.list_sum))(0.5)


def while_with_branch(x, y):
    t = 0.0
    k = 0
    while k < 5:
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1
    return t


def test_the_command_differentiates_a_gradient_module_it_wrote(tmp_path):
    from tests.test_cli import run

    source = "import math\n\n\n" + inspect.getsource(while_with_branch)
    (tmp_path / "loopy.py").write_text(source)
    run("grad", "loopy.py:while_with_branch", "--wrt", "x", "-o", "first.py", cwd=tmp_path,
        check=0)
    run("grad", "first.py:grad_while_with_branch", "--wrt", "x,y", "-o", "second.py",
        cwd=tmp_path, check=0)
    namespace: dict = {}
    exec(compile((tmp_path / "second.py").read_text(), "second.py", "exec"), namespace)
    second = namespace["grad_grad_while_with_branch"]
    h = hessian(while_with_branch, wrt=(0, 1))
    for point in ((0.7, 0.8), (0.3, 1.1), (2.5, 0.9)):
        assert second(*point) == pytest.approx(h(*point)[0], rel=1e-10)


def test_second_order_source_is_ruff_clean(tmp_path):
    for case in CORPUS:
        if case.name not in NAMES:
            continue
        i = case.wrt[0]
        first = grad(case.fn, wrt=i)
        (tmp_path / f"gg_{case.name}.py").write_text(grad(first, wrt=i).source)
        (tmp_path / f"jg_{case.name}.py").write_text(jvp(first, wrt=i).source)
    cmd = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
           "--select", "E,F,W", "--ignore", "E501", str(tmp_path)]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def stack_walk(x, y):
    """A list used as a stack in the user's own code (as gradient code uses its tapes)."""
    stack = []
    t = x
    for i in range(4):
        stack.append(t)
        t = math.sin(t * y) + 0.5 * t
    s = 0.0
    for k in range(2):
        u = stack.pop()
        s = s + u * t
    for v in reversed(stack):
        s = s * 0.9 + v * v
    return s


def reread_stack(x):
    stack = []
    stack.append(x)
    s = 0.0
    for v in reversed(stack):
        s = s + v
    return s + stack.pop()


def test_lists_used_as_stacks_are_plain_python():
    for point in ((0.7, 1.3), (-0.4, 0.8)):
        got = grad(stack_walk, wrt=(0, 1))(*point)
        for k in range(2):
            want = fd_partial(stack_walk, point, k)
            assert math.isclose(got[k], want, rel_tol=1e-6, abs_tol=1e-8)
            unit = (1.0, 0.0) if k == 0 else (0.0, 1.0)
            assert math.isclose(jvp(stack_walk, wrt=(0, 1))(*point, unit)[1], want,
                                rel_tol=1e-6, abs_tol=1e-8)
    with pytest.raises(UnsupportedSyntaxError, match=r"reversed\(stack\).*read again"):
        grad(reread_stack)
