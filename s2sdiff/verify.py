"""Check generated derivatives with SymPy: ``check(f, wrt)`` returns a report.

The SSA IR of ``f`` and the IR of its generated gradient are both lifted into
SymPy by symbolic execution: an ``Op`` becomes its SymPy counterpart
(:mod:`s2sdiff.sympy_lift`), an ``If`` on a symbolic condition a
``Piecewise``, a loop with a known trip count is unrolled (up to ``bound``
iterations), and the tape of the gradient is a Python list of expressions.
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

import ast
import inspect
import math
import operator
import random
from dataclasses import dataclass, field

import sympy

from . import api, frontend, ir, ssa
from .errors import S2SDiffError
from .rules import is_constant
from .sympy_lift import LiftError, diff_ae, lift_expr, lift_value, sympy_callable
from .templates import clone as templates_clone

BOUND = 200  # loop iterations unrolled in the symbolic check
PATH_BOUND = 5000  # iterations followed along a sampled path
SIMPLIFY_OPS = 400  # larger differences skip simplify and go straight to points
DIGITS = 50
EXACT_NODES = 2000  # larger values are decided at DIGITS digits instead of exactly
MAX_BRANCHES = 16  # symbolic branches (Piecewise) before a path is sampled instead


class PathDependent(Exception):
    """The symbolic execution needs a concrete value (a branch, a trip count)."""


class Stop(Exception):
    """A statement that cannot be lifted into SymPy: where, and why."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


# --- the report ------------------------------------------------------------------


@dataclass
class PairResult:
    """The verdict on one derivative ∂output/∂input in one mode."""

    mode: str
    output: str
    input: str
    kind: str  # "simplify", "exact", "path", "fd", "error", "skipped"
    points: int = 0
    ok: bool = False
    expected: object = None  # SymPy expression (or value along a path)
    obtained: object = None
    detail: str = ""

    @property
    def method(self) -> str:
        return {
            "simplify": "simplify",
            "exact": f"exact evaluation at {self.points} points",
            "path": f"sampled along the path taken at {self.points} points",
            "fd": f"finite differences at {self.points} points",
        }.get(self.kind, self.kind)

    @property
    def verdict(self) -> str:
        return "skipped" if self.kind == "skipped" else ("ok" if self.ok else "FAILED")


@dataclass
class Report:
    """What ``check`` found: per (output, input) pair, the method and the verdict."""

    function: str
    params: tuple[str, ...]
    filename: str = ""
    pairs: list[PairResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        decided = [p for p in self.pairs if p.kind != "skipped"]
        return bool(decided) and all(p.ok for p in decided)

    def methods(self) -> dict[tuple[str, str], str]:
        """(mode, input) → kind of method, e.g. ``{("reverse", "x"): "simplify"}``."""
        return {(p.mode, p.input): p.kind for p in self.pairs}

    def __str__(self) -> str:
        head = f"check {self.function}({', '.join(self.params)})"
        lines = [head + (f"  [{self.filename}]" if self.filename else "")]
        rows = [("mode", "derivative", "method", "verdict")]
        rows += [(p.mode, f"∂{p.output}/∂{p.input}", p.method, p.verdict) for p in self.pairs]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3])
        for p in self.pairs:
            if not p.ok and p.kind != "skipped":
                lines.append(f"  ∂{p.output}/∂{p.input} ({p.mode}): {p.detail}")
                if p.expected is not None:
                    lines.append(f"    expected: {p.expected}")
                    lines.append(f"    obtained: {p.obtained}")
        lines += [f"  note: {n}" for n in self.notes]
        good = sum(p.ok for p in self.pairs)
        lines.append(f"  {'ok' if self.ok else 'NOT OK'}: {good} of {len(self.pairs)} verified")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):  # IPython
        printer.text(str(self))


# --- symbolic execution of the IR ------------------------------------------------


def _where(stmt) -> str:
    origin = getattr(stmt, "origin", None)
    if origin is not None:
        return f"{origin.filename}:{origin.lineno}: {origin.text}"
    return f"generated code: {_text(stmt)}"


def _text(stmt) -> str:
    if isinstance(stmt, ir.Loop):
        return f"{stmt.kind} loop over {', '.join(map(str, stmt.args))}"
    if isinstance(stmt, ir.If):
        return f"if {stmt.cond}:"
    return str(stmt)


def _globals_of(tree: ast.AST, namespace: dict) -> dict:
    """``namespace`` plus the objects an emitted expression links to by name."""
    linked = {n.id: n.s2s_global for n in ast.walk(tree) if hasattr(n, "s2s_global")}
    return {**namespace, **linked} if linked else namespace


def _resolve(g: ir.Global):
    obj = g.value
    for attr in g.path:
        obj = getattr(obj, attr)
    return obj


