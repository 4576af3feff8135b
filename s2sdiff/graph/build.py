"""Building a graph: an interpreter of the SSA IR that records nodes and edges.

Each edge carries the partial derivative of its head with respect to its tail,
instantiated from the same rule templates the emitters use; with values the
partials are evaluated too, the branch taken is followed, and loops of at most
``max_unroll`` iterations are unrolled (longer ones summarised as one node per
loop result).  Evaluating runs the loops one iteration at a time, at most
``MAX_ITERATIONS`` in all: past that the graph is refused, with the loop named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import ir
from ..ir.expr import evaluate, text
from ..emit import templates
from ..errors import LocatedError, Location, S2SDiffError
from ..rules import is_constant, lookup
from .model import Edge, Graph, Group, Node
from .text import format_value

MAX_UNROLL = 10
MAX_ITERATIONS = 100_000  # loop iterations evaluated for one graph


@dataclass
class _Val:
    node: str | None  # the node holding this value, or None (a constant)
    value: object = None
    dots: dict | None = None  # tangents with respect to loop inputs (summarised loops)


class _Rollback(Exception):
    pass



class Builder:
    """Walks a function's IR once, evaluating it when given the inputs' values."""

    def __init__(self, at: dict | None, max_unroll: int):
        self.at = at
        self.max_unroll = max_unroll
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.groups: dict[str, Group] = {}
        self.env: dict[str, _Val] = {}
        self.record = True
        self.group: str | None = None
        self.iteration: tuple = ()
        self.dashed = False
        self.ids: set[str] = set()
        self.code: dict = {}
        self.iterations = 0  # loop iterations evaluated so far

    @property
    def evaluate(self) -> bool:
        return self.at is not None

    def build(self, program: ir.Function, output: int) -> Graph:
        for p in program.params:
            node = self.node(p, "input", "input", self.at[p] if self.evaluate else None)
            self.env[p] = _Val(node.id, node.value)
        self.body(program.body)
        result = program.result
        if isinstance(result, tuple):
            if not -len(result) <= output < len(result):
                raise S2SDiffError(f"output={output}: {program.name} returns {len(result)} values")
            result = result[output]
        out = self.atom(result)
        node = self.by_id(out.node) if out.node else None
        if node is not None:
            node.output = True
        return Graph(program.name, program.params, self.nodes, self.edges, self.groups,
                     self.at, node.id if node else None, out.value)

    # nodes and edges
    def node(self, name: str, kind: str, op: str, value=None) -> Node:
        base = name + "".join(f"#{k}" for k in self.iteration)
        nid, k = base, 1
        while nid in self.ids:
            nid, k = f"{base}~{k}", k + 1
        self.ids.add(nid)
        node = Node(nid, name, kind, op, value, group=self.group, iteration=self.iteration)
        self.nodes.append(node)
        return node

    def by_id(self, nid: str) -> Node:
        return next(n for n in self.nodes if n.id == nid)

    def edge(self, src: str, dst: str, partial, value, style="solid") -> None:
        if self.dashed and style == "solid":
            style = "dashed"
        self.edges.append(Edge(src, dst, partial, value, style))

    def open_group(self, label: str, style: str = "solid") -> str | None:
        if not self.record:
            return self.group
        gid = f"cluster_{len(self.groups)}"
        self.groups[gid] = Group(gid, label, self.group, style)
        outer, self.group = self.group, gid
        return outer

    # values
    def atom(self, a) -> _Val:
        if isinstance(a, ir.Var):
            return self.env[a.name]
        if isinstance(a, ir.Const):
            return _Val(None, a.value)
        if isinstance(a, ir.Global):
            return _Val(None, a.resolved() if self.evaluate else None)
        raise S2SDiffError(f"graph: cannot draw the value {a!r}")

    # statements
    def body(self, stmts) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                self.assign(s)
            elif isinstance(s, ir.If):
                self.if_(s)
            elif isinstance(s, ir.Loop):
                self.loop(s)
            else:
                raise S2SDiffError(f"graph: {type(s).__name__} statements (lists) are not drawn yet")

    def assign(self, s: ir.Assign) -> None:
        value = s.value
        if not isinstance(value, ir.Op):  # a copy
            self.env[s.target] = self.atom(value)
            return
        if value.syntax == "list":
            raise S2SDiffError("graph: lists are not drawn yet")
        args = [self.atom(a) for a in value.args]
        result = None
        if self.evaluate:
            kwargs = {k: self.atom(v).value for k, v in value.kwargs}
            try:
                result = value.fn(*[a.value for a in args], **kwargs)
            except Exception as exc:  # noqa: BLE001 - the user's code raised: say where
                where = f" (line {s.origin.lineno}: {s.origin.text})" if s.origin else ""
                what = str(value) if len(str(value)) <= 80 else str(value)[:77] + "..."
                raise S2SDiffError(f"evaluating {s.target} = {what} at {self.at} "
                                   f"raised {type(exc).__name__}: {exc}{where}") from None
        partials = self.partials(s, args, result)
        if not self.record:
            dots: dict = {}
            for (text, number, _), a in zip(partials, args):
                for key, d in (a.dots or {}).items():
                    if number is not None:
                        dots[key] = dots.get(key, 0.0) + number * d
            self.env[s.target] = _Val(None, result, dots)
            return
        constant = is_constant(value.fn) or all(p[0] is None for p in partials)
        node = self.node(s.target, "const" if constant else "op", str(value), result)
        for (text, number, style), a in zip(partials, args):
            if a.node is not None:
                self.edge(a.node, node.id, text, number, style)
        self.env[s.target] = _Val(node.id, result)

    def partials(self, s: ir.Assign, args: list[_Val], result) -> list:
        """(text, number, style) of ∂target/∂arg for each argument."""
        op = s.value
        rule = None if is_constant(op.fn) else lookup(op.fn, len(op.args))
        out = []
        for i, a in enumerate(op.args):
            if not isinstance(a, ir.Var) or is_constant(op.fn):
                out.append((None, None, "none"))
                continue
            if rule is None:
                out.append(("no rule", None, "norule"))
                continue
            if rule.partials[i] is None:
                out.append((None, None, "none"))
                continue
            key = (id(s), i)
            if key not in self.code:
                partial = templates.instantiate(rule, i, op.args, ir.Var(s.target))
                self.code[key] = (_text(partial), partial)
            text, partial = self.code[key]
            number = None
            if self.evaluate:
                scope = {arg.name: val.value for arg, val in zip(op.args, args)
                         if isinstance(arg, ir.Var)}
                scope[s.target] = result
                try:
                    number = evaluate(partial, scope)
                except Exception as exc:  # noqa: BLE001 - shown on the edge, e.g. ZeroDivisionError
                    number = math.nan
                    text = f"{text}  ({type(exc).__name__})"
            out.append((text, number, "solid"))
        return out

    def if_(self, s: ir.If) -> None:
        cond = self.atom(s.cond)
        test = s.origin.text.rstrip(":") if s.origin else f"if {s.cond}"
        if self.evaluate:
            taken = bool(cond.value)
            outer = self.open_group(f"{test}:  {taken} → {'then' if taken else 'else'} branch")
            self.body(s.then if taken else s.orelse)
            self.group = outer
            for phi in s.phis:
                self.alias(phi.target, self.atom(phi.first if taken else phi.second))
            return
        was = self.dashed
        self.dashed = True
        for label, branch in ((f"{test}: then", s.then), ("else", s.orelse)):
            if branch:
                outer = self.open_group(label, "dashed")
                self.body(branch)
                self.group = outer
        self.dashed = was
        for phi in s.phis:
            self.phi_node(phi, [self.atom(phi.first), self.atom(phi.second)], "dashed")

    def phi_node(self, phi: ir.Phi, sources: list[_Val], style: str = "solid") -> Node:
        """A φ node, with an edge of partial 1 from each of its ``sources``."""
        node = self.node(phi.target, "phi", f"φ({phi.first}, {phi.second})")
        for src in sources:
            if src.node is not None:
                self.edge(src.node, node.id, "1", None, style)
        self.env[phi.target] = _Val(node.id)
        return node

    def alias(self, name: str, val: _Val) -> None:
        self.env[name] = val
        if val.node is not None and self.record and not name.startswith("_"):
            node = self.by_id(val.node)
            if name != node.name and name not in node.aliases:
                node.aliases.append(name)

    # loops
    def loop(self, s: ir.Loop) -> None:
        header = _loop_header(s)
        if not self.evaluate:
            self.loop_body_once(s, header)
            return
        if not self.record:
            self.run_loop(s)
            return
        count = None
        if s.kind == "for":
            count = len(range(*[self.atom(a).value for a in s.args]))
        if count is None or count <= self.max_unroll:
            mark = (len(self.nodes), len(self.edges), dict(self.groups), dict(self.env), set(self.ids))
            try:
                self.run_loop(s, header)
                return
            except _Rollback:
                n, e, self.groups, self.env, self.ids = mark
                del self.nodes[n:], self.edges[e:]
        self.summarise(s, header)

    def run_loop(self, s: ir.Loop, header: str | None = None) -> int:
        for phi in s.phis:
            self.env[phi.target] = self.atom(phi.first)
        outer = self.group
        if s.kind == "for":
            items = range(*[self.atom(a).value for a in s.args])
        else:
            items = iter(int, 1)  # forever; the condition stops it
        count = 0
        for item in items:
            if s.kind == "while" and not self.atom(s.args[0]).value:
                break
            count += 1
            self.count_iteration(s)
            if self.record and header is not None:
                if count > self.max_unroll:
                    self.group = outer
                    raise _Rollback
                name = f"{s.var} = {item}" if s.var else f"pass {count}"
                self.open_group(f"{header}   — iteration {count}: {name}" if s.var
                                else f"{header}   — iteration {count}", "solid")
                self.iteration = self.iteration + (count,)
            if s.var:
                self.env[s.var] = _Val(None, item)
            self.body(s.body)
            if self.record and header is not None:
                self.iteration = self.iteration[:-1]
                self.group = outer
            news = [self.atom(phi.second) for phi in s.phis]
            for phi, new in zip(s.phis, news):
                self.env[phi.target] = new
        if self.record:
            for phi in s.phis:
                self.alias(phi.target, self.env[phi.target])
        return count

    def count_iteration(self, s: ir.Loop) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            where = None
            if s.origin is not None:
                where = Location(s.origin.filename, s.origin.lineno, 0, s.origin.text)
            raise LocatedError(f"the graph evaluates loops one iteration at a time, and this "
                               f"one runs past {MAX_ITERATIONS:,} iterations in all", where,
                               "draw the graph at smaller inputs, or without --at")

    def summarise(self, s: ir.Loop, header: str) -> None:
        """One node per loop result; its edges are the partials through the whole loop."""
        inputs = [n for n in _free_vars(s) if n in self.env and self.env[n].node is not None]
        saved = dict(self.env)
        for name in inputs:
            val = self.env[name]
            self.env[name] = _Val(val.node, val.value, {val.node: 1.0})
        self.record = False
        count = self.run_loop(s)
        self.record = True
        ends = {phi.target: self.env[phi.target] for phi in s.phis}
        self.env = saved
        outer = self.open_group(f"{header}   — {count} iterations, summarised", "bold")
        for phi in s.phis:
            end = ends[phi.target]
            if isinstance(end.value, bool):
                self.env[phi.target] = _Val(None, end.value)
                continue
            node = self.node(phi.target, "loop", "result of the loop", end.value)
            for src, d in (end.dots or {}).items():
                self.edge(src, node.id, f"∂{phi.target}/∂{self.by_id(src).title}", d, "loop")
            self.env[phi.target] = _Val(node.id, end.value)
        self.group = outer
        if s.var:
            self.env[s.var] = _Val(None, None)

    def loop_body_once(self, s: ir.Loop, header: str) -> None:
        """Without values: the body once, φ nodes at the header, back edges."""
        outer = self.open_group(f"{header}   (the body, repeated)", "dashed")
        phis = [(phi, self.phi_node(phi, [self.atom(phi.first)])) for phi in s.phis]
        if s.var:
            self.env[s.var] = _Val(None)
        self.body(s.body)
        for phi, node in phis:
            nxt = self.atom(phi.second)
            if nxt.node is not None:
                self.edge(nxt.node, node.id, "1", None, "back")
            self.env[phi.target] = _Val(node.id)
        self.group = outer


def _loop_header(s: ir.Loop) -> str:
    if s.origin is not None:
        return s.origin.text.rstrip(":")
    if s.kind == "for":
        return f"for {s.var} in range({', '.join(map(str, s.args))})"
    return f"while {s.args[0]}"


def _free_vars(s) -> list[str]:
    """The names a region reads that it does not define, in order."""
    defined, read = set(), []
    for stmt in [s] + ir.walk(s.body if isinstance(s, ir.Loop) else ()):
        if isinstance(stmt, ir.Assign):
            atoms = ir.atoms_of(stmt.value)
            defined.add(stmt.target)
        elif isinstance(stmt, ir.Loop):
            atoms = list(stmt.args) + [p.first for p in stmt.phis] + [p.second for p in stmt.phis]
            defined |= {p.target for p in stmt.phis} | ({stmt.var} if stmt.var else set())
        elif isinstance(stmt, ir.If):
            atoms = [stmt.cond] + [p.first for p in stmt.phis] + [p.second for p in stmt.phis]
            defined |= {p.target for p in stmt.phis}
        else:
            atoms = []
        read += [a.name for a in atoms if isinstance(a, ir.Var) and a.name not in read]
    return [n for n in read if n not in defined]


def _text(partial) -> str:
    """A partial as text; a constant expression (``1.0 / 2``) as its number."""
    if not _constant(partial):
        return text(partial)
    try:
        return format_value(evaluate(partial, {}))
    except (ArithmeticError, TypeError, ValueError):
        return text(partial)


def _constant(v) -> bool:
    """A value of numbers alone (no name, no global)."""
    if type(v) is ir.Op:
        return all(map(_constant, v.args)) and all(_constant(a) for _, a in v.kwargs)
    return type(v) is ir.Const


