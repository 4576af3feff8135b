"""Instantiate rule templates and simplify the expressions the emitters build."""

from __future__ import annotations

import ast
import builtins
import math

from .. import ir
from ..front import scan
from ..rules import Rule


def atom_expr(a) -> ast.expr:
    """The Python expression of an atom; globals keep a link to their object."""
    if isinstance(a, ir.Var):
        return ast.Name(a.name, ast.Load())
    if isinstance(a, ir.Const):
        return _const(a.value)
    if isinstance(a, ir.Global):
        node: ast.expr = global_name(a.name, a.value)
        for attr in a.path:
            node = ast.Attribute(node, attr, ast.Load())
        return node
    raise TypeError(a)


def global_name(name: str, value: object) -> ast.Name:
    """A name bound to a module-level object; codegen binds it to ``value``."""
    node = ast.Name(name, ast.Load())
    node.s2s_global = value  # type: ignore[attr-defined]
    return node


def zeros_like(node: ast.expr) -> ast.Call:
    """``np.zeros_like(node)``."""
    import numpy as np

    return ast.Call(ast.Attribute(global_name("np", np), "zeros_like", ast.Load()), [node], [])


def clone(node):
    """A copy of an expression tree; links to global objects are shared, not copied."""
    if isinstance(node, list):
        return [clone(x) for x in node]
    if not isinstance(node, ast.AST):
        return node
    new = type(node)(**{f: clone(getattr(node, f)) for f in node._fields if hasattr(node, f)})
    for attr in ("s2s_global", "s2s_home"):
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    return new


def const_expr(value) -> ast.expr:
    """A number as an expression (negative numbers as ``-x``)."""
    return _const(value)


def _const(value) -> ast.expr:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def instantiate(rule: Rule, index: int, args, out: str) -> ast.expr:
    """The partial of ``rule`` for argument ``index``, its parameters replaced by ``args``.

    Simplifying depends only on which arguments are which constants, so the
    simplified template is made once per such *shape* (variables and globals
    stand in as slots) and each instance only fills the slots in.
    """
    shape = _shape(args)
    if shape is None:
        bindings = {p: atom_expr(a) for p, a in zip(rule.params, args)}
        bindings["out"] = ast.Name(out, ast.Load())
        return substitute(rule.partials[index], bindings, rule.namespace)
    key = (id(rule), index, shape)
    entry = _SHAPES.get(key)
    if entry is None or entry[0] is not rule:
        if len(_SHAPES) > _SHAPES_MAX:
            _SHAPES.clear()
        slots = {p: ast.Name(_SLOT + p, ast.Load()) if s is None else atom_expr(args[i])
                 for i, (p, s) in enumerate(zip(rule.params, shape))}
        slots["out"] = ast.Name(_SLOT + "out", ast.Load())
        tree = substitute(rule.partials[index], slots, rule.namespace)
        settled = same_tree(simplify(clone(tree)), tree)
        facts = scan.expr_facts(tree)
        entry = _SHAPES[key] = (rule, tree, settled, facts, tuple(_SLOT + p for p in rule.params),
                                _SLOT + "out" in facts[0])
    _, tree, settled, facts, slots, reads_out = entry
    fills = dict(zip(slots, args))
    if reads_out:
        fills[_SLOT + "out"] = ir.Var(out)
    node = _fill(tree, fills)
    if settled:  # simplify leaves it as it is, so the names it reads stay these
        node.s2s_simple = True  # type: ignore[attr-defined]
        node.s2s_facts = _filled_facts(facts, fills)  # type: ignore[attr-defined]
    return node


def _filled_facts(facts: tuple, fills: dict) -> tuple:
    """``scan.expr_facts`` of a filled template, from the template's own facts."""
    uses, mutates = facts
    out = []
    for n in uses:
        a = fills.get(n)
        if a is None:
            out.append(n)
        elif type(a) is ir.Var:
            out.append(a.name)
        elif type(a) is ir.Global and ("pop" in a.path or "append" in a.path):
            mutates = True
    return tuple(out), mutates


_SLOT = "\0"  # prefix of the slot names of a shaped template (no identifier has it)
# (id(rule), index, shape) -> (rule, simplified template, settled, its facts, slot names,
# whether it reads ``out``)
_SHAPES: dict = {}
_SHAPES_MAX = 10_000


def _shape(args):
    """Per argument: None for a variable or global (a slot), else the constant's
    (type, value); None for the whole when a constant cannot be a key."""
    shape = []
    for a in args:
        kind = type(a)
        if kind is ir.Var or kind is ir.Global:
            shape.append(None)
        elif kind is ir.Const and type(a.value) in _KEYS:
            shape.append((type(a.value), a.value))
        else:
            return None
    return tuple(shape)


_KEYS = {int, float, bool, str, type(None), complex}  # constants that can be part of a key


