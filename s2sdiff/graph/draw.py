"""``graph(f, at, wrt)``: the stages of the drawing, in order."""

from __future__ import annotations

import ast
import inspect

from .. import ir
from ..errors import S2SDiffError
from ..front import source as frontend
from ..ir import ssa
from .build import MAX_UNROLL, Builder
from .derivatives import differentiate
from .model import Graph


def graph(f, at=None, wrt=None, output: int = 0, max_unroll: int = MAX_UNROLL) -> Graph:
    """The computational graph of ``f``.

    ``at``: parameter values (a dict, or a tuple of positional values);
    ``wrt``: a parameter name or index, to show tangents, adjoints and the
    derivative as a sum over paths; ``output``: which element of a returned
    tuple is the output; loops up to ``max_unroll`` iterations are unrolled.
    """
    where = f if isinstance(f, frontend.SourceFunction) else frontend.from_function(f)
    program = ssa.build(where, inline="all")  # the graph shows callees' operations too
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
