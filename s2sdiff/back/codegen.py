"""Gradient IR → Python source, and source → a live function.

Module-level objects the code refers to (``math``, ``np``, the user's
constants) are bound to names here; a name already used for something else
gets a suffix.  The source is registered with ``linecache`` under a stable
file name, so tracebacks, ``inspect.getsource`` and pdb show it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import importlib
import inspect
from dataclasses import dataclass, field

from . import files, fold
from .. import ir, safe
from ..deep import deep
from ..emit.templates import fold_numbers
from ..front import sourcelines
from ..ir.expr import ATOM, UNARY, index_text, op_text, precedence
from .importpath import GENERATED, import_path

_INDENT = "    "


@dataclass
class Module:
    """Generated source and the objects its names are bound to."""

    source: str
    namespace: dict = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    imports: tuple[int, int] = (0, 0)  # the lines import_lines wrote: the first's index, count


class Binder:
    """Chooses the names of module-level objects, avoiding local names."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self.bound: dict[str, object] = {}
        self.homes: dict[str, str | None] = {}
        self.original: dict[str, str] = {}
        self.submodules: set[str] = set()  # ``pkg.sub`` read as ``pkg.sub.x``: imported

    def read_through(self, value: object, path: tuple[str, ...]) -> None:
        """Note the submodules the attribute path ``path`` of ``value`` passes through."""
        module = value
        for attr in path:
            if not inspect.ismodule(module):
                return
            sub = getattr(module, attr, None)
            if not inspect.ismodule(sub) or sub.__name__ != f"{module.__name__}.{attr}":
                return
            self.submodules.add(sub.__name__)
            module = sub

    def bind(self, name: str, value: object, home: str | None = None) -> str:
        candidate, n = name, 0
        while True:
            if candidate in self.bound and self.bound[candidate] is value:
                return candidate
            if candidate not in self.bound and candidate not in self.taken:
                self.bound[candidate] = value
                self.homes[candidate] = home
                self.original[candidate] = name
                return candidate
            n += 1
            candidate = f"{name}_{n}"


def render(functions: list[ir.Function], header: str = "", import_homes: bool = False,
           helpers: tuple = (), jit: str | None = None) -> Module:
    """The Python module holding ``functions``.

    With ``import_homes``, constants of a user module (``G = 9.81``) are
    imported from it (``from mymodule import G``) instead of copied.
    ``helpers`` are copied in under their own names (a wrapper written as
    text calls them).  ``jit`` (``"numba.njit"``) decorates each function.
    """
    taken = set().union(*(ir.local_names(f) for f in functions), (f.name for f in functions))
    binder = Binder(taken)
    for fn in helpers:  # first, so that they keep their names
        binder.bound[fn.__name__] = fn
        binder.homes[fn.__name__] = None
        binder.original[fn.__name__] = fn.__name__
    bodies = [_Printer(binder).function(f) for f in functions]
    if jit:
        module, _, rest = jit.partition(".")
        name = binder.bind(module, importlib.import_module(module))
        bodies = [[f"@{name}.{rest}"] + body for body in bodies]
    lines = []
    if header:
        lines.append(safe.docstring(header))
    helpers = helper_sources(binder)
    imports = import_lines(binder, import_homes)
    if imports:
        lines += [""] if header else []
        first = sum(line.count("\n") + 1 for line in lines)
        lines += imports
    for text in helpers:
        lines += ["", ""] + text
    for body in bodies:
        lines += ["", ""] + body
    source = "\n".join(lines).lstrip("\n") + "\n"
    block = (first, len(imports)) if imports else (0, 0)
    return Module(source, dict(binder.bound), [f.name for f in functions], block)


def helper_sources(binder: Binder) -> list[list[str]]:
    """The source of each helper the code calls (e.g. ``_unbroadcast``), copied in.

    Helpers use NumPy as ``np``, which is bound here for those that read it.
    """
    done: set[str] = set()
    while True:  # helpers may call other helpers of their module
        todo = sorted(n for n, v in binder.bound.items()
                      if getattr(v, "__s2sdiff_helper__", False) and n not in done)
        if not todo:
            break
        for name in todo:
            done.add(name)
            value = binder.bound[name]
            names = _names_read(value.__code__)
            for used in sorted(names):
                other = value.__globals__.get(used)
                if getattr(other, "__s2sdiff_helper__", False):
                    binder.bind(used, other)
            if "np" in names:
                binder.bind("np", importlib.import_module("numpy"))
    out = []
    for name in sorted(done):
        lines = inspect.getsource(binder.bound[name]).splitlines()
        out.append([ln for ln in lines if not ln.startswith("@")])
    return out


