"""Forward against reverse mode (issue 3): which one a function's shape favours.

Three tables:

1. f: Rⁿ → R, n = 1, 10, 100, 1000, a generated straight-line function
   ``s = s + math.sin(x_i) * x_(i+1)``: time(f), the gradient with respect to
   all n parameters by reverse mode (``grad``; target ≤ 4× f) and by forward
   mode (``grad(mode="forward")``, or else n ``jvp`` calls), so forward grows
   with n and reverse does not.
2. g: R → Rᵐ, m = 1, 10, 100, 1000, returning a tuple of m outputs
   ``y_i = y_(i-1) * x + math.cos(y_(i-1))``: the Jacobian by
   ``s2sdiff.jacobian(g, mode="forward")`` and ``mode="reverse"``; forward wins.
3. time(jvp)/time(f) on bench_scalar.py's functions (target ≤ 3×), with the
   tangent (1, 1, ...).

Every result is checked (reverse against finite differences, forward against
reverse, jvp against the hand-written gradient) before it is timed. Whatever
the API does not offer yet prints as "n/a".

Run: ``python benchmarks/bench_modes.py`` (``--sizes 1 10 100``, ``--repeat N``).
"""

import argparse
import math
import reprlib

from _timing import (
    compare,
    fmt_ratio,
    fmt_time,
    load_source,
    optional_import,
    print_table,
)
from bench_scalar import BENCHMARKS


def many_to_one_source(n):
    params = ", ".join(f"x{i}" for i in range(n))
    body = [f"    s = s + math.sin(x{i}) * x{(i + 1) % n}" for i in range(n)]
    return "\n".join(
        ["import math", "", "", f"def f({params}):", "    s = 0.0", *body, "    return s", ""]
    )


def one_to_many_source(m):
    body = [f"    y{i} = y{i - 1} * x + math.cos(y{i - 1})" for i in range(1, m)]
    outputs = "".join(f"y{i}, " for i in range(m))
    return "\n".join(
        [
            "import math",
            "",
            "",
            "def g(x):",
            "    y0 = math.sin(x)",
            *body,
            f"    return ({outputs})",
            "",
        ]
    )


def attempt(what, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or None (printing why) if that fails."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - missing API or failure: report, go on
        print(f"{what}: n/a ({type(exc).__name__}: {exc})")
        return None


def api(s2sdiff, name, *args, **kwargs):
    """``s2sdiff.<name>(*args, **kwargs)``, or None (printing why) if it is missing or fails."""
    what = f"s2sdiff.{name}({', '.join(f'{k}={reprlib.repr(v)}' for k, v in kwargs.items())})"
    if not hasattr(s2sdiff, name):
        print(f"{what}: n/a (no s2sdiff.{name} yet)")
        return None
    return attempt(what, getattr(s2sdiff, name), *args, **kwargs)


def with_tangent(jvp, v):
    """``jvp`` with its tangent argument fixed to ``v``."""
    return lambda *args: jvp(*args, v)


def derivative(jvp, v):
    """Only the directional derivative of ``jvp`` at tangent ``v``."""
    return lambda *args: jvp(*args, v)[1]


def forward_gradient(s2sdiff, f, n):
    """(gradient function by forward mode, how it is made), or (None, "n/a")."""
    wrt = tuple(range(n))
    g = api(s2sdiff, "grad", f, wrt=wrt, mode="forward")
    if g is not None:
        return g, "grad(mode='forward')"
    jvp = api(s2sdiff, "jvp", f, wrt=wrt)
    if jvp is None:
        return None, "n/a"
    seeds = [tuple(float(k == i) for k in range(n)) for i in range(n)]
    return (lambda *args: tuple(jvp(*args, seed)[1] for seed in seeds)), "n × jvp"


def as_list(value):
    """A gradient or Jacobian (scalar, tuple, nested tuple, array) as a flat list of floats."""
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in as_list(item)]
    if hasattr(value, "ravel"):
        return [float(v) for v in value.ravel()]
    return [float(value)]


def agree(got, want, rtol):
    got, want = as_list(got), as_list(want)
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=rtol, abs_tol=rtol) for g, w in zip(got, want)
    )


def central_diff(f, args, h=1e-6):
    grads = []
    for i in range(len(args)):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads


