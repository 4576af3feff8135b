"""Derivatives on Dask arrays: the same generated code, one lazy task graph.

A Dask argument is part of the signature (``Arr.library``), so it gets code of
its own: no item written in place, no ``np.add.at``, nothing computed before
the user asks (``back/lazy.py``).  Checked here: for a logistic loss, an MLP
loss and a GMM log-likelihood over chunked Dask arrays, ``grad`` and
``value_and_grad`` equal the NumPy results to 1e-10; the results are Dask
arrays and building them runs no computation (a scheduler that raises is
set); computing them runs on a ``LocalCluster`` of two worker processes (one
for the module); a sum over the data axis is a Dask reduction; and what Dask
cannot run lazily is refused at generation with the line it comes from.
``jvp`` and ``vjp`` are lazy too; Jacobians and Hessians are refused.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, show, value_and_grad, vjp
from s2sdiff.ir import types
from s2sdiff.rules import indexing
from tests.test_arrays import assert_block, fd_jacobian

REASON = "Dask is an optional dependency (pip install 's2sdiff[dask]')"
dask = pytest.importorskip("dask", reason=REASON)
da = pytest.importorskip("dask.array", reason=REASON)
distributed = pytest.importorskip("dask.distributed", reason=REASON)


@pytest.fixture(scope="module")
def client():
    """One cluster of two worker processes for the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        yield c


def _no_compute(dsk, keys, **kwargs):
    raise AssertionError("computed while building the derivative")


# --- the three models ---------------------------------------------------------------------


def logistic_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    d = h @ W2 + b2 - Y
    return np.sum(d * d) / X.shape[0]


def gmm_loglik(mu, log_s, logit_w, X):
    """The log-likelihood of isotropic Gaussians mixed with weights softmax(logit_w)."""
    log_w = logit_w - np.log(np.sum(np.exp(logit_w)))
    diff = X[:, None, :] - mu[None, :, :]
    sq = np.sum(diff * diff, axis=2)
    d = X.shape[1]
    lp = log_w - 0.5 * sq / np.exp(2.0 * log_s) - d * log_s - 0.5 * d * np.log(2.0 * np.pi)
    m = np.max(lp, axis=1)
    return np.sum(m + np.log(np.sum(np.exp(lp - m[:, None]), axis=1)))


ROWS, CHUNK = 1200, 300


def _models():
    rng = np.random.default_rng(19)
    X = rng.normal(size=(ROWS, 4))
    y = (rng.random(ROWS) < 0.4).astype(float)
    Y = rng.normal(size=(ROWS, 2))
    return [
        ("logistic", logistic_loss, (rng.normal(size=4), 0.3), (X, y)),
        ("mlp", mlp_loss, (rng.normal(size=(4, 5)), rng.normal(size=5),
                           rng.normal(size=(5, 2)), rng.normal(size=2)), (X, Y)),
        ("gmm", gmm_loglik, (rng.normal(size=(3, 4)), rng.normal(size=3) * 0.1,
                             rng.normal(size=3)), (X,)),
    ]


MODELS = _models()


def _chunked(data):
    return tuple(da.from_array(a, chunks=(CHUNK,) + a.shape[1:]) for a in data)


def _flat(result) -> list:
    return [x for r in result for x in _flat(r)] if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("transform", [grad, value_and_grad], ids=["grad", "value_and_grad"])
@pytest.mark.parametrize("name,fn,params,data", MODELS, ids=[m[0] for m in MODELS])
def test_dask_derivatives_equal_numpy_ones_and_compute_on_a_cluster(client, transform, name, fn,
                                                                    params, data):
    derivative = transform(fn, wrt=tuple(range(len(params))))
    want = _flat(derivative(*params, *data))
    with dask.config.set(scheduler=_no_compute):
        lazy = _flat(derivative(*params, *_chunked(data)))
    assert all(isinstance(x, da.Array) for x in lazy)
    with distributed.get_task_stream(client) as stream:
        got = client.gather(client.compute(lazy))
    assert {task["worker"] for task in stream.data} <= set(client.scheduler_info()["workers"])
    assert len(stream.data) > len(lazy)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,fn,params,data", MODELS, ids=[m[0] for m in MODELS])
def test_the_numpy_references_match_finite_differences(name, fn, params, data):
    """The NumPy gradients the Dask ones are compared with are right."""
    rows = tuple(a[:60] for a in data)
    gradient = grad(fn, wrt=tuple(range(len(params))))(*params, *rows)
    for g, i in zip(gradient, range(len(params))):
        assert_block(g, fd_jacobian(fn, params + rows, i))


