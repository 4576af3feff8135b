"""Aim a projectile: find the launch speed and angle that land it on target.

Uses the gradient module that the s2sdiff command wrote from
``projectile.py`` (regenerate it with the command in its header).  The
generated module does not need s2sdiff; this script runs without it.

    python examples/fit_projectile.py
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from projectile import TARGET, landing_distance, loss
from projectile_grad_loss import value_and_grad_loss


def value_and_gradient(params):
    value, (d_v0, d_angle) = value_and_grad_loss(float(params[0]), float(params[1]))
    return value, [d_v0, d_angle]


def finite_difference_check(v0, angle, h=1e-6):
    _, (d_v0, d_angle) = value_and_grad_loss(v0, angle)
    fd_v0 = (loss(v0 + h, angle) - loss(v0 - h, angle)) / (2 * h)
    fd_angle = (loss(v0, angle + h) - loss(v0, angle - h)) / (2 * h)
    print(f"gradient at v0={v0}, angle={angle}: ({d_v0:.6f}, {d_angle:.6f}); "
          f"finite differences: ({fd_v0:.6f}, {fd_angle:.6f})")


def gradient_descent(x, steps=2000, rate=1e-4):
    """A fallback when SciPy is not installed."""
    for _ in range(steps):
        _, g = value_and_gradient(x)
        x = [x[0] - rate * g[0], x[1] - rate * g[1] * 100]
    return x


def main():
    start = [20.0, 0.3]
    finite_difference_check(*start)
    try:
        from scipy.optimize import minimize
    except ImportError:
        print("SciPy is not installed: plain gradient descent")
        v0, angle = gradient_descent(start)
    else:
        # The step count of the simulation changes with the parameters, so the
        # loss has tiny kinks: L-BFGS-B copes with them better than BFGS.
        result = minimize(value_and_gradient, start, jac=True, method="L-BFGS-B")
        print(f"L-BFGS-B: {result.nit} iterations, {result.nfev} evaluations of "
              f"loss and gradient, converged: {result.success}")
        v0, angle = result.x
    print(f"launch at {v0:.3f} m/s, {math.degrees(angle):.2f} degrees: lands at "
          f"{landing_distance(v0, angle):.3f} m (target {TARGET} m), "
          f"loss {loss(v0, angle):.6f}")


if __name__ == "__main__":
    main()
