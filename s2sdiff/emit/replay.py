"""Tapes read by iterating: ``for t in reversed(_tape):`` instead of counted pops.

A loop outside every other loop whose body tapes one record per iteration,
first thing (its values at the loop header), needs neither a trip counter
nor ``pop()`` calls: the reverse sweep walks the loop's own tape backwards,
one record per trip.  That holds for ``while`` loops (their trip counter
goes) and for ``for`` loops whose reverse does not read the loop variable.
In the IR the reverse loop stays a loop of pops (kind "replay": as many trips
as the tape has records, the body starting with the pop), so every pass keeps
its meaning; only the printer writes it as a ``for`` over the reversed tape.
This is a pure pass on the gradient's two halves.
"""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..front.names import Namer


def replay_tapes(fn: ir.Function) -> ir.Function:
    """``fn`` (a gradient) with each eligible loop on a tape of its own.

    Tapes are created at the top, where code that reads the generated source
    back finds them: the shared one (``fn.facts["tape"]``) if still used, and
    one per replayed loop (a lone such loop takes the shared tape's name).
    """
    if not any(isinstance(s, ir.Loop) for s in ir.walk(fn.reverse)):
        return fn  # no loop to replay
    tape = fn.facts.get("tape")
    forward = [s for s in fn.body if not _creates(s, tape)]
    pushes = sum(isinstance(s, ir.Push) and s.tape == tape for s in ir.walk(forward))
    loops = {}  # key (trip counter or loop variable) -> the forward loop's record
    _find_forward(forward, tape, loops)
    replays = {}  # key -> reverse loop
    _find_reverse(fn.reverse, tape, loops, replays)
    if not replays:
        return fn
    shared = pushes > len(replays)
    namer = Namer(ir.local_names(fn))
    names = {key: (tape if not shared and len(replays) == 1 else namer.fresh("_tape"))
             for key in sorted(replays)}
    tapes = ([tape] if shared else []) + [names[key] for key in sorted(replays)]
    body = [ir.Assign(t, ir.new_tape()) for t in tapes]
    body += _rewrite_forward(forward, names)
    return replace(fn, body=tuple(body), reverse=tuple(_rewrite_reverse(fn.reverse, names, replays)))


def _creates(s, tape: str) -> bool:
    """``s`` is ``tape = []``."""
    return isinstance(s, ir.Assign) and s.target == tape and ir.is_tape(s.value)


def _outside_loops(stmts):
    """The statements of ``stmts`` and of its branches, not those inside loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _outside_loops(s.then)
            yield from _outside_loops(s.orelse)


def _find_forward(stmts, tape: str, loops: dict) -> None:
    """The loops of ``stmts`` that push one record per trip, first thing, by key."""
    for s in _outside_loops(stmts):
        if not isinstance(s, ir.Loop):
            continue
        count = s.body[0] if s.kind == "while" and s.body else None
        first = 1 if count is not None else 0
        if count is not None and not (isinstance(count, ir.Assign) and count.accumulate
                                      and count.value == ir.Const(1)):
            continue
        if len(s.body) <= first or not (isinstance(s.body[first], ir.Push)
                                        and s.body[first].tape == tape):
            continue
        rest = ir.walk(s.body[first + 1:])
        if any(isinstance(t, (ir.Push, ir.Pop)) for t in rest):
            continue
        if count is not None and any(count.target in ir.reads(t) for t in rest):
            continue
        loops[count.target if count is not None else s.var] = s.body[first].values


def _find_reverse(stmts, tape: str, loops: dict, replays: dict) -> None:
    """The reverse loops of the loops ``loops`` that can walk their tape instead."""
    for s in _outside_loops(stmts):
        if not isinstance(s, ir.Loop):
            continue
        if s.kind == "repeat" and isinstance(s.args[0], ir.Var):
            key = s.args[0].name
        elif s.kind in ("for", "reversed") and not any(
                s.var in ir.reads(t) for t in ir.walk(s.body)):
            key = s.var
        else:
            continue
        pushed = loops.get(key)
        pops = [i for i, t in enumerate(s.body) if isinstance(t, ir.Pop)]
        if pushed is None or len(pops) != 1 or s.body[pops[0]] != ir.Pop(tape, pushed):
            continue
        before = ir.walk(s.body[:pops[0]])
        if any(set(pushed) & set(ir.reads(t) + ir.writes(t)) for t in before):
            continue
        replays[key] = s


def _rewrite_forward(stmts, names: dict) -> list:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and s.target in names and s.value == ir.Const(0):
            continue  # the trip counter's start: the loop counts its tape's records
        if isinstance(s, ir.Loop) and s.kind == "while" and s.body \
                and isinstance(s.body[0], ir.Assign) and s.body[0].target in names:
            push = replace(s.body[1], tape=names[s.body[0].target])
            s = replace(s, body=(push,) + s.body[2:])
        elif isinstance(s, ir.Loop) and s.kind != "while" and s.var in names:
            s = replace(s, body=(replace(s.body[0], tape=names[s.var]),) + s.body[1:])
        elif isinstance(s, ir.If):
            s = replace(s, then=tuple(_rewrite_forward(s.then, names)),
                        orelse=tuple(_rewrite_forward(s.orelse, names)))
        out.append(s)
    return out


def _rewrite_reverse(stmts, names: dict, replays: dict) -> list:
    loops = {id(loop): key for key, loop in replays.items()}
    out = []
    for s in stmts:
        if id(s) in loops:
            tape = names[loops[id(s)]]
            pop = next(t for t in s.body if isinstance(t, ir.Pop))
            rest = tuple(t for t in s.body if t is not pop)
            s = ir.Loop("replay", None, (ir.Var(tape),), (replace(pop, tape=tape),) + rest, (),
                        s.origin)
        elif isinstance(s, ir.If):
            s = replace(s, then=tuple(_rewrite_reverse(s.then, names, replays)),
                        orelse=tuple(_rewrite_reverse(s.orelse, names, replays)))
        out.append(s)
    return out
