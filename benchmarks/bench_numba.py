"""Compiled derivatives: s2sdiff's gradient under Numba (``jit=True``) side by side with
f under Numba, JAX's jitted gradient and a hand-written gradient compiled by Numba.

Per function, in one run: f in Python, f under Numba (``numba.njit(f)``), the
s2sdiff gradient in Python, the s2sdiff gradient with ``jit=True``, JAX's
``jax.jit(jax.grad(f_jax, argnums=...))`` (float64, ``block_until_ready``) and
a hand-written gradient compiled by ``numba.njit`` (tapes preallocated as
arrays, as one writes for Numba). Then the ratios of issue 20's targets:
compiled gradient / compiled f (≤ 3), JAX jit / s2sdiff jit (≥ 10× on the
scalar loop functions: the for loop, the while loop, the recurrence) and
s2sdiff jit / hand-written under Numba (≤ 1.2×).

The functions: the three of bench_scalar.py (imported), the 100-step
recurrence of issue 20, an RK4 integration of Lotka–Volterra over 1,000 steps
on floats (gradient of a loss on the final state with respect to the four
parameters), and a particle moved for 1,000 steps by the force of a potential,
the force being an s2sdiff ``grad`` called inside the simulated function
(gradient of a loss on the final state with respect to the initial position
and velocity; under Numba, f calls the force's ``jit=True`` version; the
potential's stiffness is a constant). JAX gets the same functions written with ``jax.numpy`` and
``lax.fori_loop``/``lax.cond`` where Python control flow on values cannot be
traced. Every tool is called with the same Python floats.

Before timing, each hand-written gradient is checked against central finite
differences of f, and every other gradient (and f under Numba and JAX) against
it. Times exclude compilation (each candidate is called once first); each is
the best of many short interleaved repeats (``_timing.compare``, 40 of 0.02 s).

Run: ``python benchmarks/bench_numba.py`` (``--repeat N``; ``--quick``: two
repeats, a test of the script).
"""

import argparse
import math
import types

import numpy as np
from _timing import compare, fmt_ratio, fmt_time, print_table
from bench_scalar import central_diff, close, loop, straight, straight_grad, while_branch

# ---------------------------------------------------------------------------
# Hand-written gradients for Numba of bench_scalar's loops: tapes as arrays.


def loop_grad(x, a):
    ys = np.empty(100)
    y = x
    for i in range(100):
        ys[i] = y
        y = y * a + math.sin(y * x)
    y_bar = 1.0
    x_bar = 0.0
    a_bar = 0.0
    for i in range(99, -1, -1):
        y = ys[i]
        c = math.cos(y * x)
        a_bar += y_bar * y
        x_bar += y_bar * c * y
        y_bar = y_bar * (a + c * x)
    return x_bar + y_bar, a_bar


def while_branch_grad(x, y):
    ts = np.empty(100)  # the loop runs 100 times
    t = 0.0
    k = 0
    while k < 100:
        ts[k] = t
        if t < 1.0:
            t = t + x * math.exp(-t)
        else:
            t = t * y
        k = k + 1
    t_bar = 1.0
    x_bar = 0.0
    y_bar = 0.0
    for k in range(99, -1, -1):
        t = ts[k]
        if t < 1.0:
            w = math.exp(-t)
            x_bar += t_bar * w
            t_bar = t_bar * (1.0 - x * w)
        else:
            y_bar += t_bar * t
            t_bar = t_bar * y
    return x_bar, y_bar


# ---------------------------------------------------------------------------
# Issue 20's recurrence.


def recurrence(x, y):
    z = 1.0
    for i in range(100):
        z = z * 0.99 + math.sin(x * z) * y
    return z


def recurrence_grad(x, y):
    zs = np.empty(100)
    sines = np.empty(100)
    z = 1.0
    for i in range(100):
        s = math.sin(x * z)
        zs[i] = z
        sines[i] = s
        z = z * 0.99 + s * y
    z_bar = 1.0
    x_bar = 0.0
    y_bar = 0.0
    for i in range(99, -1, -1):
        z = zs[i]
        y_bar += z_bar * sines[i]
        u_bar = z_bar * y * math.cos(x * z)
        x_bar += u_bar * z
        z_bar = z_bar * 0.99 + u_bar * x
    return x_bar, y_bar


