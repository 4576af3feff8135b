"""Errors: every rejected construct gives the right class, a located message and a hint.

The functions under test live in this file, so an error's location must be a
real line of this file; expected lines and columns are computed from the
functions' source (``inspect.getsourcelines``), never hard-coded.  An error may
be raised when ``grad(f)`` is created or, at the latest, on its first call.

Also here: ``NoSourceError`` for functions without source, and the public
extension points ``partials`` (a rule for an opaque callable) and
``constant`` (a callable with no derivative).
"""

from __future__ import annotations

import contextlib
import inspect
import linecache
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from s2sdiff import (
    NoRuleError,
    NoSourceError,
    S2SDiffError,
    UnsupportedSyntaxError,
    constant,
    grad,
    partials,
)
from tests.fd import assert_grad_close

# --- opaque callables: no source s2sdiff can read ----------------------------------

_EXEC_NAMESPACE = {"math": math}
exec(  # noqa: S102  (functions without source, on purpose)
    "def cube_opaque(x):\n    return x * x * x\n\n"
    "def bucket_opaque(x):\n    return float(int(x * 4.0))\n\n"
    "def square_opaque(x):\n    return x * x\n",
    _EXEC_NAMESPACE,
)
cube_opaque = _EXEC_NAMESPACE["cube_opaque"]
bucket_opaque = _EXEC_NAMESPACE["bucket_opaque"]
square_opaque = _EXEC_NAMESPACE["square_opaque"]


class _Opaque:
    """A user-supplied callable object: s2sdiff has no rule for it."""

    def __call__(self, x):
        return x * 3.0


class _Product:
    """A callable object that gets a rule in ``test_partials_rule_for_opaque_callables``."""

    def __call__(self, x, y):
        return x * y


class _Holder:
    value = 0.0


OPAQUE = _Opaque()
PRODUCT = _Product()
HOLDER = _Holder()
OUTER = []
COUNTER = 0.0


# --- functions s2sdiff must reject ----------------------------------------------------


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with contextlib.nullcontext(x) as y:
        return y * 2.0


def uses_yield(x):
    yield x * 2.0


def _apply(fn, x):
    return fn(x)


def uses_lambda(x):
    return _apply(lambda t: t * t, x)


def uses_global(x):
    global COUNTER
    COUNTER = x
    return x * 2.0


def make_nonlocal():
    total = 0.0

    def uses_nonlocal(x):
        nonlocal total
        total = total + x
        return total * x

    return uses_nonlocal


def uses_class(x):
    class Box:
        pass

    return x * 2.0


def _plain_helper(x, y):
    return x * y


def uses_star_call(x):
    args = (x, 2.0)
    return _plain_helper(*args)


def uses_attribute_assignment(x):
    HOLDER.value = x
    return x * 2.0


def uses_outer_append(x):
    OUTER.append(x)
    return x * 2.0


async def uses_async(x):
    return x * 2.0


def uses_star_param(*xs):
    return xs[0] * 2.0


def uses_gamma(x):
    return math.gamma(x) * 2.0


def uses_opaque_object(x):
    return OPAQUE(x) + x


def uses_unregistered(x):
    return square_opaque(x) + x


def adds_to_a_tuple(x):
    return (1.0, x) + x * x  # a TypeError in Python too: rejected, not crashed on


@dataclass(frozen=True)
class Bad:
    """A function s2sdiff must reject, and what the error must say."""

    fn: Callable
    args: tuple
    error: type
    sites: tuple[tuple[Callable, str], ...]  # (function, text): where the error may point
    words: tuple[str, ...]  # the message names the construct with one of these


uses_nonlocal = make_nonlocal()

BAD = {
    "try": Bad(uses_try, (1.0,), UnsupportedSyntaxError, ((uses_try, "try:"),), ("try",)),
    "with": Bad(uses_with, (1.0,), UnsupportedSyntaxError, ((uses_with, "with contextlib"),), ("with",)),
    "yield": Bad(uses_yield, (1.0,), UnsupportedSyntaxError, ((uses_yield, "yield x"),), ("yield",)),
    "lambda": Bad(uses_lambda, (1.0,), UnsupportedSyntaxError, ((uses_lambda, "lambda t"),), ("lambda",)),
    "global": Bad(uses_global, (1.0,), UnsupportedSyntaxError, ((uses_global, "global COUNTER"),), ("global",)),
    "nonlocal": Bad(uses_nonlocal, (1.0,), UnsupportedSyntaxError,
                    ((uses_nonlocal, "nonlocal total"),), ("nonlocal",)),
    "class": Bad(uses_class, (1.0,), UnsupportedSyntaxError, ((uses_class, "class Box"),), ("class",)),
    "star-call": Bad(uses_star_call, (1.0,), UnsupportedSyntaxError,
                     ((uses_star_call, "_plain_helper(*"), (uses_star_call, "*args")),
                     ("*", "star", "unpack")),
    "attribute-assignment": Bad(uses_attribute_assignment, (1.0,), UnsupportedSyntaxError,
                                ((uses_attribute_assignment, "HOLDER.value"),), ("attribute",)),
    "outer-mutation": Bad(uses_outer_append, (1.0,), UnsupportedSyntaxError,
                          ((uses_outer_append, "OUTER.append"),), ("append", "mutat", "OUTER")),
    "async": Bad(uses_async, (1.0,), UnsupportedSyntaxError, ((uses_async, "async def"),), ("async",)),
    "star-param": Bad(uses_star_param, (1.0,), UnsupportedSyntaxError,
                      ((uses_star_param, "def "), (uses_star_param, "*xs"), (uses_star_param, "xs)")),
                      ("*", "star", "variadic")),
    "tuple-operand": Bad(adds_to_a_tuple, (1.0,), UnsupportedSyntaxError,
                         ((adds_to_a_tuple, "(1.0, x)"),), ("tuple",)),
    "no-rule-c-function": Bad(uses_gamma, (1.5,), NoRuleError,
                              ((uses_gamma, "math.gamma"),), ("gamma",)),
    "no-rule-object": Bad(uses_opaque_object, (1.5,), NoRuleError,
                          ((uses_opaque_object, "OPAQUE(x)"),), ("opaque",)),
    "no-rule-exec-function": Bad(uses_unregistered, (1.5,), NoRuleError,
                                 ((uses_unregistered, "square_opaque(x)"),), ("square_opaque",)),
}


