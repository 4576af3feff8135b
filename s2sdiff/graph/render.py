"""Drawing a graph (``model.Graph``): DOT text, and Graphviz's ``dot`` program for
SVG and PNG.  The model's methods call these; this module reads the model's
nodes and edges by their attributes."""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path

from ..errors import S2SDiffError
from .text import barred, dotted, format_value

_INSTALL = ("Graphviz's `dot` program is needed to render {fmt}; install it "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz), or save the graph as .dot text")

_STYLE = {
    "input": ('fillcolor="#dbeafe", color="#2563eb"'),
    "op": ('fillcolor="#f8fafc", color="#64748b"'),
    "phi": ('fillcolor="#f1f5f9", color="#64748b", style="rounded,filled,dashed"'),
    "loop": ('fillcolor="#ede9fe", color="#7c3aed", shape=box3d, style="filled"'),
    "const": ('fillcolor="#f5f5f4", color="#a8a29e", fontcolor="#78716c"'),
}
_OUTPUT = 'fillcolor="#ffedd5", color="#ea580c", penwidth=2.2'
_TANGENT, _ADJOINT = "#1d4ed8", "#b91c1c"


# --- Graphviz -------------------------------------------------------------------


def graphviz(g, fmt: str = "svg") -> bytes:
    """The picture in ``fmt`` ("svg" or "png"), drawn by Graphviz's ``dot``."""
    exe = shutil.which("dot")
    if exe is None:
        raise S2SDiffError(_INSTALL.format(fmt=fmt.upper()))
    extra = ["-Gdpi=144"] if fmt == "png" else []
    run = subprocess.run([exe, f"-T{fmt}", *extra], input=dot_text(g).encode(),
                         capture_output=True, check=False, timeout=60)
    if run.returncode != 0:
        raise S2SDiffError(f"Graphviz dot failed: {run.stderr.decode(errors='replace')}")
    return run.stdout


def save(g, path) -> Path:
    """Write the graph to ``path``: .dot (text), .svg or .png (Graphviz)."""
    path = Path(path)
    path.write_bytes(file_bytes(g, path.name)[1])
    return path


def file_bytes(g, name: str) -> tuple[str, bytes]:
    """The format named by the suffix of the file name ``name``, and the graph in it."""
    fmt = Path(name).suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        return fmt, dot_text(g).encode("utf-8")
    if fmt in ("svg", "png", "pdf"):
        return fmt, graphviz(g, fmt)
    raise S2SDiffError(f"cannot write {Path(name).name}: use a .dot, .svg or .png file name")


def repr_svg(g) -> str | None:
    """SVG for Jupyter; None (the text repr) without Graphviz."""
    if shutil.which("dot") is None:
        return None
    return graphviz(g, "svg").decode()


# --- DOT ------------------------------------------------------------------------


def dot_text(g) -> str:
    return _Dot(g).render()


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    return html.escape(text, quote=True)


class _Dot:
    def __init__(self, g):
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

    def node_attrs(self, n) -> str:
        rows = [f"<B>{_h(n.title)}</B>" + ("".join(f"<FONT COLOR=\"#64748b\"> = {_h(a)}</FONT>"
                                                    for a in n.aliases))]
        if n.kind == "input":
            rows.append('<FONT COLOR="#64748b" POINT-SIZE="11">input</FONT>')
        elif n.op:
            rows.append(f'<FONT COLOR="#475569" POINT-SIZE="12">{_h(n.op)}</FONT>')
        if self.g.at is not None:
            rows.append(f'<FONT POINT-SIZE="15">{_h(format_value(n.value))}</FONT>')
        if self.g.wrt is not None and self.g.at is not None:
            x, wrt, out = n.title, self.g.node(self.g.wrt).title, self.g.output_name
            rows.append(f'<FONT COLOR="{_TANGENT}" POINT-SIZE="11">{_h(dotted(x))} = ∂{_h(x)}/∂'
                        f'{_h(wrt)} = {_h(format_value(n.tangent))}</FONT>')
            rows.append(f'<FONT COLOR="{_ADJOINT}" POINT-SIZE="11">{_h(barred(x))} = ∂{_h(out)}/∂'
                        f'{_h(x)} = {_h(format_value(n.adjoint))}</FONT>')
        if n.output:
            rows.append('<FONT COLOR="#c2410c" POINT-SIZE="11">output</FONT>')
        table = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
        label = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{table}</TABLE>>'
        style = _OUTPUT if n.output else _STYLE[n.kind]
        return f"label={label}, {style}"

    def edge_attrs(self, e) -> str:
        label = self.g.label(e)
        attrs = [f"label={_q(label)}"] if label else []
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