# ---------------------------------------------------------------------------
# RK4 integration of Lotka–Volterra, 1,000 steps on floats.

DT = 0.01


def lotka_volterra(x, y, a, b, c, d):
    return a * x - b * x * y, d * x * y - c * y


def rk4_lotka_volterra(a, b, c, d, x0, y0):
    x = x0
    y = y0
    for i in range(1000):
        k1x, k1y = lotka_volterra(x, y, a, b, c, d)
        k2x, k2y = lotka_volterra(x + 0.5 * DT * k1x, y + 0.5 * DT * k1y, a, b, c, d)
        k3x, k3y = lotka_volterra(x + 0.5 * DT * k2x, y + 0.5 * DT * k2y, a, b, c, d)
        k4x, k4y = lotka_volterra(x + DT * k3x, y + DT * k3y, a, b, c, d)
        x = x + DT / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + DT / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
    return (x - 8.0) ** 2 + (y - 6.0) ** 2


def lotka_volterra_pullback(x, y, fx_bar, fy_bar, a, b, c, d):
    """(x̄, ȳ, ā, b̄, c̄, d̄) of ``lotka_volterra(x, y, a, b, c, d)`` for the cotangent
    ``(fx_bar, fy_bar)``."""
    return (fx_bar * (a - b * y) + fy_bar * d * y,
            fy_bar * (d * x - c) - fx_bar * b * x,
            fx_bar * x, -fx_bar * x * y, -fy_bar * y, fy_bar * x * y)


def rk4_lotka_volterra_grad(a, b, c, d, x0, y0):
    """Gradient with respect to a, b, c, d: the states taped, the stages recomputed."""
    xs = np.empty(1000)
    ys = np.empty(1000)
    x = x0
    y = y0
    for i in range(1000):
        xs[i] = x
        ys[i] = y
        k1x, k1y = lotka_volterra(x, y, a, b, c, d)
        k2x, k2y = lotka_volterra(x + 0.5 * DT * k1x, y + 0.5 * DT * k1y, a, b, c, d)
        k3x, k3y = lotka_volterra(x + 0.5 * DT * k2x, y + 0.5 * DT * k2y, a, b, c, d)
        k4x, k4y = lotka_volterra(x + DT * k3x, y + DT * k3y, a, b, c, d)
        x = x + DT / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + DT / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
    x_bar = 2.0 * (x - 8.0)
    y_bar = 2.0 * (y - 6.0)
    a_bar = b_bar = c_bar = d_bar = 0.0
    w = DT / 6.0
    for i in range(999, -1, -1):
        x1 = xs[i]
        y1 = ys[i]
        k1x, k1y = lotka_volterra(x1, y1, a, b, c, d)
        x2 = x1 + 0.5 * DT * k1x
        y2 = y1 + 0.5 * DT * k1y
        k2x, k2y = lotka_volterra(x2, y2, a, b, c, d)
        x3 = x1 + 0.5 * DT * k2x
        y3 = y1 + 0.5 * DT * k2y
        k3x, k3y = lotka_volterra(x3, y3, a, b, c, d)
        x4 = x1 + DT * k3x
        y4 = y1 + DT * k3y
        x4_bar, y4_bar, ga, gb, gc, gd = lotka_volterra_pullback(
            x4, y4, w * x_bar, w * y_bar, a, b, c, d)
        a_bar += ga
        b_bar += gb
        c_bar += gc
        d_bar += gd
        x3_bar, y3_bar, ga, gb, gc, gd = lotka_volterra_pullback(
            x3, y3, 2.0 * w * x_bar + DT * x4_bar, 2.0 * w * y_bar + DT * y4_bar, a, b, c, d)
        a_bar += ga
        b_bar += gb
        c_bar += gc
        d_bar += gd
        x2_bar, y2_bar, ga, gb, gc, gd = lotka_volterra_pullback(
            x2, y2, 2.0 * w * x_bar + 0.5 * DT * x3_bar, 2.0 * w * y_bar + 0.5 * DT * y3_bar,
            a, b, c, d)
        a_bar += ga
        b_bar += gb
        c_bar += gc
        d_bar += gd
        x1_bar, y1_bar, ga, gb, gc, gd = lotka_volterra_pullback(
            x1, y1, w * x_bar + 0.5 * DT * x2_bar, w * y_bar + 0.5 * DT * y2_bar, a, b, c, d)
        a_bar += ga
        b_bar += gb
        c_bar += gc
        d_bar += gd
        x_bar += x4_bar + x3_bar + x2_bar + x1_bar
        y_bar += y4_bar + y3_bar + y2_bar + y1_bar
    return a_bar, b_bar, c_bar, d_bar


