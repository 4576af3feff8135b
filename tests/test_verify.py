"""``s2sdiff.check``: SymPy verification of generated derivatives.

Over the corpus, ``check`` must pass and must be decided by the method
recorded in ``METHODS`` (generated once by running ``check`` and reviewed: the
``path`` functions are exactly those whose path depends on data — a ``while``
on a float, a trip count computed from an input, a branch on a value that
itself came from a branch; ``exact`` ones involve ``abs``/``min``/``max``/
``//``/``%``, where SymPy's ``sign``/``Heaviside``/``floor`` does not simplify
against the generated conditionals).  Then the checker is shown to fail: a
wrong custom rule is reported with both expressions, in each method.
"""

from __future__ import annotations

import math

import numpy as np

import pytest
import sympy

import s2sdiff
from s2sdiff.verify import checker as verify, lift

from s2sdiff.rules import registry
from tests.corpus import CORPUS
from tests.corpus_numpy import NUMPY_CORPUS

METHODS = {  # corpus function → the kinds of method that decided its pairs
    "three_address": "simplify",
    "add_sub": "simplify",
    "mul_div": "simplify",
    "power_ops": "exact",  # ∂(x ** y)/∂x is piecewise (0 where y == 0): evaluated exactly
    "floordiv_mod": "exact",
    "unary_minus": "simplify",
    "augmented": "simplify",
    "int_literals": "simplify",
    "nested_expression": "simplify",
    "fan_out": "simplify",
    "reassign": "simplify",
    "unpack": "simplify",
    "unpack_three": "simplify",
    "swap_loop": "simplify",
    "swap_simple": "simplify",
    "ternary": "simplify",
    "ternary_nested": "simplify",
    "if_elif_else": "simplify",
    "bool_conditions": "path",
    "if_without_else": "simplify",
    "nested_if": "simplify",
    "chained_comparison": "simplify",
    "early_return": "simplify",
    "return_in_loop": "path",
    "multiple_returns": "simplify",
    "range_one_arg": "simplify",
    "range_two_args": "simplify",
    "range_three_args": "simplify",
    "range_int_of_float": "path",
    "range_len": "simplify",
    "loop_count_param": "path",
    "range_computed_bounds": "path",
    "range_from_round": "path",
    "range_from_floor": "path",
    "for_list_literal": "simplify",
    "for_tuple_of_active": "simplify",
    "for_list_variable": "simplify",
    "for_over_built_list": "simplify",
    "while_counter": "simplify",
    "while_value_condition": "path",
    "while_true_break": "path",
    "while_continue": "simplify",
    "while_branches": "path",
    "for_break": "path",
    "for_continue": "simplify",
    "break_and_continue": "path",
    "nested_loops": "simplify",
    "nested_dependent_bounds": "simplify",
    "loop_in_branch": "path",
    "branch_in_loop": "simplify",
    "while_in_for": "path",
    "call_same_module": "simplify",
    "call_chain": "simplify",
    "call_other_module": "simplify",
    "call_chain_cross_module": "simplify",
    "call_in_loop": "simplify",
    "call_imported_name": "simplify",
    "call_with_branches_inside": "simplify",
    "list_append_index": "simplify",
    "list_sum": "simplify",
    "list_index_in_loop": "simplify",
    "list_literal_sum": "simplify",
    "trig": "simplify",
    "inverse_trig": "simplify",
    "atan2_case": "simplify",
    "hyperbolic": "simplify",
    "inverse_hyperbolic": "simplify",
    "exp_log": "simplify",
    "log_bases": "simplify",
    "sqrt_hypot": "simplify",
    "erf_case": "simplify",
    "fabs_abs": "exact",
    "min_max": "exact",
    "pow_builtin": "exact",  # as power_ops
    "pi_and_e": "simplify",
    "integer_work": "path",
    "integer_times_input": "simplify",
    "len_of_list": "simplify",
    "global_constants": "simplify",
    "inactive_value": "simplify",
    "constant_result": "simplify",
    "ignores_param": "simplify",
    "dead_store": "simplify",
    "selected_wrt": "simplify",
    "closure_scaled": "simplify",
    "decorated": "simplify",
}

def test_every_corpus_function_has_an_expected_method():
    assert sorted(METHODS) == sorted(case.name for case in CORPUS)

MODES = ("reverse", "forward")

