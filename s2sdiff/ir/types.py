"""Abstract values: what the generated code may assume about each value.

A transform is generated for the abstract values of its arguments, as
``jax.jit`` traces for shapes and dtypes.  A number is a :class:`Num` (its
Python kind); an array is an :class:`Arr`: its dtype, its number of
dimensions and, per dimension, whether its length is 1 (True), is not 1
(False) or is not known (None: a slice ``x[a:b]``, say).  Sizes stay unknown,
yet that is enough to decide broadcasting exactly: an operand's dimension that
is not 1 is the result's, one of length 1 was broadcast.  So the reverse sweep
knows, before running, where an adjoint must be summed back to an operand's
shape (``g.sum(axis=0)``) and where nothing broadcasts.  An array's library
is part of it too (``library="dask"`` for a Dask array, NumPy's by default): an
operation with a Dask operand gives a Dask array, and code for Dask arguments
must build a lazy task graph (``back/lazy.py``).

``infer(fn, args)`` gives the abstract value of every SSA value of ``fn``
(``None`` where it cannot tell: a value of an unknown function, a container).

>>> import operator
>>> body = (ir.Assign("a", ir.Op(operator.mul, (ir.Var("x"), ir.Var("w")), "*")),)
>>> fn = ir.Function("f", ("x", "w"), body, ir.Var("a"))
>>> infer(fn, {"x": Arr("float64", (False, False)), "w": Arr("float64", (False,))})["a"]
Arr(dtype='float64', ones=(False, False))
"""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import math
import operator
import sys
from dataclasses import dataclass

from . import nodes as ir
from ..rules import lists


@dataclass(frozen=True)
class Num:
    """A Python number: ``kind`` is "float", "int", "bool" or "complex"."""

    kind: str


@dataclass(frozen=True, repr=False)
class Arr:
    """An array: its dtype's name, per dimension whether its length is 1 (True), is
    not (False) or may be (None), and its library: "numpy", or "dask" for a Dask
    array (chunked and lazy: its code must build a task graph, see ``lazy``)."""

    dtype: str
    ones: tuple[bool, ...]
    library: str = "numpy"

    @property
    def ndim(self) -> int:
        return len(self.ones)

    def __repr__(self) -> str:
        library = f", library={self.library!r}" if self.library != "numpy" else ""
        return f"Arr(dtype={self.dtype!r}, ones={self.ones!r}{library})"


LAZY = ("dask",)  # the libraries whose arrays are lazy task graphs


def lazy(value) -> bool:
    """Whether an abstract value is (or holds) an array of a lazy library (Dask)."""
    if isinstance(value, (tuple, list)):
        return any(map(lazy, value))
    if isinstance(value, Struct):
        return any(map(lazy, value.items))
    return isinstance(value, Arr) and value.library in LAZY


def library_of(*values) -> str:
    """The library of an operation's result on ``values``: a lazy one's if any is."""
    for v in values:
        if lazy(v):
            return "dask"
    return "numpy"


@dataclass(frozen=True)
class Struct:
    """A dict, a list, a namedtuple or a dataclass of values: its keys (a list's are
    0, 1…; the others' their field names), the abstract value of each item, which
    of the four it is, and the class of a namedtuple or dataclass."""

    keys: tuple
    items: tuple
    kind: str = "dict"
    cls: object = None


@dataclass(frozen=True)
class Static:
    """A function passed as an argument: code is generated for each function (as
    ``static_argnums`` in JAX), which it calls (or inlines) as a function of the
    module."""

    value: object


@dataclass(frozen=True)
class Seq:
    """A list of values of one abstract value, its length not known (``[0.0] * n``)."""

    item: object


FLOAT, INT, BOOL = Num("float"), Num("int"), Num("bool")


def abstract(value):
    """The abstract value of a run-time value (None for one it does not describe)."""
    kind = type(value)
    if kind is float:
        return FLOAT
    if kind is bool:
        return BOOL
    if kind is int:
        return INT
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        key = (value.dtype, value.shape)
        found = _ARRAYS.get(key)
        if found is None:
            if len(_ARRAYS) > 4096:
                _ARRAYS.clear()
            found = _ARRAYS[key] = Arr(value.dtype.name, tuple(n == 1 for n in value.shape))
        return found
    dask = sys.modules.get("dask.array")
    if dask is not None and isinstance(value, dask.Array):
        return _dask_array(value)
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, complex):
        return Num("complex")
    if inspect.isfunction(value):
        return Static(value)
    return None


_ARRAYS: dict = {}  # (dtype, shape) → its Arr: a call's signature is read per call


def _dask_array(value) -> Arr:
    """A Dask array's abstract value; a length Dask does not know yet (NaN, after a
    boolean selection) may be 1."""
    ones = tuple(None if n != n else n == 1 for n in value.shape)
    return Arr(value.dtype.name, ones, "dask")


def signature(values) -> tuple:
    """The abstract values of the arguments of a call: the key of generated code."""
    return tuple(map(tree, values))


def tree(value):
    """The abstract value of ``value``, containers included: a tuple of those of a
    tuple's items, a :class:`Struct` for a dict or a list."""
    kind = type(value)
    if kind is tuple:
        return tuple(map(tree, value))
    if kind is list:
        return Struct(tuple(range(len(value))), tuple(map(tree, value)), "list")
    if kind is dict:
        return Struct(tuple(value), tuple(map(tree, value.values())))
    registered = _CONTAINERS.get(kind)
    if registered is not None:
        return _registered(value, registered[0])
    fields = _fields(value)
    if fields is not None:
        return Struct(fields, tuple(tree(getattr(value, f)) for f in fields),
                      "namedtuple" if isinstance(value, tuple) else "dataclass", kind)
    return abstract(value)


_CONTAINERS: dict = {}  # a class registered as a container → (flatten, unflatten)


def register_container(cls, flatten, unflatten) -> None:
    """Declare ``cls`` a container of parameters, as ``jax.tree_util`` does:
    ``flatten(obj)`` gives ``(children, aux)`` (``aux``, hashable, is what is not
    differentiated), ``unflatten(aux, children)`` builds an object again.  The
    function differentiated reads a child by the attribute that holds it
    (``p.W``); the gradient is ``unflatten(aux, gradients of the children)``."""
    _CONTAINERS[cls] = (flatten, unflatten)


def _registered(value, flatten):
    """The abstract value of a registered container: its children's, keyed by the
    attribute holding each one (by position where none does)."""
    children, aux = flatten(value)
    try:
        hash(aux)
    except TypeError:
        return None
    children = tuple(children)
    holders = {id(v): k for k, v in vars(value).items()} if hasattr(value, "__dict__") else {}
    keys = tuple(holders.get(id(c), i) for i, c in enumerate(children))
    if len(set(keys)) != len(keys):
        keys = tuple(range(len(children)))
    return Struct(keys, tuple(map(tree, children)), "registered", (type(value), aux))


def _fields(value) -> tuple | None:
    """The fields of a namedtuple, or of a dataclass instance whose fields are all
    set by its constructor (it is built again from them); else None."""
    kind = type(value)
    if isinstance(value, tuple):  # (a plain tuple is read before this)
        fields = getattr(kind, "_fields", None)
        return tuple(fields) if isinstance(fields, tuple) else None
    if not dataclasses.is_dataclass(kind):
        return None
    found = dataclasses.fields(kind)
    return None if any(not f.init for f in found) else tuple(f.name for f in found)


def is_container(value) -> bool:
    """Whether an abstract value is a tuple's or a :class:`Struct`."""
    return isinstance(value, (tuple, Struct))


def is_complex(value) -> bool:
    """Whether an abstract value is, or holds, a complex number or array."""
    if isinstance(value, tuple):
        return any(map(is_complex, value))
    if isinstance(value, (Struct, Seq)):
        return any(map(is_complex, value.items if isinstance(value, Struct) else (value.item,)))
    return (isinstance(value, Num) and value.kind == "complex") or (
        isinstance(value, Arr) and value.dtype.startswith("complex"))


_NUMBERS = {"float": FLOAT, "int": INT, "bool": BOOL}
_DTYPES = {"f8": "float64", "f4": "float32", "f2": "float16", "i8": "int64", "i4": "int32",
           "b1": "bool"}


