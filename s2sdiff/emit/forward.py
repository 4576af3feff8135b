"""The forward emitter: IR in, tangent IR out.

After each primal statement comes its tangent statement, built from the same
edge partials the reverse emitter reads: ``z_dot = Σ ∂z/∂xᵢ · xᵢ_dot``.  A
tangent that is known to be zero gets no variable at all; ``If`` and ``Loop``
regions carry a tangent φ beside each φ of an active value.

The input may be the user's SSA IR or generated gradient IR (forward over
reverse, for Hessians).  Gradient IR re-assigns names (``x_bar += …``), pushes
and pops a tape, and holds ``Expr`` nodes (instantiated rule templates); the
emitter differentiates those expressions node by node with the same rules,
and pushes each value's tangent on the tape beside the value.
"""

from __future__ import annotations

import ast
import builtins
import operator

from dataclasses import replace

from .. import ir
from ..front import scan
from ..ir.activity import active as check_rules
from ..ir.activity import backward_closure, forward_closure, is_list_op, partial_positions, tape_edges
from ..errors import NoRuleError, S2SDiffError
from ..front.names import Namer
from .reverse import uses_arrays
from ..rules import elementwise_rule, is_constant, lookup, lookup_array
from .templates import (
    atom_expr,
    clone,
    index_node,
    instantiate,
    instantiate_array,
    is_zero,
    number,
    plus,
    substitute,
    times,
    zeros_like,
)

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv,
           ast.Mod: operator.mod, ast.MatMult: operator.matmul}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def tangent(fn: ir.Function, wrt: tuple[str, ...], name: str | None = None,
            taken: set[str] | None = None, calls=None, arrays: bool | None = None) -> ir.Function:
    """The JVP function of ``fn``: its parameters, then one tangent per ``wrt``
    parameter; it returns ``(result, result_dot)``.

    ``calls`` (an ``emit.calls.Calls``) names the derivatives of the functions
    ``fn`` calls; ``arrays`` says whether values may be arrays (None: as ``fn``'s
    operations say).
    """
    check_rules(fn, set(wrt))  # a located NoRuleError for an active call without a rule
    emitter = _Forward(fn, wrt, set(taken or ()), calls, arrays)
    return emitter.build(name or "jvp_" + fn.name)


def _all_names(fn: ir.Function) -> set[str]:
    names = set(fn.params)
    for s in ir.walk(fn.statements):
        if isinstance(s, ir.Assign):
            names.add(s.target)
            if isinstance(s.value, ir.Expr):
                names |= scan.names(s.value.tree)
        elif isinstance(s, (ir.Push, ir.Pop)):
            names |= set(s.values) | {s.tape}
        else:
            names.update(ir.writes(s))
    return names


def _assignment_counts(fn: ir.Function) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(fn.statements):
        targets: list[str] = []
        if isinstance(s, (ir.Assign, ir.Append)):
            targets = [s.target]
        elif isinstance(s, ir.Unpack):
            targets = s.names
        elif isinstance(s, ir.Pop):
            targets = list(s.values)
        elif isinstance(s, (ir.If, ir.Loop)):
            targets = [p.target for p in s.phis]
        for t in targets:
            counts[t] = counts.get(t, 0) + 1
    return counts


# --- activity over any IR (SSA or generated) ---------------------------------


def _expr_sources(node: ast.expr) -> set[str]:
    """Local names an expression's value depends on differentiably (an over-approximation)."""
    if isinstance(node, ast.Name):
        return set() if hasattr(node, "s2s_global") else {node.id}
    if isinstance(node, (ast.Compare, ast.BoolOp, ast.Constant, ast.Attribute)):
        return set()
    if isinstance(node, ast.IfExp):
        return _expr_sources(node.body) | _expr_sources(node.orelse)
    if isinstance(node, ast.Call):
        fn = _callee(node.func)
        if fn is not None and is_constant(fn):
            return set()
        return set().union(set(), *(_expr_sources(a) for a in node.args))
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            found |= _expr_sources(child)
    return found


