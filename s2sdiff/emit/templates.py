"""Instantiate rule templates and simplify the expressions the emitters build.

A rule's partials are Python expressions over its parameters (see
``rules.registry``).  Each is turned once into an IR expression whose
parameters are *slots*; instantiating it fills the slots with the operation's
arguments.  Names of the rule's module become ``Global`` atoms, builtins too,
so the printer binds and imports them like any global.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import operator

from .. import ir
from ..ir.expr import reads, same, substitute
from ..ir.ssa import BINARY, COMPARE, UNARY
from ..rules import Rule

Var, Const, Global, Op = ir.Var, ir.Const, ir.Global, ir.Op


def global_name(name: str, value: object, *path: str) -> ir.Global:
    """A module-level object written ``name`` (``.path``), which the printer binds."""
    return Global(name, value, tuple(path))


def zeros_like(value) -> ir.Op:
    """``np.zeros_like(value)``."""
    import numpy as np

    return call(global_name("np", np, "zeros_like"), value)


def call(callee: ir.Global, *args, **kwargs) -> ir.Op:
    """``callee(*args, **kwargs)``."""
    return Op(callee.resolved(), tuple(args), "call", callee, tuple(kwargs.items()))


def item(value, index) -> ir.Op:
    """``value[index]``."""
    return Op(operator.getitem, (value, index), "subscript")


def number(v):
    """The numeric value of a constant, or None."""
    if type(v) is Const and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        return v.value
    return None


def is_zero(v) -> bool:
    return number(v) == 0


# --- rules as IR expressions -------------------------------------------------------

_SLOT = "\0"  # prefix of the slot names of a template (no identifier has it)


def to_ir(node: ast.expr, slots: dict, namespace: dict):
    """The IR expression of a rule's template: names in ``slots`` become those
    values, names of ``namespace`` (the rule's module) and builtins globals."""
    kind = type(node)
    if kind is ast.Name:
        if node.id in slots:
            return slots[node.id]
        if node.id in namespace:
            return Global(node.id, namespace[node.id])
        if hasattr(builtins, node.id):
            return Global(node.id, getattr(builtins, node.id), home="builtins")
        raise NameError(f"rule template uses unknown name {node.id!r}")
    if kind is ast.Constant:
        return Const(node.value)
    if kind is ast.Attribute:
        base = to_ir(node.value, slots, namespace)
        if type(base) is not Global:
            raise NameError(f"rule template reads an attribute of a value: {ast.unparse(node)}")
        return Global(base.name, base.value, base.path + (node.attr,), base.home)
    if kind is ast.BinOp:
        symbol, fn = BINARY[type(node.op)]
        return Op(fn, (to_ir(node.left, slots, namespace), to_ir(node.right, slots, namespace)),
                  symbol)
    if kind is ast.UnaryOp:
        operand = to_ir(node.operand, slots, namespace)
        if type(node.op) is ast.UAdd:
            return operand
        symbol, fn = UNARY[type(node.op)]
        if symbol == "u-" and number(operand) is not None:
            return Const(-operand.value)
        return Op(fn, (operand,), symbol)
    if kind is ast.Compare:
        parts, left = [], to_ir(node.left, slots, namespace)
        for op, right in zip(node.ops, node.comparators):
            right = to_ir(right, slots, namespace)
            symbol, fn = COMPARE[type(op)]
            parts.append(Op(fn, (left, right), symbol))
            left = right
        return parts[0] if len(parts) == 1 else Op(None, tuple(parts), "and")
    if kind is ast.BoolOp:
        return Op(None, tuple(to_ir(v, slots, namespace) for v in node.values),
                  "and" if isinstance(node.op, ast.And) else "or")
    if kind is ast.IfExp:
        return Op(None, tuple(to_ir(v, slots, namespace) for v in (node.test, node.body,
                                                                    node.orelse)), "ifexp")
    if kind is ast.Call:
        callee = to_ir(node.func, slots, namespace)
        if type(callee) is not Global:
            raise NameError(f"rule template calls a value: {ast.unparse(node)}")
        return call(callee, *(to_ir(a, slots, namespace) for a in node.args),
                    **{k.arg: to_ir(k.value, slots, namespace) for k in node.keywords})
    if kind is ast.Subscript:
        return item(to_ir(node.value, slots, namespace), _index(node.slice, slots, namespace))
    if kind in (ast.Tuple, ast.List):
        items = tuple(to_ir(e, slots, namespace) for e in node.elts)
        if kind is ast.Tuple and all(type(i) is Const for i in items):
            return Const(tuple(i.value for i in items))
        return Op(ir.make_tuple if kind is ast.Tuple else ir.make_list, items,
                  "tuple" if kind is ast.Tuple else "list")
    raise NameError(f"rule template uses {kind.__name__}: {ast.unparse(node)}")


def _index(node: ast.expr, slots: dict, namespace: dict):
    """An index: a constant (``1:3``, ``..., None``) or a value."""
    if isinstance(node, ast.Slice):
        parts = tuple(Const(None) if p is None else to_ir(p, slots, namespace)
                      for p in (node.lower, node.upper, node.step))
        if all(type(p) is Const for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return call(Global("slice", slice, home="builtins"), *parts)
    if isinstance(node, ast.Tuple):
        items = tuple(_index(e, slots, namespace) for e in node.elts)
        if all(type(i) is Const for i in items):
            return Const(tuple(i.value for i in items))
        return Op(ir.make_tuple, items, "tuple")
    return to_ir(node, slots, namespace)


def instantiate(rule: Rule, index: int, args, out) -> object:
    """The partial of ``rule`` for argument ``index``, its parameters replaced by
    ``args`` and ``out`` (the result) by ``out``, simplified.

    Simplifying depends only on which arguments are which constants, so the
    simplified template is made once per such *shape* (other arguments stand in
    as slots) and each instance only fills the slots in.
    """
    shape = _shape(args)
    if shape is None:
        slots = dict(zip(rule.params, args), out=out)
        return simplify(to_ir(rule.partials[index], slots, rule.namespace))
    key = (id(rule), index, shape)
    entry = _SHAPES.get(key)
    if entry is None or entry[0] is not rule:
        if len(_SHAPES) > _SHAPES_MAX:
            _SHAPES.clear()
        slots = {p: Var(_SLOT + p) if s is None else args[i]
                 for i, (p, s) in enumerate(zip(rule.params, shape))}
        slots["out"] = Var(_SLOT + "out")
        entry = _SHAPES[key] = (rule, simplify(to_ir(rule.partials[index], slots,
                                                     rule.namespace)))
    fills = {_SLOT + p: a for p, a in zip(rule.params, args)}
    fills[_SLOT + "out"] = out
    filled = substitute(entry[1], fills)
    return filled if all(map(ir.expr.is_atom, args)) else simplify(filled)


# (id(rule), index, shape) -> (rule, simplified template with slots)
_SHAPES: dict = {}
_SHAPES_MAX = 10_000
_KEYS = {int, float, bool, str, type(None), complex}  # constants that can be part of a key


def _shape(args):
    """Per argument: None for a variable, global or expression (a slot), else the
    constant's (type, value); None for the whole when a constant cannot be a key."""
    shape = []
    for a in args:
        if type(a) is Const:
            if type(a.value) not in _KEYS:
                return None
            shape.append((type(a.value), a.value))
        else:
            shape.append(None)
    return tuple(shape)


def instantiate_array(rule, exprs, index: int, op: ir.Op, out, extra: dict | None = None):
    """Template ``exprs[index]`` of an ArrayRule, bound to the operation's arguments.

    Inputs bind to the leading positional arguments (``None`` for inputs not
    given: ``np.einsum("ij->ji", a)`` has no ``b``), options to the remaining
    positional ones, then to keywords, then to their defaults; ``extra`` binds
    ``g`` or the ``*_dot`` tangents.
    """
    slots = {"out": out}
    slots.update(extra or {})
    n = len(rule.inputs)
    slots.update(zip(rule.inputs, op.args + (Const(None),) * max(n - len(op.args), 0)))
    given = dict(op.kwargs)
    for k, (name, default) in enumerate(rule.options):
        if n + k < len(op.args):
            slots[name] = op.args[n + k]
        elif name in given:
            slots[name] = given[name]
        else:
            slots[name] = to_ir(default, {}, rule.namespace)
    return simplify(to_ir(exprs[index], slots, rule.namespace))


def local_reads(v) -> list[str]:
    """The local names value ``v`` reads."""
    return reads(v)


# --- simplification --------------------------------------------------------------------

_FOLD = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def simplify(v):
    """Fold constants and drop neutral factors: ``x * 1.0``, ``x ** 1``, ``0 + x``…"""
    if type(v) is not Op:
        return v
    args = tuple(simplify(a) for a in v.args)
    kwargs = tuple((k, simplify(a)) for k, a in v.kwargs)
    if any(a is not b for a, b in zip(args, v.args)) or any(
            a is not b for (_, a), (_, b) in zip(kwargs, v.kwargs)):
        v = Op(v.fn, args, v.syntax, v.callee, kwargs)
    if v.syntax == "call" and any(is_default(v.fn, k, a) for k, a in v.kwargs):
        v = Op(v.fn, v.args, v.syntax, v.callee,
               tuple((k, a) for k, a in v.kwargs if not is_default(v.fn, k, a)))
    rule = _SIMPLIFY.get(v.syntax)
    return rule(v, *args) if rule is not None else v


def is_default(fn, keyword: str, value) -> bool:
    """``keyword=value`` is what ``fn`` takes when it is not passed (``axis=None``,
    ``keepdims=False`` of a NumPy reduction), so a call need not pass it."""
    if type(value) is not Const:
        return False
    try:
        parameter = inspect.signature(fn).parameters.get(keyword)
    except (TypeError, ValueError):
        return False
    default = getattr(parameter, "default", inspect.Parameter.empty)
    if type(default).__name__ == "_NoValueType":  # NumPy's marker: keepdims=False…
        return keyword == "keepdims" and value.value is False
    return default is not inspect.Parameter.empty and type(default) is type(value.value) \
        and default == value.value


def _computed(symbol: str, a, b):
    """The constant ``a op b``, or None when Python cannot compute it (a float
    overflow of ``1.0 * 10 ** 4000``): the code computes it, as the user's does."""
    try:
        return Const(_FOLD[symbol](a, b))
    except (OverflowError, ArithmeticError, ValueError):
        return None


def _add(v, left, right):
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return _computed("+", a, b) or v
    if a == 0:
        return right
    return left if b == 0 else v


def _sub(v, left, right):
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return _computed("-", a, b) or v
    if b == 0:
        return left
    return neg(right) if a == 0 else v


def _mul(v, left, right):
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return _computed("*", a, b) or v
    if type(right) is Op and right.syntax == "/" and number(right.args[0]) == 1:
        return Op(operator.truediv, (left, right.args[1]), "/")  # a * (1 / b) is a / b
    if a == 1:
        return right
    if b == 1:
        return left
    if a == -1:
        return neg(right)
    return neg(left) if b == -1 else v


def _div(v, left, right):
    return left if number(right) == 1 else v


def _pow(v, left, right):
    return left if number(right) == 1 else v


def neg(v):
    """``-v``, simplified."""
    value = number(v)
    if value is not None:
        return Const(-value)
    if type(v) is Op and v.syntax == "u-":
        return v.args[0]
    return Op(operator.neg, (v,), "u-")


def _neg(v, operand):
    return neg(operand) if number(operand) is not None or (
        type(operand) is Op and operand.syntax == "u-") else v


def _ifexp(v, test, body, orelse):
    known = _known(test)
    if known is not None:
        return body if known else orelse
    a, b = number(body), number(orelse)
    return body if a is not None and a == b else v


def _decided(v, *args):
    known = _known(v)
    return Const(known) if known is not None else v


def _known(v):
    """The truth value of a condition on constants (``axis is None``), or None."""
    if type(v) is Const and isinstance(v.value, (bool, type(None), int)):
        return bool(v.value)
    if type(v) is not Op:
        return None
    s = v.syntax
    if s in ("is", "is not") and all(type(a) is Const for a in v.args):
        left, right = (a.value for a in v.args)
        return (left is right) == (s == "is")
    if s in _ORDER and all(number(a) is not None for a in v.args):  # ``2 != 0``
        return _ORDER[s](*(a.value for a in v.args))
    if s == "unot":
        inner = _known(v.args[0])
        return None if inner is None else not inner
    if s in ("and", "or"):
        values = [_known(a) for a in v.args]
        stop = s == "or"  # or: any True decides; and: any False decides
        if any(x is stop for x in values):
            return stop
        return (not stop) if all(x is (not stop) for x in values) else None
    return None


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
          "==": operator.eq, "!=": operator.ne}

def _call(v, *args):
    """``np.where`` of a known condition is one of its branches; ``np.power(x, 1)`` is ``x``
    (the choices a rule's template makes for a constant exponent)."""
    import sys

    np = sys.modules.get("numpy")
    if np is None or v.kwargs:
        return v
    if v.fn is np.where and len(args) == 3:  # the branch left out a number: same shape
        known = _known(args[0])
        if known is not None and number(args[2 if known else 1]) is not None:
            return args[1] if known else args[2]
    if v.fn is np.power and len(args) == 2 and number(args[1]) == 1:
        return args[0]
    return v


_SIMPLIFY = {"+": _add, "-": _sub, "*": _mul, "/": _div, "**": _pow, "u-": _neg,
             "ifexp": _ifexp, "is": _decided, "is not": _decided, "unot": _decided,
             "and": _decided, "or": _decided, "call": _call,
             **dict.fromkeys(_ORDER, _decided)}


def fold_numbers(v):
    """Only compute ``+ - *`` of two numbers (``1.0 * 2.0`` is ``2.0``); unlike
    ``simplify``, never changes the type of a value."""
    if type(v) is not Op:
        return v
    args = tuple(fold_numbers(a) for a in v.args)
    if v.syntax in _FOLD and len(args) == 2:
        a, b = number(args[0]), number(args[1])
        if a is not None and b is not None:
            return _computed(v.syntax, a, b) or v
    if any(a is not b for a, b in zip(args, v.args)):
        return Op(v.fn, args, v.syntax, v.callee, v.kwargs)
    return v


def plus(left, right):
    """``left + right``, simplified (the operands are: only the sum is looked at);
    ``p + p`` is ``2.0 * p``."""
    if same(left, right):
        return _mul(Op(operator.mul, (Const(2.0), left), "*"), Const(2.0), left)
    return _add(Op(operator.add, (left, right), "+"), left, right)


def times(left, right):
    """``left * right``, simplified (the operands are: only the product is looked at)."""
    v = Op(operator.mul, (left, right), "*")
    return _mul(v, left, right)


def surely_float(v, floats) -> bool:
    """True when ``v`` gives a float if the names ``floats`` hold floats: a float
    constant, a true division, ``math.sin(...)``, arithmetic with a float…"""
    kind = type(v)
    if kind is Var:
        return v.name in floats
    if kind is Const:
        return type(v.value) is float
    if kind is not Op:
        return False
    s = v.syntax
    if s == "/":
        return True
    if s in ("+", "-", "*", "**", "//", "%"):
        return any(surely_float(a, floats) for a in v.args)
    if s == "u-":
        return surely_float(v.args[0], floats)
    if s == "ifexp":
        return surely_float(v.args[1], floats) and surely_float(v.args[2], floats)
    if s == "call" and v.callee is not None and v.callee.value is math and v.callee.path:
        return v.callee.path[0] not in _INTEGER_MATH
    return False


_INTEGER_MATH = {"floor", "ceil", "trunc", "factorial", "gcd", "lcm", "isqrt", "comb", "perm",
                 "prod"}
