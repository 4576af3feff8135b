"""Jacobians by batched seeds against one sweep per seed (issue 16, item 2).

For code specialised to its arguments, ``jacfwd`` calls one batched jvp (every
tangent with a leading axis of n seeds, ``back/batched.py``), ``jacrev`` one
batched vjp (cotangents with a leading axis of seeds) and ``hessian`` one
batched hvp, instead of one call per element of the input (output).
For each function and size n, side by side in one run:

- per seed: the generated wrapper calling the jvp (vjp, hvp) once per seed
  (``pipeline.generate(..., batch=False)``), forward and reverse mode;
- batched: the generated wrapper calling the batched jvp (vjp, hvp) once;
- JAX: ``jax.jit(jax.jacfwd(f))`` and ``jax.jit(jax.jacrev(f))`` (``jax.hessian``
  for Hessians), float64, if JAX is importable.

Functions: elementwise ``sin(x) * x + exp(-x)``, matvec ``A @ x``, softmax, an
MLP layer ``tanh(W @ x + b)`` (Jacobians with respect to x), and the Hessians of
Rosenbrock and of a logistic-regression loss (X of 2n × n).  Every result is
checked before it is timed: against per seed forward (1e-10) and JAX (1e-8),
and against central finite differences at the smallest size.

NumPy's BLAS runs on one thread here (``OPENBLAS_NUM_THREADS=1`` unless set):
on this 2-core machine, in one process with JAX's thread pool, multi-threaded
BLAS matrix products waited for threads: the batched Hessian of the logistic
loss at n = 100 took 15–51 ms (0.23 ms on one thread; 0.40 ms multi-threaded
without JAX loaded), as did the batched matvec's (29 ms), whose per-seed
versions multiply vectors, not matrices, and were not slowed.

Run: ``python benchmarks/bench_jacobian.py`` (``--sizes 10 100 1000``,
``--repeat N``, ``--no-jax``, ``--functions softmax rosenbrock``).
"""

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: see above

import numpy as np  # noqa: E402
from _timing import compare, fmt_ratio, fmt_time, optional_import, print_table, rebind  # noqa: E402

from s2sdiff import grad  # noqa: E402


def elementwise(x):
    return np.sin(x) * x + np.exp(-x)


def matvec(x, A):
    return A @ x


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def mlp_layer(x, W, b):
    return np.tanh(W @ x + b)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def _vector(rng, n):
    return rng.normal(size=n)


JACOBIANS = {  # name → (function, arguments at size n); derivatives with respect to x
    "elementwise": (elementwise, lambda rng, n: (_vector(rng, n),)),
    "matvec": (matvec, lambda rng, n: (_vector(rng, n), rng.normal(size=(n, n)))),
    "softmax": (softmax, lambda rng, n: (_vector(rng, n),)),
    "mlp_layer": (mlp_layer, lambda rng, n: (_vector(rng, n), rng.normal(size=(n, n)) / n ** 0.5,
                                            _vector(rng, n))),
}
HESSIANS = {
    "rosenbrock": (rosenbrock, lambda rng, n: (_vector(rng, n),)),
    "logistic": (logistic_loss, lambda rng, n: (_vector(rng, n), rng.normal(size=(2 * n, n)),
                                                (rng.random(2 * n) > 0.5).astype(float))),
}


def generated(f, args, kind, batch, mode="forward"):
    """The generated ``kind`` of ``f`` (with respect to its first argument) for
    arguments like ``args``, by ``mode``: batched seeds or one call per seed."""
    import inspect

    from s2sdiff import pipeline
    from s2sdiff.front import source as frontend
    from s2sdiff.back import codegen
    from s2sdiff.ir import types

    signature = dict(zip(inspect.signature(f).parameters, map(types.abstract, args)))
    gen = pipeline.generate(frontend.from_function(f), 0, kind, mode, signature=signature,
                            batch=batch)
    module = pipeline.render(gen, f.__module__)
    wanted = "batched_" if batch else "per seed"
    made = "batched_" if "batched_" in module.source else "per seed"
    if made != wanted:
        raise AssertionError(f"{kind} of {f.__name__} by {mode} mode: {made}, not {wanted}")
    return codegen.compile_module(module, gen.entry)[gen.entry]


