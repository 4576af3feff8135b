"""Find a function's source, parse it, resolve its names, and fence off what
s2sdiff does not differentiate (with a located error)."""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import linecache
import textwrap
from dataclasses import dataclass, field

from ..deep import TooDeep, deep
from ..errors import Location, NameResolutionError, NoSourceError, UnsupportedSyntaxError
from . import comprehensions, sourcelines
from .scan import nodes, scan_names


@dataclass(frozen=True)
class SourceFunction:
    """A parsed user function with what is needed to resolve its names.

    ``tree`` carries real file line numbers; columns are relative to the
    dedented source, ``indent`` columns to the left of the file's.
    """

    name: str
    filename: str
    tree: ast.FunctionDef
    indent: int
    resolver: "Resolver" = field(repr=False, compare=False)
    key: object = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def names(self) -> tuple[set[str], set[str]]:
        """Every identifier the function spells, and those it assigns (one walk)."""
        every, stored, _ = scan_names(self.tree)
        return every, stored

    def location(self, node: ast.AST) -> Location:
        """The file location of ``node``."""
        lineno = getattr(node, "lineno", self.tree.lineno)
        col = getattr(node, "col_offset", 0) + self.indent
        line = linecache.getline(self.filename, lineno)
        return Location(self.filename, lineno, col, line)


class Unresolved(Exception):
    """Raised by a resolver for a name it does not know."""