def parse(text: str) -> dict:
    """Abstract values written as text, for the command's ``--signature``::

        w=f8[d],X=f8[n,d],y=f8[n],b=float
        params={W:f8[d,h],b:f8[h]},layers=[(f8[n,n],f8[n])],X=f8[m,n]

    a Python number is ``float``, ``int`` or ``bool``; an array is its dtype
    (``f8``, ``f4``, ``float64``…) and its dimensions in brackets, each ``1``
    (length 1), ``?`` (not known) or any other name or number (not 1); a Dask
    array's type begins with ``dask:`` (``X=dask:f8[n,d]``); a dict is
    ``{key:TYPE,...}`` (keys are names or integers), a list ``[TYPE,...]``, a
    tuple ``(TYPE,...)``.  Raises ValueError with what is wrong.
    """
    reader = _Reader(text)
    found = {}
    while True:
        name = reader.word()
        if not name.isidentifier() or not reader.take("="):
            raise ValueError(f"{reader.rest()!r}: write NAME=TYPE, e.g. X=f8[n,d]")
        found[name] = reader.value(name)
        if reader.done():
            return found
        if not reader.take(","):
            raise ValueError(f"{reader.rest()!r}: separate NAME=TYPE items with commas")


class _Reader:
    """The text of a signature, read left to right."""

    def __init__(self, text: str):
        self.text, self.at = text, 0

    def done(self) -> bool:
        self.skip()
        return self.at == len(self.text)

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def rest(self) -> str:
        return self.text[self.at:].strip() or self.text

    def take(self, mark: str) -> bool:
        self.skip()
        if self.text.startswith(mark, self.at):
            self.at += len(mark)
            return True
        return False

    def word(self) -> str:
        import re

        self.skip()
        found = re.compile(r"[\w?.-]*").match(self.text, self.at)
        self.at = found.end()
        return found.group()

    def value(self, name: str):
        for opening, closing, kind in (("{", "}", "dict"), ("[", "]", "list"), ("(", ")", "tuple")):
            if self.take(opening):
                return self.container(name, closing, kind)
        dask = self.take("dask:")
        word = self.word()
        if word in _NUMBERS and not dask:
            return _NUMBERS[word]
        dims = self.dims(name, word) if self.take("[") else None
        if dims is None:
            raise ValueError(f"{name}={word}: a type is float, int, bool, an array such as "
                             "f8[n,d], or a {dict}, [list] or (tuple) of types")
        return _parsed_array(name, word, dims, "dask" if dask else "numpy")

    def container(self, name: str, closing: str, kind: str):
        keys, items = [], []
        while not self.take(closing):
            if items and not self.take(","):
                raise ValueError(f"{name}: {self.rest()!r}: separate the items with commas")
            if self.take(closing):
                break
            if kind == "dict":
                key = self.word()
                if not (key.isidentifier() or key.isdigit()) or not self.take(":"):
                    raise ValueError(f"{name}: {self.rest()!r}: write a dict as {{key:TYPE,...}}")
                keys.append(int(key) if key.isdigit() else key)
            items.append(self.value(name))
            if self.done():
                raise ValueError(f"{name}: a {kind} not closed by {closing!r}")
        if kind == "tuple":
            return tuple(items)
        return Struct(tuple(keys) if kind == "dict" else tuple(range(len(items))), tuple(items),
                      kind)

    def dims(self, name: str, word: str) -> list:
        end = self.text.find("]", self.at)
        if end < 0:
            raise ValueError(f"{name}={word}[: the dimensions are not closed by ']'")
        inside, self.at = self.text[self.at:end], end + 1
        dims = [d.strip() for d in inside.split(",")] if inside.strip() else []
        if any(not d for d in dims):
            raise ValueError(f"{name}={word}[{inside}]: an empty dimension")
        return dims


def _parsed_array(name: str, word: str, dims: list, library: str) -> Arr:
    """The array ``word[dims]`` of ``library`` (``word`` its dtype)."""
    import numpy

    try:
        dtype = numpy.dtype(_DTYPES.get(word, word)).name
    except TypeError:
        raise ValueError(f"{name}={word}[...]: unknown dtype {word!r}") from None
    return Arr(dtype, tuple(None if d == "?" else d == "1" for d in dims), library)


def fits(given, wanted) -> bool:
    """Whether a tangent or cotangent of abstract value ``given`` fits a value of
    ``wanted`` (same dimensions; a number and a 0-D array are alike)."""
    given, wanted = (v.items if isinstance(v, Struct) and v.kind == "list" else v
                     for v in (given, wanted))
    if isinstance(wanted, tuple) or isinstance(given, tuple):
        return isinstance(wanted, tuple) and isinstance(given, tuple) \
            and len(given) == len(wanted) and all(map(fits, given, wanted))
    if isinstance(wanted, Struct) or isinstance(given, Struct):  # dicts: the same keys
        return isinstance(wanted, Struct) and isinstance(given, Struct) \
            and given.keys == wanted.keys and all(map(fits, given.items, wanted.items))
    if isinstance(wanted, Arr) and wanted.ndim:
        return isinstance(given, Arr) and given.ones == wanted.ones
    return isinstance(given, Num) or (isinstance(given, Arr) and not given.ndim)


def describe(value) -> str:
    """An abstract value in words, for errors: "a 2-D array [n, 1]"."""
    if isinstance(value, tuple):
        return "(" + ", ".join(map(describe, value)) + ")"
    if isinstance(value, Struct):
        items = [describe(v) if value.kind == "list" else f"{k!r}: {describe(v)}"
                 for k, v in zip(value.keys, value.items)]
        return ("[" + ", ".join(items) + "]") if value.kind == "list" \
            else "{" + ", ".join(items) + "}"
    if isinstance(value, Arr):
        dims = ", ".join("1" if one else "n" for one in value.ones)
        return f"a {value.ndim}-D array [{dims}]" if value.ndim else "a 0-D array"
    if isinstance(value, Static):
        return f"the function {getattr(value.value, '__name__', '?')}"
    return "a number" if isinstance(value, Num) else "an unknown value"


# ---------------------------------------------------------------- combining


def _dtype(a):
    """What NumPy's promotion needs: a dtype for an array, a Python type for a number
    (Python numbers are weak: ``float32_array * 2.0`` stays float32)."""
    if isinstance(a, Arr):
        return a.dtype
    return {"float": 0.0, "int": 0, "bool": False, "complex": 0j}[a.kind]


def promote(*values):
    """The abstract value of a broadcasting operation's result, dtype by NumPy's rules."""
    if any(v is None for v in values):
        return None
    arrays = [v for v in values if isinstance(v, Arr)]
    if not arrays:
        kinds = {v.kind for v in values}
        for kind in ("complex", "float", "int", "bool"):
            if kind in kinds:
                return Num(kind)
    import numpy

    dtype = numpy.result_type(*map(_dtype, values)).name
    ndim = max(a.ndim for a in arrays)
    ones = []
    for axis in range(ndim):  # aligned from the right, as broadcasting aligns
        dims = [a.ones[axis - ndim + a.ndim] for a in arrays if axis - ndim + a.ndim >= 0]
        ones.append(False if False in dims else True if all(dims) else None)
    return Arr(dtype, tuple(ones), library_of(*arrays))


def join(a, b):
    """The abstract value of a φ: what both sides have in common."""
    if a == b:
        return a
    if isinstance(a, Arr) and isinstance(b, Arr) and a.ndim == b.ndim:
        import numpy

        return Arr(numpy.result_type(a.dtype, b.dtype).name,
                   tuple(x if x == y else None for x, y in zip(a.ones, b.ones)),
                   library_of(a, b))
    if isinstance(a, Num) and isinstance(b, Num):
        return promote(a, b)
    if _scalar(a) and _scalar(b):  # a Python number or a NumPy scalar
        return promote(a, b)
    return None


def _scalar(a) -> bool:
    return isinstance(a, Num) or (isinstance(a, Arr) and not a.ndim)


def with_dtype(a, dtype: str):
    """``a`` with its dtype (or kind) replaced: ``bool`` for comparisons."""
    if isinstance(a, Arr):
        return Arr(dtype, a.ones, a.library)
    if isinstance(a, Num):
        return Num({"bool": "bool", "float64": "float"}.get(dtype, a.kind))
    return None


