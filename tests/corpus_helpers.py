"""User functions of a second module, called from the corpus in ``tests/corpus.py``.

They exercise calls across modules: keyword arguments, defaults, chains of
calls (``chain3`` → ``smooth`` → ``scale``), and a loop and branches inside a
callee.  Plain Python with ``math`` only.
"""

import math


def scale(x, factor=2.0):
    return x * factor


def poly(x, a=1.0, b=0.0, c=0.25):
    return (a * x + b) * x + c


def smooth(x, width=1.0):
    return math.tanh(scale(x, factor=1.0 / width))


def chain3(x):
    return smooth(poly(x, b=0.5), width=2.0) + scale(x)


def damped(x, rate=0.5):
    t = x
    for _ in range(3):
        t = t * math.exp(-rate) + x
    return t


def clipped(x, lo=-1.0, hi=1.0):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
