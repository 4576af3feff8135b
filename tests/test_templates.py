"""Rule templates as IR expressions: a template instantiated through the cache of
simplified shapes is the template converted and simplified afresh, and the text
of an IR expression parses back to the same Python."""

import ast
import random

import pytest

from s2sdiff import ir
from s2sdiff.emit.templates import instantiate, plus, simplify, times, to_ir
from s2sdiff.ir.expr import same, text
from s2sdiff.rules import all_rules

RULES = [r for r in all_rules() if r.params]


def _arguments(rule, constant_at=None):
    return [ir.Const(2.0) if i == constant_at else ir.Var(f"a{i}") for i in range(len(rule.params))]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: getattr(r.fn, "__name__", str(r.fn)))
def test_instantiated_partials_are_the_templates_simplified(rule):
    for constant_at in (None, 0):
        args = _arguments(rule, constant_at)
        for i, partial in enumerate(rule.partials):
            if partial is None or i == constant_at:
                continue
            direct = simplify(to_ir(partial, dict(zip(rule.params, args), out=ir.Var("z")),
                                    rule.namespace))
            assert same(instantiate(rule, i, args, ir.Var("z")), direct)
            assert same(instantiate(rule, i, args, ir.Var("z")), direct)  # from the cache


def test_simplification_drops_neutral_factors_and_folds_numbers():
    x, y = ir.Var("x"), ir.Var("y")
    assert text(times(ir.Const(1.0), x)) == "x"
    assert text(times(x, ir.Const(-1.0))) == "-x"
    assert text(plus(x, x)) == "2.0 * x"
    assert text(plus(ir.Const(1.0), ir.Const(2.5))) == "3.5"
    half = simplify(to_ir(ast.parse("a * (1.0 / b)", mode="eval").body,
                          {"a": x, "b": y}, {}))
    assert text(half) == "x / y"
    known = to_ir(ast.parse("g if axis is None else 2.0 * g", mode="eval").body,
                  {"g": x, "axis": ir.Const(None)}, {})
    assert text(simplify(known)) == "x"


_BINARY = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod, ast.MatMult]
_COMPARE = [ast.Lt, ast.Eq, ast.Is, ast.IsNot, ast.GtE, ast.NotEq]
_CONSTANTS = [0, 1, 2.5, -1.0, -3, True, None]


def _tree(rng: random.Random, depth: int) -> ast.expr:
    kind = rng.randrange(11 if depth > 0 else 3)
    sub = lambda: _tree(rng, depth - 1)  # noqa: E731
    if kind == 0:
        return ast.Name(rng.choice("xyz"), ast.Load())
    if kind == 1:
        value = rng.choice(_CONSTANTS)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
        return ast.Constant(value)
    if kind == 2:
        return ast.Attribute(ast.Name("math", ast.Load()), "pi", ast.Load())
    if kind in (3, 4, 5):
        return ast.BinOp(sub(), rng.choice(_BINARY)(), sub())
    if kind == 6:
        operand = sub()
        negative = isinstance(operand, (ast.Constant, ast.UnaryOp))  # -(-1.0) is folded
        return ast.UnaryOp(ast.Not() if negative else rng.choice([ast.USub, ast.Not])(), operand)
    if kind == 7:
        return ast.Compare(sub(), [rng.choice(_COMPARE)()], [sub()])
    if kind == 8:
        return ast.BoolOp(rng.choice([ast.And, ast.Or])(), [sub(), sub()])
    if kind == 9:
        return ast.IfExp(sub(), sub(), sub())
    return ast.Call(ast.Attribute(ast.Name("math", ast.Load()), "sin", ast.Load()), [sub()], [])


def test_ir_expressions_are_written_with_pythons_precedence():
    import math

    rng = random.Random(7)
    slots = {n: ir.Var(n) for n in "xyz"}
    for _ in range(3000):
        tree = _tree(rng, 4)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.operand, ast.Constant):
            continue  # a negative number: one constant in the IR, written the same
        written = text(to_ir(tree, slots, {"math": math}))
        assert ast.dump(ast.parse(written, mode="eval").body) == ast.dump(tree), written
