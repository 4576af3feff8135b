"""Code for lazy arrays (Dask): one task graph, computed when the user asks.

Generated code runs on Dask arrays as it is: NumPy's functions dispatch to
Dask's through ``__array_function__``/``__array_ufunc__``, and ``X.T @ g`` or
``np.sum(g, axis=0)`` over a chunked axis become Dask reductions that hold a
few chunks at a time.  What Dask cannot do lazily is refused here, at
generation, with the line of the user's source it comes from:

- a helper whose code writes items or reads sizes (``_scatter_add`` with
  ``np.add.at``, ``_unbroadcast`` with ``np.add.reduce``, ``np.size``…),
  left where the abstract values do not decide it (``back/specialise.py``);
- a write of an item of an array (``x[i] = v``);
- what computes a value to Python (``float(x)``, ``math.exp(x)``, ``if x > 0``,
  ``np.asarray(x)``) on a Dask value.

``lazy_code`` first writes ``np.size(x)`` (Dask warns it does not implement
it) as ``math.prod(np.shape(x))``, and the adjoint of a read ``w[0]`` or
``w[1:]`` as ``g`` padded with zeros (``_padded``: ``np.pad``, which Dask
has).  The ``buffers`` pass, which writes item adjoints in place, does not
run on such code (``pipeline.py``).  A pure pass on one function.
"""

from __future__ import annotations

import builtins
import math
import operator
from dataclasses import replace

from .. import ir
from ..errors import LocatedError, Location
from ..ir import types

# Helpers whose code Dask runs lazily: array arithmetic, reductions, broadcast_to.
_LAZY_HELPERS = ("_unreduce", "_keep", "_extremum_share", "_ties", "_sign", "_centered",
                 "_full_tangent", "_padded", "_reciprocal_or_zero", "_clip_partial")

# Helpers it cannot, and why (a helper of neither list is refused as unknown).
_EAGER_HELPERS = {
    "_scatter_add": "adds into zeros item by item (np.add.at; only integers and slices "
                    "of step 1 are padded instead)",
    "_setitem": "writes items of an array",
    "_unbroadcast": "sums over axes found at run time (np.add.reduce)",
    "_unbroadcast_from": "sums over axes found at run time (np.add.reduce)",
    "_copies": "counts elements with np.size",
    "_spread": "builds a NumPy array of the whole shape (np.full)",
    "_prod_others": "converts its operand to a NumPy array",
}

_TO_PYTHON = (float, int, bool, complex, builtins.min, builtins.max, round)


def lazy_code(fn: ir.Function, params: dict | None, callee_types=None) -> ir.Function:
    """``fn`` (code for arguments of abstract values ``params``, some of them Dask
    arrays) with ``np.size`` and the adjoints of basic reads written lazily; a
    located error for what Dask cannot build a task graph of."""
    fn = replace(fn, body=_lazy_calls(fn.body), reverse=_lazy_calls(fn.reverse))
    env = types.infer(fn, {p: (params or {}).get(p) for p in fn.params}, callee_types)
    origin = None
    for s in ir.walk(fn.statements):
        origin = getattr(s, "origin", None) or origin
        _check(s, env, origin)
    return fn


