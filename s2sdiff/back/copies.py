"""Adjoint copies that only rename: ``t_3_bar = t_bar`` dropped, ``t_3_bar`` read as ``t_bar``.

The reverse emitter gives every value its own adjoint, so at the head of a
loop's reverse body the adjoint of the body's last value starts as a copy of
the carried adjoint (``t_3_bar = t_bar``), and a branch may copy it back.
When every later read of the copy happens while its source still holds the
same number (before the source's next write, or in that write itself), the
copy is dropped and its reads renamed to the source.  To that end, first
writes of adjoints in loop bodies are first moved down to just before their
next use (``_sink``), so the reads of the old value come before the new one
is started.  A pure pass on the gradient function's reverse sweep, limited to
adjoint variables.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import replace

from .. import ir
from ..ir.expr import substitute
from .fold import _defines, _names, _reads, read_counts


def drop_copies(fn: ir.Function) -> ir.Function:
    """``fn`` (a gradient) without the copies between adjoint variables that only
    rename; ``fn.facts["adjoints"]`` names the adjoint variables."""
    if not any(isinstance(s, (ir.If, ir.Loop)) for s in fn.reverse):
        return fn  # straight-line code has none
    names = fn.facts.get("adjoints", frozenset())
    reverse = _block(_sink(fn.reverse, names, inside=False), names, read_counts(fn))
    return fn if reverse == fn.reverse else replace(fn, reverse=reverse)


_WINDOW = 64  # how far down a first write looks (keeps the pass linear)


def _sink(stmts, names: set[str], inside: bool) -> tuple:
    """``stmts`` with each first write of an adjoint in a loop body (``b = e``)
    moved down to just before the next statement that reads or writes ``b`` or
    changes what ``e`` reads; when that statement is ``b += f``, the two become
    ``b = e + f`` (the same sum, computed from the same values).  The reads of
    a carried adjoint's copy then come before its new value is started."""
    block = [_sink_nested(s, names, inside) for s in stmts]
    if not inside:
        return tuple(block)
    for i in range(len(block) - 1, -1, -1):  # bottom up: what is below has settled
        pos, may_merge = i, True
        while isinstance(block[pos], ir.Assign) and not block[pos].accumulate \
                and block[pos].target in names:
            s = block[pos]
            b, needs = s.target, set(_names(s.value))
            j, end = pos + 1, min(len(block), pos + _WINDOW)
            while j < end and not _touches(block[j], b, needs):
                j += 1
            merged = _merged(s, block[j]) if may_merge and j < len(block) else None
            if merged is None:
                block.insert(j - 1, block.pop(pos))  # just before block[j]
                break
            block[j] = merged  # one sum of two terms, which may sink further
            del block[pos]
            pos, may_merge = j - 1, False
    return tuple(block)


def _sink_nested(s, names: set[str], inside: bool):
    if isinstance(s, ir.If):
        return replace(s, then=_sink(s.then, names, inside), orelse=_sink(s.orelse, names, inside))
    if isinstance(s, ir.Loop):
        return replace(s, body=_sink(s.body, names, True))
    return s


def _touches(s, b: str, needs: set[str]) -> bool:
    """Does ``s`` (or a statement in it) read or write ``b``, or write one of ``needs``?"""
    for t in ir.walk([s]):
        written = set(_defines(t))
        if b in written or b in _reads(t) or written & needs:
            return True
        if isinstance(t, ir.Assign) and isinstance(t.target, ir.Item):
            return True  # ``xs_bar[i] += …``: an item of some list changes
    return False


def _merged(first: ir.Assign, then) -> ir.Assign | None:
    """``b = e`` and ``b += f`` as ``b = e + f``, or None (also when ``e`` is a
    name: the copy itself is better dropped, see ``_block``; and when either is a
    call of a generated function, which stays a statement of its own)."""
    if not (isinstance(then, ir.Assign) and then.accumulate and then.target == first.target
            and first.target not in _names(then.value)) or _name_read(first.value):
        return None
    if any(type(op.fn) is ir.Callee for v in (first.value, then.value) for op in ir.expr.ops(v)):
        return None
    e, f = first.value, then.value
    if isinstance(f, ir.Op) and f.syntax == "u-":  # e + -g is e - g, to the last bit
        value = ir.Op(operator.sub, (e, f.args[0]), "-")
    else:
        value = ir.Op(operator.add, (e, f), "+")
    return replace(then, value=value, accumulate=False, comment=first.comment or then.comment)


