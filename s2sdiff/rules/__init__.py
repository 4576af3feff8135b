"""Derivative rules.  Importing this package registers the built-in rules."""

from . import scalar  # noqa: F401  (registers the scalar rules)
from .registry import Rule, all_rules, constant, is_constant, lookup, partials

__all__ = ["Rule", "all_rules", "constant", "is_constant", "lookup", "partials"]
