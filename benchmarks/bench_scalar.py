"""Gradient cost on three scalar functions: s2sdiff against a hand-written gradient.

Measures, for a straight-line function (~20 operations), a ``for`` loop of 100
iterations and a ``while`` loop with an ``if``/``else`` on a float comparison:
time(f), time(hand-written gradient), time(s2sdiff gradient) and, when they are
installed, time(autograd gradient) and time(tangent gradient); every gradient is
taken with respect to all arguments. It prints the times, the ratios
gradient/f and s2sdiff/hand-written (issue 2's target: ≤ 1.15×), as plain text
and as Markdown for the README.

Before timing, each hand-written gradient is checked against central finite
differences, and every tool's gradient against the hand-written one.
autograd and tangent cannot differentiate ``math.sin``, so they get the same
function with ``numpy`` (``autograd.numpy``) in place of ``math``; its time is
shown as "f (numpy)". Ratios are against the plain ``math`` f.

Run: ``python benchmarks/bench_scalar.py`` (``--repeat N`` for more repeats).
"""

import argparse
import inspect
import math

from _timing import (
    compare,
    fmt_ratio,
    fmt_time,
    load_source,
    optional_import,
    print_table,
)

# ---------------------------------------------------------------------------
# The functions and their hand-written reverse-mode gradients.


def straight(x, y, z):
    a = x * y
    b = math.sin(a)
    c = b / z
    d = math.exp(c)
    e = x * x + z * z
    h = math.log(e)
    k = y * y + 1.0
    m = math.sqrt(k)
    p = d * h / m
    q = math.cos(x - z)
    r = p * q
    s = r + a * 0.5
    t = math.tanh(s)
    return t * x + b


def straight_grad(x, y, z):
    a = x * y
    b = math.sin(a)
    c = b / z
    d = math.exp(c)
    e = x * x + z * z
    h = math.log(e)
    k = y * y + 1.0
    m = math.sqrt(k)
    n = d * h
    p = n / m
    u = x - z
    q = math.cos(u)
    r = p * q
    s = r + a * 0.5
    t = math.tanh(s)
    # reverse pass
    x_bar = t
    s_bar = x * (1.0 - t * t)
    a_bar = 0.5 * s_bar
    p_bar = s_bar * q
    u_bar = -s_bar * p * math.sin(u)
    n_bar = p_bar / m
    m_bar = -p_bar * p / m
    d_bar = n_bar * h
    e_bar = n_bar * d / e
    y_bar = m_bar * y / m
    c_bar = d_bar * d
    b_bar = 1.0 + c_bar / z
    z_bar = 2.0 * z * e_bar - c_bar * c / z - u_bar
    a_bar += b_bar * math.cos(a)
    x_bar += u_bar + 2.0 * x * e_bar + a_bar * y
    y_bar += a_bar * x
    return x_bar, y_bar, z_bar


def loop(x, a):
    y = x
    for i in range(100):
        y = y * a + math.sin(y * x)
    return y


def loop_grad(x, a):
    y = x
    ys = []
    for i in range(100):
        ys.append(y)
        y = y * a + math.sin(y * x)
    # reverse pass
    y_bar = 1.0
    x_bar = 0.0
    a_bar = 0.0
    for y in reversed(ys):
        c = math.cos(y * x)
        a_bar += y_bar * y
        x_bar += y_bar * c * y
        y_bar = y_bar * (a + c * x)
    return x_bar + y_bar, a_bar


def while_branch(x, y):
    t = 0.0
    k = 0
    while k < 100:
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1
    return t


def while_branch_grad(x, y):
    t = 0.0
    ts = []
    k = 0
    while k < 100:
        ts.append(t)
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1
    # reverse pass: the branch taken is recomputed from the recorded t
    t_bar = 1.0
    x_bar = 0.0
    y_bar = 0.0
    for t in reversed(ts):
        if t < 1.0:
            w = math.exp(-t)
            x_bar += t_bar * w
            t_bar = t_bar * (1.0 - x * w)
        else:
            y_bar += t_bar * t
            t_bar = t_bar * y
    return x_bar, y_bar


