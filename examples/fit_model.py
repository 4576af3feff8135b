"""Fit a model with scipy.optimize.minimize and a gradient written by s2sdiff.

The model is a decaying exponential with an offset, y = a·exp(-b·t) + c,
fitted by least squares to eight measurements.  s2sdiff reads the loss
function's source and writes its gradient as Python source; BFGS uses it as
``jac=``.  We compare with BFGS on finite differences: the generated gradient
is exact, so the optimizer needs fewer loss evaluations.

Run: python examples/fit_model.py
"""

import math

from scipy.optimize import minimize

from s2sdiff import grad


def loss(a, b, c):
    """Sum of squared residuals of y = a·exp(-b·t) + c over the measurements."""
    ts = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    ys = [4.03, 2.71, 1.93, 1.38, 1.10, 0.87, 0.73, 0.67]  # 3.5·exp(-0.9·t) + 0.5 + noise
    total = 0.0
    for i in range(len(ts)):
        r = a * math.exp(-b * ts[i]) + c - ys[i]
        total = total + r * r
    return total


dloss = grad(loss, wrt=(0, 1, 2))  # the generated gradient: a tuple of three partials


def objective(p):
    return loss(*p)


def jacobian(p):
    return list(dloss(*p))


def main():
    print("The gradient s2sdiff generated for the loss:\n")
    print(dloss.source)
    x0 = [1.0, 0.5, 0.0]
    exact = minimize(objective, x0, jac=jacobian, method="BFGS")
    approx = minimize(objective, x0, method="BFGS")  # scipy's finite differences
    a, b, c = exact.x
    print(f"fitted: y = {a:.3f}·exp(-{b:.3f}·t) + {c:.3f}   (data made with 3.5, 0.9, 0.5)")
    print(f"loss {exact.fun:.6f}")
    print(f"with the generated gradient: {exact.nfev} loss + {exact.njev} gradient evaluations")
    print(f"with finite differences:     {approx.nfev} loss evaluations")
    assert exact.success, exact.message
    assert abs(a - 3.5) < 0.1 and abs(b - 0.9) < 0.1 and abs(c - 0.5) < 0.1


if __name__ == "__main__":
    main()
