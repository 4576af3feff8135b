"""Tapes read by iterating: ``for t in reversed(_tape):`` instead of counted pops.

A ``while`` loop outside every other loop whose body tapes one record per
iteration, first thing (its values at the loop header), needs neither a trip
counter nor ``pop()`` calls: the reverse sweep walks the loop's own tape
backwards, one record per trip.  In the IR the reverse loop stays a loop of
pops (kind "replay": as many trips as the tape has records, the body starting
with the pop), so every pass keeps its meaning; only the printer writes it as
a ``for`` over the reversed tape.  This is a pure pass on the gradient's two
halves.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from . import ir
from .optimize import _stmt_reads


def replay_tapes(forward: list, reverse: list, tape: str, fresh) -> tuple[list, list, bool]:
    """``forward`` and ``reverse`` with each eligible loop on a tape of its own, and
    whether the shared tape is still used (if not, a lone such loop takes its name).

    ``tape`` is the shared tape; ``fresh(base)`` names a new one.
    """
    pushes = sum(isinstance(s, ir.Push) and s.tape == tape for s in ir.walk(forward))
    loops = {}  # trip counter -> forward loop
    _find_forward(forward, tape, loops)
    replays = {}  # trip counter -> reverse loop
    _find_reverse(reverse, tape, loops, replays)
    if not replays:
        return forward, reverse, pushes > 0
    shared = pushes > len(replays)
    names = {trips: (tape if not shared and len(replays) == 1 else fresh("_tape"))
             for trips in sorted(replays)}
    return _rewrite_forward(forward, names), _rewrite_reverse(reverse, names, replays), shared


def _outside_loops(stmts):
    """The statements of ``stmts`` and of its branches, not those inside loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _outside_loops(s.then)
            yield from _outside_loops(s.orelse)


def _find_forward(stmts, tape: str, loops: dict) -> None:
    for s in _outside_loops(stmts):
        if not (isinstance(s, ir.Loop) and s.kind == "while" and len(s.body) >= 2):
            continue
        count, push = s.body[0], s.body[1]
        if not (isinstance(count, ir.Assign) and count.accumulate and count.value == ir.Const(1)
                and isinstance(push, ir.Push) and push.tape == tape):
            continue
        rest = ir.walk(s.body[2:])
        if any(isinstance(t, (ir.Push, ir.Pop)) for t in rest):
            continue
        if any(count.target in _stmt_reads(t) for t in rest):
            continue
        loops[count.target] = s


def _find_reverse(stmts, tape: str, loops: dict, replays: dict) -> None:
    for s in _outside_loops(stmts):
        if not (isinstance(s, ir.Loop) and s.kind == "repeat" and len(s.args) == 1
                and isinstance(s.args[0], ir.Var) and s.args[0].name in loops):
            continue
        trips = s.args[0].name
        pushed = loops[trips].body[1].values
        pops = [i for i, t in enumerate(s.body) if isinstance(t, ir.Pop)]
        if len(pops) != 1 or s.body[pops[0]] != ir.Pop(tape, pushed):
            continue
        before = ir.walk(s.body[:pops[0]])
        if any(set(pushed) & (_stmt_reads(t) | _writes(t)) for t in before):
            continue
        replays[trips] = s


def _writes(s) -> set[str]:
    if isinstance(s, ir.Assign):
        return {s.target}
    if isinstance(s, (ir.If, ir.Loop)):
        return {p.target for p in s.phis}
    return set()


def _rewrite_forward(stmts, names: dict) -> list:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and s.target in names and s.value == ir.Const(0):
            out.append(ir.Assign(names[s.target], ir.Expr(ast.List([], ast.Load()))))
            continue
        if isinstance(s, ir.Loop) and s.body and isinstance(s.body[0], ir.Assign) \
                and s.body[0].target in names:
            push = replace(s.body[1], tape=names[s.body[0].target])
            s = replace(s, body=(push,) + s.body[2:])
        elif isinstance(s, ir.If):
            s = replace(s, then=tuple(_rewrite_forward(s.then, names)),
                        orelse=tuple(_rewrite_forward(s.orelse, names)))
        out.append(s)
    return out


def _rewrite_reverse(stmts, names: dict, replays: dict) -> list:
    loops = {id(loop): trips for trips, loop in replays.items()}
    out = []
    for s in stmts:
        if id(s) in loops:
            tape = names[loops[id(s)]]
            pop = next(t for t in s.body if isinstance(t, ir.Pop))
            rest = tuple(t for t in s.body if t is not pop)
            s = replace(s, kind="replay", args=(ir.Var(tape),), body=(replace(pop, tape=tape),) + rest)
        elif isinstance(s, ir.If):
            s = replace(s, then=tuple(_rewrite_reverse(s.then, names, replays)),
                        orelse=tuple(_rewrite_reverse(s.orelse, names, replays)))
        out.append(s)
    return out