def floating(a):
    """``a`` as the result of a function that gives floats (``sin``, true division)."""
    if isinstance(a, Num):
        return Num("complex") if a.kind == "complex" else FLOAT
    if isinstance(a, Arr):
        import numpy

        kind = numpy.dtype(a.dtype).kind
        return a if kind in "fc" else Arr("float64", a.ones, a.library)
    return None


# ---------------------------------------------------------------- the pass


def infer(fn: ir.Function, args: dict, callee_types=None) -> dict:
    """The abstract value of every name of ``fn`` given those of its parameters.

    ``callee_types(callee, arg_values)`` gives the abstract value of a call of a
    function that stays a call (None: unknown).
    """
    env = dict(args)
    _Infer(env, callee_types).block(fn.statements)
    return env


def atom_type(env: dict, atom):
    """The abstract value of ``atom`` (a name, a constant) given ``env``."""
    return _Infer(env, None).atom(atom)


def result(fn: ir.Function, env: dict, callee_types=None):
    """The abstract value of ``fn``'s result (a tuple of them for a tuple), given
    ``env``, the abstract values ``infer`` found."""
    infer_ = _Infer(env, callee_types)

    def of(r):
        return tuple(of(x) for x in r) if isinstance(r, tuple) else infer_.atom(r)

    return of(fn.result)


class _Infer:
    def __init__(self, env: dict, callee_types):
        self.env = env
        self.callee_types = callee_types
        self.records: dict = {}  # tape → per number of values, their abstract values pushed
        # (joined: a pop of k values gets what the pushes of k values have in common)

    def atom(self, a):
        if isinstance(a, ir.Var):
            return self.env.get(a.name)
        if isinstance(a, ir.Const):
            return abstract(a.value)
        if isinstance(a, ir.Global):
            return abstract(a.resolved())
        if isinstance(a, ir.Op):
            return self.op(a)
        return None

    def block(self, stmts) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s) -> None:
        env = self.env
        if isinstance(s, ir.Assign) and isinstance(s.target, str):
            value = self.atom(s.value)
            env[s.target] = join(env[s.target], value) if s.accumulate and s.target in env \
                else value
        elif isinstance(s, ir.Unpack):
            for name in s.names:
                env[name] = None
            result = self.atom(s.value)
            if isinstance(result, tuple):
                _unpack(env, s.targets, result)
        elif isinstance(s, ir.If):
            self.block(s.then)
            firsts = {p.target: self.atom(p.first) for p in s.phis}
            self.block(s.orelse)
            for p in s.phis:
                env[p.target] = join(firsts[p.target], self.atom(p.second))
        elif isinstance(s, ir.Loop):
            self.loop(s)
        elif isinstance(s, ir.Push):
            pushed = tuple(env.get(n) for n in s.values)
            records = self.records.setdefault(s.tape, {})
            known = records.get(len(pushed), pushed)
            records[len(pushed)] = tuple(map(join, known, pushed))
        elif isinstance(s, ir.Pop):  # a tape gives back values of the names pushed
            pushed = self.records.get(s.tape, {}).get(len(s.values))  # records as long
            for k, name in enumerate(s.values):
                if pushed is not None and env.get(name) is None:
                    env[name] = pushed[k]
                else:
                    env.setdefault(name, None)
        else:
            for name in ir.writes(s):
                env[name] = None

    def loop(self, s: ir.Loop) -> None:
        """A loop's carried values start as their entry values and widen until the
        body changes them no more (joins only lose facts: a few rounds suffice)."""
        env = self.env
        if s.var:
            env[s.var] = INT
        for p in s.phis:
            env[p.target] = self.atom(p.first)
        for _ in range(8):
            self.block(s.body)
            changed = False
            for p in s.phis:
                new = join(env[p.target], self.atom(p.second))
                if new != env[p.target]:
                    env[p.target], changed = new, True
            if not changed:
                return
        for p in s.phis:
            env[p.target] = None
        self.block(s.body)

    def op(self, op: ir.Op):
        args = [self.atom(a) for a in op.args]
        if isinstance(op.fn, ir.Callee):
            if self.callee_types is None:
                return None
            return self.callee_types(op.fn, tuple(self.atom(a) for a in ir.call_values(op)))
        rule = _rule(op.fn, op.syntax)
        if rule is None:
            return None
        kwargs = {k: v.value if isinstance(v, ir.Const) else _UNKNOWN for k, v in op.kwargs}
        consts = [a.value if isinstance(a, ir.Const) else _UNKNOWN for a in op.args]
        try:
            found = rule(args, consts, kwargs)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            return None
        return _in_library(found, library_of(args, [self.atom(v) for _, v in op.kwargs]))


def _in_library(value, library: str):
    """``value`` (a rule's result) as an array of ``library``: an operation on a Dask
    array gives a Dask array (NumPy's functions dispatch to Dask's)."""
    if library == "numpy" or not isinstance(value, Arr) or value.library == library:
        return value
    return Arr(value.dtype, value.ones, library)


def _unpack(env: dict, targets, value) -> None:
    if isinstance(targets, str):
        env[targets] = value
    elif isinstance(value, tuple) and len(value) == len(targets):
        for t, v in zip(targets, value):
            _unpack(env, t, v)


_UNKNOWN = object()  # a constant argument whose value is not known


# ---------------------------------------------------------------- the rules


def _rule(fn, syntax: str):
    if syntax in _SYNTAX:
        return _SYNTAX[syntax]
    found = _RULES.get(id(fn))
    if found is not None and found[0] is fn:
        return found[1]
    if "numpy" in sys.modules and not _NUMPY_LOADED:
        _load_numpy_rules()
        return _rule(fn, syntax)
    unseen = [m for m in _LOADERS if m in sys.modules]
    if unseen:
        for module in unseen:
            for load in _LOADERS.pop(module):
                load()
        return _rule(fn, syntax)
    return None


_LOADERS: dict[str, list] = {}  # library → functions registering rules once it is imported


def register_when_imported(library: str, load) -> None:
    """Call ``load()`` (which registers rules) once ``library`` is imported."""
    _LOADERS.setdefault(library, []).append(load)


def _tuple(args, consts, kwargs):
    """A tuple: its items' abstract values; a constant index item (a slice, ``None``,
    ``...``) itself.  None where an item is not known."""
    items = []
    for a, c in zip(args, consts):
        if c is _UNKNOWN:
            if a is None:
                return None
            items.append(a)
        else:
            items.append(c if isinstance(c, slice) or c is None or c is Ellipsis else a)
    return tuple(items)


def _items(value):
    """The abstract values of the items of a list or tuple value, or None."""
    return value if isinstance(value, tuple) and value and None not in value else None


def flattened(a: Arr) -> Arr:
    """``a`` flattened to one dimension: of length 1 if every dimension is, not of
    length 1 if one is not (its size is 0 or at least 2), else not known."""
    if all(o is True for o in a.ones):
        return Arr(a.dtype, (True,), a.library)
    return Arr(a.dtype, (False if False in a.ones else None,), a.library)


def _summed_length(lengths) -> bool | None:
    """Whether the sum of two or more lengths (per ``ones``) is 1: never when each is
    1 (at least 2) or each is not 1 (0 or at least 2); may be when some are and some
    are not (1 + 0)."""
    if all(o is True for o in lengths) or all(o is False for o in lengths):
        return False
    return None


def _concatenate(args, consts, kwargs):
    items, axis = _items(args[0]), consts[1] if len(consts) > 1 else kwargs.get("axis", 0)
    if items is None or not isinstance(axis, int) or not all(isinstance(a, Arr) and a.ndim
                                                              for a in items):
        return None
    ndim = items[0].ndim
    if any(a.ndim != ndim for a in items) or not -ndim <= axis < ndim:
        return None
    joined = promote(*items)
    ones = list(joined.ones)
    lengths = [a.ones[axis % ndim] for a in items]  # False may be 0: 0 + 1 is 1
    ones[axis % ndim] = lengths[0] if len(items) == 1 else _summed_length(lengths)
    return Arr(joined.dtype, tuple(ones))


