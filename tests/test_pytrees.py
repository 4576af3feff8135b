"""Parameters held in containers (dicts, lists, tuples, nested): gradients come back
in the same structure, checked against finite differences leaf by leaf; what is
not supported yet is a located error at generation."""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, register_container, value_and_grad, vjp
from tests.test_arrays import assert_block

H = 1e-6


def fd_leaf(f, args, path):
    """The finite-difference gradient of ``f`` with respect to the leaf at ``path``
    (argument index, then keys) of ``args``, shaped like the leaf."""

    def replaced(value, keys, new):
        if not keys:
            return new
        copy = dict(value) if isinstance(value, dict) else list(value)
        copy[keys[0]] = replaced(value[keys[0]], keys[1:], new)
        return copy if not isinstance(value, tuple) else tuple(copy)

    leaf = args[path[0]]
    for k in path[1:]:
        leaf = leaf[k]
    x = np.asarray(leaf, dtype=float)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[k] = H
        up = [replaced(a, path[1:], x + step if x.shape else float(x) + H) if i == path[0] else a
              for i, a in enumerate(args)]
        down = [replaced(a, path[1:], x - step if x.shape else float(x) - H)
                if i == path[0] else a for i, a in enumerate(args)]
        out[k] = (f(*up) - f(*down)) / (2 * H)
    return out


def mlp(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - Y) ** 2)


def linear(p, X, y):
    W, b = p
    return np.sum((X @ W + b - y) ** 2)


def nested(p, x):
    return np.sum(p["layer"][0] * x) + p["scale"] * p["layer"][1] ** 2


def scalars(k, t):
    return k["a"] * math.exp(-k["b"] * t)


RNG = np.random.default_rng(0)
PARAMS = {"W1": RNG.normal(size=(3, 4)), "b1": RNG.normal(size=4) * 0.1,
          "W2": RNG.normal(size=(4, 2)), "b2": RNG.normal(size=2) * 0.1}
X, Y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))


def test_a_dict_of_parameters():
    g = grad(mlp)(PARAMS, X, Y)
    assert list(g) == list(PARAMS)
    for key in PARAMS:
        assert_block(g[key], fd_leaf(mlp, (PARAMS, X, Y), (0, key)))
    source = open(grad(mlp).specialised(PARAMS, X, Y).__code__.co_filename).read()
    assert "params_W1 = params['W1']" in source and "\ndef _" not in source


@pytest.mark.parametrize("container", [list, tuple])
def test_a_list_or_tuple_of_parameters(container):
    p = container([np.array([0.5, -1.0, 2.0]), 0.25])
    y = np.ones(5)
    g = grad(linear)(p, X, y)
    assert type(g) is container and len(g) == 2
    assert_block(g[0], fd_leaf(linear, (p, X, y), (0, 0)))
    assert g[1] == pytest.approx(float(fd_leaf(linear, (p, X, y), (0, 1))))


def test_nested_containers_and_numbers():
    p = {"layer": (np.ones(3), 2.0), "scale": 0.5}
    x = np.arange(3.0)
    g = grad(nested)(p, x)
    assert_block(g["layer"][0], fd_leaf(nested, (p, x), (0, "layer", 0)))
    assert g["layer"][1] == pytest.approx(2.0) and g["scale"] == pytest.approx(4.0)
    k = {"a": 0.3, "b": 1.2}
    gk = grad(scalars)(k, 0.7)
    assert gk == {"a": pytest.approx(math.exp(-0.84)), "b": pytest.approx(-0.3 * 0.7 * math.exp(-0.84))}


def test_value_and_grad_vjp_argnums_and_has_aux_with_a_dict():
    value, g = value_and_grad(mlp)(PARAMS, X, Y)
    assert value == pytest.approx(mlp(PARAMS, X, Y))
    gp, gx = grad(mlp, argnums=(0, 1))(PARAMS, X, Y)
    assert_block(gx, fd_leaf(mlp, (PARAMS, X, Y), (1,)))
    np.testing.assert_allclose(gp["W2"], g["W2"])
    out, pullback = vjp(mlp)(PARAMS, X, Y)
    np.testing.assert_allclose(pullback(2.0)["b1"], 2.0 * g["b1"])

    def with_aux(params, X, Y):
        return mlp(params, X, Y), params["b2"] * 2.0

    ga, aux = grad(with_aux, has_aux=True)(PARAMS, X, Y)
    np.testing.assert_allclose(ga["W1"], g["W1"])
    np.testing.assert_allclose(aux, PARAMS["b2"] * 2.0)


