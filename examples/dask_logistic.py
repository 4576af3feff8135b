"""Logistic regression on 10⁷ × 20 rows that no process holds whole: s2sdiff's
gradient of a plain NumPy loss, run by Dask on a cluster of worker processes.

The data are task graphs: each chunk of ``X`` (250 000 rows, 40 MB) is drawn
from its own seed when a worker needs it, and dropped after.  Called on Dask
arrays, ``value_and_grad(loss)`` generates code for them (printed first): the
same NumPy code, here ``X.T @ z_bar`` and ``np.sum(z_bar)``, which Dask runs as
reductions over the chunks.  Nothing is computed until ``client.compute``;
each epoch is one task graph for the loss and the gradient together (shared
work done once), shown with Dask's progress bar.

    python examples/dask_logistic.py                  # 10⁷ rows, 3 epochs
    python examples/dask_logistic.py --rows 100000    # a quick run
"""

import argparse
import time

import numpy as np

import dask.array as da
from dask.distributed import Client, LocalCluster, progress

from s2sdiff import show, value_and_grad


def loss(w, b, X, y):
    """Mean logistic loss of the linear model ``X @ w + b`` on labels ``y`` (0 or 1)."""
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def dataset(rows, features, chunk, seed=0):
    """``X`` (standard normal) and labels ``y`` drawn from a known model, as task graphs."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, features), chunks=(chunk, features))
    w_true = np.linspace(-1.0, 1.0, features)
    noise = rng.logistic(size=rows, chunks=chunk)
    y = (X @ w_true + 0.5 + noise > 0.0).astype(float)
    return X, y, w_true


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=4.0, help="gradient descent step")
    args = parser.parse_args()

    chunk = min(250_000, -(-args.rows // 8))  # at least 8 chunks
    X, y, w_true = dataset(args.rows, args.features, chunk)
    print(f"X: {args.rows:,} x {args.features} float64 ({X.nbytes / 1e9:.1f} GB), "
          f"{X.numblocks[0]} chunks of {chunk:,} rows, generated on the workers\n")
    print(show(loss, wrt=(0, 1), kind="value_and_grad", signature="w=f8[d],b=float,X=dask:f8[n,d],y=dask:f8[n]"))

    step = value_and_grad(loss, wrt=(0, 1))
    w, b = np.zeros(args.features), 0.0
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit="1GiB", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        for epoch in range(1, args.epochs + 1):
            value, (w_bar, b_bar) = step(w, b, X, y)  # task graphs: nothing computed yet
            start = time.perf_counter()
            futures = client.compute([value, w_bar, b_bar])
            progress(futures)
            value, w_bar, b_bar = client.gather(futures)
            w, b = w - args.rate * w_bar, b - args.rate * b_bar
            print(f"\nepoch {epoch}: loss {value:.5f}  |grad| {np.linalg.norm(w_bar):.2e}  "
                  f"({time.perf_counter() - start:.1f} s)")
    cosine = w @ w_true / (np.linalg.norm(w) * np.linalg.norm(w_true))
    print(f"\nw . w_true / (|w| |w_true|) = {cosine:.4f}, b = {b:.3f} (true: 0.5)")


if __name__ == "__main__":
    main()
