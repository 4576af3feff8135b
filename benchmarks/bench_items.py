"""Item writes in loops: s2sdiff's gradient against a hand-written one, as n grows.

Two functions write an array item by item in a Python loop: a prefix
recurrence ``h[i] = 0.5 * h[i - 1] + tanh(x[i])`` (reading the item written
before) and a branch per item (``y[i] = x[i] ** 2`` or ``1 - x[i]``).  Each
write of s2sdiff's gradient is in place where nothing can see the array
(``back/writes.py``), so its time grows as n, as f's and the hand-written
gradient's do; a copy per write would make it grow as n².  Printed, for n =
1,000, 4,000 and 16,000: time(f), time(hand-written gradient),
time(s2sdiff gradient), gradient / f and s2sdiff / hand, measured side by side.
Before timing, the hand-written gradients are checked against central finite
differences and s2sdiff's against them.

Run: ``python benchmarks/bench_items.py`` (``--sizes 1000 4000``, ``--repeat N``).
"""

import argparse
import math

import numpy as np
from _timing import compare, fmt_ratio, fmt_time, print_table

import s2sdiff


def prefix_sums(x):
    h = np.zeros(len(x))
    h[0] = x[0]
    for i in range(1, len(x)):
        h[i] = 0.5 * h[i - 1] + np.tanh(x[i])
    return np.sum(h * h)


def prefix_sums_grad(x):
    h = np.zeros(len(x))
    h[0] = x[0]
    for i in range(1, len(x)):
        h[i] = 0.5 * h[i - 1] + math.tanh(x[i])
    h_bar = 2.0 * h
    x_bar = np.zeros(len(x))
    for i in range(len(x) - 1, 0, -1):
        t = math.tanh(x[i])
        x_bar[i] = h_bar[i] * (1.0 - t * t)
        h_bar[i - 1] += 0.5 * h_bar[i]
    x_bar[0] = h_bar[0]
    return x_bar


def branch_per_item(x):
    y = np.ones_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0.3:
            y[i] = x[i] ** 2
        else:
            y[i] = 1.0 - x[i]
    return np.sum(y * x)


def branch_per_item_grad(x):
    y = np.ones_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] ** 2 if x[i] > 0.3 else 1.0 - x[i]
    x_bar = y.copy()
    for i in range(x.shape[0]):
        x_bar[i] += x[i] * (2.0 * x[i] if x[i] > 0.3 else -1.0)
    return x_bar


CASES = [("prefix recurrence", prefix_sums, prefix_sums_grad),
         ("branch per item", branch_per_item, branch_per_item_grad)]


def argument(n: int) -> np.ndarray:
    return np.random.default_rng(n).uniform(-1.0, 1.0, size=n)


def central_diff(f, x, h=1e-6):
    out = np.zeros(x.shape)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(up) - f(down)) / (2 * h)
    return out


def check(f, hand, n: int = 30) -> None:
    """The hand-written gradient against finite differences, s2sdiff's against it."""
    x = argument(n)
    want = hand(x)
    assert np.allclose(want, central_diff(f, x), rtol=1e-6, atol=1e-8), f.__name__
    assert np.allclose(s2sdiff.grad(f)(x), want, rtol=1e-10, atol=1e-12), f.__name__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    rows = []
    for name, f, hand in CASES:
        check(f, hand)
        g = s2sdiff.grad(f)
        for n in options.sizes:
            x = argument(n)
            t = compare({"f": (f, (x,)), "hand": (hand, (x,)), "s2sdiff": (g, (x,))},
                        repeat=options.repeat)
            rows.append([name, f"{n:,}", fmt_time(t["f"]), fmt_time(t["hand"]),
                         fmt_time(t["s2sdiff"]), fmt_ratio(t["s2sdiff"], t["f"]),
                         fmt_ratio(t["s2sdiff"], t["hand"])])
    print_table("Item writes in a loop: best time per call",
                ["function", "n", "f", "hand", "s2sdiff", "s2sdiff / f", "s2sdiff / hand"],
                rows)


if __name__ == "__main__":
    main()