@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus(case):
    report = verify.check(case.fn, wrt=case.wrt, points=case.points, modes=MODES)
    assert report.ok, str(report)
    for mode in MODES:
        kinds = "+".join(sorted({p.kind for p in report.pairs if p.mode == mode}))
        assert kinds == METHODS[case.name], (mode, str(report))
    assert len(report.pairs) == len(MODES) * len(case.wrt)
    for pair in report.pairs:
        assert pair.kind == "simplify" or pair.points == len(case.points)

# --- the report -------------------------------------------------------------------

def poly(x, y):
    a = x * y
    b = math.sin(a)
    return b + x ** 2

def test_report_text_is_a_table():
    report = s2sdiff.check(poly, wrt=(0, 1))
    text = str(report)
    assert report.ok
    assert text.splitlines()[0].startswith("check poly(x, y)")
    assert "∂poly/∂x" in text and "∂poly/∂y" in text
    assert text.count("simplify") == 2 and text.rstrip().endswith("ok: 2 of 2 verified")
    assert report.methods() == {("reverse", "x"): "simplify", ("reverse", "y"): "simplify"}

def test_wrt_by_name_and_default_points():
    report = s2sdiff.check(poly, wrt="y")
    assert report.ok and [p.input for p in report.pairs] == ["y"]

def test_unavailable_mode_is_skipped_not_passed():
    report = s2sdiff.check(poly, wrt=0, modes=("reverse", "nonexistent"))
    assert report.ok
    assert [p.verdict for p in report.pairs] == ["ok", "skipped"]
    assert not s2sdiff.check(poly, wrt=0, modes=("nonexistent",)).ok

def test_unsupported_function_is_reported_not_raised():
    def uses_try(x):
        try:
            y = x * 2.0
        finally:
            pass
        return y

    report = s2sdiff.check(uses_try)
    assert not report.ok
    assert report.pairs[0].kind == "error" and "not generated" in report.pairs[0].detail

# --- the checker can fail ---------------------------------------------------------

def cube(x):
    return x * x * x

def uses_cube(x):
    return cube(math.sin(x)) + x

def uses_cube_in_while(x):
    t = x
    while t < 4.0:
        t = t + cube(x)
    return t