def _fill(node, fills: dict):
    """A copy of a shaped template with each slot replaced by its atom's expression.

    Operator and context leaves are shared with the template, as ``ast.parse`` does.
    """
    cls = type(node)
    if cls is ast.BinOp:
        return ast.BinOp(_fill(node.left, fills), node.op, _fill(node.right, fills))
    if cls is ast.Name:
        if node.id in fills:
            return atom_expr(fills[node.id])
        return clone(node)
    if cls is ast.Constant:
        return ast.Constant(node.value, node.kind)
    if cls is ast.UnaryOp:
        return ast.UnaryOp(node.op, _fill(node.operand, fills))
    if cls is ast.Call and not node.keywords:
        return ast.Call(_fill(node.func, fills), [_fill(a, fills) for a in node.args], [])
    if cls is ast.Attribute:
        return ast.Attribute(_fill(node.value, fills), node.attr, node.ctx)
    if isinstance(node, list):
        return [_fill(x, fills) for x in node]
    if not isinstance(node, ast.AST):
        return node
    return type(node)(**{f: _fill(getattr(node, f), fills)
                         for f in node._fields if hasattr(node, f)})


def substitute(template: ast.expr, bindings: dict, namespace: dict) -> ast.expr:
    """A simplified copy of ``template`` with names bound: parameters to expressions,
    other names to the objects of the rule's module (builtins stay as they are)."""
    return simplify(_copy_bound(template, bindings, namespace))


def _copy_bound(node, bindings: dict, namespace: dict):
    if isinstance(node, ast.Name):
        if node.id in bindings:
            return clone(bindings[node.id])
        if node.id in namespace:
            return global_name(node.id, namespace[node.id])
        if hasattr(builtins, node.id):
            return ast.Name(node.id, ast.Load())
        raise NameError(f"rule template uses unknown name {node.id!r}")
    if isinstance(node, list):
        return [_copy_bound(x, bindings, namespace) for x in node]
    if not isinstance(node, ast.AST):
        return node
    return type(node)(**{f: _copy_bound(getattr(node, f), bindings, namespace)
                         for f in node._fields if hasattr(node, f)})


def number(node: ast.expr):
    """The numeric value of a constant expression node, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = number(node.operand)
        return -inner if inner is not None else None
    return None


def surely_float(node: ast.expr, floats) -> bool:
    """True when ``node`` gives a float if the names ``floats`` hold floats: a float
    constant, a true division, ``math.sin(...)``, arithmetic with a float…"""
    cls = type(node)
    if cls is ast.Name:
        return node.id in floats
    if cls is ast.Constant:
        return type(node.value) is float
    if cls is ast.BinOp:
        return type(node.op) is ast.Div or surely_float(node.left, floats) \
            or surely_float(node.right, floats)
    if cls is ast.UnaryOp:
        return surely_float(node.operand, floats)
    if cls is ast.IfExp:
        return surely_float(node.body, floats) and surely_float(node.orelse, floats)
    if cls is ast.Call and type(node.func) is ast.Attribute:
        owner = getattr(node.func.value, "s2s_global", None)
        return owner is math and node.func.attr not in _INTEGER_MATH
    return False


_INTEGER_MATH = {"floor", "ceil", "trunc", "factorial", "gcd", "lcm", "isqrt", "comb", "perm",
                 "prod"}

_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
         ast.Mult: lambda a, b: a * b}


def simplify(node: ast.expr) -> ast.expr:
    """Fold constants and drop neutral factors: ``x * 1.0``, ``x ** 1``, ``0 + x``…"""
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.expr):
            setattr(node, field, simplify(value))
        elif isinstance(value, list):
            setattr(node, field, [simplify(v) if isinstance(v, ast.expr) else v for v in value])
    if isinstance(node, ast.BinOp):
        return _simplify_binop(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = node.operand
        value = number(inner)
        if value is not None:
            return _const(-value)
        if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub):
            return inner.operand
    if isinstance(node, ast.IfExp):
        test = _known(node.test)
        if test is not None:
            return node.body if test else node.orelse
        a, b = number(node.body), number(node.orelse)
        if a is not None and a == b:
            return node.body
    if isinstance(node, (ast.BoolOp, ast.Compare)):
        value = _known(node)
        if value is not None:
            return ast.Constant(value)
    return node


def _known(node: ast.expr):
    """The truth value of a condition on constants (``axis is None``), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, type(None), int)):
        return bool(node.value)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _literal(node.left), _literal(node.comparators[0])
        if left and right:
            op = node.ops[0]
            if isinstance(op, ast.Is):
                return left[0] is right[0]
            if isinstance(op, ast.IsNot):
                return left[0] is not right[0]
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value = _known(node.operand)
        return None if value is None else not value
    if isinstance(node, ast.BoolOp):
        values = [_known(v) for v in node.values]
        if isinstance(node.op, ast.Or):
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    return None


def fold_numbers(node: ast.expr) -> ast.expr:
    """Only compute ``+ - *`` of two numbers (``1.0 * 2.0`` is ``2.0``); unlike
    ``simplify``, never changes the type of a value."""
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.expr):
            setattr(node, field, fold_numbers(value))
        elif isinstance(value, list):
            setattr(node, field, [fold_numbers(v) if isinstance(v, ast.expr) else v for v in value])
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        a, b = number(node.left), number(node.right)
        if a is not None and b is not None:
            return _computed(type(node.op), a, b) or node
    return node


