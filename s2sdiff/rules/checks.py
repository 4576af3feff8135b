"""``assert`` statements: kept in the code that runs the function, with no derivative.

``assert test, message`` is normalized to a call of :func:`_check`, which the
printer writes back as an ``assert`` statement and dead-code elimination keeps.
"""

from .registry import constant, helper


@helper
def _check(condition, message=None):
    """``assert condition, message``."""
    if not condition:
        raise AssertionError(message) if message is not None else AssertionError()


_check.__s2sdiff_assert__ = True  # written as `assert`, never removed
constant(_check)
