"""The examples in the public docstrings run as written."""

import doctest

import s2sdiff


def test_package_docstring():
    result = doctest.testmod(s2sdiff, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
