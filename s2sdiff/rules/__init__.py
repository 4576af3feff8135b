"""Derivative rules.  Importing this package registers the built-in rules."""

from . import indexing as _indexing_rules  # noqa: F401  (registers array item reads)
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

__all__ = ["ArrayRule", "Rule", "all_rules", "constant", "helper", "is_constant", "jvp",
           "lookup", "lookup_array", "partials", "vjp"]
