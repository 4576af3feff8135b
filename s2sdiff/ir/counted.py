"""``while`` loops that count to a constant, as the ``for`` loops they are.

``k = 0; while k < 100: …; k = k + 1`` runs a number of times known before
it starts.  Written ``for k in range(100): …`` its derivatives need no flag,
no count of trips, and (for Numba) a tape of known length, an array.  A loop
is rewritten when, in its SSA form:

- its test is ``k_next < bound`` or ``k_next <= bound`` (nothing else: a
  ``break`` would be part of it), ``bound`` an integer constant;
- ``k_next = k + step`` (``step`` a positive integer constant) is computed in
  the loop body itself, not in a branch, from the counter's value at the
  header, ``k = φ(k0, k_next)``, ``k0`` an integer constant;
- the test at entry is the constant it must be, and the counter is not read
  after the loop (its value there would be the one past the end).

The counter becomes the loop variable (``range(k0, bound, step)``); ``k_next``
stays where the body reads it.  A pure pass over the SSA IR.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import replace

from . import nodes as ir

_TESTS = {"<": 0, "<=": 1}  # test → what the bound's range end adds


def counted(fn: ir.Function) -> ir.Function:
    """``fn`` with each ``while`` loop that counts to a constant written as a ``for``."""
    stmts = ir.walk(fn.body)
    if not any(type(s) is ir.Loop and s.kind == "while" for s in stmts):
        return fn
    reads = Counter(ir.value_reads(fn.result))
    for s in stmts:
        reads.update(ir.reads(s))
    body = _block(fn.body, reads)
    return fn if body == fn.body else replace(fn, body=body)


def _block(stmts, reads: Counter) -> tuple:
    out = []
    for s in stmts:
        if type(s) is ir.If:
            s = replace(s, then=_block(s.then, reads), orelse=_block(s.orelse, reads))
        elif type(s) is ir.Loop:
            s = replace(s, body=_block(s.body, reads))
            if s.kind == "while":
                s = _as_for(s, reads) or s
        out.append(s)
    return tuple(out)


def _as_for(loop: ir.Loop, reads: Counter) -> ir.Loop | None:
    """``loop`` as a ``for`` loop over its counter, or None if it is not one."""
    if len(loop.args) != 1 or type(loop.args[0]) is not ir.Var:
        return None
    phis = {p.target: p for p in loop.phis}
    flag = phis.get(loop.args[0].name)
    if flag is None or type(flag.second) is not ir.Var or reads[flag.target] != 1:
        return None
    defined = {s.target: s for s in loop.body
               if type(s) is ir.Assign and type(s.target) is str and not s.accumulate}
    test = defined.get(flag.second.name)
    if test is None or reads[test.target] != 1 or type(test.value) is not ir.Op \
            or test.value.syntax not in _TESTS:
        return None
    following, bound = test.value.args
    if type(following) is not ir.Var or not _integer(bound):
        return None
    step = _step(defined.get(following.name), phis)
    if step is None:
        return None
    counter, size = step
    start = phis[counter].first
    if not _integer(start):
        return None
    trips = range(start.value, bound.value + _TESTS[test.value.syntax], size)
    inside = Counter(n for s in ir.walk(loop.body) for n in ir.reads(s))
    if flag.first != ir.Const(len(trips) > 0) or reads[counter] != inside[counter]:
        return None  # a test at entry that is not the count's, or the counter read after
    dropped = {flag.target, counter}
    body = tuple(s for s in loop.body if s is not test
                 and not (s is defined[following.name] and reads[following.name] == 2))
    return ir.Loop("for", counter, _range_args(trips), body,
                   tuple(p for p in loop.phis if p.target not in dropped), loop.origin)


def _range_args(trips: range) -> tuple:
    """The arguments of ``range`` that make ``trips``, as written: ``range(stop)``,
    ``range(start, stop)`` or ``range(start, stop, step)``."""
    if trips.step != 1:
        values = (trips.start, trips.stop, trips.step)
    else:
        values = (trips.stop,) if trips.start == 0 else (trips.start, trips.stop)
    return tuple(map(ir.Const, values))


def _step(s, phis: dict) -> tuple[str, int] | None:
    """(counter, step) when ``s`` is ``k_next = k + step`` of a counter ``k`` at the
    loop's header, carried to ``k_next``."""
    if s is None or type(s.value) is not ir.Op or s.value.fn is not operator.add:
        return None
    a, b = s.value.args
    counter, size = (a, b) if type(a) is ir.Var else (b, a)
    if type(counter) is not ir.Var or not _integer(size) or size.value <= 0:
        return None
    phi = phis.get(counter.name)
    if phi is None or phi.second != ir.Var(s.target):
        return None
    return counter.name, size.value


def _integer(v) -> bool:
    return type(v) is ir.Const and type(v.value) is int
