"""The function whose program after every pass is kept in ``tests/passes/``."""

import math


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
