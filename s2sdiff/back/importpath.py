"""How a generated module reaches a run-time object by importing it.

A function object names its module and its qualified name; some objects do
not (a SciPy ufunc such as ``scipy.special.gammaln`` has no ``__module__``),
so the modules already loaded are searched for one that holds the very object
under its name (a library's rather than the user's module that imported it).
"""

from __future__ import annotations

import sys

from ..front.imports import is_library

GENERATED = "s2sdiff_generated_"  # the module name of compiled generated code (not importable)


def import_path(value: object) -> tuple[str, str] | None:
    """``(module, name)`` such that ``from module import name`` gives ``value``, or None."""
    owner = getattr(value, "__module__", None)
    qual = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if not isinstance(qual, str) or "<" in qual or "." in qual:
        return None
    if isinstance(owner, str) and (owner == "__main__" or (
            owner and not owner.startswith(("_", GENERATED)))):
        return owner, qual
    if owner is None:
        found = holder(value, qual)
        if found is not None:
            return found, qual
    return None


def holder(value: object, name: str) -> str | None:
    """The public module among those loaded that binds ``name`` to ``value`` (read
    from the modules' dictionaries: no module code runs): a library first (the
    standard library, NumPy, SciPy), then the shortest name."""
    found = []
    for module_name, module in list(sys.modules.items()):
        if module is None or any(p.startswith("_") for p in module_name.split(".")):
            continue
        try:
            held = vars(module).get(name)
        except TypeError:  # not a real module
            continue
        if held is value:
            found.append((not is_library(module_name), len(module_name), module_name))
    return min(found)[2] if found else None
