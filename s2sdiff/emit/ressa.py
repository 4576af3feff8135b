"""Derivative IR made structured SSA again, for the reverse emitter to differentiate.

The reverse emitter's gradient is IR, but not SSA: an adjoint is written more
than once (``x_bar = …``, then ``x_bar += …``), the reverse sweep pops values
back into the names the forward sweep gave them, its loops carry adjoints
without φ nodes, and rules' terms are ``Op`` trees.  ``rebuild`` gives the same
program in the form ``ssa.build`` gives user code: every name assigned once
(later versions numbered, ``x_bar_1``), φ nodes at if-joins and loop headers
(those of the forward sweep taken as copies at the end of each path, then
placed again), ``+=`` written as ``+``, operands that are atoms, copies
propagated, ``for _ in range(n)`` a ``for`` loop over ``_``.  Reverse mode over a gradient
(``vjp`` of ``grad(f)``) reads this, not the gradient's generated text.

A rule's ``b if c else e`` becomes a branch with its φ.  What only a list
adjoint does (items written, pops of a list that is not a tape, ``[0.0] *
len(xs)``) and ``and``/``or`` in derivative code raise ``NotRebuilt`` (the
pipeline refuses before a gradient holding the adjoint of a list).

>>> import operator
>>> body = (Assign("x_bar", Var("y")), Assign("x_bar", Op(operator.mul, (Op(operator.add,
...     (Var("y"), Const(1.0)), "+"), Var("y")), "*"), accumulate=True))
>>> print(format_function(rebuild(Function("g", ("y",), body, Var("x_bar")))))
def g(y):
    _t1 = y + 1.0
    _t2 = _t1 * y
    x_bar = y + _t2
    return x_bar
"""

from __future__ import annotations

import operator
from dataclasses import replace

from ..errors import S2SDiffError
from ..front.names import Namer
from ..ir.nodes import (  # noqa: F401  (the doctest's names)
    Append, Assign, Comment, Const, Function, Global, If, Item, Loop, Op, Phi, Pop, Push, Unpack,
    Var, format_function, local_names, walk, writes,
)
from .templates import simplify

LAZY = ("and", "or")  # operands evaluated only when needed (``a if c else b``: a branch)


class NotRebuilt(S2SDiffError):
    """Derivative IR that ``rebuild`` does not take (what only lists' adjoints do)."""


def rebuild(fn: Function) -> Function:
    """``fn`` (both sections of a gradient: forward sweep, then reverse sweep) as one
    body of structured SSA, as ``ssa.build`` writes user code."""
    builder = _Builder(fn)
    env = {p: Var(p) for p in fn.params}
    body = builder.block(fn.statements, env)
    result = builder.result(fn.result, env)
    return Function(fn.name, fn.params, tuple(body), result, fn.docstring, fn.signature)