def _stack(args, consts, kwargs):
    items, axis = _items(args[0]), consts[1] if len(consts) > 1 else kwargs.get("axis", 0)
    if items is None or not isinstance(axis, int):
        return None
    arrays = [a if isinstance(a, Arr) else Arr(promote(a).kind == "float" and "float64"
                                               or "int64", ()) for a in items]
    if any(a.ndim != arrays[0].ndim for a in arrays) or not -arrays[0].ndim - 1 <= axis \
            <= arrays[0].ndim:
        return None
    joined = promote(*arrays)
    ones = list(joined.ones)
    ones.insert(axis % (joined.ndim + 1), len(items) == 1)
    return Arr(joined.dtype, tuple(ones))


def _filled(args, consts, kwargs):
    """``np.zeros(shape)`` (``ones``, ``empty``), float64: a length not known when
    the code is generated may be 1 (``x.shape[0]``: its ``ones`` is None)."""
    shape = consts[0] if consts else kwargs.get("shape")
    if shape is _UNKNOWN and args:
        shape = args[0]
    shape = (shape,) if isinstance(shape, int) or shape == INT else shape
    if kwargs.keys() - {"shape"} or len(args) > 1 or not isinstance(shape, tuple) \
            or not all(isinstance(n, int) or n == INT for n in shape):
        return None
    return Arr("float64", tuple(n == 1 if isinstance(n, int) else None for n in shape))


def _taken(args, consts, kwargs):
    """``np.take(a, indices, axis)``: ``a``'s dimensions with ``axis`` (all of them,
    flattened, for None) in place of the indices' dimensions."""
    a, indices = args[0], args[1]
    axis = consts[2] if len(consts) > 2 else kwargs.get("axis")
    if not isinstance(a, Arr) or kwargs.keys() - {"axis", "mode"} or axis is _UNKNOWN:
        return None
    index = indices.ones if isinstance(indices, Arr) else () if isinstance(indices, Num) else None
    if index is None or (isinstance(indices, Arr) and indices.dtype[:1] not in "iu"):
        return None
    if axis is None:
        return Arr(a.dtype, index)
    if not isinstance(axis, int) or not -a.ndim <= axis < a.ndim:
        return None
    axis %= a.ndim
    return Arr(a.dtype, a.ones[:axis] + index + a.ones[axis + 1:])


def _eye(args, consts, kwargs):
    """``np.eye(n)``, ``np.eye(n, m)``, ``np.identity(n)``: float64, ``n`` × ``m``."""
    if kwargs.keys() - {"k"} or not 1 <= len(args) <= 2:
        return None
    sizes = [c if isinstance(c, int) else a for a, c in zip(args, consts)]
    if len(sizes) == 1 or sizes[1] is None:
        sizes = sizes[:1] * 2
    if not all(isinstance(n, int) or n == INT for n in sizes):
        return None
    return Arr("float64", tuple(n == 1 if isinstance(n, int) else None for n in sizes))


def _array(args, consts, kwargs):
    """``np.array`` of a (nested) list of numbers or arrays of one shape."""
    if kwargs or len(args) != 1:
        return None
    value = args[0]
    if isinstance(value, Arr):
        return value
    items = _items(value)
    if items is None:
        return None
    inner = [_array([i], [], {}) if isinstance(i, tuple) else i for i in items]
    if any(i is None for i in inner):
        return None
    if all(isinstance(i, Num) for i in inner):
        if any(i.kind == "complex" for i in inner):
            return None
        kind = promote(*inner).kind
        return Arr({"float": "float64", "int": "int64", "bool": "bool"}[kind],
                   (len(inner) == 1,))
    return _stack([tuple(inner)], [None, 0], {})


def _slice(args, consts, kwargs):
    """``slice(a, b)``: itself where its bounds are constants, else a slice of unknown
    length (``slice(_UNKNOWN)``)."""
    return slice(_UNKNOWN) if any(c is _UNKNOWN for c in consts) else slice(*consts)


def _broadcast(args, consts, kwargs):
    return promote(*args)


def _times(args, consts, kwargs):
    """``a * b``; a list times a count is a :class:`Seq` of its items."""
    for seq, count in (args, args[::-1]):
        if count == INT and isinstance(seq, (tuple, Seq)):
            items = seq if isinstance(seq, tuple) else (seq.item,)
            item = items[0] if items else None
            for other in items[1:]:
                item = join(item, other)
            return Seq(item) if item is not None else None
    return promote(*args)


def _divide(args, consts, kwargs):
    return floating(promote(*args))


def _compare(args, consts, kwargs):
    return with_dtype(promote(*args), "bool")


def _first(args, consts, kwargs):
    return args[0]


def _to_float(args, consts, kwargs):
    return floating(args[0])


def _number(kind: str):
    return lambda args, consts, kwargs: Num(kind)


def _subscript(args, consts, kwargs):
    """``x[index]``: basic indexing (integers, slices, ``None``, ``...``) by the rules."""
    x, index = args[0], consts[1]
    if isinstance(x, tuple) and isinstance(index, int) and not isinstance(index, bool):
        return x[index]
    if isinstance(x, Struct):  # an item of a container of parameters (or tangents)
        if x.kind == "namedtuple" and isinstance(index, int) and not isinstance(index, bool):
            return x.items[index]
        return x.items[x.keys.index(index)] if index in x.keys else None
    if isinstance(x, Seq) and (isinstance(index, int) or args[1] == INT):
        return x.item
    if not isinstance(x, Arr):
        return None
    if index is _UNKNOWN and isinstance(args[1], tuple):  # ``x[i, 0]``, ``x[:, i]``
        index = tuple(0 if i == INT else i for i in args[1])
    items = index if isinstance(index, tuple) else (index,)
    if any(i is _UNKNOWN for i in items):
        if len(items) == 1 and isinstance(args[1], Num) and args[1].kind in ("int", "bool"):
            return Arr(x.dtype, x.ones[1:]) if x.ones[1:] else Arr(x.dtype, ())
        if len(items) == 1 and isinstance(args[1], Arr) and x.ndim:
            return _indexed_by_array(x, args[1])
        return None
    ones, dims = [], list(x.ones)
    expanded = []
    for i in items:
        if i is Ellipsis:
            expanded += [slice(None)] * (len(dims) - sum(1 for j in items if j is not None
                                                        and j is not Ellipsis))
        else:
            expanded.append(i)
    arrays = [i for i in expanded if isinstance(i, Arr)]
    if arrays and (len(arrays) > 1 or not arrays[0].dtype.startswith(("int", "uint"))
                   or any(isinstance(i, int) for i in expanded)):
        return None  # (NumPy moves the dimensions of separated array indices first)
    for i in expanded:
        if i is None:
            ones.append(True)
        elif isinstance(i, Arr):  # ``x[:, idx]``: idx's dimensions in place of one
            dims.pop(0)
            ones.extend(i.ones)
        elif isinstance(i, bool) or not isinstance(i, (int, slice)):
            return None
        elif isinstance(i, int):
            dims.pop(0)
        else:
            ones.append(_slice_ones(i, dims.pop(0)))
    return Arr(x.dtype, tuple(ones + dims))


def _indexed_by_array(x: Arr, index: Arr):
    """``x[idx]`` of an integer array (its shape, then x's other dimensions) or a
    boolean mask (one dimension of unknown length for the mask's)."""
    if index.dtype.startswith(("int", "uint")):
        return Arr(x.dtype, index.ones + x.ones[1:])
    if index.dtype == "bool" and index.ndim <= x.ndim:
        return Arr(x.dtype, (None,) + x.ones[index.ndim:])
    return None


def _slice_ones(s: slice, one):
    """Whether ``x[s]`` along a dimension (``one``: whether it has length 1) has
    length 1: known for constant bounds, ``[:2]`` of a dimension not of length 1
    (at least 2 items, or none), ``[k:k + 1]`` and ``[-1:]`` (one item, or none)."""
    start, stop, step = s.start, s.stop, s.step
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool))
               for v in (start, stop, step)) or step not in (None, 1):
        return None
    if start in (None, 0) and stop is None:
        return one
    if start in (None, 0) and stop > 0:  # (the first items of a length-1 dimension: 1)
        return True if stop == 1 or one is True else (False if one is False else None)
    if start is not None and stop is not None and start >= 0 and stop - start == 1:
        return True
    if start is not None and start < 0 and stop is None:
        return True if start == -1 or one is True else (False if one is False else None)
    return None