def _computed(op: type, a, b) -> ast.expr | None:
    """The constant ``a op b``, or None when Python cannot compute it (a float
    overflow of ``1.0 * 10 ** 4000``): the code computes it, as the user's does."""
    try:
        return _const(_FOLD[op](a, b))
    except (OverflowError, ArithmeticError, ValueError):
        return None


def _literal(node: ast.expr) -> tuple:
    """``(value,)`` of a constant or a negative number, ``()`` for anything else."""
    if isinstance(node, ast.Constant):
        return (node.value,)
    value = number(node)
    return () if value is None else (value,)


def _simplify_binop(node: ast.BinOp) -> ast.expr:
    a, b = number(node.left), number(node.right)
    op = type(node.op)
    if a is not None and b is not None and op in _FOLD:
        folded = _computed(op, a, b)
        if folded is not None:
            return folded
    if op is ast.Mult:
        right = node.right
        if isinstance(right, ast.BinOp) and isinstance(right.op, ast.Div) \
                and number(right.left) == 1:
            return ast.BinOp(node.left, ast.Div(), right.right)  # a * (1 / b) is a / b
        if a == 1:
            return node.right
        if b == 1:
            return node.left
        if a == -1:
            return simplify(ast.UnaryOp(ast.USub(), node.right))
        if b == -1:
            return simplify(ast.UnaryOp(ast.USub(), node.left))
    if op is ast.Add:
        if a == 0:
            return node.right
        if b == 0:
            return node.left
    if op is ast.Sub and b == 0:
        return node.left
    if op is ast.Sub and a == 0:
        return simplify(ast.UnaryOp(ast.USub(), node.right))
    if op is ast.Pow and b == 1:
        return node.left
    if op is ast.Div and b == 1:
        return node.left
    return node


def same_tree(a: ast.expr, b: ast.expr) -> bool:
    """Whether two expressions are written the same (False when one holds a
    number too long to print: Python limits int to text conversion)."""
    try:
        return ast.dump(a) == ast.dump(b)
    except ValueError:
        return False


def is_zero(node: ast.expr) -> bool:
    return number(node) == 0


def plus(left: ast.expr, right: ast.expr) -> ast.expr:
    """``left + right``, simplified; ``p + p`` is ``2.0 * p``."""
    if same_tree(left, right):
        return simplify(ast.BinOp(ast.Constant(2.0), ast.Mult(), left))
    return simplify(ast.BinOp(left, ast.Add(), right))


def times(left: ast.expr, right: ast.expr) -> ast.expr:
    """``left * right``, simplified."""
    node = ast.BinOp(left, ast.Mult(), right)
    if isinstance(left, ast.Name) and getattr(right, "s2s_simple", False):
        out = _simplify_binop(node)  # both operands are in simplest form already
        if out is node and not hasattr(left, "s2s_global"):
            facts = right.s2s_facts
            node.s2s_facts = (facts[0] + (left.id,), facts[1])  # type: ignore[attr-defined]
        return out
    return simplify(node)


def local_reads(node: ast.expr):
    """The local names ``node`` reads: known for instantiated partials, else a walk
    (that also lists the names of globals)."""
    facts = getattr(node, "s2s_facts", None)
    return scan.names(node) if facts is None else facts[0]


def instantiate_array(rule, exprs, index: int, op: ir.Op, out: str,
                      extra: dict | None = None) -> ast.expr:
    """Template ``exprs[index]`` of an ArrayRule, bound to the operation's arguments.

    Inputs bind to the leading positional arguments, options to the remaining
    positional ones, then to keywords, then to their defaults; ``extra`` binds
    ``g`` or the ``*_dot`` tangents.
    """
    bindings = {"out": ast.Name(out, ast.Load())}
    bindings.update(extra or {})
    n = len(rule.inputs)
    for name, a in zip(rule.inputs, op.args):
        bindings[name] = atom_expr(a)
    given = dict(op.kwargs)
    for k, (name, default) in enumerate(rule.options):
        if n + k < len(op.args):
            bindings[name] = atom_expr(op.args[n + k])
        elif name in given:
            bindings[name] = atom_expr(given[name])
        else:
            bindings[name] = clone(default)
    return substitute(exprs[index], bindings, rule.namespace)


def index_node(a) -> ast.expr:
    """An index atom as subscript syntax: ``1:3``, ``:, 0``, ``...``."""
    if isinstance(a, ir.Const):
        return _index_value(a.value)
    return atom_expr(a)


def _index_value(v) -> ast.expr:
    if isinstance(v, slice):
        parts = [None if p is None else _const(p) for p in (v.start, v.stop, v.step)]
        return ast.Slice(*parts)
    if isinstance(v, tuple):
        return ast.Tuple([_index_value(x) for x in v], ast.Load())
    return _const(v)
