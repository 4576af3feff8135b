"""Regressions of issue 18: derivatives that were wrong, and calls that crashed.

Each case is checked against central finite differences, shapes included, in
reverse mode (``vjp`` with a random cotangent) and forward mode (``jvp`` with a
random tangent, and ``jacobian(mode="forward")``).  What stays unsupported is
refused at generation with a located ``S2SDiffError``.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from scipy.special import logsumexp

import s2sdiff
from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, vjp
from tests.rule_checks import fd_jacobian

H = 1e-6
RTOL, ATOL = 1e-5, 1e-7
WEIGHTS = np.arange(1.0, 25.0)


def check(f, args, wrt=0):
    """The vjp, jvp and forward Jacobian of ``f`` against finite differences, with shapes."""
    rng = np.random.default_rng(1)
    out, x = f(*args), args[wrt]
    jac = fd_jacobian(f, args, wrt)
    ct = rng.normal(size=np.shape(out)) if np.shape(out) else 1.3
    t = rng.normal(size=np.shape(x)) if np.shape(x) else 0.7
    value, pullback = vjp(f, wrt)(*args)
    bar = pullback(ct)
    assert np.shape(bar) == np.shape(x)
    np.testing.assert_allclose(bar, np.tensordot(ct, jac, np.ndim(out)), RTOL, ATOL)
    value, dot = jvp(f, wrt)(*args, t)
    assert np.shape(dot) == np.shape(out)
    np.testing.assert_allclose(dot, np.tensordot(jac, t, np.ndim(x)), RTOL, ATOL)
    forward = jacobian(f, wrt, mode="forward")(*args)
    assert np.shape(forward) == np.shape(jac)
    np.testing.assert_allclose(forward, jac, RTOL, ATOL)


def N(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).normal(size=shape)


# --- np.cross with its axis options ----------------------------------------------


def cross_axis0(a, b):
    return np.cross(a, b, axis=0)


def cross_axes(a, b):
    return np.cross(a, b, axisa=0, axisb=-1, axisc=0)


def cross_axisc(a, b):
    return np.cross(a, b, axisc=0)


def cross_2d(a, b):
    return np.cross(a, b, axis=0)


def cross_mixed(a, b):
    return np.cross(a, b)


CROSS = [(cross_axis0, (N(3, 2), N(3, 2, seed=1))), (cross_axes, (N(3, 4), N(4, 3))),
         (cross_axisc, (N(4, 3), N(3))), (cross_2d, (N(2, 3), N(2, 3, seed=1))),
         (cross_mixed, (N(4, 2), N(4, 3)))]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy 2: cross of 2-vectors
@pytest.mark.parametrize("wrt", [0, 1])
@pytest.mark.parametrize("f, args", CROSS, ids=[f.__name__ for f, _ in CROSS])
def test_cross(f, args, wrt):
    check(f, args, wrt)


# --- np.r_ and np.c_ ---------------------------------------------------------------


def r_twice(x):
    return np.r_[x, x] * WEIGHTS[:6]


def r_mixed(x, y):
    return np.r_[x, 2.0, y * y]


def r_matrices(x):
    return np.r_[x, np.ones((1, 2)), 3.0 * x]


def c_columns(x, y):
    return np.c_[x, y, np.ones(3)]


def c_scalars(x, y):
    return np.c_[x, y]


JOINS = [(r_twice, (N(3),), 0), (r_mixed, (1.5, N(2)), 0), (r_mixed, (1.5, N(2)), 1),
         (r_matrices, (N(2, 2),), 0), (c_columns, (N(3), N(3, 2)), 0),
         (c_columns, (N(3), N(3, 2)), 1), (c_scalars, (0.5, -1.5), 1)]


@pytest.mark.parametrize("f, args, wrt", JOINS,
                         ids=[f"{f.__name__}-{wrt}" for f, _, wrt in JOINS])
def test_index_concatenation(f, args, wrt):
    check(f, args, wrt)


def r_slice(x):
    return np.r_[0:3, x]


def test_index_concatenation_with_a_slice_is_refused():
    with pytest.raises(S2SDiffError, match=r"np\.r_.*slice") as e:
        vjp(r_slice)(N(2))
    assert "test_rules_fixed.py" in str(e.value)


# --- np.std where the variance is zero: derivative 0 ---------------------------------


def std_all(x):
    return np.std(x)


def std_axis0(x):
    return np.std(x, axis=0)


def std_keepdims(x):
    return np.std(x, axis=1, keepdims=True)


STD = [(std_all, (3.5,)), (std_axis0, (N(1, 3),)), (std_axis0, (N(4, 3),)),
       (std_keepdims, (np.array([[2.0, 2.0], [1.0, 3.0]]),))]


@pytest.mark.parametrize("f, args", STD, ids=[f"{f.__name__}-{np.shape(a[0])}" for f, a in STD])
def test_std_at_zero_variance(f, args):
    check(f, args)
    assert np.all(np.isfinite(grad(std_all)(args[0])))


# --- powers with a zero exponent at zero -------------------------------------------------


def power_zero(x):
    return np.power(x, 0.0)


def power_n(x, n):
    return x ** n


def power_array(x):
    return np.power(x, np.array([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("f, args", [(power_zero, (0.0,)), (power_zero, (np.zeros(3),)),
                                     (power_array, (np.zeros(3),)), (power_array, (N(3),))])
def test_power_zero_exponent_at_zero(f, args):
    check(f, args)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_scalar_power_at_zero(n):
    expected = float(n == 1)
    assert grad(power_n)(0.0, n) == expected
    assert jvp(power_n)(0.0, n, 1.0) == (0.0 ** n, expected)


# --- a function returning a list --------------------------------------------------------


def list_out(x):
    return [x, 2.0 * x]


def list_and_number(x, y):
    return [x * y, 3.0], x


@pytest.mark.parametrize("x", [1.5, N(3)])
def test_vjp_of_a_list_output(x):
    value, pullback = vjp(list_out)(x)
    ct = [np.ones(np.shape(x)) * 0.5, np.ones(np.shape(x)) * -2.0]
    np.testing.assert_allclose(pullback(ct), 0.5 - 4.0 + 0.0 * np.asarray(x))
    assert np.shape(pullback(ct)) == np.shape(x)


def test_vjp_of_a_list_in_a_tuple_output():
    value, pullback = vjp(list_and_number, (0, 1))(1.5, 2.0)
    assert pullback(([1.0, 5.0], 3.0)) == (2.0 + 3.0, 1.5)


# --- forward mode: tangents have the output's shape --------------------------------------


def ceil(x):
    return np.ceil(x)


def floor_plus(x):
    return np.floor(x) + np.sign(x)


def ignores_input(x):
    return np.zeros(3)


def scalar_plus_array(x, y):
    return x + y


def scalar_times_array(x, y):
    return x * y


FORWARD = [(ceil, (N(3),), 0), (floor_plus, (N(2, 2),), 0), (ignores_input, (N(2),), 0),
           (ignores_input, (1.5,), 0), (scalar_plus_array, (1.5, N(3)), 0),
           (scalar_plus_array, (1.5, N(3)), 1), (scalar_times_array, (1.5, N(2, 3)), 0)]


@pytest.mark.parametrize("f, args, wrt", FORWARD,
                         ids=[f"{f.__name__}-{wrt}" for f, _, wrt in FORWARD])
def test_forward_tangents_have_the_output_shape(f, args, wrt):
    check(f, args, wrt)
    t = np.ones(np.shape(args[wrt])) if np.shape(args[wrt]) else 1.0
    value, dot = jvp(f, wrt)(*args, t)
    assert isinstance(dot, np.ndarray) and dot.shape == np.shape(value)


# --- np.linalg.norm of every order; of a list ---------------------------------------------


def norm_2(x):
    return np.linalg.norm(x, ord=2)


def norm_3(x):
    return np.linalg.norm(x, ord=3)


def norm_4_axis(x):
    return np.linalg.norm(x, ord=4, axis=1)


def norm_1(x):
    return np.linalg.norm(x, 1)


def norm_inf(x):
    return np.linalg.norm(x, ord=np.inf, axis=0, keepdims=True)


def norm_nuc(x):
    return np.linalg.norm(x, ord="nuc")


def norm_fro_axes(x):
    return np.linalg.norm(x, ord="fro", axis=(0, 2))


def norm_matrix_2(x):
    return np.linalg.norm(x, ord=2, axis=(1, 2))


def norm_matrix_minus_2(x):
    return np.linalg.norm(x, -2)


def norm_matrix_1(x):
    return np.linalg.norm(x, ord=1)


def norm_matrix_inf(x):
    return np.linalg.norm(x, ord=-np.inf)


def norm_of_a_list(x):
    return np.linalg.norm([x, x + 2])


NORMS = [(norm_2, N(4)), (norm_3, N(4)), (norm_4_axis, N(2, 3)), (norm_1, N(4)), (norm_inf, N(3, 2)),
         (norm_nuc, N(3, 2)), (norm_fro_axes, N(2, 3, 2)), (norm_matrix_2, N(2, 3, 2)),
         (norm_matrix_minus_2, N(3, 3)), (norm_matrix_1, N(3, 2)), (norm_matrix_inf, N(2, 3)),
         (norm_of_a_list, 1.5), (norm_of_a_list, N(2))]


@pytest.mark.parametrize("f, x", NORMS, ids=[f"{f.__name__}-{np.shape(x)}" for f, x in NORMS])
def test_norm(f, x):
    check(f, (x,))


def test_norm_at_zero_is_zero():
    assert np.array_equal(grad(norm_3)(np.zeros(3)), np.zeros(3))


# --- np.einsum: one to four operands, '...', repeated letters ---------------------------


def einsum_transpose(x):
    return np.einsum("ij->ji", x)


def einsum_abcd(x):
    return np.einsum("abcd->bd", x)


def einsum_ellipsis(x):
    return np.einsum("...ij,j->...i", x, np.arange(1.0, 4.0))


def einsum_three(x, y):
    return np.einsum("ij,jk,kl->il", x, y, y.T)


def einsum_diagonal(x):
    return np.einsum("ii,ij->j", x, x)


def einsum_implicit(x, y):
    return np.einsum("bA,Ab", x, y)


def einsum_four(x):
    return np.einsum("i,i,i,i", x, x, x, x)


EINSUMS = [(einsum_transpose, (N(2, 3),), 0), (einsum_abcd, (N(2, 3, 2, 2),), 0),
           (einsum_ellipsis, (N(2, 2, 3),), 0), (einsum_three, (N(2, 3), N(3, 3)), 0),
           (einsum_three, (N(2, 3), N(3, 3)), 1), (einsum_diagonal, (N(3, 3),), 0),
           (einsum_implicit, (N(3, 2), N(2, 3)), 1), (einsum_four, (N(3),), 0)]


@pytest.mark.parametrize("f, args, wrt", EINSUMS,
                         ids=[f"{f.__name__}-{wrt}" for f, _, wrt in EINSUMS])
def test_einsum(f, args, wrt):
    check(f, args, wrt)


def einsum_interleaved(x):
    return np.einsum(x, (0, 1), (1, 0))


def einsum_five(x):
    return np.einsum("i,i,i,i,i", x, x, x, x, x)


# --- tensordot with axes as a list; logsumexp with b; min of a nested list -------------------


def tensordot_list_axes(a, b):
    return np.tensordot(a, b, axes=[(1,), (0,)])


def logsumexp_b(x):
    return logsumexp(x, b=np.array([1.0, 2.0, 0.5]))


def logsumexp_b_axis(x):
    return logsumexp(x, axis=0, b=np.array([[1.0], [3.0]]), keepdims=True)


def min_of_nested_list(x):
    return np.min(np.array([[x, x, x], [0.5, 0.5, 0.5]]))


def sum_of_ragged_tangents(x, y):
    return np.sum(np.array([x, y * y]), axis=0)


OTHERS = [(tensordot_list_axes, (N(2, 3), N(3, 4)), 0), (tensordot_list_axes, (N(2, 3), N(3, 4)), 1),
          (logsumexp_b, (N(3),), 0), (logsumexp_b_axis, (N(2, 3),), 0),
          (min_of_nested_list, (0.3,), 0), (min_of_nested_list, (0.7,), 0),
          (sum_of_ragged_tangents, (N(3), N(3, seed=2)), 1)]


@pytest.mark.parametrize("f, args, wrt", OTHERS,
                         ids=[f"{f.__name__}-{wrt}" for f, _, wrt in OTHERS])
def test_formerly_crashing(f, args, wrt):
    check(f, args, wrt)


# --- what stays unsupported is refused at generation, with a location ---------------------


def logsumexp_sign(x):
    return logsumexp(x, return_sign=True)[0]


def logsumexp_varied_b(x):
    return logsumexp(np.ones(3), b=x)


def matrix_2_norm(x):
    return np.linalg.norm(x, ord=2)


def var_positional_dtype(x):
    return np.var(x, 0, None, None, 1)


def std_correction(x):
    return np.std(x, correction=1)


def sum_where(x):
    return np.sum(x, where=x > 0)


REFUSED = [(einsum_interleaved, N(2, 2), vjp, "interleaved"),
           (einsum_interleaved, N(2, 2), jvp, "interleaved"),
           (einsum_five, N(2), vjp, "more than four operands"),
           (logsumexp_sign, N(3), vjp, "return_sign"),
           (logsumexp_varied_b, N(3), vjp, "argument 'b'"),
           (logsumexp_varied_b, N(3), jvp, "argument 'b'"),
           (matrix_2_norm, N(2, 2), hessian, "second derivative"),
           (var_positional_dtype, N(2, 2), vjp, "positional argument 3 .NumPy's 'dtype'"),
           (std_correction, N(3), vjp, "keyword 'correction'"),
           (sum_where, N(3), jvp, "keyword 'where'")]


@pytest.mark.parametrize("f, x, transform, message", REFUSED,
                         ids=[f"{f.__name__}-{i}" for i, (f, *_) in enumerate(REFUSED)])
def test_refused_with_a_location(f, x, transform, message):
    with pytest.raises(S2SDiffError, match=message) as e:
        result = transform(f)(x) if transform is not jvp else transform(f)(x, np.ones_like(x))
        if transform is vjp:
            result[1](np.ones_like(result[0]))
    assert "test_rules_fixed.py:" in str(e.value)
    assert f"def {f.__name__}" in str(e.value) or "return" in str(e.value)


def test_no_not_implemented_error_left_in_the_rules():
    root = pathlib.Path(s2sdiff.__file__).parent
    raised = [p.name for p in root.rglob("*.py") if "raise NotImplementedError" in p.read_text()]
    assert raised == []
