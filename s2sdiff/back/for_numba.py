"""Derivative code Numba compiles in nopython mode (``jit=True``, ``--numba``).

Numba compiles the plain Python s2sdiff writes, with exceptions this pure
pass rewrites.  ``reversed(...)``, which Numba does not know, in the reverse
sweep's loop headers, and ``math.log(x, base)``, which it knows with one
argument only:

* A loop counted backwards, ``for i in reversed(range(a, b))``, becomes
  ``for i in range(b - 1, a - 1, -1)`` (the bounds computed at generation
  when they are numbers: ``range(99, -1, -1)``).
* A loop walking a tape backwards, ``for z, t in reversed(_tape):``, pops
  its records: ``for _ in range(len(_tape)): z, t = _tape.pop()``.

And a Numba list holds items of one type: a tape that records values of
several kinds (a branch's condition, and a loop's numbers) becomes one tape per
kind of record, named by the values it records (each pop reads the tape of its
values; the order of the records of one kind is the same on its own tape).
A tape that leaves its function (in the record of a split call) stays whole.

``unsupported(fn)`` names the calls Numba cannot compile, so that they are
refused at generation rather than by Numba's type inference at the first call.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import replace

from .. import ir
from ..emit.templates import is_default
from ..errors import LocatedError, Location, S2SDiffError
from ..front.names import Namer


def compilable(fn: ir.Function) -> ir.Function:
    """``fn`` with every loop header and tape written as Numba compiles them."""
    tapes = _tapes_per_record(fn)
    return replace(fn, body=_block(fn.body, tapes), reverse=_block(fn.reverse, tapes))


def _tapes_per_record(fn: ir.Function) -> dict:
    """(tape, recorded names) → the tape of those records, for each tape recording
    several kinds of records and read by nothing but pushes and pops."""
    kinds: dict = {}
    for s in ir.walk(fn.statements):
        if isinstance(s, ir.Push):
            kinds.setdefault(s.tape, {}).setdefault(s.values, None)
    shared = {t for t, records in kinds.items() if len(records) > 1}
    shared -= {n for s in ir.walk(fn.statements) if not isinstance(s, (ir.Push, ir.Pop))
               for n in ir.reads(s)}
    shared -= set(ir.value_reads(fn.result))
    namer = Namer(ir.local_names(fn))
    return {(t, values): namer.fresh(t) for t in sorted(shared) for values in kinds[t]}


def _block(stmts, tapes: dict) -> tuple:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and ir.is_tape(s.value) and any(t == s.target for t, _ in tapes):
            out += [ir.Assign(name, ir.new_tape()) for (t, _), name in tapes.items() if t == s.target]
        else:
            out.append(_stmt(s, tapes))
    return tuple(out)


def _stmt(s, tapes: dict):
    if isinstance(s, (ir.Assign, ir.Unpack)):
        return replace(s, value=_value(s.value))
    if isinstance(s, (ir.Push, ir.Pop)):
        return replace(s, tape=tapes.get((s.tape, s.values), s.tape))
    if isinstance(s, ir.If):
        return replace(s, then=_block(s.then, tapes), orelse=_block(s.orelse, tapes))
    if not isinstance(s, ir.Loop):
        return s
    body = _block(s.body, tapes)
    if s.kind == "reversed":
        return replace(s, kind="for", args=_counted_down(s.args), body=body)
    if s.kind == "replay":
        trips = ir.Op(len, s.args, "call", ir.Global("len", len, home="builtins"))
        return replace(s, kind="repeat", args=(trips,), body=body)
    return replace(s, body=body)


def _value(v):
    """``v`` with the calls Numba knows under another form rewritten:
    ``math.log(x, b)`` as ``math.log(x) / math.log(b)``, keywords passed their
    default value left out."""
    if type(v) is not ir.Op:
        return v
    v = replace(v, args=tuple(map(_value, v.args)),
                kwargs=tuple((k, _value(a)) for k, a in v.kwargs if not is_default(v.fn, k, a)))
    if v.fn is math.log and len(v.args) == 2:
        x, base = (replace(v, args=(a,)) for a in v.args)
        return ir.Op(operator.truediv, (x, base), "/")
    return v


def _counted_down(args: tuple) -> tuple:
    """The ``range`` arguments visiting ``range(*args)`` backwards."""
    if all(isinstance(a, ir.Const) and type(a.value) is int for a in args):
        steps = range(*(a.value for a in args))[::-1]
        return tuple(map(ir.Const, (steps.start, steps.stop, steps.step)))
    if len(args) == 1:
        return (_minus(args[0], 1), ir.Const(-1), ir.Const(-1))
    if len(args) == 2 or (len(args) == 3 and args[2] == ir.Const(1)):
        return (_minus(args[1], 1), _minus(args[0], 1), ir.Const(-1))
    start, stop, step = args  # the last value: start + (trips - 1) * step
    trips = ir.Op(len, (ir.Op(range, args, "call", ir.Global("range", range, home="builtins")),),
                  "call", ir.Global("len", len, home="builtins"))
    last = _plus(start, _times(_minus(trips, 1), step))
    return (last, _minus(start, step), ir.Op(operator.neg, (step,), "u-"))


def _minus(a, b):
    if isinstance(a, ir.Const):
        return ir.Const(a.value - b)
    return ir.Op(operator.sub, (a, b if isinstance(b, (ir.Var, ir.Const, ir.Op)) else ir.Const(b)),
                 "-")


def _plus(a, b):
    return ir.Op(operator.add, (a, b), "+")


def _times(a, b):
    return ir.Op(operator.mul, (a, b), "*")


def numba():
    """The ``numba`` module, or an error saying how to install it."""
    try:
        import numba
    except ImportError:
        raise S2SDiffError("jit=True (--numba) compiles the derivative with Numba, which is "
                           "not installed: pip install 's2sdiff[numba]'") from None
    return numba


def decorator(cache: bool) -> str:
    """The decorator of every generated function (``numba`` is bound by the printer)."""
    numba()
    return "numba.njit(cache=True)" if cache else "numba.njit"


def unsupported(functions) -> None:
    """Raise a located error for the first call in ``functions`` of a callable
    Numba does not know (resolved as Numba's type inference resolves globals)."""
    typing_context = _typing_context()
    own = {f.name for f in functions}
    for fn in functions:
        for s in ir.walk(fn.statements):
            for op in _calls(s):
                if not _known(op, own, typing_context):
                    raise LocatedError(
                        f"jit: Numba cannot compile a call of {op.callee} (in {fn.name})",
                        _location(s), "call this function without jit=True (or --numba)")


def array_code(functions) -> bool:
    """Whether ``functions`` call NumPy or an array helper (code for arrays)."""
    return any(getattr(op.fn, "__module__", None) in _ARRAY_MODULES
               or getattr(op.fn, "__s2sdiff_helper__", False)
               or type(op.fn).__name__ == "ufunc"
               for fn in functions for s in ir.walk(fn.statements) for op in _calls(s))


_ARRAY_MODULES = {"numpy", "numpy.linalg"}


@functools.cache
def _typing_context():
    """Numba's typing context, every registry of what it compiles loaded (they load
    when it compiles a first function)."""
    jit = numba()
    jit.njit(lambda: 0.0)()
    context = jit.core.registry.cpu_target.typing_context
    context.refresh()
    return context


def _calls(s):
    """The calls in the values statement ``s`` computes."""
    stack = [s.value] if isinstance(s, (ir.Assign, ir.Unpack)) else list(getattr(s, "args", ()))
    while stack:
        v = stack.pop()
        if type(v) is ir.Op:
            if v.syntax == "call":
                yield v
            stack.extend(v.args)
            stack.extend(a for _, a in v.kwargs)


def _location(s) -> Location | None:
    where = getattr(s, "origin", None)
    return None if where is None else Location(where.filename, where.lineno, 0, where.text)


def _known(op: ir.Op, own: set, typing_context) -> bool:
    if isinstance(op.callee, ir.Callee) or getattr(op.callee, "name", None) in own:
        return True
    try:
        typing_context.resolve_value_type(op.fn)
    except Exception:  # noqa: BLE001 - Numba's typing errors share no base to name
        return False
    return True
