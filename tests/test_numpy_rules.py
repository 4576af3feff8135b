"""Every NumPy rule checked numerically, without the emitters.

The templates are evaluated directly: their parameters are bound to concrete
NumPy values and the expression is ``eval``-ed in a *standalone* namespace that
holds only ``np`` and the ``@helper`` functions compiled from their source, as
in a generated module.

- Elementwise partials: the forward product ``partial * v`` against a central
  difference of ``f`` in the direction ``v``; the reverse
  ``_unbroadcast(g * partial, x)`` through the dot-product identity
  ``<g, J v> = <J^T g, v>``; per element with ``v = 1`` when nothing
  broadcasts; broadcasting shapes such as ``(3, 1)`` with ``(4,)``.
  Where the template lifts to SymPy it is also compared with ``sympy.diff``.
- VJP/JVP rules: for each input and several option values (``axis``,
  ``keepdims``, ``ddof``…), the VJP through the dot-product identity and the
  JVP against the central difference, and the VJP's shape against the input's.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import operator
import textwrap

import numpy as np
import pytest
import sympy

from s2sdiff.verify import lift
from s2sdiff.rules import indexing
from s2sdiff.rules import numpy as numpy_rules
from s2sdiff.rules import registry, shaping

try:
    from scipy.special import logsumexp
except ImportError:  # pragma: no cover
    logsumexp = None

H = 1e-6
RTOL = 1e-5
ATOL = 1e-7


# --- a standalone namespace, as in a generated module ------------------------

HELPERS = {name: fn for name, fn in vars(numpy_rules).items()
           if getattr(fn, "__s2sdiff_helper__", False)}
INDEXING_HELPERS = {name: fn for name, fn in vars(indexing).items()
                    if getattr(fn, "__s2sdiff_helper__", False)}
SHAPING_HELPERS = {name: fn for name, fn in vars(shaping).items()
                   if getattr(fn, "__s2sdiff_helper__", False)}


def standalone_namespace():
    namespace = {"np": np}
    for fn in [*HELPERS.values(), *INDEXING_HELPERS.values(), *SHAPING_HELPERS.values()]:
        exec(compile(textwrap.dedent(inspect.getsource(fn)).replace("@helper\n", ""),  # noqa: S102
                     f"<helper {fn.__name__}>", "exec"), namespace)
    return namespace


NS = standalone_namespace()


def ev(template, env):
    return eval(compile(ast.Expression(template), "<template>", "eval"), NS, dict(env))


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _same(a, b):
    return a is b or (type(a) is type(b) and np.array_equal(a, b, equal_nan=True)) or (
        not isinstance(a, np.ndarray) and a == b)


def _close(got, want, what, problems):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
        problems.append(f"{what}: got {got!r}, finite differences say {want!r}")


def _given(args):
    """``args`` without the inputs not given (None) at their end."""
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    return args


def _shifted(args, i, step):
    out = list(args)
    out[i] = args[i] + step
    return out


# --- elementwise partials ------------------------------------------------------


def U(a, b):
    return lambda rng, shape: rng.uniform(a, b, size=shape) if shape else float(rng.uniform(a, b))


def S(a, b):  # either sign, away from 0
    def sample(rng, shape):
        v = rng.uniform(a, b, size=shape) * rng.choice((-1.0, 1.0), size=shape)
        return v if shape else float(v)
    return sample


ANY, POS, NZ, UNIT = U(-2.0, 2.0), U(0.2, 3.0), S(0.2, 3.0), U(-0.95, 0.95)


def BOOL(rng, shape):
    return rng.random(size=shape) < 0.5


def NONE(rng, shape):
    return None


DOMAINS = {
    np.arcsin: (UNIT,), np.arccos: (UNIT,), np.arctanh: (UNIT,), np.arccosh: (U(1.1, 4.0),),
    np.tan: (U(-1.4, 1.4),),
    np.log: (POS,), np.log1p: (U(-0.9, 3.0),), np.log2: (POS,), np.log10: (POS,),
    np.sqrt: (POS,), np.cbrt: (NZ,), np.reciprocal: (NZ,),
    np.absolute: (NZ,), np.fabs: (NZ,),
    np.divide: (ANY, NZ), np.power: (POS, ANY), np.hypot: (NZ, NZ), np.arctan2: (NZ, NZ),
    np.remainder: (U(-6.0, 6.0), NZ), np.fmod: (U(-6.0, 6.0), NZ),
    np.where: (BOOL, ANY, ANY),
    np.clip: (ANY, U(-1.0, -0.3), U(0.3, 1.0)),
}

SHAPES_1 = [(), (4,), (2, 3)]
SHAPES_2 = [((), ()), ((4,), (4,)), ((3, 1), (4,)), ((2, 3), ()), ((), (3,)), ((2, 1, 3), (4, 1))]
SHAPES_3 = [((4,), (4,), (4,)), ((3, 1), (4,), ()), ((4,), (), (3, 1)), ((2, 3), (2, 3), (2, 3))]


def numpy_partials_rules():
    return [r for r in registry.all_rules() if r.definition.__module__ == numpy_rules.__name__]


def _shapes_for(rule):
    return {1: [(s,) for s in SHAPES_1], 2: SHAPES_2, 3: SHAPES_3}[len(rule.params)]


def _sample(rule, rng, shapes):
    samplers = DOMAINS.get(rule.fn, (ANY,) * len(rule.params))
    while True:
        args = [s(rng, shape) for s, shape in zip(samplers, shapes)]
        if not _near_kink(rule.fn, args):
            return args


def _near_kink(fn, args):
    """True near a tie of maximum/minimum, a bound of clip, a jump of remainder/fmod."""
    if fn in (np.maximum, np.minimum):
        return np.any(np.abs(np.subtract(*args)) < 1e-3)
    if fn is np.clip:
        a, lo, hi = args
        return any(b is not None and np.any(np.abs(np.subtract(a, b)) < 1e-3) for b in (lo, hi))
    if fn in (np.remainder, np.fmod):
        r = np.divide(*args) % 1.0
        return np.any((r < 0.01) | (r > 0.99))
    return False


def check_partials(rule, args, seed=0):
    """Problems found in the elementwise ``rule`` at ``args`` (empty when it is right)."""
    rng = np.random.default_rng(seed)
    name = rule.fn.__name__
    kept = [_copy(a) for a in args]
    out = rule.fn(*args)
    env = dict(zip(rule.params, args), out=out)
    problems = []
    for i, (param, template) in enumerate(zip(rule.params, rule.partials)):
        if template is None or args[i] is None or np.asarray(args[i]).dtype == bool:
            continue
        partial = ev(template, env)
        if np.broadcast_shapes(np.shape(partial), np.shape(out)) != np.shape(out):
            problems.append(f"{name}: partial in {param} has shape {np.shape(partial)}, "
                            f"which does not broadcast to the result's {np.shape(out)}")
            continue
        directions = [rng.normal(size=np.shape(args[i]))]
        if np.shape(args[i]) == np.shape(out):
            directions.append(np.ones(np.shape(out)))  # per element
        for v in directions:
            fd = (rule.fn(*_shifted(args, i, H * v)) - rule.fn(*_shifted(args, i, -H * v))) / (2 * H)
            _close(np.broadcast_to(partial * v, np.shape(out)), fd,
                   f"{name}: forward partial in {param} at {args}", problems)
            g = rng.normal(size=np.shape(out))
            bar = ev(ast.parse("_unbroadcast(g * p, x)", mode="eval").body,
                     {"g": g, "p": partial, "x": args[i]})
            if np.shape(bar) != np.shape(args[i]):
                problems.append(f"{name}: adjoint of {param} has shape {np.shape(bar)}, "
                                f"not {np.shape(args[i])}")
                continue
            _close(np.sum(bar * v), np.sum(g * fd), f"{name}: reverse partial in {param}", problems)
    if not all(_same(a, b) for a, b in zip(args, kept)):
        problems.append(f"{name}: a template modified its inputs")
    return problems


PARTIAL_RULES = numpy_partials_rules()


def _rule_id(rule):
    return rule.fn.__name__


@pytest.mark.parametrize("rule", PARTIAL_RULES, ids=_rule_id)
def test_elementwise_partials_match_finite_differences(rule):
    rng = np.random.default_rng(1)
    for shapes in _shapes_for(rule):
        for _ in range(2):
            args = _sample(rule, rng, shapes)
            assert check_partials(rule, args) == []


@pytest.mark.parametrize("args", [
    (np.linspace(-2, 2, 5), None, 1.0), (np.linspace(-2, 2, 5), -1.0, None),
    (np.linspace(-2, 2, 5), np.array([-1.5, -0.5, 0.5, 1.5, 2.5]), 1.1),
])
def test_clip_with_missing_or_array_bounds(args):
    assert check_partials(registry.lookup(np.clip), list(args)) == []


# --- SymPy, for the templates that lift -----------------------------------------

SYMPY_COUNTERPARTS = {
    np.sin: sympy.sin, np.cos: sympy.cos, np.tan: sympy.tan,
    np.arcsin: sympy.asin, np.arccos: sympy.acos, np.arctan: sympy.atan,
    np.sinh: sympy.sinh, np.cosh: sympy.cosh, np.tanh: sympy.tanh,
    np.arcsinh: sympy.asinh, np.arccosh: sympy.acosh, np.arctanh: sympy.atanh,
    np.exp: sympy.exp, np.expm1: lambda a: sympy.exp(a) - 1, np.exp2: lambda a: 2**a,
    np.log: sympy.log, np.log1p: lambda a: sympy.log(1 + a),
    np.log2: lambda a: sympy.log(a) / sympy.log(2), np.log10: lambda a: sympy.log(a) / sympy.log(10),
    np.sqrt: sympy.sqrt, np.cbrt: lambda a: sympy.real_root(a, 3), np.square: lambda a: a**2,
    np.reciprocal: lambda a: 1 / a, np.absolute: sympy.Abs, np.fabs: sympy.Abs,
    np.negative: lambda a: -a, np.positive: lambda a: a,
    np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b, np.multiply: lambda a, b: a * b,
    np.divide: lambda a, b: a / b, np.power: lambda a, b: a**b,
    np.maximum: sympy.Max, np.minimum: sympy.Min,
    np.hypot: lambda a, b: sympy.sqrt(a**2 + b**2), np.arctan2: sympy.atan2,
    np.logaddexp: lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)),
    np.deg2rad: lambda a: a * sympy.pi / 180, np.rad2deg: lambda a: a * 180 / sympy.pi,
    np.remainder: sympy.Mod, np.fmod: lambda a, b: a - b * sympy.sign(a / b) * sympy.floor(abs(a / b)),
    np.floor_divide: lambda a, b: sympy.floor(a / b),
    np.trunc: lambda a: sympy.sign(a) * sympy.floor(sympy.Abs(a)),
    np.where: lambda c, a, b: sympy.Piecewise((a, c), (b, True)),
}
SYMPY_COUNTERPARTS[np.radians] = SYMPY_COUNTERPARTS[np.deg2rad]
SYMPY_COUNTERPARTS[np.degrees] = SYMPY_COUNTERPARTS[np.rad2deg]


@pytest.fixture
def numpy_in_sympy(monkeypatch):
    monkeypatch.setattr(lift, "_SYMPY", dict(lift._SYMPY))
    for fn, counterpart in SYMPY_COUNTERPARTS.items():
        lift.register_sympy(fn, counterpart)


def check_partials_sympy(rule, seed=0):
    """Problems found comparing the lifted templates with ``sympy.diff`` (None: does not lift)."""
    counterpart = SYMPY_COUNTERPARTS.get(rule.fn)
    if counterpart is None:
        return None
    syms = [sympy.Symbol(p, real=True) for p in rule.params]
    f = counterpart(*syms)
    bindings = dict(zip(rule.params, syms), out=f)
    rng = np.random.default_rng(seed)
    problems = []
    for sym, template in zip(syms, rule.partials):
        if template is None:
            continue
        try:
            got = lift.lift_expr(template, bindings, NS)
        except lift.LiftError:
            return None
        want = lift.diff_ae(f, sym)
        if sympy.simplify(got - want) == 0:
            continue
        for _ in range(6):
            point = _sample(rule, rng, [()] * len(syms))
            values = {s: sympy.Rational(repr(v)) for s, v in zip(syms, point)}
            d = (got - want).subs(values).evalf(40)
            if not (d.is_number and d.is_finite and abs(d) < 1e-25):
                problems.append(f"{rule.fn.__name__}: partial in {sym} is {got}, SymPy says {want} "
                                f"(differ by {d} at {point})")
                break
    return problems


def test_elementwise_partials_agree_with_sympy(numpy_in_sympy):
    checked = []
    for rule in PARTIAL_RULES:
        problems = check_partials_sympy(rule)
        if problems is not None:
            assert problems == [], problems
            checked.append(rule.fn.__name__)
    assert len(checked) >= 40, checked  # all but clip and where lift


# --- VJP/JVP rules --------------------------------------------------------------


def N(*shape):
    return lambda rng: rng.normal(size=shape)


def WELL(n, *batch):  # a well-conditioned matrix
    return lambda rng: rng.normal(size=batch + (n, n)) * 0.3 + np.eye(n) * 2.0


def CONST(value):
    return lambda rng: value


ABSENT = CONST(None)  # an input not given (the operands of np.einsum after the last)


def _cases():
    c = []

    def add(fn, inputs, **options):
        c.append((fn, inputs, options))

    for fn in (np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin):
        add(fn, (N(5),))
        add(fn, (N(3, 4),))
        for axis in (0, 1, -1, (0, 1)):
            for keepdims in (False, True):
                add(fn, (N(3, 4),), axis=axis, keepdims=keepdims)
        add(fn, (N(2, 3, 4),), axis=(0, 2))
        add(fn, (N(2, 3, 4),), axis=-2, keepdims=True)
    add(np.prod, (CONST(np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0]])),), axis=1)
    add(np.prod, (CONST(np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0]])),))
    for fn in (np.var, np.std):
        for axis in (None, 0, 1, -1):
            for ddof in (0, 1):
                add(fn, (N(4, 3),), axis=axis, ddof=ddof)
                add(fn, (N(4, 3),), axis=axis, ddof=ddof, keepdims=True)
    for axis in (None, 0, 1, -1, (0, 1)):
        for keepdims in (False, True):
            add(np.linalg.norm, (N(3, 4),), axis=axis, keepdims=keepdims)
    add(np.linalg.norm, (N(5),))
    add(np.linalg.norm, (N(2, 3, 2),))
    for ord in (1, 2, 3, 0.5, np.inf, -np.inf):
        add(np.linalg.norm, (N(5),), ord=ord)
        add(np.linalg.norm, (N(3, 4),), ord=ord, axis=1, keepdims=True)
    for ord in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        add(np.linalg.norm, (N(3, 4),), ord=ord)
        add(np.linalg.norm, (N(3, 2, 4),), ord=ord, axis=(2, 0))
    if logsumexp is not None:
        for axis in (None, 0, 1, -1):
            for keepdims in (False, True):
                add(logsumexp, (N(3, 4),), axis=axis, keepdims=keepdims)
        add(logsumexp, (N(3, 4),), axis=1, b=np.array([0.5, 1.0, 2.0, 0.1]))
        add(logsumexp, (N(3, 4),), b=np.array([[0.5], [1.0], [2.0]]), keepdims=True)
    for fn in (np.matmul, operator.matmul, np.dot):
        for sa, sb in [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,))]:
            add(fn, (N(*sa), N(*sb)))
    add(np.matmul, (N(2, 3, 4), N(4, 2)))
    add(np.matmul, (N(2, 3, 4), N(2, 4, 5)))
    add(np.matmul, (N(3, 4), N(2, 4, 5)))
    add(np.matmul, (N(4,), N(2, 4, 5)))
    add(np.dot, (N(2, 3, 4), N(4, 5)))
    add(np.dot, (N(2, 3, 4), N(5, 4, 2)))
    add(np.dot, (N(2, 3, 4), N(4)))
    add(np.dot, (CONST(1.7), N(3, 2)))
    add(np.dot, (N(3), CONST(1.7)))
    for sa, sb in [((3,), (4,)), ((2, 3), (4,)), ((), (3,))]:
        add(np.outer, (N(*sa), N(*sb)))
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (4, 3)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)),
                   ((), (3,)), ((2, 3), ())]:
        add(np.inner, (N(*sa), N(*sb)))
    add(np.tensordot, (N(3, 4, 5), N(4, 5, 2)))
    add(np.tensordot, (N(3, 4, 5), N(5, 2)), axes=1)
    add(np.tensordot, (N(3, 4), N(4, 3)), axes=0)
    add(np.tensordot, (N(3, 4, 5), N(5, 2, 3)), axes=([0, 2], [2, 0]))
    add(np.tensordot, (N(3, 4), N(2, 4)), axes=(1, 1))
    add(np.tensordot, (N(3, 4, 5), N(4, 2, 5)), axes=([-1, 1], [-1, 0]))
    for spec, sa, sb in [("ij,jk->ik", (3, 4), (4, 2)), ("ij,jk", (3, 4), (4, 2)),
                         ("i,i->", (4,), (4,)), ("i,j->ij", (3,), (2,)),
                         ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)), ("ij,ij->i", (3, 4), (3, 4)),
                         ("ijk,j->ik", (2, 3, 4), (3,)), ("ij,k->k", (2, 3), (4,)),
                         ("ji,jk->ki", (3, 4), (3, 2)), ("...j,j->...", (2, 3, 4), (4,)),
                         ("ii,i->", (3, 3), (3,)), ("i...,...->i...", (2, 3), (1, 3))]:
        add(np.einsum, (CONST(spec), N(*sa), N(*sb), ABSENT, ABSENT))
    for spec, shape in [("ij->ji", (2, 3)), ("abcd->bd", (2, 3, 4, 2)), ("ii->i", (3, 3)),
                        ("ii", (3, 3)), ("iji->j", (2, 3, 2)), ("i...->...i", (2, 3, 4))]:
        add(np.einsum, (CONST(spec), N(*shape), ABSENT, ABSENT, ABSENT))
    add(np.einsum, (CONST("ij,jk,kl->il"), N(2, 3), N(3, 4), N(4, 2), ABSENT))
    add(np.einsum, (CONST("i,ij,j,jk"), N(2), N(2, 3), N(3), N(3, 2)))
    for sa, sb in [((3,), (3,)), ((4, 3), (4, 3)), ((4, 3), (3,)), ((3,), (2, 3))]:
        add(np.cross, (N(*sa), N(*sb)))
    add(np.cross, (N(3, 4), N(3, 4)), axis=0)
    add(np.cross, (N(3, 4), N(4, 3)), axisa=0, axisc=0)
    add(np.cross, (N(2, 4), N(4, 3)), axisa=0)
    for sa, sb in [((3,), (3,)), ((4, 3), (3,)), ((4, 2), (4, 3))]:  # code for a signature's
        add(numpy_rules._cross, (N(*sa), N(*sb)))
    add(np.nan_to_num, (N(2, 3),))
    add(np.nan_to_num, (N(4),), nan=1.0, posinf=2.0)
    for fn in (np.linalg.det, np.linalg.inv):
        add(fn, (WELL(3),))
        add(fn, (WELL(2, 4),))
    add(np.linalg.solve, (WELL(3), N(3)))
    add(np.linalg.solve, (WELL(3), N(3, 2)))
    add(np.linalg.solve, (WELL(3, 2), N(2, 3, 4)))
    add(np.delete, (N(3, 4),), obj=1, axis=0)
    add(np.delete, (N(3, 4),), obj=[0, 2], axis=-1)
    add(np.delete, (N(2, 3),), obj=[1, 4])
    add(np.delete, (N(6),), obj=slice(1, 4))
    add(np.transpose, (N(3, 4),))
    add(np.transpose, (N(2, 3, 4),), axes=(1, 2, 0))
    add(np.transpose, (N(2, 3, 4),), axes=(-1, 0, 1))
    add(np.reshape, (N(3, 4),), shape=(-1,))
    add(np.reshape, (N(3, 4),), shape=(2, -1, 3))
    add(np.reshape, (N(3, 4),), shape=(4, 3), order="F")
    add(np.ravel, (N(3, 4),))
    add(np.ravel, (N(3, 4),), order="F")
    add(np.expand_dims, (N(3, 4),), axis=1)
    add(np.expand_dims, (N(3, 4),), axis=(0, -1))
    add(np.squeeze, (N(3, 1, 4, 1),))
    add(np.squeeze, (N(3, 1, 4, 1),), axis=1)
    for fn in (np.array, np.asarray, np.copy):
        add(fn, (N(3, 2),))
        add(fn, (CONST(1.5),))
    add(np.full, (CONST((3, 4)), CONST(1.5)))
    add(np.full, (CONST((3, 4)), N(4)))
    add(np.full_like, (N(3, 4), CONST(-0.5)))
    add(np.full_like, (N(3, 4), N(3, 1)))
    add(np.linspace, (CONST(0.5), CONST(2.0)), num=7)
    add(np.linspace, (CONST(0.5), CONST(2.0)), num=5, endpoint=False)
    add(np.linspace, (N(3), N(3)), num=4)
    add(np.linspace, (N(3), N(2, 1)), num=4, axis=1)
    add(np.linspace, (N(3), N(3)), num=5, endpoint=False, axis=-1)
    return c


ARRAY_CASES = _cases()


def _case_id(case):
    fn, _, options = case
    return f"{getattr(fn, '__name__', fn)}-{options}" if options else getattr(fn, "__name__", str(fn))


def _active(value, template):
    return template is not None and value is not None and not isinstance(value, (str, tuple)) and (
        np.issubdtype(np.asarray(value).dtype, np.floating))


def _env(rule, inputs, options):
    env = {name: ev(default, {}) for name, default in rule.options}
    env.update(options)
    env.update(zip(rule.inputs, inputs))
    return env


def check_array_rule(rule, inputs, options, seed=0):
    """Problems found in the VJP/JVP ``rule`` at ``inputs`` with ``options`` (empty when right)."""
    rng = np.random.default_rng(seed)
    name = getattr(rule.fn, "__name__", repr(rule.fn))
    kept = [_copy(a) for a in inputs]

    def f(*xs):
        return rule.fn(*_given(xs), **options)

    out = f(*inputs)
    g = rng.normal(size=np.shape(out))
    problems = []
    for i, param in enumerate(rule.inputs):
        vjp_t = rule.vjps[i] if rule.vjps else None
        jvp_t = rule.jvps[i] if rule.jvps else None
        if rule.vjps is None or rule.jvps is None:
            problems.append(f"{name}: needs both a VJP and a JVP rule")
            break
        if (vjp_t is None) != (jvp_t is None):
            problems.append(f"{name}: VJP and JVP disagree on whether {param} is differentiable")
        if not _active(inputs[i], vjp_t):
            continue
        v = rng.normal(size=np.shape(inputs[i]))
        fd = (np.asarray(f(*_shifted(inputs, i, H * v))) - f(*_shifted(inputs, i, -H * v))) / (2 * H)
        env = _env(rule, inputs, options)
        bar = ev(vjp_t, dict(env, g=g, out=out))
        if np.shape(bar) != np.shape(inputs[i]):
            problems.append(f"{name} {options}: VJP of {param} has shape {np.shape(bar)}, "
                            f"not {np.shape(inputs[i])}")
        else:
            _close(np.sum(bar * v), np.sum(g * fd), f"{name} {options}: VJP of {param}", problems)
        dot = ev(jvp_t, dict(env, out=out, **{f"{param}_dot": v}))
        if np.shape(dot) != np.shape(out):
            problems.append(f"{name} {options}: JVP term of {param} has shape {np.shape(dot)}, "
                            f"not {np.shape(out)}")
        else:
            _close(dot, fd, f"{name} {options}: JVP of {param}", problems)
    if not all(_same(a, b) for a, b in zip(inputs, kept)):
        problems.append(f"{name}: a template modified its inputs")
    return problems


@pytest.mark.parametrize("case", ARRAY_CASES, ids=_case_id)
def test_array_rule_matches_finite_differences(case):
    fn, makers, options = case
    rule = registry.lookup_array(fn)
    assert rule is not None
    rng = np.random.default_rng(7)
    for seed in range(2):
        inputs = tuple(m(rng) for m in makers)
        assert check_array_rule(rule, inputs, options, seed) == []


def test_every_array_rule_has_a_case():
    tested = {id(fn) for fn, _, _ in ARRAY_CASES + HELPER_CASES}
    missing = [r.fn for r in registry._ARRAY_RULES.values()
               if r.namespace is vars(numpy_rules) and id(r.fn) not in tested]
    assert missing == []


# --- the JVPs of the helpers (reverse code differentiated again: Hessians) --------


def ZEROS(*shape):
    return CONST(np.zeros(shape))


def _helper_cases():
    c = []

    def add(fn, inputs, **options):
        c.append((fn, inputs, options))

    h = numpy_rules
    add(h._unbroadcast, (N(3, 4),), x=ZEROS(1, 4))
    add(h._unbroadcast, (N(3, 4),), x=ZEROS())
    add(h._unbroadcast, (N(2, 3, 4),), x=ZEROS(3, 1))
    add(h._unbroadcast, (N(3),), x=ZEROS(3))
    add(h._unbroadcast_from, (N(4),), z=ZEROS(3, 4), x=ZEROS(1, 4))
    add(h._spread, (CONST(1.3),), x=ZEROS(3, 2))
    add(h._keep, (N(3),), axis=1, keepdims=False)
    add(h._unreduce, (N(3),), x=ZEROS(3, 4), axis=1, keepdims=False)
    add(h._unreduce, (N(3, 1),), x=ZEROS(3, 4), axis=1, keepdims=True)
    add(h._keep, (N(3, 1),), axis=1, keepdims=True)
    add(h._centered, (N(3, 4),), axis=0)
    add(h._reciprocal_or_zero, (N(3, 2),))
    for ord, axis, shape in [(None, None, (4,)), (3, 1, (2, 3)), (1, None, (4,)), ("fro", None, (2, 3)),
                             (np.inf, (0, 1), (2, 3)), (0.5, 0, (3, 2))]:
        x = np.random.default_rng(5).normal(size=shape)
        norm = np.linalg.norm(x, ord, axis, keepdims=True)
        add(h._norm_partial, (CONST(x), CONST(ord), CONST(axis), CONST(norm)))
        add(h._norm_partial, (N(*shape), CONST(ord), CONST(axis), CONST(norm)))
    add(h._transposed, (N(2, 3, 4),))
    for which in (0, 1):
        for helper in (h._matmul_vjp, h._dot_vjp):
            add(helper, (N(3, 2), N(3, 4), N(4, 2)), which=which)
        add(h._matmul_vjp, (N(3), N(3, 4), N(4)), which=which)
        add(h._inner_vjp, (N(2, 4), N(2, 3), N(4, 3)), which=which)
        add(h._cross_vjp, (N(3), N(3), N(3)), which=which)
        add(h._cross_vjp, (N(4, 3), N(4, 3), N(3)), which=which)
        add(h._cross_vjp, (N(2), N(3, 2), N(3, 2)), which=which, axis=0)
        add(h._tensordot_vjp, (N(3, 2), N(3, 4, 5), N(4, 5, 2)), axes=2, which=which)
        add(h._einsum_vjp, (N(3, 2), CONST("ij,jk->ik"), N(3, 4), N(4, 2), ABSENT, ABSENT), which=which)
        add(h._einsum_vjp, (N(3), CONST("ii,ij->i"), N(3, 3), N(3, 2), ABSENT, ABSENT), which=which)
    add(h._prod_others, (N(4), CONST(None)))
    add(h._prod_others, (N(3, 4), CONST(1)))
    add(h._prod_others, (N(2, 3, 2), CONST((0, 2))))
    def solve_a(rng):  # well conditioned
        return rng.normal(size=(3, 3)) + 3.0 * np.eye(3)

    for b in (N(3), N(3, 2)):
        for which in (0, 1):
            add(h._solve_vjp, (b, solve_a, b, b, CONST(which)))
    add(indexing._scatter_add, (N(2),), x=ZEROS(5), index=np.array([1, 3]))
    add(indexing._item_of, (N(5),), index=slice(1, 3), value=ZEROS(2))
    add(shaping._diff_vjp, (N(2, 3),), n=2, axis=0)
    add(shaping._diff_vjp, (N(3, 2),), n=1, axis=-1)
    order = np.array([[2, 0, 1], [1, 2, 0]])
    add(shaping._scatter_along, (N(2, 3),), a=ZEROS(2, 3), index=order, axis=1)
    add(shaping._scatter_along, (N(4),), a=ZEROS(2, 2), index=np.array([3, 1, 0, 2]), axis=None)
    return c


HELPER_CASES = _helper_cases()


@pytest.mark.parametrize("case", HELPER_CASES,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(HELPER_CASES)])
def test_helper_jvp_matches_finite_differences(case):
    fn, makers, options = case
    rule = registry.lookup_array(fn)
    rng = np.random.default_rng(3)
    inputs = tuple(m(rng) for m in makers)
    options = {k: v(rng) if callable(v) else v for k, v in options.items()}
    out = fn(*inputs, **options)
    g = rng.normal(size=np.shape(out))
    for i, param in enumerate(rule.inputs):
        if not _active(inputs[i], rule.jvps[i]):
            continue
        v = rng.normal(size=np.shape(inputs[i]))
        fd = (np.asarray(fn(*_shifted(inputs, i, H * v), **options))
              - fn(*_shifted(inputs, i, -H * v), **options)) / (2 * H)
        env = dict(_env(rule, inputs, options), out=out, **{f"{param}_dot": v})
        dot = np.broadcast_to(ev(rule.jvps[i], env), np.shape(out))
        problems = []
        _close(dot, fd, f"{fn.__name__}: JVP of {param}", problems)
        if rule.vjps is not None:  # those reverse mode over reverse code calls
            bar = ev(rule.vjps[i], dict(_env(rule, inputs, options), out=out, g=g))
            if isinstance(bar, float) and bar == 0.0:  # no term (the emitter drops it)
                bar = np.zeros(np.shape(inputs[i]))
            assert np.shape(bar) == np.shape(inputs[i]), (fn.__name__, param)
            _close(np.sum(bar * v), np.sum(g * fd), f"{fn.__name__}: VJP of {param}", problems)
        assert problems == []


# --- conventions at kinks (as jax.grad, jax 0.4 x64) ----------------------------


def _partials_at(fn, *args):
    rule = registry.lookup(fn)
    env = dict(zip(rule.params, args), out=fn(*args))
    return [None if t is None or a is None else np.asarray(ev(t, env)).tolist()
            for t, a in zip(rule.partials, args)]


def test_elementwise_conventions_at_kinks():
    assert _partials_at(np.absolute, np.array([0.0, -0.0, -1.0])) == [[1.0, 1.0, -1.0]]
    assert _partials_at(np.maximum, np.array([1.0, 2.0]), np.array([1.0, 1.0])) == [[0.5, 1.0], [0.5, 0.0]]
    assert _partials_at(np.minimum, np.array([1.0, 2.0]), np.array([1.0, 1.0])) == [[0.5, 0.0], [0.5, 1.0]]
    assert _partials_at(np.power, np.array([0.0, 2.0]), 2.0)[1] == [0.0, pytest.approx(4 * np.log(2))]
    assert _partials_at(np.clip, np.array([-1.0, 0.0, 1.0, 2.0]), -1.0, 1.0) == [
        [0.5, 1.0, 0.5, 0.0], [0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 1.0]]


def _vjp_at(fn, g, *inputs, **options):
    rule = registry.lookup_array(fn)
    env = dict(_env(rule, inputs, options), g=g, out=fn(*_given(inputs), **options))
    return [None if t is None or i >= len(_given(inputs)) else np.asarray(ev(t, env)).tolist()
            for i, t in enumerate(rule.vjps)]


def test_reduction_conventions_at_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    assert _vjp_at(np.max, np.array([1.0, 3.0]), x, axis=1) == [[[0.0, 0.5, 0.5], [1.0, 1.0, 1.0]]]
    assert _vjp_at(np.min, 6.0, x) == [[[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]
    assert _vjp_at(np.max, 6.0, x) == [[[0.0, 3.0, 3.0], [0.0, 0.0, 0.0]]]


def test_prod_is_exact_at_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    assert _vjp_at(np.prod, 1.0, x) == [[0.0, 0.0, 0.0, 0.0]]
    assert _vjp_at(np.prod, 1.0, np.array([2.0, 0.0, 3.0])) == [[0.0, 6.0, 0.0]]


def test_options_once_refused_at_run_time_are_supported():
    # (these raised NotImplementedError; what stays unsupported is refused at generation,
    # see tests/test_rules_fixed.py)
    assert _vjp_at(np.linalg.norm, 1.0, np.array([3.0, -4.0]), ord=1) == [[1.0, -1.0]]
    assert _vjp_at(np.einsum, 1.0, "ii,i->", np.eye(2), np.ones(2), None, None)[1] == [
        [1.0, 0.0], [0.0, 1.0]]
    assert _vjp_at(np.einsum, np.ones(3), "...i,i->...", np.ones((3, 2)), np.ones(2),
                   None, None)[1] == [[1.0, 1.0]] * 3
    if logsumexp is not None:
        assert _vjp_at(logsumexp, 1.0, np.zeros(2), b=np.array([1.0, 3.0])) == [[0.25, 0.75]]


# --- standalone templates ----------------------------------------------------------


def _names(expr):
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


ALLOWED = {"np"} | set(HELPERS) | set(INDEXING_HELPERS) | set(dir(builtins))


def test_templates_use_only_np_builtins_helpers_and_their_parameters():
    for rule in PARTIAL_RULES:
        for t in filter(None, rule.partials):
            assert _names(t) <= ALLOWED | set(rule.params) | {"out"}, rule.fn
    for rule in registry._ARRAY_RULES.values():
        if rule.namespace not in (vars(numpy_rules), vars(indexing)):
            continue
        params = set(rule.inputs) | {o for o, _ in rule.options} | {"g", "out"}
        for t in filter(None, rule.vjps or ()):
            assert _names(t) <= ALLOWED | params, rule.fn
        for t in filter(None, rule.jvps or ()):
            assert _names(t) <= ALLOWED | params | {f"{p}_dot" for p in rule.inputs}, rule.fn


@pytest.mark.parametrize("name", sorted(HELPERS))
def test_helpers_are_self_contained(name):
    """A helper refers only to ``np``, builtins and other helpers (it is copied as source)."""
    used = inspect.getclosurevars(HELPERS[name]).globals
    assert set(used) <= {"np"} | set(HELPERS), set(used) - {"np"} - set(HELPERS)


# --- the checkers catch wrong rules ----------------------------------------------


def _private_cube(x):
    return x * x * x


def _private_total(x, axis=None):
    return np.sum(x * x, axis=axis)


def test_checker_reports_a_wrong_partial(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    @registry.partials(_private_cube)
    def _(x):
        return (2.0 * x * x,)

    x = np.array([0.5, -1.0, 2.0])
    assert check_partials(registry.lookup(_private_cube), [x])

    @registry.partials(_private_cube)
    def _(x):
        return (3.0 * x * x,)

    assert check_partials(registry.lookup(_private_cube), [x]) == []


def test_checker_reports_a_sabotaged_builtin_rule(monkeypatch):
    """A wrong convention in a real rule (tanh's partial sign flipped) is caught."""
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    @registry.partials(np.tanh)
    def _(x, *, out):
        return (out * out - 1.0,)

    assert check_partials(registry.lookup(np.tanh), [np.array([0.3, -0.7])])


def test_checker_reports_a_missing_unbroadcast(monkeypatch):
    """A partial that is right elementwise but has the wrong shape after broadcasting."""
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    @registry.partials(_private_cube)
    def _(x):
        return (3.0 * x * x + np.zeros((2, 1)),)  # broadcasts to a wrong shape

    assert check_partials(registry.lookup(_private_cube), [np.array([0.5, -1.0, 2.0])])


def test_checker_reports_wrong_vjp_and_jvp(monkeypatch):
    monkeypatch.setattr(registry, "_ARRAY_RULES", dict(registry._ARRAY_RULES))
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.2]])

    @registry.vjp(_private_total)
    def _(g, x, axis=None, *, out):
        return (_unreduce(g, x, axis, False) * x,)  # noqa: F821  (missing factor 2)

    @registry.jvp(_private_total)
    def _(x, axis=None, *, out):
        return (2.0 * np.sum(x * x_dot, axis=axis),)  # noqa: F821

    problems = check_array_rule(registry.lookup_array(_private_total), (x,), {"axis": 1})
    assert len(problems) == 1 and "VJP" in problems[0]

    @registry.vjp(_private_total)
    def _(g, x, axis=None, *, out):
        return (2.0 * _unreduce(g, x, axis, False) * x,)  # noqa: F821

    assert check_array_rule(registry.lookup_array(_private_total), (x,), {"axis": 1}) == []

    @registry.jvp(_private_total)
    def _(x, axis=None, *, out):
        return (np.sum(x * x_dot, axis=axis),)  # noqa: F821  (missing factor 2)

    problems = check_array_rule(registry.lookup_array(_private_total), (x,), {"axis": 1})
    assert len(problems) == 1 and "JVP" in problems[0]


