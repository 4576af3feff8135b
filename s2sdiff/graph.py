"""The computational graph of a function, drawn.

Nodes are the inputs and the SSA values of the function; each edge carries the
partial derivative of its head with respect to its tail, instantiated from the
same rule templates the emitters use.  With ``at`` the graph is evaluated:
nodes show their values, edges the numeric partials, branches the side taken,
and small loops are unrolled.  With ``wrt`` each node also shows its tangent
ẋ (forward mode from that input) and its adjoint x̄ (reverse mode from the
output), and the derivative is spelled out as the sum over all paths of the
products of the edge partials::

    >>> def f(a, b):
    ...     c = a + b
    ...     d = b + 1
    ...     e = c * d
    ...     return e
    >>> g = graph(f, at={"a": 2, "b": 1}, wrt="b")   # doctest: +SKIP
    >>> g.derivative                                  # doctest: +SKIP
    5.0

``g.dot`` is DOT text; ``g.save("f.svg")`` and ``g.save("f.png")`` call
Graphviz's ``dot`` program; in Jupyter the graph displays as SVG.
"""

from __future__ import annotations

import argparse
import ast
import html
import inspect
import math
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from . import frontend, ir, ssa, templates
from .errors import S2SDiffError
from .rules import is_constant, lookup

MAX_UNROLL = 10
MAX_PATHS = 24
_INSTALL = ("Graphviz's `dot` program is needed to render {fmt}; install it "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz), or save the graph as .dot text")


@dataclass
class Node:
    """A value of the graph: an input, an operation's result, a φ or a loop result."""

    id: str
    name: str  # the SSA name
    kind: str  # "input", "op", "phi", "loop", "const" (no derivative)
    op: str = ""  # the operation, e.g. "a + b"
    value: object = None
    tangent: object = None
    adjoint: object = None
    output: bool = False
    group: str | None = None
    iteration: tuple = ()  # the unrolled loop iterations the node belongs to
    aliases: list = field(default_factory=list)

    @property
    def title(self) -> str:
        sup = "".join(f"⁽{_superscript(k)}⁾" for k in self.iteration)
        return self.name + sup


@dataclass
class Edge:
    """``dst`` depends on ``src``; ``partial`` is ∂dst/∂src as Python text."""

    src: str
    dst: str
    partial: str | None  # None: no derivative (a comparison, an integer)
    value: object = None
    style: str = "solid"  # "solid", "dashed" (a branch), "back" (next iteration), "none", "norule"


@dataclass
class Group:
    id: str
    label: str
    parent: str | None
    style: str = "solid"


@dataclass
class GraphPath:
    edges: list
    symbolic: str
    numeric: str | None
    value: object


@dataclass
class _Val:
    node: str | None  # the node holding this value, or None (a constant)
    value: object = None
    dots: dict | None = None  # tangents with respect to loop inputs (summarised loops)


class _Rollback(Exception):
    pass


# --- the public entry points ---------------------------------------------------


def graph(f, at=None, wrt=None, output: int = 0, max_unroll: int = MAX_UNROLL) -> Graph:
    """The computational graph of ``f``.

    ``at``: parameter values (a dict, or a tuple of positional values);
    ``wrt``: a parameter name or index, to show tangents, adjoints and the
    derivative as a sum over paths; ``output``: which element of a returned
    tuple is the output; loops up to ``max_unroll`` iterations are unrolled.
    """
    where = f if isinstance(f, frontend.SourceFunction) else frontend.from_function(f)
    program = ssa.build(where)
    values = None if at is None else _bind(f, program, at)
    if wrt is not None:
        if isinstance(wrt, int) and not isinstance(wrt, bool) and -len(program.params) <= wrt < len(program.params):
            wrt = program.params[wrt]
        if wrt not in program.params:
            raise S2SDiffError(f"wrt={wrt!r} is not a parameter of {program.name}{program.params}")
    builder = _Builder(values, max_unroll)
    g = builder.build(program, output)
    g.wrt = wrt
    if wrt is not None:
        g._differentiate()
    return g


