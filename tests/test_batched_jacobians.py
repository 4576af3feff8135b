"""Jacobians and Hessians by batched seeds (``back/batched.py``).

A Jacobian, or a Hessian (forward over reverse), of code specialised to its
arguments calls one batched jvp/vjp/hvp: every tangent (cotangent) has a
leading axis of seeds.  Each result is checked against the same derivative
taken one seed at a time (``jvp`` per unit vector) and against central finite
differences, shapes and dtypes included; where an operation has no batched
form, the wrapper calls the core per seed and its docstring says why.
"""

from __future__ import annotations

import numpy as np
import pytest

import s2sdiff
from s2sdiff import grad, hessian, jacfwd, jacobian, jacrev, jvp
from tests.test_arrays import fd_jacobian

RNG = np.random.default_rng(16)


def unit_vectors(x):
    x = np.asarray(x)
    return np.eye(x.size, dtype=x.dtype if x.dtype.kind == "f" else float).reshape(
        (x.size,) + x.shape)


def per_seed(f, args, i, wrt):
    """∂f/∂args[i] by one ``jvp`` call per element of args[i] (the other tangents 0)."""
    k = wrt.index(i)
    columns = []
    for seed in unit_vectors(args[i]):
        tangents = tuple(seed if j == k else np.zeros_like(args[n]) for j, n in enumerate(wrt))
        if len(wrt) == 1:
            columns.append(jvp(f, wrt=i)(*args, seed)[1])
        else:
            columns.append(jvp(f, wrt=wrt)(*args, tangents)[1])
    value = f(*args)
    if isinstance(value, tuple):
        return tuple(_assembled([c[o] for c in columns], value[o], args[i])
                     for o in range(len(value)))
    return _assembled(columns, value, args[i])


def _assembled(columns, value, x):
    shape = np.shape(value)
    stacked = np.reshape([np.broadcast_to(c, shape) for c in columns], (len(columns),) + shape)
    return np.moveaxis(stacked, 0, -1).reshape(shape + np.shape(x))


def check(got, expected, rtol=1e-6, atol=1e-8):
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=rtol, atol=atol)


def source(f, kind, signature, **options):
    return s2sdiff.show(f, kind=kind, signature=signature, **options)


# ---------------------------------------------------------------- the functions


def elementwise(x):
    return np.sin(x) * x + np.exp(-x) / (1.0 + x * x)


def matvec(A, x):
    return A @ x


def vecmat(x, A):
    return np.tanh(x @ A)


def stacked(x):
    return np.stack([np.sin(x), x * x])


def two_outputs(x):
    return np.cos(x), np.sum(x * x)


def list_items(x):
    ys = [x * x, np.sin(x)]
    return ys[0] + ys[1] * ys[0]


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def matrix_input(W):
    return np.tanh(W).sum(axis=0) + W[0] * W[1]


def sums_with_axes(X):
    return np.sum(X * X, axis=0) + np.mean(np.sin(X), axis=-2) + np.sum(X)


def keep_dims(X):
    return X / np.sum(X * X, axis=1, keepdims=True)


def transposed(X):
    return X.T @ np.exp(X)


def mlp_layer(W, b, x):
    return np.tanh(W @ x + b)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def two_vectors(x, y):
    return np.dot(x, y) * np.sum(np.sin(x) * y * y)


def running_sum(x):  # np.cumsum has no batched form
    return np.cumsum(x) * x


def looped(x):  # a loop carrying tangents
    s = x
    for _ in range(3):
        s = np.sin(s) * x
    return s


