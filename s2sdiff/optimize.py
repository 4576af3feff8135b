"""Clean-up of generated IR: drop values nothing reads."""

from __future__ import annotations

import ast
from dataclasses import replace

from . import ir
from .analysis import is_list_op
from .rules import is_constant, lookup, lookup_array


def _names_in_target(target: str) -> set[str]:
    if target.isidentifier():
        return {target}
    tree = ast.parse(target, mode="eval")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _reads(value) -> set[str]:
    if isinstance(value, ir.Expr):
        return {n.id for n in ast.walk(value.tree) if isinstance(n, ast.Name)}
    if isinstance(value, ir.Op):
        out = {a.name for a in ir.atoms_of(value) if isinstance(a, ir.Var)}
        return out
    if isinstance(value, tuple):
        return set().union(*(_reads(v) for v in value)) if value else set()
    if isinstance(value, ir.Var):
        return {value.name}
    return set()


def _read_names(fn: ir.Function) -> dict[str, int]:
    counts: dict[str, int] = {}

    def add(names):
        for n in names:
            counts[n] = counts.get(n, 0) + 1

    add(_reads(fn.result))
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign):
            add(_reads(s.value))
            if s.accumulate or not s.target.isidentifier():
                add(_names_in_target(s.target))
        elif isinstance(s, ir.Append):
            add(_reads(s.value) | {s.target})
        elif isinstance(s, ir.Push):
            add(set(s.values) | {s.tape})
        elif isinstance(s, ir.Pop):
            add({s.tape})
        elif isinstance(s, ir.If):
            add(_reads(s.cond))
        elif isinstance(s, ir.Loop):
            add(_reads(tuple(s.args)))
        if isinstance(s, (ir.If, ir.Loop)):
            for p in s.phis:
                add(_reads(p.first) | _reads(p.second))
    return counts


def _pure(value) -> bool:
    if isinstance(value, ir.Expr):
        return not any(isinstance(n, ast.Attribute) and n.attr in ("pop", "append")
                       for n in ast.walk(value.tree))
    if not isinstance(value, ir.Op):
        return True
    if lookup_array(value.fn) is not None:
        return True
    if value.syntax != "call" or is_list_op(value):
        return value.syntax != "list"
    return is_constant(value.fn) or lookup(value.fn, len(value.args)) is not None


def eliminate_dead_code(fn: ir.Function) -> ir.Function:
    """Remove assignments and φs whose values nothing reads (repeated to a fixpoint)."""
    while True:
        reads = _read_names(fn)
        body, changed = _sweep(fn.body, reads)
        fn = replace(fn, body=body)
        if not changed:
            return fn


def _sweep(body, reads) -> tuple[tuple, bool]:
    out, changed = [], False
    for s in body:
        if isinstance(s, ir.Assign) and not s.accumulate and s.target.isidentifier() \
                and s.target not in reads and _pure(s.value):
            changed = True
            continue
        if isinstance(s, ir.If):
            then, c1 = _sweep(s.then, reads)
            orelse, c2 = _sweep(s.orelse, reads)
            phis = tuple(p for p in s.phis if p.target in reads)
            changed |= c1 or c2 or len(phis) != len(s.phis)
            if not then and not orelse and not phis:
                changed = True
                continue
            s = replace(s, then=then, orelse=orelse, phis=phis)
        elif isinstance(s, ir.Loop):
            inner, c1 = _sweep(s.body, reads)
            phis = tuple(p for p in s.phis if p.target in reads)
            changed |= c1 or len(phis) != len(s.phis)
            s = replace(s, body=inner, phis=phis)
        out.append(s)
    return tuple(out), changed