def _names_read(code) -> set[str]:
    """The global names ``code`` reads, with those of the code nested in it (a list
    comprehension is a code object of its own before Python 3.12)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names_read(const)
    return names


def import_lines(binder: Binder, import_homes: bool = False) -> list[str]:
    """``import`` lines that bind every module-level name the code uses.

    Every module name, name and value is written through ``safe``: what it
    cannot write exactly raises ``safe.UnsafeError``.
    """
    while True:  # writing a value may bind a name (``np`` for ``np.float64(1.5)``)
        names = sorted(binder.bound)
        lines = _import_lines(binder, names, import_homes)
        if len(binder.bound) == len(names):
            return lines


def _import_lines(binder: Binder, names: list[str], import_homes: bool) -> list[str]:
    """The lines, in groups: modules, ``from`` imports, values.  What cannot be
    imported by a valid name is refused for the command (``import_homes``: its
    modules must run on their own) and left to the namespace for the API."""
    modules, froms, values = [], [], []

    def bound_at_run_time(name: str, value: object) -> None:
        # a closure value or an object with no importable name: bound when compiled
        values.append(f"# {name}: {safe.comment(type(value).__qualname__)} bound at run time")

    def imported(module: str, original: str, name: str, value: object) -> None:
        try:
            froms.append(_from(module, original, name))
        except safe.UnsafeError:
            if import_homes:
                raise
            bound_at_run_time(name, value)

    for name in names:
        value = binder.bound[name]
        if getattr(value, "__s2sdiff_helper__", False) or _is_builtin(name, value):
            continue
        if inspect.ismodule(value) and not import_homes and not _importable(value.__name__):
            bound_at_run_time(name, value)
            continue
        if inspect.ismodule(value):
            real = _module_name(value.__name__, name)
            subs = sorted(_module_name(m, name) for m in binder.submodules
                          if m.startswith(real + "."))
            if real != name or not subs:  # ``import pkg.sub`` binds ``pkg`` too
                modules.append(f"import {real}" if real == name else f"import {real} as {name}")
            modules += [f"import {m}" for m in subs]
            continue
        path = import_path(value)
        if path is not None:
            imported(path[0], path[1], name, value)
            continue
        home = binder.homes.get(name)
        literal = _literal(value, binder)
        if literal is not None and (not import_homes or not home or home == "__main__"
                                    or not _importable(home)):
            values.append(f"{name} = {literal}")
        elif not home or home == "__main__":
            bound_at_run_time(name, value)
        else:
            imported(home, binder.original[name], name, value)
    return modules + froms + values


def _is_builtin(name: str, value: object) -> bool:
    """A builtin under its own name needs no import."""
    return getattr(builtins, name, None) is value


def _literal(value: object, binder: Binder) -> str | None:
    """The source of a number, string or tuple of them (numpy scalars included), or None."""
    if not isinstance(value, (int, float, complex, str, bytes, tuple)) and value is not None \
            and type(value).__module__ != "numpy":
        return None
    try:
        return safe.constant(value, lambda obj, name: binder.bind(name, obj))
    except safe.UnsafeError:
        return None


def _importable(module: str) -> bool:
    return all(safe.is_identifier(p) for p in module.split("."))


def _module_name(module: str, name: str) -> str:
    try:
        return safe.dotted_name(module)
    except safe.UnsafeError:
        raise safe.UnsafeError(f"the generated code must import {name!r} from the module "
                               f"{module!r}, which Python cannot import by that name (a "
                               "module name is identifiers joined by dots)") from None


def _from(module: str, original: str, name: str) -> str:
    """``from module import original as name``, each part checked."""
    module = _module_name(module, name)
    safe.identifier(original, "an importable name")
    return f"from {module} import {original}" + (f" as {name}" if original != name else "")


class _Printer:
    def __init__(self, binder: Binder):
        self.binder = binder
        self.folded: set[int] = set()
        self.pending: dict[str, _Folded] = {}  # folded values not yet written
        self.comments: list[str] = []  # of the folded values a statement consumed
        self.last_comment = ""  # of the statement printed just before

    def function(self, fn: ir.Function) -> list[str]:
        fn = fold.branch_results(fold.while_headers(fn))
        self.folded, self.pending = fold.plan(fn), {}
        lines = [f"def {safe.identifier(fn.name, 'a function name')}({self.signature(fn)}):"]
        if fn.docstring:
            lines.append(_INDENT + safe.docstring(fn.docstring))
        if fn.body or not fn.reverse:
            lines += self.body(fn.body, 1)
        if fn.reverse:
            lines.append(f"{_INDENT}# reverse pass")
            lines += self.body(fn.reverse, 1)
        lines.append(f"{_INDENT}return {self.result(fn.result)}")
        return lines

    def signature(self, fn: ir.Function) -> str:
        if fn.signature is None:
            return ", ".join(fn.params)
        args = copy.deepcopy(fn.signature)
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            a.annotation = None
        return ast.unparse(args)

    def result(self, value, top: bool = True) -> str:
        if not isinstance(value, tuple):
            return self.atom(value)
        items = [self.result(v, top=False) for v in value]
        text = ", ".join(items) + ("," if len(items) == 1 else "")
        return text if top else f"({text})"

    # values
    def atom(self, a) -> str:
        return self.text(a)

    def text(self, v) -> str:
        """The text of value ``v``, the folded values it reads written in, globals bound."""
        return self.written(self.unfolded(v))[0]

    def unfolded(self, v):
        """``v`` with the folded values it reads put in (each used once, so taken away)."""
        pending = self.pending
        if not pending or pending.keys().isdisjoint(ir.value_reads(v)):
            return v
        numbers = []

        def take(name: str):
            folded = pending.pop(name)
            if folded.comment:
                self.comments.append(folded.comment)
            numbers.append(type(folded.value) is ir.Const)
            return folded.value

        v = _put(v, pending, take)
        return fold_numbers(v) if any(numbers) else v

    def written(self, v) -> tuple[str, int]:
        """Text and precedence of a value with nothing left to fold in."""
        if type(v) is ir.Op:
            return op_text(v, self.written)
        if type(v) is ir.Var:
            return v.name, precedence(v)
        text = self.constant_or_global(v)
        return text, (UNARY if text.startswith("-") else ATOM)

    def constant_or_global(self, a) -> str:
        if isinstance(a, ir.Global):
            if a.home == "builtins" and self.binder.bind(a.name, a.value, a.home) == a.name:
                return ".".join((a.name,) + a.path)
            name = self.binder.bind(a.name, a.value, a.home)
            self.binder.read_through(a.value, a.path)
            return ".".join((name,) + a.path)
        return self.constant(a.value)

    def constant(self, value) -> str:
        """A constant as an argument: slices and ``...`` (in index tuples) too."""
        if isinstance(value, tuple) and any(isinstance(v, slice) or v is Ellipsis for v in value):
            items = [self.constant(v) for v in value]
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if isinstance(value, slice):
            return f"slice({', '.join(self.constant(p) for p in (value.start, value.stop, value.step))})"
        if value is Ellipsis:
            return "..."
        return safe.constant(value, self.name_of)

    def name_of(self, obj: object, name: str) -> str:
        """The name the module binds ``obj`` to (``float`` for ``float('inf')``)."""
        return self.binder.bind(name, obj)

    def value(self, v) -> str:
        return self.text(v)

    def item(self, target: ir.Item) -> str:
        """``name[index]``, the target of an item assignment."""
        index = self.unfolded(target.index)
        parts = index.args if type(index) is ir.Op and index.syntax == "tuple" else (index,)
        text = index_text(index) if type(index) is ir.Const else ", ".join(
            self.written(part)[0] for part in parts)
        return f"{target.name}[{text}]"

    # statements
    def body(self, stmts, depth: int, tail=()) -> list[str]:
        lines = []
        self.last_comment = ""
        for s in stmts:
            lines += self.stmt(s, depth)
        self.last_comment = ""
        lines += self.copies(tail, depth)
        return lines or [f"{_INDENT * depth}pass"]

    def copies(self, pairs, depth: int) -> list[str]:
        """φ copies; they happen at once, so a swap becomes one tuple assignment."""
        pairs = [(t, v) for t, v in pairs if v != ir.Var(t)]
        if not pairs:
            return []
        pad = _INDENT * depth
        texts = [(t, self.atom(v), v) for t, v in pairs]  # (a folded copy may read t itself)
        texts = [(t, text, v) for t, text, v in texts if text != t]
        # fold.plan writes a value into a copy only where no earlier copy assigns
        # what it reads, so only plain names need looking at here
        earlier: set[str] = set()
        for t, _, v in texts:
            if isinstance(v, ir.Var) and v.name in earlier:  # a swap: all at once
                left = ", ".join(t for t, _, _ in texts)
                right = ", ".join(text for _, text, _ in texts)
                return [f"{pad}{left} = {right}"]
            earlier.add(t)
        return [f"{pad}{t} = {text}" for t, text, _ in texts]

    def stmt(self, s, depth: int) -> list[str]:
        pad = _INDENT * depth
        if isinstance(s, ir.Assign):
            if id(s) in self.folded:
                self.hold(s)
                return []
            op = "+=" if s.accumulate else "="
            self.comments = []
            target = s.target if isinstance(s.target, str) else self.item(s.target)
            value = self.unfolded(s.value)
            if type(value) is ir.Op and getattr(value.fn, "__s2sdiff_assert__", False):
                return [f"{pad}assert {', '.join(self.written(a)[0] for a in value.args)}"]
            positive = _negation_of(value) if s.accumulate else None
            if positive is not None:
                op, value = "-=", positive  # x_bar -= …, not x_bar += -(…) nor += a * -b
            line = f"{pad}{target} {op} {self.written(value)[0]}"
            comment = s.comment or next(iter(self.comments), "")
            shown, self.last_comment = self.last_comment, comment  # once per run of lines
            if comment and comment != shown:
                line += f"  # {safe.comment(comment, safe.COMMENT_WIDTH)}"
            return [line]
        self.last_comment = ""

        if isinstance(s, ir.Unpack):
            self.comments = []
            line = f"{pad}{ir.target_text(s.targets)} = {self.value(s.value)}"
            comment = s.comment or next(iter(self.comments), "")
            return [line + (f"  # {safe.comment(comment, safe.COMMENT_WIDTH)}" if comment else "")]
        if isinstance(s, ir.Comment):
            return [f"{pad}# {safe.comment(s.text, safe.COMMENT_WIDTH)}"]
        if isinstance(s, ir.Push):
            values = ", ".join(s.values)
            return [f"{pad}{s.tape}.append({values if len(s.values) == 1 else '(' + values + ')'})"]
        if isinstance(s, ir.Pop):
            if not s.values:
                return [f"{pad}{s.tape}.pop()"]
            return [f"{pad}{', '.join(s.values)} = {s.tape}.pop()"]
        if isinstance(s, ir.Append):
            return [f"{pad}{s.target}.append({self.atom(s.value)})"]
        if isinstance(s, ir.If):
            return self.if_(s, depth)
        if isinstance(s, ir.Loop):
            return self.loop(s, depth)
        raise TypeError(s)

    def hold(self, s: ir.Assign) -> None:
        """Keep the value of a folded assignment (what it folds in taken now) for its use."""
        self.comments = []
        value = self.unfolded(s.value)
        comment = s.comment or next(iter(self.comments), "")
        self.pending[s.target] = _Folded(value, comment)

    def if_(self, s: ir.If, depth: int) -> list[str]:
        pad = _INDENT * depth
        then_tail = [(p.target, p.first) for p in s.phis]
        else_tail = [(p.target, p.second) for p in s.phis]
        then = self.body(s.then, depth + 1, then_tail)
        orelse = self.body(s.orelse, depth + 1, else_tail)
        cond = self.atom(s.cond)
        empty = f"{_INDENT * (depth + 1)}pass"
        if then == [empty]:
            return [f"{pad}if not {cond}:"] + orelse
        lines = [f"{pad}if {cond}:"] + then
        if _one_if(orelse, _INDENT * (depth + 1)):  # else: if …: written elif …:
            lines += [f"{pad}el{orelse[0].lstrip()}"] + [ln[len(_INDENT):] for ln in orelse[1:]]
        elif orelse != [empty]:
            lines += [f"{pad}else:"] + orelse
        return lines

    def loop(self, s: ir.Loop, depth: int) -> list[str]:
        pad = _INDENT * depth
        lines = self.copies([(p.target, p.first) for p in s.phis], depth)
        args = ", ".join(self.atom(a) for a in s.args)
        body = s.body
        if s.kind == "replay":  # its first statement, the pop, is the loop's target
            head, body = f"for {', '.join(s.body[0].values)} in reversed({args}):", s.body[1:]
        else:
            head = {
                "for": f"for {s.var} in range({args}):",
                "while": f"while {args}:",
                "reversed": f"for {s.var} in reversed(range({args})):",
                "repeat": f"for _ in range({args}):",
            }[s.kind]
        tail = [(p.target, p.second) for p in s.phis]
        return lines + [pad + head] + self.body(body, depth + 1, tail)


def _one_if(lines: list[str], pad: str) -> bool:
    """Whether the printed block ``lines`` (indented by ``pad``) is one ``if``
    statement, its ``elif``/``else`` parts included, and nothing after it."""
    if not lines or not lines[0].startswith(pad + "if "):
        return False
    return all(ln.startswith(pad + _INDENT) or ln == pad + "else:" or ln.startswith(pad + "elif ")
               for ln in lines[1:])


@dataclass
class _Folded:
    """A folded value (the values folded into it put in) and its comment."""

    value: object
    comment: str


_WRITTEN = (int, float, bool, complex, str, bytes)  # constants safe.constant writes


def _put(v, pending: dict, take):
    """``v`` with each ``Var`` named in ``pending`` replaced by ``take(name)``."""
    kind = type(v)
    if kind is ir.Var:
        return take(v.name) if v.name in pending else v
    if kind is ir.Op:
        args = tuple([_put(a, pending, take) for a in v.args])
        kwargs = tuple([(k, _put(a, pending, take)) for k, a in v.kwargs])
        return ir.Op(v.fn, args, v.syntax, v.callee, kwargs)
    return v


def _definitions(module: Module) -> str:
    """The module's source with the lines of ``import_lines`` blank (line numbers kept):
    what they bind is in ``module.namespace``."""
    lines = module.source.split("\n")
    first, count = module.imports
    block = lines[first:first + count]
    assert all(line and not line[0].isspace() for line in block), block
    lines[first:first + count] = [""] * count
    return "\n".join(lines)


def compile_module(module: Module, label: str) -> dict:
    """Run the generated module's definitions; its lines are registered with linecache.

    Its import lines are not run: every name they bind is bound from
    ``module.namespace`` (the very objects the code was generated for), so
    compiling imports nothing and the namespace holds only what the code uses.
    Helpers copied into the text are bound to s2sdiff's own (same code), whose
    derivative rules a transform of the generated code needs.
    The code is compiled from a real file holding the module (see ``files``);
    the linecache entry lives as long as one of the module's functions does.
    """
    filename = files.store(label, module.source)
    code = deep(lambda: compile(_definitions(module), filename, "exec"))
    namespace = dict(module.namespace)
    namespace["__name__"] = GENERATED + label
    exec(code, namespace)  # noqa: S102 - running the code we just generated is the point
    namespace.update({name: value for name, value in module.namespace.items()
                      if getattr(value, "__s2sdiff_helper__", False)})  # the helpers themselves,
    # which have rules (the copies in the text are for readers): derivatives compose
    sourcelines.register(filename, module.source,
                         [v for v in namespace.values() if inspect.isfunction(v)
                          and v.__code__.co_filename == filename])
    return namespace


def _negation_of(v):
    """``e`` where ``v`` is ``-e`` exactly: ``-e`` itself, or a product or quotient
    with one such factor (``a * -b``, ``a * (-b / c)``; IEEE rounding is symmetric,
    so moving the sign out changes no bit), else None."""
    if type(v) is not ir.Op:
        return None
    if v.syntax == "u-":
        return v.args[0]
    if v.syntax not in ("*", "/") or v.kwargs:
        return None
    for k, arg in enumerate(v.args):
        inner = _negation_of(arg)
        if inner is not None:
            args = v.args[:k] + (inner,) + v.args[k + 1:]
            return ir.Op(v.fn, args, v.syntax, v.callee)
    return None

