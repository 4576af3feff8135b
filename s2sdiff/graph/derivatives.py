"""Derivatives on the graph: tangents forward, adjoints backward, and the sum over paths."""

from __future__ import annotations

import math

from .model import Edge, Graph, GraphPath
from .text import factor, format_value

MAX_PATHS = 24


def differentiate(g: Graph) -> None:
    """Fill in ``g``'s tangents and adjoints (with values), paths and derivative, for ``g.wrt``."""
    start = g.node(g.wrt).id
    live = [e for e in g.edges if e.style in ("solid", "norule", "loop")]
    if g.at is not None:
        tangent = {n.id: 0.0 for n in g.nodes}
        tangent[start] = 1.0
        for n in g.nodes:
            for e in live:
                if e.dst == n.id and tangent[e.src] != 0:
                    tangent[n.id] = _plus(tangent[n.id], _times(e.value, tangent[e.src]))
            n.tangent = tangent[n.id]
        adjoint = {n.id: 0.0 for n in g.nodes}
        if g.output is not None:
            adjoint[g.output] = 1.0
        for n in reversed(g.nodes):
            for e in live:
                if e.src == n.id and adjoint[e.dst] != 0:
                    adjoint[n.id] = _plus(adjoint[n.id], _times(e.value, adjoint[e.dst]))
            n.adjoint = adjoint[n.id]
        g.derivative = g.by_id(g.output).tangent if g.output else 0.0
    if g.output is None or any(e.style in ("dashed", "back") for e in g.edges):
        return  # without values, branches and loops make the path sum ambiguous
    found: list = []
    g.npaths = _paths(start, g.output, live, [], found)
    for edges in found:
        symbolic = "·".join(factor(e.partial) for e in edges)
        numeric, value = None, None
        if g.at is not None:
            numeric = "·".join(factor(format_value(e.value)) for e in edges)
            value = 1.0
            for e in edges:
                value = _times(e.value, value)
        g.paths.append(GraphPath(edges, symbolic, numeric, value))


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
    try:
        return a * b
    except OverflowError:  # an int past the floats times a float
        return math.inf if (a > 0) == (b > 0) else -math.inf


def _plus(a, b):
    try:
        return a + b
    except OverflowError:  # an int past the floats plus a float
        return math.inf if (a if abs(a) > abs(b) else b) > 0 else -math.inf
