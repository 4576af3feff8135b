"""Derivative rules.  Importing this package registers the built-in scalar rules;
the NumPy and SciPy rules are registered once NumPy or SciPy is imported."""

from . import scalar  # noqa: F401  (registers the scalar rules)
from .registry import (
    ArrayRule,
    Rule,
    all_rules,
    constant,
    helper,
    is_constant,
    jvp,
    lookup,
    lookup_array,
    partials,
    register_when_imported,
    vjp,
)

register_when_imported("numpy", "s2sdiff.rules.numpy", "s2sdiff.rules.indexing",
                       "s2sdiff.rules.joining", "s2sdiff.rules.shaping",
                       "s2sdiff.rules.linalg", "s2sdiff.rules.signal")
register_when_imported("scipy.special", "s2sdiff.rules.scipy")
register_when_imported("scipy.stats", "s2sdiff.rules.scipy_stats")
register_when_imported("scipy.linalg", "s2sdiff.rules.scipy_linalg")


def elementwise_rule(fn, nargs: int, arrays: bool):
    """The partials rule of ``fn``; in array code, the NumPy rule of ``abs``, ``**``…"""
    if arrays:
        fn = _array_equivalents().get(fn, fn)
    return lookup(fn, nargs)


_EQUIVALENTS: list = []  # the NumPy rules' ARRAY_EQUIVALENTS, once loaded (with NumPy)


def _array_equivalents() -> dict:
    """NumPy's rules' callables standing for Python's in array code (imported once:
    an import statement costs a microsecond at each of many operations)."""
    if not _EQUIVALENTS:
        from .numpy import ARRAY_EQUIVALENTS

        _EQUIVALENTS.append(ARRAY_EQUIVALENTS)
    return _EQUIVALENTS[0]


__all__ = ["elementwise_rule", "ArrayRule", "Rule", "all_rules", "constant", "helper",
           "is_constant", "jvp", "lookup", "lookup_array", "partials", "register_when_imported",
           "vjp"]
