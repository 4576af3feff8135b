"""Expressions of the IR: ``Op`` trees over atoms.

The one place that knows their shape: what a value reads, a value with names
replaced, whether two values are written the same, and their text (with
Python's precedence, for IR dumps; the printer of generated code writes the
same text and binds the globals).

>>> import operator
>>> e = Op(operator.mul, (Op(operator.add, (Var("a"), Const(1.0)), "+"), Var("b")), "*")
>>> text(e), reads(e)
('(a + 1.0) * b', ['a', 'b'])
>>> text(substitute(e, {"b": Const(-2.0)}))
'(a + 1.0) * -2.0'
"""

from __future__ import annotations

from .nodes import (  # noqa: F401  (the text of values lives with the nodes)
    ATOM, COMPARE, UNARY, Const, Global, Op, Var, index_text, op_text, precedence, text,
)


def is_atom(v) -> bool:
    return type(v) in (Var, Const, Global)


def reads(v) -> list[str]:
    """Every occurrence of a local name in value ``v`` (a name read twice is listed twice)."""
    kind = type(v)
    if kind is Var:
        return [v.name]
    if kind is Op:
        out = []
        for a in v.args:
            out += reads(a)
        for _, a in v.kwargs:
            out += reads(a)
        return out
    if kind is tuple:
        return [n for x in v for n in reads(x)]
    return []


def ops(v) -> list:
    """Every ``Op`` of value ``v``, outermost first."""
    if type(v) is not Op:
        return []
    out = [v]
    for a in v.args:
        if type(a) is Op:
            out += ops(a)
    for _, a in v.kwargs:
        if type(a) is Op:
            out += ops(a)
    return out


def substitute(v, mapping: dict):
    """``v`` with each ``Var`` named in ``mapping`` replaced by its value there."""
    kind = type(v)
    if kind is Var:
        return mapping.get(v.name, v)
    if kind is Op:
        args = tuple(substitute(a, mapping) for a in v.args)
        kwargs = tuple((k, substitute(a, mapping)) for k, a in v.kwargs)
        return Op(v.fn, args, v.syntax, v.callee, kwargs)
    return v


def same(a, b) -> bool:
    """Whether two values are written the same (constants of the same type and value)."""
    if type(a) is not type(b):
        return False
    if type(a) is Const:
        return type(a.value) is type(b.value) and _equal(a.value, b.value)
    if type(a) is Op:
        return (a.syntax == b.syntax and a.fn is b.fn and a.callee == b.callee
                and len(a.args) == len(b.args) and all(map(same, a.args, b.args))
                and len(a.kwargs) == len(b.kwargs)
                and all(k == j and same(x, y) for (k, x), (j, y) in zip(a.kwargs, b.kwargs)))
    return a == b


def _equal(x, y) -> bool:
    try:
        return bool(x == y)
    except Exception:  # noqa: BLE001 - values that do not compare (arrays) are not the same
        return False


def evaluate(v, env: dict):
    """The value of ``v`` in Python, names read from ``env``."""
    kind = type(v)
    if kind is Var:
        return env[v.name]
    if kind is Const:
        return v.value
    if kind is Global:
        return v.resolved()
    s = v.syntax
    if s == "ifexp":
        return evaluate(v.args[1] if evaluate(v.args[0], env) else v.args[2], env)
    if s in ("and", "or"):
        result = None
        for a in v.args:
            result = evaluate(a, env)
            if bool(result) != (s == "and"):
                return result
        return result
    args = [evaluate(a, env) for a in v.args]
    return v.fn(*args, **{k: evaluate(a, env) for k, a in v.kwargs})