x5 = RNG.normal(size=5)
A35 = RNG.normal(size=(3, 5))
W34 = RNG.normal(size=(3, 4))
X43 = RNG.normal(size=(4, 3)) + 2.0
JACOBIANS = [
    ("elementwise", elementwise, (x5,), (0,), "x=f8[n]"),
    ("matvec", matvec, (A35, x5), (0, 1), "A=f8[m,n],x=f8[n]"),
    ("vecmat", vecmat, (x5, A35.T), (0, 1), "x=f8[n],A=f8[n,m]"),
    ("stacked", stacked, (x5,), (0,), "x=f8[n]"),
    ("two_outputs", two_outputs, (x5,), (0,), "x=f8[n]"),
    ("list_items", list_items, (x5,), (0,), "x=f8[n]"),
    ("softmax", softmax, (x5,), (0,), "x=f8[n]"),
    ("matrix_input", matrix_input, (W34,), (0,), "W=f8[m,n]"),
    ("sums_with_axes", sums_with_axes, (X43,), (0,), "X=f8[m,n]"),
    ("keep_dims", keep_dims, (X43,), (0,), "X=f8[m,n]"),
    ("transposed", transposed, (X43,), (0,), "X=f8[m,n]"),
    ("mlp_layer", mlp_layer, (A35, RNG.normal(size=3), x5), (0, 1, 2),
     "W=f8[m,n],b=f8[m],x=f8[n]"),
]


UNBATCHED = {("stacked", "reverse"): "the adjoint of np.stack is a list",
             ("list_items", "reverse"): "the adjoint of a list is a list"}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name, f, args, wrt, signature", JACOBIANS,
                         ids=[c[0] for c in JACOBIANS])
def test_batched_jacobian_is_the_per_seed_one_and_finite_differences(name, f, args, wrt,
                                                                       signature, mode):
    core = "jvp" if mode == "forward" else "vjp"
    text = source(f, "jacobian", signature, wrt=wrt, mode=mode)
    assert f"batched_{core}_{f.__name__}(" in text or (name, mode) in UNBATCHED
    blocks = (jacfwd if mode == "forward" else jacrev)(f, wrt=wrt)(*args)
    for k, i in enumerate(wrt):  # J[output][input]
        reference = per_seed(f, args, i, wrt)
        if isinstance(reference, tuple):
            for o, ref in enumerate(reference):
                check(blocks[o][k], ref, rtol=1e-12, atol=1e-12)
        else:
            check(blocks[k], reference, rtol=1e-12, atol=1e-12)
            check(blocks[k], fd_jacobian(f, args, i), rtol=1e-5, atol=1e-6)
    if name == "two_outputs":  # each output: its own block, shapes out.shape + x.shape
        assert np.shape(blocks[0][0]) == (5, 5) and np.shape(blocks[1][0]) == (5,)
        check(blocks[1][0], fd_jacobian(lambda x: f(x)[1], args, 0), rtol=1e-5, atol=1e-6)


def per_seed_hessian(f, args, i, j):
    columns = [jvp(grad(f, wrt=i), wrt=j)(*args, seed)[1] for seed in unit_vectors(args[j])]
    return _assembled(columns, args[i], args[j])


HESSIANS = [
    ("rosenbrock", rosenbrock, (RNG.normal(size=6),), (0,), "x=f8[n]"),
    ("logistic", logistic_loss, (RNG.normal(size=4), RNG.normal(size=(20, 4)),
                                 (RNG.random(20) > 0.5).astype(float)), (0,),
     "w=f8[d],X=f8[n,d],y=f8[n]"),
    ("two_vectors", two_vectors, (x5, RNG.normal(size=5)), (0, 1), "x=f8[n],y=f8[n]"),
]


@pytest.mark.parametrize("name, f, args, wrt, signature", HESSIANS, ids=[c[0] for c in HESSIANS])
def test_batched_hessian_is_the_per_seed_one_and_finite_differences(name, f, args, wrt,
                                                                     signature):
    assert f"batched_hvp_{f.__name__}(" in source(f, "hessian", signature, wrt=wrt)
    blocks = hessian(f, wrt=wrt)(*args)
    gradient = grad(f, wrt=wrt)
    for a, i in enumerate(wrt):
        for b, j in enumerate(wrt):
            block = blocks[a][b]
            check(block, per_seed_hessian(f, args, i, j), rtol=1e-12, atol=1e-12)
            expected = fd_jacobian(lambda *xs, a=a: gradient(*xs)[a], args, j)
            check(block, expected, rtol=1e-4, atol=1e-5)


