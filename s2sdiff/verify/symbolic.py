"""Symbolic execution of IR over SymPy values.

Both the SSA IR of a function and the IR of its generated derivatives run
here: an ``Op`` becomes its SymPy counterpart (:mod:`s2sdiff.verify.lift`), an
``Expr`` emitted by a rule is lifted from its AST, an ``If`` on a symbolic
condition becomes a ``Piecewise``, a loop with a known trip count is unrolled
(up to ``bound`` iterations), and a tape is a Python list of expressions.

Given a point (Symbol → number), every branch and trip count that depends on
a symbol is decided by the point's values instead: the expression of the path
taken there.  What needs such a value without a point raises
:class:`PathDependent`; a statement with no SymPy form raises :class:`Stop`.
"""

from __future__ import annotations

import operator

import numpy as np
import sympy

from .. import ir
from ..rules import is_constant
from .lift import LiftError, call_helper, lift_value, sympy_callable

BOUND = 200  # loop iterations unrolled in the symbolic check
PATH_BOUND = 5000  # iterations followed along a sampled path
DIGITS = 50
EXACT_NODES = 2000  # larger values are decided at DIGITS digits instead of exactly
_EXTREMA = {id(f): f for f in (np.max, np.amax, np.min, np.amin)}
_COMPARISONS = {id(f): f for f in (operator.lt, operator.le, operator.gt, operator.ge,
                                   operator.eq, operator.ne, np.greater, np.greater_equal,
                                   np.less, np.less_equal, np.equal, np.not_equal)}
_SHAPE_ONLY = {id(f): f for f in (np.shape, np.size, np.ndim, np.zeros_like, np.ones_like,
                                  np.empty_like, len)}


def _known(table: dict, fn) -> bool:
    return table.get(id(fn)) is fn
MAX_BRANCHES = 16  # symbolic branches (Piecewise) before a path is sampled instead
MAX_DEPTH = 60  # nested calls run symbolically (a recursion on symbolic values never stops)


class PathDependent(Exception):
    """The symbolic execution needs a concrete value (a branch, a trip count)."""


