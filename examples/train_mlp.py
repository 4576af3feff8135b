"""Train a small MLP held in a dict, with plain NumPy SGD and s2sdiff's gradient.

The loss returns ``(loss, accuracy)``; ``value_and_grad(has_aux=True)`` gives
``((loss, accuracy), gradient)`` with the gradient a dict shaped like the
parameters, as JAX's does.  The code s2sdiff generated for these arguments is
printed at the end: the dict is unpacked into named arrays, and the gradient
is ``X.T @ g`` and ``np.sum(g, axis=0)``, as one would write it by hand.

    python examples/train_mlp.py
"""

from pathlib import Path

import numpy as np

from s2sdiff import value_and_grad


def loss(params, X, y):
    """Mean logistic loss of a one-hidden-layer tanh network, and its accuracy."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    accuracy = np.mean((logits > 0.0) == (y > 0.5))
    return np.mean(np.logaddexp(0.0, logits) - y * logits), accuracy


def two_moons(n, rng):
    """Two interleaved half circles, labelled 0 and 1."""
    t = rng.uniform(0.0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], axis=1) + rng.normal(scale=0.1, size=(n, 2)), label * 1.0


def main():
    rng = np.random.default_rng(0)
    X, y = two_moons(400, rng)
    params = {"W1": rng.normal(size=(2, 16)), "b1": np.zeros(16),
              "w2": rng.normal(size=16) / 4.0, "b2": 0.0}
    step = value_and_grad(loss, has_aux=True)
    for epoch in range(301):
        (value, accuracy), gradient = step(params, X, y)
        params = {k: params[k] - 0.5 * gradient[k] for k in params}
        if epoch % 100 == 0:
            print(f"epoch {epoch:3d}: loss {value:.4f}, accuracy {accuracy:.2f}")
    assert accuracy > 0.85, accuracy
    code = step.specialised(params, X, y)
    source = Path(code.__code__.co_filename).read_text()
    print(source[source.index("def "):])


if __name__ == "__main__":
    main()
