"""NumPy code end to end: every function of the NumPy corpus in both modes.

Reverse mode against central finite differences, forward mode against
reverse mode with the dot-product test, and the caller's arrays unmodified.
"""

import numpy as np
import pytest

from s2sdiff import grad, jvp
from tests.corpus_numpy import NUMPY_CORPUS

SCALAR = [c for c in NUMPY_CORPUS if c.output == "scalar"]
POINTS = [pytest.param(c, p, id=f"{c.name}-{i}") for c in SCALAR for i, p in enumerate(c.points)]
ALL = [pytest.param(c, c.points[0], id=c.name) for c in NUMPY_CORPUS]


def _fd(f, args, i, direction, h=1e-6):
    plus = list(args)
    minus = list(args)
    plus[i] = args[i] + h * direction
    minus[i] = args[i] - h * direction
    return (f(*plus) - f(*minus)) / (2 * h)


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


@pytest.mark.parametrize("case, point", POINTS)
def test_reverse_matches_finite_differences(case, point):
    rng = np.random.default_rng(0)
    before = _copy(point)
    grads = grad(case.fn, wrt=case.wrt)(*point)
    for a, b in zip(point, before):
        np.testing.assert_array_equal(a, b)  # the caller's arrays are not modified
    for i, g in zip(case.wrt, grads):
        direction = rng.normal(size=np.shape(point[i])) if np.ndim(point[i]) else 1.0
        assert np.shape(g) == np.shape(point[i])
        expected = _fd(case.fn, point, i, direction)
        got = np.sum(np.asarray(g) * direction)
        assert got == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("case, point", ALL)
def test_forward_agrees_with_reverse(case, point):
    """⟨J v, w⟩ = ⟨v, Jᵀ w⟩ with random v (and random w for array outputs)."""
    rng = np.random.default_rng(1)
    tangents = tuple(rng.normal(size=np.shape(point[i])) if np.ndim(point[i]) else rng.normal()
                     for i in case.wrt)
    value, jv = jvp(case.fn, wrt=case.wrt)(*point, tangents)
    weight = rng.normal(size=np.shape(value)) if np.ndim(value) else 1.0

    def weighted(*args):
        return np.sum(case.fn(*args) * weight)

    left = np.sum(np.asarray(jv) * weight)
    if case.output == "scalar":
        grads = grad(case.fn, wrt=case.wrt)(*point)
    else:
        grads = tuple(_fd_grad(weighted, point, i) for i in case.wrt)
    right = sum(np.sum(np.asarray(g) * t) for g, t in zip(grads, tangents))
    tol = 1e-10 if case.output == "scalar" else 1e-6
    assert left == pytest.approx(right, rel=tol, abs=tol)


def _fd_grad(f, args, i, h=1e-6):
    x = np.asarray(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = 1.0
        out[k] = _fd(f, args, i, e if x.shape else 1.0, h)
    return out if x.shape else float(out)


def _writes_into_parameter(x):
    x[0] = 2.0 * x[1]
    return np.sum(x * x)


def test_item_write_never_mutates_the_callers_array():
    x = np.array([0.5, -1.5, 2.0])
    g = grad(_writes_into_parameter)(x)
    np.testing.assert_array_equal(x, [0.5, -1.5, 2.0])
    np.testing.assert_allclose(g, [0.0, 10.0 * -1.5, 2.0 * 2.0])
