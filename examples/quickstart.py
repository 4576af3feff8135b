"""The first thing to try: a gradient, its generated source, and a check."""

import math

from s2sdiff import grad, value_and_grad


def f(x, y):
    a = x * y + math.sin(x)
    for i in range(3):
        a = a * x
    return a


df = grad(f, wrt=("x", "y"))
print(df.source)
print("f(1, 2)          =", f(1.0, 2.0))
print("grad f(1, 2)     =", df(1.0, 2.0))
print("value_and_grad   =", value_and_grad(f)(1.0, 2.0))
