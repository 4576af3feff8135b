"""Early ``return``, ``break`` and ``continue`` as flags and guarded blocks.

After this pass a function has one ``return`` at its end and loops have no
jumps: a loop that may stop early tests a flag in its condition (a ``for``
loop becomes a counted ``while``), and the statements after a jump run under
``if not flag`` (or move into the ``else`` of the branch that jumps).
"""

from __future__ import annotations

import ast
import copy
from collections import deque

from ..errors import UnsupportedSyntaxError
from .source import SourceFunction
from .names import Namer
from .scan import scan_names


def _assign(name: str, value: ast.expr, like: ast.AST) -> ast.Assign:
    node = ast.Assign(targets=[ast.Name(name, ast.Store())], value=value)
    return ast.copy_location(node, like)


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _escapes(stmts: list[ast.stmt]) -> set[str]:
    """The jumps (return, break, continue) that may leave this block."""
    kinds: set[str] = set()
    for s in stmts:
        kinds |= _escapes_stmt(s)
    return kinds


def _escapes_stmt(s: ast.stmt) -> set[str]:
    if isinstance(s, ast.Return):
        return {"return"}
    if isinstance(s, ast.Break):
        return {"break"}
    if isinstance(s, ast.Continue):
        return {"continue"}
    if isinstance(s, ast.If):
        return _escapes(s.body) | _escapes(s.orelse)
    if isinstance(s, (ast.For, ast.While)):
        return _escapes(s.body) & {"return"}
    return set()


def _returns(body: list[ast.stmt]) -> list[ast.Return]:
    """The ``return`` statements in ``body``, in the breadth-first order of ``ast.walk``
    (statements nest only in statements, so the expressions need no visit)."""
    found = []
    queue = deque(body)
    while queue:
        s = queue.popleft()
        if isinstance(s, ast.Return):
            found.append(s)
        for field in ("body", "orelse", "handlers", "finalbody", "cases"):
            inner = getattr(s, field, None)
            if type(inner) is list:
                queue.extend(inner)
    return found


def _always_jumps(stmts: list[ast.stmt]) -> bool:
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
            return True
        if isinstance(s, ast.If) and _always_jumps(s.body) and _always_jumps(s.orelse):
            return True
    return False


def _always_returns(stmts: list[ast.stmt]) -> bool:
    """Whether every path through ``stmts`` ends in a ``return`` (or never ends:
    ``while True`` without ``break``)."""
    for s in stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.If) and _always_returns(s.body) and _always_returns(s.orelse):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value \
                and "break" not in _loop_exits(s.body):
            return True
    return False


def _loop_exits(stmts: list[ast.stmt]) -> set[str]:
    """The jumps in ``stmts`` that leave the loop whose body they are."""
    kinds: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.Break):
            kinds.add("break")
        elif isinstance(s, ast.If):
            kinds |= _loop_exits(s.body) | _loop_exits(s.orelse)
    return kinds


