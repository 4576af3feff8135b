"""Expression source text exactly as ``ast.unparse`` writes it, only faster.

Covers the nodes the emitters build (names, numbers, operators, calls,
attributes, subscripts, tuples, lists, conditionals); for anything else
``unparse`` returns None and the caller uses ``ast.unparse``.  The
parenthesization follows ``ast.unparse``: a node is wrapped when the
precedence its parent asks for is higher than its own.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .. import safe

# the precedence levels of ast._Precedence, in order (BOR is the same level as EXPR)
(_NAMED, _TUPLE, _YIELD, _TEST, _OR, _AND, _NOT, _CMP, _BOR, _BXOR, _BAND, _SHIFT, _ARITH,
 _TERM, _FACTOR, _POWER, _AWAIT, _ATOM) = range(1, 19)

_BINOPS = {
    ast.Add: ("+", _ARITH), ast.Sub: ("-", _ARITH), ast.Mult: ("*", _TERM),
    ast.MatMult: ("@", _TERM), ast.Div: ("/", _TERM), ast.Mod: ("%", _TERM),
    ast.FloorDiv: ("//", _TERM), ast.LShift: ("<<", _SHIFT), ast.RShift: (">>", _SHIFT),
    ast.BitOr: ("|", _BOR), ast.BitXor: ("^", _BXOR), ast.BitAnd: ("&", _BAND),
    ast.Pow: ("**", _POWER),
}
_UNARY = {ast.USub: ("-", _FACTOR), ast.UAdd: ("+", _FACTOR), ast.Invert: ("~", _FACTOR),
          ast.Not: ("not ", _NOT)}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
            ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


class _Unsupported(Exception):
    """A node this module does not write."""


def unparse(node: ast.expr, global_name: Callable[[ast.Name], str | None],
            folded: dict[str, tuple[str, int]] | None = None) -> str | None:
    """The text of ``node``, or None when ``ast.unparse`` must write it.

    ``global_name`` gives the name to write for a Name linked to a global
    object (``s2s_global``), or None to fall back.  ``folded`` maps local
    names to the text written in their place and its precedence, on this
    module's scale (``_TEST`` … ``_ATOM``).
    """
    try:
        return _text(node, _TEST, _Context(global_name, folded or {}))
    except _Unsupported:
        return None


class _Context:
    __slots__ = ("global_name", "folded")

    def __init__(self, global_name, folded: dict):
        self.global_name = global_name
        self.folded = folded


def _text(node, prec: int, ctx) -> str:
    cls = type(node)
    if cls is ast.Name:
        if not hasattr(node, "s2s_global"):
            written = ctx.folded.get(node.id)
            if written is None:
                return node.id
            text, own = written
            return f"({text})" if prec > own else text
        name = ctx.global_name(node)
        if name is None:
            raise _Unsupported
        return name
    if cls is ast.Constant:
        return _constant(node)
    if cls is ast.BinOp:
        op, own = _BINOPS[type(node.op)]
        left, right = (own + 1, own) if op == "**" else (own, own + 1)
        text = f"{_text(node.left, left, ctx)} {op} {_text(node.right, right, ctx)}"
        return f"({text})" if prec > own else text
    if cls is ast.UnaryOp:
        op, own = _UNARY[type(node.op)]
        text = op + _text(node.operand, own, ctx)
        return f"({text})" if prec > own else text
    if cls is ast.Call:
        return _call(node, ctx)
    if cls is ast.Attribute:
        if type(node.value) is ast.Constant:
            raise _Unsupported  # ``1 .real`` needs its space
        return f"{_text(node.value, _ATOM, ctx)}.{node.attr}"
    if cls is ast.Subscript:
        index = node.slice
        if type(index) is ast.Tuple and index.elts:
            inner = _items(index.elts, ctx)
        else:
            inner = _text(index, _TEST, ctx)
        return f"{_text(node.value, _ATOM, ctx)}[{inner}]"
    return _other(node, cls, prec, ctx)


def _other(node, cls, prec: int, ctx) -> str:
    if cls is ast.Tuple:
        text = _items(node.elts, ctx)
        return f"({text})" if not node.elts or prec > _TUPLE else text
    if cls is ast.List:
        return "[" + ", ".join(_text(e, _TEST, ctx) for e in node.elts) + "]"
    if cls is ast.Compare:
        parts = [_text(node.left, _CMP + 1, ctx)]
        for op, right in zip(node.ops, node.comparators):
            parts.append(f" {_COMPARE[type(op)]} {_text(right, _CMP + 1, ctx)}")
        text = "".join(parts)
        return f"({text})" if prec > _CMP else text
    if cls is ast.BoolOp:
        op, own = ("and", _AND) if type(node.op) is ast.And else ("or", _OR)
        level, parts = own, []
        for value in node.values:  # each operand binds one level tighter than the last
            level = min(level + 1, _ATOM)
            parts.append(_text(value, level, ctx))
        text = f" {op} ".join(parts)
        return f"({text})" if prec > own else text
    if cls is ast.IfExp:
        text = (f"{_text(node.body, _TEST + 1, ctx)} if "
                f"{_text(node.test, _TEST + 1, ctx)} else "
                f"{_text(node.orelse, _TEST, ctx)}")
        return f"({text})" if prec > _TEST else text
    if cls is ast.Slice:
        text = "" if node.lower is None else _text(node.lower, _TEST, ctx)
        text += ":" + ("" if node.upper is None else _text(node.upper, _TEST, ctx))
        if node.step is not None:
            text += ":" + _text(node.step, _TEST, ctx)
        return text
    raise _Unsupported


def _constant(node: ast.Constant) -> str:
    value = node.value
    if node.kind is not None:
        raise _Unsupported
    if type(value) in (float, int, bool, str) or value is None:
        return safe.constant(value)
    raise _Unsupported


def _call(node: ast.Call, ctx) -> str:
    args = [_text(a, _TEST, ctx) for a in node.args
            if type(a) is not ast.Starred or _unsupported()]
    for kw in node.keywords:
        value = _text(kw.value, _TEST, ctx)
        args.append(f"**{value}" if kw.arg is None else f"{kw.arg}={value}")
    return f"{_text(node.func, _ATOM, ctx)}({', '.join(args)})"


def _items(elts, ctx) -> str:
    """Items separated by commas; a single one gets a trailing comma."""
    if len(elts) == 1:
        return _text(elts[0], _TEST, ctx) + ","
    return ", ".join(_text(e, _TEST, ctx) for e in elts)


def _unsupported():
    raise _Unsupported
