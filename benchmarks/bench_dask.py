"""The generated gradient on a dataset larger than a worker's memory: NumPy and Dask.

One logistic loss, ``mean(logaddexp(0, z) - y z)`` with ``z = X @ w + b``, on
one dataset (``--rows`` × 20 float64, drawn by ``dask.array.random`` from a
seed, 200 000 rows a chunk), timed side by side:

- NumPy: the dataset computed into the client's memory, then ``f`` and the
  s2sdiff gradient on it (best of 3);
- Dask on a ``LocalCluster`` of 1, then 2 worker processes, each allowed
  ``--limit`` MiB (the dataset is several times that): ``f`` and the same
  gradient (``grad(loss)`` called on Dask arrays), each one ``client.compute``
  of one task graph, chunks drawn on the workers as they are needed (so the
  Dask times include drawing the data; the "draw only" column times that
  alone).

For each: time(f), time(gradient), their ratio, the peak resident memory of
the client process above its start (sampled every 5 ms) and, for Dask, the
largest peak resident memory of a worker process.  The gradients of all runs
are checked equal (to 1e-10 relative) before the table is printed.

Run: ``python benchmarks/bench_dask.py`` (``--rows``, ``--limit`` to change
the sizes).  Needs ``pip install 's2sdiff[dask]'``.
"""

import argparse
import os
import threading
import time

import numpy as np
import psutil
from _timing import fmt_ratio, fmt_time, print_table

import dask.array as da
from dask.distributed import Client, LocalCluster

from s2sdiff import grad

FEATURES, CHUNK = 20, 200_000


def loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def dataset(rows):
    rng = da.random.default_rng(0)
    X = rng.standard_normal((rows, FEATURES), chunks=(CHUNK, FEATURES))
    y = (X @ np.linspace(-1.0, 1.0, FEATURES) + rng.logistic(size=rows, chunks=CHUNK)
         > 0.0).astype(float)
    return X, y


class PeakMemory:
    """The peak resident memory of this process while in the block, sampled."""

    def __enter__(self):
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    @property
    def above_start(self):
        return self.peak - self.start


def _worker_peak():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def on_dask(workers, limit, X, y, w, b):
    """time(f), time(gradient), the gradient, the client's and the workers' peak memory."""
    gradient = grad(loss, wrt=(0, 1))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      memory_limit=limit, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.compute(loss(w, b, X[:CHUNK], y[:CHUNK])).result()  # warm the workers up
        with PeakMemory() as memory:
            start = time.perf_counter()
            client.compute(X.sum() + y.sum()).result()
            draw = time.perf_counter() - start
            start = time.perf_counter()
            client.compute(loss(w, b, X, y)).result()
            f_time = time.perf_counter() - start
            start = time.perf_counter()
            found = client.gather(client.compute(list(gradient(w, b, X, y))))
            g_time = time.perf_counter() - start
        workers_peak = max(client.run(_worker_peak).values())
    return dict(draw=draw, f=f_time, g=g_time, grad=found, client=memory.above_start,
                workers=workers_peak)


def on_numpy(X, y, w, b, repeat=3):
    gradient = grad(loss, wrt=(0, 1))
    with PeakMemory() as memory:
        X, y = (a.compute(scheduler="threads") for a in (X, y))
        f_time = g_time = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            loss(w, b, X, y)
            f_time = min(f_time, time.perf_counter() - start)
            start = time.perf_counter()
            found = gradient(w, b, X, y)
            g_time = min(g_time, time.perf_counter() - start)
    return dict(draw=None, f=f_time, g=g_time, grad=found, client=memory.above_start,
                workers=None)


def mib(n):
    return "n/a" if n is None else f"{n / 2**20:,.0f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_000_000)
    parser.add_argument("--limit", type=int, default=400, help="MiB per worker")
    args = parser.parse_args()
    X, y = dataset(args.rows)
    w, b = np.linspace(0.5, -0.5, FEATURES), 0.1
    size = X.nbytes + y.nbytes
    print(f"dataset: {args.rows:,} x {FEATURES} float64 + labels = {mib(size)}, "
          f"{X.numblocks[0]} chunks; workers allowed {args.limit} MiB each "
          f"(dataset / limit = {size / (args.limit * 2**20):.1f}); {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    runs = {}
    for workers in (1, 2):
        runs[f"Dask, {workers} worker" + "s" * (workers > 1)] = on_dask(
            workers, f"{args.limit}MiB", X, y, w, b)
    runs["NumPy, in memory"] = on_numpy(X, y, w, b)
    reference = runs["NumPy, in memory"]["grad"]
    for name, run in runs.items():
        for got, want in zip(run["grad"], reference):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14, err_msg=name)
    rows = [[name, fmt_time(r["draw"]), fmt_time(r["f"]), fmt_time(r["g"]),
             fmt_ratio(r["g"], r["f"]), mib(r["client"]), mib(r["workers"])]
            for name, r in runs.items()]
    print_table("Gradient of the logistic loss in (w, b), one run per Dask cell",
                ["", "draw only", "f", "gradient", "gradient / f", "client peak (above start)",
                 "worker peak"], rows)


if __name__ == "__main__":
    main()
