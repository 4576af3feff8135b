"""Which assignments of generated IR are written into their single use.

Three-address form names every intermediate value (``_t1 = y * a``).  In the
printed code a temporary read exactly once, later in the same block, with
nothing in between writing what it reads, is better written where it is
used: ``y_1 = y * a + math.sin(y * x)`` reads like the user's line and runs
faster.  A user's name is kept, except that an SSA version whose only use is
a φ copy (``t_3 = t_1``, or a loop's entry copy ``a_1 = a``) is computed into
the copy's target directly.

At most ``MAX_DEPTH`` values are folded one into another, so a sum of
100,000 terms prints as lines of bounded depth (Python's own parser and
compiler recurse into an expression).

This module only decides; ``codegen`` prints.  The decision is a pure
function of the IR: ``plan(fn)`` gives the ``id`` of each assignment to fold.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from .. import ir
from .dce import is_pure

_TEMPORARY = re.compile(r"_(t|cond)\d+(_bar|_dot)?$")
MAX_DEPTH = 40  # values folded into one another at most: long sums become several lines
FOLDABLE = {"call", "u-", "unot", "+", "-", "*", "/", "**", "//", "%", "@",
            "<", "<=", ">", ">=", "==", "!="}


def plan(fn: ir.Function) -> set[int]:
    """The ids of the assignments of ``fn`` to print inside their single use.

    Gradient code is counted in two parts, the forward pass and the reverse
    pass: a value the reverse pass computes again (instead of taping it) is
    read there from its own assignment, not the forward one.
    """
    planner = _Planner()
    forward, reverse = planner.counts(fn.body), planner.counts(fn.reverse, fn.result)
    planner.part(forward, reverse)
    planner.block(fn.body, ())
    planner.part(reverse, None)
    planner.block(fn.reverse, ())
    return planner.folded


_names = ir.value_reads
_reads = ir.reads


def _defines(s) -> list[str]:
    """Names one statement (not its nested ones) assigns or mutates."""
    if isinstance(s, ir.Assign):
        return [s.target if type(s.target) is str else s.target.name]
    if isinstance(s, ir.Unpack):
        return s.names
    if isinstance(s, ir.Pop):
        return list(s.values) + [s.tape]
    if isinstance(s, ir.Push):
        return [s.tape]
    if isinstance(s, ir.Append):
        return [s.target]
    if isinstance(s, (ir.If, ir.Loop)):
        return [p.target for p in s.phis] + ([s.var] if isinstance(s, ir.Loop) and s.var else [])
    return []


def _use_sites(s, reads: list[str]) -> list[str]:
    """Names read by ``s`` where a folded value can be written (``reads``: all it reads)."""
    if isinstance(s, ir.Assign) and isinstance(s.target, str):
        v = s.value
        if isinstance(v, (ir.Var, ir.Op)) and not ir.is_tape(v):
            return reads[:-1] if s.accumulate else reads  # not the target of ``+=``
    if isinstance(s, ir.Assign) and isinstance(s.value, (ir.Var, ir.Op)):
        return reads[:len(ir.value_reads(s.value))]  # ``x_bar[i] += …``: its value only
    if isinstance(s, ir.Unpack):
        return reads
    if isinstance(s, ir.If) and isinstance(s.cond, ir.Var):
        return [s.cond.name]
    return []


def _foldable_value(v) -> bool:
    if isinstance(v, ir.Op):
        return v.syntax not in _KEPT and is_pure(v)
    return isinstance(v, ir.Var)


_KEPT = {"tape", "list", "tuple"}  # values written on a line of their own


class _Planner:
    def __init__(self):
        self.reads: Counter = Counter()
        self.writes: Counter = Counter()
        self.later: tuple[Counter, Counter] | None = None  # counts of the part after this one
        self.folded: set[int] = set()
        self.effective: dict[str, set[str]] = {}  # what a folded value reads, transitively
        self.depth: dict[str, int] = {}  # how many folded values nest in a folded value
        self.seen: dict[int, tuple] = {}  # id(statement) -> (use sites, reads, defines)
        self.own: dict[int, tuple] = {}  # id(statement) -> its own (reads, defines)

    def own_names(self, s) -> tuple[list[str], list[str]]:
        """What ``s`` itself (not its nested statements) reads and defines."""
        known = self.own.get(id(s))
        if known is None:
            known = self.own[id(s)] = (_reads(s), _defines(s))
        return known

    def counts(self, body, result=None) -> tuple[Counter, Counter]:
        """How often each name is read and assigned in ``body`` (and ``result``)."""
        read = _names(result)
        written = []
        own = self.own
        assign = ir.Assign
        for s in ir.walk(body):
            names = _reads(s)
            defines = [s.target] if type(s) is assign and type(s.target) is str \
                else _defines(s)
            own[id(s)] = (names, defines)
            read += names
            written += defines
        return Counter(read), Counter(written)  # counted in one call: faster than per name

    def part(self, counts: tuple[Counter, Counter], later) -> None:
        self.reads, self.writes = counts
        self.later = later

    def block(self, stmts, tail) -> None:
        """Plan one block; ``tail``: the (target, atom) φ copies that end it."""
        copied = {v.name for _, v in tail if type(v) is ir.Var}  # and into loops' entries:
        copied.update(p.first.name for t in stmts if type(t) is ir.Loop for p in t.phis
                      if type(p.first) is ir.Var)
        for i, s in enumerate(stmts):
            if isinstance(s, ir.If):
                self.block(s.then, [(p.target, p.first) for p in s.phis])
                self.block(s.orelse, [(p.target, p.second) for p in s.phis])
            elif isinstance(s, ir.Loop):
                self.block(s.body, [(p.target, p.second) for p in s.phis])
            elif self.candidate(s, copied):
                needs = self.needs(s)
                if self.used_once_later(s.target, needs, stmts, i + 1, tail):
                    depth = self.nesting(s)
                    if depth <= MAX_DEPTH:
                        self.folded.add(id(s))
                        self.effective[s.target] = needs
                        self.depth[s.target] = depth

    def candidate(self, s, copied: set) -> bool:
        if not (isinstance(s, ir.Assign) and not s.accumulate and isinstance(s.target, str)):
            return False
        name = s.target  # (``get``: a Counter's missing keys go through a Python method)
        if self.reads.get(name) != 1 or self.writes.get(name) != 1:
            return False
        if self.later is not None:
            later_reads, later_writes = self.later
            if later_reads.get(name) and not later_writes.get(name):
                return False
        if name not in copied and not _TEMPORARY.match(name):
            return False  # a user's name is folded only into the φ copy that reads it
        return _foldable_value(s.value)  # the costliest test last

    def nesting(self, s: ir.Assign) -> int:
        """1 + the most values folded one into another among those ``s`` reads."""
        depth, known = 0, self.depth
        for n in self.own_names(s)[0]:
            d = known.get(n, 0)
            if d > depth:
                depth = d
        return depth + 1

    def needs(self, s: ir.Assign) -> set[str]:
        """What the value of candidate ``s`` reads, through the values folded into it."""
        effective = self.effective
        out: set[str] = set()
        for n in self.own_names(s)[0]:
            out |= effective.get(n) or {n}
        return out

    def used_once_later(self, name: str, needs: set[str], stmts, start: int, tail) -> bool:
        """Is the one read of ``name`` a use site in ``stmts[start:]`` (or its φ
        copies), with nothing written in between that its value reads (``needs``)?"""
        written: set[str] = set()
        temporary = bool(_TEMPORARY.match(name))
        own = self.own
        for j in range(start, len(stmts)):
            t = stmts[j]
            if type(t) is ir.Assign:  # its use sites without building sets
                reads, defines = own[id(t)]
                if name in reads:
                    return temporary and name in _use_sites(t, reads) and not (written & needs)
                written.update(defines)
                continue
            uses, reads, defines = self.summary(t)
            if name in uses:
                return temporary and not (written & needs)
            if name in reads and type(t) is ir.Loop:  # computed into the loop's entry copy
                entry = [(p.target, p.first) for p in t.phis]
                return not (written & needs) and _into_copy(name, needs, entry)
            if name in reads:
                return False
            written |= defines
        return not (written & needs) and _into_copy(name, needs, tail)

    def summary(self, t) -> tuple:
        """The use sites of ``t``, and what it and its nested statements read and
        define (computed once per statement: later candidates look at it again)."""
        known = self.seen.get(id(t))
        if known is None:
            reads, defines = self.own_names(t)
            uses = set(_use_sites(t, reads))
            if isinstance(t, (ir.If, ir.Loop)):
                nested = [self.own_names(sub) for sub in ir.walk([t])]
                known = (uses, {n for r, _ in nested for n in r}, {n for _, d in nested for n in d})
            else:
                known = (uses, set(reads), set(defines))
            self.seen[id(t)] = known
        return known


def _into_copy(name: str, needs: set[str], tail) -> bool:
    """Can one of the φ copies ``tail`` take ``name``'s value in its place, the copies
    still written one after another?  Not if a copy before it assigns what it reads."""
    earlier: set[str] = set()
    found = False
    for target, value in tail:
        mine = value == ir.Var(name)
        reads = needs if mine else ({value.name} if isinstance(value, ir.Var) else set())
        if reads & earlier:
            return False
        found |= mine
        earlier.add(target)
    return found


def while_headers(fn: ir.Function) -> ir.Function:
    """``fn`` with each ``while`` loop whose condition flag is one operation on the
    loop's values written as ``while <operation>:`` (the flag, its copies and its
    computation at the end of the body dropped)."""
    stmts = ir.walk(fn.statements)
    if not any(isinstance(s, ir.Loop) and s.kind == "while" for s in stmts):
        return fn
    reads = read_counts(fn, stmts)
    definitions = {s.target: s for s in stmts if isinstance(s, ir.Assign)}
    dropped: set[int] = set()

    def rewrite(block):
        return _each_loop(block, lambda loop: _while_header(loop, reads, definitions, dropped) or loop)

    body, reverse = rewrite(fn.body), rewrite(fn.reverse)
    if not dropped:
        return fn
    return replace(fn, body=_without(body, dropped), reverse=_without(reverse, dropped))


def read_counts(fn: ir.Function, stmts=None) -> Counter:
    """How often each name is read in ``fn`` (``stmts``: ``ir.walk(fn.statements)``, if known)."""
    reads: Counter = Counter(_names(fn.result))
    for s in ir.walk(fn.statements) if stmts is None else stmts:
        reads.update(_reads(s))
    return reads


def _each_loop(stmts, change) -> tuple:
    """``stmts`` with ``change(loop)`` applied to every loop, inner loops first."""
    out = []
    for s in stmts:
        if isinstance(s, ir.If):
            s = replace(s, then=_each_loop(s.then, change), orelse=_each_loop(s.orelse, change))
        elif isinstance(s, ir.Loop):
            s = change(replace(s, body=_each_loop(s.body, change)))
        out.append(s)
    return tuple(out)


def _without(stmts, dropped: set[int]) -> tuple:
    out = []
    for s in stmts:
        if id(s) in dropped:
            continue
        if isinstance(s, ir.If):
            s = replace(s, then=_without(s.then, dropped), orelse=_without(s.orelse, dropped))
        elif isinstance(s, ir.Loop):
            s = replace(s, body=_without(s.body, dropped))
        out.append(s)
    return tuple(out)


def _while_header(loop: ir.Loop, reads: Counter, definitions: dict, dropped: set[int]):
    """The loop with its condition in the header, or None if it cannot be written so."""
    if loop.kind != "while" or len(loop.args) != 1 or not isinstance(loop.args[0], ir.Var):
        return None
    flag = loop.args[0].name
    phi = next((p for p in loop.phis if p.target == flag), None)
    if phi is None or not isinstance(phi.second, ir.Var) or reads[flag] != 1:
        return None
    nxt = next((s for s in loop.body if isinstance(s, ir.Assign) and s.target == phi.second.name), None)
    if nxt is None or nxt.accumulate or reads[nxt.target] != 1 or not isinstance(nxt.value, ir.Op) \
            or nxt.value.syntax not in FOLDABLE or not is_pure(nxt.value):
        return None
    test = _at_header(nxt.value, loop)
    if test is None or not _starts_true_to(test, phi.first, loop, definitions):
        return None
    dropped.add(id(nxt))
    first = definitions.get(phi.first.name) if isinstance(phi.first, ir.Var) else None
    if first is not None and reads[first.target] == 1:
        dropped.add(id(first))
    return replace(loop, args=(test,), phis=tuple(p for p in loop.phis if p is not phi))


def _at_header(op: ir.Op, loop: ir.Loop) -> ir.Op | None:
    """``op``, computed at the end of the body, in terms of the loop's values at the
    next test: a next value becomes its φ; values from outside the loop stay."""
    nexts = {p.second.name: p.target for p in loop.phis if isinstance(p.second, ir.Var)}
    inside = {p.target for p in loop.phis} | {n for s in ir.walk(loop.body) for n in _defines(s)}
    args = []
    for a in op.args:
        if isinstance(a, ir.Var) and a.name in nexts:
            a = ir.Var(nexts[a.name])
        elif isinstance(a, ir.Var) and a.name in inside:
            return None
        args.append(a)
    if any(isinstance(v, ir.Var) and v.name in inside for _, v in op.kwargs):
        return None
    return replace(op, args=tuple(args))


def _starts_true_to(test: ir.Op, first, loop: ir.Loop, definitions: dict) -> bool:
    """Does ``test`` on the loop's first values give the flag's first value?"""
    firsts = {p.target: p.first for p in loop.phis}
    args = tuple(firsts.get(a.name, a) if isinstance(a, ir.Var) else a for a in test.args)
    if isinstance(first, ir.Var):
        d = definitions.get(first.name)
        return d is not None and not d.accumulate and isinstance(d.value, ir.Op) \
            and d.value.fn is test.fn and d.value.syntax == test.syntax \
            and d.value.kwargs == test.kwargs and d.value.args == args
    if not isinstance(first, ir.Const) or not all(isinstance(a, ir.Const) for a in args) or test.kwargs:
        return False
    try:
        return bool(test.fn(*(a.value for a in args))) == bool(first.value)
    except Exception:  # noqa: BLE001 - a test that fails on constants is not rewritten
        return False


def branch_results(fn: ir.Function) -> ir.Function:
    """``fn`` with each loop whose body ends by choosing a carried value in an ``if``
    written so that the branches assign the variable itself: ``t = t * y`` in
    each branch, instead of ``t_3 = t * y`` and a copy ``t = t_3`` at the end.

    The ``if``'s result (read only by the loop's copy) takes the loop's name when
    nothing after the ``if`` reads that name's old value.  Likewise an ``if``
    ending a branch of another, whose result only that one's copies read
    (``elif`` chains), assigns the outer result: ``r_6 = …`` in each branch,
    not ``r_5 = …`` then ``r_6 = r_5``.
    """
    stmts = ir.walk(fn.statements)
    kinds = set(map(type, stmts))
    if ir.Loop not in kinds and ir.If not in kinds:
        return fn
    reads = read_counts(fn, stmts)
    renamed: dict[str, str] = {}

    def rewrite(block):
        block = _each_loop(block, lambda loop: _branch_results(loop, reads, renamed))
        return _nested_results(block, reads, renamed)

    body, reverse = rewrite(fn.body), rewrite(fn.reverse)
    return fn if not renamed else replace(fn, body=body, reverse=reverse)


def _nested_results(stmts, reads: Counter, renamed: dict) -> tuple:
    """``stmts`` with each ``if`` that ends a branch of an outer ``if`` assigning the
    outer results its own feed (outer ``if``s first, so chains collapse)."""
    out = []
    for s in stmts:
        if isinstance(s, ir.If):
            s = _into_outer(s, reads, renamed)
            s = replace(s, then=_nested_results(s.then, reads, renamed),
                        orelse=_nested_results(s.orelse, reads, renamed))
        elif isinstance(s, ir.Loop):
            s = replace(s, body=_nested_results(s.body, reads, renamed))
        out.append(s)
    return tuple(out)


def _into_outer(s: ir.If, reads: Counter, renamed: dict) -> ir.If:
    """``s`` with the last ``if`` of each branch renaming a result that only ``s``'s
    copy reads to ``s``'s result, when nothing in ``s`` reads that result's name
    (a loop's carried name may be read there: then it stays)."""
    inside = {n for t in ir.walk([s]) for n in _reads(t)}
    phis = list(s.phis)
    blocks = {"first": list(s.then), "second": list(s.orelse)}
    for side, block in blocks.items():
        if not block or not isinstance(block[-1], ir.If):
            continue
        inner = block[-1]
        inner_phis = list(inner.phis)
        for k, phi in enumerate(phis):
            operand = getattr(phi, side)
            if not isinstance(operand, ir.Var) or reads[operand.name] != 1 \
                    or phi.target in inside:
                continue
            for m, q in enumerate(inner_phis):
                if q.target == operand.name:
                    inner_phis[m] = replace(q, target=phi.target)
                    phis[k] = phi = replace(phi, **{side: ir.Var(phi.target)})
                    renamed[operand.name] = phi.target
        block[-1] = replace(inner, phis=tuple(inner_phis))
    return replace(s, then=tuple(blocks["first"]), orelse=tuple(blocks["second"]),
                   phis=tuple(phis))


def _branch_results(loop: ir.Loop, reads: Counter, renamed: dict) -> ir.Loop:
    body = list(loop.body)
    phis = list(loop.phis)
    for i, s in enumerate(body):
        if not isinstance(s, ir.If) or not s.phis:
            continue
        after = {n for t in ir.walk(body[i + 1:]) for n in _reads(t)}
        for k, phi in enumerate(phis):
            chosen = phi.second.name if isinstance(phi.second, ir.Var) else None
            mine = [p for p in s.phis if p.target == chosen]
            if not mine or reads[chosen] != 1 or phi.target in after \
                    or any(q is not phi and phi.target in _names((q.second,)) for q in phis):
                continue
            s = body[i] = replace(s, phis=tuple(
                replace(p, target=phi.target) if p.target == chosen else p for p in s.phis))
            phis[k] = replace(phi, second=ir.Var(phi.target))
            renamed[chosen] = phi.target
    return replace(loop, body=tuple(body), phis=tuple(phis))
