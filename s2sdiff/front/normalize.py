"""Desugar a function to a small core of Python (still a Python AST).

The core has: ``name = simple`` assignments in three-address form (``simple``
is an atom, one operator on atoms, or one call on atoms), ``if atom:``,
``for name in range(atoms):``, ``while name:`` (the condition is re-computed at
the end of the body), and one ``return`` at the end.  Early returns, ``break``
and ``continue`` become flags; ``elif``, ternaries, ``and``/``or``, chained
comparisons, augmented and tuple assignments become plain statements.
"""

from __future__ import annotations

import ast
import copy

from ..errors import UnsupportedSyntaxError
from .source import SourceFunction
from .jumps import Jumps, range_args
from . import trampoline
from .names import Namer
from .scan import nodes, scan_names


def names_in(tree: ast.AST) -> set[str]:
    """Every identifier spelled in ``tree``."""
    return scan_names(tree)[0]


def local_names(fn: ast.FunctionDef, stored: set[str] | None = None) -> set[str]:
    """Parameters and every name the body assigns (``stored``, if already scanned)."""
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    return params | (scan_names(fn)[1] if stored is None else stored)


def is_pop(e: ast.expr, locals_: set[str]) -> bool:
    """``xs.pop()`` on a local list used as a stack (as the tapes of gradient code are)."""
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute)
            and e.func.attr == "pop" and isinstance(e.func.value, ast.Name)
            and e.func.value.id in locals_ and not e.args and not e.keywords)


def is_reversed_tape(e: ast.expr, locals_: set[str]) -> bool:
    """``reversed(xs)`` on a local list (as gradient code walks a loop's tape)."""
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "reversed"
            and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Name)
            and e.args[0].id in locals_)


def is_reversed_range(e: ast.expr) -> bool:
    """``reversed(range(...))`` (the loop header of reverse sweeps)."""
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "reversed"
            and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Call)
            and isinstance(e.args[0].func, ast.Name) and e.args[0].func.id == "range"
            and not e.args[0].keywords and 1 <= len(e.args[0].args) <= 3)


def _last_use(tree: ast.FunctionDef, loop: ast.For, name: str) -> bool:
    """Whether ``loop`` is outside every other loop and nothing after it reads ``name``."""
    end = (loop.end_lineno, loop.end_col_offset)
    start = (loop.lineno, loop.col_offset)
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)) and (node.lineno, node.col_offset) < start \
                and (node.end_lineno, node.end_col_offset) >= end:
            return False  # an enclosing loop: a later trip comes after
        if isinstance(node, ast.Name) and node.id == name \
                and (node.lineno, node.col_offset) > end:
            return False
    return True


def normalize(where: SourceFunction) -> ast.FunctionDef:
    """The core form of ``where.tree`` (a new tree; the input is not changed)."""
    return normalize_scanned(where)[0]


def normalize_scanned(where: SourceFunction) -> tuple[ast.FunctionDef, set[str], set[str]]:
    """The core form, every name it may spell and its local names (parameters and
    assigned names), known without walking the new tree again."""
    fn = copy.copy(where.tree)  # the passes build new statement lists; nodes are shared
    fn.decorator_list = []
    every, stored = where.names
    namer = Namer(every)
    fn.body = Jumps(namer, where).function_body(fn.body)
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    locals_ = params | stored | (namer.taken - every)  # with the flags jumps made
    before = set(namer.taken)
    fn.body = _Flatten(namer, locals_, where).function_body(fn.body)
    return fn, namer.taken | _SPELLED, locals_ | (namer.taken - before)


def locate(node: ast.AST, like: ast.AST) -> ast.AST:
    """``ast.copy_location(node, like)``, directly when ``like`` has a full position."""
    try:
        lineno, col = like.lineno, like.col_offset  # type: ignore[attr-defined]
        end_lineno, end_col = like.end_lineno, like.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return ast.copy_location(node, like)
    if lineno is None or col is None or not isinstance(node, _POSITIONED) \
            or not isinstance(like, _POSITIONED):
        return ast.copy_location(node, like)
    node.lineno, node.col_offset = lineno, col  # type: ignore[attr-defined]
    node.end_lineno, node.end_col_offset = end_lineno, end_col  # type: ignore[attr-defined]
    return node