def test_logistic_regression_newton_step():
    w, X = RNG.normal(size=3), RNG.normal(size=(50, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=50) > 0).astype(float)
    H = hessian(logistic_loss)(w, X, y)
    g = grad(logistic_loss)(w, X, y)
    step = np.linalg.solve(H, g)
    p = 1.0 / (1.0 + np.exp(-X @ w))
    exact = X.T @ (X * (p * (1 - p))[:, None])  # the Hessian written by hand
    check(H, exact, rtol=1e-10, atol=1e-12)
    check(step, np.linalg.solve(exact, X.T @ (p - y)), rtol=1e-9, atol=1e-12)
    check(H, per_seed_hessian(logistic_loss, (w, X, y), 0, 0), rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_matches_per_seed():
    x = RNG.normal(size=4).astype(np.float32)
    J = jacobian(elementwise)(x)
    reference = per_seed(elementwise, (x,), 0, (0,))
    assert J.shape == (4, 4) and J.dtype == reference.dtype == np.float32
    check(J, reference, rtol=1e-6, atol=1e-6)
    check(J, fd_jacobian(lambda x: elementwise(x.astype(np.float64)), (x.astype(float),), 0),
          rtol=1e-3, atol=1e-4)
    H = hessian(rosenbrock)(x)
    assert H.shape == (4, 4) and H.dtype == np.float32
    check(H, per_seed_hessian(rosenbrock, (x,), 0, 0), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("f, why", [(running_sum, "np.cumsum"), (looped, "a loop")],
                         ids=["cumsum", "loop"])
def test_an_operation_without_a_batched_form_falls_back_per_seed(f, why, mode):
    text = source(f, "jacobian", "x=f8[n]", mode=mode)
    assert "batched_" + f.__name__ not in text and "Not batched: " in text and why in text
    assert f"jvp_{f.__name__}(x, seed)" in text or f"vjp_{f.__name__}(x, seed)" in text
    J = jacobian(f, mode=mode)(x5)
    check(J, per_seed(f, (x5,), 0, (0,)), rtol=1e-12, atol=1e-12)
    check(J, fd_jacobian(f, (x5,), 0), rtol=1e-5, atol=1e-6)


def test_the_batched_code_reads_as_written_by_hand():
    text = source(logistic_loss, "hessian", "w=f8[d],X=f8[n,d],y=f8[n]")
    assert "z_dot = w_dot @ X.T" in text and "w_bar_dot = z_bar_dot @ X" in text
    text = source(rosenbrock, "hessian", "x=f8[n]")
    assert "x_bar_dot[:, :-1] += " in text
    assert "x_bar_dot = np.zeros_like(x, shape=(len(x_dot),) + np.shape(x))" in text


def test_jacobians_of_numbers_are_not_batched():
    text = source(two_vectors, "jacobian", "x=float,y=float", wrt=(0, 1), mode="forward")
    assert "batched_two" not in text and "Not batched" not in text


def test_forward_mode_gradient_is_batched_and_keeps_float32():
    signature = "w=f8[d],X=f8[n,d],y=f8[n]"
    assert "batched_jvp_logistic_loss(" in source(logistic_loss, "grad", signature,
                                                  mode="forward", wrt=(0, 1))
    w, X = RNG.normal(size=3), RNG.normal(size=(10, 3))
    y = (RNG.random(10) > 0.5).astype(float)
    forward = grad(logistic_loss, mode="forward", wrt=(0, 1))(w, X, y)
    reverse = grad(logistic_loss, wrt=(0, 1))(w, X, y)
    for a, b in zip(forward, reverse):
        check(a, b, rtol=1e-12, atol=1e-12)
    g = grad(logistic_loss, mode="forward")(*(a.astype(np.float32) for a in (w, X, y)))
    assert g.dtype == np.float32
    check(g, reverse[0], rtol=1e-4, atol=1e-5)


def test_the_batched_stage_shows_the_batched_core_or_the_core_kept():
    text = source(softmax, "jacobian", "x=f8[n]", mode="reverse", stage="batched")
    assert text.startswith("def batched_vjp_softmax(x, _ct1):")
    text = source(running_sum, "jacobian", "x=f8[n]", mode="forward", stage="batched")
    assert text.startswith("def jvp_running_sum(x, x_dot):")
