"""Built-in scalar rules: operators, builtins and ``math``, as edge partials.

Each rule states the partial derivative of the result with respect to each
argument, as a plain Python expression over the arguments (and ``out``, the
result, where that is cheaper).  ``tests/test_rules_sympy.py`` checks every
rule against ``sympy.diff``.  Templates use only builtins and ``math``.

Non-differentiable points follow JAX (checked with ``jax.grad``, jax 0.10):

- ``abs(x)``, ``math.fabs(x)`` at 0: derivative 1 (``x >= 0`` takes the
  positive branch, also for ``-0.0``).
- ``max(x, y)``, ``min(x, y)`` at a tie: 0.5 to each argument, so
  ``max(x, x)`` has derivative 1.
- ``x // y``, ``math.floor``, ``math.ceil``, ``math.trunc``, ``round``,
  ``int``: constant, derivative 0 everywhere.
- ``x % y``: partials ``1`` and ``-(x // y)`` everywhere, at the jumps too;
  ``math.fmod(x, y)``: ``1`` and ``-trunc(x / y)``.
- ``math.copysign(x, y)``: ``±1`` in ``x`` (the sign of ``abs``, 1 at ``x = 0``,
  times the sign bit of ``y``), ``0`` in ``y``.
- ``x ** y`` in ``y`` at ``x == 0``: 0 (the limit from the right).
- Where the derivative is infinite (``sqrt``/``cbrt`` at 0, ``asin``/``acos``
  at ±1, ``log`` at 0) JAX returns ``inf``; the templates are the plain
  formulas, so with Python floats they raise ``ZeroDivisionError`` there (and
  give ``inf`` with NumPy floats).  Undefined points (``atan2(0, 0)``,
  ``hypot(0, 0)``) likewise raise rather than give a made-up value.
"""

from __future__ import annotations

import builtins
import math
import operator

from .registry import constant, helper, partials

# --- arithmetic operators ---------------------------------------------------


@partials(operator.add)
def _(x, y):
    return (1.0, 1.0)


@partials(operator.sub)
def _(x, y):
    return (1.0, -1.0)


@partials(operator.mul)
def _(x, y):
    return (y, x)


@partials(operator.truediv)
def _(x, y, *, out):
    return (1.0 / y, -out / y)  # not -x / (y * y): one operation less, and y * y may underflow


@partials(operator.neg)
def _(x):
    return (-1.0,)


@partials(operator.pos, builtins.float)
def _(x):
    return (1.0,)


# In x at y == 0: 0 (x ** 0 is constant; 0.0 ** -1 would raise at x == 0).
# In y at x == 0: 0, as JAX (the limit of x ** y * log(x) as x -> 0+).
# At x < 0 math.log raises: x ** y has no real derivative in y there.
@partials(operator.pow, builtins.pow, math.pow)
def _(x, y, *, out):
    return (y * x ** (y - 1) if y != 0 else 0.0, out * math.log(x) if x != 0 else 0.0)