def test_float32_leaves_stay_float32():
    p32 = {k: v.astype(np.float32) for k, v in PARAMS.items()}
    g = grad(mlp)(p32, X.astype(np.float32), Y.astype(np.float32))
    assert all(v.dtype == np.float32 for v in g.values())


def lambda_aux(params, X, Y):
    return mlp(params, X, Y), 1.0


def whole(params, X, Y):
    return mlp(params, X, Y) + np.sum(params)


def unknown_key(params, X, Y, key):
    return np.sum(params[key])


def _dot(g, t) -> float:
    """The inner product of two containers of the same structure, leaf by leaf."""
    if isinstance(g, dict):
        return sum(_dot(g[k], t[k]) for k in g)
    if isinstance(g, (list, tuple)):
        return sum(_dot(a, b) for a, b in zip(g, t))
    return float(np.sum(np.asarray(g) * np.asarray(t)))


TANGENTS = {k: RNG.normal(size=v.shape) for k, v in PARAMS.items()}


def test_jvp_takes_tangents_of_the_parameters_structure():
    value, derivative = jvp(mlp)(PARAMS, X, Y, TANGENTS)
    assert value == pytest.approx(mlp(PARAMS, X, Y))
    fd = _dot({k: fd_leaf(mlp, (PARAMS, X, Y), (0, k)) for k in PARAMS}, TANGENTS)
    assert derivative == pytest.approx(fd, rel=1e-6)
    assert derivative == pytest.approx(_dot(grad(mlp)(PARAMS, X, Y), TANGENTS), rel=1e-12)
    source = jvp(mlp).specialised(PARAMS, X, Y, TANGENTS).source
    assert "params_W1_dot = tangents['W1']" in source


def test_jvp_with_nested_containers_numbers_and_arrays_side_by_side():
    p, x = {"layer": (np.ones(3), 2.0), "scale": 0.5}, np.arange(3.0)
    tp, tx = {"layer": (np.array([0.1, -0.2, 0.3]), 0.5), "scale": -1.0}, np.ones(3)
    _, derivative = jvp(nested, wrt=(0, 1))(p, x, (tp, tx))
    gp, gx = grad(nested, wrt=(0, 1))(p, x)
    assert derivative == pytest.approx(_dot(gp, tp) + _dot(gx, tx), rel=1e-12)
    k, tk = {"a": 0.3, "b": 1.2}, {"a": 1.0, "b": 0.5}
    _, dk = jvp(scalars)(k, 0.7, tk)
    fd = (scalars({"a": 0.3 + H, "b": 1.2 + 0.5 * H}, 0.7)
          - scalars({"a": 0.3 - H, "b": 1.2 - 0.5 * H}, 0.7)) / (2 * H)
    assert dk == pytest.approx(fd, rel=1e-6)


def test_jvp_tangents_of_another_structure_are_refused():
    wrong = dict(TANGENTS)
    del wrong["b2"]
    with pytest.raises(S2SDiffError, match="tangents must have the shapes of params"):
        jvp(mlp)(PARAMS, X, Y, wrong)


Layer = namedtuple("Layer", ["W", "b"])


@dataclass
class Model:
    hidden: Layer
    scale: float


def by_fields(m, X, y):
    h = np.tanh(X @ m.hidden.W + m.hidden.b)
    return m.scale * np.sum((h - y) ** 2)


def by_position(layer, X, y):
    W, b = layer
    return np.sum((X @ W + layer[1] - y) ** 2)


def _fd_fields(f, args, path, h=1e-6):
    """The finite-difference gradient with respect to the field at ``path`` of
    ``args[0]`` (namedtuples and dataclasses rebuilt with one field moved)."""
    def moved(value, keys, step):
        if not keys:
            return value + step
        field = keys[0]
        changed = {field: moved(getattr(value, field), keys[1:], step)}
        return value._replace(**changed) if isinstance(value, tuple) \
            else type(value)(**{**vars(value), **changed})

    leaf = args[0]
    for k in path:
        leaf = getattr(leaf, k)
    x = np.asarray(leaf, dtype=float)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[k] = h
        step = step if x.shape else h
        out[k] = (f(moved(args[0], path, step), *args[1:])
                  - f(moved(args[0], path, -step), *args[1:])) / (2 * h)
    return out


