"""Every derivative rule checked against SymPy, and its conventions at kinks.

For each rule, the partial templates are lifted to SymPy with the rule's
parameters as real symbols and compared with the derivative of the callable's
SymPy counterpart: ``simplify(a - b) == 0``, or else equality at random points
of the callable's domain at 50 digits.  Non-smooth callables are compared away
from their kinks; at the kinks the templates are evaluated with Python floats
and compared with what ``jax.grad`` returns (jax 0.10.2, x64).
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import random

import pytest
import sympy

import s2sdiff.rules
from s2sdiff.verify import lift
from s2sdiff.rules import registry

# --- domains: where each callable is smooth ----------------------------------


def _u(a, b):
    return lambda r: r.uniform(a, b)


def _s(a, b):  # either sign, away from 0
    return lambda r: r.choice((-1, 1)) * r.uniform(a, b)


ANY, POS, NZ, UNIT = _u(-2.0, 2.0), _u(0.2, 3.0), _s(0.2, 3.0), _u(-0.95, 0.95)


def _off_integer(x, y):
    return 0.05 < (x / y) % 1.0 < 0.95


DOMAINS = {  # callable: (one sampler per parameter, predicate away from kinks)
    operator.truediv: ((ANY, NZ), None),
    operator.pow: ((POS, ANY), None),
    builtins.pow: ((POS, ANY), None),
    math.pow: ((POS, ANY), None),
    operator.mod: ((_u(-6, 6), NZ), _off_integer),
    math.fmod: ((_u(-6, 6), NZ), _off_integer),
    builtins.abs: ((NZ,), None),
    operator.abs: ((NZ,), None),
    math.fabs: ((NZ,), None),
    math.copysign: ((NZ, NZ), None),
    builtins.max: ((ANY, ANY), lambda x, y: abs(x - y) > 0.05),
    builtins.min: ((ANY, ANY), lambda x, y: abs(x - y) > 0.05),
    math.log: ((POS, _u(1.5, 4.0)), None),
    math.log1p: ((_u(-0.9, 3.0),), None),
    math.log2: ((POS,), None),
    math.log10: ((POS,), None),
    math.sqrt: ((POS,), None),
    getattr(math, "cbrt", None): ((NZ,), None),
    math.hypot: ((NZ, NZ), None),
    math.atan2: ((NZ, NZ), None),
    math.asin: ((UNIT,), None),
    math.acos: ((UNIT,), None),
    math.atanh: ((UNIT,), None),
    math.acosh: ((_u(1.1, 4.0),), None),
    math.tan: ((_u(-1.4, 1.4),), None),
    math.ldexp: ((ANY, lambda r: r.randint(-3, 3)), None),
}


def sample_points(rule, count=4, seed=0):
    """Deterministic points of the rule's domain, away from kinks."""
    samplers, away = DOMAINS.get(rule.fn, ((ANY,) * len(rule.params), None))
    rng = random.Random(f"{seed}:{rule.params}:{getattr(rule.fn, '__name__', '')}")
    points = []
    while len(points) < count:
        point = tuple(s(rng) for s in samplers[: len(rule.params)])
        if away is None or away(*point):
            points.append(point)
    return points


# --- the checker --------------------------------------------------------------


def check_rule(rule, count=8):
    """Problems found in ``rule`` (empty when every partial agrees with SymPy)."""
    name = getattr(rule.fn, "__name__", repr(rule.fn))
    counterpart = lift.sympy_callable(rule.fn)
    if counterpart is None:
        return [f"{name}: no SymPy counterpart to check the rule against"]
    syms = [sympy.Symbol(p, real=True) for p in rule.params]
    f = counterpart(*syms)
    bindings = dict(zip(rule.params, syms), out=f)
    points = sample_points(rule, count)
    problems = []
    for param, sym, template in zip(rule.params, syms, rule.partials):
        if template is None:
            continue
        got = lift.lift_expr(template, bindings, rule.namespace)
        want = lift.diff_ae(f, sym)
        difference = got - want
        if sympy.simplify(difference) == 0:
            continue
        for point in points:
            values = {s: sympy.Rational(repr(v)) for s, v in zip(syms, point)}
            d = difference.subs(values).evalf(50)
            scale = abs(want.subs(values).evalf(50))
            if not (d.is_number and d.is_finite and abs(d) <= 1e-30 * (1 + scale)):
                problems.append(
                    f"{name}: partial in {param} is {ast.unparse(template)} = {got}, "
                    f"SymPy says {want}; they differ by {d} at {point}"
                )
                break
    return problems