# ---------------------------------------------------------------------------
# A particle in a field: the force is s2sdiff's gradient of the potential,
# called inside the simulated function (a nested gradient).

STIFFNESS = 2.0


def potential(px, py):
    r2 = px * px + py * py
    return 0.5 * STIFFNESS * r2 + math.exp(-r2) * math.cos(3.0 * px)


def _field():
    from s2sdiff import grad

    return grad(potential, wrt=(0, 1))


field = _field()  # ∇potential, generated by s2sdiff


def particle(x, y, vx, vy):
    for i in range(1000):
        gx, gy = field(x, y)
        vx = vx - DT * gx
        vy = vy - DT * gy
        x = x + DT * vx
        y = y + DT * vy
    return (x - 0.5) ** 2 + (y + 0.2) ** 2 + 0.1 * (vx * vx + vy * vy)


def potential_hessian(px, py):
    """(∂²V/∂x², ∂²V/∂x∂y, ∂²V/∂y²) of ``potential``, by hand."""
    e = math.exp(-(px * px + py * py))
    c = math.cos(3.0 * px)
    s = math.sin(3.0 * px)
    return (STIFFNESS + e * (c * (4.0 * px * px - 11.0) + 12.0 * px * s),
            2.0 * py * e * (2.0 * px * c + 3.0 * s),
            STIFFNESS + e * c * (4.0 * py * py - 2.0))


def potential_gradient(px, py):
    e = math.exp(-(px * px + py * py))
    c = math.cos(3.0 * px)
    return (STIFFNESS * px - e * (2.0 * px * c + 3.0 * math.sin(3.0 * px)),
            STIFFNESS * py - 2.0 * py * e * c)


def particle_grad(x, y, vx, vy):
    """Gradient with respect to x, y, vx, vy: the positions taped (velocities enter
    linearly), the force's derivative by the potential's Hessian."""
    xs = np.empty(1000)
    ys = np.empty(1000)
    for i in range(1000):
        xs[i] = x
        ys[i] = y
        gx, gy = potential_gradient(x, y)
        vx = vx - DT * gx
        vy = vy - DT * gy
        x = x + DT * vx
        y = y + DT * vy
    x_bar = 2.0 * (x - 0.5)
    y_bar = 2.0 * (y + 0.2)
    vx_bar = 0.2 * vx
    vy_bar = 0.2 * vy
    for i in range(999, -1, -1):
        vx_bar += DT * x_bar
        vy_bar += DT * y_bar
        hxx, hxy, hyy = potential_hessian(xs[i], ys[i])
        x_bar -= DT * (vx_bar * hxx + vy_bar * hxy)
        y_bar -= DT * (vx_bar * hxy + vy_bar * hyy)
    return x_bar, y_bar, vx_bar, vy_bar


# ---------------------------------------------------------------------------
# The same functions for JAX (traced: lax loops and conditions).


