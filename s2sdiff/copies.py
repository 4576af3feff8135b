"""Adjoint copies that only rename: ``t_3_bar = t_bar`` dropped, ``t_3_bar`` read as ``t_bar``.

The reverse emitter gives every value its own adjoint, so at the head of a
loop's reverse body the adjoint of the body's last value starts as a copy of
the carried adjoint (``t_3_bar = t_bar``), and a branch may copy it back.
When every later read of the copy happens while its source still holds the
same number (before the source's next write, or in that write itself), the
copy is dropped and its reads renamed to the source.  A pure pass on the
gradient function; ``names`` limits it to adjoint variables.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import replace

from . import ir
from .fold import _defines, _names, _reads


def drop_copies(fn: ir.Function, names: set[str]) -> ir.Function:
    """``fn`` without the copies between the variables ``names`` that only rename."""
    reads: Counter = Counter(_names(fn.result))
    for s in ir.walk(fn.body):
        reads.update(_reads(s))
    body = _block(fn.body, names, reads)
    return fn if body == fn.body else replace(fn, body=body)


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
    if isinstance(v, ir.Expr) and isinstance(v.tree, ast.Name) \
            and not hasattr(v.tree, "s2s_global"):
        return v.tree.id
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
            if s.target == a or not s.target.isidentifier() and (a in s.target or b in s.target):
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
            if s.phis or a in writes or (written and found) \
                    or any(not n.isidentifier() and (a in n or b in n) for n in writes):
                return -1, equal
            after, _ = _walk_reads(s.body, a, b, equal, found)
            if after != 0:
                return -1, equal
            left -= found
            equal = equal and not written
        elif isinstance(s, ir.Pop) and (a in s.values or b in s.values):
            return -1, equal
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
    if isinstance(s, ir.Assign):
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
    if isinstance(v, ir.Var):
        return ir.Var(b) if v.name == a else v
    if isinstance(v, ir.Op):
        return replace(v, args=tuple(_rename_value(x, a, b) for x in v.args),
                       kwargs=tuple((k, _rename_value(x, a, b)) for k, x in v.kwargs))
    if isinstance(v, ir.Expr) and a in _names(v):
        return ir.Expr(_rename_tree(v.tree, a, b))
    return v


def _rename_tree(node, a: str, b: str):
    """A copy of ``node`` with the local name ``a`` read as ``b`` (facts cached on the
    old nodes are not carried over; global links are)."""
    if isinstance(node, list):
        return [_rename_tree(x, a, b) for x in node]
    if not isinstance(node, ast.AST):
        return node
    if isinstance(node, ast.Name) and not hasattr(node, "s2s_global"):
        return ast.Name(b if node.id == a else node.id, node.ctx)
    new = type(node)(**{f: _rename_tree(getattr(node, f), a, b) for f in node._fields
                        if hasattr(node, f)})
    for attr in ("s2s_global", "s2s_home"):
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    return new