def fd_jacobian(f, args, h=1e-6):
    """∂f/∂args[0] by central differences, shaped ``f(args).shape + x.shape``."""
    x = args[0]
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step[k] = h
        columns.append((f(x + step, *args[1:]) - f(x - step, *args[1:])) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1)


def jax_versions(f, kind, use_jax):
    """{name: JAX's jitted Jacobians (or Hessian) of ``f``}, float64; {} without JAX."""
    jax = optional_import("jax") if use_jax else None
    if jax is None:
        return {}
    jax.config.update("jax_enable_x64", True)
    fj = rebind(f, optional_import("jax.numpy"))
    if kind == "hessian":
        return {"JAX hessian": jax.jit(jax.hessian(fj))}
    return {"JAX jacfwd": jax.jit(jax.jacfwd(fj)), "JAX jacrev": jax.jit(jax.jacrev(fj))}


def check(name, got, want, rtol):
    got = np.asarray(got)
    if got.shape != np.shape(want) or not np.allclose(got, want, rtol=rtol, atol=rtol):
        raise AssertionError(f"{name}: wrong result (shape {got.shape}, "
                             f"expected {np.shape(want)})")


def table(kind, functions, sizes, repeat, use_jax, seed=0):
    """Time per seed, batched and JAX for each function and size (Jacobians in both
    modes); print the table and return its rows (name, n, {candidate: seconds})."""
    rng = np.random.default_rng(seed)
    modes = ("forward", "reverse") if kind == "jacobian" else ("forward",)
    rows, found = [], []
    for name, (f, make) in functions.items():
        jaxed = jax_versions(f, kind, use_jax)
        for n in sizes:
            args = make(rng, n)
            ours = {}
            for mode in modes:
                ours[f"per seed {mode}"] = generated(f, args, kind, False, mode)
                ours[f"batched {mode}"] = generated(f, args, kind, True, mode)
            want = ours["per seed forward"](*args)
            for label, fn in ours.items():
                check(f"{name} n={n} {label}", fn(*args), want, 1e-10)
            if n == min(sizes):
                reference = f if kind == "jacobian" else grad(f)
                check(f"{name} n={n} finite differences", want, fd_jacobian(reference, args),
                      1e-5)
            for label, fn in jaxed.items():
                check(f"{name} n={n} {label}", fn(*args), want, 1e-8)
            t = compare({label: (fn, args) for label, fn in {**ours, **jaxed}.items()}, repeat)
            found.append((name, n, t))
            cells = []
            for mode in modes:
                slow, fast = t[f"per seed {mode}"], t[f"batched {mode}"]
                cells += [fmt_time(slow), fmt_time(fast), fmt_ratio(slow, fast)]
            rows.append([name, n, *cells, *(fmt_time(t[label]) for label in jaxed)])
    labels = list(jax_versions(elementwise, kind, use_jax)) if rows else []
    headers = [h for mode in modes for h in (f"per seed {mode[:3]}", f"batched {mode[:3]}",
                                              "per seed / batched")]
    print_table(f"{kind.capitalize()}s: one call per seed against one batched call",
                ["function", "n", *headers, *labels], rows)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out")
    parser.add_argument("--functions", nargs="+", help="only these (default: all)")
    args = parser.parse_args(argv)
    found = []
    for kind, functions in (("jacobian", JACOBIANS), ("hessian", HESSIANS)):
        chosen = {k: v for k, v in functions.items() if k in (args.functions or functions)}
        if chosen:
            found += table(kind, chosen, args.sizes, args.repeat, not args.no_jax)
    return found


if __name__ == "__main__":
    main()