def _bind(f, program: ir.Function, at) -> dict:
    if not isinstance(at, dict):
        at = dict(zip(program.params, at))
    if callable(f) and not isinstance(f, frontend.SourceFunction):
        try:
            bound = inspect.signature(f).bind(**at)
        except TypeError as exc:
            raise S2SDiffError(f"at={at!r} does not fit {program.name}{program.params}: {exc}") from None
        bound.apply_defaults()
        at = dict(bound.arguments)
    if isinstance(f, frontend.SourceFunction):  # read statically: literal defaults
        a = f.tree.args
        positional = a.posonlyargs + a.args
        pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
        pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        for p, d in pairs:
            if p.arg not in at:
                try:
                    at = {**at, p.arg: ast.literal_eval(d)}
                except ValueError:
                    pass
        at = {p: at[p] for p in program.params if p in at}
    missing = [p for p in program.params if p not in at]
    if missing:
        raise S2SDiffError(f"at= gives no value for {', '.join(missing)}")
    return at


# --- building: an interpreter of the IR that records nodes and edges ------------


class _Builder:
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
            return _Val(None, _global_value(a) if self.evaluate else None)
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
                raise S2SDiffError(f"evaluating {s.target} = {value} at {self.at} "
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
                tree = templates.instantiate(rule, i, op.args, s.target)
                self.code[key] = (_text(tree), *_compile(tree))
            text, code, _names, globs = self.code[key]
            number = None
            if self.evaluate:
                scope = dict(globs)
                for arg, val in zip(op.args, args):
                    if isinstance(arg, ir.Var):
                        scope[arg.name] = val.value
                scope[s.target] = result
                try:
                    number = eval(code, scope)
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
            sources = [self.atom(phi.first), self.atom(phi.second)]
            node = self.node(phi.target, "phi", f"φ({phi.first}, {phi.second})")
            for src in sources:
                if src.node is not None:
                    self.edge(src.node, node.id, "1", None, "dashed")
            self.env[phi.target] = _Val(node.id)

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
        phis = []
        for phi in s.phis:
            first = self.atom(phi.first)
            node = self.node(phi.target, "phi", f"φ({phi.first}, {phi.second})")
            if first.node is not None:
                self.edge(first.node, node.id, "1", None)
            self.env[phi.target] = _Val(node.id)
            phis.append((phi, node))
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


def _text(tree: ast.expr) -> str:
    """A partial as text; a constant expression (``1.0 / 2``) as its number."""
    if any(isinstance(n, ast.Name) for n in ast.walk(tree)):
        return ast.unparse(tree)
    try:
        code = compile(ast.fix_missing_locations(ast.Expression(templates.clone(tree))),
                       "<partial>", "eval")
        return _format(eval(code, {}))
    except (ArithmeticError, TypeError, ValueError):
        return ast.unparse(tree)


def _global_value(g: ir.Global):
    value = g.value
    for attr in g.path:
        value = getattr(value, attr)
    return value


def _compile(tree: ast.expr):
    """Code for an instantiated partial, with the globals its names are bound to."""
    globs, names = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
            if hasattr(node, "s2s_global"):
                globs[node.id] = node.s2s_global
    expr = ast.fix_missing_locations(ast.Expression(templates.clone(tree)))
    return compile(expr, "<partial>", "eval"), names, globs


# --- the graph ------------------------------------------------------------------


class Graph:
    """Nodes, edges and (with ``wrt``) derivatives; renders as DOT, SVG or PNG."""

    def __init__(self, name, params, nodes, edges, groups, at, output, value):
        self.name = name
        self.params = params
        self.nodes: list[Node] = nodes
        self.edges: list[Edge] = edges
        self.groups: dict[str, Group] = groups
        self.at = at
        self.output = output  # the id of the output node
        self.value = value
        self.wrt: str | None = None
        self.paths: list[GraphPath] = []
        self.npaths = 0
        self.derivative = None

    def __repr__(self) -> str:
        return f"<s2sdiff graph of {self.name}: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    def node(self, name: str) -> Node:
        """The node called ``name`` (an SSA name, an alias or a node id); the last one if several."""
        found = [n for n in self.nodes if n.id == name] or \
            [n for n in self.nodes if n.name == name or name in n.aliases]
        if not found:
            raise KeyError(f"no node {name!r}; nodes: {', '.join(n.id for n in self.nodes)}")
        return found[-1]

    def edge(self, src: str, dst: str) -> Edge:
        """The edge from the node ``src`` to the node ``dst`` (names as in ``node``)."""
        a, b = self.node(src).id, self.node(dst).id
        for e in self.edges:
            if e.src == a and e.dst == b:
                return e
        raise KeyError(f"no edge {src} → {dst}")

    def label(self, e: Edge) -> str:
        """The text on an edge: ``∂e/∂c = d = 2``."""
        if e.style == "back":
            return "next iteration"
        if e.partial is None:
            return ""
        head = f"∂{self.by_id(e.dst).title}/∂{self.by_id(e.src).title}"
        if e.style == "loop":
            return f"{head} through the loop = {_format(e.value)}"
        text = f"{head} = {e.partial}"
        if e.value is not None and _format(e.value) != e.partial:
            text += f" = {_format(e.value)}"
        return text

    def by_id(self, nid: str) -> Node:
        return next(n for n in self.nodes if n.id == nid)

    # derivatives
    def _differentiate(self) -> None:
        start = self.node(self.wrt).id
        live = [e for e in self.edges if e.style in ("solid", "norule", "loop")]
        if self.at is not None:
            tangent = {n.id: 0.0 for n in self.nodes}
            tangent[start] = 1.0
            for n in self.nodes:
                for e in live:
                    if e.dst == n.id and tangent[e.src] != 0:
                        tangent[n.id] = tangent[n.id] + _times(e.value, tangent[e.src])
                n.tangent = tangent[n.id]
            adjoint = {n.id: 0.0 for n in self.nodes}
            if self.output is not None:
                adjoint[self.output] = 1.0
            for n in reversed(self.nodes):
                for e in live:
                    if e.src == n.id and adjoint[e.dst] != 0:
                        adjoint[n.id] = adjoint[n.id] + _times(e.value, adjoint[e.dst])
                n.adjoint = adjoint[n.id]
            self.derivative = self.by_id(self.output).tangent if self.output else 0.0
        if self.output is None or any(e.style in ("dashed", "back") for e in self.edges):
            return  # without values, branches and loops make the path sum ambiguous
        found: list = []
        self.npaths = _paths(start, self.output, live, [], found)
        for edges in found:
            symbolic = "·".join(_factor(e.partial) for e in edges)
            numeric, value = None, None
            if self.at is not None:
                numeric = "·".join(_factor(_format(e.value)) for e in edges)
                value = 1.0
                for e in edges:
                    value = _times(e.value, value)
            self.paths.append(GraphPath(edges, symbolic, numeric, value))

    @property
    def output_name(self) -> str:
        """The output's name: its SSA name, a user's name for it, or the function's."""
        if self.output is None:
            return self.name
        node = self.by_id(self.output)
        if node.aliases:
            return node.aliases[-1]
        return self.name if node.name.startswith("_") or node.iteration else node.title

    def caption(self) -> list[str]:
        """The lines under the title: the derivative as a sum over paths."""
        lines = []
        if self.at is not None:
            args = ", ".join(f"{k} = {_format(v)}" for k, v in self.at.items())
            lines.append(f"{self.name}({args}) = {_format(self.value)}")
        else:
            lines.append(f"{self.name}({', '.join(self.params)})")
        if self.wrt is None or self.output is None:
            return lines
        out, wrt = self.output_name, self.node(self.wrt).title
        d = f"∂{out}/∂{wrt}"
        if self.paths and self.npaths == len(self.paths):
            lines.append(f"{d} = sum over the {len(self.paths)} path{'s' * (len(self.paths) != 1)}"
                         " of the product of the partials along it")
            for p in self.paths:
                chain = " → ".join([self.by_id(p.edges[0].src).title]
                                   + [self.by_id(e.dst).title for e in p.edges])
                lines.append(f"    {chain}:   {p.symbolic}" + (f" = {p.numeric}" if p.numeric
                                                               and p.numeric != p.symbolic else ""))
            symbolic = " + ".join(p.symbolic for p in self.paths)
            if symbolic != d:
                lines.append(f"{d} = {symbolic}")
            if self.at is not None:
                numeric = " + ".join(p.numeric for p in self.paths)
                total = _format(self.derivative)
                terms = [t for t in (numeric, total) if t != symbolic]
                if numeric == total:
                    terms = terms[-1:]
                if terms:
                    lines.append(f"{d} = {' = '.join(terms)}")
        elif self.npaths > len(self.paths):
            lines.append(f"{d}: {self.npaths} paths (too many to list)"
                         + (f" = {_format(self.derivative)}" if self.at is not None else ""))
        elif self.at is not None:
            lines.append(f"{d} = {_format(self.derivative)}")
        if self.at is not None:
            lines.append(f"blue: the tangents, forward mode from {wrt};   "
                         f"red: the adjoints, reverse mode from {out}")
        return lines

    # output
    def to_dot(self) -> str:
        return _Dot(self).render()

    @property
    def dot(self) -> str:
        return self.to_dot()

    def render(self, fmt: str = "svg") -> bytes:
        """The picture in ``fmt`` ("svg" or "png"), drawn by Graphviz's ``dot``."""
        exe = shutil.which("dot")
        if exe is None:
            raise S2SDiffError(_INSTALL.format(fmt=fmt.upper()))
        extra = ["-Gdpi=144"] if fmt == "png" else []
        run = subprocess.run([exe, f"-T{fmt}", *extra], input=self.to_dot().encode(),
                             capture_output=True, check=False, timeout=60)
        if run.returncode != 0:
            raise S2SDiffError(f"Graphviz dot failed: {run.stderr.decode(errors='replace')}")
        return run.stdout

    def to_svg(self) -> str:
        return self.render("svg").decode()

    def to_png(self) -> bytes:
        return self.render("png")

    def save(self, path) -> FilePath:
        """Write the graph to ``path``: .dot (text), .svg or .png (Graphviz)."""
        path = FilePath(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt in ("dot", "gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif fmt in ("svg", "png", "pdf"):
            path.write_bytes(self.render(fmt))
        else:
            raise S2SDiffError(f"cannot write {path.name}: use a .dot, .svg or .png file name")
        return path

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None  # Jupyter falls back to the text repr
        return self.to_svg()


def _paths(node: str, goal: str, edges: list[Edge], prefix: list, found: list) -> int:
    """Count the paths from ``node`` to ``goal``, keeping the first MAX_PATHS."""
    if node == goal:
        if len(found) < MAX_PATHS:
            found.append(list(prefix))
        return 1
    total = 0
    for e in edges:
        if e.src == node and e.partial is not None:
            prefix.append(e)
            total += _paths(e.dst, goal, edges, prefix, found)
            prefix.pop()
    return total


def _times(a, b):
    if a is None:
        return math.nan
    return a * b


def _factor(text: str) -> str:
    """``text`` as a factor of a product: parenthesized unless it is atomic."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text
    if isinstance(tree, (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript)):
        return text
    return f"({text})"


def _superscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def _dot(name: str) -> str:
    """``name`` with a dot over its first letter (precomposed where Unicode has it)."""
    return unicodedata.normalize("NFC", name[0] + "\u0307") + name[1:]


def _bar(name: str) -> str:
    return unicodedata.normalize("NFC", name[0] + "\u0304") + name[1:]


def _format(value) -> str:
    """A number, briefly: 1.0 → "1", 0.5403023058681398 → "0.5403"."""
    if value is None:
        return "?"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    try:
        import numpy

        if isinstance(value, numpy.ndarray):
            if value.size <= 4:
                return numpy.array2string(value, precision=4, separator=", ")
            return f"array{value.shape}"
        if isinstance(value, numpy.generic):
            return _format(value.item())
    except ImportError:  # pragma: no cover
        pass
    text = repr(value)
    return text if len(text) < 30 else text[:27] + "…"


# --- DOT ------------------------------------------------------------------------

_STYLE = {
    "input": ('fillcolor="#dbeafe", color="#2563eb"'),
    "op": ('fillcolor="#f8fafc", color="#64748b"'),
    "phi": ('fillcolor="#f1f5f9", color="#64748b", style="rounded,filled,dashed"'),
    "loop": ('fillcolor="#ede9fe", color="#7c3aed", shape=box3d, style="filled"'),
    "const": ('fillcolor="#f5f5f4", color="#a8a29e", fontcolor="#78716c"'),
}
_OUTPUT = 'fillcolor="#ffedd5", color="#ea580c", penwidth=2.2'
_TANGENT, _ADJOINT = "#1d4ed8", "#b91c1c"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    return html.escape(text, quote=True)


class _Dot:
    def __init__(self, g: Graph):
        self.g = g
        self.on_path = {id(e) for p in g.paths for e in p.edges}
        if g.wrt is not None and g.at is not None:  # edges carrying the derivative
            self.on_path |= {id(e) for e in g.edges
                             if g.by_id(e.src).tangent and g.by_id(e.dst).adjoint
                             and e.style in ("solid", "loop")}

    def render(self) -> str:
        g = self.g
        lines = [
            f"digraph {_q(g.name)} {{",
            ('  graph [rankdir=LR, fontname="Helvetica", fontsize=13, nodesep=0.45, '
             'ranksep=1.1, pad=0.3, bgcolor="white", labelloc="b", labeljust="l", '
             f"label=<{self.caption()}>];"),
            ('  node [shape=box, style="rounded,filled", fontname="Helvetica", '
             'fontsize=13, penwidth=1.3, margin="0.14,0.06"];'),
            ('  edge [fontname="Helvetica", fontsize=11, color="#94a3b8", '
             'fontcolor="#334155", arrowsize=0.7, penwidth=1.2];'),
        ]
        lines += self.cluster(None, "  ")
        for e in g.edges:
            lines.append(f"  {_q(e.src)} -> {_q(e.dst)} [{self.edge_attrs(e)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def cluster(self, gid, pad) -> list[str]:
        g, out = self.g, []
        for sub in (x for x in g.groups.values() if x.parent == gid):
            style = {"solid": "rounded", "dashed": "rounded,dashed", "bold": "rounded,bold"}[sub.style]
            out.append(f"{pad}subgraph {sub.id} {{")
            out.append(f'{pad}  label=<<I>{_h(sub.label)}</I>>; style="{style}"; color="#94a3b8"; '
                       f'fontcolor="#475569"; fontsize=11; labeljust="l";')
            out += self.cluster(sub.id, pad + "  ")
            out.append(f"{pad}}}")
        for n in g.nodes:
            if n.group == gid:
                out.append(f"{pad}{_q(n.id)} [{self.node_attrs(n)}];")
        return out

    def node_attrs(self, n: Node) -> str:
        rows = [f"<B>{_h(n.title)}</B>" + ("".join(f"<FONT COLOR=\"#64748b\"> = {_h(a)}</FONT>"
                                                    for a in n.aliases))]
        if n.kind == "input":
            rows.append('<FONT COLOR="#64748b" POINT-SIZE="11">input</FONT>')
        elif n.op:
            rows.append(f'<FONT COLOR="#475569" POINT-SIZE="12">{_h(n.op)}</FONT>')
        if self.g.at is not None:
            rows.append(f'<FONT POINT-SIZE="15">{_h(_format(n.value))}</FONT>')
        if self.g.wrt is not None and self.g.at is not None:
            x, wrt, out = n.title, self.g.node(self.g.wrt).title, self.g.output_name
            rows.append(f'<FONT COLOR="{_TANGENT}" POINT-SIZE="11">{_h(_dot(x))} = ∂{_h(x)}/∂'
                        f'{_h(wrt)} = {_h(_format(n.tangent))}</FONT>')
            rows.append(f'<FONT COLOR="{_ADJOINT}" POINT-SIZE="11">{_h(_bar(x))} = ∂{_h(out)}/∂'
                        f'{_h(x)} = {_h(_format(n.adjoint))}</FONT>')
        if n.output:
            rows.append('<FONT COLOR="#c2410c" POINT-SIZE="11">output</FONT>')
        table = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
        label = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{table}</TABLE>>'
        style = _OUTPUT if n.output else _STYLE[n.kind]
        return f"label={label}, {style}"

    def edge_attrs(self, e: Edge) -> str:
        attrs = [f"label={_q(self.g.label(e))}"] if self.g.label(e) else []
        if e.style == "dashed":
            attrs.append("style=dashed")
        elif e.style == "back":
            attrs += ["style=dashed", "constraint=false", 'color="#a78bfa"', 'fontcolor="#7c3aed"']
        elif e.style == "none":
            attrs += ["style=dotted", 'color="#cbd5e1"']
        elif e.style == "norule":
            attrs += ['color="#dc2626"', 'fontcolor="#dc2626"']
        if id(e) in self.on_path:
            attrs += ['color="#0f172a"', "penwidth=2"]
        return ", ".join(attrs)

    def caption(self) -> str:
        lines = self.g.caption()
        rows = [f'<TR><TD ALIGN="LEFT"><B>{_h(lines[0])}</B></TD></TR>']
        rows += [f'<TR><TD ALIGN="LEFT">{_h(x)}</TD></TR>' for x in lines[1:]]
        return f'<TABLE BORDER="0" CELLSPACING="2">{"".join(rows)}</TABLE>'


# --- the command ----------------------------------------------------------------


def _parse_at(text: str) -> dict:
    """``x=2,y=1`` (any Python literals) → {"x": 2, "y": 1}."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (SyntaxError, ValueError):
        raise S2SDiffError(f"--at {text!r}: write name=value pairs, e.g. --at x=2,y=1") from None


def load(spec: str):
    """The function named by ``path.py:func`` (or ``package.module:func``).

    Read statically, without running the module, when ``s2sdiff.cli`` /
    ``s2sdiff.static`` are there; else the file is imported.
    """
    try:
        from .cli import Target
    except ImportError:
        Target = None
    if Target is not None:
        return Target(spec).load()
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise S2SDiffError(f"{spec!r}: give the function as path.py:name")
    if not FilePath(path).is_file():
        raise S2SDiffError(f"{path}: no such file")
    try:
        from .static import load_function
    except ImportError:
        load_function = None
    if load_function is not None:
        return load_function(path, name)
    import importlib.util

    module_name = f"_s2sdiff_graph_{FilePath(path).stem}"
    spec_ = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec_)
    sys.path.insert(0, str(FilePath(path).resolve().parent))
    sys.modules[module_name] = module
    try:
        spec_.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    fn = getattr(module, name, None)
    if fn is None:
        raise S2SDiffError(f"{path} defines no {name!r}")
    return fn


def cli_main(argv=None) -> int:
    """``s2sdiff graph path.py:func [--at x=2,y=1] [--wrt x] [-o graph.svg|png|dot]``."""
    parser = argparse.ArgumentParser(
        prog="s2sdiff graph", description="Draw the computational graph of a function.")
    parser.add_argument("function", help="path.py:func")
    parser.add_argument("--at", help="values of the inputs, e.g. x=2,y=1")
    parser.add_argument("--wrt", help="an input: show tangents, adjoints and the sum over paths")
    parser.add_argument("-o", "--output", help="graph.svg, graph.png or graph.dot "
                        "(default: DOT text on stdout)")
    parser.add_argument("--max-unroll", type=int, default=MAX_UNROLL,
                        help=f"unroll loops of at most this many iterations (default {MAX_UNROLL})")
    args = parser.parse_args(argv)
    try:
        fn = load(args.function)
        at = _parse_at(args.at) if args.at else None
        g = graph(fn, at=at, wrt=args.wrt, max_unroll=args.max_unroll)
        if args.output:
            path = g.save(args.output)
            print(f"wrote {path}")
        else:
            sys.stdout.write(g.to_dot())
    except S2SDiffError as exc:
        print(f"s2sdiff graph: error: {exc}", file=sys.stderr)
        return 2  # as the s2sdiff command: bad usage or input
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli_main())