# --- checking a located error ------------------------------------------------------------


def site_position(fn: Callable, needle: str) -> tuple[int, int]:
    """(1-based line, 0-based column) of the first occurrence of needle in fn's source."""
    lines, start = inspect.getsourcelines(fn)
    for offset, text in enumerate(lines):
        if needle in text:
            return start + offset, text.index(needle)
    raise AssertionError(f"{needle!r} not in the source of {fn.__name__}")


def indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def check_location(err, sites) -> str:
    """The error points at one of the sites (this file); return that real source line."""
    loc = err.location
    assert loc is not None, "the error has no location"
    assert same_file(loc.filename, __file__), loc.filename
    expected = {site_position(fn, needle) for fn, needle in sites}
    assert (loc.lineno, loc.col) in expected, f"points at {(loc.lineno, loc.col)}, expected one of {expected}"
    return linecache.getline(loc.filename, loc.lineno)


def check_rendering(err, real_line: str, words) -> None:
    """`file:line:col: message`, the source line, a caret under the column, a hint."""
    loc = err.location
    head, source, caret, *rest = str(err).splitlines()
    match = re.match(r"^(.+?):(\d+):(\d+): (.+)$", head)
    assert match, f"bad first line: {head!r}"
    filename, line, col, message = match.groups()
    assert same_file(filename, loc.filename) and int(line) == loc.lineno
    assert int(col) in (loc.col, loc.col + 1), "the column is shown 0- or 1-based"
    assert any(w.lower() in message.lower() for w in words), f"{message!r} does not name {words}"
    assert source.strip() == real_line.strip()
    assert caret.strip() == "^"
    assert caret.index("^") - indent(source) == loc.col - indent(real_line), "caret under the wrong column"
    assert any(r.startswith("hint: ") and r[len("hint: "):].strip() for r in rest), "no hint"


@pytest.mark.parametrize("bad", [pytest.param(b, id=k) for k, b in BAD.items()])
def test_rejected_with_location(bad):
    with pytest.raises(bad.error) as info:
        grad(bad.fn)(*bad.args)
    real_line = check_location(info.value, bad.sites)
    check_rendering(info.value, real_line, bad.words)
    if bad.error is NoRuleError:
        assert "s2sdiff.partials" in str(info.value), "the message must say how to register a rule"


def test_error_classes_share_a_base():
    for cls in (UnsupportedSyntaxError, NoRuleError, NoSourceError):
        assert issubclass(cls, S2SDiffError)


@pytest.mark.parametrize("fn", [math.sin, square_opaque], ids=["builtin", "exec-made"])
def test_no_source(fn):
    with pytest.raises(NoSourceError) as info:
        grad(fn)(0.5)
    assert fn.__name__ in str(info.value)


# --- extension points: partials and constant ---------------------------------------------


def uses_custom_rules(x, y):
    return cube_opaque(x) * y + PRODUCT(x, math.sin(y))


def uses_constant_callable(x):
    return x * x + bucket_opaque(x) * x


def test_partials_rule_for_opaque_callables():
    @partials(cube_opaque)
    def _cube(x):
        return (3.0 * x * x,)

    @partials(PRODUCT)
    def _product(x, y):
        return (y, x)

    g = grad(uses_custom_rules, wrt=(0, 1))
    for point in [(0.5, 1.2), (1.5, -0.7), (-2.0, 0.3)]:
        assert_grad_close(uses_custom_rules, g, point, (0, 1))


def test_constant_callable_has_no_derivative():
    constant(bucket_opaque)
    g = grad(uses_constant_callable)
    for x in [0.3, 1.1, 2.6]:  # away from the jumps of int(4x)
        assert_grad_close(uses_constant_callable, g, (x,), 0)
        assert g(x) == pytest.approx(2.0 * x + bucket_opaque(x), rel=1e-10)


def _cubed(x):
    return x * x * x


def _uses_cubed(x):
    return _cubed(x) + x


def test_registering_a_rule_again_regenerates_cached_derivatives():
    from s2sdiff import jvp

    partials(_cubed)(_wrong_cube_rule)
    assert grad(_uses_cubed)(2.0) == 5.0
    partials(_cubed)(_cube_rule)
    assert grad(_uses_cubed)(2.0) == 13.0
    assert jvp(_uses_cubed)(2.0, 1.0)[1] == 13.0


def _wrong_cube_rule(x):
    return (2.0 * x,)


def _cube_rule(x):
    return (3.0 * x * x,)
