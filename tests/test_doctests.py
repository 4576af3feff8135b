"""The examples in the public docstrings run as written."""

import doctest

import s2sdiff


def test_package_docstring():
    result = doctest.testmod(s2sdiff, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_shapes_docstring():
    from s2sdiff.ir import shapes

    result = doctest.testmod(shapes)
    assert result.attempted > 0 and result.failed == 0


def test_types_docstring():
    from s2sdiff.ir import types

    result = doctest.testmod(types)
    assert result.attempted > 0 and result.failed == 0