def _block(stmts, names: set[str], reads: Counter) -> tuple:
    stmts = list(stmts)
    out = []
    comment = ""  # of a dropped copy, for the next statement
    i = 0
    while i < len(stmts):
        s = stmts[i]
        i += 1
        copied = _copy_of(s, names)
        if copied is not None and copied == s.target:
            reads[copied] -= 1
            comment = comment or s.comment
            continue  # ``t_bar = t_bar``: an earlier rename made it
        if copied is not None and _follows(stmts[i:], s.target, copied, True, reads[s.target]):
            _rename_reads(stmts, i, s.target, copied, reads[s.target])
            reads[copied] += reads.pop(s.target, 0) - 1
            comment = comment or s.comment
            continue
        if comment and isinstance(s, ir.Assign) and not s.comment:
            s = replace(s, comment=comment)
        comment = ""
        if isinstance(s, ir.If):
            s = replace(s, then=_block(s.then, names, reads), orelse=_block(s.orelse, names, reads))
        elif isinstance(s, ir.Loop):
            s = replace(s, body=_block(s.body, names, reads))
        out.append(s)
    return tuple(out)


def _copy_of(s, names: set[str]) -> str | None:
    """The source of ``s`` if it is ``a = b`` between two of ``names``, else None."""
    if not isinstance(s, ir.Assign) or s.accumulate or s.target not in names:
        return None
    source = _name_read(s.value)
    return source if source in names else None


def _name_read(v) -> str | None:
    """The local name ``v`` is, if it is just one."""
    return v.name if isinstance(v, ir.Var) else None


def _follows(stmts, a: str, b: str, equal: bool, left: int) -> bool:
    """Whether the ``left`` reads of ``a`` (all there are) come in ``stmts`` while
    ``b`` still equals ``a``: then ``a`` may be read as ``b``."""
    return _walk_reads(stmts, a, b, equal, left)[0] == 0


def _walk_reads(stmts, a: str, b: str, equal: bool, left: int) -> tuple[int, bool]:
    """The reads of ``a`` still to find after ``stmts`` (-1: one came too late, or
    ``a`` changes), and whether ``b`` equals ``a`` at the end."""
    for s in stmts:
        if left <= 0:
            break
        n = _reads(s).count(a)
        if n and not equal:
            return -1, equal
        left -= n
        if isinstance(s, ir.Assign):
            if s.target == a or isinstance(s.target, ir.Item) and (
                    s.target.name in (a, b) or {a, b} & set(ir.value_reads(s.target.index))):
                return -1, equal
            if s.target == b:
                equal = not s.accumulate and _name_read(s.value) in (a, b)
        elif isinstance(s, ir.If):
            if s.phis:
                return -1, equal
            then, then_equal = _walk_reads(s.then, a, b, equal, left)
            orelse, else_equal = _walk_reads(s.orelse, a, b, equal, left)
            if then < 0 or orelse < 0:
                return -1, equal
            left -= (left - then) + (left - orelse)  # reads in either branch
            equal = then_equal and else_equal
        elif isinstance(s, ir.Loop):
            inside = ir.walk(s.body)  # what one trip changes, the next one sees
            writes = {n for t in inside for n in _defines(t)}
            written = b in writes
            found = sum(_reads(t).count(a) for t in inside)
            items = [t.target for t in inside if isinstance(t, ir.Assign)
                     and isinstance(t.target, ir.Item)]
            if s.phis or a in writes or (written and found) \
                    or any(t.name in (a, b) for t in items):
                return -1, equal
            after, _ = _walk_reads(s.body, a, b, equal, found)
            if after != 0:
                return -1, equal
            left -= found
            equal = equal and not written
        elif isinstance(s, ir.Pop) and (a in s.values or b in s.values):
            return -1, equal
        elif isinstance(s, ir.Unpack) and (a in s.names or b in s.names):
            if a in s.names:  # ``_t3, c_bar = bwd_h(...)``: a call's results
                return -1, equal
            equal = False
    return left, equal


def _rename_reads(stmts: list, start: int, a: str, b: str, left: int) -> None:
    """Read ``a`` as ``b`` in ``stmts[start:]``, in place, up to its last read."""
    for j in range(start, len(stmts)):
        if left <= 0:
            return
        found = sum(_reads(t).count(a) for t in ir.walk([stmts[j]]))
        if found:
            stmts[j] = _rename_stmt(stmts[j], a, b)
            left -= found


def _renamed(stmts, a: str, b: str) -> tuple:
    return tuple(_rename_stmt(s, a, b) for s in stmts)


def _rename_stmt(s, a: str, b: str):
    if isinstance(s, (ir.Assign, ir.Unpack)):
        return replace(s, value=_rename_value(s.value, a, b))
    if isinstance(s, ir.If):
        return replace(s, cond=_rename_value(s.cond, a, b),
                       then=_renamed(s.then, a, b), orelse=_renamed(s.orelse, a, b))
    if isinstance(s, ir.Loop):
        return replace(s, args=tuple(_rename_value(v, a, b) for v in s.args),
                       body=_renamed(s.body, a, b))
    if isinstance(s, ir.Push):
        return replace(s, values=tuple(b if v == a else v for v in s.values))
    if isinstance(s, ir.Append):
        return replace(s, value=_rename_value(s.value, a, b))
    return s


def _rename_value(v, a: str, b: str):
    return substitute(v, {a: ir.Var(b)})
