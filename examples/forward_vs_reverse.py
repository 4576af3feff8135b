"""Forward mode or reverse mode?  One input at a time, or one output at a time.

For f: Rⁿ → R (many inputs, one output: a loss):

- forward mode (tangents ẋ, ``jvp``) pushes one direction through the
  program per pass: the full gradient needs n passes;
- reverse mode (adjoints x̄, ``grad``) pulls the output's sensitivity back
  through the program once: the full gradient costs one pass (plus the forward
  sweep), whatever n is.

Below, f has 12 inputs.  Both give the same gradient; we count and time the
passes.  (With one input and many outputs it is the other way round.)

Run: python examples/forward_vs_reverse.py
"""

import math
import time

from s2sdiff import grad

try:  # forward mode landed after reverse mode; the example runs without it
    from s2sdiff import jvp
except ImportError:
    jvp = None


def energy(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11):
    """A chain of 12 coupled springs with a nonlinear term: 12 inputs, 1 output."""
    xs = [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11]
    total = 0.0
    for i in range(len(xs) - 1):
        d = xs[i + 1] - xs[i] - 1.0
        total = total + d * d + 0.1 * math.cos(xs[i])
    return total


N = 12
POINT = tuple(0.9 * i + 0.05 * math.sin(i) for i in range(N))


def timed(fn, repeat=200):
    start = time.perf_counter()
    for _ in range(repeat):
        result = fn()
    return result, (time.perf_counter() - start) / repeat


def main():
    wrt = tuple(range(N))
    reverse = grad(energy, wrt=wrt)
    g_rev, t_rev = timed(lambda: reverse(*POINT))
    print(f"reverse mode: 1 pass gives all {N} partials   ({t_rev * 1e6:.0f} µs)")

    if jvp is None:
        print("forward mode: s2sdiff.jvp is not available in this version; skipped")
        return
    forward = jvp(energy, wrt=wrt)
    seeds = [tuple(1.0 if j == i else 0.0 for j in range(N)) for i in range(N)]

    def all_forward():
        return [forward(*POINT, seed)[1] for seed in seeds]  # one pass per input

    g_fwd, t_fwd = timed(all_forward)
    print(f"forward mode: {N} passes, one per input     ({t_fwd * 1e6:.0f} µs)")
    print(f"ratio forward / reverse: {t_fwd / t_rev:.1f}  (grows with the number of inputs)")
    worst = max(abs(a - b) for a, b in zip(g_rev, g_fwd))
    print(f"largest difference between the two gradients: {worst:.1e}")
    assert worst < 1e-12

    # One pass of forward mode is a directional derivative: cheap when that is all you need.
    direction = tuple(1.0 / N for _ in range(N))
    _, slope = forward(*POINT, direction)
    print(f"one forward pass: the slope along (1/n, …, 1/n) is {slope:.6f}"
          f" = ⟨∇f, v⟩ = {sum(g * v for g, v in zip(g_rev, direction)):.6f}")


if __name__ == "__main__":
    main()
