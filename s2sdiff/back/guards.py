"""Argument checks for a module written for one signature (``--signature``).

Code for a signature assumes each array's number of dimensions and which of
its dimensions have length 1: that is what decides broadcasting, so the
adjoints it sums back (or does not) are right only for such arguments.  The
API regenerates the code when the arguments change; a module on disk cannot,
so its entry function starts by checking that its arguments fit, and raises a
``TypeError`` saying what it was written for otherwise::

    def grad_loss(w, X, y):
        if getattr(X, "ndim", 0) != 2 or X.shape[0] == 1 or X.shape[1] == 1:
            raise TypeError("grad_loss was written for X of shape [n, n], n not 1 (see its docstring)")
"""

from __future__ import annotations

from .. import safe
from ..ir import types


def argument_checks(entry: str, signature: dict, jit: bool = False) -> list[str]:
    """The lines (indented for a function body) checking ``signature``'s arrays and
    numbers.  Numba types a number as
    such, and reads ``ndim`` of arrays only, so a jitted module checks arrays alone."""
    lines = []
    for name, value in signature.items():
        condition = _misfit(safe.identifier(name, "a parameter"), value, jit)
        if condition is None:
            continue
        message = f"{entry} was written for {name} of {_described(value)} (see its docstring)"
        lines += [f"    if {condition}:",
                  f"        raise TypeError({safe.constant(message)})"]
    return lines


def _misfit(name: str, value, jit: bool) -> str | None:
    """A condition true when the argument ``name`` does not fit ``value``."""
    if isinstance(value, types.Num) and value.kind in ("float", "int") and not jit:
        return f'getattr({name}, "ndim", 0) != 0'
    if not isinstance(value, types.Arr):
        return None
    ndim = f"{name}.ndim" if jit else f'getattr({name}, "ndim", 0)'
    parts = [f"{ndim} != {value.ndim}"]
    for axis, one in enumerate(value.ones):
        if one is not None:
            parts.append(f"{name}.shape[{axis}] {'!=' if one else '=='} 1")
    return " or ".join(parts)


def _described(value) -> str:
    if isinstance(value, types.Num):
        return "a number"
    if not value.ndim:
        return "0 dimensions"
    shape = ", ".join("?" if one is None else "1" if one else "n" for one in value.ones)
    return f"shape [{shape}]" + ", n not 1" * (False in value.ones)


def with_checks(source: str, entry: str, lines: list[str]) -> str:
    """``source`` with ``lines`` first in the body of its function ``entry`` (after
    its docstring)."""
    if not lines:
        return source
    rows = source.split("\n")
    start = rows.index(next(r for r in rows if r.startswith(f"def {entry}(")))
    body = start + 1
    while not rows[body - 1].rstrip().endswith(":"):  # a signature over several lines
        body += 1
    if rows[body].lstrip().startswith('"""'):
        end = body if rows[body].count('"""') == 2 else next(
            i for i in range(body + 1, len(rows)) if '"""' in rows[i])
        body = end + 1
    return "\n".join(rows[:body] + lines + rows[body:])
