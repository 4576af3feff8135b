"""Check generated derivatives with SymPy: ``check(f, wrt)`` returns a report.

The SSA IR of ``f`` and the IR of its generated derivatives are both lifted
into SymPy by symbolic execution (:mod:`s2sdiff.symbolic`: an ``If`` on a
symbolic condition becomes a ``Piecewise``, a loop with a known trip count is
unrolled up to ``bound`` iterations, a tape is a list of expressions).
For each input, the derivative SymPy computes from ``f`` (*expected*) is
compared with the expression the generated code computes (*obtained*), and the
report says which method decided:

- ``simplify``: ``simplify(expected - obtained) == 0``;
- ``exact evaluation at N points``: simplification was inconclusive, the two
  agree to 50 digits at N points;
- ``sampled along the path taken at N points``: the path depends on the data
  (a ``while`` on a float, a branch the tape follows, a trip count computed
  from an input): at each point every branch and trip count is decided by the
  point's values, the path's expression is differentiated, and both sides are
  compared there to 50 digits;
- ``finite differences at N points``: some statement has no SymPy form; the
  report names it, and the compiled gradient is compared with 4th-order
  central differences of ``f``.

In every method, the compiled gradient (the generated source) is also run at
the points and must agree with the lifted gradient IR.

NumPy code is lifted with object arrays of symbols (``x[0, 1]``…) shaped like
the arrays of the smallest point; every element of a gradient is compared with
``sympy.diff`` of the output in that element's symbol, and the points of that
shape decide (array elements use a zero test without ``trigsimp``, which is
too slow to run per element).  At the points of other shapes the compiled
gradient is compared with finite differences.  A ``np.max``/``np.min``
reduction or a boolean mask is decided at each point, as a branch is.
"""

from __future__ import annotations

import inspect
import math
import random

import numpy as np
import sympy

from .. import api, ir, pipeline
from ..front import source as frontend
from ..ir import ssa
from ..errors import S2SDiffError
from .report import PairResult, Report
from .symbolic import BOUND, PATH_BOUND, Executor, PathDependent, Stop, at_point, small
from .lift import diff_ae, lift_value

SIMPLIFY_OPS = 400  # larger differences skip simplify and go straight to points
_NO_POINT = "no point where both sides are finite real numbers"


# --- comparison ------------------------------------------------------------------


def _number(v):
    """A Python value as an exact SymPy number."""
    if isinstance(v, bool):
        return sympy.Integer(int(v))
    if isinstance(v, int):
        return sympy.Integer(v)
    if isinstance(v, float):
        return sympy.Rational(repr(v)) if math.isfinite(v) else lift_value(v)
    return lift_value(v)


def _agree(a, b):
    """True/False if the two numbers agree to ~30 digits; None if either is not a finite number."""
    if not (a.is_number and b.is_number) or any(
            v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) for v in (a, b)):
        return None
    return bool(abs(a - b) <= sympy.Float(10) ** -30 * (1 + abs(b)))


def _simplified(expr):
    try:
        return sympy.simplify(expr) if small(expr, SIMPLIFY_OPS) else expr
    except Exception:  # noqa: BLE001  (display only)
        return expr


def _quick_zero(difference) -> bool:
    """A zero test cheaper than ``simplify`` (no ``trigsimp``): expand, then rewrite in exp."""
    if sympy.expand(difference) == 0:
        return True
    if difference.has(sympy.Max, sympy.Min, sympy.Heaviside, sympy.Abs, sympy.sign):
        return False  # decided at points
    return sympy.cancel(sympy.expand(difference.rewrite(sympy.exp))) == 0


