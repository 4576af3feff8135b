"""Short text for the picture: numbers, factors of a product, ẋ and x̄ names."""

from __future__ import annotations

import ast
import unicodedata


def format_value(value) -> str:
    """A number, briefly: 1.0 → "1", 0.5403023058681398 → "0.5403"."""
    if value is None:
        return "?"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and abs(value) < 10 ** 15:
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        try:
            return f"{value:.4g}"
        except OverflowError:  # an int too large for a float
            return f"{'-' if value < 0 else ''}~10^{int(abs(value).bit_length() * 0.30103)}"
    try:
        import numpy

        if isinstance(value, numpy.ndarray):
            if value.size <= 4:
                return numpy.array2string(value, precision=4, separator=", ")
            return f"array{value.shape}"
        if isinstance(value, numpy.generic):
            return format_value(value.item())
    except ImportError:  # pragma: no cover
        pass
    text = repr(value)
    return text if len(text) < 30 else text[:27] + "…"


def factor(text: str) -> str:
    """``text`` as a factor of a product: parenthesized unless it is atomic."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text
    if isinstance(tree, (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript)):
        return text
    return f"({text})"


def superscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def dotted(name: str) -> str:
    """``name`` with a dot over its first letter (precomposed where Unicode has it)."""
    return unicodedata.normalize("NFC", name[0] + "\u0307") + name[1:]


def barred(name: str) -> str:
    """``name`` with a bar over its first letter."""
    return unicodedata.normalize("NFC", name[0] + "\u0304") + name[1:]
