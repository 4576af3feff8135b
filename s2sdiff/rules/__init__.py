"""Derivative rules.  Importing this package registers the built-in rules."""

from . import indexing as _indexing_rules  # noqa: F401  (registers array item reads)
from . import joining as _joining_rules  # noqa: F401  (registers concatenate, stack)
from . import numpy as _numpy_rules  # noqa: F401  (registers the NumPy rules)
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
    vjp,
)



def elementwise_rule(fn, nargs: int, arrays: bool):
    """The partials rule of ``fn``; in array code, the NumPy rule of ``abs``, ``**``…"""
    if arrays:
        fn = _numpy_rules.ARRAY_EQUIVALENTS.get(fn, fn)
    return lookup(fn, nargs)


__all__ = ["elementwise_rule", "ArrayRule", "Rule", "all_rules", "constant", "helper", "is_constant", "jvp",
           "lookup", "lookup_array", "partials", "vjp"]
