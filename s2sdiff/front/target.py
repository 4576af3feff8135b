"""The command's target: ``path/to/module.py:func`` or ``package.module:func``,
located and read without running the user's code (see ``static``)."""

from __future__ import annotations

import argparse
import os
import re
import sys

from .. import safe
from ..errors import UsageError
from . import imports, static


class Target:
    """``path/to/module.py:func`` or ``package.module:func``, located without importing."""

    def __init__(self, spec: str, imports=(), values_needed: bool = False):
        self.spec = spec
        self.imports = tuple(imports)
        self.values_needed = values_needed  # refuse values known only at run time
        left, sep, func = spec.rpartition(":")
        if not sep or not left or not func:
            raise UsageError(f"target {spec!r} must be MODULE:FUNCTION, e.g. "
                             "path/to/model.py:loss or package.model:loss")
        if not func.isidentifier():
            raise UsageError(f"{func!r} is not a function name (methods and nested "
                             "functions are not supported; use a top-level def)")
        self.function = func
        self.is_path = left.endswith(".py") or os.sep in left or "/" in left \
            or os.path.isfile(left)
        if self.is_path:
            if not os.path.isfile(left):
                raise UsageError(f"{left}: no such file")
            self.filename = os.path.abspath(left)
            self.module, root = static.module_name_of(self.filename)
        else:
            if not all(part.isidentifier() for part in left.split(".")):
                raise UsageError(f"{left!r} is neither a .py file nor a module name")
            search = [os.getcwd()] + [p for p in sys.path if p]
            found = static.find_module_file(left, search)
            if found is None:
                raise UsageError(f"cannot find the source of module {left!r} "
                                 "(looked in the current directory and on sys.path)")
            self.filename = found
            self.module, root = static.module_name_of(found)
        self.root = root

    def load(self):
        """The parsed function; the modules named with ``--import`` (or in pyproject.toml)
        are imported first, the rest of the user's code is only read."""
        return static.load_function(self.filename, self.function, project=self.project())

    def project(self) -> static.Project:
        search = [os.getcwd()] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                  if p]
        named = self.imports + imports.configured(os.path.dirname(self.filename))
        for name in named:
            try:
                safe.dotted_name(name)
            except safe.UnsafeError as exc:
                raise UsageError(f"--import: {exc}") from None
        policy = imports.Policy(named, [self.root] + search)
        policy.import_named()
        return static.Project([self.root], search, policy, self.values_needed)

    def rendered(self, render):
        """``render()``, its refusal to import from this module explained, when Python
        cannot import the module by name (``my-model.py``)."""
        try:
            return render()
        except safe.UnsafeError:
            if not self.module.startswith("<"):
                raise
            stem = os.path.splitext(os.path.basename(self.filename))[0]
            better = re.sub(r"\W", "_", stem)
            better = better if better[:1].isalpha() else "m_" + better
            raise UsageError(
                f"{shown(self.filename)}: {self.function} reads names this module binds when "
                "it runs, so the generated module must import them from it, but Python cannot "
                f"import a file named {os.path.basename(self.filename)!r}; rename it (e.g. "
                f"{better}.py) or make those names literals") from None


def add_import_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="NAME",
                   help="import module NAME (this runs its code, e.g. the derivative rules it "
                        "registers); without it only the standard library, NumPy and SciPy "
                        "are imported and your modules are only read (repeatable; also "
                        "[tool.s2sdiff] import = [...] in pyproject.toml)")


def shown(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith(".." + os.sep) else path