class Resolver:
    """Maps the free names of a function to Python objects."""

    def __init__(self, namespace: dict, closure: dict | None = None):
        self.namespace = namespace
        self.closure = closure or {}
        self.module = namespace.get("__name__")

    def resolve(self, name: str) -> object:
        if name in self.closure:
            return self.closure[name]
        if name in self.namespace:
            return self.namespace[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise Unresolved(name)

    def source_of(self, fn: object) -> "SourceFunction | None":
        """The parsed source of a user function reached through a call, or None (for
        s2sdiff's own helpers too: generated code differentiated again calls them,
        and they are differentiated by their rules, not by their source)."""
        if inspect.isfunction(fn) and not getattr(fn, "__s2sdiff_helper__", False):
            try:
                return from_function(fn)
            except NoSourceError:
                return None
        return None


def _closure_of(fn) -> dict:
    names = fn.__code__.co_freevars
    cells = fn.__closure__ or ()
    values = {}
    for name, cell in zip(names, cells):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell: the variable is not bound yet
            pass
    return values


def from_function(fn) -> SourceFunction:
    """Parse the source of a live Python function."""
    fn = inspect.unwrap(fn)
    if not inspect.isfunction(fn):
        raise NoSourceError(
            f"cannot differentiate {fn!r}: it is not a Python function with source code"
        )
    try:
        lines, start = inspect.findsource(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise NoSourceError(
            f"cannot find the source of {fn.__qualname__!r} ({exc}); s2sdiff reads "
            "source code, so functions typed at the REPL or made by exec() cannot be "
            "differentiated: put the function in a file"
        ) from None
    resolver = Resolver(fn.__globals__, _closure_of(fn))
    module = None
    end = _block_end(lines, start)
    if end is not None:
        source = "".join(lines[start:end])
        module, indent = _parse(source, filename, start + 1, fn.__name__, quiet=True)
    if module is None:  # what inspect.getsourcelines does, tokenizing the whole block
        source = "".join(inspect.getblock(lines[start:]))
        module, indent = _parse(source, filename, start + 1, fn.__name__)
    return _checked(module, filename, fn.__name__, indent, resolver, fn)


def _block_end(lines: list[str], start: int) -> int | None:
    """Where the ``def`` at ``lines[start]`` ends, found without tokenizing, or None.

    The block ends at the first line after the ``def`` line that is neither blank
    nor a comment and is indented no deeper than the ``def``. A continuation line
    (in brackets or a string) indented that little cuts the source where it
    cannot parse, so a cut that parses is where ``inspect.getblock`` ends too.
    """
    head = lines[start].lstrip()
    if not head.startswith(("def ", "async ", "@")):
        return None
    base = len(lines[start]) - len(head)
    line = start
    while not lines[line].lstrip().startswith(("def ", "async ")):  # decorators
        line += 1
        if line == len(lines):
            return None
    for i in range(line + 1, len(lines)):
        text = lines[i].lstrip()
        if text and not text.startswith("#") and len(lines[i]) - len(text) <= base:
            return i
    return len(lines)


def parse_function(
    source: str, filename: str, first_line: int, name: str, resolver: Resolver, key=None
) -> SourceFunction:
    """Parse the source text of one ``def`` starting at ``first_line`` of ``filename``."""
    module, indent = _parse(source, filename, first_line, name)
    return _checked(module, filename, name, indent, resolver, key)


def _parse(source: str, filename: str, first_line: int, name: str, quiet: bool = False):
    """The module parsed from the source of a ``def``, and the indentation removed;
    ``(None, 0)`` when ``quiet`` and it does not parse."""
    dedented = textwrap.dedent(source)
    indent = _indent_of(source) - _indent_of(dedented)
    try:  # blank lines in front give the nodes their line numbers in the file
        return deep(lambda: ast.parse("\n" * (first_line - 1) + dedented)), indent
    except TooDeep as exc:
        lines = sourcelines.split(source)
        i = sourcelines.longest(lines)
        text = lines[i] if lines else ""
        loc = Location(filename, first_line + i, len(text) - len(text.lstrip()), text)
        raise UnsupportedSyntaxError(f"cannot parse the source of {name!r}: {exc}", loc,
                                     "split the expression into several statements") from None
    except SyntaxError as exc:
        if quiet:
            return None, 0
        loc = Location(filename, exc.lineno or first_line, exc.offset or 0,
                       linecache.getline(filename, exc.lineno or first_line))
        raise UnsupportedSyntaxError(f"cannot parse the source of {name!r}: {exc.msg}", loc) from None


def _checked(module: ast.Module, filename: str, name: str, indent: int, resolver: Resolver,
             key) -> SourceFunction:
    """The parsed ``def`` as a SourceFunction, once it passed the fence."""
    tree = module.body[0] if module.body else None
    where = SourceFunction(name, filename, tree, indent, resolver, key)
    if isinstance(tree, ast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("async function", where.location(tree),
                                     "s2sdiff differentiates plain `def` functions")
    if not isinstance(tree, ast.FunctionDef):
        node = tree or module
        raise UnsupportedSyntaxError(
            f"{name!r} is not defined by a `def` statement (a lambda?)", where.location(node),
            "write the function with `def` so s2sdiff can read its body")
    keys = _returned_keys(where)
    if keys is not None:  # ``return {"loss": l, "acc": a}``: a tuple of its values, keys kept
        where = SourceFunction(name, filename, _returning_tuples(where.tree), indent, resolver,
                               key)
        where.__dict__["output_keys"] = keys
    try:
        fence(where)
    except UnsupportedSyntaxError:  # comprehensions are lowered to loops, then fenced
        loops = comprehensions.lowered(where.tree, _is_builtin(resolver, "sum"))
        if loops is None:
            raise
        keys = where.__dict__.get("output_keys")
        where = SourceFunction(name, filename, loops, indent, resolver, key)
        if keys is not None:
            where.__dict__["output_keys"] = keys
        fence(where)
    return where


def _is_builtin(resolver, name: str) -> bool:
    """Whether ``name`` is Python's builtin of that name where the function reads it."""
    try:
        return resolver.resolve(name) is getattr(builtins, name)
    except Exception:  # noqa: BLE001 - a name the resolver cannot tell: not known to be
        return False


def _returned_keys(where: SourceFunction) -> tuple | None:
    """The keys of the dict displays the function returns (constant keys, the same at
    every ``return``), or None when it returns no dict display; else a located error."""
    returns = list(_returns(where.tree.body))
    dicts = [r for r in returns if isinstance(r.value, ast.Dict)]
    if not dicts:
        return None
    keys = None
    for r in returns:
        found = _constant_keys(r.value)
        if found is None or (keys is not None and found != keys):
            raise UnsupportedSyntaxError(
                "a return of another kind than the function's other returns (dicts with "
                "the same constant keys)", where.location(r),
                "return a dict display with the same constant keys everywhere")
        keys = found
    return keys


def _constant_keys(value) -> tuple | None:
    if not isinstance(value, ast.Dict) or not all(
            isinstance(k, ast.Constant) and type(k.value) in (str, int) for k in value.keys):
        return None
    keys = tuple(k.value for k in value.keys)
    return keys if len(set(keys)) == len(keys) else None


def _returns(stmts: list):
    """The ``return`` statements among ``stmts`` and the blocks they hold (a return is
    a statement: expressions are not walked)."""
    for s in stmts:
        if type(s) is ast.Return:
            yield s
        for part in ("body", "orelse", "finalbody"):
            block = getattr(s, part, None)
            if type(block) is list and not isinstance(s, (ast.FunctionDef, ast.ClassDef)):
                yield from _returns(block)
        for handler in getattr(s, "handlers", ()):
            yield from _returns(handler.body)


def _returning_tuples(tree: ast.FunctionDef) -> ast.FunctionDef:
    """A copy of ``tree`` whose ``return {k: v, ...}`` are ``return (v, ...)``."""
    tree = copy.deepcopy(tree)
    for node in _returns(tree.body):
        if isinstance(node.value, ast.Dict):
            node.value = ast.copy_location(ast.Tuple(node.value.values, ast.Load()), node.value)
    return tree


def _indent_of(text: str) -> int:
    """The indentation of the first line of ``text`` that is not blank (found without
    splitting all of it into lines)."""
    start = len(text) - len(text.lstrip())  # the first character that is not white space
    if start == len(text):
        return 0
    return start - (max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1)


_HINT_REWRITE = "rewrite it with plain assignments, if/for/while and calls"

_UNSUPPORTED = {
    ast.Try: ("`try` statement", "remove the exception handling from the differentiated code"),
    ast.With: ("`with` statement", _HINT_REWRITE),
    ast.AsyncWith: ("`async with` statement", _HINT_REWRITE),
    ast.AsyncFor: ("`async for` loop", _HINT_REWRITE),
    ast.Yield: ("`yield` (generators)", "return a value instead of yielding it"),
    ast.YieldFrom: ("`yield from` (generators)", "return a value instead of yielding it"),
    ast.Await: ("`await`", _HINT_REWRITE),
    ast.Lambda: ("`lambda`", "define the function with `def` at module level and call it"),
    ast.Global: ("`global` statement", "pass the value as a parameter and return the result"),
    ast.Nonlocal: ("`nonlocal` statement", "pass the value as a parameter and return the result"),
    ast.ClassDef: ("class definition inside the function", "define the class outside"),
    ast.FunctionDef: ("function definition inside the function",
                      "define the helper at module level and call it"),
    ast.AsyncFunctionDef: ("async function definition", _HINT_REWRITE),
    ast.ListComp: ("list comprehension", "build the list with a for loop and append"),
    ast.SetComp: ("set comprehension", _HINT_REWRITE),
    ast.DictComp: ("dict comprehension", _HINT_REWRITE),
    ast.GeneratorExp: ("generator expression", "build a list with a for loop and append"),
    ast.Dict: ("dict", "dicts are not differentiated; use separate variables"),
    ast.Set: ("set", _HINT_REWRITE),
    ast.JoinedStr: ("f-string", "strings are not differentiated; remove it"),
    ast.NamedExpr: ("assignment expression `:=`", "assign in a separate statement"),
    ast.Starred: ("star-unpacking `*x`", "pass the arguments one by one"),
    ast.Raise: ("`raise` statement", "check arguments outside the differentiated function"),
    ast.Delete: ("`del` statement", _HINT_REWRITE),
    ast.Import: ("`import` inside the function", "import at module level"),
    ast.ImportFrom: ("`import` inside the function", "import at module level"),
    ast.Match: ("`match` statement", "use if/elif/else"),
}


def fence(where: SourceFunction) -> None:
    """Reject constructs s2sdiff does not handle, with their location."""
    tree = where.tree
    args = tree.args
    if args.vararg is not None:
        raise UnsupportedSyntaxError("`*args` parameter", where.location(args.vararg),
                                     "list the parameters one by one")
    if args.kwarg is not None:
        raise UnsupportedSyntaxError("`**kwargs` parameter", where.location(args.kwarg),
                                     "list the parameters one by one")
    defaults = tree.args.defaults + [d for d in tree.args.kw_defaults if d is not None]
    every = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    stored: set[str] = set()
    rejected = False
    name, store = ast.Name, ast.Store
    for node in nodes(tree.body + defaults):  # one walk: the fence and the names spelled
        cls = type(node)
        if cls is name:
            every.add(node.id)
            if type(node.ctx) is store:
                stored.add(node.id)
        elif cls in _CHECKED and not rejected:
            rejected = _rejected(node, where)
    if not rejected:
        where.__dict__["names"] = (every, stored)  # SourceFunction.names, known now
        return
    for node in _walk_body(tree):  # breadth first: the error reported is the first ast.walk meets
        kind = _UNSUPPORTED.get(type(node))
        if kind is not None:
            raise UnsupportedSyntaxError(kind[0], where.location(node), kind[1])
        _fence_node(node, where)


_CHECKED = frozenset(_UNSUPPORTED) | {ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Call,
                                      ast.Constant}

COMPLEX_HINT = "complex numbers are out of scope: s2sdiff differentiates real-valued code"


def _rejected(node: ast.AST, where: SourceFunction) -> bool:
    """True when ``fence`` rejects ``node``."""
    if type(node) is ast.Constant:  # (the most common node checked)
        return isinstance(node.value, complex)
    if type(node) in _UNSUPPORTED:
        return True
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Call, ast.Constant)):
        try:
            _fence_node(node, where)
        except UnsupportedSyntaxError:
            return True
    return False


def _walk_body(tree: ast.FunctionDef):
    for stmt in tree.body:
        yield from ast.walk(stmt)
    for default in tree.args.defaults + [d for d in tree.args.kw_defaults if d is not None]:
        yield from ast.walk(default)


def _item_targets(target: ast.expr) -> list[ast.expr]:
    """The parts of an assignment target written as a whole: the target itself, the
    elements of a tuple (list) target, theirs in turn (``a[i], (b[j], c) = ...``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [target] + [t for e in target.elts for t in _item_targets(e)]
    return [target]


def _fence_node(node: ast.AST, where: SourceFunction) -> None:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if type(target) is ast.Name:
                continue
            items = _item_targets(target)
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute):
                    raise UnsupportedSyntaxError(
                        "attribute assignment", where.location(sub),
                        "s2sdiff does not follow values stored on objects; use a variable")
                if isinstance(sub, ast.Subscript) and not (
                        any(sub is t for t in items) and isinstance(sub.value, ast.Name)):
                    raise UnsupportedSyntaxError(
                        "item assignment inside a larger target", where.location(sub),
                        "write one item per statement: x[i] = v")
    elif isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg is None:
                raise UnsupportedSyntaxError("`**kwargs` in a call", where.location(kw.value),
                                             "pass the keyword arguments one by one")
    elif isinstance(node, ast.Constant) and isinstance(node.value, complex):
        raise UnsupportedSyntaxError(f"complex number {node.value!r}", where.location(node),
                                     COMPLEX_HINT)
    elif isinstance(node, ast.AnnAssign) and node.value is None:
        raise UnsupportedSyntaxError("annotation without a value", where.location(node))


def resolve(where: SourceFunction, name: str, node: ast.AST) -> object:
    """The object a free name of the function refers to, or a located error."""
    try:
        return where.resolver.resolve(name)
    except Unresolved:
        raise NameResolutionError(
            f"name {name!r} is not defined", where.location(node),
            "define it at module level or pass it as a parameter") from None
