r"""Every piece of user text and every value written into generated source.

Generated modules are Python source built from the user's file names,
function names, source lines (in comments), module names and constants.
Each of those goes through one function here, which writes it so that it
cannot end a string or a comment early, cannot break a line, and parses to
exactly what it stands for; what it cannot write that way it refuses with
an :class:`UnsafeError`.

>>> import ast
>>> text = 'C:\\Users\\new ""' + '"' + '\u2028\nimport os'
>>> ast.literal_eval(docstring(text)) == text
True
>>> print(comment("y = x \u2028 z"))
y = x \u2028 z
>>> print(constant(float("inf")), constant((1, -2.5, None)))
float('inf') (1, -2.5, None)
>>> dotted_name("os import system; system('x'); from os")
Traceback (most recent call last):
...
s2sdiff.safe.UnsafeError: "os import system; system('x'); from os" is not a module name: ...
"""

from __future__ import annotations

import keyword
import math
import sys
import unicodedata
from typing import Callable

from .errors import S2SDiffError


class UnsafeError(S2SDiffError):
    """User text or a value that cannot be written into generated source safely."""


# --- text ---------------------------------------------------------------------


def _escaped(char: str) -> str:
    """``char`` as a backslash escape (``\\x0c``, ``\\u2028``, ``\\U0001f600``)."""
    code = ord(char)
    if code < 0x100:
        return {"\t": "\\t", "\r": "\\r", "\n": "\\n"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _visible(text: str, keep: str = "") -> str:
    """``text`` with every character that is not printable (line breaks such as
    ``\\r``, ``\\x0c``, ``\\x1c``, ``\\u2028``, control characters, NUL, lone
    surrogates), except those in ``keep``, written as a backslash escape."""
    if text.isprintable() and "\\" not in keep:
        return text
    return "".join(c if c.isprintable() or c in keep else _escaped(c) for c in text)


def docstring(text: str) -> str:
    """A triple-quoted string literal whose value reads as ``text``.

    Backslashes are doubled, runs of quotes cannot close the literal, and
    characters that are not printable are escaped; newlines stay newlines.
    """
    text = _visible(text.replace("\\", "\\\\"), keep="\n")
    out, run = [], 0
    for i, c in enumerate(text):
        if c == '"':
            run += 1
            if run == 3 or i == len(text) - 1:  # would close the literal
                out.append('\\"')
                run = 0
                continue
        else:
            run = 0
        out.append(c)
    return '"""' + "".join(out) + '"""'


COMMENT_WIDTH = 120  # characters of a source line shown in a comment


def comment(text: str, width: int | None = None) -> str:
    """The text of a one-line ``#`` comment showing ``text``: no character of it
    can end the line (for Python or for an editor).  With ``width``, a longer
    text is cut there and ends with "…" (a 100,000-term line is not copied
    beside every statement it gives)."""
    if width is not None and len(text) > width:
        text = text[:width - 1] + "…"
    return _visible(text)


# --- names --------------------------------------------------------------------


def identifier(name: str, what: str = "a name") -> str:
    """``name``, if Python reads it as that very identifier (not a keyword, and
    unchanged by the NFKC normalisation Python applies to identifiers)."""
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
            and unicodedata.normalize("NFKC", name) == name):
        raise UnsafeError(f"{name!r} is not {what}: s2sdiff writes only plain Python "
                          "identifiers into generated code")
    return name


def dotted_name(name: str, what: str = "a module name") -> str:
    """``name`` if it is identifiers joined by dots (``package.module``)."""
    if not isinstance(name, str) or not all(is_identifier(p) for p in name.split(".")):
        raise UnsafeError(f"{name!r} is not {what}: an importable name is Python identifiers "
                          "joined by dots (rename the file, e.g. my_model.py)")
    return name


def is_identifier(part: str) -> bool:
    """Whether ``identifier`` accepts ``part``."""
    try:
        identifier(part)
    except UnsafeError:
        return False
    return True


# --- values -------------------------------------------------------------------

NameOf = Callable[[object, str], str]


def constant(value: object, name_of: NameOf | None = None) -> str:
    """Python source that evaluates to ``value``, exactly.

    Written: ``None``, ``bool``, ``int``, ``float`` (``float('inf')`` and
    ``float('nan')`` included), ``complex``, ``str``, ``bytes``, tuples of
    those, and NumPy scalars of the bool, integer and float types
    (``np.float64(1.5)``).  Anything else, a subclass of those types
    included (its ``repr`` could be anything), raises :class:`UnsafeError`.
    ``name_of(obj, name)`` gives the name under which the generated module
    reaches ``obj`` (``float``, the ``numpy`` module), as the caller binds it;
    without it, infinities are ``1e309`` and ``-1e309``, NaN ``(1e309-1e309)``
    (as ``ast.unparse`` writes them),
    and NumPy scalars are refused.
    """
    kind = type(value)
    if value is None or kind is bool:
        return repr(value)
    if kind is int:
        return _integer(value)
    if kind is float:
        return _float(value, name_of)
    if kind is complex:
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise UnsafeError(f"cannot write the complex number {value!r} exactly")
        return repr(value)
    if kind in (str, bytes):
        return repr(value)  # repr escapes quotes, backslashes and line breaks
    if kind is tuple:
        items = [constant(v, name_of) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    numpy_type = _numpy_scalar_name(kind)
    if numpy_type is not None and name_of is not None:
        numpy = sys.modules["numpy"]
        inner = value.item()
        text = _float(inner, name_of) if isinstance(inner, float) else constant(inner, name_of)
        return f"{name_of(numpy, 'np')}.{numpy_type}({text})"
    raise UnsafeError(f"cannot write a value of type {kind.__qualname__!r} into generated code "
                      "(only numbers, strings, None and tuples of them are written)")


def _integer(value: int) -> str:
    """Decimal, or hexadecimal when long (Python limits decimal text to 4300 digits)."""
    if value.bit_length() < 3000:  # about 900 digits
        return repr(value)
    return ("-" if value < 0 else "") + hex(abs(value))


def _float(value: float, name_of: NameOf | None) -> str:
    if math.isfinite(value):
        return repr(value)
    if name_of is None:  # literals only: no name to look up
        return "(1e309-1e309)" if math.isnan(value) else "-1e309" if value < 0 else "1e309"
    text = "nan" if math.isnan(value) else "-inf" if value < 0 else "inf"
    return f"{name_of(float, 'float')}('{text}')"


def _numpy_scalar_name(kind: type) -> str | None:
    """The attribute of ``numpy`` naming the scalar type ``kind``, if it is one written."""
    numpy = sys.modules.get("numpy")
    if numpy is None or getattr(kind, "__module__", None) != "numpy":
        return None
    for name in ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64"):
        if getattr(numpy, name, None) is kind:
            return name
    return None
