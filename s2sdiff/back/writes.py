"""Item writes in place, where nothing can see the array change.

The front end reads ``y[i] = v`` as ``y_2 = _setitem(y_1, i, v)``: a new array,
so that every SSA version keeps its value.  That copy makes a loop writing
``n`` items cost O(n²).  This pass writes ``y_1[i] = v`` (then ``y_2 = y_1``)
where no one can tell the difference:

- **owned**: every array the names of ``y_1``'s family hold (the names joined
  by copies, φs and writes) was made by the function itself (zeros, an
  arithmetic result, a copy), never a parameter, a view or a tape's record;
- **not seen**: every read of a name of the family makes a new value at once
  (an operand of arithmetic, a ufunc, a reduction, an item read that gives a
  number), so no view of the array outlives the write;
- **dead**: no name of the family but the write's own target is read after it
  (liveness through branches, loops and the reverse sweep: a loop's φ
  assigns its header again before the next trip reads it);
- **same dtype**: the array is float64, or float32 given numbers or float32
  values (``_setitem`` would otherwise widen it).

The reverse of a write zeroes the written items of its adjoint,
``y_bar = _setitem(y_bar, i, 0.0)``; the adjoint is owned the same way, so it
becomes ``y_bar[i] = 0.0``.  A pure pass on one function, after ``buffers``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .. import ir
from ..ir import types
from ..ir.aliasing import Families, makes_new
from ..ir.liveness import Liveness, live_after
from ..ir.types import Arr, Num
from .buffers import _makes_new, _number_item, _scatter, _setitem
from .specialise import _np


def in_place(fn: ir.Function, params: dict, callee_types=None) -> ir.Function:
    """``fn`` with the item writes no one can see done in place; where a loop writes
    into an array it does not own (a parameter, an adjoint that is one), into a
    copy made on entering the loop, when that makes its writes in place."""
    setitem = _setitem()
    if setitem is None or not any(_write_of(s, setitem) for s in ir.walk(fn.statements)):
        return fn
    args = {p: params.get(p) for p in fn.params}
    chosen = _chosen(fn, setitem, args, callee_types)
    copied = _copied_on_entry(fn, setitem, chosen)
    if copied is not fn:
        more = _chosen(copied, setitem, args, callee_types)
        if _in_loops(copied, more) > _in_loops(fn, chosen):
            fn, chosen = copied, more
    if not chosen:
        return fn
    stmts = ir.walk(fn.statements)
    reads = Counter(n for s in stmts for n in ir.reads(s))
    reads.update(ir.value_reads(fn.result))
    return replace(fn, body=_block(fn.body, chosen, reads),
                   reverse=_block(fn.reverse, chosen, reads))


def _chosen(fn: ir.Function, setitem, args: dict, callee_types) -> set[int]:
    """The ids of the writes of ``fn`` that may be done in place."""
    stmts = ir.walk(fn.statements)
    env = types.infer(fn, args, callee_types)
    families = _families(stmts, setitem)
    refused = _not_owned(fn, stmts, families, setitem, env)
    after = live_after(fn)
    return {id(s) for s in stmts if _write_of(s, setitem)
            and families.find(s.value.args[0].name) not in refused
            and _dead(s, families, after[id(s)]) and _same_dtype(s, env)}


def _in_loops(fn: ir.Function, chosen: set[int]) -> int:
    return sum(id(t) in chosen for s in ir.walk(fn.statements) if type(s) is ir.Loop
               for t in ir.walk(s.body))


def _copied_on_entry(fn: ir.Function, setitem, chosen: set[int]) -> ir.Function:
    """``fn`` where each loop with a write not done in place writes into a copy
    made on entering it: ``a_copy = np.copy(v)`` as the first value of the φ of the
    written array, or ``a = np.copy(a)`` for a name written again (an adjoint)."""
    taken = ir.local_names(fn) | set(fn.params)
    liveness = Liveness(fn)

    def block(stmts) -> tuple:
        out = []
        for s in stmts:
            if type(s) is ir.If:
                s = replace(s, then=block(s.then), orelse=block(s.orelse))
            elif type(s) is ir.Loop:
                live = liveness.before[id(s)]
                s, copies, rewritten = _entry_copies(replace(s, body=block(s.body)), setitem,
                                                     chosen, taken)
                out += copies
                for a, origin in rewritten.items():
                    if a in live:
                        _copy_before(out, a, origin)
            out.append(s)
        return tuple(out)

    body, reverse = block(fn.body), block(fn.reverse)
    if (body, reverse) == (fn.body, fn.reverse):
        return fn
    return replace(fn, body=body, reverse=reverse)


def _entry_copies(loop: ir.Loop, setitem, chosen: set[int], taken: set):
    """``loop`` with its φs of written arrays starting from copies, the copies to
    make before it, and the names its body writes again (``a = _setitem(a, ...)``)."""
    arrays = {s.value.args[0].name: s for s in ir.walk(loop.body)
              if _write_of(s, setitem) and id(s) not in chosen}
    copies, phis = [], []
    for p in loop.phis:
        if p.target in arrays and type(p.first) is ir.Var:
            name = _fresh_name(p.target + "_copy", taken)
            copies.append(ir.Assign(name, _np("copy", p.first), arrays[p.target].origin))
            p = replace(p, first=ir.Var(name))
        phis.append(p)
    targets = {p.target for p in loop.phis}
    rewritten = {a: s.origin for a, s in arrays.items() if a not in targets and s.target == a}
    return replace(loop, phis=tuple(phis)), copies, rewritten


def _copy_before(out: list, a: str, origin) -> None:
    """Make ``a`` a copy before the loop ``out`` is about to get: its last assignment
    ``a = v`` there becomes ``a = np.copy(v)``, or ``a = np.copy(a)`` is added."""
    for k in range(len(out) - 1, -1, -1):
        s = out[k]
        if a in ir.writes(s) or (type(s) is ir.Assign and s.target == a):
            if type(s) is ir.Assign and s.target == a and not s.accumulate \
                    and type(s.value) is ir.Var:
                out[k] = replace(s, value=_np("copy", s.value))
                return
            break
    out.append(ir.Assign(a, _np("copy", ir.Var(a)), origin))


def _fresh_name(base: str, taken: set) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name


def _write_of(s, setitem) -> bool:
    """Whether ``s`` is ``t = _setitem(a, index, v)`` of a name ``a``."""
    return (type(s) is ir.Assign and type(s.target) is str and not s.accumulate
            and type(s.value) is ir.Op and s.value.fn is setitem
            and type(s.value.args[0]) is ir.Var)


def _block(stmts, chosen: set, reads: Counter) -> tuple:
    """``stmts`` with the chosen writes in place: ``a[index] = v``, then ``t = a``
    unless ``t`` only gives a loop's φ of ``a`` its next value (``a`` is it)."""
    out = []
    for s in stmts:
        kind = type(s)
        if kind is ir.If:
            out.append(replace(s, then=_block(s.then, chosen, reads),
                               orelse=_block(s.orelse, chosen, reads)))
        elif kind is ir.Loop:
            out.append(_loop(replace(s, body=_block(s.body, chosen, reads)), reads))
        elif id(s) in chosen:
            a, index, value = s.value.args
            out.append(ir.Assign(ir.Item(a.name, index), value, s.origin, comment=s.comment))
            if s.target != a.name:
                out.append(ir.Assign(s.target, a, s.origin))
        else:
            out.append(s)
    return tuple(out)


