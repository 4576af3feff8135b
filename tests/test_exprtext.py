"""exprtext writes exactly what ast.unparse writes, on random expression trees."""

import ast
import random

from s2sdiff.back.exprtext import unparse

_BINARY = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod, ast.MatMult,
           ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift]
_UNARY = [ast.USub, ast.UAdd, ast.Invert, ast.Not]
_COMPARE = [ast.Lt, ast.Eq, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.GtE]
_CONSTANTS = [0, 1, 2.5, -1.0, 1e400, float("nan"), True, None, "s", -3, 1j, (1, 2), ...]


def _tree(rng: random.Random, depth: int) -> ast.expr:
    kind = rng.randrange(14 if depth > 0 else 3)
    sub = lambda: _tree(rng, depth - 1)  # noqa: E731
    if kind == 0:
        return ast.Name(rng.choice("xyz"), ast.Load())
    if kind == 1:
        return ast.Constant(rng.choice(_CONSTANTS))
    if kind == 2:
        node = ast.Name("np", ast.Load())
        node.s2s_global = rng.choice([1, 2])
        return node
    if kind in (3, 4, 5):
        return ast.BinOp(sub(), rng.choice(_BINARY)(), sub())
    if kind == 6:
        return ast.UnaryOp(rng.choice(_UNARY)(), sub())
    if kind == 7:
        keywords = [ast.keyword(rng.choice(["a", None]), sub()) for _ in range(rng.randrange(2))]
        return ast.Call(sub(), [sub() for _ in range(rng.randrange(3))], keywords)
    if kind == 8:
        return ast.Attribute(sub(), "attr", ast.Load())
    if kind == 9:
        index = rng.choice([
            sub(), ast.Tuple([sub() for _ in range(rng.randrange(3))], ast.Load()),
            ast.Slice(*(rng.choice([None, sub()]) for _ in range(3)))])
        return ast.Subscript(sub(), index, ast.Load())
    if kind == 10:
        return ast.Tuple([sub() for _ in range(rng.randrange(3))], ast.Load())
    if kind == 11:
        return ast.Compare(sub(), [rng.choice(_COMPARE)() for _ in range(2)], [sub(), sub()])
    if kind == 12:
        return ast.BoolOp(rng.choice([ast.And, ast.Or])(), [sub() for _ in range(rng.randrange(2, 4))])
    return rng.choice([ast.IfExp(sub(), sub(), sub()),
                       ast.List([sub() for _ in range(rng.randrange(3))], ast.Load())])


def test_same_text_as_ast_unparse():
    rng = random.Random(0)
    written = 0
    for _ in range(3000):
        tree = _tree(rng, rng.randrange(1, 5))
        text = unparse(tree, lambda n: n.id if n.s2s_global == 1 else None)
        if text is not None:
            written += 1
            assert text == ast.unparse(tree)
    assert written > 1000


def test_falls_back_on_what_it_does_not_write():
    assert unparse(ast.parse("f(*xs)", mode="eval").body, lambda n: n.id) is None
    assert unparse(ast.parse("(1).real", mode="eval").body, lambda n: n.id) is None
    assert unparse(ast.parse("x + (y := 2)", mode="eval").body, lambda n: n.id) is None
    bound = ast.Name("np", ast.Load())
    bound.s2s_global = object()
    assert unparse(bound, lambda n: None) is None