class _Builder:
    def __init__(self, fn: Function):
        self.namer = Namer(local_names(fn))
        self.defined: set[str] = set(fn.params)  # names given to a first version already
        self.tapes: set[str] = set()  # the names of the tapes (``[]``, then pushes and pops)

    def version(self, name: str) -> str:
        """A new SSA name for a write of ``name``: itself first, then ``name_1``…"""
        if name not in self.defined:
            self.defined.add(name)
            return name
        return self.namer.fresh(name + "_")

    def result(self, value, env: dict):
        if isinstance(value, tuple):
            if any(isinstance(v, tuple) for v in value):
                raise NotRebuilt("a derivative returning nested tuples")
            return tuple(self.atom(v, env) for v in value)
        return self.atom(value, env)

    @staticmethod
    def atom(value, env: dict):
        if type(value) is Var:
            found = env.get(value.name)
            if found is None:
                raise NotRebuilt(f"{value.name} read where it may be unset")
            return found
        return value

    def name(self, value: str, env: dict, out: list) -> str:
        """The name holding ``value``'s current version (a constant gets one)."""
        found = self.atom(Var(value), env)
        if type(found) is Var:
            return found.name
        named = self.namer.fresh("_t")
        out.append(Assign(named, found))
        return named

    def renamed(self, value, env: dict):
        """``value`` reading the current version of each name."""
        if type(value) is not Op:
            return self.atom(value, env)
        if value.syntax in LAZY:
            raise NotRebuilt(f"a lazy operation ({value.syntax}) in derivative code")
        return replace(value, args=tuple(self.renamed(a, env) for a in value.args),
                       kwargs=tuple((k, self.renamed(v, env)) for k, v in value.kwargs))

    def operand(self, value, out: list, origin):
        """``value`` as an atom: an operation computed first into a temporary."""
        if type(value) is not Op:
            return value
        if value.syntax == "ifexp":
            return self.chosen(value, out, origin)
        op = self.op(value, out, origin)
        named = self.namer.fresh("_t")
        out.append(Assign(named, op, origin))
        return Var(named)

    def op(self, op: Op, out: list, origin) -> Op:
        """``op`` with operands that are atoms (nested ones computed first)."""
        if any(type(a) is Op and a.syntax == "list" for a in op.args):
            raise NotRebuilt("the adjoint of a list")  # ``[0.0] * len(xs)``
        args = tuple(self.operand(a, out, origin) for a in op.args)
        kwargs = tuple((k, self.operand(v, out, origin)) for k, v in op.kwargs)
        return replace(op, args=args, kwargs=kwargs)

    def chosen(self, op: Op, out: list, origin) -> Var:
        """``b if c else e`` as a branch, each side computed on its path only (a
        rule's partial may hold only where its condition does)."""
        test = self.operand(op.args[0], out, origin)
        then: list = []
        orelse: list = []
        sides = (self.operand(op.args[1], then, origin), self.operand(op.args[2], orelse, origin))
        named = self.namer.fresh("_t")
        out.append(If(test, tuple(then), tuple(orelse), (Phi(named, *sides),), origin))
        return Var(named)

    def value(self, value, env: dict, out: list, origin):
        """``value`` renamed, simplified (a propagated ``1.0`` multiplies no more) and in
        three-address form."""
        value = simplify(self.renamed(value, env))
        if type(value) is Op and value.syntax == "ifexp":
            return self.chosen(value, out, origin)
        return self.op(value, out, origin) if type(value) is Op else value

    # statements
    def block(self, stmts, env: dict) -> list:
        out: list = []
        for s in stmts:
            kind = type(s)
            if kind is Assign:
                self.assign(s, env, out)
            elif kind is Unpack:
                value = self.value(s.value, env, out, s.origin)
                targets = self.targets(s.targets, env)
                out.append(replace(s, targets=targets, value=value))
            elif kind is Push:
                if s.tape not in self.tapes:
                    raise NotRebuilt("an append to a list that is not a tape")
                names = tuple(self.name(v, env, out) for v in s.values)
                out.append(Push(self.name(s.tape, env, out), names))
            elif kind is Pop:
                if s.tape not in self.tapes or not s.values:
                    raise NotRebuilt("a pop of a list that is not a tape")
                tape = self.name(s.tape, env, out)
                out.append(Pop(tape, tuple(self.define(v, env) for v in s.values)))
            elif kind is If:
                out += self.branch(s, env)
            elif kind is Loop:
                out += self.loop(s, env)
            elif kind is Append:  # (to a list without an adjoint: see pipeline)
                value = self.operand(self.value(s.value, env, out, s.origin), out, s.origin)
                out.append(Append(self.name(s.target, env, out), value, s.origin))
            elif kind is Comment:
                continue
            else:  # Return
                raise NotRebuilt(f"a {kind.__name__.lower()} in derivative code")
        return out

    def define(self, name: str, env: dict) -> str:
        new = self.version(name)
        env[name] = Var(new)
        return new

    def targets(self, targets, env: dict):
        if isinstance(targets, str):
            return self.define(targets, env)
        return tuple(self.targets(t, env) for t in targets)

    def assign(self, s: Assign, env: dict, out: list) -> None:
        if type(s.target) is not str:
            raise NotRebuilt("an item written in derivative code")
        value = s.value
        if s.accumulate:  # x += v: x = x + v
            value = Op(operator.add, (Var(s.target), value), "+")
        value = self.value(value, env, out, s.origin)
        if type(value) is not Op:
            env[s.target] = value  # a copy: later reads read its value
            return
        if value.syntax == "tape":
            self.tapes.add(s.target)
        out.append(Assign(self.define(s.target, env), value, s.origin, comment=s.comment))

    def branch(self, s: If, env: dict) -> list:
        cond = self.atom(s.cond, env)
        paths = []
        for block, pick in ((s.then, "first"), (s.orelse, "second")):
            inner = dict(env)
            out = self.block(block, inner)
            # the φ of the forward sweep: copies at the path's end (all at once)
            inner.update([(p.target, self.atom(getattr(p, pick), inner)) for p in s.phis])
            paths.append((out, inner))
        (then, a), (orelse, b) = paths
        phis = []
        for name in sorted(a.keys() & b.keys(), key=list(a).index):
            if a[name] != b[name]:
                phis.append(Phi(self.define(name, env), a[name], b[name]))
            else:
                env[name] = a[name]
        for path, other in ((a, b), (b, a)):  # set on one path only: read where it was set
            env.update((name, path[name]) for name in path if name not in other)
        return [If(cond, tuple(then), tuple(orelse), tuple(phis), s.origin)]

    def loop(self, s: Loop, env: dict) -> list:
        """The loop with a φ per name its body changes, defined before it (those the
        body leaves as they were at the header are found by a first try, then not
        carried)."""
        if s.kind == "replay":
            raise NotRebuilt("a loop walking its tape")
        # entry copies of the forward sweep's φ (all at once, as at the end of the body)
        env.update([(p.target, self.atom(p.first, env)) for p in s.phis])
        changed = {n for t in walk(s.body) for n in writes(t)} | {p.target for p in s.phis}
        carried = [n for n in env if n in changed and n != s.var]
        state = (set(self.defined), set(self.tapes), set(self.namer.taken),
                 dict(self.namer.counters))
        while True:
            found, unchanged = self.try_loop(s, env, carried)
            if not unchanged:
                return [found]
            carried = [n for n in carried if n not in unchanged]
            self.defined, self.tapes, self.namer.taken, self.namer.counters = (
                set(state[0]), set(state[1]), set(state[2]), dict(state[3]))

    def try_loop(self, s: Loop, env: dict, carried: list) -> tuple[Loop | None, set]:
        """The loop carrying ``carried``, and those of them it leaves unchanged (then
        ``env`` is left as it was)."""
        args = s.args if s.kind == "while" else tuple(self.atom(a, env) for a in s.args)
        inner = dict(env)
        entry = {n: env[n] for n in carried}
        headers = {n: Var(self.define(n, inner)) for n in carried}
        var = self.define(s.var, inner) if s.var else None if s.kind == "while" else "_"
        if s.kind == "while":
            args = tuple(self.atom(a, inner) for a in args)
        body = self.block(s.body, inner)
        inner.update([(p.target, self.atom(p.second, inner)) for p in s.phis])
        unchanged = {n for n in carried if inner[n] == headers[n]}
        if unchanged:
            return None, unchanged
        env.update(headers)
        if s.var:  # read after the loop, as in user code: its last value
            env[s.var] = Var(var)
        phis = tuple(Phi(headers[n].name, entry[n], inner[n]) for n in carried)
        kind = "for" if s.kind == "repeat" else s.kind
        return Loop(kind, var, args, tuple(body), phis, s.origin), set()
