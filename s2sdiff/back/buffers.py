"""Adjoints of item reads accumulated in place, in a buffer the gradient owns.

The reverse of a read ``x[i]`` adds its adjoint ``g`` at ``i`` of zeros shaped
like ``x`` (``_scatter_add(g, x, i)``): a full-size temporary per read, per
loop trip.  Where the abstract values say ``x`` is a floating array and
``i`` a basic index (integers, slices), and nothing else holds ``x_bar``,
this pass writes what a person writes::

    x_bar = _scatter_add(g, x, i)              x_bar = np.zeros_like(x)
                                        →      x_bar[i] += g
    x_bar = x_bar + _scatter_add(g, x, j)      x_bar[j] += g

``x_bar`` is *owned* when every value it is given is a new array (an
arithmetic result, zeros) and every read of it makes a new array or is the
function's result: no other name can see it change.  A pure pass on one
function, after ``specialise``.
"""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..ir import types
from ..ir.types import Arr, Num
from .specialise import Walker, _np


def in_place(fn: ir.Function, params: dict, callee_types=None) -> ir.Function:
    """``fn`` with the item adjoints of owned buffers accumulated in place."""
    scatter = _scatter()
    if scatter is None:
        return fn
    env = types.infer(fn, {p: params.get(p) for p in fn.params}, callee_types)
    owned = _owned(fn, scatter, env)
    copied = _copied_starts(fn, scatter, env, owned)
    if copied is not fn:
        more = _owned(copied, scatter, env)
        if len(more) > len(owned):
            fn, owned = copied, more
    if not owned:
        return fn

    def assign(s: ir.Assign, env: dict, defined: dict):
        return _accumulated(s, env, defined, owned, scatter) or s

    walker = Walker({p: params.get(p) for p in fn.params}, callee_types, assign)
    body, reverse = walker.block(fn.body), walker.block(fn.reverse)
    return replace(fn, body=body, reverse=reverse)


def _accumulated(s: ir.Assign, env: dict, defined: dict, owned: set, scatter):
    """The statements ``s`` becomes, or None where it stays."""
    if type(s.target) is not str or s.target not in owned or s.accumulate:
        return None
    a, v = s.target, s.value
    first = _scatter_of(v, scatter)
    if first is not None:
        g, x, index = first
        if not _fits(env, g, x, index):
            return None
        return (replace(s, value=_np("zeros_like", x)), _add_at(a, index, g, s, defined))
    if type(v) is ir.Op and v.syntax == "+" and ir.Var(a) in v.args:
        other = v.args[1] if v.args[0] == ir.Var(a) else v.args[0]
        found = _scatter_of(other, scatter)
        if found is None or not isinstance(env.get(a), Arr) or not _fits(env, *found):
            return None
        g, x, index = found
        if env[a] != _type(env, x):
            return None
        return (_add_at(a, index, g, s, defined),)
    return None


def _add_at(a: str, index, g, s: ir.Assign, defined: dict) -> ir.Assign:
    """``a[index] += g``; a number spread to the read's shape is added as the number."""
    spread = _spread()
    made = defined.get(g.name) if type(g) is ir.Var else g
    if type(made) is ir.Op and made.fn is spread and spread is not None:
        g = made.args[0]
    return ir.Assign(ir.Item(a, index), g, s.origin, accumulate=True, comment=s.comment)


def _fits(env: dict, g, x, index) -> bool:
    """Whether ``x_bar[index] += g`` does what ``_scatter_add(g, x, index)`` adds:
    ``x`` a floating array of ``g``'s dtype or wider (float64: wider than any real
    ``g``, whose abstract value may then be unknown), ``index`` basic."""
    tx = _type(env, x)
    if not isinstance(tx, Arr) or not tx.ndim or tx.dtype not in ("float64", "float32"):
        return False
    tg = _type(env, g)
    if tx.dtype != "float64" and (tg is None or (isinstance(tg, Arr) and tg.dtype != tx.dtype)):
        return False
    return _basic(env, index)


def _basic(env: dict, index) -> bool:
    """An index of integers, slices, ``None`` and ``...`` (no array: no repeats)."""
    if type(index) is ir.Const:
        items = index.value if isinstance(index.value, tuple) else (index.value,)
        return all(i is None or i is Ellipsis or type(i) in (int, slice) for i in items)
    if type(index) is ir.Var:
        found = env.get(index.name)
        items = found if isinstance(found, tuple) else (found,)
        return found is not None and all(i == Num("int") or i is None or i is Ellipsis
                                         or type(i) is slice for i in items)
    if type(index) is ir.Op and index.syntax == "tuple":
        return all(_basic(env, i) for i in index.args)
    if type(index) is ir.Op and index.syntax == "call" and index.fn is slice:
        return all(type(p) is ir.Const or env.get(getattr(p, "name", None)) == Num("int")
                   for p in index.args)
    return False


