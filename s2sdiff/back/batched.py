"""Batched seeds: one sweep of a tangent function for all the columns of a Jacobian.

A Jacobian's wrapper may call a jvp (or, for a Hessian, an hvp) once per
element of its inputs.  Given that function specialised to its arguments'
abstract values, ``batched`` writes a variant in which every tangent carries a
leading axis of seeds (as ``jax.vmap`` over the tangents), so that one call
gives every column.  Each operation reading a batched tangent is rewritten
by its batched form, the ranks known::

    t * a                 a tangent of lower rank than the result: t[:, None] * a
    np.sum(t, axis=0)     → np.sum(t, axis=1); no axis: the trailing axes
    A @ t                 t a vector: t @ A.T (a matrix of tangents: as it is)
    t[i]                  → t[:, i]
    t_buf = np.zeros_like(x); t_buf[i] += v   → a buffer with the seeds' axis

Primal values are untouched (they align with a batched tangent's trailing
axes), and a tangent that reads no seed is zero and stays as it is.  Where an
operation reading a batched tangent has no batched form here (a call of
another generated function, a loop carrying tangents, ``np.cumsum``...),
``batched`` gives the reason instead, and the wrapper keeps its call per seed:
never a wrong derivative.  A pure pass on one function.
"""

from __future__ import annotations

import operator
from dataclasses import replace

from .. import ir
from ..ir import types
from ..ir.types import Arr, Num
from ..emit.templates import call, global_name

_ELEMENTWISE = {"+", "-", "*", "/", "**", "u-", "u+"}


class _NoBatch(Exception):
    """An operation on batched tangents without a batched form (its text: the reason)."""


def batched(fn: ir.Function, params: dict, tangents: tuple[str, ...], name: str,
            callee_types=None, wrt: tuple[str, ...] | None = None) -> ir.Function | str:
    """``fn`` (a function of its primal parameters then the ``tangents``, returning
    ``(primals, tangents)``) with a leading axis of seeds on every tangent, named
    ``name``; its tangent results have that axis and their primal's shape.  With
    ``wrt``, ``fn`` is a vjp: ``tangents`` are its cotangents, and it returns the
    gradients of the ``wrt`` parameters, each given the seeds' axis and its
    parameter's shape.  Or, where some operation has no batched form, the reason
    (a sentence)."""
    try:
        buffers = _Batcher(params, tangents, (), callee_types).buffers_of(fn)
        batcher = _Batcher(params, tangents, buffers, callee_types)
        body, back = batcher.block(fn.body), batcher.block(fn.reverse)
        result = batcher.result(fn.result) if wrt is None else \
            batcher.gradients(fn.result, wrt)
    except _NoBatch as e:
        return str(e)
    return replace(fn, name=name, body=body, reverse=back, result=result, docstring="")