def _lazy_calls(stmts) -> tuple:
    """``stmts`` with ``np.size(x)`` (and ``_mean_count(x, None)``) written
    ``math.prod(np.shape(x))``, the adjoint
    of a basic read ``_scatter_add(g, x, 1:3)`` written ``_padded(g, x, 1:3)``, and
    ``np.reshape(g, shape, order='C')`` without its ``order``."""
    import numpy as np

    from ..emit.templates import call, global_name
    from ..rules import indexing
    from ..rules import numpy as rules

    def _count(x):
        return call(global_name("math", math, "prod"), call(global_name("np", np, "shape"), x))

    def value(v):
        if type(v) is not ir.Op:
            return v
        v = replace(v, args=tuple(map(value, v.args)),
                    kwargs=tuple((k, value(a)) for k, a in v.kwargs))
        if v.fn is np.size and len(v.args) == 1 and not v.kwargs:
            return _count(v.args[0])
        if v.fn is rules._mean_count and v.args[1:2] == (ir.Const(None),) and not v.kwargs:
            ddof = v.args[2] if len(v.args) > 2 else ir.Const(0)  # over every axis
            return _count(v.args[0]) if ddof == ir.Const(0) else \
                ir.Op(operator.sub, (_count(v.args[0]), ddof), "-")
        if v.fn is indexing._scatter_add and _basic(v.args[2]):
            return call(global_name("_padded", indexing._padded), *v.args)
        if v.fn is np.reshape and v.kwargs == (("order", ir.Const("C")),):
            return replace(v, kwargs=())  # Dask's reshape takes no order
        return v

    out = []
    for s in stmts:
        if type(s) in (ir.Assign, ir.Unpack, ir.Append):
            s = replace(s, value=value(s.value))
        elif type(s) is ir.If:
            s = replace(s, then=_lazy_calls(s.then), orelse=_lazy_calls(s.orelse))
        elif type(s) is ir.Loop:
            s = replace(s, body=_lazy_calls(s.body))
        out.append(s)
    return tuple(out)


def _basic(index) -> bool:
    """Whether ``index`` is a constant of integers and slices of step 1 (``_padded``'s)."""
    if type(index) is not ir.Const:
        return False
    items = index.value if isinstance(index.value, tuple) else (index.value,)
    return all((type(i) is int) or (isinstance(i, slice) and i.step in (None, 1)
                                    and all(type(b) is int or b is None
                                            for b in (i.start, i.stop)))
               for i in items)


def _check(s, env: dict, origin) -> None:
    def refuse(what: str, hint: str = _HINT) -> None:
        raise _error(f"{what}; the derivative must stay one lazy task graph",
                     origin, hint)

    if type(s) is ir.Assign and type(s.target) is ir.Item:
        refuse(f"on Dask arrays, the derivative would write an item in place ({s.target} = ...)")
    if type(s) is ir.If and types.lazy(types.atom_type(env, s.cond)):
        refuse("a branch on the value of a Dask array would compute it",
               "choose elementwise with np.where(cond, a, b)")
    if type(s) is ir.Loop and any(types.lazy(types.atom_type(env, a)) for a in s.args):
        refuse("a loop count read from a Dask array would compute it")
    for op in _ops(getattr(s, "value", None)):
        helper = getattr(op.fn, "__name__", "")
        if op.callee is not None and op.callee.name == helper and helper.startswith("_") \
                and helper not in _LAZY_HELPERS and not _counted_mean(op):
            reason = _EAGER_HELPERS.get(helper, "is not known to run lazily")
            refuse(f"on Dask arrays, the derivative of this line would call the helper {helper}, "
                   f"which {reason}")
        if any(types.lazy(types.atom_type(env, a)) for a in op.args) and _to_python(op):
            refuse(f"{op.callee}(...) would compute a Dask array to a Python or NumPy value",
                   "keep values arrays: np.exp, not math.exp; no float(...)")


_HINT = "call the transform on NumPy arrays to compute this derivative eagerly"


def _counted_mean(op: ir.Op) -> bool:
    """``_mean_count(x, axis)`` over given axes reads only ``np.shape(x)``."""
    return op.callee.name == "_mean_count" and len(op.args) > 1 \
        and type(op.args[1]) is ir.Const and op.args[1].value is not None


def _to_python(op: ir.Op) -> bool:
    """Whether ``op`` turns its operands into Python numbers or NumPy arrays."""
    import numpy as np

    fn = op.fn
    return any(fn is f for f in _TO_PYTHON) or fn in (np.asarray, np.array, np.asanyarray) \
        or getattr(fn, "__module__", None) == "math"


def _ops(v):
    """Every operation in the value ``v``, outermost first."""
    if type(v) is not ir.Op:
        return
    yield v
    for a in v.args + tuple(a for _, a in v.kwargs):
        yield from _ops(a)


def _error(message: str, origin, hint: str) -> LocatedError:
    if origin is None:
        return LocatedError(message, hint=hint)
    text = origin.text
    where = Location(origin.filename, origin.lineno, len(text) - len(text.lstrip()), text)
    return LocatedError(message, where, hint)