def _ssa_tapes(fn: ir.Function, counts: dict[str, int]) -> set[str]:
    """Tapes whose pops assign fresh names: generated code read back as SSA input.

    (In the gradient IR itself a value is popped under its own name, so its
    tangent goes on the tape only where the value is active.)"""
    return {s.tape for s in ir.walk(fn.statements) if isinstance(s, ir.Pop) and s.values
            and all(counts.get(v) == 1 for v in s.values)}


def _edges(s, tapes: set[str] = frozenset()) -> list[tuple[str, set[str]]]:
    if isinstance(s, (ir.Push, ir.Pop)):
        return tape_edges(s) if s.tape in tapes else []
    if isinstance(s, ir.Unpack):
        sources = {a.name for a in ir.call_values(s.value) if isinstance(a, ir.Var)}
        return [(t, sources) for t in s.names]
    if isinstance(s, ir.Assign):
        if isinstance(s.value, ir.Op) and type(s.value.fn) is ir.Callee:
            sources = {a.name for a in ir.call_values(s.value) if isinstance(a, ir.Var)}
        elif isinstance(s.value, ir.Op):
            args = s.value.args
            sources = {args[i].name for i in partial_positions(s.value)
                       if isinstance(args[i], ir.Var)}
        elif isinstance(s.value, ir.Expr):
            sources = _expr_sources(s.value.tree)
        else:
            sources = {a.name for a in ir.atoms_of(s.value) if isinstance(a, ir.Var)}
        return [(s.target, sources | ({s.target} if s.accumulate else set()))]
    if isinstance(s, ir.Append):
        return [(s.target, {s.target} | ({s.value.name} if isinstance(s.value, ir.Var) else set()))]
    if isinstance(s, (ir.If, ir.Loop)):
        return [(p.target, {a.name for a in (p.first, p.second) if isinstance(a, ir.Var)})
                for p in s.phis]
    return []


def _activity(fn: ir.Function, wrt: set[str], tapes: set[str]) -> set[str]:
    """Values that depend on ``wrt`` and reach the result (flow-insensitive)."""
    edges = [e for s in ir.walk(fn.statements) for e in _edges(s, tapes)]
    varied = forward_closure(edges, wrt)
    useful = backward_closure(edges, {a.name for a in ir.atoms_of(fn.result)
                                      if isinstance(a, ir.Var)})
    return varied & useful


# --- the emitter ---------------------------------------------------------------


