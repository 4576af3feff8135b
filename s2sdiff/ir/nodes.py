"""The intermediate representation: structured SSA, and its text form.

Values are atoms: ``Var`` (a local, assigned once), ``Const`` or ``Global``
(a module-level object such as ``math`` or a user constant), and
expressions: an ``Op`` applies a callable or an operator to values.  In SSA
form, made from the user's code, every operand of an ``Op`` is an atom
(three-address form); the emitters build ``Op`` trees (an instantiated rule:
``math.cos(a) * y``).  Statements are ``Assign`` (to a name, or to an item:
``Item``), ``Unpack`` (a call returning a tuple), ``If`` and ``Loop`` regions
carrying their φ nodes, and, in generated derivative code, accumulations
(``x_bar += …``), tape pushes and pops, reversed loops.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Union



@dataclass(frozen=True, slots=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    value: object

    def __hash__(self) -> int:
        try:
            return hash((Const, self.value))
        except TypeError:  # a slice (Python < 3.12), an array
            return hash((Const, type(self.value)))

    def __str__(self) -> str:
        try:
            return repr(self.value)
        except ValueError:  # an int past Python's limit on decimal digits
            return hex(self.value)


@dataclass(frozen=True, slots=True)
class Global:
    """A module-level object, written in code by ``name`` (e.g. ``math``)."""

    name: str
    value: object = field(compare=False, hash=False)
    path: tuple[str, ...] = ()  # attributes read from it: ``math.pi`` has ("pi",)
    home: str | None = field(default=None, compare=False)  # module it was found in

    def __str__(self) -> str:
        return ".".join((self.name,) + self.path)

    def resolved(self, missing=None):
        """The object it names: ``value`` with the attributes of ``path`` read in turn
        (``missing`` where one is not there)."""
        obj = self.value
        for attr in self.path:
            obj = getattr(obj, attr, missing)
            if obj is missing:
                return missing
        return obj

    def __eq__(self, other):
        return (isinstance(other, Global) and other.name == self.name
                and other.path == self.path and other.value is self.value)

    def __hash__(self):
        return hash((self.name, self.path, id(self.value)))


Atom = Union[Var, Const, Global]


@dataclass(frozen=True, slots=True)
class Op:
    """An operation: ``fn(*args, **kwargs)``, written as ``syntax``.

    ``syntax`` is an operator symbol (``+``, ``u-`` for negation, ``unot``,
    ``<``, ``is``), ``call`` (``callee`` says how the callable is written),
    ``subscript`` (``args[0][args[1]]``), ``.T`` (``args[0].T``, an array's
    transpose), ``getattr`` (``args[0].name``, ``args[1]`` the name's constant), ``list``,
    ``tuple``, ``dict`` (keys and values in turn), ``ifexp``
    (``args[1] if args[0] else args[2]``, evaluated lazily), ``and``, ``or``.
    Arguments are values: atoms, or ``Op`` trees in emitted code.
    """

    fn: object = field(compare=False, hash=False)
    args: tuple
    syntax: str
    callee: Global | None = None
    kwargs: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return text(self)


@dataclass(frozen=True, slots=True)
class Callee:
    """A function the code calls as a function (``Op.fn``), not inlined: a user
    function (``source`` is its parsed source) or one s2sdiff generates
    (``source`` is None: the pipeline holds its IR under ``key``).

    Its derivatives are generated functions of their own.  ``outputs`` is the
    number of values it returns (None: one value).
    """

    name: str
    key: object
    outputs: int | None = None
    source: object = field(default=None, compare=False, hash=False, repr=False)


def call_values(op: Op) -> tuple:
    """The arguments of a call of a ``Callee``, in the order of its parameters
    (keyword-only ones last, as passed by keyword)."""
    return op.args + tuple(v for _, v in op.kwargs) if op.kwargs else op.args


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a statement comes from in the user's source."""

    filename: str
    lineno: int
    text: str


@dataclass(frozen=True, slots=True)
class Item:
    """The target ``name[index]`` of an assignment (an item of a list or array)."""

    name: str
    index: object  # a value

    def __str__(self) -> str:
        return f"{self.name}[{_index(self.index, lambda v: _text(v))}]"


@dataclass(frozen=True, slots=True)
class Assign:
    target: str | Item
    value: object  # a value: an atom or an Op
    origin: Origin | None = None
    accumulate: bool = False  # ``target += value``
    comment: str = ""

    def __str__(self) -> str:
        return f"{self.target} {'+=' if self.accumulate else '='} {self.value}"


@dataclass(frozen=True, slots=True)
class Unpack:
    """``a, (b, c) = value``: the values of a call returning a tuple, unpacked.

    ``targets`` is a tuple of names and of such tuples.
    """

    targets: tuple
    value: object  # an Op calling a Callee
    origin: Origin | None = None
    comment: str = ""

    @property
    def names(self) -> list[str]:
        """The target names, nesting flattened."""
        return _flatten(self.targets)

    def __str__(self) -> str:
        return f"{target_text(self.targets)} = {self.value}"


def _flatten(targets) -> list[str]:
    if isinstance(targets, str):
        return [targets]
    return [n for t in targets for n in _flatten(t)]


def target_text(targets, top: bool = True) -> str:
    """``a, (b, c)``: the text of nested targets."""
    if isinstance(targets, str):
        return targets
    text = ", ".join(target_text(t, False) for t in targets) + ("," if len(targets) == 1 else "")
    return text if top else f"({text})"


@dataclass(frozen=True, slots=True)
class Phi:
    """``target = φ(first, second)``: then/else values of an If; init/next of a Loop."""

    target: str
    first: Atom
    second: Atom

    def __str__(self) -> str:
        return f"{self.target} = φ({self.first}, {self.second})"


@dataclass(frozen=True, slots=True)
class If:
    cond: Atom
    then: tuple
    orelse: tuple
    phis: tuple[Phi, ...] = ()
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Loop:
    """``for var in range(*args)`` (kind "for") or ``while cond`` (kind "while").

    ``phis`` are the loop-carried values, at the header.  In generated
    code, ``kind`` may also be "reversed" (``for var in reversed(range(*args))``)
    or "repeat" (``for _ in range(args[0])``).
    """

    kind: str
    var: str | None
    args: tuple
    body: tuple
    phis: tuple[Phi, ...] = ()
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Push:
    """``_tape.append(values)`` (a tuple when several)."""

    tape: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        values = ", ".join(self.values)
        return f"{self.tape}.append({values if len(self.values) == 1 else f'({values})'})"


@dataclass(frozen=True, slots=True)
class Pop:
    """``values = _tape.pop()``."""

    tape: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{', '.join(self.values)} = {self.tape}.pop()"


@dataclass(frozen=True, slots=True)
class Append:
    """``target.append(value)`` on a list the function built."""

    target: str
    value: object
    origin: Origin | None = None


def make_list(*items):
    """The operation behind a list display ``[a, b, c]``."""
    return list(items)


def new_tape() -> Op:
    """``[]``: a list used as a stack (a tape of the reverse sweep)."""
    return Op(make_list, (), "tape")


def is_tape(value) -> bool:
    return type(value) is Op and value.syntax == "tape"


def make_tuple(*items):
    """The operation behind an index tuple built at run time: ``x[i, 0]``."""
    return tuple(items)


def make_dict(*pairs):
    """The operation behind a dict display ``{k: v, ...}`` (arguments: k, v, k, v…)."""
    return dict(zip(pairs[::2], pairs[1::2]))


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line in generated code."""

    text: str


@dataclass(frozen=True, slots=True)
class Return:
    value: object  # Atom or tuple of atoms


@dataclass(frozen=True, slots=True)
class Function:
    """A function of the IR.  A gradient has two sections: ``body``, the forward
    sweep, then ``reverse``, the reverse sweep; other functions have ``body`` only.

    ``facts`` holds what passes know about names: ``adjoints`` (the adjoint
    variables of a gradient), ``tape`` (the name of its shared tape).
    """

    name: str
    params: tuple[str, ...]
    body: tuple
    result: object  # Atom or tuple of Atoms
    docstring: str = ""
    signature: ast.arguments | None = field(default=None, compare=False, repr=False)
    reverse: tuple = ()
    facts: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def statements(self) -> tuple:
        """Both sections, in the order they run."""
        return self.body + self.reverse if self.reverse else self.body


Stmt = Union[Assign, Unpack, Append, If, Loop, Push, Pop, Return]


def walk(body) -> "list":
    """Every statement of ``body``, nested regions included, in order."""
    kinds = set(map(type, body))  # straight-line code: no Python-level loop
    if If not in kinds and Loop not in kinds:
        return list(body)
    out = []
    for s in body:
        out.append(s)
        kind = type(s)
        if kind is If:
            out += walk(s.then)
            out += walk(s.orelse)
        elif kind is Loop:
            out += walk(s.body)
    return out


def map_statements(stmts, change) -> tuple:
    """``stmts`` with ``change(s)`` (a statement, or a tuple of them) in place of each
    statement that is not a branch or a loop, those nested in them included."""
    out = []
    for s in stmts:
        kind = type(s)
        if kind is If:
            out.append(replace(s, then=map_statements(s.then, change),
                               orelse=map_statements(s.orelse, change)))
        elif kind is Loop:
            out.append(replace(s, body=map_statements(s.body, change)))
        else:
            found = change(s)
            out += found if isinstance(found, tuple) else [found]
    return tuple(out)


def writes(s) -> list[str]:
    """The names statement ``s`` itself assigns (not those of statements inside it)."""
    kind = type(s)
    if kind is Assign:
        return [s.target] if type(s.target) is str else []  # an item changes, not a name
    if kind is Unpack:
        return s.names
    if kind is Pop:
        return list(s.values)
    if kind is If:
        return [p.target for p in s.phis]
    if kind is Loop:
        return [p.target for p in s.phis] + ([s.var] if s.var else [])
    return []


def value_reads(value) -> list[str]:
    """Every occurrence of a local name in a value (a name read twice is listed twice)."""
    kind = type(value)
    if kind is Var:
        return [value.name]
    if kind is Op:
        names = []
        for a in value.args:
            names += [a.name] if type(a) is Var else value_reads(a) if type(a) is Op else ()
        for _, a in value.kwargs:
            names += value_reads(a)
        return names
    if kind is tuple:
        return [n for v in value for n in value_reads(v)]
    return []


def reads(s) -> list[str]:
    """The names statement ``s`` itself reads (not those of statements inside it),
    once per occurrence, φ operands included."""
    kind = type(s)
    if kind is Assign:
        names = value_reads(s.value)
        target = s.target
        if type(target) is Item:  # ``xs_bar[i] += …`` reads the list and the index
            names += [target.name] + value_reads(target.index)
        elif s.accumulate:
            names.append(target)
        return names
    if kind is Unpack:
        return value_reads(s.value)
    if kind is Append:
        return value_reads(s.value) + [s.target]
    if kind is Push:
        return list(s.values) + [s.tape]
    if kind is Pop:
        return [s.tape]
    if kind is If:
        return value_reads(s.cond) + [n for p in s.phis for n in value_reads((p.first, p.second))]
    if kind is Loop:
        return value_reads(tuple(s.args)) + [n for p in s.phis
                                             for n in value_reads((p.first, p.second))]
    return []


def exposed(stmts, after=()) -> list[str]:
    """The names ``stmts`` (then a read of the names ``after``) may read before
    writing them: the block's upward-exposed uses, what must hold a value when it
    starts, in the order first read."""
    found: dict[str, None] = {}
    defined: set[str] = set()
    _exposed(stmts, defined, found)
    found.update((n, None) for n in after if n not in defined and n not in found)
    return list(found)


def _exposed(stmts, defined: set, found: dict) -> None:
    def read(names, known):
        for n in names:
            if n not in known:
                found.setdefault(n)

    for s in stmts:
        kind = type(s)
        if kind is If:
            read(value_reads(s.cond), defined)
            sides = []
            for block, pick in ((s.then, "first"), (s.orelse, "second")):
                known = set(defined)
                _exposed(block, known, found)
                read([n for p in s.phis for n in value_reads(getattr(p, pick))], known)
                sides.append(known)
            defined |= (sides[0] & sides[1]) | {p.target for p in s.phis}
        elif kind is Loop:
            read(value_reads(tuple(s.args)) + [n for p in s.phis for n in value_reads(p.first)],
                 defined)
            inside = defined | {p.target for p in s.phis} | ({s.var} if s.var else set())
            _exposed(s.body, inside, found)
            read([n for p in s.phis for n in value_reads(p.second)], inside)
            defined |= {p.target for p in s.phis}
        else:
            read(reads(s), defined)
            defined.update(writes(s))


def local_names(fn: Function) -> set[str]:
    """The parameters of ``fn`` and every name its statements assign."""
    names = set(fn.params)
    for s in walk(fn.statements):
        names.update(writes(s))
    return names


def atoms_of(value) -> list:
    """The atoms an Assign value or a result reads."""
    if isinstance(value, Op):
        return list(value.args) + [v for _, v in value.kwargs]
    if isinstance(value, tuple):
        return [a for v in value for a in atoms_of(v)]
    if isinstance(value, (Var, Const, Global)):
        return [value]
    return []


def format_function(fn: Function) -> str:
    """The text form of the IR, for ``show(stage=...)``."""
    params = ", ".join(fn.params)
    lines = [f"def {fn.name}({params}):"]
    lines += _format_body(fn.body, 1)
    if fn.reverse:
        lines.append("    # reverse pass")
        lines += _format_body(fn.reverse, 1)
    result = fn.result
    text = ", ".join(map(str, result)) if isinstance(result, tuple) else str(result)
    lines.append(f"    return {text}")
    return "\n".join(lines)


def _format_body(body, depth: int) -> list[str]:
    pad = "    " * depth
    lines = []
    for s in body:
        if isinstance(s, If):
            lines.append(f"{pad}if {s.cond}:")
            lines += _format_body(s.then, depth + 1) or [pad + "    pass"]
            if s.orelse:
                lines.append(f"{pad}else:")
                lines += _format_body(s.orelse, depth + 1)
            lines += [f"{pad}{phi}" for phi in s.phis]
        elif isinstance(s, Loop):
            lines += [f"{pad}{phi}  # loop header" for phi in s.phis]
            args = ", ".join(map(str, s.args))
            body = s.body
            if s.kind == "while":
                lines.append(f"{pad}while {args}:")
            elif s.kind == "replay":  # its first statement, the pop, is the loop's target
                lines.append(f"{pad}for {', '.join(body[0].values)} in reversed({args}):")
                body = body[1:]
            else:
                head = f"range({args})"
                head = f"reversed({head})" if s.kind == "reversed" else head
                lines.append(f"{pad}for {s.var or '_'} in {head}:")
            lines += _format_body(body, depth + 1) or [pad + "    pass"]
        elif isinstance(s, Append):
            lines.append(f"{pad}{s.target}.append({s.value})")
        else:
            lines.append(f"{pad}{s}")
    return lines


ATOM, UNARY, POWER, COMPARE = 13, 11, 12, 4
PRECEDENCE = {"|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10,
              "//": 10, "%": 10, "@": 10, "**": POWER, "ifexp": 0, "or": 1, "and": 2,
              "unot": 3, "u-": UNARY, "u~": UNARY, "u+": UNARY}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!=", "is", "is not", "in", "not in"}
PREFIX = {"u-": "-", "u~": "~", "u+": "+", "unot": "not "}


# --- the text of values ---------------------------------------------------------------


def text(v) -> str:
    """The Python text of value ``v`` (names as they are, globals as they are written)."""
    return _text(v)[0]


def precedence(v) -> int:
    """How tightly the top of value ``v`` binds (higher: tighter)."""
    if type(v) is Op:
        if v.syntax in COMPARISONS:
            return COMPARE
        return PRECEDENCE.get(v.syntax, ATOM)
    if type(v) is Const and isinstance(v.value, (int, float, complex)) \
            and not isinstance(v.value, bool) and _number_text(v.value).startswith("-"):
        return UNARY
    return ATOM


def _number_text(value) -> str:
    try:
        return repr(value)
    except ValueError:  # an int past Python's limit on decimal digits
        return hex(value)


def _text(v, atom=None) -> tuple[str, int]:
    """Text and precedence; ``atom(a)`` writes the atoms (default: as they are)."""
    if type(v) is not Op:
        return (atom(v) if atom else _atom_text(v)), precedence(v)
    return op_text(v, lambda a: _text(a, atom))


def _atom_text(a) -> str:
    if type(a) is Const:
        return index_text(a) if isinstance(a.value, (slice, tuple)) else _number_text(a.value)
    return str(a)


def op_text(op: Op, operand) -> tuple[str, int]:
    """The text of ``op`` and its precedence, ``operand(v)`` giving each operand's."""
    s = op.syntax
    if s == "call":
        args = [operand(a)[0] for a in op.args] + [f"{k}={operand(a)[0]}" for k, a in op.kwargs]
        return f"{operand(op.callee)[0]}({', '.join(args)})", ATOM
    if s == "tape":
        return "[]", ATOM
    if s == "dict":
        pairs = [f"{operand(k)[0]}: {operand(v)[0]}" for k, v in zip(op.args[::2], op.args[1::2])]
        return "{" + ", ".join(pairs) + "}", ATOM
    if s in ("list", "tuple"):
        items = [operand(a)[0] for a in op.args]
        if s == "list":
            return f"[{', '.join(items)}]", ATOM
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})", ATOM
    if s == "subscript":
        base, prec = operand(op.args[0])
        return f"{_wrapped(base, prec < ATOM)}[{_index(op.args[1], operand)}]", ATOM
    if s == ".T":
        base, prec = operand(op.args[0])
        return f"{_wrapped(base, prec < ATOM)}.T", ATOM
    if s == "getattr":  # a field of a namedtuple or dataclass: ``params.W``
        from ..safe import identifier

        base, prec = operand(op.args[0])
        return f"{_wrapped(base, prec < ATOM)}.{identifier(op.args[1].value, 'a field name')}", ATOM
    if s == "ifexp":
        test, body, orelse = (operand(a) for a in op.args)
        return (f"{_wrapped(body[0], body[1] <= 0)} if {_wrapped(test[0], test[1] <= 0)} "
                f"else {orelse[0]}"), 0
    if s in ("and", "or"):
        prec = PRECEDENCE[s]
        parts = [operand(a) for a in op.args]
        return f" {s} ".join(_wrapped(t, p <= prec) for t, p in parts), prec
    if s in PREFIX:
        prec = PRECEDENCE[s]
        inner, p = operand(op.args[0])
        return PREFIX[s] + _wrapped(inner, p < prec or (p == prec and s == "unot" and False)), prec
    prec = COMPARE if s in COMPARISONS else PRECEDENCE[s]
    (left, lp), (right, rp) = operand(op.args[0]), operand(op.args[1])
    if lp < prec or (lp == prec and (s == "**" or prec == COMPARE)):
        left = f"({left})"  # (-2) ** x, (a < b) < c
    if rp < prec or (rp == prec and s != "**"):
        right = f"({right})"  # a - (b - c)
    return f"{left} {s} {right}", prec


def _wrapped(text_: str, paren: bool) -> str:
    return f"({text_})" if paren else text_


def _index(v, operand) -> str:
    """The text inside ``[...]``: a slice or tuple constant as index syntax."""
    if type(v) is Const:
        return index_text(v)
    if type(v) is Op and v.syntax == "tuple":
        items = [_index(a, operand) for a in v.args]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    if type(v) is Op and v.syntax == "call" and v.fn is slice:
        parts = ["" if type(a) is Const and a.value is None else operand(a)[0] for a in v.args]
        return ":".join(parts[:2]) + (f":{parts[2]}" if len(parts) > 2 and parts[2] else "")
    return operand(v)[0]


def index_text(v) -> str:
    """An index constant as subscript syntax: ``1:3``, ``:, 0``, ``..., None``."""
    value = v.value if type(v) is Const else v
    if isinstance(value, slice):
        parts = ["" if p is None else _number_text(p) for p in (value.start, value.stop)]
        step = "" if value.step is None else f":{_number_text(value.step)}"
        return ":".join(parts) + step
    if isinstance(value, tuple):
        items = [index_text(Const(x)) for x in value]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    if value is Ellipsis:
        return "..."
    return _number_text(value) if isinstance(value, (int, float)) else repr(value)