# As JAX: partials 1 and -(x // y) everywhere, also where x / y is an integer.
@partials(operator.mod)
def _(x, y):
    return (1.0, -(x // y))


# As JAX: partials 1 and -trunc(x / y) everywhere.
@partials(math.fmod)
def _(x, y):
    return (1.0, -math.trunc(x / y))


# --- absolute value, sign, min and max ---------------------------------------


# As JAX: 1 at x == 0 (and at -0.0).
@partials(builtins.abs, operator.abs, math.fabs)
def _(x):
    return (1.0 if x >= 0 else -1.0,)


# As JAX: the sign of abs(x) (1 at x == 0) times the sign bit of y; 0 in y.
@partials(math.copysign)
def _(x, y):
    return ((1.0 if x >= 0 else -1.0) * math.copysign(1.0, y), 0.0)


# As JAX: 0.5 to each argument at a tie.  n-ary max is applied pairwise.
@partials(builtins.max)
def _(x, y):
    return (
        1.0 if x > y else 0.5 if x == y else 0.0,
        1.0 if y > x else 0.5 if x == y else 0.0,
    )


@partials(builtins.min)
def _(x, y):
    return (
        1.0 if x < y else 0.5 if x == y else 0.0,
        1.0 if y < x else 0.5 if x == y else 0.0,
    )


# --- exponentials and logarithms ---------------------------------------------


@partials(math.exp)
def _(x, *, out):
    return (out,)


@partials(math.expm1)
def _(x, *, out):
    return (out + 1.0,)


if hasattr(math, "exp2"):  # Python >= 3.11

    @partials(math.exp2)
    def _(x, *, out):
        return (out * math.log(2.0),)


@partials(math.log)
def _(x):
    return (1.0 / x,)


@partials(math.log, arity=2)
def _(x, base):
    return (1.0 / (x * math.log(base)), -math.log(x) / (base * math.log(base) ** 2))


@partials(math.log1p)
def _(x):
    return (1.0 / (1.0 + x),)


@partials(math.log2)
def _(x):
    return (1.0 / (x * math.log(2.0)),)


@partials(math.log10)
def _(x):
    return (1.0 / (x * math.log(10.0)),)


# sqrt and cbrt at 0: infinite in JAX; here ZeroDivisionError with floats.
@partials(math.sqrt)
def _(x, *, out):
    return (0.5 / out,)


if hasattr(math, "cbrt"):  # Python >= 3.11

    @partials(math.cbrt)
    def _(x, *, out):
        return (1.0 / (3.0 * out * out),)


# At (0, 0) undefined (JAX gives 0.5, 0.5 as an artefact of its max/min
# formulation); here ZeroDivisionError.
@partials(math.hypot)
def _(x, y, *, out):
    return (x / out, y / out)


# --- trigonometric and hyperbolic --------------------------------------------


@partials(math.sin)
def _(x):
    return (math.cos(x),)


@partials(math.cos)
def _(x):
    return (-math.sin(x),)


@partials(math.tan)
def _(x, *, out):
    return (1.0 + out * out,)


@partials(math.asin)
def _(x):
    return (1.0 / math.sqrt(1.0 - x * x),)


@partials(math.acos)
def _(x):
    return (-1.0 / math.sqrt(1.0 - x * x),)


@partials(math.atan)
def _(x):
    return (1.0 / (1.0 + x * x),)


@partials(math.atan2)
def _(y, x):
    return (x / (x * x + y * y), -y / (x * x + y * y))


@partials(math.sinh)
def _(x):
    return (math.cosh(x),)


@partials(math.cosh)
def _(x):
    return (math.sinh(x),)


@partials(math.tanh)
def _(x, *, out):
    return (1.0 - out * out,)


@partials(math.asinh)
def _(x):
    return (1.0 / math.sqrt(x * x + 1.0),)


@partials(math.acosh)
def _(x):
    return (1.0 / math.sqrt(x * x - 1.0),)


@partials(math.atanh)
def _(x):
    return (1.0 / (1.0 - x * x),)


@partials(math.degrees)
def _(x):
    return (180.0 / math.pi,)


@partials(math.radians)
def _(x):
    return (math.pi / 180.0,)


# --- special functions and the rest ------------------------------------------


@partials(math.erf)
def _(x):
    return (2.0 / math.sqrt(math.pi) * math.exp(-x * x),)


@partials(math.erfc)
def _(x):
    return (-2.0 / math.sqrt(math.pi) * math.exp(-x * x),)


# ldexp(x, i) = x * 2 ** i; i is an integer.
@partials(math.ldexp)
def _(x, i):
    return (math.ldexp(1.0, i), None)


if hasattr(math, "fma"):  # Python >= 3.13

    @partials(math.fma)
    def _(x, y, z):
        return (y, x, 1.0)


# --- no derivative: integer, boolean and piecewise-constant results ----------

constant(
    builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
    builtins.isinstance,
    operator.floordiv, math.floor, math.ceil, math.trunc,
    math.isnan, math.isinf, math.isfinite, math.isclose,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.truth, operator.is_, operator.is_not, operator.contains,
    operator.index,
    math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt,
)


# --- cutting a derivative ------------------------------------------------------------


@helper
def stop_gradient(x):
    """``x``, with no derivative flowing through it (as ``jax.lax.stop_gradient``)."""
    return x


constant(stop_gradient)
