"""Helper calls decided by the arguments' abstract values.

The emitters write array code that holds for any shapes: where a rule needs
to know how many dimensions a value has, it calls a helper that asks at run
time (``_unbroadcast``, ``_matmul_vjp``).  Given the abstract values of the
parameters (``ir/types.py``), this pass infers those of every value, statement
by statement, and replaces each helper call whose branch they decide by what
that branch computes, as a person would write it::

    _matmul_vjp(g, X, w, 1)     with X a matrix          →  X.T @ g
    _unbroadcast(g, b)          g (n, d), b (d,)         →  np.sum(g, axis=0)
    _unbroadcast(g, z)          g and z of one shape     →  g

A call its arguments do not decide (a slice of unknown length, a value of an
unknown function) stays as it is.  The copies a rewrite to a bare name leaves
(``_t3_bar = out_bar``) are dropped, and ``np.size(z)`` of a broadcast result is
read from an operand of its shape.  ``Walker`` (the walk with abstract values)
serves ``buffers.py`` too.  A pure pass on one function.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .. import ir
from ..ir import types
from ..ir.expr import substitute
from ..ir.types import Arr, Num
from ..emit.templates import call, global_name, neg
from . import einsums


def helper_calls(fn: ir.Function, params: dict, callee_types=None,
                 sites: dict | None = None) -> ir.Function:
    """``fn`` with the helper calls its parameters' abstract values decide replaced.
    ``sites`` gathers, per generated function ``fn`` calls (by name), the abstract
    values of its arguments, joined over the calls."""
    if not _helpers():
        return fn
    walker = Walker({p: params.get(p) for p in fn.params}, callee_types, sites=sites)
    body = walker.block(fn.body)
    reverse = walker.block(fn.reverse)
    result = walker.value(fn.result) if not isinstance(fn.result, tuple) else fn.result
    if (body, reverse, result) == (fn.body, fn.reverse, fn.result):
        return fn
    return _without_copies(replace(fn, body=body, reverse=reverse, result=result))


def _without_copies(fn: ir.Function) -> ir.Function:
    """``fn`` without the copies ``a = b`` a rewrite to ``b`` left: reads of ``a`` read
    ``b`` where ``a`` is assigned once and read only by assignments, and ``b`` is not
    assigned after the copy."""
    stmts = ir.walk(fn.statements)
    writes = Counter(n for s in stmts for n in ir.writes(s))
    plain = Counter(n for s in stmts if type(s) is ir.Assign and type(s.target) is str
                    and not s.accumulate for n in ir.value_reads(s.value))
    plain.update(ir.value_reads(fn.result))
    reads = Counter(n for s in stmts for n in ir.reads(s))
    reads.update(ir.value_reads(fn.result))
    top = {s.target for s in fn.statements if type(s) is ir.Assign and type(s.target) is str}
    last_write = {n: i for i, s in enumerate(fn.statements) for t in ir.walk((s,))
                  for n in ir.writes(t)}
    renamed, retarget = {}, {}
    for i, s in enumerate(fn.statements):
        if type(s) is ir.Assign and type(s.value) is ir.Var and type(s.target) is str \
                and not s.accumulate and writes[s.target] == 1 and s.target not in fn.params \
                and last_write.get(s.value.name, -1) < i and reads[s.target] == plain[s.target]:
            a, b = s.target, s.value.name
            if b.startswith("_") and not a.startswith("_") and b in top and writes[b] == 1 \
                    and reads[b] == plain[b] == 1 and b not in renamed:
                retarget[b] = a  # keep the user's name: ``out_bar``, not ``_t6_bar``
            else:
                renamed[a] = renamed.get(b, s.value)
    if not renamed and not retarget:
        return fn

    def kept(stmts):
        out = []
        for s in stmts:
            if type(s) is ir.Assign and type(s.target) is str and (
                    s.target in renamed or (type(s.value) is ir.Var and s.value.name in retarget
                                            and retarget[s.value.name] == s.target)):
                continue
            if type(s) is ir.Assign and s.target in retarget:
                s = replace(s, target=retarget[s.target])
            out.append(_renamed(s, renamed))
        return tuple(out)

    return replace(fn, body=kept(fn.body), reverse=kept(fn.reverse),
                   result=_renamed_result(fn.result, renamed))


def _renamed_result(result, names: dict):
    if isinstance(result, tuple):
        return tuple(_renamed_result(r, names) for r in result)
    return substitute(result, names)


def _renamed(s, names: dict):
    if type(s) is ir.Assign and type(s.target) is str and not s.accumulate:
        return replace(s, value=substitute(s.value, names))
    if type(s) is ir.If:
        return replace(s, then=tuple(_renamed(t, names) for t in s.then),
                       orelse=tuple(_renamed(t, names) for t in s.orelse))
    if type(s) is ir.Loop:
        return replace(s, body=tuple(_renamed(t, names) for t in s.body))
    return s


class Walker:
    """Rewrites statements in the order they run, keeping each name's abstract value.

    ``assign(s, env, defined)``, when given, may replace each assignment (after
    its value is rewritten) by a tuple of statements; ``defined`` maps the names
    assigned so far to their values.
    """

    def __init__(self, env: dict, callee_types, assign=None, sites: dict | None = None):
        self.infer = types._Infer(env, callee_types)
        self.env = env
        self.defined: dict = {}  # name → its value, where assigned once at the top
        self.assign = assign
        self.sites = {} if sites is None else sites

    def block(self, stmts) -> tuple:
        out = []
        for s in stmts:
            found = self.stmt(s)
            out += found if isinstance(found, tuple) else [found]
        return tuple(out)

    def stmt(self, s):
        kind = type(s)
        if kind is ir.If:
            return self.if_(s)
        if kind is ir.Loop:
            return self.loop(s)
        if kind in (ir.Assign, ir.Unpack, ir.Append):
            s = replace(s, value=self.value(s.value))
        if kind is ir.Assign and type(s.target) is str and not s.accumulate:
            if s.value == ir.Var(s.target):
                return ()  # ``a = a``, left by a rewrite
            self.defined[s.target] = s.value
        found = self.assign(s, self.env, self.defined) if kind is ir.Assign and self.assign \
            else s
        for t in found if isinstance(found, tuple) else (found,):
            self.infer.stmt(t)  # (what ``assign`` wrote may tell more: ``np.zeros_like(x)``)
        return found

    def if_(self, s: ir.If) -> ir.If:
        before = dict(self.env)
        then = self.block(s.then)
        firsts = {p.target: self.infer.atom(p.first) for p in s.phis}
        after_then = dict(self.env)
        self.env.clear()
        self.env.update(before)
        orelse = self.block(s.orelse)
        for name in set(after_then) | set(self.env):  # names a branch wrote, not φs
            if after_then.get(name) != self.env.get(name):
                self.env[name] = types.join(after_then.get(name), self.env.get(name))
        for p in s.phis:
            self.env[p.target] = types.join(firsts[p.target], self.infer.atom(p.second))
        return replace(s, then=then, orelse=orelse)

    def loop(self, s: ir.Loop) -> ir.Loop:
        """The body is rewritten with each name it writes at its widest value over the
        trips: ``types.infer`` widens a loop's φs; names the body reassigns without
        one (a reverse sweep's adjoints) are widened here the same way."""
        carried = {n for t in ir.walk(s.body) for n in ir.writes(t)} & set(self.env)
        for _ in range(8):
            start = {n: self.env[n] for n in carried}
            self.infer.loop(s)
            wider = {n: types.join(start[n], self.env.get(n)) for n in carried}
            self.env.update(wider)
            if wider == start:
                break
        else:
            self.env.update(dict.fromkeys(carried))
        entry = dict(self.env)
        body = self.block(s.body)
        self.env.clear()
        self.env.update(entry)
        return replace(s, body=body)

    def value(self, v):
        if type(v) is not ir.Op:
            return v
        args = tuple(self.value(a) for a in v.args)
        kwargs = tuple((k, self.value(a)) for k, a in v.kwargs)
        if args != v.args or kwargs != v.kwargs:
            ones = [type(a) is ir.Const and type(a.value) is int and a.value == 1 for a in args]
            if v.syntax == "*" and any(ones):  # a count of copies found to be 1
                return args[1] if ones[0] else args[0]
            if v.syntax == "+" and type(args[1]) is ir.Op and args[1].syntax == "u-":
                import operator  # a negated sum found: ``a - np.sum(g)``

                return ir.Op(operator.sub, (args[0], args[1].args[0]), "-")
            v = replace(v, args=args, kwargs=kwargs)
        if type(v.fn) is ir.Callee:
            self.site(v)
        if any(v.fn is f for f in _SIZES) and len(v.args) == 1 and not v.kwargs:
            return self.size(v)
        rewrite = _helpers().get(id(v.fn))
        if rewrite is None or v.kwargs:
            return v
        found = rewrite(v.args, [self.infer.atom(a) for a in v.args])
        return v if found is None else found

    def site(self, call: ir.Op) -> None:
        """Remember the abstract values of the arguments of a call of a generated function."""
        found = tuple(self.infer.atom(a) for a in ir.call_values(call))
        known = self.sites.get(call.fn.name)
        self.sites[call.fn.name] = found if known is None else tuple(
            types.join(a, b) if len(known) == len(found) else None
            for a, b in zip(known, found))

    def size(self, v: ir.Op):
        """``np.size(z)`` (or ``np.shape``) of ``z = x * y`` read from an operand of
        ``z``'s shape: ``z`` need not be kept for it."""
        z = v.args[0]
        made = self.defined.get(z.name) if type(z) is ir.Var else None
        if type(made) is not ir.Op or made.syntax not in _BROADCASTING:
            return v
        tz = self.env.get(z.name)
        for a in made.args:
            ta = self.infer.atom(a)
            if type(a) is ir.Var and isinstance(ta, Arr) and isinstance(tz, Arr) \
                    and _covers(ta, tz):
                return replace(v, args=(a,))
        return v


# --- what each helper computes, for abstract values that decide it -----------------


def summed(g, tg, tx):
    """``g``, which ``x`` broadcasts to, summed over the axes ``x`` was broadcast
    along (``_unbroadcast``), or None where the abstract values do not tell them.
    A negation is summed first: ``-np.sum(g, axis=0)``, not ``np.sum(-g, axis=0)``
    (no temporary of ``g``'s size)."""
    if type(g) is ir.Op and g.syntax == "u-":
        found = _summed(g.args[0], tg, tx)
        return g if found is g.args[0] else None if found is None else neg(found)
    return _summed(g, tg, tx)


def _summed(g, tg, tx):
    if not (isinstance(tg, (Num, Arr)) and isinstance(tx, (Num, Arr))):
        return None  # unknown, or a list's or tuple's
    if isinstance(tx, Num) or not tx.ndim:
        return g if isinstance(tg, Num) or not tg.ndim else _np("sum", g)
    if isinstance(tg, Num) or tg.ndim < tx.ndim:
        return None
    lead = tg.ndim - tx.ndim
    kept = []
    for i, one in enumerate(tx.ones):
        other = tg.ones[lead + i]
        if one is None and other is not True:
            return None  # x may or may not have been broadcast along this axis
        if one and other is not True:
            kept.append(i)
    if lead:
        g = _np("sum", g, axis=_axes(tuple(range(lead))))
    if kept:
        g = _np("sum", g, axis=_axes(tuple(kept)), keepdims=ir.Const(True))
    return g


def _unbroadcast(args, ts):
    return summed(args[0], ts[0], ts[1])


def _unbroadcast_from(args, ts):
    tg, tz, tx = ts
    if isinstance(tg, Arr) and isinstance(tz, Arr) and _covers(tg, tz):
        return summed(args[0], tg, tx)
    if isinstance(tg, Arr) and isinstance(tx, Arr) and isinstance(tz, Arr) \
            and _covers(tx, tz) and types.promote(tg, tx).dtype == tx.dtype:
        return _times(args[0], _np("ones_like", args[2]))  # x has z's shape: g spread to it
    return None


def _copies(args, ts):
    tz, tx = ts
    if isinstance(tz, Num) and isinstance(tx, Num):
        return ir.Const(1)
    if isinstance(tz, Arr) and isinstance(tx, Arr) and _covers(tx, tz):
        return ir.Const(1)
    return None


def _full_tangent(args, ts):
    t, tt = args[0], ts[0]
    if not all(isinstance(a, (Num, Arr)) for a in ts):
        return None
    shape = types.promote(*ts[1:])
    if isinstance(tt, Num) and isinstance(shape, Num):
        return t
    if isinstance(tt, Arr) and isinstance(shape, Arr) and _covers(tt, shape):
        return t
    return None


def _item_of(args, ts):
    """``_item_of(g, index, value)`` of a number written at an index of integers: ``g[index]``."""
    g, index, _ = args
    tg, tindex, tvalue = ts
    scalar = isinstance(tvalue, Num) or (isinstance(tvalue, Arr) and not tvalue.ndim)
    if not (isinstance(tg, Arr) and scalar):
        return None
    if type(index) is ir.Const:
        items = index.value if isinstance(index.value, tuple) else (index.value,)
        whole = all(type(i) is int for i in items)
    else:
        items = tindex if isinstance(tindex, tuple) else (tindex,)
        whole = all(i == types.INT for i in items)
    if not whole or len(items) != tg.ndim:
        return None
    import operator

    return ir.Op(operator.getitem, (g, index), "subscript")


def _kept(args, ts):
    """``_keep(v, axis, keepdims)``: ``v`` itself, or with the reduced axis put back."""
    v, axis, keepdims = args
    tv = ts[0]
    if type(axis) is not ir.Const or type(keepdims) is not ir.Const:
        return None
    if keepdims.value or axis.value is None or isinstance(tv, Num) \
            or (isinstance(tv, Arr) and not tv.ndim):
        return v
    return _np("expand_dims", v, axis) if isinstance(tv, Arr) else None


def _extremum_share(args, ts):
    """``_extremum_share(x, out, axis, keepdims)`` with ``out``'s axes kept: the
    helper then compares arrays only (no ``np.ndim`` at run time)."""
    x, out, axis, keepdims = args
    if type(keepdims) is not ir.Const or keepdims.value:
        return None
    kept = _kept((out, axis, keepdims), ts[1:])
    if kept is None:
        return None
    from ..rules import numpy as rules

    return call(global_name("_extremum_share", rules._extremum_share), x, kept, axis,
                ir.Const(True))


def _spread(args, ts):
    """``_spread(c, x)`` over a floating array ``x``: ``np.full_like(x, c)`` for a
    number ``c``, ``c * np.ones_like(x)`` for a 0-D array (for a Dask ``x``,
    chunked as ``x``)."""
    c, x = args
    tc, tx = ts
    if not (isinstance(tx, Arr) and tx.ndim and tx.dtype.startswith("float")):
        return None
    if isinstance(tc, Num) and tc.kind in ("int", "float"):
        return _np("full_like", x, c)
    if isinstance(tc, Arr) and not tc.ndim and types.promote(tc, tx).dtype == tx.dtype:
        return _times(c, _np("ones_like", x))
    return None


def _scattered(args, ts):
    """``_scatter_add(g, x, index)`` of a basic index that keeps every element
    (full slices, ``None``, integers into dimensions of length 1): ``g`` indexed
    back to ``x``'s shape, ``x[:, 0]`` → ``g[:, None]``, ``x[None]`` → ``g[0]``."""
    g, x, index = args
    tg, tx = ts[0], ts[1]
    if _row_index(tx, ts[2]):
        return call(global_name("_add_rows", _add_rows()), g, index, x)
    if type(index) is not ir.Const or not isinstance(tg, Arr) or not isinstance(tx, Arr):
        return None
    items = index.value if isinstance(index.value, tuple) else (index.value,)
    back, dim = [], 0
    for i in items:
        if i is None:
            back.append(0)
        elif i == slice(None) and isinstance(i, slice):
            back.append(slice(None))
            dim += 1
        elif type(i) is int and dim < tx.ndim and tx.ones[dim] is True and i in (0, -1):
            back.append(None)
            dim += 1
        else:
            return None  # a part of x: its other elements' adjoints are zeros
    if dim > tx.ndim or not tg.dtype.startswith("float") \
            or types.promote(tg, tx).dtype != tg.dtype:
        return None  # past x's dimensions, or the helper's result would promote
    import operator

    return ir.Op(operator.getitem, (g, ir.Const(tuple(back))), "subscript")


def _row_index(tx, tindex) -> bool:
    """Whether ``x[index]`` picks rows of a float64 NumPy array ``x`` (1-D or 2-D) by
    a 1-D array of integers ``np.bincount`` takes (``_add_rows`` adds them back)."""
    return isinstance(tx, Arr) and isinstance(tindex, Arr) and tx.dtype == "float64" \
        and tx.ndim in (1, 2) and tindex.ndim == 1 and tindex.dtype in _BINCOUNT_INDICES \
        and tx.library == tindex.library == "numpy"


_BINCOUNT_INDICES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")


def _add_rows():
    from ..rules import indexing

    return indexing._add_rows


def _zero_of_number(args, ts):
    """``np.zeros_like(k)`` of a float ``k`` (an adjoint in array code): ``0.0``, a
    float as ``k`` is, not a 0-D array."""
    return ir.Const(0.0) if ts[0] == types.FLOAT else None


def _covers(ta: Arr, tb: Arr) -> bool:
    """Whether ``a``, which broadcasts to ``b``, has ``b``'s shape."""
    return ta.ndim == tb.ndim and all(a is False or (a is True and b is True)
                                      for a, b in zip(ta.ones, tb.ones))


def _product_vjp(args, ts):
    """``_matmul_vjp`` and ``_dot_vjp`` of operands of 1 or 2 dimensions (they agree)."""
    g, a, b, which = args
    ta, tb = ts[1], ts[2]
    if type(which) is not ir.Const or not (isinstance(ta, Arr) and isinstance(tb, Arr)) \
            or not (1 <= ta.ndim <= 2 and 1 <= tb.ndim <= 2):
        return None
    if which.value == 0:
        if tb.ndim == 2:
            return ir.Op(_matmul(), (g, _transposed(b)), "@")  # g @ b.T
        return _np("outer", g, b) if ta.ndim == 2 else _times(g, b)
    if ta.ndim == 2:
        return ir.Op(_matmul(), (_transposed(a), g), "@")  # a.T @ g
    return _np("outer", a, g) if tb.ndim == 2 else _times(g, a)


def _transposed(a):
    import numpy as np

    return ir.Op(np.transpose, (a,), ".T")


def _matmul():
    import operator

    return operator.matmul


def _times(a, b):
    import operator

    return ir.Op(operator.mul, (a, b), "*")


def _np(name: str, *args, **kwargs):
    import numpy as np

    return call(global_name("np", np, name), *args, **kwargs)


def _axes(axes: tuple) -> ir.Const:
    return ir.Const(axes[0] if len(axes) == 1 else axes)


def _shaped_as(g, x):
    """The abstract value of ``g`` summed or spread to ``x``'s shape."""
    if g is None or x is None:
        return None
    if isinstance(x, Num):
        return g if isinstance(g, Num) else Arr(g.dtype, ())
    return Arr(types.promote(g, x).dtype, x.ones)


def _operand(args, consts, kwargs):
    which = consts[3]
    return _shaped_as(args[0], args[1 + which]) if which in (0, 1) else None


def _added_items(xs, ys):
    """The abstract value of ``_add_items(xs, ys)``: a list adjoint plus the items
    (rows, for an array) of ``ys``."""
    if isinstance(ys, Arr) and ys.ndim:
        row = Arr(ys.dtype, ys.ones[1:])
    elif isinstance(ys, (tuple, types.Seq)):
        row = None
        for item in ys if isinstance(ys, tuple) else (ys.item,):
            row = item if row is None else types.join(row, item)
    else:
        return None
    if isinstance(xs, tuple):
        return tuple(types.promote(x, row) if x is not None and row is not None else None
                     for x in xs)
    if isinstance(xs, types.Seq) and xs.item is not None and row is not None:
        return types.Seq(types.promote(xs.item, row))
    return None


def _per_item(xs, each):
    """The abstract value of a list made of ``each(x)`` for the items ``x`` of a list
    of abstract value ``xs`` (None for one not known item by item)."""
    if not isinstance(xs, tuple):
        return None
    found = tuple(each(x) for x in xs)
    return found if None not in found else None


def _zero_type(x):
    """The abstract value of ``_zero_like(x)``: 0.0, or floating zeros shaped like ``x``."""
    if isinstance(x, Num) or (isinstance(x, Arr) and not x.ndim):
        return types.FLOAT
    return types.floating(x) if isinstance(x, Arr) else None


def _outer(args, consts, kwargs):
    a, b = args
    if not (isinstance(a, Arr) and isinstance(b, Arr)):
        return None
    flat = [t.ones[0] if t.ndim == 1 else None for t in (a, b)]
    return Arr(types.promote(a, b).dtype, tuple(flat))


_BROADCASTING = {"+", "-", "*", "/", "**"}
_SIZES: tuple = ()  # np.size and np.shape, once NumPy's rules are loaded
_REWRITES: dict[int, object] = {}


def _clip_partial_type(args, consts, kwargs):
    """``_clip_partial(a, lo, hi, which)``: float64, ``a``, ``lo`` and ``hi`` broadcast
    (the number 1.0 when there is no bound)."""
    bounds = [t for t, v in zip(args[1:3], consts[1:3]) if v is not None]
    return _float_array(types.promote(args[0], *bounds)) if bounds else types.FLOAT


def _float_array(shaped):
    """A float64 array of ``shaped``'s dimensions (a 0-D one for a number)."""
    if isinstance(shaped, Arr):
        return Arr("float64", shaped.ones, shaped.library)
    return Arr("float64", ()) if isinstance(shaped, Num) else None


def _kept_type(v, axis, keepdims):
    """The abstract value of ``_keep(v, axis, keepdims)``."""
    if not isinstance(v, Arr) or not v.ndim or keepdims is True or axis is None:
        return v if keepdims in (True, False) and axis is not types._UNKNOWN else None
    return types._expand_dims([v], [None, axis], {}) if keepdims is False else None


def _crossed(a, b):
    """The abstract value of ``_cross(a, b)``: the operands' other dimensions broadcast,
    then the vectors' (of 3 components)."""
    if not (isinstance(a, Arr) and isinstance(b, Arr) and a.ndim and b.ndim):
        return None
    rest = types.promote(Arr(a.dtype, a.ones[:-1], a.library), Arr(b.dtype, b.ones[:-1], b.library))
    return Arr(rest.dtype, rest.ones + (False,), rest.library)


def _cross_operand(args, consts, kwargs):
    """``_cross_vjp(g, a, b, which, ...)``: shaped as operand ``which``, of the dtype of
    ``g``, ``a`` and ``b`` promoted."""
    which = consts[3]
    if which not in (0, 1) or not all(isinstance(t, (Arr, Num)) for t in args[:3]) \
            or not isinstance(args[1 + which], Arr):
        return None
    return Arr(types.promote(*args[:3]).dtype, args[1 + which].ones)


def _helpers() -> dict:
    """Helper (by id) → its rewrite; empty until NumPy's rules are loaded."""
    if _REWRITES:
        return _REWRITES
    import sys

    rules = sys.modules.get("s2sdiff.rules.numpy")
    if rules is None:
        return _REWRITES
    import numpy as np

    from ..rules import indexing

    global _SIZES
    _SIZES = (np.size, np.shape)
    for helper, rewrite in ((rules._unbroadcast, _unbroadcast),
                            (rules._unbroadcast_from, _unbroadcast_from),
                            (rules._copies, _copies), (rules._full_tangent, _full_tangent),
                            (rules._matmul_vjp, _product_vjp), (rules._dot_vjp, _product_vjp),
                            (indexing._item_of, _item_of), (rules._keep, _kept),
                            (rules._extremum_share, _extremum_share),
                            (rules._spread, _spread), (indexing._scatter_add, _scattered),
                            (np.zeros_like, _zero_of_number), (rules._einsum_vjp, einsums.adjoint)):
        _REWRITES[id(helper)] = rewrite
    return _REWRITES


def _register_types() -> None:
    """The abstract values of the helpers the rules emit, for ``types.infer``: known
    as soon as NumPy is (an inference before any code is specialised needs them:
    a transform of a gradient infers its IR's)."""
    import numpy as np

    from ..rules import indexing, joining, numpy as rules, shaping

    types.register(lambda a, c, k: _kept_type(a[0], c[1], c[2]), rules._keep)
    types.register(lambda a, c, k: types.INT, rules._mean_count)
    types.register(lambda a, c, k: types.floating(a[0]), rules._centered,
                   rules._reciprocal_or_zero)
    types.register(lambda a, c, k: _float_array(a[0]), rules._sign)
    types.register(lambda a, c, k: _float_array(types.promote(a[0], a[1])), rules._ties)
    types.register(_clip_partial_type, rules._clip_partial)
    types.register(lambda a, c, k: types.floating(a[0]) if isinstance(a[0], Arr) else None,
                   rules._extremum_share)
    types.register(lambda a, c, k: _shaped_as(a[0], a[1]), rules._unbroadcast, rules._unreduce,
                   rules._fit, indexing._scatter_add, indexing._padded, shaping._diag_vjp,
                   indexing._take_vjp)
    types.register(lambda a, c, k: _shaped_as(a[2], a[0]) if isinstance(a[0], Arr) else None,
                   indexing._setitem)
    types.register(lambda a, c, k: Arr("float64", a[2].ones) if isinstance(a[2], Arr) else None,
                   indexing._add_rows)
    types.register(lambda a, c, k: _crossed(a[0], a[1]), rules._cross)
    types.register(_cross_operand, rules._cross_vjp)
    types.register(lambda a, c, k: _shaped_as(a[0], a[2]) if a[0] is not None else None,
                   indexing._item_of)
    types.register(lambda a, c, k: _shaped_as(a[0], a[2]), rules._unbroadcast_from)
    types.register(lambda a, c, k: types.INT, rules._copies)
    types.register(lambda a, c, k: types.promote(*a), rules._full_tangent)
    types.register(lambda a, c, k: _shaped_as(a[0], a[1]) if isinstance(a[1], Arr) and a[1].ndim
                   else a[0] if isinstance(a[1], (Num, Arr)) else None, rules._spread)
    types.register(_operand, rules._matmul_vjp, rules._dot_vjp)
    types.register(lambda a, c, k: _shaped_as(a[0], a[2 + c[6]]) if c[6] in range(4) else None,
                   rules._einsum_vjp)
    types.register(lambda a, c, k: _added_items(*a), joining._add_items)
    types.register(lambda a, c, k: _per_item(a[1], lambda x: _shaped_as(a[0], x)),
                   joining._concatenate_vjp)
    types.register(lambda a, c, k: _per_item(a[0], _zero_type), joining._zeros_of)
    types.register(lambda a, c, k: a[0] if isinstance(a[0], tuple) else None, joining._tangents)
    types.register(_outer, np.outer)


types.register_when_imported("numpy", _register_types)