def _copy(env: dict) -> dict:
    return {k: list(v) if isinstance(v, list) else v for k, v in env.items()}


class Executor:
    """Runs IR over SymPy values.

    With ``point`` (Symbol → number) every condition and trip count that
    depends on a symbol is decided by the point's values (the path taken);
    without it, such a trip count raises :class:`PathDependent` and such a
    branch becomes a ``Piecewise``.
    """

    def __init__(self, namespace: dict, point: dict | None = None, bound: int = BOUND):
        self.namespace = namespace
        self.point = point
        self.bound = bound
        self.env: dict = {}
        self.branches = 0  # branches on symbolic values, each doubling the expressions

    def run(self, fn: ir.Function, args: dict):
        self.env = dict(args)
        self.block(fn.body)
        return self.value(fn.result)

    # values
    def value(self, v):
        if isinstance(v, tuple):
            return tuple(self.value(a) for a in v)
        if isinstance(v, ir.Var):
            if v.name not in self.env:
                raise LiftError(f"{v.name} is not defined on this path")
            return self.env[v.name]
        if isinstance(v, ir.Const):
            return lift_value(v.value)
        if isinstance(v, ir.Global):
            return lift_value(_resolve(v))
        if isinstance(v, ir.Op):
            return self.op(v)
        if isinstance(v, ir.Expr):
            bindings = dict(self.env)
            tree = _ListParts(self, bindings).visit(templates_clone(v.tree))
            if isinstance(tree, ast.Name) and tree.id in bindings:
                return bindings[tree.id]
            return lift_expr(tree, bindings, _globals_of(v.tree, self.namespace))
        raise LiftError(f"cannot lift {type(v).__name__}")

    def op(self, op: ir.Op):
        args = [self.value(a) for a in op.args]
        kwargs = {k: self.value(a) for k, a in op.kwargs}
        name = getattr(op.fn, "__name__", repr(op.fn))
        if name == "make_list":
            return list(args)
        if op.fn is operator.getitem and isinstance(args[0], (list, tuple)):
            return args[0][self.concrete(args[1])]
        if op.fn is sum and args and isinstance(args[0], (list, tuple)):
            return sympy.Add(*args[0], *args[1:])
        counterpart = sympy_callable(op.fn)
        if counterpart is not None:
            return counterpart(*args, **kwargs)
        if is_constant(op.fn) or op.fn in (range, len):
            # piecewise constant: its value at the point is its value nearby
            result = op.fn(*(self.concrete(a) for a in args),
                           **{k: self.concrete(a) for k, a in kwargs.items()})
            return lift_value(result)
        raise LiftError(f"no SymPy counterpart for {name}; register one with "
                        f"s2sdiff.sympy_lift.register_sympy")

    def concrete(self, v):
        """A Python value for ``v``: decided at the point, or PathDependent."""
        if not isinstance(v, sympy.Basic):
            return v
        if v.free_symbols:
            if self.point is None:
                raise PathDependent(f"needs the value of {v}")
            if isinstance(v, sympy.Expr) and not _small(v, EXACT_NODES):
                v = _at(v, self.point)  # high precision: exact trees would be too big
            else:
                v = v.xreplace(self.point)  # exact: integers stay integers
        if isinstance(v, sympy.logic.boolalg.Boolean):
            return _truth(v)
        if v.is_Integer:
            return int(v)
        n = v.evalf(DIGITS)
        return int(n) if n.is_Integer else float(n)

    def truth(self, v):
        """True/False, or None when ``v`` depends on a symbol (and no point decides it)."""
        if isinstance(v, sympy.Basic) and v.free_symbols and self.point is None:
            return None
        return bool(self.concrete(v)) if isinstance(v, sympy.Basic) else bool(v)

    # statements
    def block(self, body):
        for s in body:
            try:
                self.stmt(s)
            except (PathDependent, Stop):
                raise
            except (LiftError, TypeError, ValueError, ZeroDivisionError, AttributeError,
                    KeyError, IndexError, RecursionError) as exc:
                raise Stop(_where(s), str(exc) or type(exc).__name__) from None

    def stmt(self, s):
        env = self.env
        if isinstance(s, ir.Assign):
            value = self.value(s.value)
            target, index = s.target, None
            if target.endswith("]") and "[" in target:  # xs_bar[i] += ...
                target, index = target[:-1].split("[", 1)
                index = self.concrete(self.value(_atom_named(index)))
                old = env[target][index] if s.accumulate else 0
                env[target][index] = old + value
            else:
                env[target] = env[target] + value if s.accumulate else value
        elif isinstance(s, ir.If):
            self.if_(s)
        elif isinstance(s, ir.Loop):
            self.loop(s)
        elif isinstance(s, ir.Push):
            env[s.tape].append(tuple(env[v] for v in s.values))
        elif isinstance(s, ir.Pop):
            item = env[s.tape].pop()
            if len(s.values) <= 1 and not isinstance(item, tuple):
                item = (item,)
            env.update(zip(s.values, item))  # no values: the item is discarded
        elif type(s).__name__ == "Append":
            env[s.target].append(self.value(s.value))
        elif isinstance(s, ir.Comment):
            pass
        else:
            raise LiftError(f"cannot lift a {type(s).__name__} statement")

    def if_(self, s: ir.If):
        cond = self.value(s.cond)
        decided = self.truth(cond)
        if decided is not None:
            self.block(s.then if decided else s.orelse)
            values = {p.target: self.value(p.first if decided else p.second) for p in s.phis}
            self.env.update(values)
            return
        self.branches += 1
        if self.branches > MAX_BRANCHES:
            raise PathDependent(f"more than {MAX_BRANCHES} branches on symbolic values")
        if cond.has(sympy.Piecewise):  # SymPy crawls on such conditions
            raise PathDependent(f"a branch on {s.cond}, a value that itself depends on branches")
        if not isinstance(cond, sympy.logic.boolalg.Boolean):
            cond = sympy.Ne(cond, 0)
        before = self.env
        ends = []
        for block, pick in ((s.then, "first"), (s.orelse, "second")):
            self.env = _copy(before)
            self.block(block)
            ends.append((self.env, {p.target: self.value(getattr(p, pick)) for p in s.phis}))
        (then, tphi), (orelse, ephi) = ends
        merged = {}
        for name in set(then) | set(orelse):
            if name not in then or name not in orelse:
                merged[name] = then.get(name, orelse.get(name))
            else:
                merged[name] = _merge(cond, then[name], orelse[name], name)
        for p in s.phis:
            merged[p.target] = _merge(cond, tphi[p.target], ephi[p.target], p.target)
        self.env = merged

    def loop(self, s: ir.Loop):
        env = self.env
        if s.kind in ("for", "reversed", "repeat"):
            bounds = [self.concrete(self.value(a)) for a in s.args]
            if not all(isinstance(b, int) for b in bounds):
                raise LiftError(f"range bounds {bounds} are not integers")
            steps = iter(range(*bounds))
            if s.kind == "reversed":
                steps = reversed(range(*bounds))
            if len(range(*bounds)) > self.bound:
                raise PathDependent(f"more than {self.bound} iterations")
        else:
            steps = None
        env.update({p.target: self.value(p.first) for p in s.phis})
        count = 0
        while True:
            if steps is None:
                go = self.truth(self.value(s.args[0]))
                if go is None:
                    raise PathDependent(f"while condition {s.args[0]} depends on the inputs")
                if not go:
                    break
                count += 1
                if count > self.bound:
                    raise PathDependent(f"more than {self.bound} iterations")
            else:
                i = next(steps, None)
                if i is None:
                    break
                if s.var is not None:
                    self.env[s.var] = sympy.Integer(i)
            self.block(s.body)
            self.env.update({p.target: self.value(p.second) for p in s.phis})