def python_partials(rule, args):
    """The rule's partials evaluated with Python numbers, as generated code would."""
    env = dict(zip(rule.params, args), out=rule.fn(*args))
    return tuple(
        None if t is None else eval(compile(ast.Expression(t), "<rule>", "eval"), rule.namespace, env)
        for t in rule.partials
    )


def rule_id(rule):
    module = getattr(rule.fn, "__module__", None) or "?"
    suffix = f"/{rule.arity}" if rule.arity is not None else ""
    return f"{module.lstrip('_')}.{rule.fn.__name__}{suffix}"


# The scalar rules; the NumPy ones are checked (SymPy included) in test_numpy_rules.py,
# the SciPy ones (registered if another test imported SciPy) in test_rules_scipy.py.
RULES = [r for r in registry.all_rules()
         if getattr(r.definition, "__module__", "") not in (
             "s2sdiff.rules.numpy", "s2sdiff.rules.scipy", "s2sdiff.rules.scipy_stats")]


# --- every rule against SymPy -----------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule_agrees_with_sympy(rule):
    assert check_rule(rule) == []


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_sympy_counterpart_matches_python(rule):
    """The reference itself: the SymPy counterpart computes what the callable does."""
    counterpart = lift.sympy_callable(rule.fn)
    assert counterpart is not None
    for point in sample_points(rule):
        expected = rule.fn(*point)
        lifted = counterpart(*(sympy.Rational(repr(v)) if isinstance(v, float) else v for v in point))
        assert float(lifted) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule_matches_finite_differences(rule):
    """Python-level sanity check: templates evaluated with floats vs central differences."""
    h = 1e-6
    for point in sample_points(rule):
        got = python_partials(rule, point)
        for i, partial in enumerate(got):
            if partial is None:
                continue
            up, down = list(point), list(point)
            up[i] += h
            down[i] -= h
            fd = (rule.fn(*up) - rule.fn(*down)) / (2 * h)
            assert partial == pytest.approx(fd, rel=1e-5, abs=1e-6), (rule_id(rule), point, i)


# --- conventions at non-differentiable points (as jax.grad) ------------------

KINKS = [
    (builtins.abs, (0.0,), (1.0,)),
    (builtins.abs, (-0.0,), (1.0,)),
    (operator.abs, (0.0,), (1.0,)),
    (math.fabs, (0.0,), (1.0,)),
    (builtins.max, (1.0, 1.0), (0.5, 0.5)),
    (builtins.min, (1.0, 1.0), (0.5, 0.5)),
    (builtins.max, (2.0, 1.0), (1.0, 0.0)),
    (builtins.min, (2.0, 1.0), (0.0, 1.0)),
    (operator.mod, (6.0, 2.0), (1.0, -3.0)),
    (operator.mod, (-6.0, 2.0), (1.0, 3.0)),
    (operator.mod, (-7.0, 2.0), (1.0, 4.0)),
    (operator.mod, (7.5, -2.0), (1.0, 4.0)),
    (math.fmod, (6.0, 2.0), (1.0, -3.0)),
    (math.fmod, (-6.0, 2.0), (1.0, 3.0)),
    (math.fmod, (-7.5, 2.0), (1.0, 3.0)),
    (math.copysign, (3.0, -1.0), (-1.0, 0.0)),
    (math.copysign, (-3.0, -1.0), (1.0, 0.0)),
    (math.copysign, (0.0, 1.0), (1.0, 0.0)),
    (math.copysign, (0.0, -1.0), (-1.0, 0.0)),
    (math.copysign, (-0.0, 1.0), (1.0, 0.0)),
    (math.copysign, (3.0, 0.0), (1.0, 0.0)),
    (math.copysign, (3.0, -0.0), (-1.0, 0.0)),
    (operator.pow, (0.0, 2.0), (0.0, 0.0)),
    (operator.pow, (0.0, 1.0), (1.0, 0.0)),
    (operator.pow, (-2.0, 2.0), (-4.0, None)),  # y-partial: math.log(-2) raises
]


@pytest.mark.parametrize("fn, args, expected", KINKS, ids=lambda v: repr(v))
def test_convention_at_kink(fn, args, expected):
    rule = registry.lookup(fn, len(args))
    if expected[-1] is None:
        assert python_partials(_only(rule, 0), args)[0] == expected[0]
        with pytest.raises(ValueError):
            python_partials(rule, args)
        return
    assert python_partials(rule, args) == expected


