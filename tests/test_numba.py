"""Derivatives compiled by Numba (``jit=True``, ``s2sdiff grad --numba``).

The compiled derivative must be the derivative: on the scalar corpus every
transform under ``jit=True`` gives what the same transform gives in Python
(which the corpus tests check against finite differences), both modes and
Hessians included.  On the NumPy corpus, the functions whose generated code
Numba compiles today (``COMPILED`` below; a shrinking list is a regression)
give the same arrays, and every other one is refused with an S2SDiffError,
never a Numba error or a wrong number.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip("numba", reason="jit=True needs Numba: pip install 's2sdiff[numba]'")

import s2sdiff  # noqa: E402
from s2sdiff.errors import LocatedError, S2SDiffError  # noqa: E402
from tests.corpus import CORPUS  # noqa: E402
from tests.corpus_numpy import NUMPY_CORPUS  # noqa: E402
from tests.fd import assert_grad_close  # noqa: E402

SCALAR_KINDS = ("grad", "jvp", "vjp", "hessian")
COMPILED = set("""
branch_on_reduction:jvp broadcast_column_row:jvp broadcast_scalar:jvp broadcast_three:jvp
dot_vectors:grad dot_vectors:hessian dot_vectors:jvp dot_vectors:vjp ew_array_out:jvp
ew_array_out:vjp ew_exp_log:grad ew_exp_log:hessian ew_exp_log:jvp ew_exp_log:vjp
ew_max_min:jvp ew_misc:grad ew_misc:hessian ew_misc:jvp ew_misc:vjp ew_power_abs:grad
ew_power_abs:hessian ew_power_abs:jvp ew_power_abs:vjp ew_trig:grad ew_trig:hessian ew_trig:jvp
ew_trig:vjp ew_two_args:grad ew_two_args:hessian ew_two_args:jvp ew_two_args:vjp
gmm_log_likelihood:grad gmm_log_likelihood:jvp gmm_log_likelihood:vjp index_bool_mask:jvp
index_int:grad index_int:hessian index_int:jvp index_int:vjp index_tuple:jvp
logistic_regression_loss:grad logistic_regression_loss:hessian logistic_regression_loss:jvp
logistic_regression_loss:vjp loop_accumulate:grad loop_accumulate:jvp loop_accumulate:vjp
loop_array_state:jvp matvec_array_out:jvp methods_reshape_T:jvp mlp_loss:grad mlp_loss:hessian
mlp_loss:jvp mlp_loss:vjp operators_mixed:grad operators_mixed:hessian operators_mixed:jvp
operators_mixed:vjp outer_array_out:jvp quadratic_form:grad quadratic_form:hessian
quadratic_form:jvp quadratic_form:vjp reshape_ravel:jvp rnn:grad rnn:jvp rnn:vjp
transpose_T:jvp transpose_axes:jvp while_array:grad while_array:hessian while_array:jvp
while_array:vjp
""".split())


def _close(got, want) -> bool:
    if isinstance(want, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(_close(g, w) for g, w in zip(got, want)))
    return np.shape(got) == np.shape(want) and np.allclose(got, want, rtol=1e-10, atol=1e-13)


def _run(kind: str, case, point, jit: bool):
    transform = getattr(s2sdiff, kind)(case.fn, wrt=case.wrt, jit=jit)
    if kind == "jvp":
        tangents = tuple(np.ones_like(point[i]) if isinstance(point[i], np.ndarray) else 1.0
                         for i in case.wrt)
        return transform(*point, tangents)
    if kind == "vjp":
        value, pullback = transform(*point)
        return value, pullback(np.ones_like(value) if isinstance(value, np.ndarray) else 1.0)
    return transform(*point)


def _differentiable(kind: str, case, point) -> bool:
    try:
        _run(kind, case, point, jit=False)
    except Exception:  # noqa: BLE001 - not this transform's function (e.g. a Hessian of arrays)
        return False
    return True


@pytest.mark.parametrize("kind", SCALAR_KINDS)
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_scalar_corpus_compiled_equals_python(case, kind):
    point = case.points[0]
    if not _differentiable(kind, case, point):
        pytest.skip(f"{kind} does not apply to {case.name}")
    for point in case.points if kind == "grad" else case.points[:1]:
        assert _close(_run(kind, case, point, jit=True), _run(kind, case, point, jit=False))


@pytest.mark.parametrize("case", CORPUS[:20], ids=lambda c: c.name)
def test_compiled_gradient_matches_finite_differences(case):
    for point in case.points:
        assert_grad_close(case.fn, s2sdiff.grad(case.fn, wrt=case.wrt, jit=True), point, case.wrt)


@pytest.mark.parametrize("name_kind", sorted(COMPILED))
def test_numpy_corpus_compiled_equals_python(name_kind):
    name, kind = name_kind.split(":")
    case = next(c for c in NUMPY_CORPUS if c.name == name)
    point = case.points[0]  # other points may have other shapes, which Numba may not compile
    assert _close(_run(kind, case, point, jit=True), _run(kind, case, point, jit=False))


REFUSED = ["join_concatenate:grad", "item_writes:grad", "cross_product:jvp",
           "outer_array_out:vjp"]


@pytest.mark.parametrize("name_kind", REFUSED)
def test_numpy_code_numba_cannot_compile_is_refused(name_kind):
    name, kind = name_kind.split(":")
    case = next(c for c in NUMPY_CORPUS if c.name == name)
    with pytest.raises(S2SDiffError, match="jit: Numba cannot compile"):
        _run(kind, case, case.points[0], jit=True)


def recurrence(x, y):
    z = 1.0
    for i in range(100):
        z = z * 0.99 + math.sin(x * z) * y
    return z


def test_loops_run_backwards_with_range_and_the_code_is_decorated():
    source = s2sdiff.grad(recurrence, wrt=(0, 1), jit=True).source
    assert "@numba.njit\ndef grad_recurrence(x, y):" in source
    assert "for i in range(99, -1, -1):" in source and "reversed" not in source


def stepped(x, a, b):
    s = 0.0
    for i in range(a, b, 3):
        s = s + math.sin(x * i)
    for k in range(b, a, -2):
        s = s * math.cos(x + k)
    return s


@pytest.mark.parametrize("a, b", [(0, 10), (2, 11), (5, 5), (7, 2), (-4, 9)])
def test_loops_with_steps_and_symbolic_bounds_run_backwards_over_the_same_values(a, b):
    got = s2sdiff.grad(stepped, jit=True)(0.7, a, b)
    assert got == pytest.approx(s2sdiff.grad(stepped)(0.7, a, b), rel=1e-12, abs=1e-15)
    assert_grad_close(stepped, s2sdiff.grad(stepped, jit=True), (0.7, a, b), 0)


def branch_records_while(x, y):
    a = 1.0
    i = 0.0  # a float counter: the loop stays a while loop (ir/counted.py counts integers)
    while i < 6.0:
        if i % 2.0 == 0.0:
            a = a * x
        elif i == 3.0:
            a = a + y
        else:
            a = a - x * y
        i = i + 1.0
    return a


def test_a_tape_of_several_kinds_of_records_becomes_one_tape_per_kind():
    """(A while loop: a for loop's records go into arrays.)"""
    g = s2sdiff.grad(branch_records_while, wrt=(0, 1), jit=True)
    for point in [(0.5, 1.2), (1.5, -0.7)]:
        assert g(*point) == pytest.approx(s2sdiff.grad(branch_records_while, wrt=(0, 1))(*point))
    assert "_tape1 = []" in g.source and "_tape2 = []" in g.source


def log_base(x, y):
    return math.log(x, 3.0) + math.log(x, y)


def test_log_with_a_base_is_written_as_a_quotient():
    g = s2sdiff.jvp(log_base, wrt=(0, 1), jit=True)
    assert g(0.5, 1.7, (1.0, 1.0)) == pytest.approx(s2sdiff.jvp(log_base, wrt=(0, 1))(
        0.5, 1.7, (1.0, 1.0)))
    assert "math.log(x, " not in g.source


def contraction(A, B):
    return np.sum(np.einsum("ij,jk->ik", A, B))


def test_a_call_numba_does_not_know_is_refused_at_generation_with_its_line():
    A, B = np.ones((2, 3)), np.ones((3, 2))
    g = s2sdiff.grad(contraction, jit=True)
    with pytest.raises(LocatedError) as caught:
        g(A, B)
    message = str(caught.value)
    assert "np.einsum" in message and "test_numba.py:" in message and "jit=True" in message


def test_without_numba_the_option_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(S2SDiffError, match=r"pip install 's2sdiff\[numba\]'"):
        s2sdiff.grad(log_base, jit=True)


def test_the_command_writes_a_cached_numba_module(tmp_path):
    (tmp_path / "model.py").write_text(
        "import math\n\n\ndef f(x, y):\n    z = 1.0\n    for i in range(10):\n"
        "        z = z * 0.9 + math.sin(x * z) * y\n    return z\n")
    subprocess.run([sys.executable, "-m", "s2sdiff", "grad", "model.py:f", "--wrt", "x,y",
                    "--numba", "-o", "model_grad.py"], cwd=tmp_path, check=True,
                   capture_output=True)
    source = (tmp_path / "model_grad.py").read_text()
    assert "@numba.njit(cache=True)" in source and "--numba" in source
    run = subprocess.run([sys.executable, "-c", "import model, model_grad; "
                          "print(*model_grad.grad_f(0.3, 0.5))"], cwd=tmp_path, check=True,
                         capture_output=True, text=True)
    sys.path.insert(0, str(tmp_path))
    try:
        import model
        want = s2sdiff.grad(model.f, wrt=(0, 1))(0.3, 0.5)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("model", None)
    assert tuple(map(float, run.stdout.split())) == pytest.approx(want, rel=1e-12)


def weighted(xs, k):
    s = 0.0
    for j in range(len(xs)):
        s = s + xs[j] * k
    return s


def test_a_float_differentiated_beside_an_array_keeps_a_float_adjoint():
    """``k_bar = 0.0``, not ``np.zeros_like(k)`` (a 0-D array Numba cannot unify with a
    float); found by the Numba benchmark."""
    xs = np.linspace(0.0, 1.0, 4)
    gx, gk = s2sdiff.grad(weighted, wrt=(0, 1), jit=True)(xs, 0.9)
    np.testing.assert_allclose(gx, np.full(4, 0.9))
    assert gk == pytest.approx(2.0) and isinstance(gk, float)


# --- tapes as arrays: a for loop's records of numbers, indexed by trip -------------


def counted(x, n, a, b):
    s = x
    for i in range(n):
        s = s * 0.9 + math.sin(x * s)
    for k in range(a, b):
        s = s * math.cos(s + k)
    for m in range(b, a, -3):
        if s > 0.5:
            s = s * x
        else:
            s = s + math.exp(-s) * m
    return s


def while_records(x, y):
    t = 0.0
    k = 0.0  # a float counter: a while loop whose trips are not counted before it runs
    while k < 30.0:
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1.0
    return t


def kind_of_argument(x, n):
    acc = x
    for i in range(3):
        acc = acc * n + 1
    return acc


def _corpus(name):
    return next(c for c in CORPUS if c.name == name)


@pytest.mark.parametrize("n, a, b", [(5, 0, 10), (0, 2, 11), (3, 5, 5), (4, 7, 2), (-2, -4, 9)])
def test_records_of_loops_with_argument_bounds_are_arrays_giving_the_same_gradient(n, a, b):
    g = s2sdiff.grad(counted, jit=True)
    assert g(0.7, n, a, b) == pytest.approx(s2sdiff.grad(counted)(0.7, n, a, b),
                                            rel=1e-12, abs=1e-15)
    assert_grad_close(counted, g, (0.7, n, a, b), 0)
    assert "np.empty(max(n, 0))" in g.source and "np.empty(max(b - a, 0))" in g.source
    assert "np.empty(len(range(b, a, -3)))" in g.source and "[(m - b) // -3]" in g.source
    assert "for m in range(b + (len(range(b, a, -3)) - 1) * -3, b + 3, 3):" in g.source
    assert ".append(" not in g.source and ".pop()" not in g.source


def test_a_tape_is_an_array_where_the_trip_count_is_known_and_a_list_elsewhere():
    source = s2sdiff.grad(recurrence, wrt=(0, 1), jit=True).source
    assert "z_tape = np.empty(100)" in source and "z_tape[i] = z" in source
    assert "z = z_tape[i]" in source and "[]" not in source
    source = s2sdiff.grad(while_records, wrt=(0, 1), jit=True).source
    assert "_tape = []" in source and "_tape.append(t)" in source and "np.empty" not in source
    assert "for i in range(len(_tape) - 1, -1, -1):\n        t = _tape[i]" in source
    python = s2sdiff.grad(recurrence, wrt=(0, 1)).source  # plain Python keeps its lists
    assert "_tape = []" in python and "np.empty" not in python


@pytest.mark.parametrize("name", ["nested_loops", "nested_dependent_bounds", "branch_in_loop",
                                  "while_in_for", "loop_in_branch", "call_in_loop", "list_sum"])
def test_array_tapes_give_the_gradient_of_lists(name):
    case = _corpus(name)
    g = s2sdiff.grad(case.fn, wrt=case.wrt, jit=True)
    for point in case.points:
        assert _close(g(*point), s2sdiff.grad(case.fn, wrt=case.wrt)(*point))
        assert_grad_close(case.fn, g, point, case.wrt)


def nested_bounds(x, n, m):
    acc = x
    for i in range(n):
        for j in range(m):
            acc = math.sin(acc * x + j)
        acc = acc * 0.5 + i
    return acc


def nested_inside(x, n):
    acc = x
    for i in range(n):
        k = i + 1
        for j in range(1, k, 2):
            acc = math.sin(acc * x + j)
        acc = acc * 0.5 + i
    return acc


def test_an_inner_loop_whose_bounds_the_outer_keeps_has_a_row_per_outer_trip():
    source = s2sdiff.grad(_corpus("nested_loops").fn, wrt=(0, 1), jit=True).source
    assert "acc_1_tape = np.empty((3, 2))" in source and "acc_1_tape[i, j] = acc_1" in source
    assert "acc_1 = acc_1_tape[i, j]" in source and "[]" not in source
    assert "acc_1_tape[i] =" not in source  # the outer body keeps nothing the inner pops


@pytest.mark.parametrize("n, m", [(3, 4), (0, 4), (3, -1), (2, 1)])
def test_nested_loops_with_argument_bounds_give_the_gradient_of_lists(n, m):
    g = s2sdiff.grad(nested_bounds, jit=True)
    assert g(0.3, n, m) == pytest.approx(s2sdiff.grad(nested_bounds)(0.3, n, m),
                                         rel=1e-12, abs=1e-15)
    assert_grad_close(nested_bounds, g, (0.3, n, m), 0)
    assert "_t1_tape = np.empty((max(n, 0), max(m, 0)))" in g.source
    assert "_t1_tape[i, j] = _t1" in g.source and "[]" not in g.source


@pytest.mark.parametrize("n", [0, 1, 5])
def test_an_inner_loop_whose_bounds_change_with_the_outer_keeps_a_list(n):
    g = s2sdiff.grad(nested_inside, jit=True)
    assert g(0.3, n) == pytest.approx(s2sdiff.grad(nested_inside)(0.3, n), rel=1e-12, abs=1e-15)
    assert_grad_close(nested_inside, g, (0.3, n), 0)
    assert "_tape.append((acc_1, _t1))" in g.source
    assert "acc_1_tape" not in g.source  # the outer body keeps nothing the inner pops


def test_recorded_conditions_and_trip_counts_get_arrays_of_their_kind():
    source = s2sdiff.grad(_corpus("branch_in_loop").fn, wrt=(0, 1), jit=True).source
    assert "_t1_tape = np.empty(6, dtype=np.bool_)" in source and "if _t1_tape[i]:" in source
    assert "a_tape = np.empty(6)" in source
    source = s2sdiff.grad(_corpus("while_in_for").fn, jit=True).source
    assert "_trips1_tape = np.empty(3, dtype=np.int64)" in source


def test_a_value_whose_kind_depends_on_the_arguments_stays_on_a_list():
    """``acc`` is an int when both arguments are: it stays on a list, whose type Numba
    infers per call."""
    g = s2sdiff.grad(kind_of_argument, wrt=(0, 1), jit=True)
    assert "_tape = []" in g.source and "np.empty" not in g.source
    for point in [(0.5, 2), (0.5, 2.5), (1, 2), (True, 3)]:
        assert g(*point) == pytest.approx(s2sdiff.grad(kind_of_argument, wrt=(0, 1))(*point),
                                          rel=1e-12)


@pytest.mark.parametrize("kind", ["jvp", "vjp", "hessian"])
def test_array_tapes_in_other_transforms(kind):
    case = _corpus("branch_in_loop")
    for point in case.points:
        assert _close(_run(kind, case, point, jit=True), _run(kind, case, point, jit=False))
    for n, a, b in [(5, 0, 10), (4, 7, 2)]:
        point = (0.7, n, a, b)
        got = getattr(s2sdiff, kind)(counted, wrt=0, jit=True)
        want = getattr(s2sdiff, kind)(counted, wrt=0)
        if kind == "jvp":
            assert _close(got(*point, 1.0), want(*point, 1.0))
        elif kind == "vjp":
            assert _close(got(*point)[1](1.0), want(*point)[1](1.0))
        else:
            assert _close(got(*point), want(*point))


def test_array_tapes_in_code_for_arrays():
    xs = np.linspace(0.1, 1.0, 5)
    g = s2sdiff.grad(weighted_tanh, wrt=(0, 1), jit=True)
    got, want = g(xs, 0.9), s2sdiff.grad(weighted_tanh, wrt=(0, 1))(xs, 0.9)
    assert _close(got, want)
    assert "np.empty" in g.specialised(xs, 0.9).source


def weighted_tanh(xs, k):
    s = 0.0
    for j in range(len(xs)):
        s = math.tanh(s + xs[j] * k)
    return s
