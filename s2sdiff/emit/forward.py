"""The forward emitter: IR in, tangent IR out.

After each primal statement comes its tangent statement, built from the same
edge partials the reverse emitter reads: ``z_dot = Σ ∂z/∂xᵢ · xᵢ_dot``.  A
tangent that is known to be zero gets no variable at all; ``If`` and ``Loop``
regions carry a tangent φ beside each φ of an active value.

The input may be the user's SSA IR or generated gradient IR (forward over
reverse, for Hessians).  Gradient IR re-assigns names (``x_bar += …``), pushes
and pops a tape, and holds expression trees (instantiated rule templates);
the emitter differentiates every value with the same rules (``tangent``), and
pushes each value's tangent on the tape beside the value.

Lists: a list the function builds (a display, or ``xs.append(v)``) and the
adjoint list of a gradient (``xs_bar = [0.0] * len(xs)``) have a tangent list
of their own, kept in step: each append, pop or item write of the list is
followed by the same on its tangent list (``xs_dot.append(v_dot)``,
``v_bar_dot = xs_bar_dot.pop()``).  A list used as a stack (a tape) carries
each value's tangent beside it instead (``stack.append((v, v_dot))``).
"""

from __future__ import annotations

import operator
import sys
from dataclasses import replace

from .. import ir
from ..errors import NoRuleError, S2SDiffError, UnsupportedSyntaxError, line_location
from ..front.names import Namer
from ..ir import activity
from ..ir.activity import (
    is_added_items, is_item_write, is_list_op, list_roots, partial_positions,
)
from ..ir.shapes import broadcasts, expr_set, shape_sets
from ..ir.expr import same
from ..rules import elementwise_rule, lookup_array
from .reverse import uses_arrays
from .templates import (
    call, global_name, instantiate, instantiate_array, is_zero, item, number, plus, times,
    zeros_like,
)


def tangent(fn: ir.Function, wrt: tuple[str, ...], name: str | None = None,
            taken: set[str] | None = None, calls=None, arrays: bool | None = None) -> ir.Function:
    """The JVP function of ``fn``: its parameters, then one tangent per ``wrt``
    parameter; it returns ``(result, result_dot)``.

    ``calls`` (an ``emit.calls.Calls``) names the derivatives of the functions
    ``fn`` calls; ``arrays`` says whether values may be arrays (None: as ``fn``'s
    operations say).
    """
    twice = sorted({p for p in wrt if wrt.count(p) > 1})
    if twice:
        raise S2SDiffError(f"forward mode: wrt names {', '.join(twice)} twice (one tangent "
                           "per parameter); name each parameter once")
    emitter = _Forward(fn, wrt, set(taken or ()), calls, arrays)
    return emitter.build(name or "jvp_" + fn.name)


def _all_names(fn: ir.Function) -> set[str]:
    """The names ``fn`` assigns or reads (a fresh name must be none of them)."""
    names = set(fn.params)
    for s in ir.walk(fn.statements):
        names.update(ir.writes(s))
        names.update(ir.reads(s))
    return names


def _assignment_counts(fn: ir.Function) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(fn.statements):
        targets: list[str] = []
        if isinstance(s, (ir.Assign, ir.Append)):
            targets = [s.target if isinstance(s.target, str) else s.target.name]
        elif isinstance(s, ir.Unpack):
            targets = s.names
        elif isinstance(s, ir.Pop):
            targets = list(s.values)
        elif isinstance(s, (ir.If, ir.Loop)):
            targets = [p.target for p in s.phis]
        for t in targets:
            counts[t] = counts.get(t, 0) + 1
    return counts


def _value_tapes(fn: ir.Function) -> set[str]:
    """The lists used as stacks whose pushes and pops carry each value's tangent beside
    it: every one but a gradient's own tape (``fn.facts["tape"]``), whose pops give back
    the values it recorded under their own names, so that only the values whose tangent
    is a variable carry it there.  (Generated code read back as input has no such fact:
    its pops assign fresh names, and its tape carries every tangent.)"""
    own = fn.facts.get("tape")
    return {s.tape for s in ir.walk(fn.statements)
            if isinstance(s, (ir.Push, ir.Pop)) and s.tape != own}


