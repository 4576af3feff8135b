"""Which modules the ``s2sdiff`` command imports, decided by what a module is.

Importing a module runs its code, so the command imports only:

- the standard library (``sys.stdlib_module_names``), except the few modules
  whose import does something visible (``antigravity`` opens a browser);
- the numeric libraries s2sdiff has rules for: NumPy, SciPy (and s2sdiff);
- the modules the user names: ``--import NAME`` (repeatable), or
  ``import = ["NAME", ...]`` in the ``[tool.s2sdiff]`` table of the nearest
  ``pyproject.toml``.  A named package covers its submodules; importing a
  named module runs its top level, so the rules it registers
  (``@s2sdiff.partials(...)``) apply.

Every other module is read from its source (``static``) or refused with a
located error.  A file of the user's named like a library (a ``json.py`` in a
folder on ``PYTHONPATH``) is read like the user's other modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from contextlib import contextmanager

from ..errors import Location, NameResolutionError, S2SDiffError

LIBRARIES = frozenset({"numpy", "scipy", "s2sdiff"})
NOT_IMPORTED = frozenset({"antigravity", "this", "idlelib", "turtledemo", "__hello__",
                          "__phello__", "__main__"})
HOW_TO_OPT_IN = ("to let s2sdiff import it (this runs its code), name it with --import {name}, "
                 "or add it to `import = [...]` in the [tool.s2sdiff] table of pyproject.toml")


def is_library(name: str) -> bool:
    """Whether module ``name`` is the standard library or a numeric library s2sdiff knows."""
    top = name.partition(".")[0]
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    return top not in NOT_IMPORTED and (top in stdlib or top in LIBRARIES)


class Policy:
    """The modules one run may import: libraries, and ``named`` (opted in by the user).

    ``user_dirs`` are the folders of the user's code: a library found there is
    the user's file under a library's name, and is not imported.
    """

    def __init__(self, named=(), user_dirs=()):
        self.named = tuple(dict.fromkeys(named))
        self.user_dirs = [os.path.abspath(d) for d in user_dirs]

    def opted_in(self, name: str) -> bool:
        return any(name == n or name.startswith(n + ".") for n in self.named)

    def allows(self, name: str) -> bool:
        return self.opted_in(name) or is_library(name)

    def import_named(self) -> None:
        """Import every module the user named (their rule registrations run)."""
        for name in self.named:
            try:
                self.import_(name, None)
            except NameResolutionError as exc:
                raise S2SDiffError(f"--import {name}: {exc.message}") from None

    def import_(self, name: str, where: Location | None):
        """Import ``name`` (which ``allows``), or a located error."""
        try:
            with self.search_path():
                return importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - ImportError, or the module failing at import
            raise NameResolutionError(f"cannot import {name!r}: {type(exc).__name__}: {exc}",
                                      where, "install it, or remove the import") from None

    @contextmanager
    def search_path(self):
        """Modules the user named are found in the user's folders too."""
        if not self.named:
            yield
            return
        saved = list(sys.path)
        sys.path[:0] = [d for d in self.user_dirs if d not in sys.path]
        try:
            yield
        finally:
            sys.path[:] = saved

    def users_copy(self, name: str) -> bool:
        """Whether importing library ``name`` would run a file in the user's folders
        (a ``json.py`` in a folder on ``PYTHONPATH``): it is the user's code then."""
        top = name.partition(".")[0]
        if top in sys.modules or self.opted_in(name):
            return False
        try:
            spec = importlib.util.find_spec(top)  # a top-level name: nothing is run
        except (ImportError, ValueError):
            return False
        origin = os.path.abspath(spec.origin) if spec and spec.origin else ""
        return any(origin.startswith(d + os.sep) for d in self.user_dirs)


def refusal(name: str, where: Location | None, looked_in: list[str]) -> NameResolutionError:
    """The error for a module that is neither a library nor found as source."""
    places = ", ".join(looked_in) or "nowhere"
    return NameResolutionError(
        f"cannot import {name!r}: s2sdiff imports only the standard library, NumPy, SciPy "
        f"and the modules you name, and found no source of {name!r} to read (looked in "
        f"{places})", where, HOW_TO_OPT_IN.format(name=name.partition(".")[0]))


# --- pyproject.toml --------------------------------------------------------------


def configured(start: str) -> tuple[str, ...]:
    """The ``import`` list of ``[tool.s2sdiff]`` in the nearest ``pyproject.toml`` above
    the folder ``start`` (an empty tuple if there is none)."""
    path = nearest_pyproject(start)
    if path is None:
        return ()
    with open(path, "rb") as f:
        data = f.read()
    if b"[tool.s2sdiff]" not in data:
        return ()
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise S2SDiffError(f"{path}: reading its [tool.s2sdiff] table needs Python 3.11 "
                               "or the tomli package; or name the modules with --import"
                               ) from None
    try:
        table = tomllib.loads(data.decode("utf-8")).get("tool", {}).get("s2sdiff", {})
    except (ValueError, UnicodeDecodeError) as exc:
        raise S2SDiffError(f"{path}: cannot read it: {exc}") from None
    names = table.get("import", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise S2SDiffError(f'{path}: [tool.s2sdiff] import must be a list of module names, '
                           'e.g. import = ["myrules"]')
    return tuple(names)


def nearest_pyproject(start: str) -> str | None:
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