class Stop(Exception):
    """A statement that cannot be lifted into SymPy: where, and why."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


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


def _copy(env: dict) -> dict:
    return {k: list(v) if isinstance(v, list) else v for k, v in env.items()}


class Executor:
    """Runs IR over SymPy values.

    With ``point`` (Symbol → number) every condition and trip count that
    depends on a symbol is decided by the point's values (the path taken);
    without it, such a trip count raises :class:`PathDependent` and such a
    branch becomes a ``Piecewise``.
    """

    def __init__(self, namespace: dict, point: dict | None = None, bound: int = BOUND,
                 functions=None):
        self.namespace = namespace
        self.point = point
        self.bound = bound
        self.functions = functions  # ir.Callee -> the ir.Function it calls
        self.env: dict = {}
        self.branches = 0  # branches on symbolic values, each doubling the expressions
        self.depth = 0  # of calls being run

    def run(self, fn: ir.Function, args: dict):
        self.env = dict(args)
        self.block(fn.statements)
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
            return lift_value(v.resolved())
        if isinstance(v, ir.Op):
            return self.op(v)
        raise LiftError(f"cannot lift {type(v).__name__}")

    def op(self, op: ir.Op):
        if type(op.fn) is ir.Callee:
            return self.call(op)
        if op.syntax == "ifexp":
            return self.choice(*op.args)
        if op.syntax in ("and", "or"):
            parts = [self.value(a) for a in op.args]
            return (sympy.And if op.syntax == "and" else sympy.Or)(*parts)
        args = [self.value(a) for a in op.args]
        kwargs = {k: self.value(a) for k, a in op.kwargs}
        if op.fn is ir.make_list:
            return list(args)
        if op.fn is ir.make_tuple:
            return tuple(args)
        if op.fn is operator.getitem and isinstance(args[0], (list, tuple)):
            return args[0][self.concrete(args[1])]
        if op.fn is operator.getitem and isinstance(args[0], np.ndarray):
            return args[0][self.index(args[1])]
        if op.fn is sum and args and isinstance(args[0], (list, tuple)):
            return sympy.Add(*args[0], *args[1:])
        if _known(_EXTREMA, op.fn) and isinstance(args[0], np.ndarray):
            return self.extremum(op.fn, *args, **kwargs)
        if _known(_SHAPE_ONLY, op.fn) and any(isinstance(a, np.ndarray) for a in args):
            return lift_value(op.fn(*args, **kwargs))  # only the shape is read
        if getattr(op.fn, "__s2sdiff_assert__", False):
            return None  # an ``assert``: no value, no derivative
        counterpart = sympy_callable(op.fn)
        if counterpart is None and getattr(op.fn, "__s2sdiff_helper__", False):
            return call_helper(op.fn, args, kwargs)
        if counterpart is not None:
            result = counterpart(*args, **kwargs)
            if self.point is not None and isinstance(result, np.ndarray) \
                    and _known(_COMPARISONS, op.fn):
                result = self.concrete(result)  # a mask along the path taken
            return result
        if is_constant(op.fn) or op.fn in (range, len):
            # piecewise constant: its value at the point is its value nearby
            result = op.fn(*(self.concrete(a) for a in args),
                           **{k: self.concrete(a) for k, a in kwargs.items()})
            return lift_value(result)
        name = getattr(op.fn, "__name__", repr(op.fn))
        raise LiftError(f"no SymPy counterpart for {name}; register one with "
                        f"s2sdiff.verify.lift.register_sympy")

    def call(self, op: ir.Op):
        """A call of a function that stays a call: its IR, run on the arguments."""
        if self.functions is None:
            raise LiftError(f"no IR for the call of {op.fn.name}")
        if self.depth >= MAX_DEPTH:
            raise PathDependent(f"calls nested more than {MAX_DEPTH} deep")
        fn = self.functions(op.fn)
        args = dict(zip(fn.params, (self.value(a) for a in ir.call_values(op))))
        saved = self.env, self.depth
        self.depth += 1
        try:
            return self.run(fn, args)
        finally:
            self.env, self.depth = saved

    def choice(self, test, body, orelse):
        """``body if test else orelse``: the branch the test decides, or a ``Piecewise``."""
        cond = self.value(test)
        decided = self.truth(cond)
        if decided is not None:
            return self.value(body if decided else orelse)
        if not isinstance(cond, sympy.logic.boolalg.Boolean):
            cond = sympy.Ne(cond, 0)
        return sympy.Piecewise((self.value(body), cond), (self.value(orelse), True))

    def extremum(self, fn, x, axis=None, keepdims=False, **options):
        """``np.max``/``np.min`` of symbolic values: the element chosen at the point (a path)."""
        if options:
            raise LiftError(f"{fn.__name__} with {sorted(options)}")
        pick = np.argmax if fn in (np.max, np.amax) else np.argmin
        values = self.concrete(x)
        axis = self.index(axis)
        if axis is None:
            chosen = x.flat[int(pick(values))]
            return np.full((1,) * x.ndim, chosen, dtype=object) if keepdims else chosen
        where = np.expand_dims(pick(values, axis=axis), axis)
        chosen = np.take_along_axis(x, where, axis=axis)
        return chosen if keepdims else np.squeeze(chosen, axis=axis)

    def index(self, v):
        """An array index with every SymPy value decided: at the point, or PathDependent."""
        if isinstance(v, (tuple, list)):
            return type(v)(self.index(e) for e in v)
        if isinstance(v, slice):
            return slice(self.index(v.start), self.index(v.stop), self.index(v.step))
        return self.concrete(v)

    def concrete(self, v):
        """A Python value for ``v``: decided at the point, or PathDependent."""
        if isinstance(v, np.ndarray):
            if v.dtype != object:
                return v
            items = [self.concrete(e) for e in v.flat]
            return np.array(items).reshape(v.shape) if items else v.astype(float)
        if not isinstance(v, sympy.Basic):
            return v
        if v.free_symbols:
            if self.point is None:
                raise PathDependent(f"needs the value of {v}")
            if isinstance(v, sympy.Expr) and not small(v, EXACT_NODES):
                v = at_point(v, self.point)  # high precision: exact trees would be too big
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
            except (LiftError, TypeError, ValueError, ZeroDivisionError, AttributeError,
                    KeyError, IndexError, RecursionError, NotImplementedError) as exc:
                raise Stop(_where(s), str(exc) or type(exc).__name__) from None

    def stmt(self, s):
        env = self.env
        if isinstance(s, ir.Assign):
            value = self.value(s.value)
            target = s.target
            if isinstance(target, ir.Item):  # xs_bar[i] += ...
                index = self.concrete(self.value(target.index))
                old = env[target.name][index] if s.accumulate else 0
                env[target.name][index] = old + value
            else:
                env[target] = env[target] + value if s.accumulate else value
        elif isinstance(s, ir.Unpack):
            _unpack(env, s.targets, self.value(s.value))
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
        elif isinstance(s, ir.Append):
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
            span = range(*bounds)
            steps = iter(reversed(span) if s.kind == "reversed" else span)
            if len(span) > self.bound:
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


def _unpack(env: dict, targets, value) -> None:
    """``targets = value`` (nested tuples of names)."""
    if isinstance(targets, str):
        env[targets] = value
        return
    if len(value) != len(targets):
        raise LiftError(f"{len(value)} values to unpack into {len(targets)} names")
    for t, v in zip(targets, value):
        _unpack(env, t, v)


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
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if np.shape(a) != np.shape(b):
            raise PathDependent(f"the branches leave {name} with different shapes")
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        out = np.empty(a.shape, dtype=object)
        for i in np.ndindex(a.shape):
            out[i] = _merge(cond, lift_value(a[i]), lift_value(b[i]), name)
        return out
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


# --- values at a point -----------------------------------------------------------


def at_point(expr, point: dict):
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


def small(expr, limit: int) -> bool:
    """True if ``expr``, written out as a tree, has at most ``limit`` nodes."""
    sizes: dict = {}

    def size(e) -> int:
        if e not in sizes:
            sizes[e] = 1 + sum(size(a) for a in e.args)
        return sizes[e]

    return size(expr) <= limit


__all__ = ["BOUND", "DIGITS", "PATH_BOUND", "Executor", "PathDependent", "Stop",
           "at_point", "small"]
