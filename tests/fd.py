"""Central finite differences: the reference the generated gradients are checked against.

Step size: ``h = 1e-6 * max(1, |x|)``, relative for large ``|x|`` so that
``x ± h`` differs from ``x`` in about the same number of bits at every scale.

Tolerances (``rtol=1e-6``, ``atol=1e-8``): the central difference has a
truncation error of about ``h² |f'''| / 6`` (≈ 1e-13 here) and a rounding
error of about ``eps |f| / h`` (≈ 2e-10 |f|), so for the corpus it agrees with
the exact derivative to roughly 1e-9 relative.  ``rtol=1e-6`` leaves a wide
margin above that noise, while any real mistake in a derivative (a missing
term, a wrong sign, a wrong branch) is off by far more.  ``atol=1e-8`` covers
gradients that are exactly zero, where the difference quotient is pure
rounding noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

RTOL = 1e-6
ATOL = 1e-8
STEP = 1e-6


def fd_partial(f: Callable, args: Sequence, i: int) -> float:
    """∂f/∂args[i] by a central difference."""
    x = args[i]
    h = STEP * max(1.0, abs(x))
    up = list(args)
    down = list(args)
    up[i] = x + h
    down[i] = x - h
    return (f(*up) - f(*down)) / (2.0 * h)


def fd_grad(f: Callable, args: Sequence, wrt: Sequence[int]) -> tuple[float, ...]:
    """The partials of f at args with respect to each index in wrt, in that order."""
    return tuple(fd_partial(f, args, i) for i in wrt)


def assert_grad_close(f: Callable, g: Callable, args: Sequence, wrt: int | tuple[int, ...]) -> None:
    """Check the gradient function g against finite differences of f at args.

    ``wrt`` is one index (g must return one float) or a tuple of indices
    (g must return a tuple of floats, in the same order).
    """
    got = g(*args)
    if isinstance(wrt, int):
        got, wrt = (got,), (wrt,)
    else:
        assert isinstance(got, tuple), f"a tuple wrt must give a tuple, got {got!r}"
        assert len(got) == len(wrt), f"expected {len(wrt)} gradients, got {got!r}"
    expected = fd_grad(f, args, wrt)
    for i, value, reference in zip(wrt, got, expected):
        assert isinstance(value, float), f"∂f/∂arg{i} is {value!r}, not a float"
        assert math.isclose(value, reference, rel_tol=RTOL, abs_tol=ATOL), (
            f"∂f/∂arg{i} at {tuple(args)}: got {value!r}, finite differences {reference!r}"
        )


def fd_argument_gradient(f: Callable, args: Sequence, i: int, h: float = STEP):
    """∂f/∂args[i] of a function returning a number, element by element (a number
    argument too); each evaluation gets arrays of its own."""
    import numpy as np

    x = np.asarray(args[i], dtype=float)
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        shifted = [list(args), list(args)]
        shifted[0][i] = up if x.shape else float(up)
        shifted[1][i] = down if x.shape else float(down)
        out[index] = (f(*shifted[0]) - f(*shifted[1])) / (2 * h)
    return out


def fd_array_gradient(f: Callable, x, h: float = STEP):
    """∂f/∂x of a function of one array returning a number."""
    return fd_argument_gradient(f, (x,), 0, h)


def fd_argument_jacobian(f: Callable, args: Sequence, i: int, h: float = 1e-5):
    """∂f/∂args[i] of a function returning an array (or a number), JAX's shape: the
    output's dimensions, then the argument's (a gradient's: a Hessian block)."""
    import numpy as np

    x = np.asarray(args[i], dtype=float)
    out = None
    for index in np.ndindex(x.shape):
        shifted = [list(args), list(args)]
        for sign, point in zip((1, -1), shifted):
            moved = x.copy()
            moved[index] += sign * h
            point[i] = moved if x.shape else float(moved)
        column = (np.asarray(f(*shifted[0])) - np.asarray(f(*shifted[1]))) / (2 * h)
        if out is None:
            out = np.zeros(column.shape + x.shape)
        out[(...,) + index] = column
    return out


def assert_gradients_match_fd(f: Callable, args: Sequence, wrt: tuple, rtol: float = 1e-6,
                              atol: float = 1e-8) -> None:
    """``s2sdiff.grad(f, wrt)`` in reverse and forward mode equals central differences,
    shapes included."""
    import numpy as np

    import s2sdiff

    for mode in ("reverse", "forward"):
        got = s2sdiff.grad(f, wrt=wrt, mode=mode)(*args)
        for k, i in enumerate(wrt):
            want = fd_argument_gradient(f, args, i)
            assert np.shape(got[k]) == np.shape(args[i]), (mode, i)
            np.testing.assert_allclose(got[k], want, rtol=rtol, atol=atol, err_msg=mode)