def _paired_lists(fn: ir.Function) -> set[str]:
    """The lists whose tangent is a list of its own (``xs_dot``) kept in step with them:
    the lists the function builds (displays, their versions, those it appends to) and
    the adjoint lists of a gradient (``xs_bar = [0.0] * len(xs)``)."""
    found = set(list_roots(fn.statements))
    for s in ir.walk(fn.statements):
        if isinstance(s, ir.Append):
            found.add(s.target)
        elif type(s) is ir.Assign and isinstance(s.target, str) and _zeros(s.value):
            found.add(s.target)
        elif type(s) is ir.Assign and type(s.target) is ir.Item:
            found.add(s.target.name)
    return found


# --- the emitter ---------------------------------------------------------------


class _Forward:
    def __init__(self, fn: ir.Function, wrt: tuple[str, ...], taken: set[str], calls=None,
                 arrays: bool | None = None):
        self.fn = fn
        self.wrt = wrt
        self.calls = calls
        self.origin = None  # the source line of the statement being differentiated
        self.list_names = set(list_roots(fn.statements))
        # adjoint lists of a gradient, written item by item (``xs_bar[i] += g``)
        self.item_lists = {s.target.name for s in ir.walk(fn.statements)
                           if type(s) is ir.Assign and type(s.target) is ir.Item}
        self.counts = _assignment_counts(fn)
        self.paired = _paired_lists(fn)
        self.tapes = _value_tapes(fn)
        self.active = activity.active(fn, set(wrt), self.tapes, mode="forward")
        self.arrays = uses_arrays(fn) if arrays is None else arrays
        self.sets = shape_sets(fn) if self.arrays else {}
        self.namer = Namer(taken | _all_names(fn))
        self.dots: dict[str, str] = {}
        self.live: set[str] = set()  # values whose tangent is a variable

    def dot_name(self, v: str) -> str:
        if v not in self.dots:
            name = f"{v}_dot"
            self.dots[v] = name if name not in self.namer.taken else self.namer.fresh(name + "_")
            self.namer.taken.add(self.dots[v])
            if self.arrays:  # a tangent has the shape of its value
                self.sets[self.dots[v]] = self.sets.get(v)
        return self.dots[v]

    def reassigned(self, v: str) -> bool:
        """An active value assigned more than once: its tangent is always a variable."""
        return v in self.active and self.counts.get(v, 0) != 1

    def dot(self, a) -> str | None:
        """The tangent variable of atom ``a``, or None when it is zero."""
        if isinstance(a, ir.Var) and a.name in self.live:
            return self.dot_name(a.name)
        return None

    def build(self, name: str) -> ir.Function:
        params = [self.dot_name(p) for p in self.wrt]
        self.live |= set(self.wrt)
        body = self.block(self.fn.body)
        reverse = self.block(self.fn.reverse)  # of a gradient: its tangent follows its body's
        result = self.fn.result
        zeros: list = []  # in array code, the zero tangents of outputs that do not vary
        dot = self.result_tangent(result, zeros)
        tail = reverse if self.fn.reverse else body
        tail += zeros
        return ir.Function(name, self.fn.params + tuple(params), tuple(body), (result, dot),
                           reverse=tuple(reverse))

    def result_tangent(self, r, out: list):
        if isinstance(r, tuple):
            return tuple(self.result_tangent(x, out) for x in r)
        return self.tangent_of(r, out)

    # statements
    def block(self, stmts) -> list:
        out: list = []
        for s in stmts:
            if isinstance(s, ir.Unpack) or (isinstance(s, ir.Assign) and type(s.value) is ir.Op
                                            and type(s.value.fn) is ir.Callee):
                out.append(self.call(s))
            elif isinstance(s, ir.Assign):
                out.append(s)
                out += self.assign(s)
            elif isinstance(s, ir.Append):
                out += self.append(s)
            elif isinstance(s, ir.If):
                out.append(self.if_(s))
            elif isinstance(s, ir.Loop):
                out += self.loop(s)
            elif isinstance(s, (ir.Push, ir.Pop)) and s.tape in self.paired:
                out += self.list_op(s)
            elif isinstance(s, (ir.Push, ir.Pop)) and s.tape in self.tapes:
                out += self.tape_op(s)
            elif isinstance(s, (ir.Push, ir.Pop)):
                carried = [v for v in s.values if self.reassigned(v)]
                self.live |= set(carried)
                extra = tuple(self.dot_name(v) for v in carried)
                out.append(replace(s, values=s.values + extra))
            else:
                out.append(s)
        return out

    def call(self, s):
        """``z = g(args)`` of a function that stays a call: ``z, z_dot = jvp_g(args,
        tangents)``, the tangents of the arguments that have one (see ``calls``)."""
        unpack = isinstance(s, ir.Unpack)
        names = s.names if unpack else [s.target]
        op = s.value
        values = ir.call_values(op)
        positions = tuple(i for i, a in enumerate(values) if self.dot(a))
        if not positions or not any(n in self.active for n in names):
            return s
        jvp = self.calls.jvp(op.fn, positions)
        dots = tuple(ir.Var(self.dot(values[i])) for i in positions)
        call = ir.Op(jvp, values + dots, "call", ir.Var(jvp.name))
        targets = s.targets if unpack else s.target
        self.live |= set(names)
        return ir.Unpack((targets, _mirrored(targets, self.dot_name)), call, s.origin)

    def append(self, s: ir.Append) -> list:
        """``xs.append(v)``, then ``xs_dot.append(v_dot)``: an array's zero tangent as zeros
        of its shape (a tangent has the shape of its value)."""
        if s.target not in self.active:
            return [s]
        out: list = []
        dot = self.tangent_of(s.value, out)
        return out + [s, ir.Append(self.dot_name(s.target), dot, s.origin)]

    def list_op(self, s) -> list:
        """A push or pop of a list whose tangent is a list of its own: the same on the
        tangent list (``v_bar = xs_bar.pop()``, then ``v_bar_dot = xs_bar_dot.pop()``)."""
        if s.tape not in self.live:  # no tangent list: what it gives has none
            return [s] + self.zero_tangents(s.values) if isinstance(s, ir.Pop) else [s]
        dots = self.dot_name(s.tape)
        if isinstance(s, ir.Pop):
            self.live |= set(s.values)
            return [s, ir.Pop(dots, tuple(self.dot_name(v) for v in s.values))]
        out: list = []
        pushed = ir.Push(dots, self.pushed_tangents(s.values, out))
        return out + [s, pushed]

    def pushed_tangents(self, values, out: list) -> tuple[str, ...]:
        """The tangents of ``values`` by name, for a push: a zero one too (``_zero = 0.0``
        once in scalar code; in array code, zeros shaped like its value, made in ``out``)."""
        names: list[str] = []
        zero = None
        for v in values:
            a = self.tangent_of(ir.Var(v), out)
            if type(a) is not ir.Var:
                if zero is None:
                    zero = self.namer.fresh("_zero")
                    out.append(ir.Assign(zero, a))
                a = ir.Var(zero)
            names.append(a.name)
        return tuple(names)

    def zero_tangents(self, values) -> list:
        """``v_dot = 0`` for each of ``values`` popped without a tangent whose tangent is a
        variable (it was one until now, or ``v`` is assigned elsewhere too, as ``assign``)."""
        zeros = [v for v in values if v in self.live or self.reassigned(v)]
        self.live |= set(zeros)
        return [ir.Assign(self.dot_name(v), zeros_like(ir.Var(v)) if self.arrays
                          else ir.Const(0.0)) for v in zeros]

    def tape_op(self, s) -> list:
        """A push or pop of an active tape carries every value's tangent (zero if none)."""
        if s.tape not in self.active:
            return [s] + self.zero_tangents(s.values) if isinstance(s, ir.Pop) else [s]
        if isinstance(s, ir.Pop):
            self.live |= set(s.values)
            return [replace(s, values=s.values + tuple(self.dot_name(v) for v in s.values))]
        out: list = []
        dots = self.pushed_tangents(s.values, out)
        return out + [replace(s, values=s.values + dots)]

    def assign(self, s: ir.Assign) -> list:
        z = s.target
        if not isinstance(z, str):
            return self.item_assign(s)
        if z not in self.active:
            return []
        value = s.value
        self.origin = s.origin
        if z in self.paired and _zeros(value):  # an adjoint list's zeros: its own tangent
            self.live.add(z)
            return [ir.Assign(self.dot_name(z), value)]
        if z in self.item_lists and not s.accumulate:  # its items are written: a list always
            expr = self.tangent(value, ir.Var(z))
            self.live.add(z)
            return [ir.Assign(self.dot_name(z), expr or self.zero_list(ir.Var(z)))]
        # the result of the statement's own operation is z (not for ``z += e``)
        expr = self.tangent(value, None if s.accumulate else ir.Var(z))
        if expr is not None and self.arrays and type(value) is ir.Op:
            expr = self.full_shape(expr, z, value)
        if s.accumulate:
            if expr is None:
                return []
            return [ir.Assign(self.dot_name(z), expr, accumulate=True)]
        if expr is None and not self.reassigned(z):
            return []  # zero tangent: no variable
        self.live.add(z)
        if expr is None and _zeros_like_call(value):  # an adjoint buffer's zeros: their own
            return [ir.Assign(self.dot_name(z), value)]  # tangent (it is written item by item)
        if expr is None:  # changed later (``y_bar = _setitem(y_bar, i, 0.0)``): of its shape
            expr = zeros_like(ir.Var(z)) if self.arrays else ir.Const(0.0)
        return [ir.Assign(self.dot_name(z), expr)]

    def item_assign(self, s: ir.Assign) -> list:
        """``xs_bar[i] += g`` (``= g``) of a gradient's adjoint list: the same on its tangent."""
        name = s.target.name
        if name not in self.active:
            return []
        self.origin = s.origin
        expr = self.tangent(s.value)
        if name not in self.live:
            raise UnsupportedSyntaxError(
                "forward mode over the adjoint of a list item whose list has no tangent",
                line_location(s.origin), "keep the values in an array (x[i] = v) to take a Hessian")
        target = ir.Item(self.dot_name(name), s.target.index)
        if s.accumulate:
            return [] if expr is None else [ir.Assign(target, expr, accumulate=True)]
        return [ir.Assign(target, ir.Const(0.0) if expr is None else expr)]

    def full_shape(self, expr, z: str, value: ir.Op):
        """The tangent ``expr`` of a broadcasting operation, spread to the shape of its
        result ``z`` where it may be smaller (``x + b`` varies only with ``b``).

        Every tangent has the shape of its value: the JVP templates of other array
        operations (``a_dot @ b``, ``np.sum(x_dot, axis=0)``) rely on it.
        """
        if not broadcasts(value.fn, len(value.args), len(value.kwargs)):
            return expr
        found = expr_set(expr, self.sets)
        if found is not None and found == self.sets.get(z):
            return expr
        from ..rules.numpy import _full_tangent

        return call(global_name("_full_tangent", _full_tangent), expr, *value.args)

    def tangent(self, v, out=None):
        """The tangent of value ``v`` (None when it is zero); ``out`` names its result.

        One differentiator for every value: the user's three-address operations
        and the expression trees of generated code (a gradient differentiated
        again) use the same rules.
        """
        kind = type(v)
        if kind is ir.Var:
            d = self.dot(v)
            return ir.Var(d) if d else None
        if kind is not ir.Op:
            return None
        s = v.syntax
        if s in _BOOLEAN or s == "tape" or s == "tuple":
            return None
        if s == "ifexp":
            body, orelse = self.tangent(v.args[1]), self.tangent(v.args[2])
            if body is None and orelse is None:
                return None
            zero = ir.Const(0.0)
            return ir.Op(None, (v.args[0], body or zero, orelse or zero), "ifexp")
        if is_list_op(v):
            return self.list_tangent(v)
        if is_added_items(v):
            return self.added_items(v)
        tangents = [self.tangent(a) for a in v.args]
        positions = [i for i in partial_positions(v) if tangents[i] is not None]
        if not positions or any(self.tangent(a) is not None for _, a in v.kwargs):
            if positions:
                raise S2SDiffError(f"forward mode: keyword arguments of {v} have tangents")
            return None
        out = v if out is None else out
        array = lookup_array(v.fn)
        if array is not None and activity.refusal_of(v) is not None:  # in generated code too
            raise activity.refused(v, activity.refusal_of(v), self.origin)
        if array is not None:
            tangents = [self.as_array(a, t, v.fn) for a, t in zip(v.args, tangents)]
            terms = [instantiate_array(array, array.jvps, i, v, out,
                                       {f"{array.inputs[i]}_dot": tangents[i]})
                     for i in positions]
            terms = [t for t in terms if not (type(t) is ir.Const and t.value == 0)]
            return _sum(terms) if terms else None  # (a term may be zero for these arguments)
        rule = elementwise_rule(v.fn, len(v.args), self.arrays)
        if rule is None:
            raise NoRuleError(f"no derivative rule for {v}")
        by_dot: list = []  # one term per tangent: x * x gives 2.0 * x * x_dot
        for i in positions:
            partial = instantiate(rule, i, v.args, out)
            if is_zero(partial):
                continue
            for k, (t, p) in enumerate(by_dot):
                if same(t, tangents[i]):
                    by_dot[k] = (t, plus(p, partial))
                    break
            else:
                by_dot.append((tangents[i], partial))
        return _sum([_times(p, t) for t, p in by_dot])

    def as_array(self, a, t, fn):
        """The tangent ``t`` of the argument ``a`` of ``fn``: a list's as one array, except for
        ``np.concatenate``/``np.stack``, which read lists (their items may differ in shape)."""
        if t is None or type(a) is not ir.Var or a.name not in self.list_names:
            return t
        from ..rules import joining, shaping

        if any(fn is f for f in joining.JOINING + shaping.LIST_INPUTS):
            return t
        return call(global_name("_list_tangent", joining._list_tangent), a, t)

    def list_tangent(self, op: ir.Op):
        """A list's tangent is the list of its items' tangents, built alongside it."""
        if op.syntax == "list":  # (an array's zero tangent: zeros of its shape)
            return ir.Op(ir.make_list, tuple(self.tangent_of(a, None) for a in op.args), "list")
        seq = self.tangent(op.args[0])
        if is_item_write(op):  # xs_1 = _with_item(xs, i, v): its tangent, a new list too
            value = self.tangent(op.args[2])
            if seq is None and value is None:
                return None
            return ir.Op(op.fn, (seq or self.zero_list(op.args[0]), op.args[1],
                                 value or ir.Const(0.0)), "call", op.callee)
        if seq is None:
            return None
        if op.syntax == "subscript":
            return item(seq, op.args[1])
        return call(global_name("sum", sum), seq)  # sum(xs)

    def added_items(self, op: ir.Op):
        """``_add_items(xs, ys)`` (two adjoint lists added item by item) is linear: its
        tangent adds their tangent lists the same way (a zero one as zeros)."""
        dots = [self.tangent(a) for a in op.args]
        if all(d is None for d in dots):
            return None
        return replace(op, args=tuple(d or self.zero_list(a) for d, a in zip(dots, op.args)))

    def zero_list(self, xs: ir.Var):
        """The zero tangent of the list ``xs``: ``0.0`` for each item."""
        zeros = ir.Op(ir.make_list, (ir.Const(0.0),), "list")
        return ir.Op(operator.mul, (zeros, call(global_name("len", len), xs)), "*")

    def if_(self, s: ir.If) -> ir.If:
        then = self.block(s.then)
        orelse = self.block(s.orelse)
        dots = []  # first: a tangent reads the old values, a value never reads a tangent
        for p in s.phis:
            if self.reassigned(p.target) or (p.target in self.active
                                             and (self.dot(p.first) or self.dot(p.second))):
                dots.append(ir.Phi(self.dot_name(p.target), self.tangent_of(p.first, then),
                                   self.tangent_of(p.second, orelse)))
                self.live.add(p.target)
        return replace(s, then=tuple(then), orelse=tuple(orelse), phis=tuple(dots) + s.phis)

    def loop(self, s: ir.Loop) -> list:
        carried = [p for p in s.phis if p.target in self.active]
        before: list = []
        firsts = {p.target: self.tangent_of(p.first, before) for p in carried}
        self.live |= {p.target for p in carried}
        body = self.block(s.body)
        dots = tuple(ir.Phi(self.dot_name(p.target), firsts[p.target],
                            self.tangent_of(p.second, body)) for p in carried)
        return before + [replace(s, body=tuple(body), phis=dots + s.phis)]  # as in if_

    def tangent_of(self, a, out: list | None):
        """The tangent of ``a`` as an atom; a zero array tangent is made in ``out`` (or
        written in place, ``np.zeros_like(a)``, without one)."""
        d = self.dot(a)
        if d:
            return ir.Var(d)
        if not self.arrays or not isinstance(a, (ir.Var, ir.Global)):
            return ir.Const(0.0)
        if out is None:
            return zeros_like(a)
        name = self.namer.fresh("_zero")
        out.append(ir.Assign(name, zeros_like(a)))
        return ir.Var(name)


