"""Gradient cost on two NumPy losses: s2sdiff against a careful hand-written gradient.

- logistic regression: ``mean(logaddexp(0, z) - y z)`` with ``z = X @ w + b``,
  X of 1000×10, gradient in ``(w, b)``;
- a two-layer tanh MLP: ``mean((tanh(X @ W1 + b1) @ W2 + b2 - Y) ** 2)``,
  batch 256, 32→64→4, gradient in ``(W1, b1, W2, b2)``.

It prints time(f), time(hand-written NumPy gradient), time(s2sdiff
gradient), and when installed time(autograd gradient), time(JAX gradient)
eager and under ``jax.jit`` (float64, ``jax_enable_x64``), with the ratios
gradient/f and s2sdiff/hand-written (issue 6's target: ≤ 1.2×), as plain text
and as Markdown for the README.

Before timing, each hand-written gradient is checked against central finite
differences (directional, through the dot-product ⟨∇f, v⟩), and every tool's
gradient against the hand-written one; a tool that fails to build or gives a
different gradient is shown as n/a with the reason.  autograd and JAX get the
very same functions with ``np`` rebound to ``autograd.numpy`` / ``jax.numpy``.

Optional tools: ``pip install autograd`` and ``pip install "jax[cpu]"``.

Run: ``python benchmarks/bench_numpy.py`` (``--repeat N`` for more repeats).
"""

import argparse

import numpy as np
from _timing import (autograd_gradient, compare, fmt_ratio, fmt_time, optional_import,
                     print_table, rebind, s2sdiff_gradient)

# ---------------------------------------------------------------------------
# The functions and their hand-written reverse-mode gradients.


def logreg_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def logreg_grad(w, b, X, y):
    z = X @ w + b
    r = (1.0 / (1.0 + np.exp(-z)) - y) / z.shape[0]
    return X.T @ r, np.sum(r)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - Y) ** 2)


def mlp_grad(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    d = (out - Y) * (2.0 / out.size)
    dh = (d @ W2.T) * (1.0 - h * h)
    return X.T @ dh, np.sum(dh, axis=0), h.T @ d, np.sum(d, axis=0)


def _logreg_args(rng):
    X = rng.normal(size=(1000, 10))
    w_true = rng.normal(size=10)
    y = (X @ w_true + 0.5 * rng.normal(size=1000) > 0).astype(float)
    return (rng.normal(size=10) * 0.1, 0.05, X, y)


def _mlp_args(rng):
    return (rng.normal(size=(32, 64)) / np.sqrt(32), rng.normal(size=64) * 0.1,
            rng.normal(size=(64, 4)) / 8.0, rng.normal(size=4) * 0.1,
            rng.normal(size=(256, 32)), rng.normal(size=(256, 4)))


CASES = [  # name, f, hand-written gradient, argument maker, wrt
    ("logistic regression (X 1000×10)", logreg_loss, logreg_grad, _logreg_args, (0, 1)),
    ("tanh MLP (256, 32→64→4)", mlp_loss, mlp_grad, _mlp_args, (0, 1, 2, 3)),
]


# ---------------------------------------------------------------------------
# Checks.


def check_against_fd(f, grad, args, wrt, rng, h=1e-6):
    """Raise if ⟨grad, v⟩ differs from the central difference of f along v."""
    grads = grad(*args)
    for _ in range(3):
        vs = {i: rng.normal(size=np.shape(args[i])) for i in wrt}
        up = [a + h * vs[i] if i in vs else a for i, a in enumerate(args)]
        down = [a - h * vs[i] if i in vs else a for i, a in enumerate(args)]
        fd = (f(*up) - f(*down)) / (2 * h)
        exact = sum(np.sum(np.asarray(g) * vs[i]) for g, i in zip(grads, wrt))
        if not np.isclose(exact, fd, rtol=1e-6, atol=1e-9):
            raise AssertionError(f"{f.__name__}: gradient {exact} but finite differences {fd}")


def same_gradient(got, want):
    return len(got) == len(want) and all(
        np.allclose(np.asarray(g), w, rtol=1e-9, atol=1e-12) for g, w in zip(got, want))


def jax_gradients(f, wrt):
    jax = optional_import("jax")
    if jax is None:
        return None, None
    jax.config.update("jax_enable_x64", True)
    eager = jax.grad(rebind(f, optional_import("jax.numpy")), argnums=wrt)
    jitted = jax.jit(eager)

    def blocked(fn):
        def call(*args):
            return jax.block_until_ready(fn(*args))
        return call

    return blocked(eager), blocked(jitted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    headers = ["function", "f", "hand", "s2sdiff", "autograd", "JAX eager", "JAX jit",
               "hand / f", "s2sdiff / hand"]
    rows, notes = [], []
    for name, f, hand, make_args, wrt in CASES:
        args = make_args(rng)
        check_against_fd(f, hand, args, wrt, rng)
        reference = hand(*args)
        calls = {"f": (f, args), "hand": (hand, args)}
        candidates = {}
        for tool, build in [("s2sdiff", s2sdiff_gradient), ("autograd", autograd_gradient)]:
            try:
                candidates[tool] = build(f, wrt)
            except Exception as error:  # noqa: BLE001 - report any failure as n/a
                notes.append(f"{name}: {tool} n/a: {type(error).__name__}: {error}")
        try:
            candidates["JAX eager"], candidates["JAX jit"] = jax_gradients(f, wrt)
        except Exception as error:  # noqa: BLE001
            notes.append(f"{name}: JAX n/a: {type(error).__name__}: {error}")
        for tool, gradient in candidates.items():
            if gradient is None:
                continue
            try:
                got = gradient(*args)
                if not same_gradient(got, reference):
                    raise AssertionError("gradient differs from the hand-written one")
                calls[tool] = (gradient, args)
            except Exception as error:  # noqa: BLE001
                notes.append(f"{name}: {tool} n/a: {type(error).__name__}: {error}")
        times = compare(calls, repeat=options.repeat)
        get = times.get
        rows.append([name, fmt_time(get("f")), fmt_time(get("hand")), fmt_time(get("s2sdiff")),
                     fmt_time(get("autograd")), fmt_time(get("JAX eager")), fmt_time(get("JAX jit")),
                     fmt_ratio(get("hand"), get("f")), fmt_ratio(get("s2sdiff"), get("hand"))])
    print_table("Gradient of NumPy losses: best time per call", headers, rows)
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