class Jumps:
    """Rewrite return/break/continue into flags and guarded blocks."""

    def __init__(self, namer: Namer, where: SourceFunction):
        self.namer = namer
        self.where = where
        self.result = "_result"
        self.returned = "_returned"
        self.loops: list[dict] = []
        self.all_loops: list[dict] = []

    def function_body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        returns = _returns(body)
        for r in returns:
            if r.value is None:
                raise UnsupportedSyntaxError("`return` without a value", self.where.location(r),
                                             "return the value to differentiate")
        if not returns:
            raise UnsupportedSyntaxError("function without `return`",
                                         self.where.location(self.where.tree),
                                         "return the value to differentiate")
        if not _always_returns(body):
            raise UnsupportedSyntaxError(
                f"a path through {self.where.name!r} reaches its end without `return` (Python "
                "returns None there)", self.where.location(body[-1]),
                "end every path with a `return` of the value to differentiate")
        if len(returns) == 1 and body[-1] is returns[0]:  # no return flag
            return drop_unread_flags(self.block(body[:-1]) + body[-1:], self.loop_flags())
        self.result = self.namer.fresh("_result")
        self.returned = self.namer.fresh("_returned")
        lowered = self.block(body)
        final = ast.copy_location(ast.Return(_load(self.result)), returns[-1])
        # the result starts as None, so it is defined on every path (the returns set it)
        prologue = [_assign(self.returned, ast.Constant(False), body[0]),
                    _assign(self.result, ast.Constant(None), body[0])]
        return drop_unread_flags(prologue + lowered + [final], self.flag_names())

    def flag_names(self) -> set[str]:
        return {self.returned} | self.loop_flags()

    def loop_flags(self) -> set[str]:
        names: set[str] = set()
        for loop in self.all_loops:
            names |= {loop["stop"], loop["skip"]}
        return names

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for i, s in enumerate(stmts):
            if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
                out += self.jump(s)
                return out
            kinds = _escapes_stmt(s)
            rest = stmts[i + 1:] if kinds else []  # copied only when a jump needs it
            if kinds and rest and isinstance(s, ast.If):
                if _always_jumps(s.body):
                    out.append(self.if_(s, s.body, s.orelse + rest))
                    return out
                if _always_jumps(s.orelse):
                    out.append(self.if_(s, s.body + rest, s.orelse))
                    return out
            out += self.stmt(s)
            if kinds and rest:
                flags = [self.flag(k) for k in sorted(kinds)]
                test = flags[0] if len(flags) == 1 else ast.BoolOp(ast.Or(), flags)
                guard = ast.If(test=test, body=[ast.Pass()], orelse=self.block(rest))
                out.append(ast.copy_location(guard, rest[0]))
                return out
            if _always_jumps([s]):
                return out
        return out

    def flag(self, kind: str) -> ast.Name:
        if kind == "return":
            return _load(self.returned)
        loop = self.loops[-1]
        return _load(loop["stop"] if kind == "break" else loop["skip"])

    def jump(self, s: ast.stmt) -> list[ast.stmt]:
        if isinstance(s, ast.Return):
            out = [_assign(self.result, s.value, s), _assign(self.returned, ast.Constant(True), s)]
            return out
        if not self.loops:
            raise UnsupportedSyntaxError(f"`{type(s).__name__.lower()}` outside a loop",
                                         self.where.location(s))
        loop = self.loops[-1]
        name = loop["stop"] if isinstance(s, ast.Break) else loop["skip"]
        return [_assign(name, ast.Constant(True), s)]

    def if_(self, s: ast.If, body, orelse) -> ast.If:
        new = ast.If(test=s.test, body=self.block(body) or [ast.Pass()], orelse=self.block(orelse))
        return ast.copy_location(new, s)

    def stmt(self, s: ast.stmt) -> list[ast.stmt]:
        if isinstance(s, ast.If):
            return [self.if_(s, s.body, s.orelse)]
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s)
        return [s]

    def loop(self, s: ast.For | ast.While) -> list[ast.stmt]:
        if s.orelse:
            raise UnsupportedSyntaxError("`else` clause on a loop", self.where.location(s.orelse[0]),
                                         "use a flag variable instead")
        kinds = _escapes(s.body)
        loop = {"stop": self.namer.fresh("_stop"), "skip": self.namer.fresh("_skip")}
        self.all_loops.append(loop)
        self.loops.append(loop)
        body = self.block(s.body)
        self.loops.pop()
        if "continue" in kinds:
            body = [_assign(loop["skip"], ast.Constant(False), s)] + body
        stops = ([loop["stop"]] if "break" in kinds else []) + (
            [self.returned] if "return" in kinds else [])
        if not stops:
            new = copy.copy(s)
            new.body = body or [ast.Pass()]
            return [new]
        init = [_assign(loop["stop"], ast.Constant(False), s)] if "break" in kinds else []
        if isinstance(s, ast.While):
            return init + [self.while_(s, stops, s.test, body)]
        return init + self.for_as_while(s, stops, body)

    def while_(self, like, stops, test, body) -> ast.While:
        tests = [ast.UnaryOp(ast.Not(), _load(name)) for name in stops]
        if not (isinstance(test, ast.Constant) and test.value is True):
            tests.append(test)
        full = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)
        return ast.copy_location(ast.While(test=full, body=body or [ast.Pass()], orelse=[]), like)

    def for_as_while(self, s: ast.For, stops, body) -> list[ast.stmt]:
        """``for i in range(a, b, c)`` that may stop early, as a counted while loop."""
        args = range_args(s, self.where)
        pre, atoms = [], []
        for a in args:
            if isinstance(a, ast.Constant):
                atoms.append(a)
            else:
                name = self.namer.fresh("_t")
                pre.append(_assign(name, a, s))
                atoms.append(_load(name))
        start, step = (ast.Constant(0), ast.Constant(1)) if len(atoms) == 1 else (
            atoms[0], atoms[2] if len(atoms) == 3 else ast.Constant(1))
        count, k = self.namer.fresh("_n"), self.namer.fresh("_k")
        rng = ast.Call(_load("range"), atoms, [])
        pre += [_assign(count, ast.Call(_load("len"), [rng], []), s),
                _assign(k, ast.Constant(0), s)]
        index = _load(k) if _is_const(step, 1) else ast.BinOp(_load(k), ast.Mult(), step)
        if not _is_const(start, 0):
            index = ast.BinOp(start, ast.Add(), index)
        head = [ast.copy_location(ast.Assign(targets=[s.target], value=index), s),
                _assign(k, ast.BinOp(_load(k), ast.Add(), ast.Constant(1)), s)]
        test = ast.Compare(_load(k), [ast.Lt()], [_load(count)])
        return pre + [self.while_(s, stops, test, head + body)]


def _is_const(node: ast.expr, value) -> bool:
    return isinstance(node, ast.Constant) and node.value == value and type(node.value) is int


def range_args(s: ast.For, where: SourceFunction) -> list[ast.expr]:
    it = s.iter
    if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return list(it.args)
    raise UnsupportedSyntaxError("`for` loop over something other than range(...), a list "
                                 "or a tuple", where.location(it),
                                 "loop over range(len(seq)) and index the sequence")


def drop_unread_flags(body: list[ast.stmt], flags: set[str]) -> list[ast.stmt]:
    """Remove assignments to flags that nothing reads."""
    if not flags:
        return body
    dead = flags - scan_names(ast.Module(body=body, type_ignores=[]))[2]

    def keep(stmts):
        out = []
        for s in stmts:
            if (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                    and s.targets[0].id in dead):
                continue
            for field in ("body", "orelse"):
                if hasattr(s, field) and isinstance(getattr(s, field), list):
                    setattr(s, field, keep(getattr(s, field)))
            if isinstance(s, ast.If) and not s.body:
                s.body = [ast.Pass()]
            out.append(s)
        return out

    return keep(body)