_POSITIONED = (ast.stmt, ast.expr)  # classes with all four position attributes


# ---------------------------------------------------------------- three-address form

_ATOMS = (ast.Name, ast.Constant)
METHOD = "__method__"  # stands for the NumPy function a method call maps to
SETITEM = "__setitem__"  # stands for the functional item write ``x[i] = v``
ASSERT = "__assert__"  # stands for the check of an ``assert`` statement
FIELD = "__field__"  # stands for a field read ``p.W`` (of a namedtuple or dataclass)
_SPELLED = {"range", "reversed", "len", "min", METHOD, SETITEM, ASSERT, FIELD}  # names passes write


def _paired(target: ast.expr, value: ast.expr) -> list[tuple[ast.expr, ast.expr]]:
    """``(a, (b, c)) = (x, (y, z))`` as the pairs a = x, b = y, c = z (nested tuples
    of the same lengths; otherwise the pair itself)."""
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple) \
            and len(target.elts) == len(value.elts):
        return [p for t, v in zip(target.elts, value.elts) for p in _paired(t, v)]
    return [(target, value)]


def _aliases(fn: ast.FunctionDef, locals_: set[str]) -> dict[str, ast.expr]:
    """Local names assigned once, a module-level path (``r = np.sum``): name → the path."""
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    stores: dict[str, int] = {}
    candidates = []
    for node in nodes(fn.body):  # one walk
        kind = type(node)
        if kind is ast.Name and type(node.ctx) is ast.Store:
            stores[node.id] = stores.get(node.id, 0) + 1
        elif kind is ast.Assign and len(node.targets) == 1 \
                and type(node.targets[0]) is ast.Name \
                and isinstance(node.value, (ast.Name, ast.Attribute)):
            candidates.append(node)
    found = {}
    for node in candidates:
        name, value = node.targets[0].id, node.value
        root = value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id not in locals_ \
                and name not in params and stores.get(name) == 1:
            found[name] = value
    return found