def test_the_mean_over_rows_is_a_dask_reduction():
    """A sum over the data axis stays a tree of per-chunk sums: memory for a few chunks."""
    name, fn, params, data = MODELS[0]
    value, (gw, gb) = value_and_grad(fn, wrt=(0, 1))(*params, *_chunked(data))
    layers = set(value.dask.layers) | set(gb.dask.layers)
    assert any(layer.startswith("sum-aggregate") for layer in layers)
    assert value.numblocks == () and len(value.dask) > ROWS // CHUNK


def test_the_code_for_dask_writes_no_item_and_reads_no_size():
    name, fn, params, data = MODELS[2]
    code = grad(fn, wrt=(0, 1, 2)).specialised(*params, *_chunked(data))
    source = Path(code.__code__.co_filename).read_text()
    for eager in ("np.add.at", "] += ", "np.size(", "np.asarray(", "np.zeros(", "is np.ndarray"):
        assert eager not in source


def test_a_dask_signature_has_code_of_its_own():
    X = np.ones((6, 2))
    dX = da.from_array(X, chunks=(3, 2))
    assert types.abstract(X) == types.Arr("float64", (False, False))
    assert types.abstract(dX) == types.Arr("float64", (False, False), "dask")
    assert repr(types.abstract(X)) == "Arr(dtype='float64', ones=(False, False))"
    assert types.parse("X=dask:f8[n,2]")["X"] == types.abstract(dX)
    loss = grad(logistic_loss)
    w, y = np.ones(2), np.zeros(6)
    assert loss.specialised(w, 0.0, X, y) is not loss.specialised(w, 0.0, dX, y)
    assert isinstance(loss(w, 0.0, dX, y), da.Array)
    assert isinstance(loss(w, 0.0, X, y), np.ndarray)  # after a Dask call: NumPy's code
    text = show(logistic_loss, signature="w=f8[d],b=float,X=dask:f8[n,d],y=dask:f8[n]")
    assert "math.prod(np.shape(y))" in text and "X.T @ z_bar" in text


def scaled(w, X):
    return np.sum(np.sin(X * w))


def test_a_call_with_a_dask_array_of_another_shape_is_routed_again():
    """The dispatcher's shortcut for the last call's types reads NumPy shapes only:
    a Dask ``X`` of three dimensions after one of two gets its own code."""
    gradient, w = grad(scaled), np.array([0.1, 0.2, 0.3])
    flat = gradient(w, da.from_array(np.ones((4, 3)), chunks=2))
    deep = gradient(w, da.from_array(np.ones((2, 4, 3)), chunks=2))
    assert flat.shape == deep.shape == (3,)
    np.testing.assert_allclose(deep.compute(scheduler="sync"), 8 * np.cos(w), rtol=1e-12)


def bias_first(w, X):
    return np.sum(np.tanh(X @ w[1:] + w[0]))


def test_reads_of_parameter_items_are_padded_lazily():
    rng = np.random.default_rng(5)
    w, X = rng.normal(size=4), rng.normal(size=(40, 3))
    with dask.config.set(scheduler=_no_compute):
        lazy = grad(bias_first)(w, da.from_array(X, chunks=10))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(scheduler="sync"), grad(bias_first)(w, X),
                               rtol=1e-12)


@pytest.mark.parametrize("shape,index", [
    ((5,), 0), ((5,), -1), ((5,), slice(1, None)), ((5,), slice(None, 3)), ((5,), slice(2, 9)),
    ((4, 3), 2), ((4, 3), (1, 2)), ((4, 3), (slice(1, 3), 0)), ((4, 3), (slice(None), -2)),
    ((2, 3, 4), (1, slice(0, 2))), ((5,), slice(3, 1)),
])
def test_padded_is_scatter_add_of_a_basic_index(shape, index):
    x = np.arange(math.prod(shape), dtype=float).reshape(shape)
    g = np.cos(np.arange(x[index].size)).reshape(np.shape(x[index])) + 2.0
    np.testing.assert_array_equal(indexing._padded(g, x, index),
                                  indexing._scatter_add(g, x, index))


def test_jvp_on_dask_is_lazy_too():
    name, fn, params, data = MODELS[1]
    tangents = tuple(np.full_like(p, 0.1) for p in params)
    dual = jvp(fn, wrt=(0, 1, 2, 3))
    want = dual(*params, *data, tangents)
    with dask.config.set(scheduler=_no_compute):
        lazy = dual(*params, *_chunked(data), tangents)
    got = dask.compute(*lazy, scheduler="sync")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10)


def test_vjp_on_dask_is_lazy_too():
    rng = np.random.default_rng(7)
    w, X, v = rng.normal(size=3), rng.normal(size=(40, 3)), rng.normal(size=40)
    value, pullback = vjp(tanh_rows)(w, X)
    with dask.config.set(scheduler=_no_compute):
        lazy_value, lazy_pullback = vjp(tanh_rows)(w, da.from_array(X, chunks=10))
        lazy = lazy_pullback(da.from_array(v, chunks=10))
    assert isinstance(lazy_value, da.Array)
    got = dask.compute(*_flat(lazy), scheduler="sync")
    for g, want in zip(got, _flat(pullback(v))):
        np.testing.assert_allclose(g, want, rtol=1e-12)