def _type(env: dict, v):
    """The abstract value of an atom (None for an operation)."""
    return None if type(v) is ir.Op else types.atom_type(env, v)


def _scatter_of(v, scatter):
    """``(g, x, index)`` of ``_scatter_add(g, x, index)``, else None."""
    if type(v) is ir.Op and v.fn is scatter and len(v.args) == 3 and not v.kwargs:
        return v.args
    return None


# --- ownership -------------------------------------------------------------------


def _owned(fn: ir.Function, scatter, env: dict) -> set[str]:
    """The names given only new arrays and read only into new arrays (or returned)."""
    stmts = ir.walk(fn.statements)
    candidates = {s.target for s in stmts if type(s) is ir.Assign and type(s.target) is str
                  and (_scatter_of(s.value, scatter) or _plus_scatter(s, scatter))}
    candidates -= set(fn.params)
    for s in stmts:
        if not candidates:
            break
        if type(s) is ir.Assign and type(s.target) is str and not s.accumulate:
            if not _fresh(s.value, scatter):
                candidates.discard(s.target)
            candidates -= _aliasing_reads(s.value, scatter, env)
        else:
            candidates -= set(ir.writes(s)) | set(ir.reads(s))
    return candidates - _aliasing_reads(fn.result, scatter, env, top=False)


def _copied_starts(fn: ir.Function, scatter, env: dict, owned: set[str]) -> ir.Function:
    """``fn`` where an adjoint that starts as another name's array (``x_bar = y``, so
    not owned) starts as a copy of it: one copy, then every item added in place."""
    stmts = ir.walk(fn.statements)
    wanted = {s.target for s in stmts if type(s) is ir.Assign and type(s.target) is str
              and (_scatter_of(s.value, scatter) or _plus_scatter(s, scatter))}
    wanted -= owned | set(fn.params)
    starts = {id(s) for s in stmts if type(s) is ir.Assign and s.target in wanted
              and not s.accumulate and type(s.value) is ir.Var
              and isinstance(env.get(s.value.name), Arr) and env[s.value.name].ndim}
    if not starts:
        return fn

    def copied(s):
        return replace(s, value=_np("copy", s.value)) if id(s) in starts else s

    return replace(fn, body=ir.map_statements(fn.body, copied),
                   reverse=ir.map_statements(fn.reverse, copied))


def _plus_scatter(s: ir.Assign, scatter) -> bool:
    v = s.value
    return type(v) is ir.Op and v.syntax == "+" and ir.Var(s.target) in v.args \
        and any(_scatter_of(a, scatter) for a in v.args)


def _fresh(v, scatter) -> bool:
    """Whether ``v`` is always a new array or a number (never one held elsewhere)."""
    if type(v) is ir.Const:
        return True
    return type(v) is ir.Op and _makes_new(v, scatter)


def _makes_new(op: ir.Op, scatter) -> bool:
    import numpy as np

    if op.syntax in ("+", "-", "*", "/", "**", "u-", "@"):
        return True
    if op.syntax != "call":
        return False
    return op.fn is scatter or isinstance(op.fn, np.ufunc) or any(
        op.fn is f for f in (np.zeros_like, np.sum, np.mean, np.outer, np.dot, np.matmul,
                             np.copy, _setitem(), _add_rows()))


def _aliasing_reads(v, scatter, env: dict, top: bool = True) -> set[str]:
    """The names ``v`` reads other than as operands of an operation making a new
    array (``top``: ``v`` itself is assigned, so a bare name aliases)."""
    if type(v) is ir.Var:
        return {v.name} if top else set()
    if type(v) is tuple:
        return set().union(*(_aliasing_reads(a, scatter, env, top) for a in v))
    if type(v) is not ir.Op:
        return set()
    found = set()
    new = _makes_new(v, scatter) or _number_item(v, env)
    for a in list(v.args) + [a for _, a in v.kwargs]:
        if type(a) is ir.Var:
            if not new:
                found.add(a.name)
        else:
            found |= _aliasing_reads(a, scatter, env)
    return found


def _setitem():
    import sys

    indexing = sys.modules.get("s2sdiff.rules.indexing")
    return None if indexing is None else indexing._setitem


def _add_rows():
    import sys

    indexing = sys.modules.get("s2sdiff.rules.indexing")
    return None if indexing is None else indexing._add_rows


def _number_item(v: ir.Op, env: dict) -> bool:
    """``a[i]`` that gives a number (a copy), not a view."""
    import operator

    if v.fn is not operator.getitem:
        return False
    t = types.atom_type(env, v)
    return isinstance(t, Num) or (isinstance(t, Arr) and not t.ndim)


def _scatter():
    import sys

    indexing = sys.modules.get("s2sdiff.rules.indexing")
    return None if indexing is None else indexing._scatter_add


def _spread():
    import sys

    rules = sys.modules.get("s2sdiff.rules.numpy")
    return None if rules is None else rules._spread