class _Flatten:
    """Three-address form: every operator and call gets its own statement."""

    def __init__(self, namer: Namer, locals_: set[str], where: SourceFunction):
        self.namer = namer
        self.locals = locals_
        self.where = where
        self.aliased: dict | None = None  # see ``aliases``, found on the first call of a local
        arguments = where.tree.args  # a call of a parameter: of a function passed as one
        self.params = {a.arg for a in arguments.posonlyargs + arguments.args
                       + arguments.kwonlyargs}

    def aliases(self) -> dict:
        """Local names assigned once a module-level path (``r = np.sum``), found once."""
        if self.aliased is None:
            self.aliased = _aliases(self.where.tree, self.locals)
        return self.aliased

    def function_body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        return self.block(body)

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            out += [locate(n, s) if not hasattr(n, "lineno") else n
                    for n in self.stmt(s)]
        return out

    def error(self, what: str, node: ast.AST, hint: str = "") -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(what, self.where.location(node), hint)

    # statements
    def stmt(self, s: ast.stmt) -> list[ast.stmt]:
        if isinstance(s, ast.Assign):
            return self.assign(s.targets, s.value, s)
        if isinstance(s, ast.AnnAssign):
            return self.assign([s.target], s.value, s)
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript):
            pre, index = self.index(s.target.slice)
            item = ast.Subscript(ast.Name(s.target.value.id, ast.Load()), index, ast.Load())
            target = ast.Subscript(s.target.value, index, ast.Store())
            return pre + self.assign([target], ast.BinOp(item, s.op, s.value), s)
        if isinstance(s, ast.AugAssign):
            target = ast.Name(s.target.id, ast.Load())
            return self.assign([s.target], ast.BinOp(target, s.op, s.value), s)
        if isinstance(s, ast.If):
            pre, test = self.atom(s.test)
            then, orelse = self.block(s.body), self.block(s.orelse)
            return pre + [self.at(ast.If(test=test, body=then or [ast.Pass()], orelse=orelse), s)]
        if isinstance(s, ast.While):
            return self.while_(s)
        if isinstance(s, ast.For):
            return self.for_(s)
        if isinstance(s, ast.Return):
            pre, value = self.value_atoms(s.value)
            return pre + [self.at(ast.Return(value), s)]
        if isinstance(s, ast.Pass):
            return []
        if isinstance(s, ast.Assert):  # ``_t = __assert__(test, message)``
            pre, args = self.atoms([s.test] + ([s.msg] if s.msg is not None else []))
            check = ast.Call(ast.Name(ASSERT, ast.Load()), args, [])
            return pre + [self.at(ast.Assign([ast.Name(self.namer.fresh("_t"), ast.Store())],
                                             check), s)]
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):
                return []
            if self.is_append(s.value):
                pre, item = self.atom(s.value.args[0])
                call = ast.Call(s.value.func, [item], [])
                return pre + [self.at(ast.Expr(call), s)]
            if isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute):
                owner = s.value.func.value
                if isinstance(owner, ast.Name) and owner.id not in self.locals:
                    raise self.error("mutation of a non-local object", s.value,
                                     "build a local list and return the result instead")
                raise self.error(f"method call `.{s.value.func.attr}(...)`", s.value,
                                 "only `.append(value)` on a local list is supported")
            raise self.error("expression statement whose result is unused", s,
                             "assign the result to a variable or remove the statement")
        raise self.error(f"`{type(s).__name__}` statement", s)

    def at(self, node: ast.AST, like: ast.AST) -> ast.AST:
        return locate(node, like)

    def assign(self, targets, value, s) -> list[ast.stmt]:
        if len(targets) > 1:
            pre, atom = self.atom(value)
            out = pre
            for t in targets:
                out += self.assign([t], atom, s)
            return out
        target = targets[0]
        if is_pop(value, self.locals):  # a list used as a stack (a tape): kept whole
            return [self.at(ast.Assign([target], value), s)]
        if isinstance(target, ast.Name):
            return self.into(value, target.id, s)
        if isinstance(target, (ast.Tuple, ast.List)):
            return self.unpack(target, value, s)
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            return self.set_item(target, value, s)
        raise self.error("assignment to this kind of target", target)

    def set_item(self, target: ast.Subscript, value: ast.expr, s) -> list[ast.stmt]:
        """``x[i] = v`` as ``x = __setitem__(x, i, v)``: a new array, the caller's untouched."""
        pre, index = self.index(target.slice)
        more, item = self.atom(value)
        array = ast.Name(target.value.id, ast.Load())
        call = ast.Call(ast.Name(SETITEM, ast.Load()), [array, index, item], [])
        return pre + more + [self.at(ast.Assign([ast.Name(target.value.id, ast.Store())],
                                                 ast.copy_location(call, target)), s)]

    def unpack(self, target, value, s) -> list[ast.stmt]:
        names = target.elts
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(names):
                raise self.error("tuple assignment with mismatched lengths", s)
            out, temps = [], []
            for v in value.elts:
                name = self.namer.fresh("_t")
                out += self.into(v, name, s)
                temps.append(ast.Name(name, ast.Load()))
        else:
            pre, atom = self.atom(value)
            out = pre
            temps = [ast.Subscript(atom, ast.Constant(i), ast.Load()) for i in range(len(names))]
        for t, v in zip(names, temps):
            out += self.assign([t], v, s)
        return out

    def is_append(self, e: ast.expr) -> bool:
        return (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute)
                and e.func.attr == "append" and isinstance(e.func.value, ast.Name)
                and e.func.value.id in self.locals and len(e.args) == 1 and not e.keywords)

    def while_(self, s: ast.While) -> list[ast.stmt]:
        if isinstance(s.test, ast.Constant) and s.test.value is True:
            raise self.error("`while True` loop without `break`", s, "add a break or a condition")
        cond = self.namer.fresh("_cond")
        pre = self.into(s.test, cond, s)
        again = self.into(copy.deepcopy(s.test), cond, s)
        body = self.block(s.body) + again
        return pre + [self.at(ast.While(test=ast.Name(cond, ast.Load()), body=body, orelse=[]), s)]

    def for_(self, s: ast.For) -> list[ast.stmt]:
        if is_reversed_tape(s.iter, self.locals):
            return self.for_tape(s)
        if not isinstance(s.target, ast.Name) or self.pairs(s.iter):
            return self.for_pairs(s)
        if isinstance(s.iter, (ast.List, ast.Tuple)):
            return self.for_sequence(s)
        if isinstance(s.iter, ast.Name) and s.iter.id in self.locals:
            return self.for_list(s)
        backwards = is_reversed_range(s.iter)
        args = range_args(s, self.where) if not backwards else s.iter.args[0].args
        pre, atoms = [], []
        for a in args:
            p, atom = self.atom(a)
            pre += p
            atoms.append(atom)
        rng = ast.Call(ast.Name("range", ast.Load()), atoms, [])
        if backwards:  # reversed(range(...)): a loop run backwards
            rng = ast.Call(ast.Name("reversed", ast.Load()), [rng], [])
        loop = ast.For(target=s.target, iter=rng, body=self.block(s.body) or [], orelse=[])
        return pre + [self.at(loop, s)]

    def pairs(self, e: ast.expr) -> str | None:
        """``"enumerate"`` or ``"zip"`` where ``e`` calls the builtin, else None."""
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) \
                and e.func.id in ("enumerate", "zip") and e.func.id not in self.locals:
            return e.func.id
        return None

    def for_pairs(self, s: ast.For) -> list[ast.stmt]:
        """``for i, v in enumerate(xs)``, ``for a, b in zip(xs, ys)`` (nested too):
        ``for _k in range(n): i, v = _k, xs[_k]``, ``n`` the length (the shortest)."""
        k = self.namer.fresh("_k")
        pre: list[ast.stmt] = []
        count, item = self.items(s.iter, ast.Name(k, ast.Load()), pre, s)
        n = self.namer.fresh("_n")
        pre.append(self.at(ast.Assign([ast.Name(n, ast.Store())], count), s))
        pairs = _paired(s.target, item)
        read = {x.id for _, v in pairs for x in ast.walk(v) if isinstance(x, ast.Name)}
        if read & {x.id for t, _ in pairs for x in ast.walk(t) if isinstance(x, ast.Name)}:
            pairs = [(s.target, item)]  # ``for x, y in zip(y, x)``: all at once
        pick = [self.at(ast.Assign([t], v), s) for t, v in pairs]
        rng = ast.Call(ast.Name("range", ast.Load()), [ast.Name(n, ast.Load())], [])
        loop = self.at(ast.For(ast.Name(k, ast.Store()), rng, pick + s.body, []), s)
        return self.block(pre) + self.for_(loop)

    def items(self, e: ast.expr, k: ast.expr, pre: list, s: ast.For):
        """The length of the sequence ``e`` loops over and its item ``k``."""
        kind = self.pairs(e)
        if kind is not None and (e.keywords or not e.args or kind == "enumerate"
                                 and len(e.args) > 2):
            raise self.error(f"`{kind}` with keywords or these arguments", e)
        if kind == "enumerate":
            count, item = self.items(e.args[0], k, pre, s)
            index = k if len(e.args) == 1 else ast.BinOp(k, ast.Add(), e.args[1])
            return count, ast.Tuple([index, item], ast.Load())
        if kind == "zip":
            parts = [self.items(a, k, pre, s) for a in e.args]
            counts = [c for c, _ in parts]
            count = counts[0] if len(counts) == 1 else ast.Call(
                ast.Name("min", ast.Load()), counts, [])
            return count, ast.Tuple([i for _, i in parts], ast.Load())
        rebound = {n.id for part in [s.target] + s.body for n in ast.walk(part)
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if not (isinstance(e, ast.Name) and e.id in self.locals) or e.id in rebound:
            name = self.namer.fresh("_t")  # evaluated once, before the loop
            pre.append(self.at(ast.Assign([ast.Name(name, ast.Store())], e), s))
            e = ast.Name(name, ast.Load())
        return (ast.Call(ast.Name("len", ast.Load()), [e], []),
                ast.Subscript(e, k, ast.Load()))

    def for_tape(self, s: ast.For) -> list[ast.stmt]:
        """``for v in reversed(xs)`` of a list used as a stack: ``for _k in
        range(len(xs)): v = xs.pop()``, which empties it; so it must be the
        last use of ``xs``, outside every loop."""
        k, n = self.namer.fresh("_k"), self.namer.fresh("_n")
        tape = s.iter.args[0].id
        if not _last_use(self.where.tree, s, tape):
            raise self.error(f"`for ... in reversed({tape})` over a list used as a stack, which is "
                             "read again after the loop (or the loop is inside another loop)",
                             s.iter, f"pop the values instead: `v = {tape}.pop()`")
        count = self.at(ast.Assign([ast.Name(n, ast.Store())],
                                   ast.Call(ast.Name("len", ast.Load()),
                                            [ast.Name(tape, ast.Load())], [])), s)
        pop = ast.Call(ast.Attribute(ast.Name(tape, ast.Load()), "pop", ast.Load()), [], [])
        pick = self.at(ast.Assign([s.target], pop), s)
        rng = ast.Call(ast.Name("range", ast.Load()), [ast.Name(n, ast.Load())], [])
        return [count, self.at(ast.For(ast.Name(k, ast.Store()), rng,
                                       [pick] + self.block(s.body), []), s)]

    def for_list(self, s: ast.For) -> list[ast.stmt]:
        """``for v in xs``: ``for _k in range(len(xs)): v = xs[_k]``."""
        k, n = self.namer.fresh("_k"), self.namer.fresh("_n")
        seq = ast.Name(s.iter.id, ast.Load())
        count = self.at(ast.Assign([ast.Name(n, ast.Store())],
                                   ast.Call(ast.Name("len", ast.Load()), [seq], [])), s)
        item = ast.Subscript(ast.Name(s.iter.id, ast.Load()), ast.Name(k, ast.Load()), ast.Load())
        pick = self.at(ast.Assign([ast.Name(s.target.id, ast.Store())], item), s)
        rng = ast.Call(ast.Name("range", ast.Load()), [ast.Name(n, ast.Load())], [])
        body = [pick] + self.block(s.body)
        return [count, self.at(ast.For(ast.Name(k, ast.Store()), rng, body, []), s)]

    def for_sequence(self, s: ast.For) -> list[ast.stmt]:
        """``for v in (a, b, c)``: the items are computed first, then picked by index."""
        pre, items = [], []
        for e in s.iter.elts:
            p, atom = self.atom(e)
            if isinstance(atom, ast.Name) and atom.id in self.locals:
                name = self.namer.fresh("_t")
                p.append(self.at(ast.Assign([ast.Name(name, ast.Store())], atom), s))
                atom = ast.Name(name, ast.Load())
            pre += p
            items.append(atom)
        if not items:
            return pre
        k = self.namer.fresh("_k")
        pick: list[ast.stmt] = [self.at(ast.Assign([ast.Name(s.target.id, ast.Store())],
                                                   items[-1]), s)]
        for i in range(len(items) - 2, -1, -1):
            test = self.namer.fresh("_t")
            cmp = ast.Compare(ast.Name(k, ast.Load()), [ast.Eq()], [ast.Constant(i)])
            assign = ast.Assign([ast.Name(s.target.id, ast.Store())], items[i])
            pick = [self.at(ast.Assign([ast.Name(test, ast.Store())], cmp), s),
                    self.at(ast.If(ast.Name(test, ast.Load()), [self.at(assign, s)], pick), s)]
        rng = ast.Call(ast.Name("range", ast.Load()), [ast.Constant(len(items))], [])
        body = pick + self.block(s.body)
        return pre + [self.at(ast.For(ast.Name(k, ast.Store()), rng, body, []), s)]

    # expressions
    def is_atom(self, e: ast.expr) -> bool:
        if isinstance(e, _ATOMS):
            return True
        return self.is_global_path(e)

    def is_global_path(self, e: ast.expr) -> bool:
        """``math.pi`` or ``np.linalg``: attributes of a name that is not local."""
        while isinstance(e, ast.Attribute):
            e = e.value
        return isinstance(e, ast.Name) and e.id not in self.locals

    # The expression walks are generators run by ``trampoline.run`` (an expression
    # may be nested 100,000 deep); each appends the statements it makes to ``out``.
    def atom(self, e: ast.expr) -> tuple[list[ast.stmt], ast.expr]:
        out: list[ast.stmt] = []
        return out, trampoline.run(self._atom(e, out))

    def atoms(self, items: list[ast.expr]) -> tuple[list[ast.stmt], list[ast.expr]]:
        out: list[ast.stmt] = []
        return out, trampoline.run(self._atoms(items, out))

    def value_atoms(self, e: ast.expr) -> tuple[list[ast.stmt], ast.expr]:
        """Atoms, or a tuple of atoms (for returns of several values)."""
        out: list[ast.stmt] = []
        return out, trampoline.run(self._value_atoms(e, out))

    def into(self, e: ast.expr, target: str, like: ast.AST) -> list[ast.stmt]:
        """Statements that compute ``e`` into the variable ``target``."""
        out: list[ast.stmt] = []
        trampoline.run(self._into(e, target, like, out))
        return out

    def index(self, e: ast.expr) -> tuple[list[ast.stmt], ast.expr]:
        """An index in three-address form: atoms, slices of atoms, tuples of those."""
        out: list[ast.stmt] = []
        return out, trampoline.run(self._index(e, out))

    def _atom(self, e: ast.expr, out: list):
        if self.is_atom(e):
            return e
        name = self.namer.fresh("_t")
        yield from self._into(e, name, e, out)  # one level deep: its own walks go to ``run``
        return ast.Name(name, ast.Load())

    def _atoms(self, items: list[ast.expr], out: list):
        atoms = []
        for x in items:
            atoms.append(x if self.is_atom(x) else (yield self._atom(x, out)))
        return atoms

    def _value_atoms(self, e: ast.expr, out: list):
        if isinstance(e, ast.Tuple):
            return ast.Tuple((yield self._atoms(e.elts, out)), ast.Load())
        return (yield self._atom(e, out))

    def _into(self, e: ast.expr, target: str, like: ast.AST, out: list):
        def put(value):
            if not hasattr(value, "lineno") and hasattr(e, "lineno"):
                locate(value, e)
            out.append(self.at(ast.Assign([ast.Name(target, ast.Store())], value), like))

        if self.is_atom(e):
            return put(e)
        if isinstance(e, ast.BinOp):  # atoms are common: no generator for them
            left = e.left if self.is_atom(e.left) else (yield self._atom(e.left, out))
            right = e.right if self.is_atom(e.right) else (yield self._atom(e.right, out))
            return put(ast.BinOp(left, e.op, right))
        if isinstance(e, ast.UnaryOp):
            operand = e.operand if self.is_atom(e.operand) else (yield self._atom(e.operand, out))
            return put(operand if isinstance(e.op, ast.UAdd) else ast.UnaryOp(e.op, operand))
        if isinstance(e, ast.Compare):
            return (yield self._compare(e, target, like, out))
        if isinstance(e, ast.BoolOp):
            return (yield self._boolop(e, target, like, out))
        if isinstance(e, ast.IfExp):
            test = yield self._atom(e.test, out)
            then, orelse = [], []
            yield self._into(e.body, target, like, then)
            yield self._into(e.orelse, target, like, orelse)
            out.append(self.at(ast.If(test=test, body=then, orelse=orelse), like))
            return None
        if isinstance(e, ast.Call):
            return (yield self._call(e, put, out))
        if isinstance(e, ast.Tuple):
            return put((yield self._value_atoms(e, out)))
        if isinstance(e, ast.List):
            return put(ast.List((yield self._atoms(e.elts, out)), ast.Load()))
        if isinstance(e, ast.Subscript):
            value = yield self._atom(e.value, out)
            index = yield self._index(e.slice, out)
            return put(ast.Subscript(value, index, ast.Load()))
        if isinstance(e, ast.Attribute):
            return (yield self._attribute(e, put, out))
        raise self.error(f"{type(e).__name__} expression", e)

    def _call(self, e: ast.Call, put, out: list):
        if isinstance(e.func, ast.Attribute) and not self.is_global_path(e.func):
            return (yield self._method(e, put, out))
        if isinstance(e.func, ast.Name) and e.func.id in self.locals \
                and e.func.id in self.aliases():  # r = np.sum; r(x)
            e = ast.copy_location(ast.Call(copy.deepcopy(self.aliases()[e.func.id]), e.args,
                                           e.keywords), e)
        if not self.is_global_path(e.func) and not (isinstance(e.func, ast.Name)
                                                    and e.func.id in self.params):
            raise self.error("call of a local value", e.func,
                             "call functions by their module-level name, or pass them as "
                             "arguments")
        args = yield self._atoms(e.args, out)
        keywords = []
        for kw in e.keywords:
            keywords.append(ast.keyword(kw.arg, (yield self._atom(kw.value, out))))
        return put(ast.Call(e.func, args, keywords))

    def _method(self, e: ast.Call, put, out: list):
        """``x.sum(axis=0)`` → ``__method__.sum(x, axis=0)``, resolved to NumPy later."""
        owner = e.func.value
        func = ast.copy_location(ast.Attribute(ast.Name(METHOD, ast.Load()), e.func.attr,
                                               ast.Load()), e.func)
        args = list(e.args)
        if e.func.attr in ("reshape", "transpose") and len(args) > 1:
            args = [ast.copy_location(ast.Tuple(args, ast.Load()), e)]  # x.reshape(2, -1)
        call = ast.Call(func, [owner] + args, e.keywords)
        return (yield self._call(ast.copy_location(call, e), put, out))

    def _attribute(self, e: ast.Attribute, put, out: list):
        """``x.T``, ``x.shape``: read as calls of the NumPy function of that name; any
        other attribute, ``p.W``, as ``__field__(p, "W")`` (the SSA builder reads the
        field of a namedtuple or dataclass of parameters, and refuses the rest)."""
        name = {"T": "transpose"}.get(e.attr, e.attr)
        if name not in ("transpose", "shape", "size", "ndim", "real", "imag"):
            call = ast.Call(ast.Name(FIELD, ast.Load()), [e.value, ast.Constant(e.attr)], [])
            return (yield self._call(ast.copy_location(call, e), put, out))
        func = ast.copy_location(ast.Attribute(ast.Name(METHOD, ast.Load()), name, ast.Load()), e)
        return (yield self._call(ast.copy_location(ast.Call(func, [e.value], []), e), put, out))

    def _index(self, e: ast.expr, out: list):
        if isinstance(e, ast.Slice):
            parts = []
            for part in (e.lower, e.upper, e.step):
                parts.append(None if part is None else (yield self._atom(part, out)))
            return ast.Slice(*parts)
        if isinstance(e, ast.Tuple):
            elts = []
            for x in e.elts:
                elts.append((yield self._index(x, out)))
            return ast.Tuple(elts, ast.Load())
        return (yield self._atom(e, out))

    def _compare(self, e: ast.Compare, target: str, like, out: list):
        left = yield self._atom(e.left, out)
        rights = yield self._atoms(e.comparators, out)
        if len(e.ops) == 1:
            value = ast.Compare(left, e.ops, rights)
            out.append(self.at(ast.Assign([ast.Name(target, ast.Store())], value), like))
            return None
        # a < b < c: a < b and b < c, b computed once (all operands are atoms here)
        parts = []
        for op, right in zip(e.ops, rights):
            parts.append(ast.Compare(left, [op], [right]))
            left = right
        return (yield self._boolop(ast.BoolOp(ast.And(), parts), target, like, out))

    def _boolop(self, e: ast.BoolOp, target: str, like, out: list):
        """``a and b``: ``t = a; if t: t = b`` (``or`` evaluates b in the else branch)."""
        yield self._into(e.values[0], target, like, out)
        rest = e.values[1:]
        more: list[ast.stmt] = []
        if len(rest) == 1:
            yield self._into(rest[0], target, like, more)
        else:
            yield self._boolop(ast.BoolOp(e.op, rest), target, like, more)
        test = ast.Name(target, ast.Load())
        if isinstance(e.op, ast.And):
            node = ast.If(test=test, body=more, orelse=[])
        else:
            node = ast.If(test=test, body=[ast.Pass()], orelse=more)
        out.append(self.at(node, like))
