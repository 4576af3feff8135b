"""The graph's data: nodes, edges, clusters, paths, and the text written on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from .text import format_value, superscript


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
        sup = "".join(f"⁽{superscript(k)}⁾" for k in self.iteration)
        return self.name + sup


@dataclass
class Edge:
    """``dst`` depends on ``src``; ``partial`` is ∂dst/∂src as Python text."""

    src: str
    dst: str
    partial: str | None  # None: no derivative (a comparison, an integer)
    value: object = None
    # "solid", "dashed" (a branch), "back" (next iteration), "loop" (through a
    # summarised loop), "none" (no derivative), "norule" (no rule for the operation)
    style: str = "solid"


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

    # queries
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

    def by_id(self, nid: str) -> Node:
        return next(n for n in self.nodes if n.id == nid)

    # text
    def label(self, e: Edge) -> str:
        """The text on an edge: ``∂e/∂c = d = 2``."""
        if e.style == "back":
            return "next iteration"
        if e.partial is None:
            return ""
        head = f"∂{self.by_id(e.dst).title}/∂{self.by_id(e.src).title}"
        if e.style == "loop":
            return f"{head} through the loop = {format_value(e.value)}"
        text = f"{head} = {e.partial}"
        if e.value is not None and format_value(e.value) != e.partial:
            text += f" = {format_value(e.value)}"
        return text

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
            args = ", ".join(f"{k} = {format_value(v)}" for k, v in self.at.items())
            lines.append(f"{self.name}({args}) = {format_value(self.value)}")
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
                total = format_value(self.derivative)
                terms = [t for t in (numeric, total) if t != symbolic]
                if numeric == total:
                    terms = terms[-1:]
                if terms:
                    lines.append(f"{d} = {' = '.join(terms)}")
        elif self.npaths > len(self.paths):
            lines.append(f"{d}: {self.npaths} paths (too many to list)"
                         + (f" = {format_value(self.derivative)}" if self.at is not None else ""))
        elif self.at is not None:
            lines.append(f"{d} = {format_value(self.derivative)}")
        if self.at is not None:
            lines.append(f"blue: the tangents, forward mode from {wrt};   "
                         f"red: the adjoints, reverse mode from {out}")
        return lines

    # output (see ``render``)
    def to_dot(self) -> str:
        from .render import dot_text

        return dot_text(self)

    @property
    def dot(self) -> str:
        return self.to_dot()

    def render(self, fmt: str = "svg") -> bytes:
        """The picture in ``fmt`` ("svg" or "png"), drawn by Graphviz's ``dot``."""
        from .render import graphviz

        return graphviz(self, fmt)

    def to_svg(self) -> str:
        return self.render("svg").decode()

    def to_png(self) -> bytes:
        return self.render("png")

    def save(self, path):
        """Write the graph to ``path``: .dot (text), .svg or .png (Graphviz); returns the Path."""
        from .render import save

        return save(self, path)

    def _repr_svg_(self):
        from .render import repr_svg

        return repr_svg(self)
