"""Recursive walks without Python's recursion limit.

A recursive function written as a generator ``yield``-s a sub-generator where
it would call itself, and receives the sub-generator's ``return`` value back;
``run`` drives them with an explicit stack, so the depth of the walk (a sum of
100,000 terms is a tree 100,000 deep) costs memory, never a RecursionError:

>>> def depth(tree):
...     if not isinstance(tree, tuple):
...         return 0
...     return 1 + (yield depth(tree[0]))
>>> tree = 0
>>> for _ in range(100000):
...     tree = (tree,)
>>> run(depth(tree))
100000
"""

from __future__ import annotations

from types import GeneratorType


def run(walk: GeneratorType):
    """The return value of the generator ``walk``, its sub-generators run in turn."""
    stack = [walk]
    value = None
    while True:
        try:
            sub = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            if not stack:
                return done.value
            value = done.value
            continue
        stack.append(sub)
        value = None
