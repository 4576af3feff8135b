"""np.cross and gathers of rows by an integer array (``x[idx]``) in code for a
signature: gradients against central finite differences, shapes included.

Code for a signature writes ``np.cross(a, b)`` as ``_cross(a, b)``, whose
result keeps the vectors' axis (``back/crosses.py``): two arrays of 2-vectors
(one dimension less, deprecated by NumPy 2.0) are refused when the code runs,
2- with 3-vectors are differentiated.  The adjoint of a cross product of
3-vectors is ``np.cross(b, g)`` and ``np.cross(g, a)`` (summed back where an
operand was broadcast).
The adjoint of a gather ``x[idx]`` (float64 ``x`` of 1 or 2 dimensions, a
1-D integer ``idx``, repeats and negative indices allowed) is ``_add_rows``:
``np.bincount`` a column at a time, or ``np.add.at`` where columns are many.
"""

import numpy as np
import pytest

from s2sdiff import grad, jvp, show
from tests.benchmark_scripts import load
from tests.fd import fd_argument_gradient, fd_array_gradient


def _check(f, args, wrt):
    """``grad(f, wrt)`` at ``args`` against central differences, argument by argument."""
    got = grad(f, wrt=wrt)(*args)
    got = got if isinstance(wrt, tuple) else (got,)
    for g, i in zip(got, wrt if isinstance(wrt, tuple) else (wrt,)):
        want = fd_argument_gradient(f, args, i)
        assert np.shape(g) == np.shape(args[i])
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8 * scale,
                                   err_msg=f"{f.__name__}: gradient in argument {i}")