def _zeros(value) -> bool:
    """Whether ``value`` is ``[0.0] * n`` or ``_zeros_of(xs)``, an adjoint list's first value
    (its own tangent)."""
    joining = sys.modules.get("s2sdiff.rules.joining")  # (code without NumPy has no such call)
    if joining is not None and type(value) is ir.Op and value.fn is joining._zeros_of:
        return True
    return type(value) is ir.Op and value.fn is operator.mul and type(value.args[0]) is ir.Op \
        and value.args[0].syntax == "list" and all(number(a) == 0 for a in value.args[0].args)


def _zeros_like_call(value) -> bool:
    """Whether ``value`` is ``np.zeros_like(x)``."""
    np = sys.modules.get("numpy")  # (code without NumPy has no such call)
    return np is not None and type(value) is ir.Op and value.fn is np.zeros_like


def _mirrored(targets, name):
    """``targets`` (a name, or nested tuples of names) with each name ``n`` as ``name(n)``."""
    if isinstance(targets, str):
        return name(targets)
    return tuple(_mirrored(t, name) for t in targets)


_BOOLEAN = {"<", "<=", ">", ">=", "==", "!=", "is", "is not", "and", "or", "unot"}


def _times(partial, tangent):
    """``partial * tangent``, with ``1.0 / y * t`` written ``t / y``."""
    if type(partial) is ir.Op and partial.syntax == "/" and number(partial.args[0]) == 1:
        return ir.Op(operator.truediv, (tangent, partial.args[1]), "/")
    return times(partial, tangent)


def _sum(terms: list):
    """``t1 + t2 - t3 …`` (a negated term is subtracted), or None for no terms."""
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        positive = _negated(t)
        total = (ir.Op(operator.sub, (total, positive), "-") if positive is not None
                 else ir.Op(operator.add, (total, t), "+"))
    return total


def _negated(t):
    """``e`` when ``t`` is ``-e`` (also ``-a / b * c``, as ``a / b * c``), else None."""
    if type(t) is ir.Op and t.syntax == "u-":
        return t.args[0]
    if type(t) is ir.Const and number(t) is not None and number(t) < 0:
        return ir.Const(-t.value)
    if type(t) is ir.Op and t.syntax in ("*", "/"):
        inner = _negated(t.args[0])
        return ir.Op(t.fn, (inner, t.args[1]), t.syntax) if inner is not None else None
    return None