def _only(rule, index):
    """The rule with all partials but one dropped."""
    kept = tuple(p if i == index else None for i, p in enumerate(rule.partials))
    return registry.Rule(rule.fn, rule.params, [kept], rule.namespace, rule.definition,
                         rule.arity)


@pytest.mark.parametrize("fn, args", [(math.sqrt, (0.0,)), (math.hypot, (0.0, 0.0)),
                                      (math.atan2, (0.0, 0.0)), (operator.truediv, (1.0, 0.0))])
def test_singular_points_raise_rather_than_guess(fn, args):
    with pytest.raises(ZeroDivisionError):
        python_partials(registry.lookup(fn, len(args)), args)


def test_piecewise_constant_callables_are_constant():
    for fn in (operator.floordiv, math.floor, math.ceil, math.trunc, builtins.round, builtins.int):
        assert registry.is_constant(fn) and registry.lookup(fn) is None


# --- coverage: a missing rule fails the suite --------------------------------

REQUIRED_RULES = [
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
    operator.mod, operator.neg, operator.pos, operator.abs,
    builtins.abs, builtins.pow, builtins.min, builtins.max, builtins.float,
    math.sin, math.cos, math.tan, math.asin, math.acos, math.atan, math.atan2,
    math.sinh, math.cosh, math.tanh, math.asinh, math.acosh, math.atanh,
    math.exp, math.expm1, math.log, math.log1p, math.log2, math.log10, math.sqrt,
    math.hypot, math.erf, math.erfc, math.fabs, math.pow, math.degrees, math.radians,
    math.copysign, math.fmod,
] + [getattr(math, name) for name in ("exp2", "cbrt") if hasattr(math, name)]

REQUIRED_CONSTANT = [
    builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
    operator.floordiv, math.floor, math.ceil, math.trunc,
    math.isnan, math.isinf, math.isfinite, math.isclose,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.index,
    math.factorial, math.gcd, math.comb, math.perm, math.isqrt,
]


@pytest.mark.parametrize("fn", REQUIRED_RULES, ids=lambda f: f.__name__)
def test_required_rule_present(fn):
    assert registry.lookup(fn) is not None


@pytest.mark.parametrize("fn", REQUIRED_CONSTANT, ids=lambda f: f.__name__)
def test_required_constant_present(fn):
    assert registry.is_constant(fn)


def test_arity_specific_rules():
    assert registry.lookup(math.log).params == ("x",)
    assert registry.lookup(math.log, 1).params == ("x",)
    assert registry.lookup(math.log, 2).params == ("x", "base")
    assert registry.lookup(builtins.max, 2).params == ("x", "y")
    assert registry.lookup(builtins.max, 3) is None  # the emitter applies n-ary max pairwise
    assert registry.lookup(builtins.pow, 3) is None  # pow(x, y, mod) has no derivative


def test_rules_package_registers_scalar_rules():
    assert s2sdiff.rules.lookup(math.sin) is registry.lookup(math.sin)


# --- the checker catches a wrong rule ----------------------------------------


def _private_square(x):
    return x * x


def test_checker_reports_a_wrong_rule(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    monkeypatch.setattr(lift, "_SYMPY", dict(lift._SYMPY))
    lift.register_sympy(_private_square, lambda x: x**2)

    @registry.partials(_private_square)
    def _(x):
        return (3.0 * x,)

    problems = check_rule(registry.lookup(_private_square))
    assert len(problems) == 1 and "_private_square" in problems[0]

    @registry.partials(_private_square)
    def _(x):
        return (2.0 * x,)

    assert check_rule(registry.lookup(_private_square)) == []


def test_checker_reports_a_wrong_convention_away_from_kinks(monkeypatch):
    """A wrong branch of a conditional template is caught numerically."""
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    @registry.partials(builtins.abs)
    def _(x):
        return (1.0 if x >= 0 else 0.5,)  # wrong for x < 0

    assert check_rule(registry.lookup(builtins.abs), count=8)


def test_checker_reports_a_rule_without_sympy_counterpart(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    def opaque(x):
        return x

    @registry.partials(opaque)
    def _(x):
        return (1.0,)

    assert "no SymPy counterpart" in check_rule(registry.lookup(opaque))[0]
