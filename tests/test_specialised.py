"""Code specialised to the arguments' abstract values (``back/specialise.py``).

A transform called on arrays generates code for their number of dimensions
and dimensions of length 1; the helper calls those decide become what they
compute (``X.T @ g``, ``np.sum(g, axis=0)``, ``g``).  Checked here: the
specialised code equals the generic code on the whole NumPy corpus, every
pair of broadcasting shapes (length-1 dimensions included) against finite
differences, adjoints that change type around a loop, the error for tangents
of the wrong shape, and the generated gradients of a logistic loss and an MLP
against reviewed golden files (no helper function in either module).

Regenerate the golden files after an intended change with
``S2SDIFF_UPDATE_GOLDEN=1 pytest tests/test_specialised.py``.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from tests.corpus_numpy import NUMPY_CORPUS
from tests.test_arrays import assert_block, fd_jacobian

GOLDEN = Path(__file__).parent / "golden"
SCALAR = [pytest.param(c, id=c.name) for c in NUMPY_CORPUS if c.output == "scalar"]
ARRAY = [pytest.param(c, id=c.name) for c in NUMPY_CORPUS if c.output == "array"]


def _same(got, want):
    assert type(got) is type(want) or np.shape(got) == np.shape(want) == ()
    if isinstance(want, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
        return
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", SCALAR)
def test_specialised_gradient_equals_the_generic_one(case):
    transform = grad(case.fn, wrt=case.wrt)
    for point in case.points:
        _same(transform(*point), transform.__wrapped__(*point))


@pytest.mark.parametrize("case", ARRAY)
def test_specialised_vjp_equals_the_generic_one(case):
    transform = vjp(case.fn, wrt=case.wrt)
    for point in case.points:
        value, pullback = transform(*point)
        weight = np.cos(np.arange(np.size(value))).reshape(np.shape(value))
        _same(pullback(weight), transform.core(*point, weight))


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


SHAPES = [(), (1,), (3,), (1, 3), (3, 1), (2, 3), (1, 1), (2, 1, 3)]
PAIRS = [(a, b) for a, b in itertools.product(SHAPES, SHAPES) if _broadcastable(a, b)]


def mixed(x, y):
    return np.sum(np.sin(x * y) + x / (2.0 + y * y) - (x - y) ** 2)


def reduced(x, y):
    return np.sum(np.mean(x + y, axis=-1) ** 2) + np.sum(np.max(x * y, axis=0))


@pytest.mark.parametrize("fn", [mixed, reduced])
@pytest.mark.parametrize("shapes", PAIRS, ids=str)
def test_broadcasting_shapes_against_finite_differences(fn, shapes):
    rng = np.random.default_rng(len(shapes[0]) * 10 + len(shapes[1]))
    args = [rng.uniform(0.5, 1.5, size=s) if s else 0.75 for s in shapes]
    if fn is reduced and not np.broadcast_shapes(*shapes):
        pytest.skip("reduces over an axis of a 0-D result")
    gx, gy = grad(fn, wrt=(0, 1))(*args)
    for g, i in ((gx, 0), (gy, 1)):
        assert_block(g, fd_jacobian(fn, args, i))


@pytest.mark.parametrize("a_shape,b_shape", [((4, 3), (3,)), ((3,), (3, 2)), ((3,), (3,)),
                                             ((4, 3), (3, 2)), ((1, 3), (3, 2)),
                                             ((2, 4, 3), (3, 2)), ((4, 3), (2, 3, 2))])
@pytest.mark.parametrize("product", [np.matmul, np.dot])
def test_matrix_products_of_every_rank(a_shape, b_shape, product):
    if product is np.dot and len(b_shape) > 2:
        pytest.skip("np.dot contracts with the second-to-last axis: another product")
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)

    def f(a, b):
        return np.sum(np.tanh(product(a, b)))

    got = grad(f, wrt=(0, 1))(a, b)
    for g, i in zip(got, (0, 1)):
        assert_block(g, fd_jacobian(f, (a, b), i))


def grows_in_loop(x, w):
    s = 0.0
    for _ in range(3):
        s = s * w + np.sin(x) * w
    return np.sum(s)


def test_an_adjoint_that_becomes_an_array_in_a_loop():
    args = (np.array([0.3, 0.7, 1.1]), 0.9)
    got = grad(grows_in_loop, wrt=(0, 1))(*args)
    for g, i in zip(got, (0, 1)):
        assert_block(g, fd_jacobian(grows_in_loop, args, i))


def tanh_layer(W, b, x):
    return np.tanh(x @ W + b)


def test_tangents_of_the_wrong_shape_are_refused():
    W, b, x = np.ones((3, 2)), np.ones(2), np.ones((4, 3))
    with pytest.raises(S2SDiffError, match="tangents must have the shapes of b"):
        jvp(tanh_layer, wrt=1)(W, b, x, np.ones((4, 2)))
    value, tangent = jvp(tanh_layer, wrt=1)(W, b, x, np.ones(2))
    assert tangent.shape == value.shape == (4, 2)
    np.testing.assert_allclose(tangent, jacrev(tanh_layer, wrt=1)(W, b, x) @ np.ones(2))


def test_cotangents_of_the_wrong_shape_are_refused():
    W, b, x = np.ones((3, 2)), np.ones(2), np.ones((4, 3))
    value, pullback = vjp(tanh_layer, wrt=1)(W, b, x)
    with pytest.raises(S2SDiffError, match="cotangents must have the shapes of the outputs"):
        pullback(1.0)
    assert pullback(np.ones((4, 2))).shape == (2,)


# --- what the generated code looks like ---------------------------------------------------


def logistic_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - Y) ** 2)


def _logistic_args():
    rng = np.random.default_rng(0)
    return rng.normal(size=5), 0.1, rng.normal(size=(20, 5)), rng.integers(0, 2, 20) * 1.0


def _mlp_args():
    rng = np.random.default_rng(1)
    return (rng.normal(size=(4, 8)), rng.normal(size=8), rng.normal(size=(8, 2)),
            rng.normal(size=2), rng.normal(size=(16, 4)), rng.normal(size=(16, 2)))


GENERATED = {"specialised_logistic_loss": (logistic_loss, _logistic_args, (0, 1)),
             "specialised_mlp_loss": (mlp_loss, _mlp_args, (0, 1, 2, 3))}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_gradient_reads_like_a_hand_written_one(name):
    fn, make, wrt = GENERATED[name]
    args = make()
    code = grad(fn, wrt=wrt).specialised(*args)
    source = Path(code.__code__.co_filename).read_text()
    source = source[source.index("\n\n") + 2:]  # without the header naming this file
    assert "\ndef _" not in source  # no helper function
    path = GOLDEN / f"{name}.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()
    for g, i in zip(code(*args), wrt):
        assert_block(g, fd_jacobian(fn, args, i))


# --- reductions and reads that keep every element: no helper left ---------------------------


def maxima_0(X):
    m = np.max(X, axis=0)
    return np.sum(m * m) + np.sum(np.max(X * X, axis=0, keepdims=True) * X)


def maxima_1(X):
    m = np.max(X, axis=1)
    return np.sum(m * m) + np.sum(np.max(X * X, axis=1, keepdims=True) * X)


def maxima_last(X):
    m = np.max(X, axis=-1)
    return np.sum(m * m) + np.sum(np.max(X * X, axis=-1, keepdims=True) * X)


def first_column(X):
    return np.sum(np.sin(X[:, 0])) + np.sum(X[:, 0] * X[:, 0])


def lifted(W, X):
    d = X[:, None, :] - W[None, :, :]
    return np.sum(np.tanh(np.sum(d * d, axis=2)))


KEPT = [
    (maxima_0, (np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]),)),
    (maxima_1, (np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]),)),
    (maxima_last, (np.array([[[0.3, -1.2], [0.8, 0.2]], [[1.5, 0.1], [-0.4, 0.9]]]),)),
    (first_column, (np.array([[0.3], [-1.2], [0.8], [1.5]]),)),
    (lifted, (np.array([[0.3, -0.2, 0.4], [0.1, 0.5, -0.3]]),
              np.array([[0.2, 0.1, -0.1], [0.6, -0.4, 0.3], [0.0, 0.2, 0.7], [-0.5, 0.3, 0.1]]))),
]


@pytest.mark.parametrize("fn,args", KEPT, ids=["max0", "max1", "max-1", "column", "lifted"])
def test_reads_and_reductions_that_keep_every_element(fn, args):
    """``_keep``, ``_spread`` of a number and ``_scatter_add`` of ``x[:, 0]`` (a
    dimension of length 1) or ``x[None]`` become plain array code; the gradient,
    the jacfwd and the Hessian match finite differences."""
    arrays = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray))
    transform = grad(fn, wrt=arrays)
    got = transform(*args)
    for g, i in zip(got, arrays):
        assert_block(g, fd_jacobian(fn, args, i))
    _same(got, transform.__wrapped__(*args))
    for g, i in zip(jacfwd(fn, wrt=arrays)(*args), arrays):
        assert_block(g, fd_jacobian(fn, args, i))
    first = arrays[0]
    H = hessian(fn, wrt=first)(*args)
    assert_block(H, fd_jacobian(lambda *a: grad(fn, wrt=first)(*a), args, first), rtol=1e-4)
    source = Path(transform.specialised(*args).__code__.co_filename).read_text()
    for helper in ("_scatter_add(", "_keep(", "_spread("):
        assert helper not in source.split("def grad_")[-1]


# --- item reads accumulated in place (back/buffers.py) ------------------------------------


def differences(x, w):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + w * (x[i + 1] - x[i]) ** 2
    return s + np.sum(x[1:] * x[:-1])


def shared_adjoint(x, y):
    a = x + 1.0
    b = a * y
    return np.sum(a * a) + a[0] * b[1] + x[1] * np.sum(b[1:])


def rows_and_columns(X, v):
    total = 0.0
    for i in range(X.shape[0]):
        total = total + np.sum(X[i] * v) * X[i, 0] + np.sum(X[:, i % X.shape[1]])
    return total + np.sum(v[1:] ** 2)


def float32_items(x):
    return x[0] * x[1] + np.sum(x[1:] ** 2)


@pytest.mark.parametrize("fn,args", [
    (differences, (np.linspace(0.1, 1.0, 6), 0.5)),
    (shared_adjoint, (np.array([0.3, -0.2, 0.9]), np.array([1.1, 0.4, -0.7]))),
    (rows_and_columns, (np.arange(12.0).reshape(4, 3) / 7.0, np.array([0.5, -1.0, 2.0]))),
], ids=["differences", "shared_adjoint", "rows_and_columns"])
def test_item_adjoints_accumulate_in_place(fn, args):
    wrt = tuple(range(len(args)))
    transform = grad(fn, wrt=wrt)
    got = transform(*args)
    for g, i in zip(got, wrt):
        assert_block(g, fd_jacobian(fn, args, i))
    _same(got, transform.__wrapped__(*args))
    source = Path(transform.specialised(*args).__code__.co_filename).read_text()
    if fn is not shared_adjoint:  # its adjoints are shared: they stay full-size sums
        assert "_scatter_add" not in source and "] += " in source


def test_float32_item_adjoints_stay_float32():
    x = np.array([0.5, 1.5, -2.0], dtype=np.float32)
    g = grad(float32_items)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [1.5, 0.5 + 3.0, -4.0], rtol=1e-6)


# --- the command: s2sdiff grad --signature ---------------------------------------------------

MODEL = '''\
import numpy as np


def loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)
'''


def _command(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "s2sdiff", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _load(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_writes_code_for_a_signature(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    signature = "w=f8[d],b=float,X=f8[n,d],y=f8[n]"
    done = _command("grad", "model.py:loss", "--wrt", "w,b", "--signature", signature,
                    "-o", "grad_model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    source = (tmp_path / "grad_model.py").read_text()
    assert "w_bar = X.T @ z_bar" in source and "b_bar = np.sum(z_bar)" in source
    assert "\ndef _" not in source and f"--signature '{signature}'" in source
    args = _logistic_args()
    _same(_load(tmp_path / "grad_model.py").grad_loss(*args),
          grad(logistic_loss, wrt=(0, 1))(*args))


@pytest.mark.parametrize("numba", [False, True])
def test_a_module_for_a_signature_refuses_arguments_of_other_dimensions(tmp_path, numba):
    """Its code is right only for those dimensions (a length 1 would broadcast), so its
    entry checks them: a TypeError naming the argument, never a wrong gradient."""
    if numba:
        pytest.importorskip("numba")
    (tmp_path / "model.py").write_text(MODEL)
    done = _command("grad", "model.py:loss", "--wrt", "w,b", "--signature",
                    "w=f8[d],b=float,X=f8[n,d],y=f8[n]", "-o", "grad_model.py",
                    *(["--numba"] * numba), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    grad_loss = _load(tmp_path / "grad_model.py").grad_loss
    w, b, X, y = _logistic_args()
    _same(grad_loss(w, b, X, y), grad(logistic_loss, wrt=(0, 1))(w, b, X, y))
    wrong = {"y": (w, b, X, y[:1]), "X": (w, b, X[:, :1], y), "w": (w[:1], b, X[:, :1], y)}
    if not numba:  # Numba types these arguments itself
        wrong.update({"w": (list(w), b, X, y), "b": (w, np.ones(3), X, y)})
    for name, args in wrong.items():
        with pytest.raises(TypeError, match=f"grad_loss was written for {name} of "):
            grad_loss(*args)


@pytest.mark.parametrize("signature,message", [
    ("w=f8[d],q=float", "loss has no parameter q"),
    ("w=f9[d]", "unknown dtype 'f9'"),
    ("w", "write NAME=TYPE"),
    ("w=f8[d,]", "an empty dimension"),
])
def test_a_wrong_signature_is_a_usage_error(tmp_path, signature, message):
    (tmp_path / "model.py").write_text(MODEL)
    done = _command("grad", "model.py:loss", "--signature", signature, "-o", "-", cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr


def promotes(x, w):
    return np.sum(np.sin(x) * np.float64(2.0)) + np.sum(x * w)


def test_a_float32_input_gets_a_float32_gradient_where_the_computation_promotes():
    """As JAX: the gradient has its input's dtype (the fuzzer noted float64 ones)."""
    x = np.array([0.5, 1.0, 1.5], dtype=np.float32)
    gx, gw = grad(promotes, wrt=(0, 1))(x, np.float32(0.5))
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    np.testing.assert_allclose(gx, 2.0 * np.cos(x) + 0.5, rtol=1e-6)
    value, g = value_and_grad(promotes)(x, 0.5)
    assert g.dtype == np.float32


def test_the_command_writes_a_jvp_for_a_signature(tmp_path):
    """The tangents' abstract value is the input's (there is no call to read it from)."""
    (tmp_path / "model.py").write_text(MODEL.replace("loss(w, b, X, y)", "loss(w, X, y, b)"))
    done = _command("jvp", "model.py:loss", "--wrt", "w", "--signature",
                    "w=f8[d],X=f8[n,d],y=f8[n],b=float", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def jvp_loss(w, X, y, b, tangents):" in done.stdout


def test_show_takes_a_signature_as_text_or_as_example_arguments():
    from s2sdiff import show

    as_text = show(logistic_loss, signature="w=f8[d],b=float,X=f8[n,d],y=f8[n]")
    w, b, X, y = _logistic_args()
    assert show(logistic_loss, signature={"w": w, "b": b, "X": X, "y": y}) == as_text
    assert "X.T @" in as_text
    for wrong, message in ((3, "int given"), ("w", "write NAME=TYPE")):
        with pytest.raises(S2SDiffError, match=message):
            show(logistic_loss, signature=wrong)