def _loop(s: ir.Loop, reads: Counter) -> ir.Loop:
    copies = {c.target: c.value for c in s.body if type(c) is ir.Assign
              and type(c.target) is str and type(c.value) is ir.Var and not c.accumulate}
    phis, dropped = [], set()
    for p in s.phis:
        source = copies.get(p.second.name) if type(p.second) is ir.Var else None
        if source == ir.Var(p.target) and reads[p.second.name] == 1:
            dropped.add(p.second.name)
            p = replace(p, second=source)
        phis.append(p)
    if not dropped:
        return s
    body = tuple(c for c in s.body if not (type(c) is ir.Assign and c.target in dropped))
    return replace(s, body=body, phis=tuple(phis))


# ------------------------------------------------------------------ families


def _families(stmts, setitem) -> Families:
    families = Families()
    for s in stmts:
        if type(s) is ir.Assign and type(s.target) is str:
            v = s.value
            if type(v) is ir.Var:
                families.join(s.target, v.name)
            elif type(v) is ir.Op and v.fn is setitem and type(v.args[0]) is ir.Var:
                families.join(s.target, v.args[0].name)
        elif type(s) in (ir.If, ir.Loop):
            for p in s.phis:
                for a in (p.first, p.second):
                    if type(a) is ir.Var:
                        families.join(p.target, a.name)
    return families


