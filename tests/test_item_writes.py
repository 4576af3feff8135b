"""Item assignments ``y[i] = v`` on arrays: in place where nothing can see the
array change (the pass ``back/writes.py``), refused where Python would show the
write through another name (``ir/aliasing.py``), right in both modes."""

import numpy as np
import pytest

import s2sdiff
from s2sdiff import S2SDiffError, grad, jvp
from tests.fd import fd_array_gradient


def running_squares(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[i]
    return np.sum(y * y)


def prefix_sums(x):
    h = np.zeros(len(x))
    h[0] = x[0]
    for i in range(1, len(x)):
        h[i] = 0.5 * h[i - 1] + np.tanh(x[i])
    return np.sum(h * h)


def old_version_read_later(x):
    y = np.zeros(3)
    y[0] = x[0]
    a = y * 2.0
    y[1] = x[1] * a[0]
    return np.sum(y * a) + y[1]


def written_in_a_branch(x):
    y = np.ones_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0.3:
            y[i] = x[i] ** 2
        else:
            y[i] = 1.0 - x[i]
    return np.sum(y * x)


def summed_after_a_branch(x):
    """The adjoint of ``np.sum(y)`` is made from ``y`` (``np.full_like(y, 1.0)``)."""
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        if x[i] > 0:
            y[i] = x[i] * x[i]
        else:
            y[i] = -x[i]
    return np.sum(y)


def rows_written(X):
    state = np.copy(X)
    for i in range(1, X.shape[0]):
        state[i] = np.tanh(state[i - 1] * 0.5 + X[i])
    return np.sum(state ** 2)


def parameter_written(x):
    x[0] = 2.0 * x[1]
    return np.sum(x * x)


def scalar_read_after_write(x):
    y = np.zeros(x.shape[0])
    total = 0.0
    for i in range(1, x.shape[0]):
        a = y[i - 1]
        y[i] = 0.5 * a + x[i]
        total = total + a * x[i]
    return total + np.sum(y)


FUNCTIONS = [running_squares, prefix_sums, old_version_read_later, written_in_a_branch,
             summed_after_a_branch, rows_written, parameter_written, scalar_read_after_write]


def _argument(f, rng):
    return rng.normal(size=(4, 3)) if f is rows_written else rng.normal(size=6)


@pytest.mark.parametrize("f", FUNCTIONS)
def test_gradients_of_item_writes_match_finite_differences(f):
    x = _argument(f, np.random.default_rng(3))
    kept = x.copy()
    want = fd_array_gradient(lambda v: f(v.copy()), x)
    for mode in ("reverse", "forward"):
        got = grad(f, mode=mode)(x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=mode)
    value, tangent = jvp(f)(x, np.ones_like(x))
    assert tangent == pytest.approx(np.sum(want), rel=1e-6, abs=1e-8)
    np.testing.assert_array_equal(x, kept)  # the caller's array is untouched


@pytest.mark.parametrize("f", [running_squares, prefix_sums, written_in_a_branch,
                               summed_after_a_branch])
def test_writes_into_arrays_the_function_made_are_in_place(f):
    """No copy of the whole array per written item (O(n), not O(n²)), and no copy
    of a name into itself where a branch's value is the loop's."""
    x = np.linspace(-1.0, 1.0, 5)
    source = grad(f).specialised(x).source
    assert "_setitem(" not in source, source
    assert "[i] = " in source
    assert not any(a == b for a, b in (line.strip().split(" = ", 1) for line in
                                       source.splitlines() if line.count(" = ") == 1))


def test_a_tape_keeps_only_what_the_reverse_reads():
    """The value an item write wrote is not read by its reverse: not taped."""
    import re

    source = grad(summed_after_a_branch).specialised(np.ones(4)).source
    reverse = source[source.index("# reverse pass"):]
    popped = [n for names in re.findall(r"(\S.*) = _tape\.pop\(\)", reverse)
              for n in names.split(", ")]
    assert popped, source
    for name in popped:
        assert len(re.findall(rf"\b{name}\b", reverse)) > 1, (name, source)


def test_float32_arrays_written_in_place_stay_float32():
    x = np.linspace(0.1, 1.0, 5, dtype=np.float32)

    def f(v):
        y = np.zeros_like(v)
        for i in range(v.shape[0]):
            y[i] = v[i] * v[i]
        return np.sum(y)

    g = grad(f)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)


def a_view_read_after_the_write(x):
    y = np.zeros(3)
    y[1] = x[1]
    old = y[0:2]
    y[0] = x[0] * 3.0
    return np.sum(old * old) + y[2]


def an_alias_read_after_the_write(x):
    y = np.zeros(3)
    z = y
    y[0] = x[0]
    return np.sum(z * x)


def a_list_holding_the_array(x):
    y = np.zeros(3)
    held = [y]
    y[0] = x[0]
    return np.sum(held[0] * x)


def a_transpose_read_after_the_write(x):
    y = np.zeros((2, 2))
    t = y.T
    y[0, 1] = x[0]
    return np.sum(t[1] * x[:2])


@pytest.mark.parametrize("f", [a_view_read_after_the_write, an_alias_read_after_the_write,
                               a_list_holding_the_array, a_transpose_read_after_the_write])
def test_a_name_that_would_see_the_write_is_refused(f):
    """Python shows the write through these names; s2sdiff's versions would not: the
    derivative would be that of another function."""
    x = np.array([0.5, 0.7, 0.2])
    with pytest.raises(S2SDiffError, match="may hold the array this item assignment|as it was before this item assignment") as caught:
        grad(f)(x)
    assert f"{f.__code__.co_filename}:" in str(caught.value)


def test_generic_code_defers_to_the_arguments(tmp_path):
    """Without the arguments' abstract values an item read may be a view; code for
    the call knows ``y[i - 1]`` is a number."""
    with pytest.raises(S2SDiffError, match="may hold the array|as it was before"):
        s2sdiff.show(scalar_read_after_write)
    x = np.linspace(0.1, 1.0, 5)
    assert grad(scalar_read_after_write)(x).shape == (5,)


def _fills(y, x):
    for i in range(2):
        y[i] = x[i] * 3.0
    return 0.0


def a_helper_writing_into_its_argument(x):
    y = np.zeros(3)
    s = _fills(y, x)
    return s + np.sum(y * x)


def _put(y, x):
    y[0] = x[0] * 3.0
    return 0.0


def a_small_helper_writing_into_its_argument(x):
    y = np.zeros(3)
    s = _put(y, x)
    return s + np.sum(y * x)


def _filled_copy(y, x):
    y = np.copy(y)
    for i in range(2):
        y[i] = x[i] * 3.0
    return np.sum(y * y)


def a_helper_writing_into_a_copy(x):
    y = np.ones(3)
    return _filled_copy(y, x) + np.sum(y * x)


@pytest.mark.parametrize("f", [a_helper_writing_into_its_argument,
                               a_small_helper_writing_into_its_argument])
def test_a_helper_writing_into_an_array_the_caller_reads_after_is_refused(f):
    """Python's helper changes the caller's array; s2sdiff's would not."""
    with pytest.raises(S2SDiffError, match="writes items into|may hold the array|as it was before"):
        grad(f)(np.array([0.5, 0.7, 0.2]))


def test_a_helper_writing_into_a_copy_is_differentiated():
    x = np.array([0.5, 0.7, 0.2])
    want = fd_array_gradient(a_helper_writing_into_a_copy, x)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(grad(a_helper_writing_into_a_copy, mode=mode)(x), want,
                                   rtol=1e-6, atol=1e-8)