def _is_zero(difference, quick: bool = False) -> bool:
    """``simplify(difference) == 0``, piece by piece for a ``Piecewise``.

    ``quick`` (array elements, many per derivative): :func:`_quick_zero` instead.
    """
    if difference == 0:
        return True
    if not small(difference, SIMPLIFY_OPS):
        return False
    try:
        if quick and difference.has(sympy.Piecewise):
            return sympy.expand(difference) == 0  # folding is slow: the points decide
        if difference.has(sympy.Piecewise):
            difference = sympy.piecewise_fold(difference)
            if isinstance(difference, sympy.Piecewise):
                return all(_is_zero(e, quick) for e, _ in difference.args)
        return _quick_zero(difference) if quick else sympy.simplify(difference) == 0
    except Exception:  # noqa: BLE001  (then the points decide)
        return False


# --- check -----------------------------------------------------------------------


def _points(params, points, samples: int, seed: int) -> list[tuple]:
    if points:
        return [tuple(p) for p in points]
    rng = random.Random(f"{seed}:{params}")
    return [tuple(round(rng.uniform(0.3, 1.7), 6) for _ in params) for _ in range(samples)]


def _is_array(v) -> bool:
    return isinstance(v, np.ndarray)


def _signature(point) -> tuple:
    """What a symbolic run at ``point`` depends on: array shapes, integer values."""
    return tuple(("array", v.shape, v.dtype.kind) if _is_array(v) else
                 ("int", v) if isinstance(v, int) and not isinstance(v, bool) else
                 ("float",) if isinstance(v, float) else ("other", repr(v)) for v in point)


def _size(point) -> int:
    return sum(v.size for v in point if _is_array(v))


def _short(point) -> str:
    with np.printoptions(precision=4, threshold=12):
        return "(" + ", ".join(repr(v) if not _is_array(v) else np.array2string(v, separator=", ")
                               .replace("\n", "") for v in point) + ")"


def _flat(v) -> list:
    return list(v.flat) if _is_array(v) else [v]


def check(f, wrt=0, modes=("reverse",), points=None, samples: int = 4, seed: int = 0,
          bound: int = BOUND) -> Report:
    """Verify the generated derivatives of ``f`` with SymPy; see the module docstring.

    ``points`` are argument tuples to evaluate at (default: ``samples`` random
    points in [0.3, 1.7]); integer parameters need points, and so do arrays:
    NumPy code is lifted with arrays of symbols shaped like the smallest point's
    arrays (float parameters become symbols, integers and other arrays keep
    their values), and evaluated at the points of that shape; at the points of
    other shapes the generated gradient is compared with finite differences.
    """
    static = isinstance(f, frontend.SourceFunction)
    inner = getattr(f, "__wrapped__", f)
    try:
        params = () if static else tuple(inspect.signature(inner).parameters)
    except (TypeError, ValueError):
        params = ()
    filename = f.filename if static else getattr(getattr(inner, "__code__", None),
                                                 "co_filename", "")
    report = Report(f.name if static else getattr(f, "__name__", repr(f)), params, filename)
    try:
        where = f if static else frontend.from_function(f)
        program = ssa.build(where)
        report.params = program.params
        names, _ = pipeline.wrt_names(program.params, wrt)
    except S2SDiffError as exc:
        report.pairs.append(PairResult("-", report.function, "-", "error",
                                       detail=f"not generated: {exc}".splitlines()[0]))
        report.notes.append(str(exc))
        return report
    pts = _points(program.params, points, samples, seed)
    lifted = _Lifted(_Runtime(f, where), program, names, pts, bound, report)
    for mode in modes:
        if mode in ("reverse", "forward"):
            lifted.mode(mode)
        else:
            for name in names:
                report.pairs.append(PairResult(mode, program.name, name, "skipped",
                                               detail=f"mode {mode!r} is not available yet"))
    return report