# --- coverage: a missing rule fails the suite ----------------------------------------

REQUIRED_PARTIALS = [
    np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh,
    np.arcsinh, np.arccosh, np.arctanh, np.exp, np.expm1, np.exp2, np.log, np.log1p, np.log2,
    np.log10, np.sqrt, np.cbrt, np.square, np.abs, np.absolute, np.fabs, np.negative, np.positive,
    np.reciprocal, np.power, np.add, np.subtract, np.multiply, np.divide, np.true_divide,
    np.maximum, np.minimum, np.hypot, np.arctan2, np.clip, np.where, np.logaddexp,
]
REQUIRED_ARRAY = [
    np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std, np.linalg.norm,
    np.dot, np.matmul, operator.matmul, np.outer, np.inner, np.tensordot, np.einsum,
    np.transpose, np.reshape, np.ravel, np.expand_dims, np.squeeze, np.cross, np.delete,
    np.linalg.det, np.linalg.inv, np.linalg.solve, np.array, np.asarray,
] + ([logsumexp] if logsumexp is not None else [])
REQUIRED_CONSTANT = [
    np.shape, np.size, np.ndim, np.zeros, np.ones, np.zeros_like, np.ones_like, np.empty,
    np.eye, np.identity, np.arange, np.argmax, np.argmin, np.floor, np.ceil, np.round,
    np.isnan, np.isfinite, np.greater, np.less, np.greater_equal, np.less_equal, np.equal,
    np.not_equal, np.sign, np.floor_divide,
]


@pytest.mark.parametrize("fn", REQUIRED_PARTIALS, ids=lambda f: f.__name__)
def test_required_partials_present(fn):
    rule = registry.lookup(fn)
    assert rule is not None and rule.definition.__module__ == numpy_rules.__name__


@pytest.mark.parametrize("fn", REQUIRED_ARRAY, ids=lambda f: f.__name__)
def test_required_array_rule_present(fn):
    rule = registry.lookup_array(fn)
    assert rule is not None and rule.vjps is not None and rule.jvps is not None


@pytest.mark.parametrize("fn", REQUIRED_CONSTANT, ids=lambda f: f.__name__)
def test_required_constant_present(fn):
    assert registry.is_constant(fn)
