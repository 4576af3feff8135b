"""Elementwise NumPy functions of issue 18 (``logaddexp2``, ``fmax``/``fmin``, ``sinc``,
``nan_to_num``, ``real``/``imag``/``conj``), and complex numbers refused.

Each is checked against finite differences in both modes on several shapes
(:func:`tests.rule_checks.check`), its partials against SymPy, and its
convention where it is not differentiable.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from s2sdiff import S2SDiffError, grad, jacobian, jvp
from s2sdiff.rules import registry
from s2sdiff.verify import lift
from tests.rule_checks import check


def N(*shape, seed=0):
    return np.random.default_rng(seed + 7 * len(shape)).normal(size=shape)


def logaddexp2_(x, y):
    return np.logaddexp2(x, y) * 1.5


def fmax_(x, y):
    return np.fmax(x, y) * 2.0


def fmin_(x, y):
    return np.fmin(x, y) * 2.0


def sinc_(x):
    return np.sinc(x) * 3.0


def nan_to_num_(x):
    return np.nan_to_num(x) * 2.0


def nan_to_num_bounded(x):
    return np.nan_to_num(x, posinf=5.0, neginf=-5.0) * 2.0


def nan_to_num_keywords(x):
    return np.nan_to_num(x, nan=1.0, posinf=5.0, neginf=-5.0) * x


def real_imag_conj(x):
    return np.real(x) * np.conj(x) + np.imag(x) + np.conjugate(x)


BINARY_SHAPES = [((), ()), ((4,), (4,)), ((3, 1), (4,)), ((2, 3), ())]


@pytest.mark.parametrize("fn", [logaddexp2_, fmax_, fmin_])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("wrt", [0, 1])
def test_binary_functions_match_finite_differences(fn, shapes, wrt):
    x, y = N(*shapes[0], seed=1), N(*shapes[1], seed=2)
    args = [float(v) if not np.shape(v) else v for v in (x, y)]
    check(fn, args, wrt)


@pytest.mark.parametrize("fn", [sinc_, nan_to_num_, nan_to_num_keywords, real_imag_conj])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
def test_unary_functions_match_finite_differences(fn, shape):
    x = N(*shape, seed=3)
    check(fn, [float(x) if not shape else x])


def test_fmax_fmin_ties_share_and_nan_is_ignored():
    x = np.array([1.0, 2.0, 3.0, np.nan])
    y = np.array([1.0, np.nan, 0.0, 4.0])
    dx = jacobian(lambda_fmax, 0)(x, y)
    assert np.diag(dx).tolist() == [1.0, 2.0, 2.0, 0.0]  # 2 * (0.5 at the tie, 1, 1, 0)
    dy = jacobian(lambda_fmax, 1)(x, y)
    assert np.diag(dy).tolist() == [1.0, 0.0, 0.0, 2.0]
    _, t = jvp(fmin_, 0)(x, y, np.ones(4))
    assert t.tolist() == [1.0, 2.0, 0.0, 0.0]


def lambda_fmax(x, y):
    return fmax_(x, y)


def test_sinc_at_zero_has_derivative_zero():
    x = np.array([0.0, 0.5])
    d = np.diag(jacobian(sinc_, 0, mode="reverse")(x))
    assert d[0] == 0.0
    assert d[1] == pytest.approx(3.0 * (np.cos(np.pi * 0.5) - np.sinc(0.5)) / 0.5)
    assert grad(sinc_)(0.0) == 0.0


def test_nan_to_num_passes_nothing_through_replaced_elements():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    for mode in ("forward", "reverse"):
        d = jacobian(nan_to_num_bounded, 0, mode=mode)(x)
        assert np.array_equal(d, np.diag([2.0, 0.0, 0.0, 0.0, 2.0])), mode


def test_imag_of_real_input_is_constant():
    assert registry.is_constant(np.imag)


# --- SymPy ------------------------------------------------------------------------

SYMPY_CASES = [  # (callable, sampler of a point away from kinks)
    (np.logaddexp2, lambda r: (r.uniform(-2, 2), r.uniform(-2, 2))),
    (np.fmax, lambda r: (r.uniform(-2, 0), r.uniform(0.1, 2))),
    (np.fmax, lambda r: (r.uniform(0.1, 2), r.uniform(-2, 0))),
    (np.fmin, lambda r: (r.uniform(-2, 0), r.uniform(0.1, 2))),
    (np.fmin, lambda r: (r.uniform(0.1, 2), r.uniform(-2, 0))),
    (np.sinc, lambda r: (r.choice((-1, 1)) * r.uniform(0.2, 2.5),)),
    (np.real, lambda r: (r.uniform(-2, 2),)),
    (np.conjugate, lambda r: (r.uniform(-2, 2),)),
]


@pytest.mark.parametrize("fn, sample", SYMPY_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_partials_agree_with_sympy(fn, sample):
    rule = registry.lookup(fn)
    syms = [sympy.Symbol(p, real=True) for p in rule.params]
    f = lift.sympy_callable(fn)(*syms)
    bindings = dict(zip(rule.params, syms), out=f)
    rng = np.random.default_rng(5)
    for sym, template in zip(syms, rule.partials):
        got = lift.lift_expr(template, bindings, rule.namespace)
        want = lift.diff_ae(f, sym)
        for _ in range(6):
            point = {s: sympy.Rational(repr(float(v))) for s, v in zip(syms, sample(rng))}
            d = (got - want).subs(point).evalf(40)
            assert d.is_number and abs(d) < 1e-25, (fn.__name__, sym, got, want, point)


# --- complex numbers are out of scope ------------------------------------------------


def times_complex_constant(x):
    return x * (1.0 + 2j)


def square(x):
    return x * x


def test_a_complex_constant_is_refused_where_it_is_written():
    with pytest.raises(S2SDiffError, match=r"test_rules_elementwise.py:\d+:\d+: complex number") \
            as error:
        grad(times_complex_constant)(1.0)
    assert "complex numbers are out of scope" in str(error.value)


@pytest.mark.parametrize("value", [1 + 2j, np.array([1 + 2j, 3.0]), np.complex128(1 + 1j)],
                         ids=["number", "array", "numpy scalar"])
def test_a_complex_argument_is_refused(value):
    for transform in (grad(square), jacobian(square), jacobian(square, mode="reverse")):
        with pytest.raises(S2SDiffError, match=r"test_rules_elementwise.py:\d+:\d+: complex "
                                               r"argument 'x'") as error:
            transform(value)
        assert "complex numbers are out of scope" in str(error.value)
    with pytest.raises(S2SDiffError, match="complex argument"):
        jvp(square)(value, value)
