"""Derivative code Numba compiles in nopython mode (``jit=True``, ``--numba``).

Numba compiles the plain Python s2sdiff writes, with exceptions this pure
pass rewrites.  ``reversed(...)``, which Numba does not know, in the reverse
sweep's loop headers, and ``math.log(x, base)``, which it knows with one
argument only:

* A loop counted backwards, ``for i in reversed(range(a, b))``, becomes
  ``for i in range(b - 1, a - 1, -1)`` (the bounds computed at generation
  when they are numbers: ``range(99, -1, -1)``).
* A loop walking a tape backwards, ``for z, t in reversed(_tape):``, reads
  its records by index: ``for i in range(len(_tape) - 1, -1, -1):
  z, t = _tape[i]`` (about a tenth faster than popping them).

And a Numba list holds items of one type: a tape that records values of
several kinds (a branch's condition, and a loop's numbers) becomes one tape per
kind of record, named by the values it records (each pop reads the tape of its
values; the order of the records of one kind is the same on its own tape).
A tape that leaves its function (in the record of a split call) stays whole.

Records of a ``for`` loop over a ``range`` (its trip count known before it
runs) that are numbers go into arrays allocated before the loop, one per
recorded value, written and read by trip index, as one writes them by hand::

    z_tape = np.empty(100)
    for i in range(100):
        z_tape[i] = z
        ...
    for i in range(99, -1, -1):
        z = z_tape[i]

The records of a ``for`` loop inside it whose bounds it does not change have a
row per trip of the outer loop: ``np.empty((n, m))``, ``t_tape[i, j] = t``.
A value's array has its kind (float, int or bool), which the abstract values
of the function's statements tell (``types_of``; for code serving every kind
of number, the kind it has whether the parameters are floats, ints or bools).
Records of a ``while`` loop (trip count unknown), of an inner loop whose
bounds change with the outer loop's trips or nested deeper, values of unknown
type and the tapes of derived functions (their parameters' types are not
known here) stay on lists.  This is for Numba only: run by Python, NumPy's
item writes and reads make the same code 1.4–2.8 times slower than lists.

``unsupported(fn)`` names the calls Numba cannot compile, so that they are
refused at generation rather than by Numba's type inference at the first call.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
from dataclasses import dataclass, field, replace

from .. import ir
from ..emit.templates import call, global_name, is_default, item
from ..ir import types
from ..errors import LocatedError, Location, S2SDiffError
from ..front.names import Namer


NUMBERS = "numbers"  # ``types_of`` of code serving every kind of number


def compilable(fn: ir.Function, types_of=None, callee_types=None) -> ir.Function:
    """``fn`` with every loop header and tape written as Numba compiles them.

    ``types_of``: the abstract values of ``fn``'s parameters (NUMBERS: any kind of
    number; None: not known, every tape stays a list); ``callee_types`` as for
    ``types.infer``."""
    fn = array_tapes(fn, _number_kinds(fn, types_of, callee_types))
    namer = Namer(ir.local_names(fn))
    tapes = _tapes_per_record(fn, namer)
    return replace(fn, body=_block(fn.body, tapes, namer),
                   reverse=_block(fn.reverse, tapes, namer))


def _number_kinds(fn: ir.Function, types_of, callee_types) -> dict:
    """name → "float", "int" or "bool": the names of ``fn`` holding a Python number
    of that kind, whatever kind of number each parameter is (``types_of`` NUMBERS)
    or for parameters of the abstract values ``types_of``."""
    if types_of is None:
        return {}
    if types_of == NUMBERS:
        runs = [types.infer(fn, {p: types.Num(k) for p in fn.params}, callee_types)
                for k in _DTYPES]
    else:
        runs = [types.infer(fn, dict(types_of), callee_types)]
    kinds = {n: _kind(v) for n, v in runs[0].items()}
    return {n: kind for n, kind in kinds.items()
            if kind is not None and all(_kind(run.get(n)) == kind for run in runs[1:])}


_DTYPES = {"float": None, "int": "int64", "bool": "bool_"}  # a kind → its array's dtype


def _kind(value) -> str | None:
    """The kind of number of an abstract value (an item of an array of float64, int64
    or bools is one too), or None."""
    if isinstance(value, types.Num):
        return value.kind if value.kind in _DTYPES else None
    if isinstance(value, types.Arr) and not value.ones:
        return {"float64": "float", "int64": "int", "bool": "bool"}.get(value.dtype)
    return None


@dataclass(frozen=True)
class _Plan:
    """The records of ``loop`` (a ``for`` loop) that go into arrays: (tape, values)
    of a push → {value: its array's name}; ``back`` is the loop reading them; ``var``
    the variable of both (``_`` is named).  ``inner``: the plans of the ``for`` loops
    of its own body whose bounds it does not change (their arrays have a row per
    trip of ``loop``), by the ids of their loops (both)."""

    loop: ir.Loop
    back: ir.Loop
    arrays: dict
    var: str | None = None
    inner: dict = field(default_factory=dict)


def array_tapes(fn: ir.Function, kinds: dict) -> ir.Function:
    """``fn`` with the records of its counted loops that are numbers (``kinds``: see
    ``_number_kinds``) in arrays allocated before the loop, indexed by trip."""
    plans = _plans(fn, kinds)
    if not plans:
        return fn
    namer = Namer(ir.local_names(fn))
    read = {n for s in ir.walk(fn.statements) for n in ir.reads(s)}

    def named(plan: _Plan) -> _Plan:
        arrays = {record: {v: namer.first(f"{v}_tape") for v in values}
                  for record, values in plan.arrays.items()}
        var = namer.first("i") if plan.loop.var == "_" and "_" not in read else plan.loop.var
        inner = {key: named(p) for key, p in plan.inner.items()}
        inner |= {id(p.back): p for p in inner.values()}
        return replace(plan, arrays=arrays, var=var, inner=inner)

    plans = [named(p) for p in plans.values()]
    by_loop = {id(p.loop): p for p in plans} | {id(p.back): p for p in plans}
    body = _on_arrays(fn.body, by_loop, kinds)
    reverse = _on_arrays(fn.reverse, by_loop, kinds)
    pushed = {s.tape for s in ir.walk(body + reverse) if isinstance(s, ir.Push)}
    body = tuple(s for s in body if not (isinstance(s, ir.Assign) and ir.is_tape(s.value)
                                         and s.target not in pushed))
    return replace(fn, body=body, reverse=reverse)


def _plans(fn: ir.Function, kinds: dict) -> dict:
    """id of a forward loop → its _Plan (array names not chosen yet: {value: None}).

    A record goes into arrays when it is pushed once per trip, by one push of the
    own body (not of an inner loop) of a loop outside every other loop, or of a
    loop of its own body whose bounds it does not change, onto a tape made here
    and read by pushes and pops only, and popped by one pop of the own body of
    the loop running the same trips backwards (inside the one running the outer
    loop's trips backwards)."""
    tapes = _own_tapes(fn)
    pushes, pops = _by_record(fn.body, ir.Push), _by_record(fn.statements, ir.Pop)
    plans: dict = {}
    for (record, depth), nests in pushes.items():
        backs = pops.get((record, depth), [])
        if record[0] not in tapes or len(nests) != 1 or len(backs) != 1:
            continue
        nest, back = nests[0], backs[0]
        numbers = [v for v in record[1] if v in kinds]
        if not numbers or not all(map(_backwards, back, nest)):
            continue
        if len(nest) == 2 and not _invariant(nest[1].args, nest[0]):
            continue
        plan = plans.setdefault(id(nest[0]), _Plan(nest[0], back[0], {}))
        if plan.back is not back[0]:
            continue
        if len(nest) == 2:
            plan = plan.inner.setdefault(id(nest[1]), _Plan(nest[1], back[1], {}))
        if plan.back is back[-1]:
            plan.arrays[record] = dict.fromkeys(numbers)
    return plans


def _own_tapes(fn: ir.Function) -> set:
    """The tapes ``fn`` makes and reads by pushes and pops only (and by the loops
    walking them backwards)."""
    made = {s.target for s in fn.body if isinstance(s, ir.Assign) and ir.is_tape(s.value)}
    for s in ir.walk(fn.statements):
        if not isinstance(s, (ir.Push, ir.Pop)) and not (isinstance(s, ir.Loop)
                                                        and s.kind == "replay"):
            made -= set(ir.reads(s))
    return made - set(ir.value_reads(fn.result))


def _by_record(stmts, kind) -> dict:
    """((tape, values), depth) → the loops whose own body (not an inner loop's)
    pushes (or pops: ``kind``) them, once per push (pop), each with the loop it is
    in: (a loop outside every other loop,) at depth 1, or (that loop, a loop of its
    own body) at depth 2."""
    found: dict = {}
    for loop in _outer_loops(stmts):
        for nest in [(loop,)] + [(loop, inner) for inner in _outer_loops(loop.body)]:
            for s in _own(nest[-1].body):
                if isinstance(s, kind):
                    found.setdefault(((s.tape, s.values), len(nest)), []).append(nest)
    return found


def _outer_loops(stmts):
    """The loops of ``stmts`` and of its branches, not those inside loops."""
    for s in stmts:
        if isinstance(s, ir.Loop):
            yield s
        elif isinstance(s, ir.If):
            yield from _outer_loops(s.then)
            yield from _outer_loops(s.orelse)


def _own(stmts):
    """The statements of ``stmts`` and of its branches, not those inside loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _own(s.then)
            yield from _own(s.orelse)


def _backwards(back: ir.Loop, loop: ir.Loop) -> bool:
    """Whether ``back`` runs the trips of ``loop`` (a ``for`` loop) backwards."""
    if loop.kind != "for":
        return False
    return back.kind == "replay" or (back.kind == "reversed" and back.var == loop.var
                                     and back.args == loop.args)


def _invariant(args: tuple, loop: ir.Loop) -> bool:
    """Whether ``loop`` leaves the values ``args`` unchanged."""
    changed = {n for s in ir.walk((loop,)) for n in ir.writes(s)}
    return not any(isinstance(a, ir.Var) and a.name in changed for a in args)


def _on_arrays(stmts, plans: dict, kinds: dict) -> tuple:
    """``stmts`` with the records of the planned loops written to and read from arrays."""
    out: list = []
    for s in stmts:
        plan = plans.get(id(s))
        if isinstance(s, ir.If):
            s = replace(s, then=_on_arrays(s.then, plans, kinds),
                        orelse=_on_arrays(s.orelse, plans, kinds))
        elif plan is not None and s is plan.loop:
            trips = _trips(s.args)
            out += [ir.Assign(name, _empty(trips, kinds[v]))
                    for arrays in plan.arrays.values() for v, name in arrays.items()]
            out += [ir.Assign(name, _empty(_index((trips, _trips(p.loop.args))), kinds[v]))
                    for key, p in plan.inner.items() if key == id(p.loop)
                    for arrays in p.arrays.values() for v, name in arrays.items()]
            s = replace(s, var=plan.var, body=_records(s.body, plan, ()))
        elif plan is not None:  # the loop reading them, backwards over the same range
            s = ir.Loop("reversed", plan.var, plan.loop.args, _records(s.body, plan, ()), (),
                        s.origin)
        out.append(s)
    return tuple(out)


def _records(stmts, plan: _Plan, outer: tuple) -> tuple:
    """``stmts`` (of the body of ``plan``'s loop, or of the loop reading it) with the
    pushes (pops) of its records written as item writes (reads) at this trip's index
    (after ``outer``, the indices of the trips of loops outside); the other values of
    a record stay on the tape."""
    at = outer + (_trip(plan.loop.args, plan.var),)
    index = _index(at)
    out: list = []
    for s in stmts:
        on = plan.arrays.get((s.tape, s.values), {}) if isinstance(s, (ir.Push, ir.Pop)) else {}
        rest = tuple(v for v in getattr(s, "values", ()) if v not in on)
        inner = plan.inner.get(id(s))
        if isinstance(s, ir.If):
            out.append(replace(s, then=_records(s.then, plan, outer),
                               orelse=_records(s.orelse, plan, outer)))
        elif inner is not None:
            out.append(replace(s, var=inner.var, body=_records(s.body, inner, at)))
        elif isinstance(s, ir.Push) and on:
            out += [ir.Assign(ir.Item(name, index), ir.Var(v)) for v, name in on.items()]
            out += [replace(s, values=rest)] * bool(rest)
        elif isinstance(s, ir.Pop) and on:
            out += [replace(s, values=rest)] * bool(rest)
            out += [ir.Assign(v, item(ir.Var(name), index)) for v, name in on.items()]
        else:
            out.append(s)
    return tuple(out)


def _index(values: tuple):
    """The index of an item: one value, or the tuple of several (constants: a constant)."""
    if len(values) == 1:
        return values[0]
    if all(isinstance(v, ir.Const) for v in values):
        return ir.Const(tuple(v.value for v in values))
    return ir.Op(ir.make_tuple, values, "tuple")


def _bounds(args: tuple) -> tuple:
    """(start, stop, step) of ``range(*args)``."""
    if len(args) == 1:
        return ir.Const(0), args[0], ir.Const(1)
    return args[0], args[1], args[2] if len(args) == 3 else ir.Const(1)


def _trip(args: tuple, var: str):
    """The index of the running trip of ``for var in range(*args)``."""
    start, _, step = _bounds(args)
    index = ir.Var(var)
    if start != ir.Const(0):
        index = ir.Op(operator.sub, (index, start), "-")
    if step != ir.Const(1):
        index = ir.Op(operator.floordiv, (index, step), "//")
    return index


def _trips(args: tuple):
    """The number of trips of ``for _ in range(*args)``, as a value."""
    if all(isinstance(a, ir.Const) and type(a.value) is int for a in args):
        return ir.Const(len(range(*(a.value for a in args))))
    start, stop, step = _bounds(args)
    if step != ir.Const(1):
        return call(_builtin("len"), call(_builtin("range"), *args))
    span = stop if start == ir.Const(0) else ir.Op(operator.sub, (stop, start), "-")
    return call(_builtin("max"), span, ir.Const(0))


def _builtin(name: str) -> ir.Global:
    return ir.Global(name, getattr(builtins, name), home="builtins")


def _empty(trips, kind: str) -> ir.Op:
    """``np.empty(trips)``, of dtype ``kind``'s."""
    import numpy

    dtype = _DTYPES[kind]
    options = {} if dtype is None else {"dtype": global_name("np", numpy, dtype)}
    return call(global_name("np", numpy, "empty"), trips, **options)


def _tapes_per_record(fn: ir.Function, namer: Namer) -> dict:
    """(tape, recorded names) → the tape of those records, for each tape recording
    several kinds of records, popped under the names it was pushed with (not a list
    the user's code pops, ``u = stack.pop()``, nor its adjoint) and read by nothing
    but pushes and pops."""
    kinds: dict = {}
    popped: dict = {}
    for s in ir.walk(fn.statements):
        if isinstance(s, ir.Push):
            kinds.setdefault(s.tape, {}).setdefault(s.values, None)
        elif isinstance(s, ir.Pop):
            popped.setdefault(s.tape, set()).add(s.values)
    shared = {t for t, records in kinds.items() if len(records) > 1
              and popped.get(t, set()) <= records.keys()}
    shared -= {n for s in ir.walk(fn.statements) if not isinstance(s, (ir.Push, ir.Pop))
               for n in ir.reads(s)}
    shared -= set(ir.value_reads(fn.result))
    return {(t, values): namer.fresh(t) for t in sorted(shared) for values in kinds[t]}


def _block(stmts, tapes: dict, namer: Namer) -> tuple:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and ir.is_tape(s.value) and any(t == s.target for t, _ in tapes):
            out += [ir.Assign(name, ir.new_tape()) for (t, _), name in tapes.items() if t == s.target]
        else:
            out.append(_stmt(s, tapes, namer))
    return tuple(out)


def _stmt(s, tapes: dict, namer: Namer):
    if isinstance(s, (ir.Assign, ir.Unpack)):
        return replace(s, value=_value(s.value))
    if isinstance(s, (ir.Push, ir.Pop)):
        return replace(s, tape=tapes.get((s.tape, s.values), s.tape))
    if isinstance(s, ir.If):
        return replace(s, then=_block(s.then, tapes, namer), orelse=_block(s.orelse, tapes, namer))
    if not isinstance(s, ir.Loop):
        return s
    body = _block(s.body, tapes, namer)
    if s.kind == "reversed":
        return replace(s, kind="for", args=_counted_down(s.args), body=body)
    if s.kind == "replay":  # walks its tape backwards, reading records by index
        pop, i = body[0], namer.first("i")
        tape = ir.Var(pop.tape)
        read = item(tape, ir.Var(i))
        first = (ir.Assign(pop.values[0], read) if len(pop.values) == 1
                 else ir.Unpack(pop.values, read))
        return replace(s, kind="for", var=i, args=_counted_down((call(_builtin("len"), tape),)),
                       body=(first,) + body[1:])
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
    if isinstance(step, ir.Const):  # b + 3, 3; not b - -3, --3
        stop = _minus(start, step.value) if step.value > 0 or isinstance(start, ir.Const) \
            else _plus(start, ir.Const(-step.value))
        return last, stop, ir.Const(-step.value)
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
