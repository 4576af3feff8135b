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
"""

from __future__ import annotations

import inspect
import math
import random

import sympy

from . import api, forward, frontend, ssa, transforms
from .errors import S2SDiffError
from .report import PairResult, Report
from .symbolic import BOUND, PATH_BOUND, Executor, PathDependent, Stop, at_point, small
from .sympy_lift import diff_ae, lift_value

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


def _is_zero(difference) -> bool:
    """``simplify(difference) == 0``, piece by piece for a ``Piecewise``."""
    if difference == 0:
        return True
    if not small(difference, SIMPLIFY_OPS):
        return False
    try:
        if difference.has(sympy.Piecewise):
            difference = sympy.piecewise_fold(difference)
            if isinstance(difference, sympy.Piecewise):
                return all(_is_zero(e) for e, _ in difference.args)
        return sympy.simplify(difference) == 0
    except Exception:  # noqa: BLE001  (then the points decide)
        return False


# --- check -----------------------------------------------------------------------


def _points(params, points, samples: int, seed: int) -> list[tuple]:
    if points:
        return [tuple(p) for p in points]
    rng = random.Random(f"{seed}:{params}")
    return [tuple(round(rng.uniform(0.3, 1.7), 6) for _ in params) for _ in range(samples)]


def check(f, wrt=0, modes=("reverse",), points=None, samples: int = 4, seed: int = 0,
          bound: int = BOUND) -> Report:
    """Verify the generated derivatives of ``f`` with SymPy; see the module docstring.

    ``points`` are argument tuples to evaluate at (default: ``samples`` random
    points in [0.3, 1.7]); integer parameters need points.
    """
    inner = getattr(f, "__wrapped__", f)
    try:
        params = tuple(inspect.signature(inner).parameters)
    except (TypeError, ValueError):
        params = ()
    report = Report(getattr(f, "__name__", repr(f)), params,
                    getattr(getattr(inner, "__code__", None), "co_filename", ""))
    try:
        program = ssa.build(frontend.from_function(f))
        report.params = program.params
        names, _ = api._wrt_names(program.params, wrt)
    except S2SDiffError as exc:
        report.pairs.append(PairResult("-", report.function, "-", "error",
                                       detail=f"not generated: {exc}".splitlines()[0]))
        report.notes.append(str(exc))
        return report
    pts = _points(program.params, points, samples, seed)
    lifted = _Lifted(f, program, names, pts, bound, report)
    for mode in modes:
        if mode in ("reverse", "forward"):
            lifted.mode(mode)
        else:
            for name in names:
                report.pairs.append(PairResult(mode, program.name, name, "skipped",
                                               detail=f"mode {mode!r} is not available yet"))
    return report


class _Lifted:
    """``f`` lifted once, shared by the modes."""

    def __init__(self, f, program, names, points, bound, report: Report):
        self.f, self.program, self.names, self.points = f, program, names, points
        self.report = report
        self.bound = bound
        self.namespace = api._runtime_namespace(f)
        self.symbols = {p: sympy.Symbol(p, real=True) for p in program.params}
        self.full = None  # f as one expression, or None
        self.stop: Stop | None = None
        self.path_reason = ""
        try:
            self.full = Executor(self.namespace, bound=bound).run(program, self.symbols)
        except PathDependent as exc:
            self.path_reason = str(exc)
        except Stop as exc:
            self.stop = exc
            report.notes.append(f"symbolic check stopped at {exc}")
        if isinstance(self.full, tuple):
            self.stop = Stop(program.name, "returns a tuple")
        self._paths: dict[int, object] = {}

    def point_map(self, point) -> dict:
        return {self.symbols[p]: _number(v) for p, v in zip(self.program.params, point)}

    def args_along(self, point) -> dict:
        """Inputs along a path: the ``wrt`` parameters symbolic, the others their values."""
        return {p: (self.symbols[p] if p in self.names else _number(v))
                for p, v in zip(self.program.params, point)}

    def path(self, k: int):
        if k not in self._paths:
            ex = Executor(self.namespace, self.point_map(self.points[k]), PATH_BOUND)
            self._paths[k] = ex.run(self.program, self.args_along(self.points[k]))
        return self._paths[k]

    def reverse(self):
        gradient, _ = api.gradient_ir(frontend.from_function(self.f), wrt=tuple(self.names))
        compiled = api.derive(self.f, wrt=tuple(self.names))
        return (lambda ex, args: ex.run(gradient, args)), compiled

    def forward(self):
        tangent = forward.tangent(self.program, self.names)
        dots = tangent.params[len(self.program.params):]
        jvp = transforms.jvp(self.f, wrt=tuple(self.names))
        n = len(self.names)

        def seeds(i):
            return tuple(sympy.Integer(int(i == j)) for j in range(n))

        def lift(ex, args):
            out = []
            for i in range(n):
                _value, dot = ex.run(tangent, {**args, **dict(zip(dots, seeds(i)))})
                out.append(dot)
            return tuple(out)

        def compiled(*point):
            return tuple(jvp(*point, tuple(float(i == j) for j in range(n)))[1]
                         for i in range(n))

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
        computed = [self.run_compiled(compiled, p) for p in self.points]
        obtained, stop, reason = None, self.stop, self.path_reason
        if self.full is not None and stop is None:
            try:
                obtained = lift(Executor(self.namespace, bound=self.bound), self.symbols)
            except PathDependent as exc:
                reason = f"the generated code: {exc}"
            except Stop as exc:
                report.notes.append(f"symbolic check of the {mode} code stopped at {exc}")
                stop = exc
        for i, name in enumerate(self.names):
            result = PairResult(mode, out, name, "")
            if obtained is not None:
                self.symbolic(result, self.full, obtained[i], computed, i)
            elif stop is None:
                self.along_paths(result, lift, computed, i)
            else:
                self.finite_differences(result, computed, i, stop)
            report.pairs.append(result)
        note = f"path-dependent: {reason}"
        if any(p.kind == "path" for p in report.pairs) and note not in report.notes:
            report.notes.append(note)

    def run_compiled(self, compiled, point):
        try:
            return tuple(float(v) for v in compiled(*point))
        except Exception as exc:  # noqa: BLE001  (reported per pair)
            return exc

    def matches_compiled(self, result: PairResult, lifted_values, computed, i) -> bool:
        for point, value, got in zip(self.points, lifted_values, computed):
            if isinstance(got, Exception):
                result.detail = f"the generated code raised {got!r} at {point}"
                return False
            if value is None or not value.is_number:
                continue
            try:
                want = complex(value)
            except (TypeError, ValueError):
                continue
            if want.imag == 0 and not math.isclose(got[i], want.real, rel_tol=1e-9,
                                                   abs_tol=1e-12):
                result.detail = (f"the generated source computes {got[i]!r} at {point}, "
                                 f"its IR lifts to {float(want.real)!r}")
                return False
        return True

    def symbolic(self, result: PairResult, f_expr, obtained, computed, i):
        x = self.symbols[self.names[i]]
        expected = diff_ae(f_expr, x)
        difference = expected - obtained
        values, verdicts = [], []
        for point in self.points:
            pm = self.point_map(point)
            value = at_point(obtained, pm)
            values.append(value)
            verdicts.append(_agree(at_point(expected, pm), value))
        decided = [v for v in verdicts if v is not None]
        result.points = len(decided)
        if False in decided:
            result.kind, result.ok = "exact", False
            bad = self.points[verdicts.index(False)]
            result.detail = f"expected and obtained differ at {bad}"
            result.expected, result.obtained = _simplified(expected), _simplified(obtained)
            return
        if _is_zero(difference):
            result.kind, result.ok = "simplify", True
        else:
            result.kind, result.ok = "exact", bool(decided)
            if not decided:
                result.detail = _NO_POINT
        if not self.matches_compiled(result, values, computed, i):
            result.ok = False

    def along_paths(self, result: PairResult, lift, computed, i):
        x = self.symbols[self.names[i]]
        result.kind = "path"
        values, ok, n = [], True, 0
        for k, point in enumerate(self.points):
            pm = self.point_map(point)
            try:
                path = self.path(k)
                ex = Executor(self.namespace, pm, PATH_BOUND)
                got = lift(ex, self.args_along(point))[i]
            except (Stop, PathDependent) as exc:
                result.ok = False
                result.detail = f"at {point}: {exc}"
                return
            expected, value = at_point(diff_ae(path, x), pm), at_point(got, pm)
            values.append(value)
            verdict = _agree(expected, value)
            if verdict is None:
                continue
            n += 1
            if not verdict and ok:
                ok = False
                result.detail = f"along the path taken at {point}: {expected} vs {value}"
                result.expected = _simplified(diff_ae(path, x))
                result.obtained = _simplified(got)
        result.points, result.ok = n, ok and n > 0
        if ok and n == 0:
            result.detail = _NO_POINT
        if not self.matches_compiled(result, values, computed, i):
            result.ok = False

    def finite_differences(self, result: PairResult, computed, i, stop: Stop):
        result.kind = "fd"
        index = self.program.params.index(self.names[i])
        n = 0
        for point, got in zip(self.points, computed):
            if isinstance(got, Exception):
                result.detail = f"the generated code raised {got!r} at {point}"
                return
            reference = _fd(self.f, point, index)
            if reference is None:
                continue
            n += 1
            if not math.isclose(got[i], reference, rel_tol=1e-6, abs_tol=1e-8):
                result.points = n
                result.detail = (f"at {point}: generated {got[i]!r}, "
                                 f"finite differences {reference!r}")
                result.expected, result.obtained = reference, got[i]
                return
        result.points, result.ok = n, n > 0
        result.detail = f"symbolic check stopped at {stop}"


def _fd(f, point, index: int):
    """∂f/∂point[index] by a 4th-order central difference, or None if ``f`` fails nearby."""
    x = point[index]
    if not isinstance(x, float):
        return None
    h = 1e-3 * max(1.0, abs(x))

    def at(t):
        args = list(point)
        args[index] = t
        return f(*args)

    try:
        return (-at(x + 2 * h) + 8 * at(x + h) - 8 * at(x - h) + at(x - 2 * h)) / (12 * h)
    except (ArithmeticError, ValueError):
        return None


__all__ = ["BOUND", "Executor", "PairResult", "PathDependent", "Report", "Stop", "check"]