def _reduce(dtype=None):
    """``sum``/``mean``/``max``… over ``axis`` (None: all), ``keepdims``."""

    def rule(args, consts, kwargs):
        x = args[0]
        if isinstance(x, tuple):  # a list or tuple: the array NumPy makes of it, if known
            x = _stack([x], [], {})
        if not isinstance(x, Arr):
            return floating(x) if dtype == "float" and x is not None else x
        axis = consts[1] if len(consts) > 1 else kwargs.get("axis")
        keep = kwargs.get("keepdims", False)
        if axis is _UNKNOWN or keep is _UNKNOWN:
            return None
        kind = x.dtype
        if dtype == "float":
            kind = floating(x).dtype
        elif dtype == "sum" and x.dtype == "bool":
            kind = "int64"
        if axis is None:
            return Arr(kind, (True,) * x.ndim) if keep else Arr(kind, ())
        axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
        ones = tuple(True if i in axes else one for i, one in enumerate(x.ones)) if keep \
            else tuple(one for i, one in enumerate(x.ones) if i not in axes)
        return Arr(kind, ones)

    return rule


def _matmul(args, consts, kwargs):
    a, b = args
    if not (isinstance(a, Arr) and isinstance(b, Arr)) or not a.ndim or not b.ndim:
        return None
    dtype = promote(with_dtype(a, a.dtype), b).dtype
    if a.ndim == 1 and b.ndim == 1:
        return Arr(dtype, ())
    if b.ndim == 1:
        return Arr(dtype, a.ones[:-1])
    if a.ndim == 1:
        return Arr(dtype, b.ones[:-2] + b.ones[-1:])
    lead = promote(Arr(dtype, a.ones[:-2]), Arr(dtype, b.ones[:-2]))
    return Arr(dtype, lead.ones + (a.ones[-2], b.ones[-1]))


def _where(args, consts, kwargs):
    """``np.where(cond, x, y)``: the dtype of ``x`` and ``y``, the shape of all three
    broadcast together."""
    if len(args) != 3 or kwargs:
        return None
    shaped, values = promote(*args), promote(*args[1:])
    if not isinstance(shaped, Arr) or values is None:
        return values
    dtype = values.dtype if isinstance(values, Arr) else numpy_dtype(values.kind)
    return Arr(dtype, shaped.ones, shaped.library)


def numpy_dtype(kind: str) -> str:
    """The dtype NumPy gives an array of Python numbers of ``kind`` ("float"…)."""
    return {"float": "float64", "int": "int64", "bool": "bool", "complex": "complex128"}[kind]


def _expand_dims(args, consts, kwargs):
    """``np.expand_dims(x, axis)`` of one constant axis: a dimension of length 1 there."""
    x, axis = args[0], consts[1] if len(consts) > 1 else kwargs.get("axis")
    if not isinstance(x, Arr) or isinstance(axis, bool) or not isinstance(axis, int) \
            or not -x.ndim - 1 <= axis <= x.ndim:
        return None
    ones = list(x.ones)
    ones.insert(axis % (x.ndim + 1), True)
    return Arr(x.dtype, tuple(ones), x.library)


def _transpose(args, consts, kwargs):
    x = args[0]
    axes = consts[1] if len(consts) > 1 else kwargs.get("axes")
    if not isinstance(x, Arr) or axes is _UNKNOWN:
        return None
    order = reversed(range(x.ndim)) if axes is None else axes
    return Arr(x.dtype, tuple(x.ones[i] for i in order))


def einsum_terms(spec: str, ndims) -> tuple[list[str], str] | None:
    """The subscripts of each operand and of the result of ``np.einsum(spec, ...)`` on
    operands of ``ndims`` dimensions, each ``...`` spelled out in letters the spec
    does not use (right-aligned, as NumPy broadcasts them) and an implicit result
    made explicit; None if the spec does not fit the operands."""
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims) or not all(c in _LETTERS or c in ",.->" for c in spec) \
            or any(t.replace("...", "").count(".") for t in terms + [output]):
        return None
    extra = [n - len(t) + 3 for t, n in zip(terms, ndims) if "..." in t]
    if any(e < 0 for e in extra):
        return None
    spare = [c for c in _LETTERS if c not in spec][:max(extra, default=0)]
    dots = "".join(spare)
    terms = [t.replace("...", dots[len(dots) - (n - len(t) + 3):]) if "..." in t else t
             for t, n in zip(terms, ndims)]
    if any(len(t) != n for t, n in zip(terms, ndims)):
        return None
    if arrow:
        return terms, output.replace("...", dots)
    letters = "".join(terms)
    return terms, dots + "".join(sorted(c for c in set(letters)
                                        if letters.count(c) == 1 and c not in dots))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum(args, consts, kwargs):
    """``np.einsum(subscripts, *operands)``: an output dimension has length 1 when it
    has in every operand, not when it has not in one."""
    spec, operands = consts[0] if consts else _UNKNOWN, args[1:]
    if kwargs.keys() - {"optimize"} or not isinstance(spec, str) or not operands \
            or not all(isinstance(a, Arr) for a in operands):
        return None
    found = einsum_terms(spec, [a.ndim for a in operands])
    if found is None:
        return None
    terms, output = found
    ones = []
    for letter in output:
        seen = [a.ones[t.index(letter)] for t, a in zip(terms, operands) if letter in t]
        ones.append(False if False in seen else True if seen and all(seen) else None)
    return Arr(promote(*operands).dtype, tuple(ones))


def _squeeze(args, consts, kwargs):
    """``np.squeeze(x, axis)``: without those dimensions (of length 1); without
    ``axis``, without every dimension known to have length 1 (unknown if one may)."""
    x = args[0]
    axis = consts[1] if len(consts) > 1 else kwargs.get("axis")
    if not isinstance(x, Arr) or axis is _UNKNOWN or kwargs.keys() - {"axis"}:
        return None
    if axis is None:
        if None in x.ones:
            return None
        return Arr(x.dtype, tuple(o for o in x.ones if not o))
    axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))} \
        if x.ndim else set()
    return Arr(x.dtype, tuple(o for i, o in enumerate(x.ones) if i not in axes))


def _arange(args, consts, kwargs):
    """``np.arange(stop)`` or ``np.arange(start, stop[, step])`` of numbers."""
    if kwargs or not args or not all(isinstance(a, Num) and a.kind in ("int", "float")
                                     for a in args):
        return None
    if any(a.kind == "float" for a in args):
        return Arr("float64", (None,))
    if all(c is not _UNKNOWN for c in consts):
        return Arr("int64", (len(range(*consts)) == 1,))
    return Arr("int64", (None,))


def _reshape(args, consts, kwargs):
    """``np.reshape(x, shape)``: a length not known when the code is generated (an
    integer computed at run time) may be 1."""
    x, shape = args[0], consts[1] if len(consts) > 1 else kwargs.get("shape")
    if shape is _UNKNOWN and len(args) > 1 and isinstance(args[1], tuple) \
            and all(n == INT for n in args[1]):
        shape = tuple(None for _ in args[1])
    if not isinstance(x, Arr) or shape is _UNKNOWN:
        return None
    shape = shape if isinstance(shape, tuple) else (shape,)
    if not all(n is None or isinstance(n, int) for n in shape):
        return None
    if shape == (-1,):
        return flattened(x)
    return Arr(x.dtype, tuple(None if n is None or n == -1 else n == 1 for n in shape))


_SYNTAX = {
    "+": _broadcast, "-": _broadcast, "*": _times, "/": _divide, "**": _broadcast,
    "//": _broadcast, "%": _broadcast, "@": _matmul,
    "<": _compare, "<=": _compare, ">": _compare, ">=": _compare, "==": _compare,
    "!=": _compare, "u-": _first, "subscript": _subscript, ".T": _transpose,
    "tuple": _tuple, "list": _tuple,
}

_RULES: dict[int, tuple] = {}
_NUMPY_LOADED = False


def register(rule, *fns) -> None:
    """``rule(args, consts, kwargs)`` gives the abstract value of a call of each of
    ``fns`` from those of its arguments (and the constant ones' values)."""
    for fn in fns:
        _RULES[id(fn)] = (fn, rule)



