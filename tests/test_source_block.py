"""The end of a def found without tokenizing gives the tree inspect.getsource gives."""

import ast
import functools
import inspect

import pytest

from s2sdiff.front import source as frontend


def _identity(fn):
    return fn


@_identity
@functools.lru_cache(maxsize=None)  # a decorator with arguments
def decorated(x):
    return x * 2.0
# a comment at column 0 ends nothing
    # nor an indented one


def with_docstring(x):
    """A docstring with a line at column 0:
text here
    """
    y = (x +
 1.0)  # a continuation line less indented than the body
    return y


def one_liner(x): return x + 1.0


class Holder:
    def method(self, x):
        return x * 3.0

    @staticmethod
    def static(x):
        return (x
                - 1.0)


def last_in_file_style(x, y=2.0):
    if x > 0:
        return x * y
    return -x


@pytest.mark.parametrize("fn", [decorated, with_docstring, one_liner, Holder.method,
                                Holder.static, last_in_file_style])
def test_same_tree_as_inspect(fn):
    fn = inspect.unwrap(fn)
    lines, first = inspect.getsourcelines(fn)
    reference = frontend.parse_function("".join(lines), inspect.getsourcefile(fn), first,
                                        fn.__name__, frontend.Resolver(fn.__globals__))
    found = frontend.from_function(fn)
    assert ast.dump(found.tree, include_attributes=True) == \
        ast.dump(reference.tree, include_attributes=True)
    assert found.indent == reference.indent
