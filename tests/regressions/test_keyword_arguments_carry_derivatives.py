"""A derivative through a keyword argument was lost (found while composing
transforms of namedtuples): ``q = P(a=2.0 * x, c=x); return q[0]`` gave the
gradient 0.0, because activity followed the positional arguments of a call
only.  A call without a rule that a derivative reaches through a keyword is
now refused with a located error, like one reached through a position."""

from collections import namedtuple

import pytest

from s2sdiff import NoRuleError, grad, jvp

Pair = namedtuple("Pair", ["a", "c"])


def through_keywords(x):
    q = Pair(a=x * 2.0, c=x)
    return q[0]


def through_positions(x):
    q = Pair(x * 2.0, x)
    return q[0]


@pytest.mark.parametrize("f", [through_keywords, through_positions])
def test_a_call_without_a_rule_is_refused_not_differentiated_as_zero(f):
    with pytest.raises(NoRuleError, match=r"test_keyword_arguments_carry_derivatives.py:\d+.*Pair"):
        grad(f)(1.5)
    with pytest.raises(NoRuleError, match="Pair"):
        jvp(f)(1.5, 1.0)
