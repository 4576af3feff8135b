"""List comprehensions and generator expressions, lowered to loops that append
(``front/comprehensions.py``): gradients in both modes against finite differences,
scalar and array code, and located refusals where one is not evaluated once."""

import math

import numpy as np
import pytest

import s2sdiff
from s2sdiff import UnsupportedSyntaxError
from tests.fd import assert_gradients_match_fd


def squares_summed(x):
    return sum(x[i] ** 2 for i in range(x.shape[0]))


def rows_of_a_comprehension(x):
    return np.sum(np.array([np.sin(v) * v for v in x]))


def filtered(x):
    return sum([v * v for v in x if v > 0])


def two_clauses(x, y):
    return sum(a * b for a in x for b in y if a > b)


def loop_variable_shadows_a_local(x):
    i = 2
    total = sum(x[i] * i for i in range(3))
    return total * x[i]


def of_numbers(a, b):
    values = [a * k + b for k in range(4)]
    return sum([math.sin(v) for v in values])


def nested(x):
    return sum(sum(x[i] * x[j] for j in range(i)) for i in range(x.shape[0]))


def stacked(x):
    return np.sum(np.stack([x * (i + 1.0) for i in range(3)]) @ x)


def in_an_if_test(x):
    if sum(v for v in x) > 0.0:
        return np.sum(x ** 2)
    return np.sum(x)


CASES = [squares_summed, rows_of_a_comprehension, filtered, two_clauses,
         loop_variable_shadows_a_local, of_numbers, nested, stacked, in_an_if_test]


def _args(f):
    if f is of_numbers:
        return [0.7, -0.3]
    rng = np.random.default_rng(5)
    return [rng.normal(size=4) for _ in range(2 if f is two_clauses else 1)]


@pytest.mark.parametrize("f", CASES)
def test_gradients_match_finite_differences(f):
    args = _args(f)
    assert_gradients_match_fd(f, args, tuple(range(len(args))))


def test_the_comprehension_becomes_a_loop_that_appends_and_a_sum_one_that_adds():
    source = s2sdiff.grad(rows_of_a_comprehension).source
    assert "_items = []" in source and "_items.append(_t1)" in source
    source = s2sdiff.grad(squares_summed).source
    assert "_total = 0" in source and "_items" not in source, source


def test_a_loop_variable_the_function_uses_elsewhere_is_renamed():
    """As in Python, the comprehension's ``i`` does not change the function's."""
    x = np.array([0.5, -1.0, 2.0])
    assert s2sdiff.grad(loop_variable_shadows_a_local)(x)[2] == pytest.approx(
        (0.0 * 0.5 + 1.0 * -1.0 + 2.0 * 2.0) + 2.0 * 2.0)
    assert "for i1 in range(3):" in s2sdiff.grad(loop_variable_shadows_a_local).source


def in_a_while_test(x):
    while sum(v for v in x) < 10.0:
        x = x * 2.0
    return np.sum(x)


def test_a_comprehension_not_evaluated_once_is_refused_where_it_is():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_comprehensions.py:\d+:\d+: "
                                                     r"generator expression"):
        s2sdiff.grad(in_a_while_test)(np.ones(3))


def test_a_sum_that_is_not_pythons_keeps_its_list(tmp_path):
    """``from numpy import sum`` (or any other ``sum``) is not lowered to additions."""
    import importlib.util

    (tmp_path / "numpy_sum.py").write_text(
        "import numpy as np\nfrom numpy import sum\n\n\n"
        "def f(x):\n    return sum([v * v for v in x])\n")
    spec = importlib.util.spec_from_file_location("numpy_sum", tmp_path / "numpy_sum.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g = s2sdiff.grad(module.f)
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(g(x), 2.0 * x)
    assert "_total" not in g.source and "_items" in g.source


def rows(x):
    return np.stack([np.sin(x) * (k + 1.0) for k in range(3)])


def test_the_jacobian_and_hessian_of_a_comprehension_of_rows():
    from tests.fd import fd_argument_jacobian

    x = np.array([0.5, -1.0, 2.0])
    want = fd_argument_jacobian(rows, (x,), 0)
    for transform in (s2sdiff.jacfwd, s2sdiff.jacrev):
        got = transform(rows)(x)
        assert got.shape == (3, 3, 3)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    want = fd_argument_jacobian(s2sdiff.grad(squared_rows), (x,), 0)
    np.testing.assert_allclose(s2sdiff.hessian(squared_rows)(x), want, rtol=1e-5, atol=1e-6)


def squared_rows(x):
    return np.sum(np.stack([np.sin(x) * (k + 1.0) for k in range(3)]) ** 2)
