"""Expression source text exactly as ``ast.unparse`` writes it, only faster.

Covers the nodes the emitters build (names, numbers, operators, calls,
attributes, subscripts, tuples, lists, conditionals); for anything else
``unparse`` returns None and the caller uses ``ast.unparse``.  The
parenthesization follows ``ast.unparse``: a node is wrapped when the
precedence its parent asks for is higher than its own.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable

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
_INF = "1e" + repr(sys.float_info.max_10_exp + 1)


class _Unsupported(Exception):
    """A node this module does not write."""


def unparse(node: ast.expr, global_name: Callable[[ast.Name], str | None]) -> str | None:
    """The text of ``node``, or None when ``ast.unparse`` must write it.

    ``global_name`` gives the name to write for a Name linked to a global
    object (``s2s_global``), or None to fall back.
    """
    try:
        return _text(node, _TEST, global_name)
    except _Unsupported:
        return None


def _text(node, prec: int, global_name) -> str:
    cls = type(node)
    if cls is ast.Name:
        if not hasattr(node, "s2s_global"):
            return node.id
        name = global_name(node)
        if name is None:
            raise _Unsupported
        return name
    if cls is ast.Constant:
        return _constant(node)
    if cls is ast.BinOp:
        op, own = _BINOPS[type(node.op)]
        left, right = (own + 1, own) if op == "**" else (own, own + 1)
        text = f"{_text(node.left, left, global_name)} {op} {_text(node.right, right, global_name)}"
        return f"({text})" if prec > own else text
    if cls is ast.UnaryOp:
        op, own = _UNARY[type(node.op)]
        text = op + _text(node.operand, own, global_name)
        return f"({text})" if prec > own else text
    if cls is ast.Call:
        return _call(node, global_name)
    if cls is ast.Attribute:
        if type(node.value) is ast.Constant:
            raise _Unsupported  # ``1 .real`` needs its space
        return f"{_text(node.value, _ATOM, global_name)}.{node.attr}"
    if cls is ast.Subscript:
        index = node.slice
        if type(index) is ast.Tuple and index.elts:
            inner = _items(index.elts, global_name)
        else:
            inner = _text(index, _TEST, global_name)
        return f"{_text(node.value, _ATOM, global_name)}[{inner}]"
    return _other(node, cls, prec, global_name)


def _other(node, cls, prec: int, global_name) -> str:
    if cls is ast.Tuple:
        text = _items(node.elts, global_name)
        return f"({text})" if not node.elts or prec > _TUPLE else text
    if cls is ast.List:
        return "[" + ", ".join(_text(e, _TEST, global_name) for e in node.elts) + "]"
    if cls is ast.Compare:
        parts = [_text(node.left, _CMP + 1, global_name)]
        for op, right in zip(node.ops, node.comparators):
            parts.append(f" {_COMPARE[type(op)]} {_text(right, _CMP + 1, global_name)}")
        text = "".join(parts)
        return f"({text})" if prec > _CMP else text
    if cls is ast.BoolOp:
        op, own = ("and", _AND) if type(node.op) is ast.And else ("or", _OR)
        level, parts = own, []
        for value in node.values:  # each operand binds one level tighter than the last
            level = min(level + 1, _ATOM)
            parts.append(_text(value, level, global_name))
        text = f" {op} ".join(parts)
        return f"({text})" if prec > own else text
    if cls is ast.IfExp:
        text = (f"{_text(node.body, _TEST + 1, global_name)} if "
                f"{_text(node.test, _TEST + 1, global_name)} else "
                f"{_text(node.orelse, _TEST, global_name)}")
        return f"({text})" if prec > _TEST else text
    if cls is ast.Slice:
        text = "" if node.lower is None else _text(node.lower, _TEST, global_name)
        text += ":" + ("" if node.upper is None else _text(node.upper, _TEST, global_name))
        if node.step is not None:
            text += ":" + _text(node.step, _TEST, global_name)
        return text
    raise _Unsupported


def _constant(node: ast.Constant) -> str:
    value = node.value
    if node.kind is not None:
        raise _Unsupported
    if type(value) is float:
        return repr(value).replace("inf", _INF).replace("nan", f"({_INF}-{_INF})")
    if type(value) in (int, bool, str) or value is None:
        return repr(value)
    raise _Unsupported


def _call(node: ast.Call, global_name) -> str:
    args = [_text(a, _TEST, global_name) for a in node.args
            if type(a) is not ast.Starred or _unsupported()]
    for kw in node.keywords:
        value = _text(kw.value, _TEST, global_name)
        args.append(f"**{value}" if kw.arg is None else f"{kw.arg}={value}")
    return f"{_text(node.func, _ATOM, global_name)}({', '.join(args)})"


def _items(elts, global_name) -> str:
    """Items separated by commas; a single one gets a trailing comma."""
    if len(elts) == 1:
        return _text(elts[0], _TEST, global_name) + ","
    return ", ".join(_text(e, _TEST, global_name) for e in elts)


def _unsupported():
    raise _Unsupported
