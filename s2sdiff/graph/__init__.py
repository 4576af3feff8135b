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

The package: ``build`` (IR → nodes and edges), ``derivatives`` (tangents,
adjoints, the sum over paths), ``model`` (the data and its text), ``render``
(DOT, Graphviz), ``command`` (``s2sdiff graph``), ``draw`` (runs them in order).
"""

from .build import MAX_UNROLL
from .derivatives import MAX_PATHS
from .draw import graph
from .model import Edge, Graph, GraphPath, Group, Node

__all__ = ["MAX_PATHS", "MAX_UNROLL", "Edge", "Graph", "GraphPath", "Group", "Node",
           "cli_main", "graph", "load"]


def __getattr__(name):
    # the command (argparse, files) is loaded when the command runs, not with s2sdiff
    if name in ("cli_main", "load"):
        from . import command

        return getattr(command, name)
    raise AttributeError(f"module 's2sdiff.graph' has no attribute {name!r}")