def checked(what, fn, args, want, rtol):
    """fn if fn(*args) agrees with want, else None (printing the mismatch)."""
    if fn is None:
        return None
    got = attempt(what, fn, *args)
    if got is not None and not agree(got, want, rtol):
        print(f"{what}: WRONG result {as_list(got)[:5]}..., expected {as_list(want)[:5]}...")
        return None
    return None if got is None else fn


def many_to_one(s2sdiff, sizes, repeat):
    rows = []
    for n in sizes:
        f = load_source(many_to_one_source(n), f"f{n}").f
        args = tuple(0.1 + 0.8 * i / max(n, 1) for i in range(n))
        reverse = api(s2sdiff, "grad", f, wrt=tuple(range(n)))
        fd = central_diff(f, args)
        reverse = checked(f"grad, n={n}", reverse, args, fd, 1e-6)
        forward, how = forward_gradient(s2sdiff, f, n)
        want, rtol = (fd, 1e-6) if reverse is None else (reverse(*args), 1e-10)
        forward = checked(f"forward gradient, n={n}", forward, args, want, rtol)
        calls = {"f": (f, args), "reverse": (reverse, args), "forward": (forward, args)}
        t = compare({k: v for k, v in calls.items() if v[0] is not None}, repeat)
        t_f, t_rev, t_fwd = (t.get(k) for k in calls)
        rows.append(
            [
                n,
                fmt_time(t_f),
                fmt_time(t_rev),
                fmt_ratio(t_rev, t_f),
                fmt_time(t_fwd),
                fmt_ratio(t_fwd, t_f),
                how,
            ]
        )
    print_table(
        "f: Rⁿ → R, gradient w.r.t. all n inputs (reverse target ≤ 4× f)",
        ["n", "f", "reverse", "reverse / f", "forward", "forward / f", "forward via"],
        rows,
    )


def one_to_many(s2sdiff, sizes, repeat):
    rows = []
    for m in sizes:
        g = load_source(one_to_many_source(m), f"g{m}").g
        x = 0.5
        jac = {mode: api(s2sdiff, "jacobian", g, mode=mode) for mode in ("forward", "reverse")}
        h = 1e-6
        fd = [(a - b) / (2 * h) for a, b in zip(g(x + h), g(x - h))]
        jac = {
            mode: checked(f"jacobian(mode={mode!r}), m={m}", fn, (x,), fd, 1e-6)
            for mode, fn in jac.items()
        }
        calls = {"g": (g, (x,)), **{mode: (fn, (x,)) for mode, fn in jac.items()}}
        t = compare({k: v for k, v in calls.items() if v[0] is not None}, repeat)
        t_g, t_fwd, t_rev = (t.get(k) for k in calls)
        rows.append(
            [
                m,
                fmt_time(t_g),
                fmt_time(t_fwd),
                fmt_ratio(t_fwd, t_g),
                fmt_time(t_rev),
                fmt_ratio(t_rev, t_g),
            ]
        )
    print_table(
        "g: R → Rᵐ, Jacobian (forward should win)",
        ["m", "g", "forward", "forward / g", "reverse", "reverse / g"],
        rows,
    )


def jvp_on_scalar(s2sdiff, repeat):
    rows = []
    for name, f, hand, args in BENCHMARKS:
        v = tuple(1.0 for _ in args)
        want = sum(hand(*args))
        jvp = api(s2sdiff, "jvp", f, wrt=tuple(range(len(args))))
        calls = {"f": (f, args)}
        if jvp is not None and checked(f"jvp, {name}", derivative(jvp, v), args, want, 1e-9):
            calls["jvp"] = (with_tangent(jvp, v), args)
        t = compare(calls, repeat)
        rows.append(
            [name, fmt_time(t["f"]), fmt_time(t.get("jvp")), fmt_ratio(t.get("jvp"), t["f"])]
        )
    print_table(
        "jvp on bench_scalar's functions (target ≤ 3× f)", ["function", "f", "jvp", "jvp / f"], rows
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=5, help="repeats per timing (best kept)")
    args = parser.parse_args()
    s2sdiff = optional_import("s2sdiff")
    many_to_one(s2sdiff, args.sizes, args.repeat)
    one_to_many(s2sdiff, args.sizes, args.repeat)
    jvp_on_scalar(s2sdiff, args.repeat)


if __name__ == "__main__":
    main()