class _Runtime:
    """``f`` and its generated derivatives as things to call: from the live function,
    or, for source read without running its module (the command), compiled from the IR."""

    def __init__(self, f, where: frontend.SourceFunction):
        self.live = None if isinstance(f, frontend.SourceFunction) else f
        self.where = where
        self.namespace = api._runtime_namespace(f) if self.live else {}
        self._value = None

    def gradient(self, names):
        if self.live:
            return api.derive(self.live, wrt=names)
        gen, namespace, _ = api.compiled(self.where, names, "grad")
        return namespace[gen.entry]

    def jvp(self, names):
        """``jvp(*args, tangents)`` → (value, directional derivative)."""
        if self.live:
            return api.jvp(self.live, wrt=names)
        gen, namespace, _ = api.compiled(self.where, names, "jvp")
        return namespace[gen.entry]

    def value(self, point):
        if self.live:
            return self.live(*point)
        if self._value is None:  # the value half of a jvp in every parameter
            self._value = self.jvp(ssa.build(self.where).params)
        zeros = tuple(np.zeros_like(v) if _is_array(v) else 0.0 for v in point)
        return self._value(*point, zeros)[0]


class _Lifted:
    """``f`` lifted once, shared by the modes."""

    def __init__(self, runtime: _Runtime, program, names, points, bound, report: Report):
        self.runtime, self.program, self.names = runtime, program, names
        self.report = report
        self.bound = bound
        self.namespace = runtime.namespace
        self.arrays = any(_is_array(v) for p in points for v in p)
        self.all_points = points
        if self.arrays:  # one shape is lifted: the smallest point's
            first = min(points, key=_size)
            self.points = [p for p in points if _signature(p) == _signature(first)]
            self.others = [p for p in points if _signature(p) != _signature(first)]
            shapes = ", ".join(f"{n}: {v.shape}" for n, v in zip(program.params, first)
                               if _is_array(v))
            report.notes.append(f"arrays of symbols of shape {shapes}")
        else:
            self.points, self.others = points, []
        self.symbols = self.arguments(self.points[0], symbolic=program.params)
        self.user: dict = {}  # the SSA IR of the user functions f calls
        self.derived: dict = {}  # the generated functions the derivatives call, by name
        self.full = None  # f as one expression, or None
        self.stop: Stop | None = None
        self.path_reason = ""
        try:
            self.full = self.scalar(self.executor().run(program, self.symbols))
        except PathDependent as exc:
            self.path_reason = str(exc)
        except Stop as exc:
            self.stop = exc
            report.notes.append(f"symbolic check stopped at {exc}")
        self._paths: dict[int, object] = {}

    def scalar(self, value):
        if isinstance(value, tuple):
            raise Stop(self.program.name, "returns a tuple")
        while _is_array(value):
            if value.shape != ():
                raise Stop(self.program.name, f"returns an array of shape {value.shape}")
            value = value.item()
        return sympy.sympify(value)

    def arguments(self, point, symbolic) -> dict:
        """Inputs at ``point``: the ``symbolic`` parameters as symbols, the others as values."""
        args = {}
        for p, v in zip(self.program.params, point):
            if p not in symbolic or (self.arrays and not (
                    isinstance(v, float) or (_is_array(v) and v.dtype.kind == "f"))):
                args[p] = _number(v) if not _is_array(v) else lift_value(v)
            elif _is_array(v):
                args[p] = np.empty(v.shape, dtype=object)
                for i in np.ndindex(v.shape):
                    args[p][i] = sympy.Symbol(f"{p}[{', '.join(map(str, i))}]", real=True)
            else:
                args[p] = sympy.Symbol(p, real=True)
        return args

    def point_map(self, point, args=None) -> dict:
        args = self.symbols if args is None else args
        out = {}
        for p, v in zip(self.program.params, point):
            for s, x in zip(_flat(args[p]), _flat(v)):
                if isinstance(s, sympy.Symbol):
                    out[s] = _number(x.item() if isinstance(x, np.generic) else x)
        return out

    def args_along(self, point) -> dict:
        """Inputs along a path: the ``wrt`` parameters symbolic, the others their values."""
        return self.arguments(point, symbolic=self.names)

    def path(self, k: int):
        if k not in self._paths:
            args = self.args_along(self.points[k])
            ex = self.executor(self.point_map(self.points[k], args), PATH_BOUND)
            self._paths[k] = (self.scalar(ex.run(self.program, args)), args)
        return self._paths[k]

    def generated(self, kind: str) -> ir.Function:
        """The IR of the module of ``kind``: its entry function; the functions it
        calls become known to ``function``."""
        gen = pipeline.generate(self.runtime.where, tuple(self.names), kind)
        self.derived.update((f.name, f) for f in gen.functions[1:])
        return gen.functions[0]

    def function(self, callee: ir.Callee) -> ir.Function:
        """The IR a call runs: a user function's SSA, or a generated derivative's."""
        if callee.source is None:
            return self.derived[callee.name]
        if callee.key not in self.user:
            self.user[callee.key] = ssa.build(callee.source)
        return self.user[callee.key]

    def executor(self, point=None, bound=None) -> Executor:
        return Executor(self.namespace, point, self.bound if bound is None else bound,
                        self.function)

    def reverse(self):
        gradient = self.generated("grad")
        compiled = self.runtime.gradient(tuple(self.names))
        return (lambda ex, args: ex.run(gradient, args)), compiled

    def forward(self):
        tangent = self.generated("jvp")
        packed = tangent.params[-1]
        jvp = self.runtime.jvp(tuple(self.names))
        names = self.names

        def units(shapes, i, k, one, zero):
            seeds = []
            for j, shape in enumerate(shapes):
                if shape is None:
                    seeds.append(one if (i, k) == (j, None) else zero)
                    continue
                seed = np.full(shape, zero, dtype=object if isinstance(one, sympy.Basic) else float)
                if i == j:
                    seed[k] = one
                seeds.append(seed)
            return tuple(seeds)

        def each(shapes, run):
            out = []
            for i, shape in enumerate(shapes):
                if shape is None:
                    out.append(run(i, None))
                else:
                    grad = np.empty(shape, dtype=object)
                    for k in np.ndindex(shape):
                        grad[k] = run(i, k)
                    out.append(grad)
            return tuple(out)

        def lift(ex, args):
            shapes = [args[n].shape if _is_array(args[n]) else None for n in names]

            def run(i, k):
                seeds = units(shapes, i, k, sympy.Integer(1), sympy.Integer(0))
                return ex.run(tangent, {**args, packed: seeds})[1]

            return each(shapes, run)

        def compiled(*point):
            shapes = [point[self.program.params.index(n)].shape
                      if _is_array(point[self.program.params.index(n)]) else None for n in names]

            def run(i, k):
                return float(jvp(*point, units(shapes, i, k, 1.0, 0.0))[1])

            out = each(shapes, run)
            return tuple(np.asarray(o, dtype=float) if _is_array(o) else o for o in out)

        return lift, compiled

    def mode(self, mode: str):
        report, out = self.report, self.program.name
        try:
            lift, compiled = getattr(self, mode)()
        except Exception as exc:  # noqa: BLE001  (reported, not raised: a check never crashes)
            what = "not generated" if isinstance(exc, S2SDiffError) else \
                f"bug in s2sdiff, {type(exc).__name__} while generating"
            for name in self.names:
                report.pairs.append(PairResult(mode, out, name, "error",
                                               detail=f"{what}: {exc}".splitlines()[0]))
            return
        computed = {id(p): self.run_compiled(compiled, p) for p in self.all_points}
        obtained, stop, reason = None, self.stop, self.path_reason
        if self.full is not None and stop is None:
            try:
                obtained = lift(self.executor(), self.symbols)
            except PathDependent as exc:
                reason = f"the generated code: {exc}"
            except Stop as exc:
                report.notes.append(f"symbolic check of the {mode} code stopped at {exc}")
                stop = exc
        for i, name in enumerate(self.names):
            result = PairResult(mode, out, name, "")
            try:
                if obtained is not None:
                    self.symbolic(result, self.full, obtained[i], computed, i)
                elif stop is None:
                    stop = self.along_paths(result, lift, computed, i)
            except (TypeError, ValueError, RecursionError) as exc:  # inside SymPy's own code
                stop = Stop("SymPy", f"{type(exc).__name__}: {exc}")
                report.notes.append(f"SymPy failed on ∂{out}/∂{name} ({mode}): {stop.reason}")
                result.kind = ""
            if stop is not None and not result.kind:
                self.finite_differences(result, computed, i, stop)
            elif result.ok and self.others:
                self.other_shapes(result, computed, i)
            report.pairs.append(result)
        note = f"path-dependent: {reason}"
        if any(p.kind == "path" for p in report.pairs) and note not in report.notes:
            report.notes.append(note)

    def run_compiled(self, compiled, point):
        try:
            return tuple(np.asarray(v, dtype=float) if _is_array(v) else float(v)
                         for v in compiled(*point))
        except Exception as exc:  # noqa: BLE001  (reported per pair)
            return exc

    def matches_compiled(self, result: PairResult, lifted_values, computed, i) -> bool:
        for point, values, got in zip(self.points, lifted_values,
                                      (computed[id(p)] for p in self.points)):
            if isinstance(got, Exception):
                result.detail = f"the generated code raised {got!r} at {_short(point)}"
                return False
            for value, number in zip(values, _flat(got[i])):
                if value is None or not value.is_number:
                    continue
                try:
                    want = complex(value)
                except (TypeError, ValueError):
                    continue
                if want.imag == 0 and not math.isclose(number, want.real, rel_tol=1e-9,
                                                       abs_tol=1e-12):
                    result.detail = (f"the generated source computes {number!r} at "
                                     f"{_short(point)}, its IR lifts to {float(want.real)!r}")
                    return False
        return True

    def elements(self, result: PairResult, obtained, symbols) -> list | None:
        """The obtained gradient's elements, one per symbol of the input (None: wrong shape)."""
        if _is_array(symbols):
            value = np.asarray(obtained, dtype=object)
            if value.shape != symbols.shape:
                result.kind, result.ok = "exact", False
                result.detail = (f"the gradient has shape {value.shape}, "
                                 f"the input {symbols.shape}")
                return None
            return [self.scalar(v) for v in value.flat]
        return [self.scalar(obtained)]

    def symbolic(self, result: PairResult, f_expr, obtained, computed, i):
        symbols = self.symbols[self.names[i]]
        items = self.elements(result, obtained, symbols)
        if items is None:
            return
        maps = [self.point_map(p) for p in self.points]
        values = [[] for _ in self.points]
        decided_points, simplified = set(), True
        for x, got in zip(_flat(symbols), items):
            expected = diff_ae(f_expr, x)
            verdicts = []
            for k, pm in enumerate(maps):
                value = at_point(got, pm)
                values[k].append(value)
                verdicts.append(_agree(at_point(expected, pm), value))
            decided_points |= {k for k, v in enumerate(verdicts) if v is not None}
            if False in verdicts:
                result.kind, result.ok = "exact", False
                result.points = len(decided_points)
                bad = self.points[verdicts.index(False)]
                where = f" in {x}" if _is_array(symbols) else ""
                result.detail = f"expected and obtained differ{where} at {_short(bad)}"
                result.expected, result.obtained = _simplified(expected), _simplified(got)
                return
            if simplified and not _is_zero(expected - got, quick=self.arrays):
                simplified = False
        result.points = len(decided_points)
        if simplified:
            result.kind, result.ok = "simplify", True
        else:
            result.kind, result.ok = "exact", bool(decided_points)
            if not decided_points:
                result.detail = _NO_POINT
        if not self.matches_compiled(result, values, computed, i):
            result.ok = False

    def along_paths(self, result: PairResult, lift, computed, i) -> Stop | None:
        """Compare along the path taken at each point; a Stop is returned for the fallback."""
        result.kind = "path"
        values, ok, n = [], True, 0
        for k, point in enumerate(self.points):
            try:
                path, args = self.path(k)
                pm = self.point_map(point, args)
                ex = self.executor(pm, PATH_BOUND)
                items = self.elements(result, lift(ex, args)[i], args[self.names[i]])
            except PathDependent as exc:
                result.ok = False
                result.detail = f"at {_short(point)}: {exc}"
                return None
            except Stop as exc:
                self.report.notes.append(f"symbolic check along the path stopped at {exc}")
                result.kind = ""
                return exc
            if items is None:
                return None
            values.append([])
            decided = False
            for x, got in zip(_flat(args[self.names[i]]), items):
                expected, value = at_point(diff_ae(path, x), pm), at_point(got, pm)
                values[-1].append(value)
                verdict = _agree(expected, value)
                if verdict is None:
                    continue
                decided = True
                if not verdict and ok:
                    ok = False
                    result.detail = (f"along the path taken at {_short(point)}: "
                                     f"{expected} vs {value}")
                    result.expected = _simplified(diff_ae(path, x))
                    result.obtained = _simplified(got)
            n += decided
        result.points, result.ok = n, ok and n > 0
        if ok and n == 0:
            result.detail = _NO_POINT
        if not self.matches_compiled(result, values, computed, i):
            result.ok = False
        return None

    def other_shapes(self, result: PairResult, computed, i):
        """At the points of other shapes: the compiled gradient against finite differences."""
        for point in self.others:
            if not self.fd_agrees(result, point, computed[id(point)], i):
                result.ok = False
                return

    def fd_agrees(self, result: PairResult, point, got, i) -> bool | None:
        if isinstance(got, Exception):
            result.detail = f"the generated code raised {got!r} at {_short(point)}"
            return False
        reference = _fd(lambda *p: self.runtime.value(p), point,
                        self.program.params.index(self.names[i]))
        if reference is None:
            return None
        if not np.allclose(got[i], reference, rtol=1e-6, atol=1e-8):
            result.detail = (f"at {_short(point)}: generated {got[i]!r}, "
                             f"finite differences {reference!r}")
            result.expected, result.obtained = reference, got[i]
            return False
        return True

    def finite_differences(self, result: PairResult, computed, i, stop: Stop):
        result.kind = "fd"
        n = 0
        for point in self.all_points:
            verdict = self.fd_agrees(result, point, computed[id(point)], i)
            if verdict is False:
                result.points = n
                return
            n += verdict is True
        result.points, result.ok = n, n > 0
        result.detail = f"symbolic check stopped at {stop}"


def _fd(f, point, index: int):
    """∂f/∂point[index] by a 4th-order central difference, or None if ``f`` fails nearby.

    For an array input, an array of the partials in each element.
    """
    x = point[index]
    if _is_array(x) and x.dtype.kind == "f":
        out = np.empty(x.shape)
        for k in np.ndindex(x.shape):
            def at_k(t, k=k):
                y = x.copy()
                y[k] = t
                return y

            d = _central(f, point, index, float(x[k]), at_k, 1e-5)  # kinks are near
            if d is None:
                return None
            out[k] = d
        return out
    if not isinstance(x, float):
        return None
    return _central(f, point, index, x, lambda t: t)


def _central(f, point, index: int, x: float, place, step: float = 1e-3):
    h = step * max(1.0, abs(x))

    def at(t):
        args = list(point)
        args[index] = place(t)
        return float(f(*args))

    try:
        with np.errstate(all="raise"):
            return (-at(x + 2 * h) + 8 * at(x + h) - 8 * at(x - h) + at(x - 2 * h)) / (12 * h)
    except (ArithmeticError, ValueError, FloatingPointError):
        return None


__all__ = ["BOUND", "Executor", "PairResult", "PathDependent", "Report", "Stop", "check"]
