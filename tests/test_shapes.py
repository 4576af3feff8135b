"""Array gradients that rely on shapes known before running (``s2sdiff/shapes.py``).

The reverse emitter skips un-broadcasting where shapes are known equal, reads
shapes from values computed anyway, and keeps the adjoint of a full reduction
as one number until an array is needed.  These cases check the derivatives
where those shortcuts could go wrong (broadcasting, loops changing a shape,
branches, empty arrays), and the generated code of a logistic loss against a
reviewed golden file.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from s2sdiff import grad

GOLDEN = Path(__file__).parent / "golden"


def _fd_grad(f, args, i, h=1e-6):
    x = np.asarray(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        up = list(args)
        down = list(args)
        up[i] = x + e if x.shape else float(x) + h
        down[i] = x - e if x.shape else float(x) - h
        out[k] = (f(*up) - f(*down)) / (2 * h)
    return out


def _check(f, *args):
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    grads = grad(f, wrt=wrt)(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for i, g in zip(wrt, grads):
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, _fd_grad(f, args, i), rtol=1e-6, atol=1e-8)
    return grads


def _r(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 1.0, size=shape)


def mean_of_broadcast(x, y):
    return np.mean(x * y)


def sum_of_broadcast(x, y):
    return np.sum(x + y)


def logaddexp_broadcast(x, y):
    return np.mean(np.logaddexp(x, y) - 2.0 * y)


def shape_grows_in_loop(x, n):
    s = 0.0
    for _ in range(n):
        s = s + x
    return np.sum(s * x)


def uniform_into_branch(x, y):
    t = x * y
    if np.sum(x) > 0.0:
        r = t * 2.0
    else:
        r = t
    return np.mean(r)


def uniform_into_matmul(x, w):
    return np.sum(x @ w) + np.mean(x[1:] * 3.0)


def uniform_copy(x):
    a = x
    return np.sum(a) + np.sum(x)


def scalar_parameter(x, b):
    return np.mean(x + b) * b


@pytest.mark.parametrize("f, args", [
    (mean_of_broadcast, (_r(3, 1), _r(4))),
    (mean_of_broadcast, (_r(4), _r(3, 1, seed=1))),
    (sum_of_broadcast, (_r(2, 1, 3), _r(4, 1))),
    (logaddexp_broadcast, (_r(3, 1), _r(1, 4, seed=2))),
    (shape_grows_in_loop, (_r(3), 3)),
    (uniform_into_branch, (_r(2, 3), _r(3, seed=3))),
    (uniform_into_matmul, (_r(3, 2), _r(2, seed=4))),
    (uniform_copy, (_r(2, 2),)),
    (scalar_parameter, (_r(5), 0.3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_gradient_matches_finite_differences(f, args):
    _check(f, *args)


def test_gradient_of_a_full_reduction_is_a_writable_array():
    g = grad(sum_of_broadcast, wrt=(0, 1))(_r(3, 1), _r(4))
    for a in g:
        assert isinstance(a, np.ndarray) and a.flags.writeable
    np.testing.assert_allclose(g[0], np.full((3, 1), 4.0))
    np.testing.assert_allclose(g[1], np.full(4, 3.0))


def test_empty_arrays():
    g = grad(sum_of_broadcast, wrt=(0, 1))(np.zeros((0, 1)), np.zeros(3))
    assert g[0].shape == (0, 1) and g[1].shape == (3,)
    np.testing.assert_array_equal(g[1], 0.0)


def logistic_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def test_logistic_loss_source_matches_golden():
    """No value kept only for its shape (the forward logaddexp is gone), no needless
    un-broadcasting, the mean's adjoint kept as one number (see the golden file)."""
    source = grad(logistic_loss, wrt=(0, 1)).source
    path = GOLDEN / "grad_numpy_logistic_loss.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), (rng.normal(size=20) > 0).astype(float)
    _check(logistic_loss, rng.normal(size=3), 0.1, X, y)


def sum_sin_times_x(x):
    return np.sum(np.sin(x) * x)


def test_hessian_and_jacobian_of_the_same_function_on_a_number_and_an_array():
    """Code is generated per signature: a number gives numbers, an array JAX's shapes."""
    from s2sdiff import hessian, jacobian

    x = 0.3
    assert hessian(sum_sin_times_x)(x) == pytest.approx(2 * np.cos(x) - x * np.sin(x))
    v = np.array([0.3, 0.5])
    expected = np.diag(2 * np.cos(v) - v * np.sin(v))
    np.testing.assert_allclose(hessian(sum_sin_times_x)(v), expected, rtol=1e-12)
    assert jacobian(sum_sin_times_x, mode="forward")(v).shape == (2,)


def where_indices(x, m):
    idx = np.where(m)
    return np.sum(np.sin(x) * m) + np.sum(x[idx] * (x[idx] > 0.5))


def test_only_broadcasting_calls_have_a_shape_set():
    from s2sdiff.ir.shapes import broadcasts

    assert broadcasts(np.where, 3) and broadcasts(np.add, 2) and broadcasts(abs, 1)
    assert not broadcasts(np.where, 1)  # the indices of the true entries
    assert not broadcasts(np.add, 1) and not broadcasts(np.divmod, 2) and not broadcasts(np.add, 2, 1)
    x, m = np.array([0.1, 0.7, 0.3]), np.array([True, True, False])
    np.testing.assert_allclose(grad(where_indices)(x, m), [np.cos(0.1), np.cos(0.7) + 1.0, 0.0])
