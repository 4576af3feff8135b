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
(DOT, Graphviz), ``command`` (``s2sdiff graph``); this module runs them in order.
"""

from __future__ import annotations

import ast
import inspect

from ..front import source as frontend
from .. import ir
from ..ir import ssa
from ..errors import S2SDiffError
from .build import MAX_UNROLL, Builder
from .command import cli_main, load
from .derivatives import MAX_PATHS, differentiate
from .model import Edge, Graph, GraphPath, Group, Node

__all__ = ["MAX_PATHS", "MAX_UNROLL", "Edge", "Graph", "GraphPath", "Group", "Node",
           "cli_main", "graph", "load"]


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
    if values and any(hasattr(v, "shape") and getattr(v, "shape", ()) != () for v in values.values()):
        raise S2SDiffError("graph draws scalar functions: give numbers in `at`, not arrays "
                           "(the graph of array code is not drawn yet)")
    if wrt is not None:
        if isinstance(wrt, int) and not isinstance(wrt, bool) and -len(program.params) <= wrt < len(program.params):
            wrt = program.params[wrt]
        if wrt not in program.params:
            raise S2SDiffError(f"wrt={wrt!r} is not a parameter of {program.name}{program.params}")
    g = Builder(values, max_unroll).build(program, output)
    g.wrt = wrt
    if wrt is not None:
        differentiate(g)
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
