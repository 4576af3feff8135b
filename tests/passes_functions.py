"""The function whose program after every pass is kept in ``tests/passes/``."""

import math

import numpy as np


def loop_with_branch(x, y):
    s = 0.0
    k = 0
    while k < 3:
        if s < 1.0:
            s = s + x * y
        else:
            s = math.sin(s) * x
        k = k + 1
    return s * y


def layer_loss(W, b, X, y):
    """An array function: its code for a signature has two more passes."""
    h = np.tanh(X @ W + b)
    total = 0.0
    for i in range(h.shape[0]):
        total = total + (h[i, 0] - y[i]) ** 2
    return total + np.sum(h[:, 1:] ** 2)


LAYER_SIGNATURE = "W=f8[k,m],b=f8[m],X=f8[n,k],y=f8[n]"


def running_squares(x):
    """Items written in a loop: in place in code for a signature (the pass "writes")."""
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[i]
    return np.sum(y * y)


RUNNING_SIGNATURE = "x=f8[n]"
