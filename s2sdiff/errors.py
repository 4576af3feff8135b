"""The exceptions s2sdiff raises; every one names what went wrong and where."""

from __future__ import annotations


class S2SDiffError(Exception):
    """Base class of every error s2sdiff raises on purpose."""


class Location:
    """A place in a source file: file, 1-based line, 0-based column, and the line's text."""

    __slots__ = ("filename", "lineno", "col", "line")

    def __init__(self, filename: str, lineno: int, col: int, line: str = ""):
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.line = line

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col + 1}"

    def excerpt(self) -> str:
        """The source line with a caret under the column, compiler style."""
        if not self.line:
            return ""
        text = self.line.rstrip("\r\n")
        stripped = text.lstrip()
        at = max(self.col - (len(text) - len(stripped)), 0)
        if len(stripped) > _WIDTH:  # a window around the column
            start = max(0, min(at - _WIDTH // 2, len(stripped) - _WIDTH))
            stripped = ("…" if start else "") + stripped[start:start + _WIDTH] + (
                "…" if start + _WIDTH < len(stripped) else "")
            at = at - start + (1 if start else 0)
        return f"    {stripped}\n    {' ' * at}^"


_WIDTH = 100  # characters of a long source line shown in an error


def line_location(origin) -> Location | None:
    """The start of the source line ``origin`` (an ``ir.Origin``: file and line), if any."""
    if origin is None:
        return None
    import linecache

    line = linecache.getline(origin.filename, origin.lineno)
    return Location(origin.filename, origin.lineno, len(line) - len(line.lstrip()), line)


class UsageError(S2SDiffError):
    """Bad command-line input (exit code 2)."""


class LocatedError(S2SDiffError):
    """An error tied to a place in the user's source."""

    def __init__(self, message: str, location: Location | None = None, hint: str = ""):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        head = f"{self.location}: {self.message}" if self.location else self.message
        parts.append(head)
        if self.location is not None and self.location.excerpt():
            parts.append(self.location.excerpt())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(LocatedError):
    """A construct s2sdiff does not differentiate (e.g. `try`, `yield`, `lambda`)."""


class NeedsArgumentsError(UnsupportedSyntaxError):
    """What generic code cannot write but code for a call's arguments may: a field
    read of a parameter (``p.W``: a namedtuple's or dataclass's), a call of a
    parameter (``f(x)``: a function passed as an argument)."""


class NoRuleError(LocatedError):
    """A call to a callable s2sdiff has no derivative rule for and cannot read."""


class NameResolutionError(LocatedError):
    """A name in the function that s2sdiff cannot resolve."""


class NoSourceError(S2SDiffError):
    """The function's source code cannot be found (REPL, builtins, C extensions)."""


class RecursionNotSupportedError(UnsupportedSyntaxError):
    """A function that calls itself, directly or through others."""