BENCHMARKS = [
    # (name, f, hand-written gradient w.r.t. all arguments, arguments)
    ("straight-line", straight, straight_grad, (0.7, 1.3, 2.1)),
    ("for loop, 100 iterations", loop, loop_grad, (0.4, 0.9)),
    ("while loop with branches", while_branch, while_branch_grad, (0.7, 0.8)),
]

# ---------------------------------------------------------------------------
# Checks.


def central_diff(f, args, wrt=None, h=1e-6):
    """Gradient of f at args (in the arguments ``wrt``: all by default) by central
    finite differences."""
    grads = []
    for i in range(len(args)) if wrt is None else wrt:
        up = list(args)
        down = list(args)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return tuple(grads)


def close(got, want, rtol):
    """True if the tuples (or numbers) agree to ``rtol`` relative to max(1, |want|)."""
    got = tuple(got) if isinstance(got, (tuple, list)) else (got,)
    want = tuple(want) if isinstance(want, (tuple, list)) else (want,)
    return len(got) == len(want) and all(
        abs(float(g) - float(w)) <= rtol * max(1.0, abs(float(w))) for g, w in zip(got, want)
    )


# ---------------------------------------------------------------------------
# The tools.


def numpy_variant(f, numpy_module):
    """f with ``np.`` in place of ``math.``, where np is ``numpy_module``."""
    source = inspect.getsource(f).replace("math.", "np.")
    module = load_source(f"import {numpy_module} as np\n\n\n{source}", f.__name__)
    return getattr(module, f.__name__)


def s2sdiff_grad(f, n):
    from s2sdiff import grad

    return grad(f, wrt=tuple(range(n)))


def autograd_grad(f, n):
    import autograd

    numpy_f = numpy_variant(f, "autograd.numpy")
    g = autograd.grad(lambda args: numpy_f(*args))
    return lambda *args: g(args)


def tangent_grad(f, n):
    import tangent

    return tangent.grad(numpy_variant(f, "numpy"), wrt=tuple(range(n)))


TOOLS = {"s2sdiff": s2sdiff_grad, "autograd": autograd_grad, "tangent": tangent_grad}


def available_tools():
    names = [name for name in TOOLS if optional_import(name) is not None]
    for name in TOOLS:
        if name not in names:
            print(f"{name}: not importable, shown as n/a")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="repeats per timing (best kept)")
    repeat = parser.parse_args().repeat
    tools = available_tools()
    time_rows, ratio_rows = [], []
    for name, f, hand, args in BENCHMARKS:
        want = hand(*args)
        fd = central_diff(f, args)
        assert close(want, fd, 1e-6), f"{name}: hand-written {want} != finite differences {fd}"
        calls = {
            "f": (f, args),
            "f (numpy)": (numpy_variant(f, "numpy"), args),
            "hand": (hand, args),
        }
        for tool in tools:
            try:
                g = TOOLS[tool](f, len(args))
                got = g(*args)
            except Exception as exc:  # noqa: BLE001 - a tool that cannot: reported, not fatal
                print(f"{name}: {tool} failed: {type(exc).__name__}: {exc}")
                continue
            if not close(got, want, 1e-9):
                print(f"{name}: {tool} WRONG gradient {got}, hand-written gives {want}")
                continue
            calls[tool] = (g, args)
        best = compare(calls, repeat)
        t = {key: best.get(key) for key in ["f", "f (numpy)", "hand", *TOOLS]}
        time_rows.append([name, *(fmt_time(v) for v in t.values())])
        ratio_rows.append(
            [
                name,
                *(fmt_ratio(t[k], t["f"]) for k in ["hand", *TOOLS]),
                fmt_ratio(t["s2sdiff"], t["hand"]),
            ]
        )
    print_table(
        "Time per call (best of repeats)",
        ["function", "f", "f (numpy)", "hand-written", *TOOLS],
        time_rows,
    )
    print_table(
        "Gradient time / f time, and s2sdiff / hand-written (target ≤ 1.15×)",
        ["function", "hand-written", *TOOLS, "s2sdiff / hand"],
        ratio_rows,
    )


if __name__ == "__main__":
    main()
