"""To-be-recorded: what a gradient's forward sweep tapes for its reverse sweep.

A loop overwrites, on each trip, the values its body defines and its header
values.  The reverse of a trip reads some of them (``Reads``: what the
reverse emitter's adjoints read); those the forward sweep pushes at the end
of the block that defines them (a loop body, or a branch inside a loop), and
the reverse of the block pops them first thing.  Header values the reverse of
a body reads are pushed with them, or at the start of the body when they are
all it pushes; the block around the loop does not tape them too where only
the reverse of that body reads them (it pops them first).  A value a few
cheap operations compute again from values the reverse holds anyway is
recomputed there instead of taped: a block whose every needed value costs at
most 4 (``+ - * /`` and comparisons 1 each, a one-argument ``math`` call 2)
pops nothing; else, in a loop body, values of cost 1 are recomputed one by
one.  Array code is always taped.

``recording`` is a pure function of the forward IR and the reads; the
emitter reads its result (``Taped`` per block) to write both sweeps.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field, replace

from . import nodes as ir


@dataclass(frozen=True)
class Reads:
    """What the reverse sweep reads of the forward values, and the names the
    emitter adds to the forward sweep.

    ``top``: what the reverse sweep reads outside every loop body.  ``loops``: per
    loop the reverse sweep runs (by id), what the reverse of its body reads outside
    the bodies of the loops nested in it.  ``branches``: the ``If`` statements it
    runs (by id).  ``records``: per call split into a forward and a backward
    function (by id), the record its forward returns.  ``counters``: per ``while``
    loop (by id), its trip counter.
    """

    top: frozenset
    loops: dict = field(default_factory=dict)
    branches: frozenset = frozenset()
    records: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)

    @property
    def everywhere(self) -> frozenset:
        """Every value the reverse sweep reads."""
        return self.top.union(*self.loops.values())


@dataclass(frozen=True)
class Taped:
    """What one block inside a loop records: the forward sweep pushes ``headers``
    (header values of a loop body) and ``values`` (defined by the block), the
    reverse of the block pops them, then runs ``recomputed`` (definitions of the
    block, computed again instead of taped)."""

    headers: tuple = ()
    values: tuple = ()
    recomputed: tuple = ()

    @property
    def popped(self) -> tuple:
        return self.headers + self.values


def recording(fn: ir.Function, reads: Reads, arrays: bool) -> dict:
    """Per block inside a loop that the reverse sweep runs, keyed ``(id(stmt), side)``
    (a loop's body: side 0; a branch: 0 for ``then``, 1 for ``orelse``), its ``Taped``."""
    return _Recording(fn, reads, arrays).found


_CHEAP = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
          operator.lt, operator.le, operator.gt, operator.ge}
_CALLS = {math.exp, math.sin, math.cos, math.tan, math.sinh, math.cosh, math.tanh, math.atan,
          math.sqrt, math.log, math.expm1, math.log1p}


def _cost(value) -> int | None:
    """The cost of computing ``value`` again in reverse (None: tape it instead)."""
    if not isinstance(value, ir.Op):
        return None
    if value.fn in _CHEAP:
        return 1
    return 2 if value.fn in _CALLS and len(value.args) == 1 else None


def overwritten(loop: ir.Loop) -> set[str]:
    """Values a loop overwrites on each trip: what its body defines, its header values."""
    return {n for s in ir.walk(loop.body) for n in ir.writes(s)} | {p.target for p in loop.phis}