def _with_item(args, consts, kwargs):
    """``xs`` after ``xs[i] = v``: its items, the one written (or, at an index not
    known, each) joined with ``v``'s abstract value."""
    xs, index, value = args
    if isinstance(xs, Seq):
        return Seq(join(xs.item, value))
    if not isinstance(xs, tuple):
        return None
    i = consts[1]
    if isinstance(i, int) and -len(xs) <= i < len(xs):
        return tuple(value if k == i % len(xs) else x for k, x in enumerate(xs))
    return tuple(join(x, value) for x in xs)


register(_with_item, lists._with_item)
register(_to_float, float, math.sin, math.cos, math.tan, math.exp, math.log, math.sqrt,
          math.tanh, math.sinh, math.cosh, math.atan, math.asin, math.acos, math.erf,
          math.log1p, math.expm1, math.atan2, math.hypot, math.pow, math.lgamma, math.gamma,
          math.erfc, math.log2, math.log10, math.asinh, math.acosh, math.atanh, math.fabs)
register(_number("int"), len, int, round, math.floor, math.ceil)
register(_slice, slice)
register(lambda a, c, k: a[0].items[a[0].keys.index(c[1])] if isinstance(a[0], Struct) else None,
         getattr)  # a field of a namedtuple or dataclass of parameters
register(_broadcast, abs, builtins.min, builtins.max, operator.add, operator.sub, operator.mul,
          operator.neg, pow)


def _load_numpy_rules() -> None:
    """The rules of NumPy's functions (registered once NumPy is imported)."""
    global _NUMPY_LOADED
    import numpy as np

    _NUMPY_LOADED = True
    ufuncs = [f for f in vars(np).values() if isinstance(f, np.ufunc) and f.nout == 1]
    for f in ufuncs:
        if f.nin == 1:
            kinds = set(f.types[0].split("->")[1]) if f.types else set()
            register(_to_float if kinds <= set("efdgFDG") else _first, f)
        elif f.nin == 2:
            register(_broadcast, f)
    register(_divide, np.divide, np.true_divide, np.arctan2, np.hypot, np.logaddexp,
              np.logaddexp2, np.power)
    register(_to_float, np.sinc)
    register(_compare, np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
              np.not_equal, np.logical_and, np.logical_or, np.isnan, np.isfinite)
    register(_where, np.where)
    register(_first, np.clip, np.copy, np.negative, np.abs, np.absolute, np.real, np.imag,
              np.nan_to_num)
    register(lambda a, c, k: None if k else a[0], np.zeros_like, np.ones_like, np.full_like)
    register(_reduce("sum"), np.sum, np.prod)
    register(_reduce(), np.max, np.min, np.amax, np.amin)
    register(_reduce("float"), np.mean, np.var, np.std)
    register(_matmul, np.matmul, np.dot)
    register(_einsum, np.einsum)
    register(_squeeze, np.squeeze)
    register(_arange, np.arange)
    register(_filled, np.zeros, np.ones, np.empty)
    register(_eye, np.eye, np.identity)
    register(_taken, np.take)
    register(_concatenate, np.concatenate)
    register(_stack, np.stack)
    register(_array, np.array, np.asarray)
    register(_transpose, np.transpose)
    register(_expand_dims, np.expand_dims)
    register(_reshape, np.reshape)
    register(lambda a, c, k: tuple(INT for _ in a[0].ones) if isinstance(a[0], Arr) else None,
              np.shape)
    register(_number("int"), np.size, np.ndim)
    _load_shaping_rules()
    _load_more_numpy_rules()


# ------------------------------------------- array manipulation (rules/shaping.py)


def _array_of(a):
    """``a`` as an array's abstract value (a number as a 0-D array), or None."""
    if isinstance(a, Arr):
        return a
    if isinstance(a, Num) and a.kind in ("float", "int", "bool"):
        return Arr({"float": "float64", "int": "int64", "bool": "bool"}[a.kind], ())
    return None


def _option(consts, kwargs, position, name, default):
    """The constant value of an option passed at ``position`` or as ``name``."""
    return consts[position] if len(consts) > position else kwargs.get(name, default)


def _axis_of(axis, ndim):
    """``axis`` made non-negative, or None when it is not a valid constant axis."""
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        return None
    return axis % ndim


def _same(args, consts, kwargs):
    return args[0] if isinstance(args[0], Arr) else None


def _flattened_or_same(position, name, default):
    """A result of the input's shape, or flattened (1-D) when its ``axis`` is None."""

    def rule(args, consts, kwargs):
        a = _array_of(args[0])
        axis = _option(consts, kwargs, position, name, default)
        if a is None or axis is _UNKNOWN:
            return None
        if axis is None:
            return flattened(a)
        return a if _axis_of(axis, a.ndim) is not None else None

    return rule


def _summed_dtype(rule):
    """``rule``'s abstract value with a boolean dtype made int64, as NumPy sums them."""

    def wrapped(args, consts, kwargs):
        found = rule(args, consts, kwargs)
        return Arr("int64", found.ones) if found is not None and found.dtype == "bool" else found

    return wrapped


def _moved(args, consts, kwargs):
    a, source, destination = args[0], consts[1], consts[2]
    if not isinstance(a, Arr) or _UNKNOWN in (source, destination):
        return None
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    source = [_axis_of(s, a.ndim) for s in source]
    destination = [_axis_of(d, a.ndim) for d in destination]
    if None in source or None in destination or len(source) != len(destination):
        return None
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return Arr(a.dtype, tuple(a.ones[i] for i in order))


def _swapped(args, consts, kwargs):
    a = args[0]
    if not isinstance(a, Arr):
        return None
    first, second = (_axis_of(c, a.ndim) for c in consts[1:3])
    if first is None or second is None:
        return None
    ones = list(a.ones)
    ones[first], ones[second] = ones[second], ones[first]
    return Arr(a.dtype, tuple(ones))


def _rolled(args, consts, kwargs):
    a = args[0]
    axis, start = consts[1], _option(consts, kwargs, 2, "start", 0)
    if not isinstance(a, Arr) or not isinstance(start, int) or _axis_of(axis, a.ndim) is None:
        return None
    start = start + a.ndim if start < 0 else start
    axis = axis % a.ndim
    return _moved([a], [None, axis, start - 1 if axis < start else start], {})


def _rotated(args, consts, kwargs):
    a = args[0]
    k, axes = _option(consts, kwargs, 1, "k", 1), _option(consts, kwargs, 2, "axes", (0, 1))
    if not isinstance(a, Arr) or not isinstance(k, int) or not isinstance(axes, tuple):
        return None
    return _swapped([a], [None, *axes], {}) if k % 2 else a


def _at_least(ndim):
    def rule(args, consts, kwargs):
        a = _array_of(args[0]) if len(args) == 1 else None
        if a is None or a.ndim >= ndim:
            return a
        if ndim == 3 and a.ndim == 1:
            return Arr(a.dtype, (True,) + a.ones + (True,))
        if ndim == 3 and a.ndim == 2:
            return Arr(a.dtype, a.ones + (True,))
        return Arr(a.dtype, (True,) * (ndim - a.ndim) + a.ones)

    return rule


def _joined(items, axis):
    """The abstract value of ``np.concatenate(items, axis)`` of arrays of one ``ndim``."""
    if not items or any(a is None or a.ndim != items[0].ndim for a in items):
        return None
    axis = _axis_of(axis, items[0].ndim)
    if axis is None:
        return None
    ones = list(promote(*items).ones)
    ones[axis] = items[0].ones[axis] if len(items) == 1 else _summed_length(
        [a.ones[axis] for a in items])
    return Arr(promote(*items).dtype, tuple(ones))


def _stacked(kind):
    def rule(args, consts, kwargs):
        items = args[0] if isinstance(args[0], tuple) else None
        if not items:
            return None
        arrays = [_array_of(a) for a in items]
        if None in arrays:
            return None
        if kind == "h":
            arrays = [_at_least(1)([a], [], {}) for a in arrays]
            return _joined(arrays, 0 if arrays[0].ndim == 1 else 1)
        if kind == "v":
            return _joined([_at_least(2)([a], [], {}) for a in arrays], 0)
        if kind == "d":
            return _joined([_at_least(3)([a], [], {}) for a in arrays], 2)
        return _joined([Arr(a.dtype, (a.ones + (True,) * (2 - a.ndim))[:1] + (True,))
                        if a.ndim < 2 else a for a in arrays], 1)

    return rule