def jax_versions():
    """{name: f written with jax.numpy and lax} (float64 enabled)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    jax.config.update("jax_enable_x64", True)

    def straight_jax(x, y, z):
        a = x * y
        b = jnp.sin(a)
        p = jnp.exp(b / z) * jnp.log(x * x + z * z) / jnp.sqrt(y * y + 1.0)
        t = jnp.tanh(p * jnp.cos(x - z) + a * 0.5)
        return t * x + b

    def loop_jax(x, a):
        return lax.fori_loop(0, 100, lambda i, y: y * a + jnp.sin(y * x), x)

    def while_branch_jax(x, y):
        def step(k, t):
            return lax.cond(t < 1.0, lambda t: t + x * jnp.exp(-t), lambda t: t * y, t)
        return lax.fori_loop(0, 100, step, 0.0)

    def recurrence_jax(x, y):
        return lax.fori_loop(0, 100, lambda i, z: z * 0.99 + jnp.sin(x * z) * y, 1.0)

    def rk4_lotka_volterra_jax(a, b, c, d, x0, y0):
        def lv(x, y):
            return a * x - b * x * y, d * x * y - c * y

        def step(i, state):
            x, y = state
            k1x, k1y = lv(x, y)
            k2x, k2y = lv(x + 0.5 * DT * k1x, y + 0.5 * DT * k1y)
            k3x, k3y = lv(x + 0.5 * DT * k2x, y + 0.5 * DT * k2y)
            k4x, k4y = lv(x + DT * k3x, y + DT * k3y)
            return (x + DT / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
                    y + DT / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y))

        x, y = lax.fori_loop(0, 1000, step, (x0, y0))
        return (x - 8.0) ** 2 + (y - 6.0) ** 2

    def potential_jax(px, py):
        r2 = px * px + py * py
        return 0.5 * STIFFNESS * r2 + jnp.exp(-r2) * jnp.cos(3.0 * px)

    field_jax = jax.grad(potential_jax, argnums=(0, 1))

    def particle_jax(x, y, vx, vy):
        def step(i, state):
            x, y, vx, vy = state
            gx, gy = field_jax(x, y)
            vx = vx - DT * gx
            vy = vy - DT * gy
            return x + DT * vx, y + DT * vy, vx, vy

        x, y, vx, vy = lax.fori_loop(0, 1000, step, (x, y, vx, vy))
        return (x - 0.5) ** 2 + (y + 0.2) ** 2 + 0.1 * (vx * vx + vy * vy)

    return {"straight": straight_jax, "loop": loop_jax, "while_branch": while_branch_jax,
            "recurrence": recurrence_jax, "rk4_lotka_volterra": rk4_lotka_volterra_jax,
            "particle": particle_jax}


# ---------------------------------------------------------------------------
# The cases.


class Case:
    """A function, its hand-written gradient (compilable by Numba), arguments, wrt.

    ``loop_target``: issue 20's ≥ 10× over JAX applies (a scalar loop function)."""

    def __init__(self, name, f, hand, args, wrt, loop_target=False):
        self.name, self.f, self.hand, self.args, self.wrt = name, f, hand, args, wrt
        self.loop_target = loop_target


CASES = [
    Case("straight-line", straight, straight_grad, (0.7, 1.3, 2.1), (0, 1, 2)),
    Case("for loop, 100 iterations", loop, loop_grad, (0.4, 0.9), (0, 1), loop_target=True),
    Case("while loop with branches", while_branch, while_branch_grad, (0.7, 0.8), (0, 1),
         loop_target=True),
    Case("recurrence, 100 steps", recurrence, recurrence_grad, (0.5, 0.3), (0, 1),
         loop_target=True),
    Case("RK4 Lotka–Volterra, 1000 steps", rk4_lotka_volterra, rk4_lotka_volterra_grad,
         (1.1, 0.4, 0.4, 0.1, 10.0, 5.0), (0, 1, 2, 3)),
    Case("particle, nested grad, 1000 steps", particle, particle_grad, (1.0, 0.3, 0.0, 0.5),
         (0, 1, 2, 3)),
]


def numba_compiled(fn, _done=None):
    """``numba.njit(fn)``, the functions of this module it calls compiled too, and the
    s2sdiff gradient ``field`` replaced by its ``jit=True`` version's compiled code."""
    import numba
    from s2sdiff import grad

    done = {} if _done is None else _done
    if fn.__name__ in done:
        return done[fn.__name__]
    space = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        value = space.get(name)
        if value is field:
            space[name] = grad(potential, wrt=(0, 1), jit=True).__wrapped__
        elif isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
            space[name] = numba_compiled(value, done)
    done[fn.__name__] = numba.njit(types.FunctionType(fn.__code__, space, fn.__name__))
    return done[fn.__name__]