class _Recording:
    def __init__(self, fn: ir.Function, reads: Reads, arrays: bool):
        self.reads = reads
        self.arrays = arrays
        self.found: dict = {}
        if not reads.loops:
            return
        walked = ir.walk(fn.body)
        self.definitions = {s.target: s for s in walked if type(s) is ir.Assign}
        self.within: dict[int, set[int]] = {}  # per loop reversed: those in its body, and it
        self.nest(fn.body, ())
        self.inside = {key: frozenset().union(*(reads.loops[k] for k in keys))
                       for key, keys in self.within.items()}  # what its body's reverse reads
        self.needed = self.held(walked)
        loops = [s for s in walked if type(s) is ir.Loop]
        self.block(fn.body, ir.local_names(fn).difference(*map(overwritten, loops)), 0)

    def nest(self, stmts, outer: tuple) -> None:
        """Note, for each loop the reverse sweep runs, those nested in its body."""
        for s in stmts:
            kind = type(s)
            if kind is ir.If:
                self.nest(s.then, outer)
                self.nest(s.orelse, outer)
            elif kind is ir.Loop and id(s) in self.reads.loops:
                for key in outer:
                    self.within[key].add(id(s))
                self.within[id(s)] = {id(s)}
                self.nest(s.body, outer + (id(s),))

    def held(self, walked) -> set[str]:
        """The values the reverse sweep reads where they hold the value the forward
        sweep gave them: all it reads, but a loop's header value read only in the
        reverse of the loop's body (which pops it first)."""
        loops, top = self.reads.loops, self.reads.top
        needed = set(self.reads.everywhere)
        for s in walked:
            if type(s) is not ir.Loop or id(s) not in loops:
                continue
            for p in s.phis:
                h = p.target
                if h in self.inside[id(s)] and h not in top and not any(
                        h in reads for key, reads in loops.items()
                        if key not in self.within[id(s)]):
                    needed.discard(h)
        return needed

    def block(self, stmts, available: set[str], depth: int) -> None:
        """Visit the blocks nested in ``stmts``; ``available``: the values that hold
        their forward value in the reverse of ``stmts`` (defined outside every loop,
        or popped or recomputed by an enclosing block)."""
        for s in stmts:
            kind = type(s)
            if kind is ir.If and id(s) in self.reads.branches:
                for side, branch in enumerate((s.then, s.orelse)):
                    inner = self.taped(branch, None, (id(s), side), available) if depth \
                        else available
                    self.block(branch, inner, depth)
            elif kind is ir.Loop and id(s) in self.reads.loops:
                inner = self.taped(s.body, s, (id(s), 0), available)
                self.block(s.body, inner, depth + 1)

    def taped(self, stmts, loop: ir.Loop | None, key: tuple, available: set[str]) -> set[str]:
        """Record what block ``stmts`` (the body of ``loop``, or a branch: None) tapes
        and recomputes; return the values available in its reverse."""
        if loop is not None:
            entering = (available - overwritten(loop)) | ({loop.var} if loop.var else set())
            body_reads = self.inside[id(loop)]
            headers = [p.target for p in loop.phis if p.target in body_reads]
        else:
            entering, headers = available, []
        block = self.defined(stmts)
        needed = [n for n in block if n in self.needed]
        remat = []
        if needed and not headers:  # a pop of values a call or two computes: none at all
            remat = self.recomputable(block, needed, entering, budget=4)
            if not set(needed) <= set(remat):
                remat = []
        if not remat and loop is not None:
            remat = self.recomputable(block, needed, entering | set(headers), budget=1)
        values = tuple(n for n in needed if n not in remat)
        if headers or values or remat:
            again = tuple(replace(self.definitions[n], comment="") for n in remat)
            self.found[key] = Taped(tuple(headers), values, again)
        return entering | set(headers) | set(needed)

    def defined(self, stmts) -> list[str]:
        """The values block ``stmts`` defines, in order (with the emitter's records
        and trip counters)."""
        names = []
        for s in stmts:
            kind = type(s)
            record = self.reads.records.get(id(s))
            if record is not None:
                names.append(record)
            if kind is ir.Assign:
                names.append(s.target)
            elif kind is ir.Unpack:
                names += s.names
            elif kind is ir.If:
                names += [p.target for p in s.phis]
            elif kind is ir.Loop:
                names += [p.target for p in s.phis]
                if id(s) in self.reads.counters:
                    names.append(self.reads.counters[id(s)])
            elif kind is ir.Pop:
                names += list(s.values)
        return names

    def recomputable(self, block: list[str], needed: list[str], available: set[str],
                     budget: int) -> list[str]:
        """Values of a block cheaper to compute again in reverse than to tape, in block
        order: chains of ops of ``block`` that cost at most ``budget`` on values that
        are there anyway (popped with them, or ``available``)."""
        if self.arrays:
            return []
        free = set(available)  # and, as they come, the needed values popped
        wanted = set(needed)
        cost: dict[str, int] = {}
        for n in block:
            s = self.definitions.get(n)
            own = _cost(s.value) if s is not None else None
            if own is None:
                free |= {n} & wanted
                continue
            operands = [a.name for a in s.value.args if isinstance(a, ir.Var)]
            total = own + sum(cost.get(a, 0) for a in set(operands) if a not in free)
            if total <= budget and all(a in free or a in cost for a in operands):
                cost[n] = total
            else:
                free |= {n} & wanted
        chosen = {n for n in needed if n in cost}
        for n in reversed(block):  # and the values they are computed from
            if n in chosen:
                chosen |= {a.name for a in self.definitions[n].value.args
                           if isinstance(a, ir.Var) and a.name in cost and a.name not in free}
        return [n for n in block if n in chosen]