def test_namedtuples_and_dataclasses_come_back_in_their_class():
    m = Model(Layer(RNG.normal(size=(3, 4)), RNG.normal(size=4)), 0.7)
    y = RNG.normal(size=(5, 4))
    g = grad(by_fields)(m, X, y)
    assert type(g) is Model and type(g.hidden) is Layer
    assert_block(g.hidden.W, _fd_fields(by_fields, (m, X, y), ("hidden", "W")))
    assert_block(g.hidden.b, _fd_fields(by_fields, (m, X, y), ("hidden", "b")))
    assert float(g.scale) == pytest.approx(float(_fd_fields(by_fields, (m, X, y), ("scale",))))
    source = grad(by_fields).specialised(m, X, y).source
    assert "m_hidden_W = m.hidden.W" in source or "m_hidden_W = m_hidden.W" in source
    assert "return Model(hidden=Layer(W=" in source
    value, gv = value_and_grad(by_fields)(m, X, y)
    assert value == pytest.approx(by_fields(m, X, y)) and type(gv) is Model
    _, pullback = vjp(by_fields)(m, X, y)
    np.testing.assert_allclose(pullback(2.0).hidden.W, 2.0 * g.hidden.W)
    t = Model(Layer(np.ones((3, 4)), np.ones(4)), 1.0)
    _, derivative = jvp(by_fields)(m, X, y, t)
    assert derivative == pytest.approx(float(np.sum(g.hidden.W) + np.sum(g.hidden.b) + g.scale),
                                       rel=1e-10)


def test_a_namedtuple_unpacked_or_indexed():
    layer, y = Layer(np.array([0.5, -1.0, 2.0]), 0.25), np.ones(5)
    g = grad(by_position)(layer, X, y)
    assert type(g) is Layer
    assert_block(g.W, _fd_fields(by_position, (layer, X, y), ("W",)))
    assert float(g.b) == pytest.approx(float(_fd_fields(by_position, (layer, X, y), ("b",))))


def test_a_field_of_what_is_not_a_namedtuple_or_dataclass_is_a_located_error():
    with pytest.raises(S2SDiffError, match=r"test_pytrees.py:\d+.*attribute `.hidden`"):
        grad(by_fields)(1.0, X, X)


@pytest.mark.parametrize("call,message", [
    (lambda: grad(whole)(PARAMS, X, Y), "passed on whole"),
    (lambda: grad(unknown_key)(PARAMS, X, Y, "W1"), "not one of its keys"),
    (lambda: jacobian(lambda_aux, has_aux=True)(PARAMS, X, Y), "has_aux with containers"),
    (lambda: hessian(mlp, wrt=(0, 1))(PARAMS, X, Y), "containers with a tuple wrt"),
    (lambda: hessian(by_position)(Layer(np.ones(3), 0.5), X, np.ones(5)), "namedtuples, dataclasses"),
], ids=["whole", "unknown_key", "jacobian_has_aux", "hessian_tuple_wrt", "hessian_namedtuple"])
def test_what_is_not_supported_is_a_clear_error(call, message):
    with pytest.raises(S2SDiffError, match=message):
        call()


HOSTILE = "a'b\"\\n\"\"\"; import os"


def hostile_key(p, x):
    return np.sum(p["a'b\"\\n\"\"\"; import os"] * x) + p[3]


def test_keys_reach_the_generated_code_escaped():
    """Dict keys are written into the generated code through the one escaping path."""
    args = ({HOSTILE: np.ones(2), 3: 0.5}, np.array([2.0, 3.0]))
    g = grad(hostile_key)(*args)
    assert list(g) == [HOSTILE, 3] and g[3] == 1.0
    np.testing.assert_allclose(g[HOSTILE], [2.0, 3.0])
    source = open(grad(hostile_key).specialised(*args).__code__.co_filename).read()
    assert "\nimport os" not in source and repr(HOSTILE) in source


