"""Liveness on the structured IR: which names are read after a statement before
they are assigned again.

A branch's φs take the then-side or the else-side operand at its end; a
loop's φs take their first operands on entry and their second ones at the end
of each trip, and the loop ends at its header.  A gradient runs its forward
sweep, then its reverse sweep, then reads its result.
"""

from __future__ import annotations

from . import nodes as ir


def live_after(fn: ir.Function) -> dict[int, frozenset]:
    """Per statement (by id), the names read after it before being assigned again:
    the forward sweep, then the reverse sweep, then the result."""
    return Liveness(fn).after


class Liveness:
    """The names live ``after`` and ``before`` each statement of ``fn`` (by id)."""

    def __init__(self, fn: ir.Function):
        self.after: dict[int, frozenset] = {}
        self.before: dict[int, frozenset] = {}
        end = frozenset(ir.value_reads(fn.result))
        self.block(fn.body, self.block(fn.reverse, end))

    def block(self, stmts, live: frozenset) -> frozenset:
        """The names live before ``stmts``, given those live after."""
        for s in reversed(stmts):
            self.after[id(s)] = live
            live = self.before[id(s)] = self.stmt(s, live)
        return live

    def stmt(self, s, live: frozenset) -> frozenset:
        kind = type(s)
        if kind is ir.If:
            targets = {p.target for p in s.phis}
            then = (live - targets) | _operands(s.phis, "first")
            orelse = (live - targets) | _operands(s.phis, "second")
            return self.block(s.then, then) | self.block(s.orelse, orelse) \
                | frozenset(ir.value_reads(s.cond))
        if kind is ir.Loop:
            return self.loop(s, live)
        return (live - frozenset(ir.writes(s))) | frozenset(ir.reads(s))

    def loop(self, s: ir.Loop, live: frozenset) -> frozenset:
        """A loop: its φs take their first values, then each trip runs the body and
        the φs take their second values; it ends at the header (the live set there
        is what follows the loop, or another trip)."""
        targets = frozenset(p.target for p in s.phis)
        header = live
        for _ in range(len(s.body) + 8):
            back = (header - targets) | _operands(s.phis, "second")
            body = self.block(s.body, back) - ({s.var} if s.var else set())
            wider = live | body
            if wider == header:
                break
            header = wider
        else:  # not settled (it always does: the sets only grow): everything is live
            header = header | frozenset(n for t in ir.walk(s.body) for n in ir.reads(t))
            self.block(s.body, header | _operands(s.phis, "second"))
        return (header - targets) | _operands(s.phis, "first") | frozenset(ir.value_reads(
            tuple(s.args)))


def _operands(phis, side: str) -> frozenset:
    return frozenset(n for p in phis for n in ir.value_reads(getattr(p, side)))
