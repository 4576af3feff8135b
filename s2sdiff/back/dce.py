"""Clean-up of generated IR: drop values nothing reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .. import ir
from ..ir.activity import is_list_op
from ..ir.liveness import live_after
from ..rules import is_constant, lookup, lookup_array
from ..rules.registry import generation


def _reads(value) -> set[str]:
    return set(ir.value_reads(value))


def _stmt_reads(s) -> set[str]:
    """Names one statement reads (not those of nested statements, nor φ operands:
    those are counted one φ at a time, see _read_counts)."""
    if isinstance(s, (ir.If, ir.Loop)):
        return _reads(s.cond if isinstance(s, ir.If) else tuple(s.args))
    return set(ir.reads(s))


def _read_counts(fn: ir.Function) -> Counter:
    """How many statements (and φs, one by one) read each name."""
    counts = Counter(_reads(fn.result))
    for s in ir.walk(fn.statements):
        for n in _stmt_reads(s):  # faster than Counter.update for a few names
            counts[n] += 1
        if isinstance(s, (ir.If, ir.Loop)):
            for p in s.phis:
                for n in _reads(p.first) | _reads(p.second):
                    counts[n] += 1
    return counts


def is_pure(value) -> bool:
    """True when computing ``value`` changes nothing (it may be dropped or moved)."""
    return all(map(_pure_op, ir.expr.ops(value)))


def _pure_op(op: ir.Op) -> bool:
    if op.syntax == "tape":
        return False  # a new list each time: the one a tape refers to
    if op.syntax != "call" or type(op.fn) is ir.Callee:
        return True  # operators, items, a list nothing reads (appends read it), user functions
    key = (id(op.fn), len(op.args), generation())  # remembered while no rule is registered
    known = _PURE_CALLS.get(key)
    if known is None or known[0] is not op.fn:
        if len(_PURE_CALLS) > 10_000:
            _PURE_CALLS.clear()
        known = _PURE_CALLS[key] = (op.fn, _pure_call(op))
    return known[1]


_PURE_CALLS: dict = {}  # (id(fn), number of arguments, rules generation) -> (fn, pure)


def _pure_call(op: ir.Op) -> bool:
    if getattr(op.fn, "__s2sdiff_assert__", False) or getattr(op.fn, "__s2sdiff_check__", False):
        return False  # an ``assert``, a helper checking its arguments: kept for the check
    if lookup_array(op.fn) is not None or is_list_op(op) or is_constant(op.fn):
        return True
    return getattr(op.fn, "__s2sdiff_helper__", False) or any(op.fn is f for f in _PURE) \
        or lookup(op.fn, len(op.args)) is not None


_PURE = (len, float, int, sum, abs, min, max, slice, range)


def eliminate_dead_code(fn: ir.Function) -> ir.Function:
    """Remove assignments and φs whose values nothing reads (repeated to a fixpoint)."""
    if not any(isinstance(s, (ir.If, ir.Loop, ir.Pop)) for s in fn.statements):
        return _straight_line(fn)
    counts = _read_counts(fn)
    while True:
        sweep = _Sweep(counts)
        reverse = sweep.block(fn.reverse)  # backwards: the reverse sweep runs last
        fn = replace(fn, body=sweep.block(fn.body), reverse=reverse)
        if not sweep.again:
            return _unread_pops(fn, counts)


def _straight_line(fn: ir.Function) -> ir.Function:
    """Dead-code elimination of a body without branches, loops or pops: one backward
    pass, an assignment kept when a later statement (or the result) reads it."""
    live = set(_reads(fn.result))

    def sweep(stmts) -> tuple:
        kept = []
        for s in reversed(stmts):
            if isinstance(s, ir.Assign) and not s.accumulate and s.target not in live \
                    and isinstance(s.target, str) and is_pure(s.value):
                continue
            if isinstance(s, ir.Unpack) and live.isdisjoint(s.names) and is_pure(s.value):
                continue
            live.update(ir.reads(s))
            kept.append(s)
        return tuple(reversed(kept)) if len(kept) != len(stmts) else stmts

    reverse = sweep(fn.reverse)
    body = sweep(fn.body)
    if body is fn.body and reverse is fn.reverse:
        return fn
    return replace(fn, body=body, reverse=reverse)


def _unread_pops(fn: ir.Function, counts: dict[str, int]) -> ir.Function:
    """A popped value nothing reads gets an underscore name (``_v = _tape.pop()``),
    as linters expect; the pop itself stays, to keep the tape in step."""
    stmts = ir.walk(fn.statements)
    popped = {v for s in stmts if isinstance(s, ir.Pop) for v in s.values}
    if all(counts.get(v) or v.startswith("_") for v in popped):
        return fn
    taken = {s.target for s in stmts if isinstance(s, ir.Assign)} | set(fn.params) | popped

    def quiet(v: str) -> str:
        if counts.get(v) or v.startswith("_"):
            return v
        name = "_" + v
        while name in taken:
            name = "_" + name
        taken.add(name)
        return name

    def body(stmts) -> tuple:
        out = []
        for s in stmts:
            if isinstance(s, ir.Pop) and len(s.values) == 1:
                s = replace(s, values=(quiet(s.values[0]),))
            elif isinstance(s, ir.If):
                s = replace(s, then=body(s.then), orelse=body(s.orelse))
            elif isinstance(s, ir.Loop):
                s = replace(s, body=body(s.body))
            out.append(s)
        return tuple(out)

    return replace(fn, body=body(fn.body), reverse=body(fn.reverse))


class _Sweep:
    """One backward pass: it drops what nothing reads, then what only that read.  A
    value left unread that the pass already went by (a loop's) asks for ``again``."""

    def __init__(self, counts: Counter):
        self.counts = counts
        self.seen: set[str] = set()  # the values of the statements gone by
        self.again = False

    def drop(self, reads: set[str]) -> None:
        for n in reads:
            self.counts[n] -= 1
            if not self.counts[n] and n in self.seen:
                self.again = True

    def block(self, body) -> tuple:
        out = [s for s in map(self.stmt, reversed(body)) if s is not None]
        out.reverse()
        return tuple(out)

    def stmt(self, s):
        counts = self.counts
        if isinstance(s, ir.Assign):
            if not s.accumulate and isinstance(s.target, str) and not counts.get(s.target) \
                    and is_pure(s.value):
                self.drop(_stmt_reads(s))
                return None
            self.seen.add(s.target)
            return s
        if isinstance(s, ir.Unpack):
            if not any(counts.get(n) for n in s.names) and is_pure(s.value):
                self.drop(_stmt_reads(s))
                return None
            self.seen.update(s.names)
            return s
        if not isinstance(s, (ir.If, ir.Loop)):
            return s
        phis = []
        for p in s.phis:
            if counts.get(p.target):
                phis.append(p)
                self.seen.add(p.target)
            else:
                self.drop(_reads(p.first) | _reads(p.second))
        if isinstance(s, ir.Loop):
            return replace(s, body=self.block(s.body), phis=tuple(phis))
        then, orelse = self.block(s.then), self.block(s.orelse)
        if not then and not orelse and not phis:
            self.drop(_reads(s.cond))
            return None
        return replace(s, then=then, orelse=orelse, phis=tuple(phis))


def unread_records(fn: ir.Function) -> ir.Function:
    """``fn`` without the values its own tapes record that nothing reads once popped
    (``buffers`` may leave some: an array kept only for its shape; the value an
    item write wrote); a push and pop left with nothing go.  A pop names the values
    its push named (it binds them again), so a record is known by the tape and
    those names.  A tape that leaves the function (returned, or read otherwise),
    or whose pushes and pops do not name the same records, stays whole."""
    stmts = ir.walk(fn.statements)
    tapes = {s.target for s in stmts if type(s) is ir.Assign and ir.is_tape(s.value)}
    tapes -= {n for s in stmts if type(s) not in (ir.Push, ir.Pop) for n in ir.reads(s)}
    tapes -= set(_reads(fn.result))
    pushed = {(s.tape, s.values) for s in stmts if type(s) is ir.Push and s.tape in tapes}
    popped = {(s.tape, s.values) for s in stmts if type(s) is ir.Pop and s.tape in tapes}
    tapes -= {t for t, _ in pushed ^ popped}  # a record pushed and popped under other names
    pops = [s for s in stmts if type(s) is ir.Pop and s.tape in tapes]
    if not pops:
        return fn
    after = live_after(fn)
    records = {(s.tape, s.values, v) for s in pops for v in s.values}
    unread = records - {(s.tape, s.values, v) for s in pops for v in s.values
                        if v in after[id(s)]}
    if not unread:
        return fn

    def kept(s):
        if type(s) not in (ir.Push, ir.Pop) or s.tape not in tapes:
            return s
        values = tuple(v for v in s.values if (s.tape, s.values, v) not in unread)
        return replace(s, values=values) if values else ()

    return replace(fn, body=ir.map_statements(fn.body, kept),
                   reverse=ir.map_statements(fn.reverse, kept))