def candidates(case, jax_fns):
    """{column: callable} of the case's f and gradients, every one called once
    (compiled) by ``check``."""
    import jax
    from s2sdiff import grad

    jax_grad = jax.jit(jax.grad(jax_fns[case.f.__name__], argnums=case.wrt))
    return {
        "f": case.f,
        "f numba": numba_compiled(case.f),
        "s2sdiff": grad(case.f, wrt=case.wrt),
        "s2sdiff jit": grad(case.f, wrt=case.wrt, jit=True),
        "JAX jit": lambda *args: jax.block_until_ready(jax_grad(*args)),
        "hand numba": numba_compiled(case.hand),
        "f jax": jax_fns[case.f.__name__],
    }


def check(case, calls):
    """Assert that the hand-written gradient agrees with finite differences of f, and
    every other gradient (and f under Numba, under JAX) with it."""
    args = case.args
    want = calls["hand numba"](*args)
    fd = central_diff(case.f, args, case.wrt)
    assert close(want, fd, 1e-5), f"{case.name}: hand-written {want} != differences {fd}"
    value = case.f(*args)
    for name in ("f numba", "f jax"):
        got = calls[name](*args)
        assert close(got, value, 1e-10), f"{case.name}: {name} gives {got}, f gives {value}"
    for name in ("s2sdiff", "s2sdiff jit", "JAX jit"):
        got = calls[name](*args)
        assert close(got, want, 1e-9), f"{case.name}: {name} gives {got}, hand-written {want}"


TIMED = ["f", "f numba", "s2sdiff", "s2sdiff jit", "JAX jit", "hand numba"]


WINDOW = 0.02  # seconds a repeat: short, many repeats (a busy machine has quiet moments)


def measure(case, jax_fns, repeat):
    """{column: best seconds per call}, after the check."""
    calls = candidates(case, jax_fns)
    check(case, calls)
    return compare({name: (calls[name], case.args) for name in TIMED}, repeat, WINDOW)


def targets(case, t):
    """Issue 20's targets for one case, as lines saying met or not, with the ratio."""
    lines = []
    ratio = t["s2sdiff jit"] / t["f numba"]
    lines.append(f"compiled gradient / compiled f = {ratio:.3g} (≤ 3: "
                 f"{'met' if ratio <= 3 else 'NOT met'})")
    if case.loop_target:
        speedup = t["JAX jit"] / t["s2sdiff jit"]
        lines.append(f"faster than JAX jit {speedup:.3g}× (≥ 10×: "
                     f"{'met' if speedup >= 10 else 'NOT met'})")
    ratio = t["s2sdiff jit"] / t["hand numba"]
    lines.append(f"s2sdiff jit / hand-written numba = {ratio:.3g} (≤ 1.2: "
                 f"{'met' if ratio <= 1.2 else 'NOT met'})")
    return f"{case.name}: " + "; ".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40,
                        help=f"repeats of {WINDOW} s per timing (best kept)")
    parser.add_argument("--quick", action="store_true", help="two repeats: a test of the script")
    options = parser.parse_args()
    repeat = 2 if options.quick else options.repeat
    jax_fns = jax_versions()
    rows, verdicts = [], []
    for case in CASES:
        t = measure(case, jax_fns, repeat)
        rows.append([
            case.name, *(fmt_time(t[k]) for k in TIMED),
            fmt_ratio(t["s2sdiff jit"], t["f numba"]),
            fmt_ratio(t["hand numba"], t["f numba"]),
            fmt_ratio(t["JAX jit"], t["s2sdiff jit"]),
            fmt_ratio(t["s2sdiff jit"], t["hand numba"]),
        ])
        verdicts.append(targets(case, t))
    print_table(
        f"Time per call (best of {repeat}), compilation excluded; ratios",
        ["function", *TIMED, "jit / f numba", "hand / f numba", "JAX / jit", "jit / hand"],
        rows)
    print("\nIssue 20's targets:\n")
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