def _atom_named(text: str):
    text = text.strip()
    if text.lstrip("-").isdigit():
        return ir.Const(int(text))
    return ir.Var(text)


class _ListParts(ast.NodeTransformer):
    """Evaluate the list operations of an emitted expression, leaving names for lift_expr.

    ``[0.0] * n``, ``xs[i]``, ``xs.pop()`` and ``len(xs)`` are computed here;
    each is replaced by a fresh name bound to its value.
    """

    def __init__(self, executor: Executor, bindings: dict):
        self.executor = executor
        self.bindings = bindings

    def bind(self, value) -> ast.Name:
        name = f"_verify{len(self.bindings)}"
        self.bindings[name] = value
        return ast.Name(name, ast.Load())

    def list_of(self, node):
        if isinstance(node, ast.Name) and isinstance(self.bindings.get(node.id), list):
            return self.bindings[node.id]
        return None

    def scalar(self, node):
        return lift_expr(node, self.bindings, _globals_of(node, self.executor.namespace))

    def visit_List(self, node):
        self.generic_visit(node)
        return self.bind([self.scalar(e) for e in node.elts])

    def visit_BinOp(self, node):
        self.generic_visit(node)
        items = self.list_of(node.left)
        if items is not None and isinstance(node.op, ast.Mult):
            return self.bind(items * self.executor.concrete(self.scalar(node.right)))
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        items = self.list_of(node.value)
        if items is None:
            return node
        return self.bind(items[self.executor.concrete(self.scalar(node.slice))])

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "pop" and not node.args
                and self.list_of(func.value) is not None):
            return self.bind(self.list_of(func.value).pop())
        self.generic_visit(node)
        if (isinstance(func, ast.Name) and func.id in ("len", "sum") and len(node.args) == 1
                and self.list_of(node.args[0]) is not None):
            items = self.list_of(node.args[0])
            return self.bind(sympy.Integer(len(items)) if func.id == "len" else sympy.Add(*items))
        return node