class _Forward:
    def __init__(self, fn: ir.Function, wrt: tuple[str, ...], taken: set[str], calls=None,
                 arrays: bool | None = None):
        self.fn = fn
        self.wrt = wrt
        self.calls = calls
        self.counts = _assignment_counts(fn)
        self.tapes = _ssa_tapes(fn, self.counts)
        self.active = _activity(fn, set(wrt), self.tapes)
        self.arrays = uses_arrays(fn) if arrays is None else arrays
        self.namer = Namer(taken | _all_names(fn))
        self.dots: dict[str, str] = {}
        self.live: set[str] = set()  # values whose tangent is a variable

    def dot_name(self, v: str) -> str:
        if v not in self.dots:
            name = f"{v}_dot"
            self.dots[v] = name if name not in self.namer.taken else self.namer.fresh(name + "_")
            self.namer.taken.add(self.dots[v])
        return self.dots[v]

    def reassigned(self, v: str) -> bool:
        """An active value assigned more than once: its tangent is always a variable."""
        return v in self.active and self.counts.get(v, 0) != 1

    def dot(self, a) -> str | None:
        """The tangent variable of atom ``a``, or None when it is zero."""
        if isinstance(a, ir.Var) and a.name in self.live:
            return self.dot_name(a.name)
        return None

    def dot_atom(self, a):
        d = self.dot(a)
        return ir.Var(d) if d else ir.Const(0.0)

    def build(self, name: str) -> ir.Function:
        params = [self.dot_name(p) for p in self.wrt]
        self.live |= set(self.wrt)
        body = self.block(self.fn.body)
        reverse = self.block(self.fn.reverse)  # of a gradient: its tangent follows its body's
        result = self.fn.result
        dot = (tuple(self.dot_result(r) for r in result) if isinstance(result, tuple)
               else self.dot_result(result))
        return ir.Function(name, self.fn.params + tuple(params), tuple(body), (result, dot),
                           reverse=tuple(reverse))

    def dot_result(self, r):
        if isinstance(r, tuple):
            return tuple(self.dot_result(x) for x in r)
        return self.dot_atom(r)

    # statements
    def block(self, stmts) -> list:
        out: list = []
        for s in stmts:
            if isinstance(s, ir.Unpack) or (isinstance(s, ir.Assign) and type(s.value) is ir.Op
                                            and type(s.value.fn) is ir.Callee):
                out.append(self.call(s))
            elif isinstance(s, ir.Assign):
                out.append(s)
                out += self.assign(s)
            elif isinstance(s, ir.Append):
                out.append(s)
                if s.target in self.active:
                    out.append(ir.Append(self.dot_name(s.target), self.dot_atom(s.value)))
            elif isinstance(s, ir.If):
                out.append(self.if_(s))
            elif isinstance(s, ir.Loop):
                out += self.loop(s)
            elif isinstance(s, (ir.Push, ir.Pop)) and s.tape in self.tapes:
                out += self.tape_op(s)
            elif isinstance(s, (ir.Push, ir.Pop)):
                carried = [v for v in s.values if self.reassigned(v)]
                self.live |= set(carried)
                extra = tuple(self.dot_name(v) for v in carried)
                out.append(replace(s, values=s.values + extra))
            else:
                out.append(s)
        return out

    def call(self, s):
        """``z = g(args)`` of a function that stays a call: ``z, z_dot = jvp_g(args,
        tangents)``, the tangents of the arguments that have one (see ``calls``)."""
        unpack = isinstance(s, ir.Unpack)
        names = s.names if unpack else [s.target]
        op = s.value
        values = ir.call_values(op)
        positions = tuple(i for i, a in enumerate(values) if self.dot(a))
        if not positions or not any(n in self.active for n in names):
            return s
        jvp = self.calls.jvp(op.fn, positions)
        dots = tuple(ir.Var(self.dot(values[i])) for i in positions)
        call = ir.Op(jvp, values + dots, "call", ir.Var(jvp.name))
        targets = s.targets if unpack else s.target
        self.live |= set(names)
        return ir.Unpack((targets, _mirrored(targets, self.dot_name)), call, s.origin)

    def tape_op(self, s) -> list:
        """A push or pop of an active tape carries every value's tangent (zero if none)."""
        if s.tape not in self.active:
            return [s]
        if isinstance(s, ir.Pop):
            self.live |= set(s.values)
            return [replace(s, values=s.values + tuple(self.dot_name(v) for v in s.values))]
        out: list = []
        dots = []
        for v in s.values:
            if self.dot(ir.Var(v)) is None:
                if not out:
                    out.append(ir.Assign(self.namer.fresh("_zero"), ir.Const(0.0)))
                dots.append(out[0].target)
            else:
                dots.append(self.dot(ir.Var(v)))
        return out + [replace(s, values=s.values + tuple(dots))]

    def assign(self, s: ir.Assign) -> list:
        z = s.target
        if not z.isidentifier():
            raise S2SDiffError(f"forward mode cannot differentiate the assignment {s}")
        if z not in self.active:
            return []
        value = s.value
        if isinstance(value, ir.Op):
            expr = self.op_tangent(s, value)
        elif isinstance(value, ir.Expr):
            expr = self.expr_tangent(value.tree)
        else:
            d = self.dot(value)
            expr = ast.Name(d, ast.Load()) if d else None
        if s.accumulate:
            if expr is None:
                return []
            return [ir.Assign(self.dot_name(z), ir.Expr(expr), accumulate=True)]
        if expr is None and not self.reassigned(z):
            return []  # zero tangent: no variable
        self.live.add(z)
        rhs = ir.Expr(expr) if expr is not None else ir.Const(0.0)
        if isinstance(expr, ast.Name):
            rhs = ir.Var(expr.id)
        return [ir.Assign(self.dot_name(z), rhs)]

    def op_tangent(self, s: ir.Assign, op: ir.Op) -> ast.expr | None:
        if is_list_op(op):
            return self.list_tangent(op)
        terms = []
        positions = [i for i in partial_positions(op) if self.dot(op.args[i])]
        if not positions:
            return None
        array = lookup_array(op.fn)
        if array is not None:
            for i in positions:
                tangent = {f"{array.inputs[i]}_dot": ast.Name(self.dot(op.args[i]), ast.Load())}
                terms.append(instantiate_array(array, array.jvps, i, op, s.target, tangent))
            return _sum(terms)
        rule = elementwise_rule(op.fn, len(op.args), self.arrays)
        if rule is None:
            raise NoRuleError(f"no derivative rule for {op} in {s}")
        by_dot: dict[str, ast.expr] = {}  # one term per tangent: x * x gives 2.0 * x * x_dot
        for i in positions:
            partial = instantiate(rule, i, op.args, out=s.target)
            if is_zero(partial):
                continue
            d = self.dot(op.args[i])
            by_dot[d] = plus(by_dot[d], partial) if d in by_dot else partial
        terms = [_times(p, ast.Name(d, ast.Load())) for d, p in by_dot.items()]
        return _sum(terms)

    def list_tangent(self, op: ir.Op) -> ast.expr | None:
        """A list's tangent is the list of its items' tangents, built alongside it."""
        if op.syntax == "list":
            return ast.List([ast.Name(d, ast.Load()) if d else ast.Constant(0.0)
                             for d in map(self.dot, op.args)], ast.Load())
        d = self.dot(op.args[0])
        if d is None:
            return None
        seq = ast.Name(d, ast.Load())
        if op.syntax == "subscript":
            return ast.Subscript(seq, index_node(op.args[1]), ast.Load())
        return ast.Call(ast.Name("sum", ast.Load()), [seq], [])  # sum(xs)

    def if_(self, s: ir.If) -> ir.If:
        then = self.block(s.then)
        orelse = self.block(s.orelse)
        dots = []  # first: a tangent reads the old values, a value never reads a tangent
        for p in s.phis:
            if self.reassigned(p.target) or (p.target in self.active
                                             and (self.dot(p.first) or self.dot(p.second))):
                dots.append(ir.Phi(self.dot_name(p.target), self.tangent_of(p.first, then),
                                   self.tangent_of(p.second, orelse)))
                self.live.add(p.target)
        return replace(s, then=tuple(then), orelse=tuple(orelse), phis=tuple(dots) + s.phis)

    def loop(self, s: ir.Loop) -> list:
        carried = [p for p in s.phis if p.target in self.active]
        before: list = []
        firsts = {p.target: self.tangent_of(p.first, before) for p in carried}
        self.live |= {p.target for p in carried}
        body = self.block(s.body)
        dots = tuple(ir.Phi(self.dot_name(p.target), firsts[p.target],
                            self.tangent_of(p.second, body)) for p in carried)
        return before + [replace(s, body=tuple(body), phis=dots + s.phis)]  # as in if_

    def tangent_of(self, a, out: list):
        """The tangent of ``a`` as an atom; a zero array tangent is made in ``out``."""
        d = self.dot(a)
        if d:
            return ir.Var(d)
        if not self.arrays or not isinstance(a, (ir.Var, ir.Global)):
            return ir.Const(0.0)
        name = self.namer.fresh("_zero")
        zeros = zeros_like(atom_expr(a))
        out.append(ir.Assign(name, ir.Expr(zeros)))
        return ir.Var(name)

    # expressions of generated code
    def expr_tangent(self, node: ast.expr) -> ast.expr | None:
        """The tangent of an expression tree, or None when it is zero."""
        if isinstance(node, ast.Name):
            if hasattr(node, "s2s_global"):
                return None
            d = self.dot(ir.Var(node.id))
            return ast.Name(d, ast.Load()) if d else None
        if isinstance(node, (ast.Constant, ast.Attribute, ast.Compare, ast.BoolOp)):
            return None
        if isinstance(node, ast.List) and not node.elts:
            return None
        if isinstance(node, ast.IfExp):
            body, orelse = self.expr_tangent(node.body), self.expr_tangent(node.orelse)
            if body is None and orelse is None:
                return None
            zero = ast.Constant(0.0)
            return ast.IfExp(clone(node.test), body or zero, orelse or clone(zero))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.call_tangent(node, _BINARY[type(node.op)], [node.left, node.right])
        if isinstance(node, ast.UnaryOp):
            if type(node.op) in _UNARY:
                return self.call_tangent(node, _UNARY[type(node.op)], [node.operand])
            return None
        if isinstance(node, ast.Call):
            fn = _callee(node.func)
            if node.keywords and any(self.expr_tangent(k.value) for k in node.keywords):
                raise S2SDiffError(f"forward mode: keyword arguments in {ast.unparse(node)}")
            return self.call_tangent(node, fn, node.args)
        raise S2SDiffError(f"forward mode cannot differentiate {ast.unparse(node)!r}")

    def call_tangent(self, node: ast.expr, fn, args) -> ast.expr | None:
        if fn is None:
            raise S2SDiffError(f"forward mode cannot differentiate {ast.unparse(node)!r}")
        tangents = [self.expr_tangent(a) for a in args]
        if all(t is None for t in tangents) or (fn is not None and is_constant(fn)):
            return None
        rule = lookup(fn, len(args)) if fn is not None else None
        if rule is None:
            raise NoRuleError(f"no derivative rule for {ast.unparse(node)!r} in generated code")
        bindings = dict(zip(rule.params, args))
        bindings["out"] = node
        terms = []
        for i, t in enumerate(tangents):
            if t is None or rule.partials[i] is None:
                continue
            partial = substitute(rule.partials[i], bindings, rule.namespace)
            if not is_zero(partial):
                terms.append(_times(partial, t))
        return _sum(terms)