def _appended(args, consts, kwargs):
    arr, values = _array_of(args[0]), _array_of(args[1])
    axis = _option(consts, kwargs, 2, "axis", None)
    if arr is None or values is None or axis is _UNKNOWN:
        return None
    if axis is None:
        return Arr(promote(arr, values).dtype,
                   (_summed_length([flattened(arr).ones[0], flattened(values).ones[0]]),))
    return _joined([arr, values], axis)


def _repeated(args, consts, kwargs):
    a = _array_of(args[0])
    repeats, axis = consts[1], _option(consts, kwargs, 2, "axis", None)
    if a is None or axis is _UNKNOWN:
        return None
    if axis is None:
        if isinstance(repeats, int) and not isinstance(repeats, bool) and repeats != 1:
            return Arr(a.dtype, (False,))  # (0 or at least 2 copies of each item)
        return flattened(a) if repeats == 1 else Arr(a.dtype, (None,))
    axis = _axis_of(axis, a.ndim)
    if axis is None:
        return None
    ones = list(a.ones)
    if not (isinstance(repeats, int) and repeats == 1):
        ones[axis] = False if isinstance(repeats, int) and repeats > 1 else None
    return Arr(a.dtype, tuple(ones))


def _tiled(args, consts, kwargs):
    a, reps = _array_of(args[0]), consts[1]
    reps = (reps,) if isinstance(reps, int) else reps
    if a is None or not isinstance(reps, tuple) or not all(isinstance(r, int) for r in reps):
        return None
    ndim = max(a.ndim, len(reps))
    ones = (True,) * (ndim - a.ndim) + a.ones
    reps = (1,) * (ndim - len(reps)) + reps
    return Arr(a.dtype, tuple(one if r == 1 else False for one, r in zip(ones, reps)))


def _kron(args, consts, kwargs):
    a, b = _array_of(args[0]), _array_of(args[1])
    if a is None or b is None:
        return None
    ndim = max(a.ndim, b.ndim)
    sa, sb = ((True,) * (ndim - t.ndim) + t.ones for t in (a, b))
    ones = tuple(True if x is True and y is True else False if False in (x, y) else None
                 for x, y in zip(sa, sb))
    return Arr(promote(a, b).dtype, ones)


def _differenced(args, consts, kwargs):
    a = args[0]
    n, axis = _option(consts, kwargs, 1, "n", 1), _option(consts, kwargs, 2, "axis", -1)
    if not isinstance(a, Arr) or not isinstance(n, int) or _axis_of(axis, a.ndim) is None:
        return None
    ones = list(a.ones)
    ones[axis % a.ndim] = None if n else ones[axis % a.ndim]
    return Arr(a.dtype, tuple(ones))


def _without_axes(append_diagonal):
    def rule(args, consts, kwargs):
        a = args[0]
        first = _option(consts, kwargs, 2, "axis1", 0)
        second = _option(consts, kwargs, 3, "axis2", 1)
        if not isinstance(a, Arr) or a.ndim < 2:
            return None
        first, second = _axis_of(first, a.ndim), _axis_of(second, a.ndim)
        if first is None or second is None or first == second:
            return None
        rest = tuple(o for i, o in enumerate(a.ones) if i not in (first, second))
        dtype = "int64" if a.dtype == "bool" and not append_diagonal else a.dtype
        offset = _option(consts, kwargs, 1, "offset", 0)
        length = _min_length(a.ones[first], a.ones[second]) if offset == 0 else None
        return Arr(dtype, rest + ((length,) if append_diagonal else ()))

    return rule


def _diag(args, consts, kwargs):
    v, k = args[0], _option(consts, kwargs, 1, "k", 0)
    if not isinstance(v, Arr) or not isinstance(k, int):
        return None
    if v.ndim == 1:
        return Arr(v.dtype, (v.ones[0], v.ones[0]) if k == 0 else (None, None))
    if v.ndim != 2:
        return None
    return Arr(v.dtype, (_min_length(*v.ones) if k == 0 else None,))


def _min_length(m, n) -> bool | None:
    """Whether the shorter of two lengths (per ``ones``) is 1: both not 1 (0 or at
    least 2) give one not 1; 1 and 0 give 0, 1 and 3 give 1."""
    return True if m is True and n is True else False if m is False and n is False else None


def _triangle(args, consts, kwargs):
    m = args[0]
    if not isinstance(m, Arr) or not m.ndim:
        return None
    return Arr(m.dtype, m.ones + m.ones) if m.ndim == 1 else m


def _padded(args, consts, kwargs):
    a, widths = args[0], consts[1] if len(consts) > 1 else kwargs.get("pad_width", _UNKNOWN)
    if not isinstance(a, Arr) or widths is _UNKNOWN:
        return None
    import numpy as np

    try:
        widths = np.broadcast_to(np.asarray(widths, dtype=int), (a.ndim, 2))
    except (ValueError, TypeError):
        return None
    return Arr(a.dtype, tuple(one if b + e == 0 else False if b + e > 1 else None
                              for one, (b, e) in zip(a.ones, widths.tolist())))


def _gradient_type(args, consts, kwargs):
    a, axis = args[0], kwargs.get("axis")
    if not isinstance(a, Arr) or not (a.ndim == 1 or isinstance(axis, int)):
        return None
    return floating(a)


def _selected(args, consts, kwargs):
    """``np.select``: the choices' dtype, the shape all arguments broadcast to."""
    conditions, choices = (a if isinstance(a, tuple) else None for a in args[:2])
    default = args[2] if len(args) > 2 else INT
    if not conditions or not choices or default is None or None in conditions + choices:
        return None
    shape = _array_of(promote(*conditions, *choices, default))
    dtype = _array_of(promote(*choices, default))
    return Arr(dtype.dtype, shape.ones) if shape is not None and dtype is not None else None


def _cast(args, consts, kwargs):
    a, dtype = args[0], _option(consts, kwargs, 1, "dtype", _UNKNOWN)
    if not isinstance(a, Arr) or dtype is _UNKNOWN:
        return None
    import numpy as np

    return Arr(np.dtype(dtype).name, a.ones)


def _split_piece(args, consts, kwargs):
    a, how = _array_of(args[0]), _option(consts, kwargs, 2, "how", _UNKNOWN)
    axis = _option(consts, kwargs, 4, "axis", 0)
    if a is None or how is _UNKNOWN or not a.ndim:
        return None
    axis = {"hsplit": 1 if a.ndim > 1 else 0, "vsplit": 0, "dsplit": 2}.get(how, axis)
    axis = _axis_of(axis, a.ndim)
    if axis is None:
        return None
    return Arr(a.dtype, tuple(None if i == axis else o for i, o in enumerate(a.ones)))


def _load_shaping_rules() -> None:
    """The rules of the array-manipulation functions of ``rules/shaping.py``."""
    import numpy as np

    from ..rules.shaping import _piece, _scatter_along

    register(_same, np.flip, np.flipud, np.fliplr, np.roll, _scatter_along)
    register(_summed_dtype(_flattened_or_same(1, "axis", None)), np.cumsum, np.cumprod)
    register(_flattened_or_same(1, "axis", -1), np.sort)
    register(_flattened_or_same(2, "axis", -1), np.partition)
    register(_moved, np.moveaxis)
    register(_swapped, np.swapaxes)
    register(_rolled, np.rollaxis)
    register(_rotated, np.rot90)
    register(_at_least(1), np.atleast_1d)
    register(_at_least(2), np.atleast_2d)
    register(_at_least(3), np.atleast_3d)
    register(_stacked("h"), np.hstack)
    register(_stacked("v"), np.vstack, np.row_stack)
    register(_stacked("d"), np.dstack)
    register(_stacked("column"), np.column_stack)
    register(_appended, np.append)
    register(_repeated, np.repeat)
    register(_tiled, np.tile)
    register(_kron, np.kron)
    register(_differenced, np.diff)
    register(_without_axes(False), np.trace)
    register(_without_axes(True), np.diagonal)
    register(_diag, np.diag)
    register(_triangle, np.triu, np.tril)
    register(_padded, np.pad)
    register(_gradient_type, np.gradient)
    register(_selected, np.select)
    register(_cast, np.astype)
    register(_split_piece, _piece)


