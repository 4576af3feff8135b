"""The rule table: derivative rules written once as edge partials.

A rule is a small Python function whose parameters stand for the inputs of an
operation and whose body returns one expression per input: the partial
derivative of the output with respect to that input.  The rule is never
called; its source is parsed once and its parameters are replaced by the
names of the program's values, so both emitters can read it::

    @partials(math.sin)
    def _(x):
        return (math.cos(x),)

A keyword-only parameter ``out`` stands for the operation's result
(``math.exp`` has partial ``out``).  ``None`` in the returned tuple marks an
input with no derivative (an integer argument, say).  Functions with no
derivative at all (``len``, ``int``, comparisons) are registered with
:func:`constant`.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from ..errors import S2SDiffError


@dataclass(frozen=True)
class Rule:
    """The edge partials of one callable."""

    fn: object
    params: tuple[str, ...]
    partials: tuple[ast.expr | None, ...]
    namespace: dict = field(repr=False, compare=False)
    definition: Callable | None = field(default=None, repr=False, compare=False)


_RULES: dict[int, Rule] = {}
_CONSTANT: dict[int, object] = {}


def _key(fn: object) -> int:
    return id(fn)


def _parse_rule(definition: Callable) -> tuple[tuple[str, ...], tuple[ast.expr | None, ...]]:
    """Read the parameter names and the returned partial expressions of a rule."""
    source = textwrap.dedent(inspect.getsource(definition))
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise S2SDiffError(f"rule {definition!r} must be a def")
    params = tuple(a.arg for a in tree.args.args)
    kwonly = tuple(a.arg for a in tree.args.kwonlyargs)
    if kwonly not in ((), ("out",)):
        raise S2SDiffError(f"rule {tree.name}: the only keyword-only parameter allowed is 'out'")
    body = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        raise S2SDiffError(f"rule {tree.name}: the body must be a single `return (partial, ...)`")
    value = body[0].value
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    if len(items) != len(params):
        raise S2SDiffError(
            f"rule {tree.name}: returns {len(items)} partials for {len(params)} parameters"
        )
    partials = tuple(
        None if isinstance(e, ast.Constant) and e.value is None else e for e in items
    )
    return params, partials


def partials(*fns: object) -> Callable[[Callable], Callable]:
    """Register the decorated rule as the edge partials of each callable in ``fns``."""

    def register(definition: Callable) -> Callable:
        params, exprs = _parse_rule(definition)
        for fn in fns:
            rule = Rule(fn, params, exprs, definition.__globals__, definition)
            _RULES[_key(fn)] = rule
            _CONSTANT.pop(_key(fn), None)
        return definition

    return register


def constant(*fns: object) -> None:
    """Declare callables whose result has no derivative (integer or boolean work)."""
    for fn in fns:
        _CONSTANT[_key(fn)] = fn
        _RULES.pop(_key(fn), None)


def lookup(fn: object) -> Rule | None:
    """The partials rule of ``fn``, or None."""
    rule = _RULES.get(_key(fn))
    return rule if rule is not None and rule.fn is fn else None


def is_constant(fn: object) -> bool:
    """True when ``fn`` is registered as having no derivative."""
    return _CONSTANT.get(_key(fn)) is fn


def all_rules() -> list[Rule]:
    """Every registered partials rule, in registration order."""
    return list(_RULES.values())