class _Batcher:
    """Rewrites statements in the order they run, knowing which names hold a batch
    of tangents (``batched``) and the abstract value each would have unbatched."""

    def __init__(self, params: dict, tangents: tuple, buffers, callee_types):
        self.infer = types._Infer(dict(params), callee_types)
        self.batched = set(tangents)
        self.lists: set = set()  # names of lists whose items are all batched
        self.buffers = set(buffers)  # names written item by item with batched values
        self.found: set = set()
        self.collect = False
        self.size = call(global_name("len", len), ir.Var(tangents[0]))

    def buffers_of(self, fn: ir.Function) -> set:
        """The names an item write gives batched values (a first, discarded walk)."""
        self.collect = True
        self.block(fn.statements)
        return self.found

    # -------------------------------------------------------------- statements

    def block(self, stmts) -> tuple:
        out = []
        for s in stmts:
            out += self.stmt(s)
        return tuple(out)

    def stmt(self, s) -> list:
        kind = type(s)
        if kind is ir.Comment:
            return [s]
        if kind is ir.Assign:
            new = self.assign(s)
        elif any(n in self.batched or n in self.lists for t in ir.walk((s,)) for n in ir.reads(t)):
            what = {ir.If: "a branch", ir.Loop: "a loop", ir.Append: "a list built by append",
                    ir.Push: "a list used as a stack", ir.Pop: "a list used as a stack",
                    }.get(kind, "a call of a generated function")
            raise _NoBatch(f"{what} carries tangents")
        else:
            new = [s]
        self.infer.stmt(s)
        return new

    def assign(self, s: ir.Assign) -> list:
        if type(s.target) is ir.Item:
            return [self.item(s)]
        target = s.target
        value, batched = self.expr(s.value)
        if s.accumulate and (batched or target in self.batched):
            total = ir.Op(operator.add, (ir.Var(target), s.value), "+")
            if target in self.batched and self.rank(ir.Var(target)) == self.rank(total):
                value = self.aligned(value, batched, self.rank(s.value), self.rank(total))
                return [replace(s, value=value)]
            value, batched = self.expr(total)
            s = replace(s, accumulate=False)
        if type(s.value) is ir.Op and s.value.syntax == "list" and batched:
            self.lists.add(target)
            self.batched.discard(target)
            return [replace(s, value=value)]
        self.lists.discard(target)
        if not batched and target in self.buffers:
            value, batched = self.buffer(s.value), True
        (self.batched.add if batched else self.batched.discard)(target)
        return [replace(s, value=value)]

    def buffer(self, value):
        """A buffer's first value, ``np.zeros_like(x)``, with the seeds' axis."""
        import numpy as np

        if not (type(value) is ir.Op and value.fn is np.zeros_like and len(value.args) == 1
                and not value.kwargs):
            raise _NoBatch(f"an array written item by item with tangents starts as {value}")
        x = value.args[0]
        shape = ir.Op(operator.add, (ir.Op(ir.make_tuple, (self.size,), "tuple"),
                                     call(global_name("np", np, "shape"), x)), "+")
        return call(global_name("np", np, "zeros_like"), x, shape=shape)

    def item(self, s: ir.Assign) -> ir.Assign:
        target = s.target
        if any(n in self.batched for n in ir.value_reads(target.index)):
            raise _NoBatch("a tangent is used as an index")
        value, batched = self.expr(s.value)
        if target.name not in self.batched:
            if batched:
                if self.collect:
                    self.found.add(target.name)
                    return s
                raise _NoBatch(f"{target.name} holds tangents written item by item")
            return s
        if batched:
            slot = self.rank(ir.Op(operator.getitem, (ir.Var(target.name), target.index),
                                   "subscript"))
            value = self.aligned(value, True, self.rank(s.value), slot)
        return replace(s, target=ir.Item(target.name, self.index(target.index)), value=value)

    def result(self, result):
        """``(primals, tangents)``, each tangent batched with its primal's shape."""
        primals, tangents = result

        def full(v, t):
            if isinstance(v, tuple):
                return tuple(full(a, b) for a, b in zip(v, t))
            return self.full(v, t)

        return primals, full(primals, tangents)

    def gradients(self, result, wrt: tuple):
        """A vjp's gradients, each batched with its parameter's shape."""
        if not isinstance(result, tuple) or len(result) != len(wrt):
            raise _NoBatch("its gradients are not one per parameter")
        return tuple(self.full(ir.Var(x), g) for x, g in zip(wrt, result))

    def full(self, v, t):
        import numpy as np

        shape = ir.Op(operator.add, (ir.Op(ir.make_tuple, (self.size,), "tuple"),
                                     call(global_name("np", np, "shape"), v)), "+")
        t0, (t, batched) = t, self.expr(t)
        if not batched:
            return call(global_name("np", np, "zeros_like"), v, shape=shape)
        if _same_shape(self.infer.atom(v), self.infer.atom(t0)):
            return t
        return call(global_name("np", np, "broadcast_to"),
                    self.aligned(t, True, self.rank(t0), self.rank(v)), shape)

    # -------------------------------------------------------------- expressions

    def expr(self, e) -> tuple:
        """``e`` rewritten for batched tangents, and whether it is a batch."""
        if type(e) is ir.Var:
            return e, e.name in self.batched or e.name in self.lists
        if type(e) is not ir.Op:
            return e, False
        parts = [self.expr(a) for a in e.args]
        if any(self.expr(v)[1] for _, v in e.kwargs):
            raise _NoBatch(f"{e} takes a tangent by keyword")
        flags = [b for _, b in parts]
        if not any(flags):
            return e, False
        return self.rule(e, [a for a, _ in parts], flags), True

    def rule(self, e: ir.Op, args: list, flags: list):
        import numpy as np

        from ..rules import joining
        from ..rules import numpy as rules

        fn, syntax = e.fn, e.syntax
        if syntax in _ELEMENTWISE or (syntax == "call" and not e.kwargs and (
                (isinstance(fn, np.ufunc) and fn.nout == 1) or fn is np.where
                or fn is np.zeros_like)) or (fn is np.asarray and len(args) == 1
                                             and {k for k, _ in e.kwargs} == {"dtype"}):
            r = self.rank(e)
            return replace(e, args=tuple(self.aligned(a, b, self.rank(o), r)
                                         for a, b, o in zip(args, flags, e.args)))
        if syntax == "@" or fn is np.matmul or fn is np.dot:
            return self.matmul(e, args, flags)
        if syntax == ".T" and flags[0]:
            r = self.rank(e.args[0])
            if r <= 1:
                return args[0]
            if r == 2:
                return call(global_name("np", np, "swapaxes"), args[0], ir.Const(1),
                            ir.Const(2))
        if syntax == "subscript" and flags == [True, False]:
            if type(e.args[0]) is ir.Var and e.args[0].name in self.lists:
                if type(e.args[1]) is ir.Const and type(e.args[1].value) is int:
                    return e  # an item of a list of batches: a batch
                raise _NoBatch(f"{e}: a list of tangents indexed by {e.args[1]}")
            return replace(e, args=(args[0], self.index(e.args[1])))
        if syntax == "call" and flags[0] and not any(flags[1:]):
            if fn in (np.sum, np.mean, np.add.reduce):
                return self.reduction(e, args)
            if fn is rules._unbroadcast and self.rank(e.args[0]) >= self.rank(e.args[1]):
                return self.helper("_unbroadcast_seeds", args)
            if fn is rules._full_tangent:
                return self.helper("_full_tangent_seeds", args)
            if fn is rules._unreduce and len(args) == 4:
                return self.helper("_unreduce_seeds", args)
            if fn in (np.transpose, np.expand_dims, np.reshape):
                return self.shaped(e, args)
        if syntax == "call" and fn is np.outer and len(args) == 2 and not e.kwargs \
                and self.rank(e.args[0]) == self.rank(e.args[1]) == 1:
            a, b = args  # np.outer(t, x): t[:, :, None] * x; np.outer(x, t): x[:, None] * t[:, None]
            a = _item(a, (slice(None), slice(None), None) if flags[0] else (slice(None), None))
            b = _item(b, (slice(None), None)) if flags[1] else b
            return ir.Op(operator.mul, (a, b), "*")
        if syntax == "call" and fn is joining._tangents and flags == [False, True]:
            return self.tangents(e, args)
        if syntax == "call" and fn in (np.stack, np.concatenate) and flags[0] \
                and not any(flags[1:]) and type(args[0]) is ir.Var and args[0].name in self.lists:
            return self.joined(e, args)
        if syntax == "list":
            if not all(flags):
                raise _NoBatch(f"{e} holds tangents and zeros")
            r = max(self.rank(a) for a in e.args)
            if any(self.rank(a) != r for a in e.args):
                raise _NoBatch(f"{e} holds tangents of several ranks")
            return replace(e, args=tuple(args))
        raise _NoBatch(f"{e} has no batched form")

    def matmul(self, e: ir.Op, args: list, flags: list):
        ra, rb = self.rank(e.args[0]), self.rank(e.args[1])
        if not (1 <= ra <= 2 and 1 <= rb <= 2) or all(flags) or e.kwargs:
            raise _NoBatch(f"{e}: no batched form for these ranks")
        a, b = args
        if flags[1] and rb == 1:  # A @ t, t a vector: t @ A.T (a @ t: t @ a)
            import numpy as np

            if ra == 1:
                return ir.Op(operator.matmul, (b, a), "@")
            at = a.args[0] if type(a) is ir.Op and a.syntax == ".T" else \
                ir.Op(np.transpose, (a,), ".T")
            return ir.Op(operator.matmul, (b, at), "@")
        return ir.Op(operator.matmul, (a, b), "@")  # matmul broadcasts over the seeds

    def reduction(self, e: ir.Op, args: list):
        import numpy as np

        r = self.rank(e.args[0])
        kwargs = dict(e.kwargs)
        if len(args) > 2 or (len(args) == 2 and "axis" in kwargs):
            raise _NoBatch(f"{e} has no batched form")
        default = ir.Const(0 if e.fn is np.add.reduce else None)
        axis = args[1] if len(args) == 2 else kwargs.get("axis", default)
        if type(axis) is not ir.Const:
            raise _NoBatch(f"{e}: its axis is not known when the code is written")
        value = axis.value
        if value is None:
            value = tuple(range(1, r + 1))
            value = value[0] if len(value) == 1 else value
        elif isinstance(value, int):
            value = value + 1 if value >= 0 else value
        else:
            value = tuple(a + 1 if a >= 0 else a for a in value)
        kwargs["axis"] = ir.Const(value)
        return replace(e, args=(args[0],), kwargs=tuple(kwargs.items()))

    def shaped(self, e: ir.Op, args: list):
        """``np.transpose``, ``np.expand_dims``, ``np.reshape`` of a batch."""
        import numpy as np

        if e.fn is np.transpose and len(args) == 1:
            args = args + [ir.Const(None)]
        if len(args) != 2 or e.kwargs:
            raise _NoBatch(f"{e} has no batched form")
        how = args[1]
        if e.fn is np.reshape:
            if type(how) is ir.Const and isinstance(how.value, int):
                how = ir.Const((how.value,))
            if type(how) is ir.Const and -1 in how.value:
                raise _NoBatch(f"{e}: a batch cannot take a length -1")
            shape = ir.Op(operator.add, (ir.Op(ir.make_tuple, (self.size,), "tuple"), how), "+")
            return replace(e, args=(args[0], shape))
        if type(how) is not ir.Const:
            raise _NoBatch(f"{e}: its axes are not known when the code is written")
        value = how.value
        if e.fn is np.transpose:
            r = self.rank(e.args[0])
            value = (0,) + (tuple(range(r, 0, -1)) if value is None else
                            tuple(a + 1 if a >= 0 else a + r + 1 for a in value))
        elif isinstance(value, int):
            value = value + 1 if value >= 0 else value
        else:
            value = tuple(a + 1 if a >= 0 else a for a in value)
        return replace(e, args=(args[0], ir.Const(value)))

    def helper(self, name: str, args: list):
        from ..rules import assembly

        return call(global_name(name, getattr(assembly, name)), *args)

    def tangents(self, e: ir.Op, args: list):
        """``_tangents(arrays, arrays_dot)``: the batched list itself where each
        tangent has its array's rank (each is a batch: ``self.lists``)."""
        primal = self.infer.atom(e.args[0])
        items = self.infer.atom(e.args[1])
        if not (isinstance(primal, tuple) and isinstance(items, tuple)
                and len(primal) == len(items)
                and all(_same_shape(a, b) for a, b in zip(primal, items))):
            raise _NoBatch(f"{e}: tangents of other shapes than their arrays")
        return args[1]

    def joined(self, e: ir.Op, args: list):
        kwargs = dict(e.kwargs)
        axis = args[1] if len(args) > 1 else kwargs.pop("axis", ir.Const(0))
        if type(axis) is not ir.Const or not isinstance(axis.value, int):
            raise _NoBatch(f"{e}: its axis is not known when the code is written")
        shifted = ir.Const(axis.value + 1 if axis.value >= 0 else axis.value)
        return replace(e, args=(args[0], shifted), kwargs=tuple(kwargs.items()))

    def index(self, index):
        """An index with a full slice in front (the seeds' axis)."""
        every = ir.Const(slice(None))
        if type(index) is ir.Const:
            value = index.value
            return ir.Const((slice(None),) + (value if isinstance(value, tuple) else (value,)))
        items = index.args if type(index) is ir.Op and index.syntax == "tuple" else (index,)
        if any(type(a) is not ir.Const and not isinstance(self.infer.atom(a), (Num, Arr, slice))
               for a in items):  # a tuple held by a name, say
            raise _NoBatch(f"an index of unknown kind: {index}")
        arrays = [a for a in items if isinstance(self.infer.atom(a), Arr)
                  or (type(a) is ir.Const and not isinstance(a.value, (int, slice))
                      and a.value is not None and a.value is not Ellipsis)]
        if len(arrays) > 1:
            raise _NoBatch("an index of several arrays")
        return ir.Op(ir.make_tuple, (every,) + tuple(items), "tuple")

    # -------------------------------------------------------------- ranks

    def rank(self, e) -> int:
        found = _rank(self.infer.atom(e))
        if found is None:
            raise _NoBatch(f"the shape of {e} "
                           "is not known")
        return found

    def aligned(self, a, batched: bool, rank: int, to: int):
        """``a`` with axes added after the seeds' axis, to rank ``to`` (a batch only)."""
        if not batched or rank >= to:
            return a
        return ir.Op(operator.getitem, (a, ir.Const((slice(None),) + (None,) * (to - rank))),
                     "subscript")


def _rank(value) -> int | None:
    if isinstance(value, Num):
        return 0
    if isinstance(value, Arr):
        return value.ndim
    return None


def _same_shape(a, b) -> bool:
    """Whether values of abstract values ``a`` and ``b`` surely have one shape."""
    if isinstance(a, Num) or isinstance(b, Num):
        return _rank(a) == _rank(b) == 0
    return isinstance(a, Arr) and isinstance(b, Arr) and a.ones == b.ones \
        and None not in a.ones


def _item(a, index: tuple) -> ir.Op:
    return ir.Op(operator.getitem, (a, ir.Const(index)), "subscript")