@pytest.fixture
def private_rules(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    monkeypatch.setattr(registry, "_CONSTANT", dict(registry._CONSTANT))
    monkeypatch.setattr(lift, "_SYMPY", dict(lift._SYMPY))

def wrong_cube_rule():
    @s2sdiff.partials(cube)
    def _(x):
        return (2.0 * x,)  # wrong: 3 x²

def test_wrong_rule_is_reported_with_both_expressions(private_rules):
    wrong_cube_rule()
    lift.register_sympy(cube, lambda x: x**3)
    report = s2sdiff.check(uses_cube, modes=("reverse", "forward"))
    assert not report.ok
    assert [p.mode for p in report.pairs] == ["reverse", "forward"]
    x = sympy.Symbol("x", real=True)
    text = str(report)
    for pair in report.pairs:
        assert not pair.ok
        assert sympy.simplify(pair.expected - (3 * sympy.sin(x) ** 2 * sympy.cos(x) + 1)) == 0
        assert sympy.simplify(pair.obtained - (2 * sympy.sin(x) * sympy.cos(x) + 1)) == 0
        assert f"expected: {pair.expected}" in text and f"obtained: {pair.obtained}" in text
    assert text.count("FAILED") == 2

def test_right_rule_passes(private_rules):
    @s2sdiff.partials(cube)
    def _(x):
        return (3.0 * x * x,)

    lift.register_sympy(cube, lambda x: x**3)
    report = s2sdiff.check(uses_cube)
    assert report.ok and report.pairs[0].kind == "simplify"

def test_wrong_rule_is_caught_along_the_path(private_rules):
    wrong_cube_rule()
    lift.register_sympy(cube, lambda x: x**3)
    report = s2sdiff.check(uses_cube_in_while, points=[(0.7,), (1.1,), (1.3,)])
    (pair,) = report.pairs
    assert pair.kind == "path" and not pair.ok
    assert pair.expected is not None and pair.obtained is not None

def test_opaque_function_falls_back_to_finite_differences(private_rules):
    @s2sdiff.partials(cube)
    def _(x):
        return (3.0 * x * x,)

    report = s2sdiff.check(uses_cube, points=[(0.3,), (0.9,), (-1.2,)])
    (pair,) = report.pairs
    assert report.ok and pair.kind == "fd" and pair.points == 3
    # the statement that stopped the symbolic check, with its location
    assert any("test_verify.py:" in n and "cube" in n and "no SymPy counterpart" in n
               for n in report.notes), report.notes

def test_finite_differences_catch_a_wrong_opaque_rule(private_rules):
    wrong_cube_rule()
    report = s2sdiff.check(uses_cube, points=[(0.3,), (0.9,)])
    assert not report.ok and report.pairs[0].kind == "fd"
    assert "finite differences" in report.pairs[0].detail

def test_wrong_builtin_rule_is_caught(private_rules):
    @s2sdiff.partials(math.sin)
    def _(x):
        return (-math.cos(x),)

    report = s2sdiff.check(poly, wrt=(0, 1))
    assert [p.ok for p in report.pairs] == [False, False]

def test_generated_source_disagreeing_with_its_ir_is_caught(monkeypatch):
    real = verify.api.derive

    def off_by_one(f, wrt=0, kind="grad"):
        g = real(f, wrt, kind)
        return lambda *a: tuple(v + 1.0 for v in g(*a))

    monkeypatch.setattr(verify.api, "derive", off_by_one)
    report = s2sdiff.check(poly, wrt=(0, 1))
    assert not report.ok and "generated source computes" in report.pairs[0].detail

def test_long_loop_is_sampled_not_unrolled():
    def long_loop(x):
        t = x
        for _ in range(500):
            t = t * 0.999 + x
        return t

    report = s2sdiff.check(long_loop, points=[(0.5,), (1.0,)])
    assert report.ok and report.pairs[0].kind == "path"

# --- NumPy code: arrays of symbols at the smallest point's shapes ------------------

# NumPy corpus function → (reverse, forward) kinds of method, generated once by
# running ``check`` and reviewed: ``path`` are the functions with a ``max``/
# ``min`` reduction (the element chosen is decided at the point) or a boolean
# mask; ``exact`` ones involve ``maximum``/``abs``/``where``/``norm``/``var``
# (Piecewise, Max, Heaviside) or ``tanh``/``exp`` forms (the cheap zero test
# used for array elements does not run ``trigsimp``); ``fd`` ones have a
# statement with no SymPy form (``_clip_partial`` compares arrays inside a
# helper; ``linalg.det``/``inv``/``solve`` on object arrays).
NUMPY_METHODS = {
    "ew_trig": ("simplify", "simplify"),
    "ew_exp_log": ("simplify", "simplify"),
    "ew_misc": ("exact", "exact"),
    "broadcast_column_row": ("simplify", "simplify"),
    "broadcast_scalar": ("simplify", "simplify"),
    "broadcast_three": ("simplify", "simplify"),
    "ew_max_min": ("exact", "exact"),
    "ew_where_clip": ("fd", "fd"),
    "ew_power_abs": ("exact", "exact"),
    "ew_two_args": ("simplify", "simplify"),
    "operators_mixed": ("simplify", "simplify"),
    "reduce_axes": ("path", "path"),
    "reduce_prod": ("simplify", "simplify"),
    "reduce_var_std": ("exact", "exact"),
    "reduce_norm": ("simplify", "simplify"),
    "reduce_min_keepdims": ("path", "path"),
    "logsumexp_pattern": ("path", "path"),
    "softmax_cross_entropy": ("path", "path"),
    "dot_vectors": ("simplify", "simplify"),
    "matmul_operator": ("simplify", "simplify"),
    "outer_inner": ("simplify", "simplify"),
    "tensordot_axes": ("simplify", "simplify"),
    "tensordot_pairs": ("simplify", "simplify"),
    "einsum_contraction": ("simplify", "simplify"),
    "quadratic_form": ("simplify", "simplify"),
    "det_inv_solve": ("fd", "fd"),
    "cross_product": ("simplify", "simplify"),
    "transpose_T": ("simplify", "simplify"),
    "transpose_axes": ("simplify", "simplify"),
    "reshape_ravel": ("simplify", "simplify"),
    "expand_squeeze": ("simplify", "simplify"),
    "index_int": ("simplify", "simplify"),
    "index_slice": ("simplify", "simplify"),
    "index_tuple": ("simplify", "simplify"),
    "index_int_array": ("simplify", "simplify"),
    "index_bool_mask": ("path", "path"),
    "methods_reduce": ("path", "path"),
    "methods_shape": ("simplify", "simplify"),
    "methods_reshape_T": ("simplify", "simplify"),
    "creation_constants": ("simplify", "simplify"),
    "rnn": ("exact", "exact+simplify"),
    "loop_accumulate": ("simplify", "simplify"),
    "loop_array_state": ("exact+simplify", "simplify"),
    "while_array": ("exact", "simplify"),
    "branch_on_reduction": ("exact", "exact"),
    "gmm_log_likelihood": ("exact", "exact+simplify"),
    "rodrigues_reprojection": ("exact", "exact"),
    "logistic_regression_loss": ("exact", "simplify"),
    "mlp_loss": ("exact+simplify", "exact+simplify"),
    "array_from_scalars_and_asarray": ("simplify", "simplify"),
    "python_operators_on_arrays": ("exact", "exact"),
    "item_writes": ("simplify", "simplify"),
    "item_writes_in_loop": ("simplify", "simplify"),
    "join_concatenate": ("simplify", "simplify"),
    "join_stack": ("simplify", "simplify"),
    "join_one_constant": ("simplify", "simplify"),
}
NUMPY_SCALAR = [c for c in NUMPY_CORPUS if c.output == "scalar"]

def test_every_scalar_output_numpy_function_has_an_expected_method():
    assert sorted(NUMPY_METHODS) == sorted(c.name for c in NUMPY_SCALAR)

@pytest.mark.parametrize("case", NUMPY_SCALAR, ids=lambda c: c.name)
def test_numpy_corpus(case):
    report = verify.check(case.fn, wrt=case.wrt, points=case.points, modes=MODES)
    assert report.ok, str(report)
    got = tuple("+".join(sorted({p.kind for p in report.pairs if p.mode == mode}))
                for mode in MODES)
    assert got == NUMPY_METHODS[case.name], str(report)
    assert len(report.pairs) == len(MODES) * len(case.wrt)
    assert any(n.startswith("arrays of symbols of shape") for n in report.notes)
    for pair in report.pairs:
        assert pair.kind == "simplify" or pair.points >= 1, str(report)
    if "fd" in got:  # the statement that stopped the symbolic check is named
        assert any("stopped at" in n and ("corpus_numpy.py:" in n or "generated code:" in n)
                   for n in report.notes), report.notes

def npcube(x):
    return x * x * x

def uses_npcube(x):
    return np.sum(npcube(np.sin(x)) + x)

def uses_npcube_too(x):  # another function: the compiled jvp of uses_npcube is cached
    return np.sum(npcube(np.sin(x)) + x)

def test_wrong_numpy_rule_is_reported_with_both_expressions(private_rules):
    @s2sdiff.partials(npcube)
    def _(x):
        return (2.0 * x,)  # wrong: 3 x²

    lift.register_sympy(npcube, lambda x: x**3)  # applied elementwise to arrays
    report = s2sdiff.check(uses_npcube, points=[(np.array([0.3, -0.7]),)],
                           modes=("reverse", "forward"))
    assert not report.ok
    x0 = sympy.Symbol("x[0]", real=True)
    text = str(report)
    assert [p.mode for p in report.pairs] == ["reverse", "forward"]
    for pair in report.pairs:
        assert not pair.ok and pair.kind == "exact" and "x[0]" in pair.detail
        assert sympy.simplify(pair.expected - (3 * sympy.sin(x0) ** 2 * sympy.cos(x0) + 1)) == 0
        assert sympy.simplify(pair.obtained - (2 * sympy.sin(x0) * sympy.cos(x0) + 1)) == 0
        assert f"expected: {pair.expected}" in text and f"obtained: {pair.obtained}" in text

def test_right_numpy_rule_passes(private_rules):
    @s2sdiff.partials(npcube)
    def _(x):
        return (3.0 * x * x,)

    lift.register_sympy(npcube, lambda x: x**3)
    report = s2sdiff.check(uses_npcube_too, points=[(np.array([0.3, -0.7]),)],
                           modes=("reverse", "forward"))
    assert report.ok and {p.kind for p in report.pairs} == {"simplify"}, str(report)

def test_wrong_opaque_numpy_rule_is_caught_by_finite_differences(private_rules):
    @s2sdiff.partials(npcube)
    def _(x):
        return (2.0 * x,)

    report = s2sdiff.check(uses_npcube, points=[(np.array([0.3, -0.7]),),
                                                (np.array([[0.5, 0.2], [0.1, 0.9]]),)])
    (pair,) = report.pairs
    assert not report.ok and pair.kind == "fd" and "finite differences" in pair.detail
    assert any("npcube" in n and "no SymPy counterpart" in n for n in report.notes)
