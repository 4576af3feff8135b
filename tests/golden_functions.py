"""Functions whose generated gradient source is compared with tests/golden/."""

import math


def design_example(x, y):
    a = x * y
    b = math.sin(a)
    return b + x


def loop_product(x, y):
    a = x * y + math.sin(x)
    for i in range(3):
        a = a * x
    return a


def while_branches(x, y):
    t = x
    n = 0
    while n < 5:
        if t < 1.0:
            t = t * y + 0.5
        else:
            t = math.sqrt(t) - 0.1
        n += 1
    return t


def early_return(x):
    if x > 1.0:
        return math.log(x)
    y = x * x
    return y / (1.0 + y)


def swap_in_loop(x, y):
    for _ in range(3):
        x, y = y, x * y
    return x + 2.0 * y


def list_series(x):
    terms = []
    term = 1.0
    for i in range(6):
        terms.append(term)
        term = term * x / (i + 1)
    return sum(terms)


def while_until(x, y):
    t = x
    while t < 10.0:
        t = t * y + 1.0
    return t


GOLDEN = [design_example, loop_product, while_branches, while_until, early_return, swap_in_loop,
          list_series]
