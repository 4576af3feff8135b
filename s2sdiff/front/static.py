"""Static name resolution: read a module's source without running it.

The ``s2sdiff`` command must not execute the user's module (it may open
files, start servers, or raise).  A :class:`StaticResolver` answers the same
questions as :class:`frontend.Resolver` from the module's parsed top level:

- ``import numpy as np``, ``from math import sin``: the standard library,
  NumPy and SciPy, and the modules the user names with ``--import``, are
  imported for real (``imports.Policy``);
- any other module found as source (beside the user's module, in the same
  package, in the current folder or on ``PYTHONPATH``) is user code: it is
  parsed too, never imported; one found nowhere is a located error;
- a top-level ``def`` becomes a stand-in function whose source
  :meth:`StaticResolver.source_of` parses;
- ``G = 9.81`` (a literal assigned once) is its value;
- any other top-level name (``W = np.ones(3)``, a class, a name bound under
  an ``if``) is an opaque stand-in: it is not evaluated; generated code
  imports it from the module at run time (with ``values_needed``, as for
  ``s2sdiff check``, it is a located error instead).
"""

from __future__ import annotations

import ast
import builtins
import importlib.machinery
import io
import os
import tokenize
import types

from .. import safe
from ..deep import TooDeep, deep
from ..errors import Location, NameResolutionError, S2SDiffError
from . import source as frontend, sourcelines
from .imports import Policy, refusal


class SourceReadError(S2SDiffError):
    """A source file that cannot be read or decoded."""


