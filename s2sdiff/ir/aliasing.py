"""Reads that an item write would change under Python, refused.

The front end reads ``y[i] = v`` as ``y_2 = _setitem(y_1, i, v)``: a new
version, every older one keeping its value.  Python writes into the array
itself, so any name holding it — ``z = y``, a view ``r = y[0:2]``, ``y.T``, a
list it was appended to — sees the write.  Where such a name is read after the
write, the two readings differ, and the derivative would be that of another
function: this pass refuses it, at the write, naming the stale value.

The names that may hold the same array (its *family*) are joined through
copies, φs, writes, appends, and every operation that may return a view of an
argument.  Arithmetic, ufuncs, reductions and the array constructors make new
arrays; so does an item read known (from the arguments' abstract values) to
give a number.  Without abstract values (generic code) every item read may be
a view, and a stale read is a ``NeedsArgumentsError``: code for the call's
arguments may know better.
"""

from __future__ import annotations

import operator

from . import nodes as ir
from . import types
from .liveness import live_after
from .types import Arr, Num
from ..errors import Location, NeedsArgumentsError, UnsupportedSyntaxError

_NEW = {"+", "-", "*", "/", "//", "%", "**", "@", "u-", "unot", "<", "<=", ">", ">=", "==",
        "!="}


class Callees:
    """What the functions that stay calls do with their arguments' arrays, read from
    their SSA IR (``program_of(callee)``): whether they return new arrays, and which
    arguments they write items into.  A function in the middle of being asked (a
    recursive one) is taken to return its arguments and to write into none."""

    def __init__(self, program_of):
        self.program_of = program_of
        self.known_new: dict = {}
        self.known_writes: dict = {}

    def new(self, callee: ir.Callee) -> bool:
        if callee.key not in self.known_new:
            self.known_new[callee.key] = False
            self.known_new[callee.key] = returns_new(self.program_of(callee), self)
        return self.known_new[callee.key]

    def writes_into(self, callee: ir.Callee) -> frozenset:
        """The positions (in ``ir.call_values`` order) of the arguments written into."""
        if callee.key not in self.known_writes:
            self.known_writes[callee.key] = frozenset()
            self.known_writes[callee.key] = written_params(self.program_of(callee), self)
        return self.known_writes[callee.key]


def check(fn: ir.Function, env: dict | None, callees: Callees | None = None) -> None:
    """Raise where a value ``fn`` reads after an item assignment (``fn.facts
    ["item_writes"]``: not a call of ``_setitem`` a derivative writes), or after a
    call that writes into an array (``callees``), holds the written array (``env``:
    the abstract value of every name, or None for generic code)."""
    written = fn.facts.get("item_writes") or frozenset()
    setitem = _setitem()
    stmts = ir.walk(fn.statements)
    writes = [s for s in stmts if type(s) is ir.Assign and s.target in written
              and type(s.value.args[0]) is ir.Var]
    calls = list(_writing_calls(stmts, callees))
    if not writes and not calls:
        return
    families = _families(stmts, setitem, env, callees)
    after = live_after(fn)
    for w in writes:
        array = w.value.args[0].name
        stale = sorted((families.members(array) - {w.target}) & after[id(w)])
        if stale and {_user_name(n) for n in stale} == {_user_name(array)}:
            _refuse(w, f"`{_user_name(array)}` as it was before this item assignment is "
                       "read afterwards (through another name, a view of it, or a list "
                       "holding it)", env)
        if stale:
            _refuse(w, f"{_shown(stale)} may hold the array this item assignment writes "
                       "into (the same array, a view of it, or a list holding it), and is "
                       "read afterwards", env)
    for s, callee, names in calls:
        for name in names:
            stale = sorted(families.members(name) & after[id(s)])
            if stale:
                _refuse(s, f"{callee.name} writes items into the array passed as "
                           f"`{_user_name(name)}`, and {_shown(stale)} (that array, a view "
                           "of it, or a list holding it) is read afterwards", env)


def written_params(fn: ir.Function, callees: Callees | None) -> frozenset:
    """The positions of the parameters of ``fn`` whose arrays it writes items into."""
    written = fn.facts.get("item_writes") or frozenset()
    stmts = ir.walk(fn.statements)
    arrays = [s.value.args[0].name for s in stmts if type(s) is ir.Assign
              and s.target in written and type(s.value.args[0]) is ir.Var]
    arrays += [n for _, _, names in _writing_calls(stmts, callees) for n in names]
    if not arrays:
        return frozenset()
    families = _families(stmts, _setitem(), None, callees)
    params = {families.find(p): k for k, p in enumerate(fn.params)}
    return frozenset(params[families.find(a)] for a in arrays if families.find(a) in params)