def metrics(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return {"loss": np.mean((out - Y) ** 2), "outputs": out}


def test_vjp_with_a_dict_input_and_a_dict_output():
    value, pullback = vjp(metrics)(PARAMS, X, Y)
    assert set(value) == {"loss", "outputs"} and value["loss"] == pytest.approx(mlp(PARAMS, X, Y))
    weights = RNG.normal(size=(5, 2))
    g = pullback({"loss": 2.0, "outputs": weights})
    assert list(g) == list(PARAMS)

    def weighted(params, X, Y):
        m = metrics(params, X, Y)
        return 2.0 * m["loss"] + np.sum(weights * m["outputs"])

    for key in PARAMS:
        assert_block(g[key], fd_leaf(weighted, (PARAMS, X, Y), (0, key)))
    with pytest.raises(S2SDiffError, match=r"its cotangent is a dict with the keys \['loss', 'outputs'\]"):
        pullback({"loss": 1.0})


def test_jvp_of_a_function_returning_a_dict_returns_dicts():
    value, tangent = jvp(metrics)(PARAMS, X, Y, TANGENTS)
    assert set(value) == set(tangent) == {"loss", "outputs"}
    _, loss_tangent = jvp(mlp)(PARAMS, X, Y, TANGENTS)
    assert tangent["loss"] == pytest.approx(loss_tangent, rel=1e-12)
    assert tangent["outputs"].shape == (5, 2)
    assert "return {'loss': " in jvp(metrics).specialised(PARAMS, X, Y, TANGENTS).source


def calls_metrics(params, X, Y):
    return metrics(params, X, Y)["loss"]


@pytest.mark.parametrize("call,message", [
    (lambda: grad(metrics)(PARAMS, X, Y), "grad: metrics returns a dict; jvp and vjp"),
    (lambda: grad(calls_metrics)(PARAMS, X, Y), r"test_pytrees.py:\d+.*a call of metrics, which returns a dict"),
], ids=["grad", "called"])
def test_dict_outputs_elsewhere_are_located_errors(call, message):
    with pytest.raises(S2SDiffError, match=message):
        call()


class Affine:
    """A container of the user's, registered as in jax.tree_util."""

    def __init__(self, W, b, name="layer"):
        self.W, self.b, self.name = W, b, name


def _flatten_affine(a):
    return (a.W, a.b), a.name


def _unflatten_affine(name, children):
    return Affine(*children, name=name)


register_container(Affine, _flatten_affine, _unflatten_affine)


def affine_loss(layer, X, y):
    return np.sum(np.tanh(X @ layer.W + layer.b) * y)


def test_a_registered_container_of_the_users():
    layer, y = Affine(RNG.normal(size=(3, 2)), RNG.normal(size=2), "first"), RNG.normal(size=(5, 2))
    g = grad(affine_loss)(layer, X, y)
    assert type(g) is Affine and g.name == "first"

    def moved(W=None, b=None):
        return affine_loss(Affine(layer.W if W is None else W, layer.b if b is None else b), X, y)

    assert_block(g.W, fd_leaf(lambda W: moved(W=W), (layer.W,), (0,)))
    assert_block(g.b, fd_leaf(lambda b: moved(b=b), (layer.b,), (0,)))
    source = grad(affine_loss).specialised(layer, X, y).source
    assert "layer_W = layer.W" in source and "return _unflatten_affine('first', (" in source
    _, pullback = vjp(affine_loss)(layer, X, y)
    np.testing.assert_allclose(pullback(3.0).b, 3.0 * g.b)
    t = Affine(np.ones((3, 2)), np.zeros(2))
    _, derivative = jvp(affine_loss)(layer, X, y, t)
    assert derivative == pytest.approx(float(np.sum(g.W)), rel=1e-10)


def layer_outputs(params, X):
    return np.tanh(X @ params["W"] + params["b"])


LAYER = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_of_containers_nests_as_jax(mode):
    """The outputs' structure outside, the inputs' inside; a block has the shape
    output.shape + leaf.shape; both modes against finite differences."""
    J = jacobian(layer_outputs, mode=mode)(LAYER, X)
    assert list(J) == ["W", "b"] and J["W"].shape == (5, 2, 3, 2) and J["b"].shape == (5, 2, 2)
    for key in LAYER:
        for k in np.ndindex(LAYER[key].shape):
            step = np.zeros(LAYER[key].shape)
            step[k] = H
            up = layer_outputs({**LAYER, key: LAYER[key] + step}, X)
            down = layer_outputs({**LAYER, key: LAYER[key] - step}, X)
            np.testing.assert_allclose(J[key][(...,) + k], (up - down) / (2 * H), rtol=1e-6,
                                       atol=1e-8)
    Jm = jacobian(metrics, mode=mode)(PARAMS, X, Y)  # a dict output: a dict of input dicts
    assert set(Jm) == {"loss", "outputs"} and Jm["outputs"]["W2"].shape == (5, 2, 4, 2)
    np.testing.assert_allclose(Jm["loss"]["b1"], grad(mlp)(PARAMS, X, Y)["b1"], rtol=1e-10)


def test_hessian_of_a_dict_nests_as_jax():
    """H[k1][k2] has the shape k1.shape + k2.shape: the Jacobian of the gradient."""
    Hd = hessian(mlp)(PARAMS, X, Y)
    assert Hd["W1"]["b2"].shape == (3, 4, 2) and Hd["b2"]["W1"].shape == (2, 3, 4)
    np.testing.assert_allclose(Hd["W1"]["b2"], np.moveaxis(Hd["b2"]["W1"], 0, -1), rtol=1e-8,
                               atol=1e-12)
    for k in np.ndindex(PARAMS["b2"].shape):  # a column: finite differences of the gradient
        step = np.zeros(2)
        step[k] = H
        up = grad(mlp)({**PARAMS, "b2": PARAMS["b2"] + step}, X, Y)
        down = grad(mlp)({**PARAMS, "b2": PARAMS["b2"] - step}, X, Y)
        for key in PARAMS:
            np.testing.assert_allclose(Hd[key]["b2"][(...,) + k], (up[key] - down[key]) / (2 * H),
                                       rtol=1e-5, atol=1e-7)


def test_the_command_writes_a_module_for_a_container_signature(tmp_path):
    """``--signature`` describes dicts, lists and tuples: ``{key:TYPE,...}``, ``[...]``, ``(...)``."""
    import subprocess
    import sys

    (tmp_path / "model.py").write_text(
        "import numpy as np\n\n\ndef loss(params, X, Y):\n"
        "    h = np.tanh(X @ params['W1'] + params['b1'])\n"
        "    out = h @ params['W2'] + params['b2']\n"
        "    return np.mean((out - Y) ** 2)\n")
    signature = "params={W1:f8[d,h],b1:f8[h],W2:f8[h,o],b2:f8[o]},X=f8[n,d],Y=f8[n,o]"
    subprocess.run([sys.executable, "-m", "s2sdiff", "grad", "model.py:loss", "--wrt", "params",
                    "--signature", signature, "-o", "model_grad.py"], cwd=tmp_path, check=True,
                   capture_output=True)
    source = (tmp_path / "model_grad.py").read_text()
    assert "params_W1 = params['W1']" in source and "return {'W1': params_W1_bar" in source
    namespace: dict = {}
    exec(compile(source, "model_grad.py", "exec"), namespace)  # noqa: S102 - our own output
    g = namespace["grad_loss"](PARAMS, X, Y)
    for key in PARAMS:
        np.testing.assert_allclose(g[key], grad(mlp)(PARAMS, X, Y)[key], rtol=1e-12)


def test_signature_text_for_containers():
    from s2sdiff.ir import types

    found = types.parse("p={W:f8[d,h],b:f8[h]},layers=[(f8[n,n],f4[n])],k=int")
    assert found["p"] == types.Struct(("W", "b"), (types.Arr("float64", (False, False)),
                                                   types.Arr("float64", (False,))))
    assert found["layers"].kind == "list" and found["layers"].items[0][1].dtype == "float32"
    for bad, message in [("p={W f8[d]}", "write a dict as"), ("w=f8[n", "not closed"),
                         ("p=[f8[n]", "not closed by"), ("w=xx[n]", "unknown dtype")]:
        with pytest.raises(ValueError, match=message):
            types.parse(bad)