def _mirrored(targets, name):
    """``targets`` (a name, or nested tuples of names) with each name ``n`` as ``name(n)``."""
    if isinstance(targets, str):
        return name(targets)
    return tuple(_mirrored(t, name) for t in targets)


def _callee(func: ast.expr):
    """The object a call in generated code calls, or None if unknown."""
    if isinstance(func, ast.Name):
        if hasattr(func, "s2s_global"):
            return func.s2s_global
        return getattr(builtins, func.id, None)
    if isinstance(func, ast.Attribute):
        owner = _callee(func.value)
        return getattr(owner, func.attr, None) if owner is not None else None
    return None


def _times(partial: ast.expr, tangent: ast.expr) -> ast.expr:
    """``partial * tangent``, with ``1.0 / y * t`` written ``t / y``."""
    if isinstance(partial, ast.BinOp) and isinstance(partial.op, ast.Div) \
            and number(partial.left) == 1:
        return ast.BinOp(tangent, ast.Div(), partial.right)
    return times(partial, tangent)


def _sum(terms: list) -> ast.expr | None:
    """``t1 + t2 - t3 …`` (a negated term is subtracted), or None for no terms."""
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        positive = _negated(t)
        total = (ast.BinOp(total, ast.Sub(), positive) if positive is not None
                 else ast.BinOp(total, ast.Add(), t))
    return total


def _negated(t: ast.expr) -> ast.expr | None:
    """``e`` when ``t`` is ``-e`` (also ``-a / b * c``, as ``a / b * c``), else None."""
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
        return t.operand
    if isinstance(t, ast.BinOp) and isinstance(t.op, (ast.Mult, ast.Div)):
        inner = _negated(t.left)
        return ast.BinOp(inner, t.op, t.right) if inner is not None else None
    return None
