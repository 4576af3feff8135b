"""Core AST → structured SSA (see ``ir``).

Every value is assigned once.  An ``If`` carries a φ for each variable its
branches leave with different values; a ``Loop`` carries a φ at its header for
each variable the body changes.  Copies (``a = b``) and tuples are resolved
here and produce no statement.

A call of a user function stays a call (an ``Op`` whose ``fn`` is an
``ir.Callee``; its derivatives become functions of their own), except that a
small leaf helper is inlined: see ``inlined``.  With ``inline="all"`` every
callee is inlined (what the graph drawing wants) and recursion is rejected.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import operator
import re
import sys
from collections import Counter

from .. import ir
from . import library_types  # noqa: F401  (abstract values of library calls)
from .counted import counted
from ..errors import NeedsArgumentsError, RecursionNotSupportedError, UnsupportedSyntaxError
from ..front.source import SourceFunction, resolve
from ..front.names import Namer
from ..front.normalize import ASSERT, FIELD, METHOD, SETITEM, is_pop, is_reversed_range, local_names, normalize_scanned
from ..front.scan import scan_names
from ..rules import is_constant, lookup, lookup_array
from ..rules.lists import _with_item
from ..rules.registry import UNKNOWN, is_matmul_chain, split_of, stand_in_of

BINARY = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow),
    ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
    ast.MatMult: ("@", operator.matmul), ast.BitAnd: ("&", operator.and_),
    ast.BitOr: ("|", operator.or_), ast.BitXor: ("^", operator.xor),
    ast.LShift: ("<<", operator.lshift), ast.RShift: (">>", operator.rshift),
}
UNARY = {ast.USub: ("u-", operator.neg), ast.Not: ("unot", operator.not_),
         ast.Invert: ("u~", operator.invert)}
COMPARE = {
    ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge), ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne),
    ast.Is: ("is", operator.is_), ast.IsNot: ("is not", operator.is_not),
}

_TEMP = re.compile(r"^(_[a-z]+)\d+$")


class Names:
    """SSA names: the user's name first, then ``name_1``, ``name_2``…

    Only the top function's own names (``own``) are used verbatim; names of
    inlined callees never take a name the user wrote.
    """

    def __init__(self, own: set[str]):
        self.own = set(own)
        self.namer = Namer(own)
        self.used: set[str] = set()
        self.item_writes: set[str] = set()  # the versions ``y[i] = v`` makes (see aliasing)

    def new(self, base: str, own: bool = True) -> str:
        free = (base in self.own) if own else (base not in self.namer.taken)
        if free and base not in self.used:
            name = base
        else:
            temp = _TEMP.match(base)
            name = self.namer.fresh(temp.group(1) if temp else base + "_")
        self.used.add(name)
        self.namer.taken.add(name)
        return name


LEAF_SIZE = 8  # assignments of a callee small enough to inline (see ``inlined``)


def build(where: SourceFunction, inline: str = "leaves", containers: dict | None = None,
          statics: dict | None = None) -> ir.Function:
    """The structured SSA form of a parsed user function.

    ``inline`` is "leaves" (small leaf helpers are inlined, other calls stay
    calls) or "all" (every user function called is inlined).  ``containers``
    gives the parameters that hold dicts, lists or tuples (parameter → its
    abstract value, see ``types.tree``): each is unpacked into one parameter
    per leaf (``params_W`` for ``params["W"]``), and reading an item with a
    constant key reads that leaf; ``fn.facts["containers"]`` maps each such
    parameter to its leaves, as a :class:`Container` tree.  ``statics`` gives the
    parameters that hold functions (parameter → function): a call of one is a call
    of that function, as of a function of the module.
    """
    core, every, locals_ = normalize_scanned(where)
    names = Names(every)
    builder = _Builder(where, names, stack=(where.key,), prefix="")
    builder.inline_all = inline == "all"
    params = [a.arg for a in core.args.posonlyargs + core.args.args + core.args.kwonlyargs]
    leaves, trees = [], {}
    for p in params:
        names.new(p)
        if containers and p in containers:
            trees[p] = builder.env[p] = _unpacked(p, containers[p], names, leaves)
        elif statics and p in statics:
            builder.env[p] = ir.Global(p, statics[p])
            leaves.append(p)
        else:
            builder.env[p] = ir.Var(p)
            leaves.append(p)
    body, result = builder.function(core, locals_)
    if _holds_container(result):
        raise builder.error("a dict, list or tuple of parameters returned", core.body[-1],
                            "return arrays or numbers computed from its items")
    facts = {"containers": trees, "params": tuple(params)} if trees else {}
    if names.item_writes:
        facts["item_writes"] = frozenset(names.item_writes)
    return counted(ir.Function(core.name, tuple(leaves), tuple(body), result,
                               docstring=ast.get_docstring(where.tree) or "",
                               signature=core.args, facts=facts))


class Container:
    """A parameter holding a dict, a list, a tuple, a namedtuple or a dataclass,
    unpacked: each key's (field's) value (a leaf ``Var`` or a nested ``Container``),
    in order, and the class of a namedtuple or dataclass."""

    def __init__(self, kind: str, items: dict, cls=None):
        self.kind = kind  # "dict", "list", "tuple", "namedtuple", "dataclass" or "registered"
        self.items = items
        self.cls = cls

    def leaves(self) -> list[str]:
        return [n for v in self.items.values()
                for n in (v.leaves() if isinstance(v, Container) else [v.name])]


def _holds_container(value) -> bool:
    if isinstance(value, tuple):
        return any(map(_holds_container, value))
    return isinstance(value, Container)


def _unpacked(name: str, value, names: Names, leaves: list) -> "Container | ir.Var":
    """The leaves of parameter part ``name`` of abstract value ``value``, named after
    their keys (``params_W``), appended to ``leaves``."""
    from .types import Struct

    if isinstance(value, tuple):
        kind, keys, items = "tuple", range(len(value)), value
    elif isinstance(value, Struct):
        kind, keys, items = value.kind, value.keys, value.items
    else:
        leaf = names.new(name, own=False)
        leaves.append(leaf)
        return ir.Var(leaf)
    parts = {}
    for key, item in zip(keys, items):
        part = f"{name}_{key}" if isinstance(key, int) or str(key).isidentifier() else name
        parts[key] = _unpacked(part, item, names, leaves)
    return Container(kind, parts, getattr(value, "cls", None))


def _assigned(stmts: list[ast.stmt]) -> list[str]:
    found: list[str] = []
    for s in stmts:
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if node.id not in found:
                    found.append(node.id)
    return found


class _Builder:
    def __init__(self, where: SourceFunction, names: Names, stack: tuple, prefix: str,
                 parent: "_Builder | None" = None):
        self.where = where
        self.names = names
        self.stack = stack
        self.prefix = prefix
        self.env: dict[str, object] = {}
        self.out: list = []
        self.locals: set[str] = set()
        self.function_body: list[ast.stmt] = []
        self.lists: set[str] = set() if parent is None else parent.lists
        # lists built in a loop or a branch: read once, by a call or a display
        self.local_lists: set[str] = set() if parent is None else parent.local_lists
        # each list value → the list it is a version of (``xs[i] = v`` makes a new version)
        self.list_root: dict[str, str] = {} if parent is None else parent.list_root
        self.made_lists: set[str] = set()  # the lists this function itself builds
        self.stored_lists: set[str] = set() if parent is None else parent.stored_lists
        self._inside: dict[int, Counter] = {}
        self._reads: Counter | None = None  # reads of the whole function, counted once
        self._user_names: set[str] | None = None
        self._unchanged: set[str] | None = None
        self.origins: dict[int, ir.Origin] = {}
        self.tapes: set[str] = set()  # names of the lists this function pops (its tapes)
        self.tape_vars: set[str] = set()  # their SSA names
        self.unnamed: set[str] = set()  # items of a split call, named once unpacked
        self.depth = 0 if parent is None else parent.depth
        self.inline_all = False if parent is None else parent.inline_all

    # helpers
    def error(self, what: str, node: ast.AST, hint: str = "",
              kind=UnsupportedSyntaxError) -> UnsupportedSyntaxError:
        return kind(what, self.where.location(node), hint)

    def origin(self, node: ast.AST) -> ir.Origin:
        lineno = getattr(node, "lineno", self.where.tree.lineno)
        found = self.origins.get(lineno)
        if found is None:  # one per line: a line gives several statements
            text = linecache.getline(self.where.filename, lineno).strip()
            found = self.origins[lineno] = ir.Origin(self.where.filename, lineno, text)
        return found

    def new_name(self, base: str) -> str:
        if not self.prefix:
            return self.names.new(base)
        return self.names.new(base if base.startswith("_") else self.prefix + base, own=False)

    def emit(self, base: str, value, node: ast.AST):
        if isinstance(value, ir.Op):
            folded = _fold(value)
            if folded is not None:
                return folded
        name = self.new_name(base)
        self.out.append(ir.Assign(name, value, self.origin(node)))
        return ir.Var(name)

    def function(self, core: ast.FunctionDef, locals_: set[str] | None = None):
        self.locals = local_names(core) if locals_ is None else locals_
        self.tapes = _popped(core.body, self.locals)
        self.function_body = core.body
        body = core.body
        ret = body[-1]
        assert isinstance(ret, ast.Return)
        self.block(body[:-1])
        result = self.value(ret.value)
        return self.out, result

    # statements
    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.Assign) and is_pop(s.value, self.locals):
            self.pop(s.targets[0], s.value, s)
        elif isinstance(s, ast.Assign):
            self.assign(s.targets[0].id, s.value, s)
        elif isinstance(s, ast.If):
            self.if_(s)
        elif isinstance(s, (ast.For, ast.While)):
            self.loop(s)
        elif isinstance(s, ast.Pass):
            pass
        elif isinstance(s, ast.Expr):
            self.append(s)
        else:
            raise self.error(f"`{type(s).__name__}` statement", s)

    def assign(self, target: str, value: ast.expr, node: ast.stmt) -> None:
        if isinstance(value, ast.Tuple):
            self.env[target] = tuple(self.atom(e) for e in value.elts)
            return
        if isinstance(value, ast.Subscript):
            item = self.subscript(value, target, node)
            if isinstance(item, ir.Var) and item.name in self.unnamed and not target.startswith("_"):
                item = self.name_item(item, target)
            self.env[target] = item
            return
        if isinstance(value, ast.List) and target in self.tapes:
            self.tape(target, value, node)
            return
        if isinstance(value, ast.List) and self.depth and target in self.unchanged_lists():
            self.env[target] = tuple(self.atom(e) for e in value.elts)  # as a tuple would be
            return
        if isinstance(value, ast.List):
            if self.depth and not self.is_temporary(target):
                raise self.error("list named and built inside a loop or a branch", value,
                                 "pass the list straight to the call that uses it "
                                 "(np.stack([a, b])), or build it once before loops "
                                 "and branches")
            items = tuple(self.pack(self.atom(e), node) for e in value.elts)  # ``[(1,), (0,)]``
            self.store(items)
            var = self.emit(target, ir.Op(ir.make_list, items, "list"), node)
            self.lists.add(var.name)
            self.list_root[var.name] = var.name
            self.made_lists.add(var.name)
            if self.depth:  # a display read once, by the call or display it was written in
                self.local_lists.add(var.name)
            self.env[target] = var
            return
        if isinstance(value, ast.Call):
            self.env[target] = self.call(target, value, node)
            return
        op = self.operation(value, node)
        if op is None:
            self.env[target] = self.atom(value)
        else:
            self.env[target] = self.emit(target, op, node)

    # lists used as stacks (the tapes of gradient code): ``xs = []``, ``.append(v)``,
    # ``v = xs.pop()``
    def tape(self, target: str, value: ast.List, node: ast.stmt) -> None:
        if value.elts:
            raise self.error("a popped list that is not created empty", value,
                             "create the tape empty: _tape = []")
        name = self.new_name(target)
        self.out.append(ir.Assign(name, ir.new_tape(), self.origin(node)))
        self.tape_vars.add(name)
        self.env[target] = ir.Var(name)

    def tape_of(self, e: ast.expr) -> str:
        tape = self.lookup(e)
        if not isinstance(tape, ir.Var) or tape.name not in self.tape_vars:
            raise self.error("`.pop()` of something that is not a tape built here", e)
        return tape.name

    def push(self, tape: str, s: ast.Expr) -> None:
        item = self.value(s.value.args[0])
        names = []
        for a in item if isinstance(item, tuple) else (item,):
            names.append(a.name if isinstance(a, ir.Var) else self.emit("_t", a, s).name)
        self.out.append(ir.Push(tape, tuple(names)))

    def pop(self, target: ast.expr, value: ast.Call, s: ast.stmt) -> None:
        tape = self.tape_of(value.func.value)
        targets = target.elts if isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(t, ast.Name) for t in targets):
            raise self.error("`.pop()` into something other than names", target)
        names = []
        for t in targets:
            names.append(self.new_name(t.id))
            self.env[t.id] = ir.Var(names[-1])
        self.out.append(ir.Pop(tape, tuple(names)))

    def append(self, s: ast.Expr) -> None:
        lst = self.lookup(s.value.func.value)
        if isinstance(lst, ir.Var) and lst.name in self.tape_vars:
            return self.push(lst.name, s)
        if not isinstance(lst, ir.Var) or lst.name not in self.lists:
            raise self.error("append to something that is not a list built here", s)
        if self.list_root.get(lst.name, lst.name) != lst.name:
            raise self.error(f"append to the list `{s.value.func.value.id}` after one of its "
                             "items was written", s, "append every item first, then write "
                             "items: xs[i] = v")
        item = self.value(s.value.args[0])
        if isinstance(item, tuple):
            raise self.error("append of a tuple", s)
        self.store((item,))
        self.out.append(ir.Append(lst.name, item, self.origin(s)))

    def operation(self, value: ast.expr, stmt: ast.stmt) -> ir.Op | None:
        if isinstance(value, ast.BinOp):
            syntax, fn = BINARY[type(value.op)]
            return ir.Op(fn, (self.operand(value.left, stmt), self.operand(value.right, stmt)), syntax)
        if isinstance(value, ast.UnaryOp):
            syntax, fn = UNARY[type(value.op)]
            return ir.Op(fn, (self.operand(value.operand, stmt),), syntax)
        if isinstance(value, ast.Compare):
            kind = COMPARE.get(type(value.ops[0]))
            if kind is None:
                raise self.error(f"`{type(value.ops[0]).__name__}` comparison", value)
            return ir.Op(kind[1], (self.operand(value.left, stmt), self.operand(value.comparators[0], stmt)), kind[0])
        return None

    def item_of(self, container: Container, index, node: ast.AST):
        """``params["W"]``: the leaf (or nested container) a constant key names."""
        key = index.value if isinstance(index, ir.Const) else None
        if isinstance(key, int) and container.kind != "dict" and key < 0:
            key += len(container.items)
        if container.kind == "namedtuple" and isinstance(key, int) and not isinstance(key, bool) \
                and 0 <= key < len(container.items):
            key = list(container.items)[key]  # ``p[0]`` of a namedtuple: its first field
        if key is None or isinstance(key, bool) or key not in container.items:
            raise self.error(f"an item of a {container.kind} of parameters that is not one of "
                             f"its keys ({', '.join(map(repr, container.items))})", node,
                             "read items with constant keys: params['W'], params[0]")
        return container.items[key]

    def not_local_list(self, value, node: ast.AST) -> None:
        """Refuse to read items of a list built in a loop or a branch (its adjoint
        is the list its one reader's rule gives)."""
        if isinstance(value, ir.Var) and value.name in self.local_lists:
            raise self.error("items read from a list built inside a loop or a branch", node,
                             "build the list once, before loops and branches")

    def operand(self, e: ast.expr, stmt: ast.stmt):
        """An operand of an operator: a number or an array, not a tuple."""
        a = self.atom(e)
        where = e if hasattr(e, "lineno") else stmt
        if isinstance(a, Container):
            raise self.error(f"an operator applied to a {a.kind} of parameters", where,
                             "read its items: params['W']")
        if isinstance(a, tuple):
            raise self.error("an operator applied to a tuple", where,
                             "operate on the tuple's items, or make it a NumPy array")
        if isinstance(a, ir.Var) and a.name in self.lists:
            raise self.error("an operator applied to a list", where,
                             "build lists with append; compute on their items")
        return a

    def subscript(self, node: ast.Subscript, target: str, stmt: ast.stmt):
        seq = self.value(node.value)
        if isinstance(seq, ir.Global) and _concatenator(seq) is not None:
            return self.concatenation(_concatenator(seq), node, target, stmt)
        self.not_local_list(seq, node)
        index = self.index(node.slice, target, stmt)
        if isinstance(seq, Container):
            return self.item_of(seq, index, node)
        if isinstance(seq, ir.Var) and seq.name in self.lists:
            return self.emit(target, ir.Op(operator.getitem, (seq, index), "subscript"), stmt)
        if isinstance(seq, (ir.Var, ir.Global)):
            return self.emit(target, ir.Op(operator.getitem, (seq, index), "subscript"), stmt)
        if isinstance(seq, tuple) and isinstance(index, ir.Const) and isinstance(index.value, int):
            try:
                return seq[index.value]
            except IndexError:
                raise self.error("tuple index out of range", node) from None
        raise self.error("indexing of this value", node,
                         "only tuples with constant indices are indexed in scalar code")

    def concatenation(self, axis: int, node: ast.Subscript, target: str, stmt: ast.stmt):
        """``np.r_[a, b]`` as ``np.concatenate([_r_piece(a), _r_piece(b)])``; ``np.c_[a, b]``
        as ``np.concatenate([_c_piece(a), _c_piece(b)], axis=-1)``."""
        import numpy

        from ..rules.joining import _c_piece, _r_piece

        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for e in elts:
            if isinstance(e, ast.Slice) or (isinstance(e, ast.Constant) and isinstance(e.value, str)):
                raise self.error(f"`{ast.unparse(node.value)}[...]` with a slice or a string",
                                 e if hasattr(e, "lineno") else node,
                                 "join arrays only: np.concatenate([...]) and np.arange for ranges")
        piece = _r_piece if axis == 0 else _c_piece
        callee = ir.Global(piece.__name__, piece)
        pieces = tuple(self.emit("_t", ir.Op(piece, (self.atom(e),), "call", callee), stmt)
                       for e in elts)
        joined = self.sequence(pieces, node, stmt)
        op = ir.Op(numpy.concatenate, (joined,), "call",
                   ir.Global("np", numpy, ("concatenate",)), (("axis", ir.Const(axis)),))
        return self.emit(target, op, stmt)

    def index(self, e: ast.expr, target: str, stmt: ast.stmt):
        """An index as one atom: constant slices and tuples fold, others are built."""
        if isinstance(e, ast.Slice):
            parts = tuple(ir.Const(None) if p is None else self.atom(p)
                          for p in (e.lower, e.upper, e.step))
            if all(isinstance(p, ir.Const) for p in parts):
                return ir.Const(slice(*(p.value for p in parts)))
            op = ir.Op(slice, parts, "call", ir.Global("slice", slice))
            return self.emit("_t", op, stmt)
        if isinstance(e, ast.Tuple):
            items = tuple(self.index(x, target, stmt) for x in e.elts)
            if all(isinstance(p, ir.Const) for p in items):
                return ir.Const(tuple(p.value for p in items))
            return self.emit("_t", ir.Op(ir.make_tuple, items, "tuple"), stmt)
        held = self.atom(e)
        if isinstance(held, tuple):  # ``idx = (i, 1)`` then ``x[idx]``: the tuple built
            if not all(isinstance(p, (ir.Var, ir.Const)) for p in held):
                raise self.error("an index held in a name that holds a nested tuple", e,
                                 "index with integers, slices or a tuple of them")
            if all(isinstance(p, ir.Const) for p in held):
                return ir.Const(tuple(p.value for p in held))
            return self.emit("_t", ir.Op(ir.make_tuple, held, "tuple"), stmt)
        return held

    # expressions
    def value(self, e: ast.expr):
        if isinstance(e, ast.Tuple):
            return tuple(self.atom(x) for x in e.elts)
        return self.atom(e)

    def lookup(self, e: ast.Name):
        if e.id not in self.env:
            raise self.error(f"variable {e.id!r} may be used before it is assigned", e,
                             "assign it on every path before this line")
        return self.env[e.id]

    def atom(self, e: ast.expr):
        if isinstance(e, ast.Constant):
            return ir.Const(e.value)
        if isinstance(e, ast.Name) and e.id in self.locals:
            value = self.lookup(e)
            if isinstance(value, ir.Var) and value.name in self.tape_vars:  # only pushed, popped
                raise self.error("a tape read other than by `.append(...)` and `.pop()`", e)
            return value
        if isinstance(e, (ast.Name, ast.Attribute)):
            return self.global_(e)
        raise self.error(f"{type(e).__name__} expression", e)

    def global_(self, e: ast.expr) -> ir.Global:
        path = []
        while isinstance(e, ast.Attribute):
            path.append(e.attr)
            e = e.value
        if not isinstance(e, ast.Name):
            raise self.error("attribute of an expression", e)
        path.reverse()
        if e.id == METHOD:
            return self.method(path[0], e)
        if e.id == SETITEM:
            from ..rules.indexing import _setitem

            return ir.Global("_setitem", _setitem, (), None)
        if e.id == ASSERT:
            from ..rules.checks import _check

            return ir.Global("_check", _check, (), None)
        obj = resolve(self.where, e.id, e)
        root = obj
        for attr in path:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise self.error(f"{e.id}.{'.'.join(path)} does not exist", e) from None
        home = None if e.id in self.where.resolver.closure else self.where.resolver.module
        return ir.Global(e.id, root, tuple(path), home)

    def method(self, name: str, node: ast.AST) -> ir.Global:
        """The NumPy function behind ``x.name(...)``."""
        import numpy

        name = {"flatten": "ravel"}.get(name, name)
        if not hasattr(numpy, name):
            raise self.error(f"method `.{name}(...)`", node,
                             "call the NumPy function instead, e.g. np.sum(x)")
        return ir.Global("np", numpy, (name,), None)

    def passed_function(self, name: ast.Name) -> ir.Global:
        """``f`` of ``f(x)``, a parameter: the function passed for it (code is generated
        for each function passed)."""
        value = self.lookup(name)
        if isinstance(value, ir.Global) and inspect.isfunction(value.value):
            return value
        raise self.error(f"call of the parameter {name.id}", name,
                         "pass a function for it (code is generated for each function "
                         "passed)", NeedsArgumentsError)

    def field(self, node: ast.Call):
        """``p.W`` (``__field__(p, "W")``): a field of a namedtuple or dataclass of
        parameters, the leaf (or nested container) it holds."""
        owner, name = self.atom(node.args[0]), node.args[1].value
        if isinstance(owner, Container) and owner.kind in ("namedtuple", "dataclass", "registered") \
                and name in owner.items:
            return owner.items[name]
        raise self.error(f"attribute `.{name}` of a local value", node,
                         "only .T, .shape, .size and .ndim of arrays are read, and the fields "
                         "of a namedtuple or dataclass of parameters", NeedsArgumentsError)

    def call(self, target: str, node: ast.Call, stmt: ast.stmt):
        if isinstance(node.func, ast.Name) and node.func.id == FIELD:
            return self.field(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.locals:
            callee = self.passed_function(node.func)
        else:
            callee = self.global_(node.func)
        fn = callee.resolved()
        if fn is len and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in self.tapes:  # how many records a tape holds
            tape = self.tape_of(node.args[0])
            return self.emit(target, ir.Op(len, (ir.Var(tape),), "call", callee), stmt)
        args = [self.value(a) if isinstance(a, ast.Name) else self.atom(a)
                if not isinstance(a, (ast.Slice, ast.Tuple)) else self.index(a, target, stmt)
                for a in node.args]
        for i in _array_positions(fn, len(args)):  # tuples of arrays become lists
            if isinstance(node.args[i], ast.Tuple) and not _constant_display(node.args[i]):
                args[i] = self.display(node.args[i], stmt)
            elif isinstance(args[i], tuple):
                args[i] = self.listed(args[i], node.args[i], stmt)
        if _splits(fn) and len(args) >= 2:
            pieces = self.pieces(fn, args, node, stmt)
            if pieces is not None:
                return pieces
        if _casts(fn) and len(args) == 2:
            args[1] = _dtype_constant(args[1])
        if isinstance(node.func, ast.Name) and node.func.id == SETITEM \
                and isinstance(args[0], ir.Var) and args[0].name in self.lists:
            return self.write_item(target, node, args, stmt)
        kwargs = [(k.arg, self.atom(k.value)) for k in node.keywords]
        if fn is sum and len(args) == 1:
            self.not_local_list(args[0], node)
        if fn is sum and len(args) == 1 and isinstance(args[0], ir.Var) \
                and args[0].name in self.lists and not kwargs:
            return self.emit(target, ir.Op(sum, (args[0],), "call", callee), stmt)
        if fn is sum and len(args) == 1 and isinstance(args[0], tuple) and not kwargs:
            return self.fold(target, operator.add, "+", args[0], stmt, ir.Const(0))
        if fn in (min, max) and len(args) == 1 and isinstance(args[0], tuple) and not kwargs:
            args = list(args[0])
        if is_matmul_chain(fn) and len(args) == 1 and not kwargs and self.items_of(args[0]):
            return self.fold(target, operator.matmul, "@", self.items_of(args[0]), stmt)
        user = inspect.isfunction(fn) and lookup(fn) is None and not is_constant(fn) \
            and lookup_array(fn) is None and not _is_library(fn)
        where = self.where.resolver.source_of(fn) if user else None
        if where is not None and where.__dict__.get("output_keys"):
            raise self.error(f"a call of {where.name}, which returns a dict", node,
                             "return a tuple from functions the differentiated one calls")
        whole = where is not None and any(
            isinstance(a, Container) for a in list(args) + [v for _, v in kwargs])
        args = [a if whole and isinstance(a, Container) else self.pack(a, stmt) for a in args]
        kwargs = [(k, v if whole and isinstance(v, Container) else self.pack(v, stmt))
                  for k, v in kwargs]
        if fn in (min, max) and len(args) > 2 and not kwargs:
            return self.fold(target, fn, "call", tuple(args), stmt, callee=callee)
        if kwargs and lookup(fn, len(args)) is None:  # np.clip(x, a_min=0.0, a_max=1.0)
            args, kwargs = _as_positions(fn, args, kwargs)
        stand_in = stand_in_of(fn)
        if stand_in is not None:  # norm.logpdf(x, loc=1.0): norm.logpdf(x, 1.0, 1.0)
            return self.emit(target, ir.Op(stand_in, self.positional(stand_in, args, kwargs, node),
                                           "call", callee), stmt)
        split = split_of(fn, tuple(_constant(a) for a in args),
                         {k: _constant(v) for k, v in kwargs})
        if split is not None:
            return self.split_call(split, args, kwargs, node, target, stmt)
        if user:
            if where is not None and (whole or self.inlined(where, args)):  # containers too
                return self.inline(where, fn, args, kwargs, node)
            if where is not None:
                return self.call_user(where, callee, args, kwargs, node, target, stmt)
        op = ir.Op(fn, tuple(args), "call", callee, tuple(kwargs))
        written = self.emit(target, op, stmt)
        if isinstance(node.func, ast.Name) and node.func.id == SETITEM \
                and isinstance(written, ir.Var):
            self.names.item_writes.add(written.name)
        return written

    # lists changed item by item: ``xs[i] = v`` makes a new version of the list,
    # ``xs_1 = _with_item(xs, i, v)``; loops and branches carry versions in φs
    def write_item(self, target: str, node: ast.Call, args, stmt: ast.stmt) -> ir.Var:
        """``xs[i] = v`` on a list: the new version of the list."""
        lst, index, value = args
        root = self.list_root.get(lst.name)
        if root not in self.made_lists:
            raise self.error(f"an item written to the list `{target}`, which this function "
                             "did not build", stmt, "build a new list and return it, or "
                             "write the items where the list is built")
        if isinstance(node.args[1], (ast.Slice, ast.Tuple)) or (
                isinstance(index, ir.Const) and not _is_int(index.value)):
            raise self.error("a list item written at a slice or a tuple index", node,
                             "write one item at an integer index: xs[i] = v")
        if isinstance(value, tuple) or (isinstance(value, ir.Var) and value.name in self.lists):
            raise self.error("a tuple or a list written as an item of a list", stmt,
                             "keep lists flat: write numbers or arrays")
        holders = sorted(n for n, v in self.env.items() if n != target and self.holds(v, root))
        if holders or root in self.stored_lists:
            named = [n for n in holders if not self.is_temporary(n)]
            where = f"`{named[0]}`" if named else "another list or a loop over several lists"
            raise self.error(f"an item written to the list `{target}`, also held by {where}",
                             stmt, "give each list one name; copy it first (ys = list(xs)) "
                             "to change a copy")
        op = ir.Op(_with_item, (lst, index, value), "call", ir.Global("_with_item", _with_item))
        var = self.emit(target, op, stmt)
        self.new_version(var.name, root)
        return var

    def new_version(self, name: str, root: str) -> None:
        self.lists.add(name)
        self.list_root[name] = root

    def holds(self, value, root: str) -> bool:
        """Whether ``value`` (an environment's entry) is or contains a version of the list
        ``root``."""
        if isinstance(value, tuple):
            return any(self.holds(v, root) for v in value)
        return isinstance(value, ir.Var) and self.list_root.get(value.name) == root

    def store(self, items) -> None:
        """Note the lists among ``items``, put into another list: their items may not
        be written afterwards (the other list would hold the old version)."""
        for v in items:
            if isinstance(v, ir.Var) and v.name in self.list_root:
                self.stored_lists.add(self.list_root[v.name])

    def display(self, e: ast.Tuple, stmt: ast.stmt):
        """A tuple display passed as the array argument of a NumPy function, as a list
        (nested displays too): ``np.mean((x, y))`` is ``np.mean([x, y])``."""
        return self.listed(tuple(self.display(x, stmt) if isinstance(x, ast.Tuple)
                                 else self.atom(x) for x in e.elts), e, stmt)

    def listed(self, value, node: ast.expr, stmt: ast.stmt):
        """A tuple value (of tuples) as a list (of lists); other values as they are."""
        if not isinstance(value, tuple):
            return self.pack(value, stmt)
        return self.sequence(tuple(self.listed(v, node, stmt) for v in value), node, stmt)

    def pieces(self, fn, args, node: ast.Call, stmt: ast.stmt):
        """``np.split(x, sections)`` (or a sibling) as a tuple of one ``_piece(x, i, ...)``
        per piece, when constant ``sections`` tell how many; else None."""
        from ..rules.shaping import _piece, split_count

        kwargs = {k.arg: self.atom(k.value) for k in node.keywords}
        if kwargs.keys() - {"axis"} or len(args) > 3 or (len(args) == 3 and kwargs):
            return None
        sections = self.constant_of(args[1])
        count = split_count(fn, sections)
        if count is None:
            return None
        how = fn.__name__
        axis = args[2] if len(args) == 3 else kwargs.get("axis", ir.Const(0))
        callee = ir.Global("_piece", _piece)
        sections = ir.Const(tuple(sections) if isinstance(sections, list) else sections)
        return tuple(self.emit("_t", ir.Op(_piece, (args[0], ir.Const(i), ir.Const(how),
                                                    sections, axis), "call", callee), stmt)
                     for i in range(count))

    def constant_of(self, atom):
        """The value of a constant atom, of a tuple of them, or of a list built of
        constants (``[1, 3]``); else None."""
        if isinstance(atom, ir.Const):
            return atom.value
        if isinstance(atom, tuple) and all(isinstance(a, ir.Const) for a in atom):
            return tuple(a.value for a in atom)
        if isinstance(atom, ir.Var) and atom.name in self.lists:
            for s in self.out:
                if type(s) is ir.Assign and s.target == atom.name and type(s.value) is ir.Op \
                        and all(isinstance(a, ir.Const) for a in s.value.args):
                    return [a.value for a in s.value.args]
        return None

    def items_of(self, value) -> tuple:
        """The items of a tuple, or of a list display just written (else none)."""
        if isinstance(value, tuple):
            return value
        for s in reversed(self.out):
            if isinstance(value, ir.Var) and isinstance(s, ir.Assign) and s.target == value.name:
                return s.value.args if isinstance(s.value, ir.Op) and s.value.syntax == "list" \
                    else ()
        return ()

    def positional(self, fn, args, kwargs, node: ast.Call) -> tuple:
        """The arguments of a call of ``fn``, keywords and defaults bound to positions."""
        try:
            bound = inspect.signature(fn).bind(*args, **dict(kwargs))
        except TypeError as e:
            raise self.error(f"arguments of {ast.unparse(node.func)}: {e}", node) from None
        bound.apply_defaults()
        return tuple(v if isinstance(v, (ir.Var, ir.Const, ir.Global)) else ir.Const(v)
                     for v in bound.arguments.values())

    def name_item(self, item: ir.Var, target: str) -> ir.Var:
        """The item of a split call, just written, renamed to the name it is unpacked to
        (``w, v = np.linalg.eigh(a)`` gives ``w = _eigh_values(a)``)."""
        self.unnamed.discard(item.name)
        for i in range(len(self.out) - 1, -1, -1):
            s = self.out[i]
            if isinstance(s, ir.Assign) and s.target == item.name:
                named = ir.Var(self.new_name(target))
                self.out[i] = ir.Assign(named.name, s.value, s.origin, s.accumulate, s.comment)
                for k, v in list(self.env.items()):
                    if isinstance(v, tuple) and item in v:
                        self.env[k] = tuple(named if x == item else x for x in v)
                return named
        return item

    def split_call(self, split, args, kwargs, node: ast.Call, target: str, stmt: ast.stmt):
        """A call returning a tuple as one call per item (see ``rules.registry.splits``):
        a tuple of their values (one value where ``split`` is one function)."""
        if isinstance(split, str):
            raise self.error(split, node)
        values = tuple(self.emit(target, ir.Op(item, tuple(args), "call",
                                                ir.Global(item.__name__, item), tuple(kwargs)),
                                 stmt)
                       for item in (split if isinstance(split, tuple) else (split,)))
        self.unnamed.update(v.name for v in values if isinstance(v, ir.Var))
        return values if isinstance(split, tuple) else values[0]

    def sequence(self, items: tuple, node: ast.expr, stmt: ast.stmt) -> ir.Var:
        """A tuple of arrays to join, as a list built here (it has an adjoint list)."""
        var = self.emit("_t", ir.Op(ir.make_list, items, "list"), stmt)
        self.lists.add(var.name)
        if self.depth:
            self.local_lists.add(var.name)
        return var

    def pack(self, value, stmt):
        """A tuple argument (``np.reshape(x, (2, -1))``) as one atom."""
        if isinstance(value, Container):
            raise self.error(f"a {value.kind} of parameters passed on whole", stmt,
                             "read its items (params['W']) and pass those")
        if not isinstance(value, tuple):
            return value
        items = tuple(self.pack(v, stmt) for v in value)
        if all(isinstance(v, ir.Const) for v in items):
            return ir.Const(tuple(v.value for v in items))
        return self.emit("_t", ir.Op(ir.make_tuple, items, "tuple"), stmt)

    def fold(self, target, fn, syntax, items, stmt, start=None, callee=None):
        """``sum``, ``min``/``max`` of many items as a chain of binary operations."""
        items = list(items)
        acc = items.pop(0) if start is None or items else start
        for item in items:
            op = ir.Op(fn, (acc, item), syntax, callee)
            acc = self.emit(target, op, stmt)
        return acc

    def inlined(self, where: SourceFunction, args) -> bool:
        """Whether a call of ``where`` is inlined rather than kept as a call.

        Inlined: everything with ``inline="all"``; a callee given a list (lists
        do not cross calls); a *small leaf*, which calls no user function, has
        no loop, builds no list and has at most ``LEAF_SIZE`` assignments in
        three-address form: its call would cost more than its body.  A
        recursive call is never inlined.
        """
        if self.inline_all:
            return True
        if where.key in self.stack:
            return False
        if any(isinstance(a, ir.Var) and a.name in self.lists for a in args):
            return True
        return _small_leaf(where)

    def call_user(self, where: SourceFunction, callee: ir.Global, args, kwargs, node: ast.Call,
                  target: str, stmt: ast.stmt):
        """``target = f(args)`` of a user function ``f`` that stays a call: its
        arguments bound to its parameters (keyword-only ones passed by keyword)."""
        core, _, _ = normalize_scanned(where)
        inner = _Builder(where, self.names, self.stack + (where.key,), prefix=f"{core.name}_",
                         parent=self)
        env = self.bind(core, where, args, kwargs, node, inner)
        a = core.args
        positional = tuple(env[p.arg] for p in a.posonlyargs + a.args)
        keywords = tuple((p.arg, env[p.arg]) for p in a.kwonlyargs)
        for value in positional + tuple(v for _, v in keywords):
            if isinstance(value, tuple):
                raise self.error(f"a tuple passed to {core.name!r}", node,
                                 "pass its items one by one")
        outputs = _outputs_of(core)
        op = ir.Op(ir.Callee(core.name, where.key, outputs, where), positional, "call", callee,
                   keywords)
        if outputs is None:
            return self.emit(target, op, stmt)
        names = tuple(self.new_name("_t") for _ in range(outputs))
        self.out.append(ir.Unpack(names, op, self.origin(stmt)))
        return tuple(ir.Var(n) for n in names)

    def inline(self, where: SourceFunction, fn, args, kwargs, node: ast.Call):
        if where.key in self.stack:
            chain = " -> ".join(getattr(k, "__name__", str(k)) for k in self.stack + (where.key,))
            raise RecursionNotSupportedError(
                f"recursive call of {fn.__name__!r} ({chain})", self.where.location(node),
                "rewrite the recursion as a loop")
        core, _, locals_ = normalize_scanned(where)
        inner = _Builder(where, self.names, self.stack + (where.key,), prefix=f"{core.name}_",
                         parent=self)
        inner.env.update(self.bind(core, where, args, kwargs, node, inner))
        body, result = inner.function(core, locals_)
        self.out += body
        return result

    def bind(self, core: ast.FunctionDef, where, args, kwargs, node, inner) -> dict:
        """Parameter name → argument value, with keywords and defaults."""
        a = core.args
        positional = [p.arg for p in a.posonlyargs + a.args]
        env: dict[str, object] = {}
        if len(args) > len(positional):
            raise self.error(f"too many arguments in the call of {core.name!r}", node)
        env.update(zip(positional, args))
        for key, value in kwargs:
            if key in env or key not in positional + [p.arg for p in a.kwonlyargs]:
                raise self.error(f"unexpected or repeated keyword argument {key!r}", node)
            env[key] = value
        defaults = dict(zip(positional[len(positional) - len(a.defaults):], a.defaults))
        defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
        for name in positional + [p.arg for p in a.kwonlyargs]:
            if name not in env:
                if name not in defaults:
                    raise self.error(f"missing argument {name!r} in the call of {core.name!r}",
                                     node)
                inner.locals = local_names(core)
                try:
                    env[name] = ir.Const(ast.literal_eval(defaults[name]))
                except ValueError:
                    env[name] = inner.atom(defaults[name])
        return env

    # regions
    def if_(self, s: ast.If) -> None:
        cond = self.atom(s.test)
        if isinstance(cond, ir.Const):
            self.block(s.body if cond.value else s.orelse)
            return
        before = dict(self.env)
        then_out, then_env = self.region(s.body, before)
        else_out, else_env = self.region(s.orelse, before)
        phis = []
        self.env = {}
        for name in list(then_env) + [n for n in else_env if n not in then_env]:
            a, b = then_env.get(name), else_env.get(name)
            old = before.get(name)
            root = self.list_root.get(old.name) if isinstance(old, ir.Var) else None
            if root is not None and (a != old or b != old) and not (
                    self.holds(a, root) and self.holds(b, root)):
                raise self.error(f"list `{name}` appended to or assigned again in a "
                                 "branch", s, "build the list before the branch; write its "
                                 "items in branches: xs[i] = v")
            if a is None or b is None:
                if self.is_temporary(name) or isinstance(a or b, tuple) \
                        or not self.read_outside(s, name):
                    continue  # not used after the join (temporaries of the user's code never are)
                # defined on one path only: as in Python, usable where it was defined;
                # elsewhere it is None, and any arithmetic on it fails loudly
                a, b = a or ir.Const(None), b or ir.Const(None)
            self.env[name] = self.joined(name, a, b, phis, s, root)
        self.out.append(ir.If(cond, tuple(then_out), tuple(else_out), tuple(phis),
                              self.origin(s)))

    def joined(self, name: str, a, b, phis: list, s: ast.If, root: str | None = None):
        """The value of ``name`` after an ``if`` whose branches leave ``a`` and ``b``:
        one φ per item of tuples of the same length (appended to ``phis``); a new
        version of the list ``root`` when the branches leave versions of it."""
        if a == b:
            return a
        a, b = _as_tuple(a, b), _as_tuple(b, a)
        if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
            return tuple(self.joined(name, x, y, phis, s) for x, y in zip(a, b))
        if isinstance(a, tuple) or isinstance(b, tuple):
            what = ("the function returns" if self.is_temporary(name)
                    else f"variable {name!r} holds")
            raise self.error(f"{what} a tuple on some paths and not on others (or tuples "
                             "of different lengths)", s)
        target = self.new_name(name)
        phis.append(ir.Phi(target, a, b))
        if root is not None:
            self.new_version(target, root)
        return ir.Var(target)

    def region(self, stmts, env):
        saved_out, self.out = self.out, []
        self.env = dict(env)
        self.depth += 1
        self.block(stmts)
        self.depth -= 1
        out, self.out = self.out, saved_out
        return out, self.env

    def loop(self, s: ast.For | ast.While) -> None:
        if isinstance(s, ast.For):
            backwards = is_reversed_range(s.iter)
            rng = s.iter.args[0] if backwards else s.iter
            args = tuple(self.atom(a) for a in rng.args)
            kind = "reversed" if backwards else "for"
        else:
            args, kind = (), "while"
        carried = self.carried(s)
        before = dict(self.env)
        entry = {name: before.get(name, ir.Const(None)) for name in carried}
        headers = {}
        for name in carried:
            items = _tuple_length(s, name, entry[name])
            headers[name] = (self.new_name(name) if items is None else
                             tuple(self.new_name(name) for _ in range(items)))
            entry[name] = _as_tuple(entry[name], headers[name])
        roots = {name: self.list_root[v.name] for name, v in entry.items()
                 if isinstance(v, ir.Var) and v.name in self.list_root}
        for name, target in headers.items():
            self.env[name] = _vars(target)
            if name in roots:
                self.new_version(target, roots[name])
        var = None
        if isinstance(s, ast.For):
            var = self.new_name(s.target.id)
            self.env[s.target.id] = ir.Var(var)
        else:
            args = (self.atom(s.test),)
        body, end = self.region(s.body, self.env)
        phis, trivial = [], {}
        for name, target in headers.items():
            nxt = _as_tuple(end[name], target)
            if isinstance(nxt, tuple) != isinstance(target, tuple) or \
                    isinstance(entry[name], tuple) != isinstance(target, tuple):
                raise self.error(f"variable {name!r} holds a tuple and changes in the loop", s)
            if name in roots and not self.holds(nxt, roots[name]):
                raise self.error(f"list `{name}` assigned again inside a loop", s,
                                 "build a new list with append, or write its items: xs[i] = v")
            for t, first, then in zip(*(_items(v) for v in (target, entry[name], nxt))):
                if isinstance(first, tuple) or isinstance(then, tuple):
                    raise self.error(f"variable {name!r} holds nested tuples and changes in "
                                     "the loop", s)
                if then == ir.Var(t):
                    trivial[t] = first
                else:
                    phis.append(ir.Phi(t, first, then))
        self.env = {k: v for k, v in end.items() if k in before or k in headers}
        for name, target in headers.items():
            values = tuple(trivial.get(t, ir.Var(t)) for t in _items(target))
            self.env[name] = values if isinstance(target, tuple) else values[0]
        loop = ir.Loop(kind, var, args, tuple(body), tuple(phis), self.origin(s))
        if trivial:
            loop = substitute(loop, trivial)
        self.out.append(loop)
        if var is not None and self.read_outside(s, s.target.id):
            # read after the loop: its last value, copied (a later loop may reuse the name)
            self.env[s.target.id] = self.emit(s.target.id, ir.Var(var), s)

    def unchanged_lists(self) -> set[str]:
        """The names that only ever hold list displays, and that the function only reads:
        by constant indices, or as arguments of NumPy's, SciPy's or ``math``'s
        functions or of ``len``/``sum``/``min``/``max``/``zip``/``enumerate`` (never
        returned, changed or given to other code).  Built in a loop or a branch, such a
        list is a value like a tuple of its items."""
        if self._unchanged is None:
            self._unchanged = _unchanged_lists(self.function_body, self.where)
        return self._unchanged

    def is_temporary(self, name: str) -> bool:
        """A name normalization made up (``_t1``), not one the user wrote (who may
        well call a variable ``_t1``)."""
        if self._user_names is None:
            self._user_names = self.where.names[0]
        return bool(_TEMP.match(name)) and name not in self._user_names

    def read_outside(self, region, name: str) -> bool:
        """True when the function reads ``name`` outside ``region``: more often in the
        whole function than inside the region (both counted once)."""
        if self._reads is None:
            self._reads = _count_reads(self.function_body, Counter())
        inside = self._inside.get(id(region))
        if inside is None:
            inside = self._inside[id(region)] = _count_reads([region], Counter())
        return self._reads[name] > inside[name]

    def carried(self, s) -> list[str]:
        """Variables the loop body assigns that live across iterations or after it."""
        assigned = _assigned(s.body)
        loop_var = s.target.id if isinstance(s, ast.For) else None
        return [n for n in assigned
                if n != loop_var and (n in self.env or self.read_outside(s, n))]


def _count_reads(stmts, counts: Counter) -> Counter:
    """Add, per name, how many statements, conditions and ``for`` headers in
    ``stmts`` read it."""
    for s in stmts:
        if isinstance(s, (ast.If, ast.For, ast.While)):
            counts.update(scan_names(s.iter if isinstance(s, ast.For) else s.test)[2])  # range(n) reads n
            _count_reads(s.body, counts)
            _count_reads(s.orelse, counts)
        else:
            counts.update(scan_names(s)[2])
    return counts


_FOLDABLE = {fn for _, fn in list(BINARY.values()) + list(UNARY.values()) + list(COMPARE.values())}
_FOLDABLE |= {len, range, int, float, abs, min, max, round, bool}


def _fold(op: ir.Op):
    """The constant value of an operation on constants, or None."""
    if op.fn not in _FOLDABLE or op.kwargs or not all(isinstance(a, ir.Const) for a in op.args):
        return None
    try:
        value = op.fn(*(a.value for a in op.args))
    except Exception:  # leave it to run time, where the user's error shows
        return None
    return ir.Const(value) if isinstance(value, (int, float, bool)) else None


def _popped(stmts: list[ast.stmt], locals_: set[str]) -> set[str]:
    """The local lists the core statements pop (``v = xs.pop()``): used as stacks."""
    found: set[str] = set()
    todo = list(stmts)
    while todo:
        s = todo.pop()
        if type(s) is ast.Assign and is_pop(s.value, locals_):
            found.add(s.value.func.value.id)
        elif type(s) in (ast.If, ast.For, ast.While):
            todo += s.body + s.orelse
    return found


def _outputs_of(core: ast.FunctionDef) -> int | None:
    """How many values a normalized function returns: the length of the tuple
    display it returns, None for one value."""
    value = core.body[-1].value
    if isinstance(value, ast.Name):  # early returns: every return assigns the result
        lengths = {len(s.value.elts) if isinstance(s.value, ast.Tuple) else None
                   for s in ast.walk(core) if isinstance(s, ast.Assign)
                   and isinstance(s.targets[0], ast.Name) and s.targets[0].id == value.id
                   and not _is_none(s.value)}
        return lengths.pop() if len(lengths) == 1 else None
    return len(value.elts) if isinstance(value, ast.Tuple) else None


def _tuple_length(loop: ast.For | ast.While, name: str, entry) -> int | None:
    """The length of the tuples ``name`` holds through ``loop``, when it enters as one
    or every assignment of it in the loop is a tuple display of that length (an
    early return's result); None for other values."""
    lengths = {len(entry)} if isinstance(entry, tuple) else set()
    for s in ast.walk(loop):
        if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                             for t in s.targets):
            lengths.add(len(s.value.elts) if isinstance(s.value, ast.Tuple)
                        and len(s.targets) == 1 else None)
    return lengths.pop() if len(lengths) == 1 else None


def _as_tuple(value, like):
    """``value``, a tuple of Nones when it is None and ``like`` a tuple (a result
    not yet assigned)."""
    if isinstance(value, ir.Const) and value.value is None and isinstance(like, tuple):
        return (value,) * len(like)
    return value


def _items(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _vars(target):
    """The value of a loop header: a variable, or a tuple of variables."""
    return tuple(map(ir.Var, target)) if isinstance(target, tuple) else ir.Var(target)


def _is_none(e: ast.expr) -> bool:
    return isinstance(e, ast.Constant) and e.value is None


def _small_leaf(where: SourceFunction) -> bool:
    """A function worth inlining: no loops, lists or calls of user functions, and
    at most ``LEAF_SIZE`` assignments once normalized."""
    core, _, _ = normalize_scanned(where)
    count = 0
    for node in ast.walk(core):
        kind = type(node)
        if kind in (ast.For, ast.While, ast.List):
            return False
        if kind is ast.Assign:
            count += 1
            if count > LEAF_SIZE:
                return False
        elif kind is ast.Call and _calls_user_function(node.func, where):
            return False
    return True


def _calls_user_function(func: ast.expr, where: SourceFunction) -> bool:
    """Whether ``func`` (the callable of a call in ``where``) is a function of the user's."""
    path = []
    while isinstance(func, ast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id in (METHOD, SETITEM, ASSERT, FIELD):
        return False
    try:
        obj = where.resolver.resolve(func.id)
        for attr in reversed(path):
            obj = getattr(obj, attr)
    except Exception:  # noqa: BLE001 - unresolvable here: the SSA builder reports it
        return False
    return inspect.isfunction(obj) and lookup(obj) is None and not is_constant(obj) \
        and lookup_array(obj) is None and not _is_library(obj)


_KEYWORD_ALIASES = {"min": "a_min", "max": "a_max"}  # np.clip's NumPy 2 names


def _as_positions(fn, args: list, kwargs: list) -> tuple[list, list]:
    """``args, kwargs`` with the keywords of an elementwise function that has a rule
    for that many arguments passed by position (``np.clip(x, a_max=1.0)`` is
    ``np.clip(x, None, 1.0)``); as they are when they do not bind so."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return args, kwargs
    given = {_KEYWORD_ALIASES.get(k, k): v for k, v in kwargs}
    names = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    if len(given) != len(kwargs) or any(k not in names[len(args):] for k in given):
        return args, kwargs
    last = max(names.index(k) for k in given)
    arity = next((n for n in range(last + 1, len(names) + 1) if lookup(fn, n) is not None), None)
    if arity is None:
        return args, kwargs
    return list(args) + [given.get(n, ir.Const(None)) for n in names[len(args):arity]], []


def _joins(fn) -> bool:
    """Whether ``fn`` joins a sequence of arrays (``np.concatenate``, ``np.stack``)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and (fn is numpy.concatenate or fn is numpy.stack)


def _array_positions(fn, n: int) -> range | tuple:
    """The positions of the arguments of a call of ``fn`` (with ``n`` positional ones) that
    are arrays a derivative may go through, where a tuple (``np.mean((x, y))``) becomes a
    list: those of ``np.concatenate``/``np.stack``'s sequence, and of the inputs (not the
    options, not a shape) of a NumPy or SciPy function with a VJP/JVP rule."""
    if _joins(fn):
        return range(min(n, 1))
    numpy = sys.modules.get("numpy")
    library = getattr(fn, "__module__", None) or ""
    if numpy is None or not (isinstance(fn, numpy.ufunc) or library.startswith(("numpy", "scipy"))):
        return ()
    array = lookup_array(fn)
    if array is None:  # (an elementwise rule's partials are not written for lists)
        return ()
    return tuple(i for i, name in enumerate(array.inputs[:n]) if name != "shape")


def _constant_display(e: ast.Tuple) -> bool:
    """Whether a tuple display holds only constants (nested displays too)."""
    return all(isinstance(x, ast.Constant) or (isinstance(x, ast.Tuple) and _constant_display(x))
               for x in e.elts)


def _splits(fn) -> bool:
    """Whether ``fn`` is ``np.split`` or a sibling (see ``rules.shaping``)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and any(fn is f for f in (
        numpy.split, numpy.array_split, numpy.hsplit, numpy.vsplit, numpy.dsplit))


def _casts(fn) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and fn is getattr(numpy, "astype", None)


def _dtype_constant(atom):
    """The dtype of ``x.astype(float)`` as a constant name (``'float64'``), so that the
    derivative rule can check it; other atoms as they are."""
    if not isinstance(atom, ir.Global):
        return atom
    import numpy

    try:
        return ir.Const(numpy.dtype(atom.resolved()).name)
    except TypeError:
        return atom


def _concatenator(g: ir.Global) -> int | None:
    """The axis ``np.r_`` (0) or ``np.c_`` (-1) joins along, for those two; else None."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return None
    value = g.resolved()
    return 0 if value is numpy.r_ else -1 if value is numpy.c_ else None


def _constant(a):
    """The value of a constant atom, else ``UNKNOWN``."""
    return a.value if isinstance(a, ir.Const) else UNKNOWN


def _is_library(fn) -> bool:
    """Functions of NumPy, SciPy or the standard library are not user code to inline."""
    root = (getattr(fn, "__module__", None) or "").split(".")[0]
    return root in sys.stdlib_module_names or root in ("numpy", "scipy", "sympy")


def substitute(node, mapping: dict):
    """Replace the variables named in ``mapping`` by atoms, everywhere in ``node``."""
    from dataclasses import replace

    def atom(a):
        if isinstance(a, ir.Var) and a.name in mapping:
            return mapping[a.name]
        if isinstance(a, tuple):
            return tuple(atom(x) for x in a)
        return a

    def value(v):
        if isinstance(v, ir.Op):
            return replace(v, args=tuple(atom(a) for a in v.args),
                           kwargs=tuple((k, atom(x)) for k, x in v.kwargs))
        return atom(v)

    def stmt(s):
        if isinstance(s, ir.Assign):
            return replace(s, value=value(s.value))
        if isinstance(s, ir.If):
            return replace(s, cond=atom(s.cond), then=body(s.then), orelse=body(s.orelse),
                           phis=tuple(replace(p, first=atom(p.first), second=atom(p.second))
                                      for p in s.phis))
        if isinstance(s, ir.Loop):
            return replace(s, args=tuple(atom(a) for a in s.args), body=body(s.body),
                           phis=tuple(replace(p, first=atom(p.first), second=atom(p.second))
                                      for p in s.phis))
        return s

    def body(b):
        return tuple(stmt(s) for s in b)

    return stmt(node)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_READERS = frozenset({"len", "sum", "min", "max", "zip", "enumerate"})
_LIBRARIES = ("numpy", "scipy", "math")


def _unchanged_lists(body: list, where: SourceFunction) -> set[str]:
    """The names ``_Builder.unchanged_lists`` describes, in the (normalized) function
    ``body``: where a loop walks a list, it reads it by a running index, which a tuple
    of values cannot give."""
    displays, others, reads, bad = set(), set(), {}, set()
    stored = Counter(n.id for n in ast.walk(ast.Module(body, []))
                     if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
    constants = {node.targets[0].id for node in ast.walk(ast.Module(body, []))
                 if isinstance(node, ast.Assign) and len(node.targets) == 1
                 and isinstance(node.targets[0], ast.Name) and _constant_index(node.value)
                 and stored[node.targets[0].id] == 1}  # (normalization names ``-1``)
    for node in ast.walk(ast.Module(body, [])):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    (displays if isinstance(node.value, ast.List) else others).add(t.id)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            for n in ast.walk(node.target):
                if isinstance(n, ast.Name):
                    others.add(n.id)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            index = node.slice
            if isinstance(node.ctx, ast.Load) and (_constant_index(index) or (
                    isinstance(index, ast.Name) and index.id in constants)):
                reads[id(node.value)] = True
            else:
                bad.add(node.value.id)
        elif isinstance(node, ast.Call) and _reads_only(node.func, where):
            for a in node.args:
                if isinstance(a, ast.Name):
                    reads[id(a)] = True
    for node in ast.walk(ast.Module(body, [])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and id(node) not in reads:
            bad.add(node.id)
    return displays - others - bad


def _constant_index(index: ast.expr) -> bool:
    """Whether ``index`` is an integer written as a constant (``-1`` too)."""
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
    return isinstance(index, ast.Constant) and type(index.value) is int


def _reads_only(func: ast.expr, where: SourceFunction) -> bool:
    """Whether calling ``func`` only reads the list arguments it is given: a builtin
    of ``_READERS`` or a function of NumPy, SciPy or ``math``."""
    base = func
    while isinstance(base, ast.Attribute):
        base = base.value
    if not isinstance(base, ast.Name):
        return False
    try:
        obj = where.resolver.resolve(base.id)
    except Exception:  # noqa: BLE001 - a name the resolver cannot tell: not known to read only
        return False
    if func is base:
        return base.id in _READERS and obj is getattr(builtins, base.id, None)
    module = getattr(obj, "__name__", "") if inspect.ismodule(obj) else ""
    return module.split(".")[0] in _LIBRARIES

