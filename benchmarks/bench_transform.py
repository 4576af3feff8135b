"""Transformation time and memory: ``grad(f)`` on generated straight-line functions.

Generates random (seeded, so the same every run) scalar functions of 1,000,
2,000, 5,000 and 10,000 statements over four parameters, each statement one to
four operations (``+ - * /``, ``math.sin`` ...) that uses the statement before
it, so every statement reaches the output. Each function is written to a
module file and imported, so ``inspect.getsource`` works. It then times the
cold transformation: a freshly imported module (new function and code objects)
every repeat, ``s2sdiff.clear_cache()`` if it exists, then
``grad(f, wrt=(0, 1, 2, 3))`` and one call of the result (so a transformation
that is deferred to the first call is counted too; that call itself takes
microseconds). Peak memory is measured with tracemalloc in a separate run.
Python's own ``compile`` of the same source is shown for scale.

Issue 2's targets: ≤ 0.3 s for 1,000 statements, ≤ 3 s for 10,000, growing linearly.

Run: ``python benchmarks/bench_transform.py`` (``--sizes 1000 10000``, ``--repeat N``,
``--numpy`` for functions calling NumPy, which s2sdiff differentiates in array mode).
"""

import argparse
import gc
import math
import random
import time
import tracemalloc

from _timing import load_source, optional_import, print_table

# Each maps a, b in [-1, 1] into [-1, 1], with |∂/∂a| + |∂/∂b| ≤ 1: the values and
# derivatives stay of order one over 10,000 statements, so finite differences check them.
OPERATIONS = [
    "0.5 * {a} * {b}",
    "0.5 * ({a} + {b})",
    "0.5 * ({a} - {b})",
    "0.5 * math.sin({a} + {b})",
    "0.5 * math.cos({a}) * {b}",
    "math.tanh(0.5 * {a} + 0.5 * {b})",
    "0.5 * {a} / (1.0 + {b} * {b})",
    "0.5 * math.sqrt(1.0 + {a} * {a}) - 0.5 * {b}",
    "0.5 * math.log(1.0 + {b} * {b}) + 0.5 * {a}",
    "0.5 * math.exp(-{a} * {a}) * {b}",
]
PARAMS = ("x0", "x1", "x2", "x3")
ARGS = (0.3, -0.7, 0.9, 0.5)
TARGETS = {1000: 0.3, 10000: 3.0}


def make_source(n, seed=0, numpy=False):
    """Source of ``f(x0, x1, x2, x3)``: n random assignments and a return; with
    ``numpy``, NumPy's functions in place of ``math``'s (array mode)."""
    rng = random.Random(seed)
    names = list(PARAMS)
    lines = [f"def f({', '.join(PARAMS)}):"]
    for i in range(n):
        pick = rng.random()  # b: a parameter, any earlier value, or a recent one
        b = rng.choice(PARAMS if pick < 0.1 else names if pick < 0.3 else names[-10:])
        lines.append(f"    v{i} = " + rng.choice(OPERATIONS).format(a=names[-1], b=b))
        names.append(f"v{i}")
    lines.append(f"    return {names[-1]}")
    text = "\n".join(lines) + "\n"
    if numpy:
        return "import numpy as np\n\n\n" + text.replace("math.", "np.")
    return "import math\n\n\n" + text


def transform(s2sdiff, source):
    """Import a fresh copy of the function, build and call its gradient; return seconds."""
    f = load_source(source, "straight").f
    if hasattr(s2sdiff, "clear_cache"):
        s2sdiff.clear_cache()
    gc.collect()
    start = time.perf_counter()
    g = s2sdiff.grad(f, wrt=(0, 1, 2, 3))
    g(*ARGS)
    return time.perf_counter() - start, f, g


def peak_mib(s2sdiff, source):
    """Peak traced memory of one cold transformation, in MiB."""
    tracemalloc.start()
    try:
        transform(s2sdiff, source)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def check_gradient(f, g, h=1e-6):
    """Compare g with central finite differences; print the verdict."""
    for i, gi in enumerate(g(*ARGS)):
        up, down = list(ARGS), list(ARGS)
        up[i] += h
        down[i] -= h
        fd = (f(*up) - f(*down)) / (2 * h)
        if not math.isclose(gi, fd, rel_tol=1e-6, abs_tol=1e-9):
            print(f"  WARNING: d/dx{i}: s2sdiff {gi!r}, finite differences {fd!r}")
            return
    print("  gradient agrees with finite differences")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="repeats per size (best kept)")
    parser.add_argument("--numpy", action="store_true",
                        help="functions calling NumPy's functions (array mode), not math's")
    args = parser.parse_args()
    s2sdiff = optional_import("s2sdiff")
    if s2sdiff is None or not hasattr(s2sdiff, "grad"):
        print("s2sdiff.grad: not available yet, transformation columns are n/a")
        s2sdiff = None
    rows = []
    for n in args.sizes:
        source = make_source(n, numpy=args.numpy)
        f = load_source(source, "straight").f
        assert math.isfinite(f(*ARGS)), "generated function overflows"
        start = time.perf_counter()
        for _ in range(args.repeat):
            compile(source, "<generated>", "exec")
        compiled = (time.perf_counter() - start) / args.repeat
        seconds = peak = None
        if s2sdiff is not None:
            print(f"{n} statements ...", flush=True)
            results = [transform(s2sdiff, source) for _ in range(args.repeat)]
            seconds = min(r[0] for r in results)
            check_gradient(*results[-1][1:])
            peak = peak_mib(s2sdiff, source)
        target = TARGETS.get(n)
        verdict = (
            "" if target is None or seconds is None else ("ok" if seconds <= target else "MISSED")
        )
        rows.append(
            [
                f"{n:,}",
                "n/a" if seconds is None else f"{seconds:.3f}",
                "n/a" if seconds is None else f"{seconds / n * 1000:.3f}",
                "n/a" if peak is None else f"{peak:.1f}",
                f"{compiled:.3f}",
                "" if target is None else f"≤ {target} s {verdict}".strip(),
            ]
        )
    print_table(
        "Transformation time of grad(f), cold (best of repeats)"
        + (", NumPy calls" if args.numpy else ""),
        ["statements", "seconds", "s per 1,000", "peak MiB", "Python compile s", "target"],
        rows,
    )


if __name__ == "__main__":
    main()