def tanh_rows(w, X):
    return np.tanh(X @ w)


# --- common NumPy functions, on Dask ------------------------------------------------------


def with_std(w, X):
    return np.std(X @ w)


def with_var(w, X):
    return np.sum(np.var(X * w, axis=0))


def with_abs(w, X):
    return np.sum(np.abs(X @ w))


def with_relu(w, X):
    return np.sum(np.maximum(X @ w, 0.0))


def with_clip(w, X):
    return np.sum(np.clip(X @ w, -1.0, 1.0))


def with_floor(w, X):
    return np.sum(np.clip(X @ w, 0.0, None) ** 2)


def with_where(w, X):
    z = X @ w
    return np.sum(np.where(z > 0, z, 0.1 * z))


def with_column_means(w, X):
    return np.sum(np.mean(X * w, axis=0) ** 2)


def with_max(w, X):
    return np.max(X @ w)


def with_rows_logsumexp(w, X):
    return np.sum(np.log(np.sum(np.exp(X * w), axis=1)))


def with_mean_times_norm(w, X):
    return np.mean(X @ w) * np.sum(w * w)


def with_reshape(w, X):
    return np.sum(np.reshape(X @ w, (-1, 1)) ** 2)


COMMON = [with_std, with_var, with_abs, with_relu, with_clip, with_floor, with_where, with_column_means,
          with_max, with_rows_logsumexp, with_mean_times_norm, with_reshape]


@pytest.mark.parametrize("fn", COMMON, ids=[f.__name__[5:] for f in COMMON])
def test_common_functions_differentiate_lazily(fn):
    """Each needs a helper decided by the abstract values, or one Dask runs lazily."""
    rng = np.random.default_rng(11)
    w, X = rng.normal(size=3), rng.normal(size=(40, 3))
    want = grad(fn)(w, X)
    assert_block(want, fd_jacobian(fn, (w, X), 0))
    with dask.config.set(scheduler=_no_compute):
        lazy = grad(fn)(w, da.from_array(X, chunks=10))
    assert isinstance(lazy, da.Array) and lazy.shape == w.shape
    np.testing.assert_allclose(lazy.compute(scheduler="sync"), want, rtol=1e-10, atol=1e-14)


# --- what Dask cannot run lazily -----------------------------------------------------------


def branches(w, X):
    s = np.sum(X @ w)
    if s > 0:
        return s
    return -s


def to_float(w, X):
    return float(np.sum(X @ w)) * np.sum(w)


def with_math(w, X):
    return math.exp(np.sum(X @ w) / 100.0)


def writes_an_item(w, X):
    z = X @ w
    z[0] = 0.0
    return np.sum(z * z)


def fancy_read(w, X):
    return np.sum(X @ w) * np.sum(w[[0, 0, 2]])


@pytest.mark.parametrize("fn,words", [
    (branches, "a branch on the value of a Dask array"),
    (to_float, "float(...) would compute a Dask array"),
    (with_math, "math.exp(...) would compute a Dask array"),
    (writes_an_item, "helper _setitem"),
    (fancy_read, "would call the helper _"),
], ids=["branch", "float", "math", "item-write", "fancy-read"])
def test_what_dask_cannot_run_lazily_is_a_located_error(fn, words):
    X = da.from_array(np.ones((6, 3)), chunks=3)
    with pytest.raises(S2SDiffError) as caught:
        grad(fn)(np.ones(3), X)
    message = str(caught.value)
    assert words in message
    line = next(i for i, text in enumerate(Path(__file__).read_text().splitlines(), 1)
                if text.startswith(f"def {fn.__name__}("))
    assert f"{Path(__file__)}:" in message
    assert line < int(message.split(f"{Path(__file__)}:")[1].split(":")[0]) <= line + 4
    assert np.isfinite(grad(fn)(np.ones(3), np.ones((6, 3)))).all()  # NumPy: fine


@pytest.mark.parametrize("transform,fn", [
    (hessian, bias_first), (jacobian, tanh_rows), (jacobian, tanh_rows),
    (grad, bias_first),
], ids=["hessian", "jacfwd", "jacrev", "grad-forward"])
def test_transforms_assembled_column_by_column_are_refused_on_dask(request, transform, fn):
    mode = {"jacrev": "reverse", "grad-forward": "forward"}.get(request.node.callspec.id)
    made = transform(fn, mode=mode) if mode else transform(fn)
    w = np.ones(4 if fn is bias_first else 3)
    X = da.from_array(np.ones((6, 3)), chunks=3)
    with dask.config.set(scheduler=_no_compute), pytest.raises(S2SDiffError, match="would compute"):
        made(w, X)
