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

from dataclasses import replace

from .nodes import Const, Global, Op, Var

ATOM, UNARY, POWER, COMPARE = 13, 11, 12, 4
PRECEDENCE = {"|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10,
              "//": 10, "%": 10, "@": 10, "**": POWER, "ifexp": 0, "or": 1, "and": 2,
              "unot": 3, "u-": UNARY, "u~": UNARY, "u+": UNARY}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!=", "is", "is not", "in", "not in"}
PREFIX = {"u-": "-", "u~": "~", "u+": "+", "unot": "not "}


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


def ops(v):
    """Every ``Op`` of value ``v``, outermost first."""
    if type(v) is Op:
        yield v
        for a in v.args:
            yield from ops(a)
        for _, a in v.kwargs:
            yield from ops(a)


def substitute(v, mapping: dict):
    """``v`` with each ``Var`` named in ``mapping`` replaced by its value there."""
    kind = type(v)
    if kind is Var:
        return mapping.get(v.name, v)
    if kind is Op:
        args = tuple(substitute(a, mapping) for a in v.args)
        kwargs = tuple((k, substitute(a, mapping)) for k, a in v.kwargs)
        return replace(v, args=args, kwargs=kwargs)
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
        value = v.value
        for attr in v.path:
            value = getattr(value, attr)
        return value
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


# --- text ---------------------------------------------------------------------------


def text(v) -> str:
    """The Python text of value ``v`` (names as they are, globals as they are written)."""
    return _text(v)[0]


def precedence(v) -> int:
    """How tightly the top of value ``v`` binds (higher: tighter)."""
    if type(v) is Op:
        if v.syntax in COMPARISONS:
            return COMPARE
        return PRECEDENCE.get(v.syntax, ATOM)
    if type(v) is Const and isinstance(v.value, (int, float, complex)) \
            and not isinstance(v.value, bool) and _number_text(v.value).startswith("-"):
        return UNARY
    return ATOM


def _number_text(value) -> str:
    try:
        return repr(value)
    except ValueError:  # an int past Python's limit on decimal digits
        return hex(value)


def _text(v, atom=None) -> tuple[str, int]:
    """Text and precedence; ``atom(a)`` writes the atoms (default: as they are)."""
    if type(v) is not Op:
        return (atom(v) if atom else _atom_text(v)), precedence(v)
    return op_text(v, lambda a: _text(a, atom))


def _atom_text(a) -> str:
    if type(a) is Const:
        return index_text(a) if isinstance(a.value, (slice, tuple)) else _number_text(a.value)
    return str(a)


def op_text(op: Op, operand) -> tuple[str, int]:
    """The text of ``op`` and its precedence, ``operand(v)`` giving each operand's."""
    s = op.syntax
    if s == "call":
        args = [operand(a)[0] for a in op.args] + [f"{k}={operand(a)[0]}" for k, a in op.kwargs]
        return f"{operand(op.callee)[0]}({', '.join(args)})", ATOM
    if s == "tape":
        return "[]", ATOM
    if s in ("list", "tuple"):
        items = [operand(a)[0] for a in op.args]
        if s == "list":
            return f"[{', '.join(items)}]", ATOM
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})", ATOM
    if s == "subscript":
        base, prec = operand(op.args[0])
        return f"{_wrapped(base, prec < ATOM)}[{_index(op.args[1], operand)}]", ATOM
    if s == "ifexp":
        test, body, orelse = (operand(a) for a in op.args)
        return (f"{_wrapped(body[0], body[1] <= 0)} if {_wrapped(test[0], test[1] <= 0)} "
                f"else {orelse[0]}"), 0
    if s in ("and", "or"):
        prec = PRECEDENCE[s]
        parts = [operand(a) for a in op.args]
        return f" {s} ".join(_wrapped(t, p <= prec) for t, p in parts), prec
    if s in PREFIX:
        prec = PRECEDENCE[s]
        inner, p = operand(op.args[0])
        return PREFIX[s] + _wrapped(inner, p < prec or (p == prec and s == "unot" and False)), prec
    prec = COMPARE if s in COMPARISONS else PRECEDENCE[s]
    (left, lp), (right, rp) = (operand(a) for a in op.args)
    if lp < prec or (lp == prec and (s == "**" or prec == COMPARE)):
        left = f"({left})"  # (-2) ** x, (a < b) < c
    if rp < prec or (rp == prec and s != "**"):
        right = f"({right})"  # a - (b - c)
    return f"{left} {s} {right}", prec


def _wrapped(text_: str, paren: bool) -> str:
    return f"({text_})" if paren else text_


def _index(v, operand) -> str:
    """The text inside ``[...]``: a slice or tuple constant as index syntax."""
    if type(v) is Const:
        return index_text(v)
    if type(v) is Op and v.syntax == "tuple":
        items = [_index(a, operand) for a in v.args]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    if type(v) is Op and v.syntax == "call" and v.fn is slice:
        parts = ["" if type(a) is Const and a.value is None else operand(a)[0] for a in v.args]
        return ":".join(parts[:2]) + (f":{parts[2]}" if len(parts) > 2 and parts[2] else "")
    return operand(v)[0]


def index_text(v) -> str:
    """An index constant as subscript syntax: ``1:3``, ``:, 0``, ``..., None``."""
    value = v.value if type(v) is Const else v
    if isinstance(value, slice):
        parts = ["" if p is None else _number_text(p) for p in (value.start, value.stop)]
        step = "" if value.step is None else f":{_number_text(value.step)}"
        return ":".join(parts) + step
    if isinstance(value, tuple):
        items = [index_text(Const(x)) for x in value]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    if value is Ellipsis:
        return "..."
    return _number_text(value) if isinstance(value, (int, float)) else repr(value)