def read_source(filename: str) -> str:
    """The text of a Python file, decoded as Python does (PEP 263)."""
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SourceReadError(f"{filename}: cannot read: {exc.strerror or exc}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "msg", None) or str(exc)
        raise SourceReadError(
            f"{filename}: cannot decode the source ({reason}); save it as UTF-8 "
            "or declare its encoding with a `# -*- coding: ... -*-` line") from None
    return text.lstrip("\ufeff")


def module_name_of(filename: str) -> tuple[str, str]:
    """The import name of a ``.py`` file and the directory it is imported from.

    ``pkg/sub/mod.py`` (with ``__init__.py`` files) is ``pkg.sub.mod`` from
    the parent of ``pkg``.  A file Python cannot import by name (``my-model.py``,
    ``model.v2.py``) is named ``<my-model>``, which no import line accepts.
    """
    path = os.path.abspath(filename)
    directory, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    name = ".".join(parts) or stem
    if not all(safe.is_identifier(p) for p in parts):
        name = f"<{name}>"
    return name, directory


def find_module_file(name: str, path: list[str]) -> str | None:
    """The source file of module ``name`` found on ``path``, without importing anything."""
    locations: list[str] | None = path
    origin = None
    for part in name.split("."):
        if locations is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(part, locations)
        if spec is None:
            return None
        origin = spec.origin
        locations = list(spec.submodule_search_locations or []) or None
    if origin is None or not origin.endswith(".py"):
        return None
    return origin


class Opaque:
    """A top-level value of a user module that is not evaluated.

    Generated code refers to it by name and imports it from its module.
    """

    def __init__(self, module: str, name: str):
        self.__module__ = module
        self.__qualname__ = name
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<{self.__module__}.{self.__qualname__} (not evaluated)>"


_STUB_CODE: dict[str, types.CodeType] = {}


def _stub(table: _Table, name: str) -> types.FunctionType:
    """A real function object standing for a ``def`` that is never run."""
    if name not in _STUB_CODE:
        text = (f"def {name}(*args, **kwargs):\n"
                f"    raise RuntimeError('s2sdiff static stand-in for {name}')\n")
        namespace: dict = {}
        exec(compile(text, f"<s2sdiff stand-in {name}>", "exec"), namespace)  # noqa: S102
        _STUB_CODE[name] = namespace[name].__code__
    module = table.module.__name__
    fn = types.FunctionType(_STUB_CODE[name], {"__name__": module, "__s2s_table__": table}, name)
    fn.__module__ = module
    fn.__qualname__ = name
    return fn


_DYNAMIC = object()  # a name bound in a way the static reader does not evaluate


class Project:
    """The user modules of one run, parsed once each.

    ``roots`` are the folders of the user's code (the target's package root
    first); ``search`` are more folders whose modules are read, not imported
    (the current directory, ``PYTHONPATH``); ``policy`` says which modules may
    be imported (``imports``).
    """

    def __init__(self, roots: list[str], search: list[str] = (), policy: Policy | None = None,
                 values_needed: bool = False):
        self.values_needed = values_needed  # a value known only at run time is an error
        self.roots = [os.path.abspath(r) for r in roots]
        self.search = [d for d in dict.fromkeys(os.path.abspath(p) for p in search)
                       if d not in self.roots]
        self.policy = policy or Policy(user_dirs=self.roots + self.search)
        self.modules: dict[str, StaticModule] = {}

    def load(self, filename: str, name: str | None = None) -> StaticModule:
        filename = os.path.abspath(filename)
        if filename not in self.modules:
            if name is None:
                name, _ = module_name_of(filename)
            self.modules[filename] = StaticModule(self, name, filename)
        return self.modules[filename]

    def user_module(self, name: str, where: Location | None = None) -> object | None:
        """Module ``name`` if it is among the user's files (imported only when named
        with ``--import``), else None."""
        if self.policy.opted_in(name):
            return self.policy.import_(name, where)
        filename = find_module_file(name, self.roots)
        return self.load(filename, name) if filename else None

    def import_module(self, name: str, where: Location) -> object:
        """Module ``name``: parsed when it is the user's, imported when it is a library
        (or named with ``--import``), else a located error."""
        user = self.user_module(name, where)
        if user is not None:
            return user
        top = name.split(".")[0]
        if find_module_file(top, self.roots) is not None:
            raise NameResolutionError(f"cannot find module {name!r} among the user's files",
                                      where)
        if self.policy.allows(name) and not self.policy.users_copy(name):
            return self.policy.import_(name, where)
        filename = find_module_file(name, self.search)
        if filename is not None:
            return self.load(filename, name)
        if find_module_file(top, self.search) is not None:
            raise NameResolutionError(f"cannot find module {name!r} among the user's files",
                                      where)
        raise refusal(name, where, self.roots + self.search)


class StaticModule(types.ModuleType):
    """A user module read from its source; attributes are resolved on first use."""

    def __init__(self, project: Project, name: str, filename: str):
        super().__init__(name)
        self.__file__ = filename
        object.__setattr__(self, "_s2s", _Table(project, self, filename))

    def __getattr__(self, attr: str):
        if attr.startswith("__") or attr == "_s2s":
            raise AttributeError(attr)
        table = self.__dict__["_s2s"]
        value = table.value(attr)
        if value is _MISSING:
            raise AttributeError(attr)
        return value


_MISSING = object()


class _Table:
    """The top-level bindings of one module's source."""

    def __init__(self, project: Project, module: StaticModule, filename: str):
        self.project = project
        self.module = module
        self.filename = filename
        self.source = read_source(filename)
        self.lines = sourcelines.split(self.source)  # as Python numbers lines
        try:
            self.tree = deep(lambda: ast.parse(self.source, filename))
        except SyntaxError as exc:
            loc = Location(filename, exc.lineno or 1, max((exc.offset or 1) - 1, 0),
                           exc.text or "")
            raise NameResolutionError(f"invalid Python syntax: {exc.msg}", loc) from None
        except TooDeep as exc:
            i = sourcelines.longest(self.lines)
            text = self.lines[i] if self.lines else ""
            where = Location(filename, i + 1, len(text) - len(text.lstrip()), text)
            raise NameResolutionError(f"cannot parse the module: {exc}", where) from None
        self.bindings: dict[str, object] = {}
        self.last_statement: dict[str, ast.stmt] = {}  # where each name is bound last
        self.stars: list[ast.ImportFrom] = []
        self.globals_in_functions: set[str] = set()
        self.scan(self.tree.body, straight=True)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Global):
                self.globals_in_functions.update(node.names)
        self.cache: dict[str, object] = {}

    # reading the top level
    def bind(self, name: str, node, straight: bool) -> None:
        self.last_statement[name] = node[0] if isinstance(node, tuple) else node
        if not straight or name in self.bindings and not _redefinable(self.bindings[name], node):
            self.bindings[name] = _DYNAMIC
        else:
            self.bindings[name] = node

    def scan(self, body: list[ast.stmt], straight: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                self.bind(stmt.name, stmt, straight)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    if alias.name == "*":
                        self.stars.append(stmt)
                        continue
                    bound = alias.asname or alias.name.split(".")[0]
                    self.bind(bound, (stmt, alias), straight)
            elif isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
                continue
            elif isinstance(stmt, ast.Try):
                self.scan(stmt.body, straight)
                for handler in stmt.handlers:
                    self.scan_fallback(handler.body)
                self.scan(stmt.orelse, straight)
                self.scan(stmt.finalbody, straight)
            elif isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.AsyncFor,
                                   ast.AsyncWith, ast.Match)):
                for name in _stored_names(stmt):
                    self.bindings[name] = _DYNAMIC
                    self.last_statement[name] = stmt
                nested = [b for f in ("body", "orelse") for b in getattr(stmt, f, [])]
                self.scan(nested, straight=False)
            else:
                for name in _stored_names(stmt):
                    self.bind(name, stmt, straight)

    def scan_fallback(self, body: list[ast.stmt]) -> None:
        """``except ImportError:`` bodies: the normal path wins; new names are dynamic."""
        for stmt in body:
            for name in _stored_names(stmt):
                if name not in self.bindings:
                    self.bindings[name] = _DYNAMIC

    # values
    def value(self, name: str):
        if name not in self.cache:
            self.cache[name] = self.compute(name)
        return self.cache[name]

    def compute(self, name: str):
        node = self.bindings.get(name, _MISSING)
        if node is _MISSING:
            for star in self.stars:
                source = self.import_from_module(star)
                value = getattr(source, name, _MISSING)
                if value is not _MISSING and not name.startswith("_"):
                    return value
            sub = self.submodule(name)
            return sub if sub is not None else _MISSING
        if node is _DYNAMIC or name in self.globals_in_functions:
            return self.opaque(name)
        if isinstance(node, tuple):
            return self.imported(*node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return _stub(self, name)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                try:
                    return ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    pass
        return self.opaque(name)

    def opaque(self, name: str) -> Opaque:
        """The stand-in of a value known only when the module runs; with a project
        that must know every value (``s2sdiff check``), a located error."""
        if not self.project.values_needed:
            return Opaque(self.module.__name__, name)
        node = self.last_statement.get(name)
        where = self.location(node) if node is not None else Location(self.filename, 1, 0)
        raise NameResolutionError(
            f"the value of {name!r} is known only when the module runs (it is not a "
            "literal assigned once at the top level)", where,
            "s2sdiff check reads your source without running it; make the value a "
            "literal, or check the live function with --run-module (this runs the module)")

    def location(self, node: ast.AST) -> Location:
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        return Location(self.filename, node.lineno, node.col_offset, line)

    def package(self) -> str:
        name = self.module.__name__
        is_package = os.path.basename(self.filename) == "__init__.py"
        return name if is_package else name.rpartition(".")[0]

    def absolute(self, stmt: ast.ImportFrom) -> str:
        if not stmt.level:
            return stmt.module or ""
        base = self.package().split(".") if self.package() else []
        if stmt.level - 1 > len(base) or not base:
            raise NameResolutionError("relative import outside of a package",
                                      self.location(stmt))
        base = base[:len(base) - (stmt.level - 1)]
        return ".".join(base + ([stmt.module] if stmt.module else []))

    def import_from_module(self, stmt: ast.ImportFrom):
        return self.project.import_module(self.absolute(stmt), self.location(stmt))

    def imported(self, stmt, alias: ast.alias):
        where = self.location(stmt)
        if isinstance(stmt, ast.Import):
            module = self.project.import_module(alias.name, where)
            if alias.asname:
                return module
            top = alias.name.split(".")[0]
            return module if top == alias.name else self.project.import_module(top, where)
        source = self.import_from_module(stmt)
        value = getattr(source, alias.name, _MISSING)
        if value is _MISSING:
            full = f"{source.__name__}.{alias.name}"
            try:
                value = self.project.import_module(full, where)
            except NameResolutionError:
                raise NameResolutionError(
                    f"cannot import {alias.name!r} from {source.__name__!r}", where) from None
        return value

    def submodule(self, name: str):
        if os.path.basename(self.filename) != "__init__.py":
            return None
        full = f"{self.module.__name__}.{name}"
        if self.project.policy.opted_in(full):
            return self.project.policy.import_(full, None)
        filename = find_module_file(full, self.project.roots + self.project.search)
        return self.project.load(filename, full) if filename else None

    def source_function(self, fn) -> frontend.SourceFunction | None:
        if self.cache.get(fn.__name__) is not fn:
            return None
        node = self.bindings[fn.__name__]
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        text = "".join(self.lines[first - 1:node.end_lineno])
        resolver = StaticResolver(self.module)
        return frontend.parse_function(text, self.filename, first, node.name, resolver, key=fn)


def _redefinable(old, new) -> bool:
    """A later top-level binding replaces an earlier one (``def`` after ``def``, re-imports)."""
    def kind(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return "def"
        if isinstance(node, tuple):
            return "import"
        return "assign"
    return old is not _DYNAMIC and kind(old) != "assign" and kind(new) != "assign"


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _stored_names(stmt: ast.stmt) -> list[str]:
    """Names a top-level statement binds (not inside nested functions or classes)."""
    names: list[str] = []
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.append(node.name)
        elif isinstance(node, ast.alias):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return names


class StaticResolver:
    """Resolves the free names of a function of a user module, statically."""

    def __init__(self, module: StaticModule):
        self.static_module = module
        self.module = module.__name__
        self.closure: dict = {}

    def resolve(self, name: str) -> object:
        try:
            return getattr(self.static_module, name)
        except AttributeError:
            pass
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise frontend.Unresolved(name)

    def source_of(self, fn: object) -> frontend.SourceFunction | None:
        """The parsed source of a function reached through a call, or None."""
        owner = _owner_of(fn)
        if owner is not None:
            return owner.source_function(fn)
        if isinstance(fn, types.FunctionType) and not getattr(fn, "__s2sdiff_helper__", False):
            return frontend.from_function(fn)  # a library's Python function
        return None

    def is_user_function(self, obj: object) -> bool:
        """Whether ``obj`` stands for a ``def`` of a user module (to be inlined)."""
        return _owner_of(obj) is not None


def _owner_of(fn) -> _Table | None:
    if not isinstance(fn, types.FunctionType):
        return None
    module = fn.__globals__.get("__s2s_table__")
    return module if isinstance(module, _Table) else None


def load_function(filename: str, function: str, roots: list[str] | None = None,
                  project: Project | None = None) -> frontend.SourceFunction:
    """The parsed source of ``function`` defined at the top level of ``filename``."""
    name, root = module_name_of(filename)
    project = project or Project(roots or [root])
    module = project.load(filename, name)
    table = module.__dict__["_s2s"]
    node = table.bindings.get(function, _MISSING)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        defs = sorted(n for n, b in table.bindings.items()
                      if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)))
        what = "is not a function defined with `def` at the top level" \
            if node is not _MISSING else "is not defined"
        raise S2SDiffError(f"{filename}: {function!r} {what}; the module defines: "
                           + (", ".join(defs) or "no functions"))
    stub = table.value(function)
    return table.source_function(stub)
