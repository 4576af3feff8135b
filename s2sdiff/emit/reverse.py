"""The reverse emitter: SSA IR in, gradient IR out.

The gradient runs the forward pass, then one adjoint statement per edge in
reverse order: ``x_bar += z_bar * ∂z/∂x``.  Adjoints are created by their
first write (``=``) and zeroed only where a path leaves one unwritten.
Straight-line code needs no tape; a loop pushes, at the end of each block it
runs, only the values that the reverse sweep reads and the next iteration
overwrites, and pops them at the start of the block's reverse.  ``while``
loops count their trips; ``for`` loops run backwards over the same range.

It works in three steps: the adjoints of the statements, last first, as data
(``reverse``: a branch or a loop the reverse sweep runs is a ``_Region``, its
blocks not yet written), noting which forward values they read; the analysis
``ir.recording`` says from those reads what each block inside a loop tapes and
what it recomputes; then both sweeps are written from its result (``write``,
``forward``), each block's reverse starting with its pop.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace

from .. import ir
from ..ir.activity import (
    active as find_active, is_item_write, is_list_op, list_roots, partial_positions,
)
from ..ir.recording import Reads, Taped, recording
from ..front.names import Namer
from ..rules import elementwise_rule, lookup_array
from .array_adjoints import ArrayAdjoints
from .templates import (
    call, global_name, instantiate, instantiate_array, is_zero, item, local_reads, number, plus,
    zeros_like,
)


def gradient(fn: ir.Function, wrt: tuple[str, ...], with_value: bool = False,
             taken: set[str] | None = None, calls=None, arrays: bool | None = None,
             split: bool = True, aux=None) -> ir.Function:
    """The gradient function of scalar-valued ``fn`` with respect to ``wrt``: the
    forward sweep (``body``) and the reverse sweep (``reverse``).

    ``calls`` (an ``emit.calls.Calls``) names the derivatives of the functions
    ``fn`` calls: with ``split``, a call is split into a forward and a backward
    function, else its reverse is a vjp that runs it again (for gradients
    differentiated again).  ``arrays`` says whether values may be arrays (None:
    as ``fn``'s operations say).  ``aux``: values of the forward sweep the
    caller returns too (kept in ``facts["aux"]``, copied where the sweep reuses a name).
    """
    if isinstance(fn.result, tuple):
        raise ValueError("grad needs a function with one scalar output")
    active = find_active(fn, set(wrt))
    names = ir.local_names(fn)
    rev = _Reverse(fn, wrt, active, Namer(set(taken or ()) | names), names, calls, arrays, split)
    return rev.build(with_value, aux)


def recorded(fn: ir.Function, wrt: tuple[str, ...], calls=None) -> tuple[Reads, dict]:
    """The input and the result of ``ir.recording`` for the gradient of ``fn``: what
    its adjoints read, and what each block inside a loop tapes (for reading)."""
    rev = _Reverse(fn, wrt, find_active(fn, set(wrt)), Namer(ir.local_names(fn)), calls=calls)
    rev.emit()
    reads = rev.reads()
    return reads, recording(fn, reads, rev.arrays)


def seeded(program: ir.Function, names) -> ir.Function:
    """``program`` with one cotangent parameter per output, returning Σ cotangentᵢ · outputᵢ."""
    outputs = program.result if isinstance(program.result, tuple) else (program.result,)
    namer = Namer(ir.local_names(program) | set(names))
    cts = [namer.fresh("_ct") for _ in outputs]
    body = list(program.body)
    total = None
    for ct, out in zip(cts, outputs):
        term = namer.fresh("_s")
        body.append(ir.Assign(term, ir.Op(operator.mul, (ir.Var(ct), out), "*")))
        if total is not None:
            new = namer.fresh("_s")
            body.append(ir.Assign(new, ir.Op(operator.add, (ir.Var(total), ir.Var(term)), "+")))
            term = new
        total = term
    terms = frozenset(s.target for s in body[len(program.body):])
    return replace(program, params=program.params + tuple(cts), body=tuple(body),
                   result=ir.Var(total), signature=None,
                   facts={"floats": frozenset(cts), "seeds": terms})


def uses_arrays(fn: ir.Function) -> bool:
    """True when the function calls NumPy or indexes arrays: adjoints may be arrays."""
    stmts = ir.walk(fn.body)
    lists = None  # the lists of the function, found at its first item read
    scalar: set[int] = set()  # callables already found not to be NumPy's
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op):
            op = s.value
            if op.syntax == "subscript":
                seq = op.args[0]
                lists = list_roots(fn.body) if lists is None else lists
                if not (isinstance(seq, ir.Var) and seq.name in lists):
                    return True
                continue
            if op.callee is not None and getattr(op.callee.value, "__name__", "") == "numpy":
                return True
            if id(op.fn) in scalar:
                continue
            if lookup_array(op.fn) is not None:
                return True
            owner = getattr(op.fn, "__module__", None) or ""
            if owner.startswith("numpy") or type(op.fn).__name__ == "ufunc":
                return True
            scalar.add(id(op.fn))
    return False


def _defined_inside(body) -> set[str]:
    return {n for s in ir.walk(body) for n in ir.writes(s)}


@dataclass(frozen=True)
class _Region:
    """The reverse of a branch or a loop (``stmt``), as data until the sweep is
    written: per block, what comes before the reverses of its statements
    (``heads``), those (``parts``, regions nested), and what comes after (``tails``).
    A loop's reverse runs as ``loop`` (without its body)."""

    stmt: ir.If | ir.Loop
    heads: tuple
    parts: tuple
    tails: tuple
    loop: ir.Loop | None = None


class _Reverse(ArrayAdjoints):
    def __init__(self, fn, wrt, active, namer: Namer, names: set[str] | None = None,
                 calls=None, arrays: bool | None = None, split: bool = True):
        self.arrays = uses_arrays(fn) if arrays is None else arrays
        self.calls = calls
        self.split = split
        self.split_calls: dict[int, tuple] = {}  # id(call) -> (fwd callee, record name)
        self.float_names = active | fn.facts.get("floats", frozenset())  # values known floats
        # the terms of Σ cotangentᵢ · outputᵢ (``seeded``): their adjoints stay the number
        # 1.0 in array code too (outputs of different shapes must not broadcast together)
        self.seeds = fn.facts.get("seeds", frozenset())
        self.fn = fn
        self.wrt = wrt
        self.active = active
        self.namer = namer
        self.needed: set[str] = set()  # values the adjoints read, outside loops (``Reads``)
        self.loop_reads: dict[int, frozenset] = {}  # per loop reversed: what its body reads
        self.read: frozenset = frozenset()  # all the adjoints read (after ``emit``)
        self.branches: set[int] = set()  # the ifs the reverse sweep runs
        self.assigned: set[str] = set()
        self.known: dict[str, float] = {}  # adjoints that are numbers, not yet written
        self.known_comments: dict[str, str] = {}  # the source lines that made them
        self.regions = 0  # depth of branches and loop bodies being reversed
        self.bars: dict[str, str] = {}
        self.counters: dict[int, str] = {}
        self.tape = "_tape"
        self.locals = ir.local_names(fn) if names is None else names
        self.lists: set[str] = set()  # active lists built by the function (set in emit)
        self.list_root: dict[str, str] = {}  # their versions → the list: one adjoint for all
        self.branch_locals: list[set[str]] = []  # values defined in each branch being reversed
        self.taped: dict[tuple, Taped] = {}  # per block inside a loop (``ir.recording``)
        self.init_shapes(fn, self.arrays)

    # names
    def bar(self, v: str) -> str:
        v = self.list_root.get(v, v)
        if v not in self.bars:
            name = f"{v}_bar"
            self.bars[v] = name if name not in self.namer.taken else self.namer.fresh(name + "_")
            self.namer.taken.add(self.bars[v])
        return self.bars[v]

    def counter(self, loop: ir.Loop) -> str:
        key = id(loop)
        if key not in self.counters:
            self.counters[key] = self.namer.fresh("_trips")
        return self.counters[key]

    def is_active(self, a) -> bool:
        return isinstance(a, ir.Var) and a.name in self.active

    # the whole function
    def emit(self) -> list:
        """The seeds of the adjoints, then the adjoints of the body (see ``reverse``)."""
        result = self.fn.result
        seed = []
        if self.is_active(result):
            top = {s.target for s in self.fn.body if isinstance(s, ir.Assign)}
            if result.name in top:
                self.known[result.name] = 1.0
            else:
                seed.append(ir.Assign(self.bar(result.name), ir.Const(1.0), comment="seed"))
            self.assigned.add(result.name)
        lists = [s.target for s in self.fn.body if isinstance(s, ir.Assign)
                 and isinstance(s.value, ir.Op) and s.value.syntax == "list"
                 and s.target in self.active]
        for name in lists:  # [0.0] * len(name); arrays: zeros of each item's shape
            length = call(global_name("len", len), ir.Var(name))
            zeros = ir.Op(operator.mul, (ir.Op(ir.make_list, (ir.Const(0.0),), "list"), length), "*")
            if self.arrays:
                from ..rules.joining import _zeros_of

                zeros = call(global_name("_zeros_of", _zeros_of), ir.Var(name))
            seed.append(ir.Assign(self.bar(name), zeros))
            self.needed.add(name)
            self.assigned.add(name)
        roots = list_roots(self.fn.body)
        self.list_root = {n: r for n, r in roots.items() if r in lists and n in self.active}
        self.lists = set(self.list_root)
        for s in ir.walk(self.fn.body):  # the tapes of generated code get adjoint tapes
            if isinstance(s, ir.Assign) and ir.is_tape(s.value) and s.target in self.active:
                seed.append(ir.Assign(self.bar(s.target), ir.new_tape()))
        return seed + self.reverse(self.fn.body)

    def build(self, with_value: bool, aux=None) -> ir.Function:
        self.tape = self.namer.fresh("_tape") if "_tape" in self.namer.taken else "_tape"
        self.namer.taken.add(self.tape)
        parts = self.emit()
        reads = self.reads()
        self.read = reads.everywhere
        self.taped = recording(self.fn, reads, self.arrays)
        rev = self.write(parts)
        fwd = self.forward(self.fn.body)
        taped = any(isinstance(s, ir.Push) and s.tape == self.tape for s in ir.walk(fwd))
        body = [ir.Assign(self.tape, ir.new_tape())] * taped + list(fwd)
        result = self.fn.result
        if with_value:
            result = self.kept(result, "_value", body)
        aux = self.kept(aux, "_aux", body)
        self.final_zeros: list = []
        grads = tuple(self.final_adjoint(p) for p in self.wrt)
        rev += self.final_zeros
        returned = (result, grads) if with_value else grads
        name = ("value_and_grad_" if with_value else "grad_") + self.fn.name
        facts = {"adjoints": frozenset(self.bars.values()), "tape": self.tape, "aux": aux}
        return ir.Function(name, self.fn.params, tuple(body), returned,
                           signature=self.fn.signature, reverse=tuple(rev), facts=facts)

    def reads(self) -> Reads:
        """What the adjoints emitted read of the forward values (after ``emit``)."""
        records = {key: record for key, (_, record) in self.split_calls.items()}
        return Reads(frozenset(self.needed), self.loop_reads, frozenset(self.branches),
                     records, self.counters)

    def kept(self, value, name: str, body: list):
        """``value`` as the forward sweep leaves it: a name the reverse sweep takes back
        from the tape is copied first (into ``name``)."""
        if isinstance(value, tuple):
            return tuple(self.kept(v, name, body) for v in value)
        if isinstance(value, ir.Var) and value.name in self.read:
            keep = self.namer.fresh(name)
            body.append(ir.Assign(keep, value))
            return ir.Var(keep)
        return value

    def final_adjoint(self, param: str):
        if param in self.uniform:
            self.final_zeros.append(ir.Assign(self.bar(param), self.full_adjoint(param)))
            self.known.pop(param, None)
        if param in self.known:
            return ir.Const(self.known[param])
        if param in self.assigned:
            return ir.Var(self.bar(param))
        if self.arrays:  # zeros shaped like param: 0.0 for a number, not a 0-d array
            self.needed.add(param)
            from ..rules.numpy import _spread

            zeros = call(global_name("_spread", _spread), ir.Const(0.0), ir.Var(param))
            self.final_zeros.append(ir.Assign(self.bar(param), zeros))
            return ir.Var(self.bar(param))
        return ir.Const(0.0)

    def zero(self, v: str):
        """A zero adjoint for ``v``: ``0.0``, or ``np.zeros_like(v)`` in array code."""
        if not self.arrays:
            return ir.Const(0.0)
        self.needed.add(v)
        return zeros_like(ir.Var(v))

    # adjoint bookkeeping
    def adjoint(self, v: str):
        if v in self.known:
            return ir.Const(self.known[v])
        return ir.Var(self.bar(v))

    def accumulate(self, v: str, expr, out: list, comment: str = "",
                   share: str | None = None, uniform: bool = False,
                   origin: ir.Origin | None = None) -> None:
        """``v_bar += expr`` (``=`` on the first write), at the source line ``origin``
        (for errors about it when the gradient is differentiated again).

        With ``share``, the value whose adjoint ``expr`` is and which is done
        after this, a first write of a fresh adjoint takes over that variable
        instead of copying it.  With ``uniform``, ``expr`` is one number for
        every element of ``v`` (kept so outside branches and loops).  Outside
        them, a scalar adjoint that is a number stays a number until a term
        is added to it.
        """
        v = self.list_root.get(v, v)  # a version of a list: the list's one adjoint
        if uniform and (self.regions or v in self.lists):
            expr, uniform = self.spread(expr, v), False
        was_uniform = v in self.uniform and v in self.assigned
        self.uniform.discard(v)
        if (share is not None and type(expr) is ir.Var and expr.name == self.bars.get(share)
                and v not in self.assigned and v not in self.known
                and v not in self.bars and v not in self.fn.params
                and (not self.branch_locals or v in self.branch_locals[-1])):
            self.bars[v] = expr.name
            self.assigned.add(v)
            if uniform:
                self.uniform.add(v)
            return
        numbers = (not self.arrays or v in self.seeds) and not self.regions  # kept as numbers
        if v in self.known:
            value = self.known.pop(v)
            if numbers:  # one first write: ``b_bar = 1.0 + c_bar / z``
                expr = plus(ir.Const(value), expr)
                self.assigned.discard(v)
            else:
                out.append(ir.Assign(self.bar(v), ir.Const(value), origin))
        first = v not in self.assigned
        if numbers and first and number(expr) is not None:  # no variable yet
            self.known[v] = number(expr)
            self.known_comments[v] = comment
            self.assigned.add(v)
            return
        if uniform and (first or was_uniform):
            self.uniform.add(v)
            if first and number(expr) is not None:  # one number: no variable yet
                self.known[v] = number(expr)
                self.assigned.add(v)
                return
        if first and type(expr) is ir.Var and expr.name == self.bar(v):
            self.assigned.add(v)  # already holds it: the adjoint variable was shared
            return
        if not first and v in self.lists:  # a list: add item by item (``+=`` would concatenate)
            expr = self.add_items(ir.Var(self.bar(v)), expr)
            first = True
        elif not first and self.arrays:  # never add in place: arrays may be shared
            expr = ir.Op(operator.add, (ir.Var(self.bar(v)), expr), "+")
            first = True
        out.append(ir.Assign(self.bar(v), expr, origin, accumulate=not first,
                             comment=comment if not out else ""))
        self.assigned.add(v)

    def add_items(self, xs, ys) -> ir.Op:
        """The list ``xs`` plus the list ``ys``, item by item: ``_add_items(xs, ys)`` in
        array code, ``list(map(operator.add, xs, ys))`` in scalar code (no NumPy)."""
        if self.arrays:
            from ..rules.joining import _add_items

            return call(global_name("_add_items", _add_items), xs, ys)
        items = call(global_name("map", map), global_name("operator", operator, "add"), xs, ys)
        return call(global_name("list", list), items)

    def consume(self, v: str) -> None:
        self.assigned.discard(v)
        self.known.pop(v, None)
        self.uniform.discard(v)

    def materialize(self) -> list:
        """Write the adjoints known as numbers and spread the uniform ones, before a
        region that may update them."""
        out = [ir.Assign(self.bar(v), ir.Const(value), comment=self.known_comments.get(v, ""))
               for v, value in self.known.items() if v not in self.uniform]
        out += [ir.Assign(self.bar(v), self.full_adjoint(v)) for v in sorted(self.uniform)]
        self.known.clear()
        self.uniform.clear()
        return out

    def need(self, expr) -> None:
        needed, local = self.needed, self.locals
        for n in local_reads(expr):
            if n in local:
                needed.add(n)

    def need_atom(self, a) -> None:
        if isinstance(a, ir.Var):
            self.needed.add(a.name)

    def forward(self, stmts, key: tuple | None = None) -> list:
        """The forward sweep of block ``stmts`` (``key``: as in ``self.taped``), pushing
        what it tapes at its end (header values only: at its start)."""
        out = []
        for s in stmts:
            if isinstance(s, ir.If):
                out.append(replace(s, then=tuple(self.forward(s.then, (id(s), 0))),
                                   orelse=tuple(self.forward(s.orelse, (id(s), 1)))))
            elif isinstance(s, ir.Loop):
                out += self.forward_loop(s)
            elif id(s) in self.split_calls:
                out.append(self.forward_call(s))
            else:
                out.append(s)
        taped = self.taped.get(key) if key is not None else None
        if taped is not None and taped.popped:
            push = ir.Push(self.tape, taped.popped)
            if not taped.values and not any(isinstance(x, ir.Push) for x in ir.walk(out)):
                out.insert(0, push)  # header values only: before the body updates them
            else:
                out.append(push)
        return out

    def forward_call(self, s):
        """A split call in the forward sweep: ``z, _rec = fwd_g(args)``."""
        fwd, record = self.split_calls[id(s)]
        targets = s.targets if isinstance(s, ir.Unpack) else s.target
        call = ir.Op(fwd, ir.call_values(s.value), "call", ir.Var(fwd.name))
        return ir.Unpack((targets, record), call, s.origin)

    def forward_loop(self, loop: ir.Loop) -> list:
        body = self.forward(loop.body, (id(loop), 0))
        if id(loop) not in self.counters:
            return [replace(loop, body=tuple(body))]
        trips = self.counters[id(loop)]
        count = ir.Assign(trips, ir.Const(1), accumulate=True)
        return [ir.Assign(trips, ir.Const(0)), replace(loop, body=(count,) + tuple(body))]

    def reverse(self, stmts) -> list:
        """The adjoints of ``stmts``, last statement first: statements, and a ``_Region``
        per branch or loop the reverse sweep runs."""
        out = []
        for s in reversed(stmts):
            if isinstance(s, ir.Assign) and s.target in self.lists and is_item_write(s.value):
                out += self.reverse_item_write(s)
            elif isinstance(s, ir.Assign) and s.target in self.lists:
                out += self.reverse_list(s)
            elif isinstance(s, ir.Assign) and type(s.value) is ir.Op and s.value.syntax == "list":
                out += self.reverse_display(s)
            elif isinstance(s, ir.Unpack):
                out += self.reverse_call(s, s.names)
            elif isinstance(s, ir.Assign) and type(s.value) is ir.Op \
                    and type(s.value.fn) is ir.Callee:
                out += self.reverse_call(s, [s.target])
            elif isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) \
                    and is_list_op(s.value) and s.value.syntax != "list" \
                    and self.is_active(s.value.args[0]) and s.value.args[0].name in self.lists:
                out += self.reverse_list_read(s)
            elif isinstance(s, ir.Assign):
                out += self.reverse_assign(s)
            elif isinstance(s, ir.Append):
                out += self.reverse_append(s)
            elif isinstance(s, ir.Pop):
                out += self.reverse_pop(s)
            elif isinstance(s, ir.Push):
                out += self.reverse_push(s)
            elif isinstance(s, ir.If):
                out += self.reverse_if(s)
            elif isinstance(s, ir.Loop):
                out += self.reverse_loop(s)
        return out

    # writing the sweep: each block's reverse starts by popping what it taped
    def write(self, parts) -> list:
        """The reverse sweep of ``parts`` (see ``reverse``), regions written as IR."""
        if not any(type(p) is _Region for p in parts):
            return list(parts)
        return [self.write_region(p) if type(p) is _Region else p for p in parts]

    def write_region(self, region: _Region):
        s = region.stmt
        blocks = [tuple(head + self.popped((id(s), side)) + self.write(parts) + tail)
                  for side, (head, parts, tail)
                  in enumerate(zip(region.heads, region.parts, region.tails))]
        if region.loop is not None:
            return replace(region.loop, body=blocks[0])
        return ir.If(s.cond, blocks[0], blocks[1], (), s.origin)

    def popped(self, key: tuple) -> list:
        """The start of a block's reverse: the pop of what it taped, then the values
        it computes again."""
        taped = self.taped.get(key)
        if taped is None:
            return []
        out: list = [ir.Pop(self.tape, taped.popped)] if taped.popped else []
        return out + list(taped.recomputed)

    def reverse_assign(self, s: ir.Assign) -> list:
        z = s.target
        if z not in self.active or z not in self.assigned:
            return []
        op = s.value
        out: list = []
        comment = s.origin.text if s.origin else ""
        array_rule = lookup_array(op.fn) if self.arrays and isinstance(op, ir.Op) else None
        if array_rule is not None:
            from ..rules.numpy import _spread

            g = self.full_adjoint(z)
            for i in partial_positions(op):
                arg = op.args[i]
                if not self.is_active(arg):
                    continue
                part = instantiate_array(array_rule, array_rule.vjps, i, op, ir.Var(z), {"g": g})
                if is_zero(part):  # (a helper's adjoint: no term for this ``which``)
                    continue
                part = self.read_shapes_early(part)
                self.need(part)
                spread = type(part) is ir.Op and part.fn is _spread
                self.accumulate(arg.name, part.args[0] if spread else part, out, comment,
                                share=z if spread else None, uniform=spread, origin=s.origin)
        elif isinstance(op, ir.Op):
            rule = elementwise_rule(op.fn, len(op.args), self.arrays)
            shared = False
            for arg, partial in self.edge_partials(rule, op, z):
                self.need(partial)
                scalars = not self.arrays or _scalars(op.args, arg)
                contribution, uniform = self.contribution(z, arg.name, partial, scalars)
                self.accumulate(arg.name, contribution, out, comment,
                                share=None if shared else z, uniform=uniform, origin=s.origin)
                shared = shared or arg.name in self.bars and self.bars[arg.name] == \
                    self.bars.get(z)
            out = _first_writes_last(out)
        elif self.is_active(op):
            self.accumulate(op.name, self.adjoint(z), out, comment, uniform=z in self.uniform,
                            origin=s.origin)
        self.consume(z)
        return out

    # lists: the adjoint of a list is a list of the same length; appends are
    # undone in reverse, so both lists always have the length of that moment.
    def edge_partials(self, rule, op: ir.Op, z: str) -> list:
        """(active argument, its partial), one per argument: ``x * x`` gives ``2.0 * x``."""
        found: dict[str, tuple] = {}
        for i in partial_positions(op):
            arg = op.args[i]
            if not self.is_active(arg):
                continue
            partial = instantiate(rule, i, op.args, out=ir.Var(z))
            if is_zero(partial):
                continue
            if arg.name in found:
                partial = plus(found[arg.name][1], partial)
                if is_zero(partial):  # x - x
                    del found[arg.name]
                    continue
            found[arg.name] = (arg, partial)
        return list(found.values())

    def reverse_call(self, s, targets: list[str]) -> list:
        """``z = g(args)`` of a function that stays a call: the reverse sweep calls its
        vjp with the arguments and the adjoints of its results, and adds what it
        returns to the arguments' adjoints (see ``calls``)."""
        if not any(t in self.active and t in self.assigned for t in targets):
            return []
        op = s.value
        values = ir.call_values(op)
        positions = tuple(i for i, a in enumerate(values) if self.is_active(a))
        out: list = []
        cotangents = [self.cotangent(t, out) for t in targets]
        for t in targets:
            self.consume(t)
        if not positions:
            return []
        if self.split:
            fwd, bwd = self.calls.split(op.fn, positions)
            record = self.namer.fresh("_rec")
            self.split_calls[id(s)] = (fwd, record)
            self.needed.add(record)
            call = ir.Op(bwd, (ir.Var(record),) + tuple(cotangents), "call", ir.Var(bwd.name))
        else:
            for a in values:
                self.need_atom(a)
            vjp = self.calls.vjp(op.fn, positions)
            call = ir.Op(vjp, values + tuple(cotangents), "call", ir.Var(vjp.name))
        names = [values[i].name for i in positions]
        direct = [self.first_write(v) and names.count(v) == 1 for v in names]
        parts = [self.bar(v) if d else self.namer.fresh("_t") for v, d in zip(names, direct)]
        comment = s.origin.text if s.origin else ""
        out.append(ir.Assign(parts[0], call, comment=comment) if len(parts) == 1
                   else ir.Unpack(tuple(parts), call, comment=comment))
        for v, part, d in zip(names, parts, direct):
            if d:
                self.assigned.add(v)
            else:
                self.accumulate(v, ir.Var(part), out)
        return out

    def first_write(self, v: str) -> bool:
        """Whether an adjoint may be assigned directly: nothing written to it yet."""
        return v not in self.assigned and v not in self.known and v not in self.lists \
            and v not in self.uniform

    def cotangent(self, v: str, out: list):
        """The adjoint of ``v`` as an atom (a zero if it has none), for a call."""
        if v not in self.active or v not in self.assigned:
            expr = self.zero(v)
        else:
            expr = self.full_adjoint(v)
        if ir.expr.is_atom(expr):
            return expr
        name = self.namer.fresh("_t")
        self.need(expr)
        out.append(ir.Assign(name, expr))
        return ir.Var(name)

    def reverse_list(self, s: ir.Assign) -> list:
        out: list = []
        comment = s.origin.text if s.origin else ""
        for k, value in enumerate(s.value.args):
            if self.is_active(value):
                read = item(ir.Var(self.bar(s.target)), ir.Const(k))
                self.accumulate(value.name, read, out, comment)
        return out

    def reverse_display(self, s: ir.Assign) -> list:
        """A list built in a loop or a branch (read once, by a call or a display): its
        adjoint, a list the reader's rule gave, is read item by item."""
        if s.target not in self.active or s.target not in self.assigned:
            return []
        self.uniform.discard(s.target)
        out = self.reverse_list(s)
        self.consume(s.target)
        return out

    def reverse_list_read(self, s: ir.Assign) -> list:
        z = s.target
        if z not in self.active or z not in self.assigned:
            return []
        lst = s.value.args[0].name
        comment = s.origin.text if s.origin else ""
        zbar = self.full_adjoint(z)
        out: list
        if s.value.syntax == "subscript":
            index = s.value.args[1]
            self.need_atom(index)
            out = [ir.Assign(ir.Item(self.bar(lst), index), zbar, accumulate=True,
                             origin=s.origin, comment=comment)]
        else:  # sum
            j, n = self.namer.fresh("_j"), self.namer.fresh("_n")
            count = call(global_name("len", len), ir.Var(lst))
            inner = ir.Assign(ir.Item(self.bar(lst), ir.Var(j)), zbar, accumulate=True,
                              origin=s.origin)
            out = [ir.Assign(n, count, comment=comment),
                   ir.Loop("for", j, (ir.Var(n),), (inner,))]
        self.consume(z)
        return out

    def reverse_item_write(self, s: ir.Assign) -> list:
        """``xs_1 = _with_item(xs, i, v)``: ``v_bar += xs_bar[i]``, then ``xs_bar[i]`` is
        zero (the adjoint of ``xs``: every version of a list shares its adjoint)."""
        lst, index, value = s.value.args
        comment = s.origin.text if s.origin else ""
        self.need_atom(index)
        adjoint = self.bar(s.target)
        out: list = []
        if self.is_active(value):
            self.accumulate(value.name, item(ir.Var(adjoint), index), out, comment)
        zero = ir.Const(0.0)
        if self.arrays:  # zeros shaped like the item the write replaced
            from ..rules.joining import _zero_like

            zero = call(global_name("_zero_like", _zero_like), item(lst, index))
            self.need(zero)
        out.append(ir.Assign(ir.Item(adjoint, index), zero, origin=s.origin,
                             comment="" if out else comment))
        return out

    def reverse_append(self, s: ir.Append) -> list:
        if s.target not in self.lists:
            return []
        comment = s.origin.text if s.origin else ""
        out: list = [ir.Pop(s.target, ())]
        v = s.value.name if self.is_active(s.value) else None
        if v is not None and self.first_write(v):  # v_bar = xs_bar.pop()
            out.append(ir.Pop(self.bar(s.target), (self.bar(v),)))
            self.assigned.add(v)
        elif v is not None:
            part = self.namer.fresh("_t")
            out.append(ir.Pop(self.bar(s.target), (part,)))
            self.accumulate(v, ir.Var(part), out, comment)
        else:
            out.append(ir.Pop(self.bar(s.target), ()))
        return out

    # tapes of generated code (differentiating a gradient): what a pop gave, its
    # adjoint goes onto an adjoint tape, and the reverse of the matching push takes
    # it back; pushes and pops pair up in reverse order, so the adjoints do too
    def reverse_pop(self, s: ir.Pop) -> list:
        if s.tape not in self.active:
            return []
        out: list = []
        for v in s.values:
            if v in self.known:
                out.append(ir.Assign(self.bar(v), ir.Const(self.known.pop(v))))
            elif v not in self.active or v not in self.assigned:
                out.append(ir.Assign(self.bar(v), self.zero(v)))
        out.append(ir.Push(self.bar(s.tape), tuple(self.bar(v) for v in s.values)))
        for v in s.values:
            self.consume(v)
        return out

    def reverse_push(self, s: ir.Push) -> list:
        if s.tape not in self.active:
            return []
        parts = tuple(self.namer.fresh("_adj") for _ in s.values)
        out: list = [ir.Pop(self.bar(s.tape), parts)]
        for v, part in zip(s.values, parts):
            if v in self.active:
                self.accumulate(v, ir.Var(part), out)
        return out

    def reverse_if(self, s: ir.If) -> list:
        pre = self.materialize()
        before = set(self.assigned)
        branches = []
        self.regions += 1
        for side, block in ((0, s.then), (1, s.orelse)):
            self.assigned = set(before)
            out: list = []
            # a value from before the branch keeps its own adjoint variable: the other
            # branch must find it under the same name
            self.branch_locals.append(_defined_inside(block))
            inside = _defined_inside(block) if s.phis else set()
            for phi in s.phis:
                source = (phi.first, phi.second)[side]
                if phi.target in self.active and phi.target in before and self.is_active(source):
                    local = source.name in inside
                    self.accumulate(source.name, self.adjoint(phi.target), out,
                                    share=phi.target if local else None)
            for phi in s.phis:
                self.consume(phi.target)
            parts = self.reverse(block)
            self.branch_locals.pop()
            branches.append((out, parts, set(self.assigned)))
        self.regions -= 1
        (then, then_parts, a_then), (orelse, else_parts, a_else) = branches
        then_zeros = [ir.Assign(self.bar(v), self.zero(v)) for v in sorted(a_else - a_then)]
        else_zeros = [ir.Assign(self.bar(v), self.zero(v)) for v in sorted(a_then - a_else)]
        self.assigned = a_then | a_else
        if not (then or then_parts or then_zeros or orelse or else_parts or else_zeros):
            return pre
        self.need_atom(s.cond)
        self.branches.add(id(s))
        return pre + [_Region(s, (then, orelse), (then_parts, else_parts), (then_zeros, else_zeros))]

    def reverse_loop(self, loop: ir.Loop) -> list:
        inside = _defined_inside(loop.body) | {p.target for p in loop.phis}
        outer = sorted(self.outer_refs(loop, inside))
        headers = [p for p in loop.phis if p.target in self.active
                   and p.target not in self.lists]  # a list's versions share its adjoint
        taped = any(isinstance(s, (ir.Push, ir.Pop)) and s.tape in self.active
                    for s in ir.walk(loop.body))  # its adjoint tape must stay in step
        if not headers and not outer and not taped \
                and not any(p.target in self.lists for p in loop.phis):
            return []
        pre: list = self.materialize()
        for v in outer + [p.target for p in headers]:
            if v not in self.assigned and v not in self.lists:
                pre.append(ir.Assign(self.bar(v), self.zero(v)))
                self.assigned.add(v)
        self.regions += 1
        head, parts, tail = self.reverse_loop_body(loop, headers)
        self.regions -= 1
        after: list = []
        for phi in headers:
            if self.is_active(phi.first):
                self.accumulate(phi.first.name, self.adjoint(phi.target), after)
        for phi in headers:
            self.consume(phi.target)
        if loop.kind in ("for", "reversed"):  # runs backwards over the same range
            for a in loop.args:
                self.need_atom(a)
            kind = "reversed" if loop.kind == "for" else "for"
            rev = ir.Loop(kind, loop.var, loop.args, (), (), loop.origin)
        else:
            trips = self.counter(loop)
            self.needed.add(trips)
            rev = ir.Loop("repeat", None, (ir.Var(trips),), (), (), loop.origin)
        return pre + [_Region(loop, (head,), (parts,), (tail,), rev)] + after

    def outer_refs(self, loop: ir.Loop, inside: set[str]) -> set[str]:
        """Active values from outside the loop whose adjoints its reverse updates."""
        refs = set()
        for s in ir.walk(loop.body):
            if isinstance(s, ir.Assign) and s.target in self.active:
                atoms = ir.atoms_of(s.value)
            elif isinstance(s, ir.Unpack) and any(n in self.active for n in s.names):
                atoms = ir.atoms_of(s.value)  # the results of a call that stays a call
            elif isinstance(s, (ir.If, ir.Loop)):
                atoms = [a for p in s.phis if p.target in self.active for a in (p.first, p.second)]
            elif isinstance(s, ir.Push) and s.tape in self.active:
                atoms = [ir.Var(v) for v in s.values]
            elif isinstance(s, ir.Append) and s.target in self.lists:
                atoms = [s.value]  # ``xs.append(x)`` of an ``x`` from outside: x_bar += pop
            else:
                continue
            refs |= {a.name for a in atoms if self.is_active(a) and a.name not in inside}
        for p in loop.phis:
            if p.target in self.active and self.is_active(p.second) and p.second.name not in inside:
                refs.add(p.second.name)
        return refs

    def reverse_loop_body(self, loop: ir.Loop, headers) -> tuple[list, list, list]:
        """The reverse of a trip: the adjoints of the header values passed to what
        defines them, the adjoints of the body, zeros of the header values."""
        out: list = []
        inside = _defined_inside(loop.body)
        crossing = [p for p in headers if self.is_active(p.second)
                    and p.second.name not in inside]
        held = {}
        for p in crossing:
            if any(q.target == p.second.name for q in headers):
                held[p.target] = self.namer.fresh("_adj")
                out.append(ir.Assign(held[p.target], ir.Var(self.bar(p.target))))
        for p in headers:  # two carried values may have the same next value: accumulate
            if self.is_active(p.second) and p.second.name in inside:
                self.accumulate(p.second.name, ir.Var(self.bar(p.target)), out)
        for p in crossing:
            if p.target not in held:
                self.accumulate(p.second.name, self.adjoint(p.target), out)
        for p in headers:
            self.consume(p.target)
        for p in crossing:
            if p.target in held:
                self.accumulate(p.second.name, ir.Var(held[p.target]), out)
        outer_needs, self.needed = self.needed, set()
        parts = self.reverse(loop.body)
        zeros: list = []
        for p in headers:
            if p.target not in self.assigned:  # zeros of the value at this trip's start
                zeros.append(ir.Assign(self.bar(p.target), self.zero(p.target)))
                self.assigned.add(p.target)
        self.loop_reads[id(loop)] = frozenset(self.needed)
        self.needed = outer_needs
        return out, parts, zeros


def _first_writes_last(out: list) -> list:
    """The adjoint updates of one statement with the first writes (``x_bar = …``) of
    variables nothing else there touches moved last: they all read the same adjoint,
    and a copy of it (``t_3_bar = t_bar``) may then be read as ``t_bar`` (see copies)."""
    if len(out) < 2:
        return out
    targets = [s.target for s in out]  # a few: no Counter
    last = [s for s in out if not s.accumulate and targets.count(s.target) == 1]
    if not last or len(last) == len(out):
        return out
    moving = {id(s) for s in last}
    first = [s for s in out if id(s) not in moving]
    moved = first + last
    if out[0].comment and moved[0] is not out[0]:  # the comment heads the block
        moved[0] = replace(moved[0], comment=out[0].comment)
        moved[moved.index(out[0])] = replace(out[0], comment="")
    return moved


def _scalars(args, arg) -> bool:
    """True when the operands other than ``arg`` are constants: no broadcasting to undo."""
    return all(a is arg or type(a) is ir.Const for a in args)