def _not_owned(fn, stmts, families: Families, setitem, env: dict) -> set[str]:
    """The families (by root) whose arrays may be held or seen outside them."""
    refused = {families.find(p) for p in fn.params}
    scatter = _scatter()
    for s in stmts:
        kind = type(s)
        if kind is ir.Assign:  # (``a += g``, ``a[i] += g`` change a's array, and keep g's)
            if type(s.target) is str and not s.accumulate and not _fresh(s.value, setitem,
                                                                          scatter):
                refused.add(families.find(s.target))
            refused |= {families.find(n) for n in _seen(s.value, setitem, scatter, env)}
        elif kind in (ir.If, ir.Loop):
            refused |= {families.find(n) for n in ir.value_reads(
                s.cond if kind is ir.If else tuple(s.args))}
            refused |= {families.find(p.target) for p in s.phis
                        for a in (p.first, p.second) if not _fresh(a, setitem, scatter)}
        else:  # a tape's record, an unpacked call, an append: held elsewhere
            refused |= {families.find(n) for n in list(ir.reads(s)) + list(ir.writes(s))}
    return refused


def _fresh(v, setitem, scatter) -> bool:
    """Whether assigning ``v`` gives a name a new array, or one of its own family."""
    import numpy as np

    if type(v) is ir.Const:
        return not isinstance(v.value, np.ndarray)  # a constant array lives on in the code
    if type(v) is ir.Var:
        return True
    if type(v) is not ir.Op:
        return False
    return v.fn is setitem or _new(v, scatter)


def _new(op: ir.Op, scatter) -> bool:
    """Whether ``op`` always gives a new array (or a number)."""
    return _makes_new(op, scatter) or makes_new(op)


def _seen(v, setitem, scatter, env: dict) -> set[str]:
    """The names whose array ``v`` may keep (a view, an argument of a call that may
    return it), when ``v`` is assigned."""
    if type(v) is not ir.Op:
        return set()
    if v.fn is setitem:  # the array it writes is copied (or is the family's own)
        return _seen_in(v.args[1:], setitem, scatter, env) | set(ir.value_reads(v.args[2]))
    if _new(v, scatter) or _number_item(v, env):
        return _seen_in(v.args, setitem, scatter, env)
    return set(ir.value_reads(v))


def _seen_in(args, setitem, scatter, env: dict) -> set[str]:
    return set().union(*(_seen(a, setitem, scatter, env) for a in args)) if args else set()


def _dead(s: ir.Assign, families: Families, live: frozenset) -> bool:
    """Whether no name of the written array's family but the write's target is
    read after ``s``."""
    return not (families.members(s.value.args[0].name) - {s.target}) & live


def _same_dtype(s: ir.Assign, env: dict) -> bool:
    """Whether writing ``v`` into the array keeps its dtype, as ``_setitem`` would."""
    a, _, v = s.value.args
    ta, tv = env.get(a.name), types.atom_type(env, v)
    if not isinstance(ta, Arr) or ta.dtype not in ("float64", "float32"):
        return False
    if isinstance(tv, Num):
        return tv.kind in ("float", "int", "bool")
    return isinstance(tv, Arr) and tv.dtype in ("float32", "float64") \
        and (ta.dtype == "float64" or tv.dtype == "float32")