def _r(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


# --- np.cross ------------------------------------------------------------------------


def cross_weighted(a, b, w):
    return np.sum(np.cross(a, b) * w)


def cross_squared(a, b):
    c = np.cross(a, b)
    return np.sum(c * c) + np.sum(c * a)


CROSSES = {
    "3": (_r(1, 3), _r(2, 3), _r(3, 3)),
    "p,3": (_r(4, 5, 3), _r(5, 5, 3), _r(6, 5, 3)),
    "p,3 with 3": (_r(7, 5, 3), _r(8, 3), _r(9, 5, 3)),
    "1,3 with p,3": (_r(10, 1, 3), _r(11, 4, 3), _r(12, 4, 3)),
    "q,1,3 with p,3": (_r(13, 2, 1, 3), _r(14, 4, 3), _r(15, 2, 4, 3)),
    "p,2 with p,3": (_r(21, 4, 2), _r(22, 4, 3), _r(23, 4, 3)),
    "3 with p,2": (_r(24, 3), _r(25, 4, 2), _r(26, 4, 3)),
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy 2: cross of 2-vectors
@pytest.mark.parametrize("shapes", list(CROSSES))
def test_cross(shapes):
    a, b, w = CROSSES[shapes]
    _check(cross_weighted, (a, b, w), (0, 1))
    if np.shape(a) == np.shape(np.cross(a, b)):
        _check(cross_squared, (a, b), (0, 1))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("a, b, w", [(_r(16, 2), _r(17, 2), 1.5),
                                     (_r(18, 4, 2), _r(19, 4, 2), _r(20, 4))], ids=["2", "p,2"])
def test_cross_of_2_vectors_is_refused_when_the_code_runs(a, b, w):
    with pytest.raises(ValueError, match="np.cross of two arrays of 2-vectors"):
        grad(cross_weighted, wrt=(0, 1))(a, b, w)


def test_cross_code():
    """``_cross`` in the forward sweep; what follows it knows its shape (no helper)."""
    code = show(cross_weighted, wrt=(0, 1), signature="a=f8[p,3],b=f8[p,3],w=f8[p,3]")
    body = code[code.index("def grad_cross_weighted"):]
    assert "= _cross(a, b)" in body and "_unbroadcast" not in body


@pytest.mark.parametrize("shapes", ["3", "p,3 with 3", "q,1,3 with p,3"])
def test_cross_dot_product_of_the_modes(shapes):
    """⟨J v, w⟩ = ⟨v, Jᵀ w⟩: forward mode against the reverse mode's adjoints."""
    a, b, w = CROSSES[shapes]
    va, vb = _r(30, *np.shape(a)), _r(31, *np.shape(b))
    _, tangent = jvp(cross_weighted, wrt=(0, 1))(a, b, w, (va, vb))
    ga, gb = grad(cross_weighted, wrt=(0, 1))(a, b, w)
    assert abs(tangent - (np.sum(ga * va) + np.sum(gb * vb))) < 1e-10


def _rotate(rot, x):
    """Rodrigues' rotation of the rows of ``x`` by those of ``rot`` (a helper: split call)."""
    sq = np.sum(rot * rot, axis=1, keepdims=True)
    theta = np.sqrt(sq)
    axis = rot / theta
    return x * np.cos(theta) + np.cross(axis, x) * np.sin(theta) + axis * (
        np.sum(axis * x, axis=1, keepdims=True) * (1.0 - np.cos(theta)))


def rotated_projection(rot, x):
    y = _rotate(rot, x)
    return np.sum(y[:, :2] / y[:, 2:3])


def test_cross_in_a_called_function():
    rot, x = 0.3 * _r(40, 6, 3), _r(41, 6, 3) + np.array([0.0, 0.0, 5.0])
    _check(rotated_projection, (rot, x), (0, 1))


# --- gathers of rows -------------------------------------------------------------------


def gather(x, idx, w):
    return np.sum(np.sin(x[idx]) * w)


def gather_twice(x, idx, w):
    return np.sum(x[idx] * w) + np.sum(np.cos(x[idx[::-1]]) * w)


ROWS = np.array([0, 3, 3, -1, 2, 0, 4, 1] * 10)  # repeats and a negative index


@pytest.mark.parametrize("x, idx", [
    (_r(50, 5, 3), ROWS),                              # bincount, a column at a time
    (_r(51, 5, 40), ROWS),                             # many columns: np.add.at
    (_r(52, 5), ROWS),                                 # a vector
    (_r(53, 5, 1), ROWS),                              # one column
    (_r(54, 5, 3), ROWS.astype(np.int32)),
    (_r(55, 5, 3), np.abs(ROWS).astype(np.uint8)),
    (_r(56, 5, 3).astype(np.float32), ROWS),           # float32: the general way
    (_r(57, 5, 3), ROWS[:1]),                          # one row picked
    (_r(58, 5, 3), np.zeros(0, dtype=np.int64)),       # none
], ids=["columns", "many-columns", "vector", "one-column", "int32", "uint8", "float32",
        "one-index", "empty"])
def test_gather_rows(x, idx):
    w = _r(60, *(np.shape(idx) + np.shape(x)[1:]))
    _check(gather, (x, idx, w), 0)
    _check(gather_twice, (x, idx, w), 0)
    assert grad(gather)(x, idx, w).dtype == x.dtype


def test_gather_rows_code():
    """One ``_add_rows`` call, no zeros and ``np.add.at`` in the gradient itself."""
    code = show(gather, signature="x=f8[n,d],idx=i8[p],w=f8[p,d]")
    body = code[code.index("def grad_gather"):]
    assert "x_bar = _add_rows(" in body and "_scatter_add" not in body


def test_bundle_adjustment_at_a_size_that_takes_bincount():
    """The benchmark's objective, with observations many (rows summed by bincount)."""
    bench = load("bench_adbench")
    args = bench.ba_args(np.random.default_rng(2), n=3, m=6, p=200)
    _check(bench.ba_objective, args, (0, 1, 2))
    code = show(bench.ba_objective, wrt=(0, 1, 2), signature="cams=f8[n,11],points=f8[m,3],"
                "weights=f8[p],features=f8[p,2],cam_index=i8[p],point_index=i8[p]")
    assert "cams_bar = _add_rows(cam_bar, cam_index, cams)" in code
    assert "cam_bar[:, 7:9] += " in code  # the slices' adjoints added in place


def test_jacobian_of_the_gradient_of_a_gather():
    """The gradient's code is s2sdiff input again: ``_add_rows`` has a tangent."""
    from s2sdiff import hessian, jacobian

    x, w = _r(70, 5, 3), _r(71, 80, 3)
    by_jacobian = jacobian(grad(gather), wrt=0)(x, ROWS, w)
    np.testing.assert_allclose(by_jacobian, hessian(gather, wrt=0)(x, ROWS, w), atol=1e-12)


# --- np.take -------------------------------------------------------------------------


def taken_flat(x):
    return np.sum(np.take(x, np.array([0, 2, 2, -1])) ** 2)


def taken_columns(X):
    return np.sum(np.sin(np.take(X, np.array([1, 0, 1]), axis=1)))


def taken_by_a_matrix_of_indices(X):
    return np.sum(np.take(X, np.array([[0, 2], [1, 1]]), axis=0) ** 3)


def taken_wrapped_and_clipped(x):
    return np.sum(np.take(x, np.array([0, 7, -9]), mode="wrap") ** 2) \
        + np.sum(np.take(x, np.array([9, -3]), mode="clip") ** 2)


def taken_one_column(X):
    return np.sum(np.take(X, 1, axis=1) ** 2)


TAKEN = [(taken_flat, (5,)), (taken_columns, (3, 4)), (taken_by_a_matrix_of_indices, (3, 2, 2)),
         (taken_wrapped_and_clipped, (5,)), (taken_one_column, (3, 4))]


@pytest.mark.parametrize("f, shape", TAKEN, ids=[t[0].__name__ for t in TAKEN])
def test_np_take_in_both_modes_matches_finite_differences_and_is_specialised(f, shape):
    x = np.random.default_rng(1).normal(size=shape)
    want = fd_array_gradient(f, x)
    for mode in ("reverse", "forward"):
        got = grad(f, mode=mode)(x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=mode)
    assert "_unbroadcast(" not in grad(f).specialised(x).source


def taken_raw(X):
    return np.take(X, np.array([[0, 2], [1, 1]]), axis=1)


def test_the_jacobian_of_np_take_has_jax_shape():
    from s2sdiff import jacfwd, jacrev
    from tests.fd import fd_argument_jacobian

    X = np.random.default_rng(2).normal(size=(2, 3))
    want = fd_argument_jacobian(taken_raw, (X,), 0)
    for transform in (jacfwd, jacrev):
        got = transform(taken_raw)(X)
        assert got.shape == (2, 2, 2, 2, 3)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