def _merge(cond, a, b, name: str):
    if a is b:
        return a
    if isinstance(a, list) or isinstance(b, list):
        if len(a) != len(b) or any(len(x) != len(y) for x, y in zip(a, b)
                                   if isinstance(x, tuple) and isinstance(y, tuple)):
            raise PathDependent(f"the branches leave {name} with different lengths")
        return [x if x is y else (tuple(_merge(cond, p, q, name) for p, q in zip(x, y))
                                  if isinstance(x, tuple) else _merge(cond, x, y, name))
                for x, y in zip(a, b)]
    if isinstance(a, sympy.logic.boolalg.Boolean) and isinstance(b, sympy.logic.boolalg.Boolean):
        return sympy.Or(sympy.And(cond, a), sympy.And(sympy.Not(cond), b))
    if isinstance(a, sympy.Basic) and isinstance(b, sympy.Basic):
        return sympy.Piecewise((a, cond), (b, True), evaluate=False)
    raise PathDependent(f"the branches leave {name} as different non-numbers")


_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}


def _truth(v) -> bool:
    if v is sympy.true or v is True:
        return True
    if v is sympy.false or v is False:
        return False
    if isinstance(v, sympy.Not):
        return not _truth(v.args[0])
    if isinstance(v, sympy.And):
        return all(_truth(a) for a in v.args)
    if isinstance(v, sympy.Or):
        return any(_truth(a) for a in v.args)
    if isinstance(v, sympy.core.relational.Relational):
        d = (v.lhs - v.rhs).evalf(DIGITS)
        if not d.is_number:
            raise LiftError(f"cannot decide {v}")
        return bool(_RELATIONS[v.rel_op](d, 0))
    return bool(v)


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


def _at(expr, point: dict):
    """``expr`` at ``point`` to ``DIGITS`` digits, each shared subexpression evaluated once."""
    cache: dict = {}
    values = {s: sympy.Float(v, DIGITS + 10) for s, v in point.items()}

    def ev(e):
        if e in cache:
            return cache[e]
        if e in values:
            r = values[e]
        elif not e.args:
            r = e.evalf(DIGITS + 10) if isinstance(e, sympy.NumberSymbol) else e
        else:
            r = e.func(*[ev(a) for a in e.args])
        cache[e] = r
        return r

    value = ev(sympy.sympify(expr))
    return value.evalf(DIGITS) if isinstance(value, sympy.Expr) else value


def _small(expr, limit: int) -> bool:
    """True if ``expr``, written out as a tree, has at most ``limit`` nodes."""
    sizes: dict = {}

    def size(e) -> int:
        if e not in sizes:
            sizes[e] = 1 + sum(size(a) for a in e.args)
        return sizes[e]

    return size(expr) <= limit


def _agree(a, b):
    """True/False if the two numbers agree to ~30 digits; None if either is not a finite number."""
    if not (a.is_number and b.is_number) or a.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    if b.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    return bool(abs(a - b) <= sympy.Float(10) ** -30 * (1 + abs(b)))


def _simplified(expr, limit: int = SIMPLIFY_OPS):
    try:
        return sympy.simplify(expr) if _small(expr, limit) else expr
    except Exception:  # noqa: BLE001  (display only)
        return expr


def _is_zero(difference) -> bool:
    """``simplify(difference) == 0``, piece by piece for a ``Piecewise``."""
    if difference == 0:
        return True
    if not _small(difference, SIMPLIFY_OPS):
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


def _points(params, wrt, points, samples: int, seed: int) -> list[tuple]:
    if points:
        return [tuple(p) for p in points]
    rng = random.Random(f"{seed}:{params}")
    return [tuple(round(rng.uniform(0.3, 1.7), 6) for _ in params) for _ in range(samples)]


def _forward_available() -> bool:
    try:
        from . import forward, transforms  # noqa: F401  (written alongside this module)
    except ImportError:
        return False
    return True


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
    pts = _points(program.params, names, points, samples, seed)
    lifted = _Lifted(f, program, names, pts, bound, report)
    for mode in modes:
        if mode == "reverse" or (mode == "forward" and _forward_available()):
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
        from . import forward, transforms

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
            value = _at(obtained, pm)
            values.append(value)
            verdicts.append(_agree(_at(expected, pm), value))
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
                result.detail = "no point where both sides are finite real numbers"
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
            expected, value = _at(diff_ae(path, x), pm), _at(got, pm)
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
            result.detail = "no point where both sides are finite real numbers"
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