# ------------------------------------------- products, linear algebra, creation, signals


def _inner(args, consts, kwargs):
    """``np.inner(a, b)``: ``a``'s dimensions but the last, then ``b``'s but the last."""
    a, b = (_array_of(x) for x in args[:2])
    if a is None or b is None or kwargs:
        return None
    if not a.ndim or not b.ndim:
        return promote(a, b)
    return Arr(promote(a, b).dtype, a.ones[:-1] + b.ones[:-1])


def _tensordot(args, consts, kwargs):
    """``np.tensordot(a, b, axes)``: the free dimensions of ``a``, then of ``b``."""
    a, b = (_array_of(x) for x in args[:2])
    axes = _option(consts, kwargs, 2, "axes", 2)
    if a is None or b is None or axes is _UNKNOWN or isinstance(axes, bool):
        return None
    if isinstance(axes, int):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            return None
        summed_a, summed_b = range(a.ndim - axes, a.ndim), range(axes)
    else:
        summed_a, summed_b = ([x] if isinstance(x, int) else list(x) for x in axes)
        summed_a = [_axis_of(i, a.ndim) for i in summed_a]
        summed_b = [_axis_of(i, b.ndim) for i in summed_b]
        if None in summed_a or None in summed_b or len(summed_a) != len(summed_b):
            return None
    ones = [o for i, o in enumerate(a.ones) if i not in summed_a] \
        + [o for i, o in enumerate(b.ones) if i not in summed_b]
    return Arr(promote(a, b).dtype, tuple(ones))


def _solve(args, consts, kwargs):
    """``np.linalg.solve(a, b)``: ``b`` a vector (1-D) or a stack of matrices, the
    stacks of both broadcast (NumPy 2's rule)."""
    a, b = args[0], args[1] if len(args) > 1 else None
    if not isinstance(a, Arr) or not isinstance(b, Arr) or a.ndim < 2 or not b.ndim \
            or kwargs:
        return None
    dtype = floating(promote(a, b)).dtype
    if b.ndim == 1:
        return Arr(dtype, a.ones[:-2] + b.ones) if a.ndim == 2 else None
    stack = promote(Arr(dtype, a.ones[:-2]), Arr(dtype, b.ones[:-2]))
    return Arr(dtype, stack.ones + b.ones[-2:])


def _full(args, consts, kwargs):
    """``np.full(shape, fill_value)`` of a number (or 0-D array): its dtype."""
    fill = args[1] if len(args) > 1 else None
    if kwargs or len(args) != 2 or not _scalar(fill):
        return None
    shaped = _filled(args[:1], consts[:1], {})
    fill = _array_of(fill)
    return None if shaped is None or fill is None else Arr(fill.dtype, shaped.ones)


def _linspace(args, consts, kwargs):
    """``np.linspace(start, stop, num)`` of numbers: ``num`` float64s."""
    num = _option(consts, kwargs, 2, "num", 50)
    if kwargs.keys() - {"num", "endpoint"} or len(args) > 4 or not all(
            isinstance(a, Num) and a.kind in ("int", "float") for a in args[:2]):
        return None
    if len(args) > 2 and args[2] == INT and num is _UNKNOWN:
        return Arr("float64", (None,))
    if isinstance(num, bool) or not isinstance(num, int):
        return None
    return Arr("float64", (num == 1,))


def _delete(args, consts, kwargs):
    """``np.delete(a, obj, axis)``: flattened without ``axis``; the length along
    ``axis`` not known (3 less 2 is 1)."""
    a, axis = _array_of(args[0]), _option(consts, kwargs, 2, "axis", None)
    if a is None or axis is _UNKNOWN:
        return None
    if axis is None:
        return Arr(a.dtype, (None,))
    axis = _axis_of(axis, a.ndim)
    if axis is None:
        return None
    return Arr(a.dtype, tuple(None if i == axis else o for i, o in enumerate(a.ones)))


def _convolved(default_mode):
    """``np.convolve(a, v, mode)`` (``np.correlate``) of vectors: ``full`` has
    n + m - 1 items, ``same`` max(n, m), ``valid`` max(n, m) - min(n, m) + 1."""

    def rule(args, consts, kwargs):
        a, v = args[:2] if len(args) > 1 else (None, None)
        mode = _option(consts, kwargs, 2, "mode", default_mode)
        if not (isinstance(a, Arr) and isinstance(v, Arr) and a.ndim == v.ndim == 1) \
                or mode not in ("full", "same", "valid"):
            return None
        n, m = a.ones[0], v.ones[0]
        if mode == "full":
            length = m if n is True else n if m is True else False if n is False \
                and m is False else None
        elif mode == "same":
            length = False if False in (n, m) else True if n is True and m is True else None
        else:
            length = True if n is True and m is True else (
                False if {n, m} == {True, False} else None)
        return Arr(promote(a, v).dtype, (length,))

    return rule


def _polyval(args, consts, kwargs):
    """``np.polyval(p, x)``: ``x``'s dimensions, the dtype of both (as arrays)."""
    p, x = args[0], _array_of(args[1]) if len(args) > 1 else None
    if not isinstance(p, Arr) or p.ndim != 1 or x is None or kwargs:
        return None
    import numpy as np

    return Arr(np.result_type(p.dtype, x.dtype).name, x.ones)


def _polyder(args, consts, kwargs):
    """``np.polyder(p, m)`` of a float vector: ``m`` fewer coefficients (none for a
    constant), ``p`` itself for ``m`` 0."""
    p, m = args[0], _option(consts, kwargs, 1, "m", 1)
    if not isinstance(p, Arr) or p.ndim != 1 or p.dtype not in ("float64", "float32") \
            or isinstance(m, bool) or not isinstance(m, int) or m < 0:
        return None
    if m == 0:
        return p
    import numpy as np

    dtype = np.result_type(p.dtype, np.int64).name  # (times the integer powers)
    return Arr(dtype, (False,) if p.ones[0] is True else (None,))


def _arg_reduce(args, consts, kwargs):
    """``np.argmax(a, axis)`` (``argmin``): int64 indices, the reduction's shape."""
    found = _reduce()(args, consts, kwargs)
    return Arr("int64", found.ones) if isinstance(found, Arr) else None


def _logical_reduce(args, consts, kwargs):
    """``np.all(a, axis)`` (``any``): booleans, the reduction's shape."""
    found = _reduce()(args, consts, kwargs)
    return Arr("bool", found.ones) if isinstance(found, Arr) else None


def _rounded(args, consts, kwargs):
    """``np.round(a, decimals)``: ``a``'s abstract value (a float array stays one)."""
    return args[0] if isinstance(args[0], Arr) and not kwargs.keys() - {"decimals"} else None


def _load_more_numpy_rules() -> None:
    """Rules of products, linear algebra, creation and signal functions."""
    import numpy as np

    for f in vars(np).values():  # isnan, isinf, signbit…: boolean results
        if isinstance(f, np.ufunc) and f.nout == 1 and f.nin in (1, 2) and f.types \
                and {t.split("->")[1] for t in f.types} - {"O"} == {"?"}:
            register(_compare, f)
    register(_inner, np.inner)
    register(_tensordot, np.tensordot)
    register(_solve, np.linalg.solve)
    register(lambda a, c, k: floating(a[0]) if isinstance(a[0], Arr) and a[0].ndim >= 2
             else None, np.linalg.inv)
    register(lambda a, c, k: Arr(floating(a[0]).dtype, a[0].ones[:-2])
             if isinstance(a[0], Arr) and a[0].ndim >= 2 else None, np.linalg.det)
    register(_full, np.full)
    register(_linspace, np.linspace)
    register(_delete, np.delete)
    register(_convolved("full"), np.convolve)
    register(_convolved("valid"), np.correlate)
    register(_polyval, np.polyval)
    register(_polyder, np.polyder)
    register(_flattened_or_same(1, "axis", None), np.ravel)
    register(_arg_reduce, np.argmax, np.argmin)
    register(_logical_reduce, np.all, np.any)
    register(_rounded, np.round, np.around)
    register(lambda a, c, k: None if k else a[0], np.empty_like)
