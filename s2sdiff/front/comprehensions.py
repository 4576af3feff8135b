"""List comprehensions and generator expressions, lowered to loops that append.

``rows = [np.tanh(w * x[i]) for i in range(n)]`` becomes::

    _items = []
    for i in range(n):
        _items.append(np.tanh(w * x[i]))
    rows = _items

before the statement that holds it, which is what the rest of the front end
reads (lists built by ``append`` in loops are differentiated item by item).
A sum of one, ``sum(x[i] ** 2 for i in range(n))``, adds to a total instead
(``_total = 0``, then ``_total = _total + x[i] ** 2``), as ``sum`` does,
without a list.  A
comprehension's ``if`` clauses become ``if`` statements around the append,
several ``for`` clauses nested loops, and a comprehension inside the element
is lowered in the loop's body in turn.  A loop variable that the function
also uses elsewhere is renamed, as a comprehension has a scope of its own.

Only comprehensions evaluated exactly once where their statement runs are
lowered: those in assignments, returns, expression statements, ``if`` tests
and ``for`` iterables, outside conditional expressions (``a if c else b``,
``and``, ``or``).  Others (in a ``while`` test, say) stay, and the fence
refuses them with their location.  Set and dict comprehensions stay too.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from .names import Namer

_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp)


def lowered(tree: ast.FunctionDef, builtin_sum: bool = True) -> ast.FunctionDef | None:
    """A copy of ``tree`` with its comprehensions lowered to loops, or None when it
    has none that can be.  With ``builtin_sum`` (``sum`` is Python's), a
    comprehension summed, ``sum(... for ...)``, becomes a loop adding to a total."""
    tree = copy.deepcopy(tree)
    counts = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    lowering = _Lowering(Namer(set(counts)), counts, builtin_sum and not any(
        isinstance(n, ast.Name) and n.id == "sum" and not isinstance(n.ctx, ast.Load)
        for n in ast.walk(tree)))
    body = lowering.block(tree.body)
    if not lowering.changed:
        return None
    tree.body = body
    return tree


class _Lowering:
    def __init__(self, namer: Namer, counts: Counter, builtin_sum: bool):
        self.namer = namer
        self.counts = counts  # how often each name is spelled in the function
        self.builtin_sum = builtin_sum
        self.changed = False

    def block(self, stmts: list) -> list:
        out = []
        for s in stmts:
            out += self.stmt(s)
        return out

    def stmt(self, s: ast.stmt) -> list:
        before: list = []
        if isinstance(s, (ast.If, ast.For, ast.While)):
            if isinstance(s, ast.If):
                s.test = self.expr(s.test, before)
            elif isinstance(s, ast.For):
                s.iter = self.expr(s.iter, before)
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
        elif isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)) \
                and s.value is not None:
            s.value = self.expr(s.value, before)
        return before + [s]

    def expr(self, e: ast.expr, before: list) -> ast.expr:
        """``e`` with each comprehension it evaluates once replaced by the name of a
        list built in ``before``."""
        if isinstance(e, _COMPREHENSIONS):
            return self.loop(e, before)
        if self.builtin_sum and isinstance(e, ast.Call) and isinstance(e.func, ast.Name) \
                and e.func.id == "sum" and len(e.args) == 1 and not e.keywords \
                and isinstance(e.args[0], _COMPREHENSIONS):
            return self.loop(e.args[0], before, summed=True)
        if isinstance(e, (ast.IfExp, ast.BoolOp, ast.Lambda, ast.SetComp, ast.DictComp)):
            return e  # evaluated lazily, or in a scope of its own
        for field, value in ast.iter_fields(e):
            if isinstance(value, ast.expr):
                setattr(e, field, self.expr(value, before))
            elif isinstance(value, list):
                setattr(e, field, [self.expr(v, before) if isinstance(v, ast.expr) else v
                                   for v in value])
        return e

    def loop(self, e, before: list, summed: bool = False) -> ast.Name:
        """The name of the list ``e`` makes (of its sum, ``summed``), built in ``before``."""
        self.changed = True
        self.rename_private_targets(e)
        name = self.namer.first("_total" if summed else "_items")
        if summed:  # as ``sum`` adds: 0 + first + second ...
            start = ast.Constant(0)
            add = ast.Assign([ast.Name(name, ast.Store())],
                             ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), e.elt))
        else:
            start = ast.List([], ast.Load())
            add = ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append",
                                                  ast.Load()), [e.elt], []))
        body: list = [add]
        for gen in reversed(e.generators):
            for condition in reversed(gen.ifs):
                body = [ast.If(condition, body, [])]
            body = [ast.For(gen.target, gen.iter, body, [])]
        made = [ast.Assign([ast.Name(name, ast.Store())], start)] + body
        for node in made:
            for child in ast.walk(node):
                if isinstance(child, (ast.stmt, ast.expr)) and not hasattr(child, "lineno"):
                    ast.copy_location(child, e)
        before += self.block(made)  # comprehensions in the element, in the loop's body
        return ast.copy_location(ast.Name(name, ast.Load()), e)

    def rename_private_targets(self, e) -> None:
        """Rename the loop variables of ``e`` that the function spells outside it."""
        outer = e.generators[0].iter  # evaluated in the function's scope
        scoped = [e.elt, e.generators[0].target, *e.generators[0].ifs] + [
            part for gen in e.generators[1:] for part in (gen.target, gen.iter, *gen.ifs)]
        inside = Counter(n.id for part in scoped + [outer] for n in ast.walk(part)
                         if isinstance(n, ast.Name))
        targets = {n.id for gen in e.generators for n in ast.walk(gen.target)
                   if isinstance(n, ast.Name)}
        renamed = {t: self.namer.fresh(t) for t in targets if self.counts[t] > inside[t]}
        for node in (n for part in scoped for n in ast.walk(part)):
            if isinstance(node, ast.Name) and node.id in renamed:
                node.id = renamed[node.id]