def _writing_calls(stmts, callees: Callees | None):
    """(statement, callee, names of the arrays it writes into) of each call of a
    function that stays a call and writes into an argument's array."""
    if callees is None:
        return
    for s in stmts:
        op = s.value if type(s) in (ir.Assign, ir.Unpack) else None
        if type(op) is not ir.Op or not isinstance(op.fn, ir.Callee):
            continue
        positions = callees.writes_into(op.fn)
        values = ir.call_values(op)
        names = [values[k].name for k in sorted(positions)
                 if k < len(values) and type(values[k]) is ir.Var]
        if names:
            yield s, op.fn, names


def _refuse(s, what: str, env: dict | None) -> None:
    error = UnsupportedSyntaxError if env is not None else NeedsArgumentsError
    origin = s.origin
    where = Location(origin.filename, origin.lineno, 0, origin.text) if origin else None
    raise error(f"{what}: Python would show the new items there, s2sdiff the old ones",
                where, "copy what must keep the old items (np.copy), or write into a copy")


def _shown(names: list[str]) -> str:
    return ", ".join(f"`{_user_name(n)}`" for n in dict.fromkeys(names[:3]))


def _user_name(name: str) -> str:
    """An SSA version's name as the user wrote it (``y_2`` → ``y``)."""
    base, _, number = name.rpartition("_")
    return base if base and number.isdigit() else name


class Families:
    """Union-find over names: those that may hold the same array."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        root = name
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[name] = root
        return root

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def members(self, name: str) -> set[str]:
        root = self.find(name)
        return {n for n in list(self.parent) if self.find(n) == root} | {name}


def returns_new(fn: ir.Function, callees: Callees | None = None) -> bool:
    """Whether ``fn`` returns only arrays it made (none of its arguments', nor views
    of them)."""
    families = _families(ir.walk(fn.statements), _setitem(), None, callees)
    params = {families.find(p) for p in fn.params}
    return not any(families.find(n) in params for n in ir.value_reads(fn.result))


def _families(stmts, setitem, env: dict | None, callees) -> Families:
    families = Families()

    def held(v):
        return _held(v, setitem, env, callees)

    for s in stmts:
        kind = type(s)
        if kind is ir.Assign and type(s.target) is str:
            for name in held(s.value):
                families.join(s.target, name)
        elif kind is ir.Assign:  # ``a[i] = v`` of a list keeps v's array
            for name in held(s.value):
                families.join(s.target.name, name)
        elif kind is ir.Append:
            for name in held(s.value):
                families.join(s.target, name)
        elif kind is ir.Unpack:
            names = held(s.value)
            for target in s.names:
                for name in names:
                    families.join(target, name)
        elif kind in (ir.If, ir.Loop):
            for p in s.phis:
                for a in (p.first, p.second):
                    if type(a) is ir.Var:
                        families.join(p.target, a.name)
    return families


def _held(v, setitem, env: dict | None, callees) -> list[str]:
    """The names whose arrays the value ``v`` may be or hold (a view, a copy)."""
    if type(v) is ir.Var:
        return [v.name]
    if type(v) is tuple:
        return [n for a in v for n in _held(a, setitem, env, callees)]
    if type(v) is not ir.Op:
        return []
    if v.fn is setitem:
        return [v.args[0].name] if type(v.args[0]) is ir.Var else []
    if makes_new(v, env, callees):
        return []
    if v.fn is operator.getitem:  # an item or a view of the container, not of the index
        return ir.value_reads(v.args[0])
    return ir.value_reads(v)


def makes_new(op: ir.Op, env: dict | None = None, callees=None) -> bool:
    """Whether ``op`` always gives a new array or a number (an item read only where
    ``env`` says it is a number; a call of a user function where ``callees`` says)."""
    import numpy as np

    if op.syntax in _NEW:
        return True
    if isinstance(op.fn, ir.Callee):
        return callees is not None and callees.new(op.fn)
    if env is not None and op.fn is operator.getitem:
        t = types.atom_type(env, op)
        return isinstance(t, Num) or (isinstance(t, Arr) and not t.ndim)
    if op.syntax != "call":
        return False
    return isinstance(op.fn, np.ufunc) or any(op.fn is f for f in _constructors()) or (
        not op.kwargs and (op.fn is np.array or op.fn is np.copy))


def _constructors() -> tuple:
    import numpy as np

    return (np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
            np.full_like, np.eye, np.identity, np.sum, np.mean, np.prod, np.max, np.min, np.dot,
            np.matmul, np.outer, np.linspace, np.arange, np.concatenate, np.stack, np.vstack,
            np.hstack)


def _setitem():
    from ..rules.indexing import _setitem

    return _setitem
