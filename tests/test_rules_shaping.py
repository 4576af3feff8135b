"""The array-manipulation rules of ``rules/shaping.py`` (issue 18, "Missing").

Each function is checked against central finite differences, shapes included,
in reverse mode (``vjp`` with a random cotangent, specialised to the
arguments and generic, and ``jacobian(mode="reverse")``) and forward mode
(``jvp`` specialised and generic, ``jacobian(mode="forward")``), over several
shapes and axes (negative ones and ``None`` included).  Specialised code of the
common forms reads as plain NumPy (no helper function).  What stays
unsupported is refused at generation with a located ``S2SDiffError``.
"""

from __future__ import annotations

import numpy as np
import pytest

import s2sdiff
from s2sdiff import S2SDiffError, hessian, jacobian, jvp, vjp
from tests.rule_checks import fd_jacobian

H = 1e-6
RTOL, ATOL = 1e-5, 1e-7


def N(*shape, seed=0):
    return np.random.default_rng(seed + 7 * len(shape)).normal(size=shape)


def _close(got, want):
    assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want))
    np.testing.assert_allclose(got, want, RTOL, ATOL)


def check(f, args, wrt=0):
    """Both modes, specialised and generic, and both Jacobians, against finite differences."""
    rng = np.random.default_rng(1)
    out, x = f(*args), args[wrt]
    jac = fd_jacobian(f, args, wrt)
    ct = rng.normal(size=np.shape(out)) if np.shape(out) else 1.3
    t = rng.normal(size=np.shape(x)) if np.shape(x) else 0.7
    want_bar = np.tensordot(ct, jac, np.ndim(out))
    want_dot = np.tensordot(jac, t, np.ndim(x))
    reverse = vjp(f, wrt)
    value, pullback = reverse(*args)
    _close(value, out)
    _close(pullback(ct), want_bar)
    _close(reverse.core(*args, ct)[0], want_bar)  # the generic code (a tuple of one)
    forward = jvp(f, wrt)
    value, dot = forward(*args, t)
    _close(value, out)
    _close(dot, want_dot)
    _close(forward.__wrapped__(*args, t)[1], want_dot)  # the generic code
    _close(jacobian(f, wrt, mode="forward")(*args), jac)
    _close(jacobian(f, wrt, mode="reverse")(*args), jac)


def cases(*items):
    return pytest.mark.parametrize("f, args, wrt", items,
                                   ids=[f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(items)])


# --- rearranging ----------------------------------------------------------------------


def flip_all(x):
    return np.flip(x) * np.cos(x)


def flip_0(x):
    return np.flip(x, 0) * x


def flip_neg(x):
    return np.flip(x, -1) ** 2


def flip_axes(x):
    return np.sin(np.flip(x, (0, 2)))


def flip_ud_lr(x):
    return np.flipud(x) * np.fliplr(x)


def rot_once(x):
    return np.rot90(x) ** 2


def rot_k(x):
    return np.rot90(x, -3, (1, 2)) * 2.0 + np.rot90(x, 2, axes=(0, 2)).sum()


def roll_flat(x):
    return np.roll(x, 2) * x


def roll_axis(x):
    return np.roll(x, -1, axis=-1) ** 2


def roll_many(x):
    return np.roll(x, (1, 2), axis=(0, 1)) * x


def move(x):
    return np.moveaxis(x, 0, -1) ** 2


def move_many(x):
    return np.sin(np.moveaxis(x, [0, 1], [2, 0]))


def swap(x):
    return np.swapaxes(x, 0, -1) ** 3


def roll_axis_back(x):
    return np.rollaxis(x, 2) ** 2


def roll_axis_start(x):
    return np.rollaxis(x, 0, 3) * np.rollaxis(x, -1, -2).sum()


def transpose_method(x):
    return x.swapaxes(0, 1) ** 2


@cases((flip_all, (N(3, 4),), 0), (flip_all, (N(5),), 0), (flip_0, (N(3, 2),), 0),
       (flip_neg, (N(2, 3),), 0), (flip_axes, (N(2, 3, 2),), 0), (flip_ud_lr, (N(3, 3),), 0),
       (rot_once, (N(2, 3),), 0), (rot_k, (N(2, 3, 4),), 0), (roll_flat, (N(2, 3),), 0),
       (roll_axis, (N(3, 4),), 0), (roll_many, (N(3, 4),), 0), (move, (N(2, 3, 4),), 0),
       (move_many, (N(2, 3, 4),), 0), (swap, (N(2, 3, 4),), 0), (roll_axis_back, (N(2, 3, 4),), 0),
       (roll_axis_start, (N(2, 3, 4),), 0), (transpose_method, (N(2, 3),), 0))
def test_rearranging(f, args, wrt):
    check(f, args, wrt)


# --- stacking --------------------------------------------------------------------------


def hstack_vectors(a, b):
    return np.hstack((a, b)) ** 2


def hstack_matrices(a, b):
    return np.hstack([a, 2.0 * b, a]) * 3.0


def hstack_rows(x):
    return np.hstack(x) ** 2 + np.vstack(x).sum() + np.column_stack(x).sum()


def join_rows_twice(x):
    return np.concatenate(x) ** 2 + np.stack(x, axis=1).sum() + np.concatenate(x, axis=None)


def hstack_scalars(s, a):
    return np.hstack((s, a, s * s))


def vstack_vectors(a, b):
    return np.sin(np.vstack((a, b)))


def vstack_matrices(a, b):
    return np.vstack([a, b]) ** 2


def row_stack(a, b):
    return np.row_stack((a, a * b))


def dstack(a, b):
    return np.dstack((a, b)) ** 2


def dstack_vectors(a, b):
    return np.dstack([a, b]) * 2.0


def column_stack(a, b):
    return np.column_stack((a, b)) ** 2


def column_stack_matrix(a, b):
    return np.column_stack([a, b, a]) * 2.0


def append_flat(a, b):
    return np.append(a, b) ** 2


def append_axis(a, b):
    return np.append(a, b, axis=1) * 2.0


def append_number(a, s):
    return np.append(a, s * s)


def at_least(x):
    return np.atleast_1d(x) * np.atleast_2d(x).sum() + np.atleast_3d(x).sum()


def at_least_number(s):
    return np.atleast_2d(s * s) * 2.0


def mean_of_tuple(x):
    return np.mean((x, x + 2.0, x * x), axis=0)


def array_of_tuple(x, y):
    return np.array((x, y * y, x + 1.0)) * 2.0


def sum_and_norm_of_tuple(x, y):
    return np.sum((x, y * x)) + np.linalg.norm((x, y)) + np.mean([x, y])


def max_of_tuple(x):
    return np.max((x, 2.0)) * x  # (refused before tuple displays became lists)


def sum_of_nested_tuple(x, y):
    return np.sum(np.array(((x, y), (y, x * y))) ** 2, axis=1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # np.row_stack in NumPy 2
@cases((hstack_vectors, (N(3), N(2)), 0), (hstack_vectors, (N(3), N(2)), 1),
       (hstack_matrices, (N(2, 3), N(2, 1)), 0), (hstack_matrices, (N(2, 3), N(2, 1)), 1),
       (hstack_scalars, (0.7, N(3)), 0), (hstack_rows, (N(2, 3),), 0),
       (join_rows_twice, (N(2, 3),), 0), (hstack_scalars, (0.7, N(3)), 1),
       (vstack_vectors, (N(3), N(3, seed=1)), 0), (vstack_matrices, (N(2, 3), N(1, 3)), 1),
       (row_stack, (N(4), N(4, seed=1)), 1), (dstack, (N(2, 3), N(2, 3, seed=1)), 0),
       (dstack_vectors, (N(3), N(3, seed=1)), 1), (column_stack, (N(3), N(3, seed=1)), 0),
       (column_stack_matrix, (N(3), N(3, 2)), 0), (column_stack_matrix, (N(3), N(3, 2)), 1),
       (append_flat, (N(2, 2), N(3)), 0), (append_flat, (N(2, 2), N(3)), 1),
       (append_axis, (N(2, 2), N(2, 3)), 0), (append_axis, (N(2, 2), N(2, 3)), 1),
       (append_number, (N(3), 0.4), 1), (at_least, (N(3),), 0), (at_least, (N(2, 3),), 0),
       (at_least_number, (0.3,), 0), (mean_of_tuple, (N(4),), 0),
       (array_of_tuple, (0.5, -1.5), 0), (array_of_tuple, (N(2), N(2, seed=1)), 1),
       (sum_of_nested_tuple, (0.5, -1.5), 1),
       (max_of_tuple, (1.5,), 0), (max_of_tuple, (2.5,), 0),
       (sum_and_norm_of_tuple, (0.7, 1.2), 0), (sum_and_norm_of_tuple, (0.2, -0.3), 1))
def test_stacking(f, args, wrt):
    check(f, args, wrt)


# --- repeating -------------------------------------------------------------------------


def repeat_flat(x):
    return np.repeat(x, 3) ** 2


def repeat_axis(x):
    return np.repeat(x, 2, axis=-1) * np.arange(1.0, 9.0)


def repeat_counts(x):
    return np.sin(np.repeat(x, [1, 0, 3], axis=0))


def repeat_method(x):
    return x.repeat(2, axis=0) ** 2


def tile(x):
    return np.tile(x, 2) ** 2


def tile_more(x):
    return np.tile(x, (2, 1, 3)) * 2.0 + np.tile(x, (3, 1)).sum()


def kron(a, b):
    return np.kron(a, b) ** 2


@cases((repeat_flat, (N(2, 2),), 0), (repeat_axis, (N(2, 4),), 0), (repeat_counts, (N(3, 2),), 0),
       (repeat_method, (N(2, 3),), 0), (tile, (N(3),), 0), (tile, (N(2, 3),), 0),
       (tile_more, (N(2, 3),), 0), (kron, (N(2, 3), N(2, 2)), 0), (kron, (N(2, 3), N(2, 2)), 1),
       (kron, (N(3), N(2, 2)), 0), (kron, (N(3), N(2, 2)), 1))
def test_repeating(f, args, wrt):
    check(f, args, wrt)


# --- splitting --------------------------------------------------------------------------


def split_unpacked(x):
    a, b = np.split(x, 2)
    return a * b


def split_points(x):
    a, b, c = np.split(x, [1, 3], axis=-1)
    return np.sum(a * b, axis=-1) + c[..., 0]


def split_kept(x):
    parts = np.split(x, (2,), axis=0)
    return parts[0] ** 2 + parts[1]


def array_split(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(a) * b[0] + np.sum(c * c)


def h_v_d_split(x):
    a, b = np.hsplit(x, 2)
    c, d = np.vsplit(x, [1])
    e, f = np.dsplit(x, 2)
    return np.sum(a * b) + np.sum(c) * np.sum(d * d) + np.sum(e * f)


def split_joined(x):
    return np.concatenate(np.split(x, 3)) * x


@cases((split_unpacked, (N(4),), 0), (split_unpacked, (N(4, 2),), 0), (split_points, (N(2, 5),), 0),
       (split_kept, (N(3, 2),), 0), (array_split, (N(5),), 0), (array_split, (N(7, 2),), 0),
       (h_v_d_split, (N(2, 4, 2),), 0), (split_joined, (N(6),), 0))
def test_splitting(f, args, wrt):
    check(f, args, wrt)


# --- differences, running sums and products ------------------------------------------------


def diff_1(x):
    return np.diff(x) ** 2


def diff_n(x):
    return np.diff(x, 2, axis=0) ** 2


def diff_neg(x):
    return np.diff(x, axis=-2) * 3.0


def cumsum_flat(x):
    return np.cumsum(x) ** 2


def cumsum_axis(x):
    return np.cumsum(x, axis=-1) * np.cumsum(x, 0)


def cumprod_flat(x):
    return np.cumprod(x) * 2.0


def cumprod_axis(x):
    return np.cumprod(x, axis=1) ** 2


def cumprod_method(x):
    return x.cumprod(axis=0)


ZEROS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, 1.2], [0.7, -1.1, 0.0, 2.0]])


@cases((diff_1, (N(5),), 0), (diff_1, (N(3, 4),), 0), (diff_n, (N(5, 2),), 0),
       (diff_neg, (N(3, 4, 2),), 0), (cumsum_flat, (N(2, 3),), 0), (cumsum_axis, (N(3, 4),), 0),
       (cumprod_flat, (N(2, 3),), 0), (cumprod_axis, (N(3, 4),), 0),
       (cumprod_flat, (ZEROS,), 0), (cumprod_axis, (ZEROS,), 0), (cumprod_method, (ZEROS,), 0))
def test_differences_and_running(f, args, wrt):
    check(f, args, wrt)


def test_cumprod_at_zeros_is_exact():
    """cumprod(x)[i] with a zero x[j], j <= i, has ∂/∂x[j] = the product of the others."""
    x = np.array([2.0, 0.0, 3.0, 0.5])
    _, pullback = vjp(cumprod_flat)(x)
    # d/dx of 2 * sum(cumprod(x)): x0: 2 (1 + x1 + x1 x2 + ...) = 2; x1: 2 (x0 + x0 x2 + x0 x2 x3)
    np.testing.assert_allclose(pullback(np.ones(4)), [2.0, 2 * (2 + 6 + 3), 0.0, 0.0])


# --- diagonals ----------------------------------------------------------------------------


def trace(x):
    return np.trace(x) * np.trace(x, 1)


def trace_axes(x):
    return np.trace(x, -1, axis1=2, axis2=0) ** 2


def diagonal(x):
    return np.diagonal(x) ** 2


def diagonal_axes(x):
    return np.diagonal(x, 1, 2, 0) * 2.0


def diag_of_vector(v):
    return np.diag(v) + np.diag(v * v, -1)[1:, :3]


def diag_of_matrix(m):
    return np.diag(m) ** 2 + np.diag(m, 1).sum()


def triangles(m):
    return np.triu(m) ** 2 + np.tril(m, -1) * 3.0


def triangle_of_vector(v):
    return np.triu(v, 1) ** 2


def trace_method(x):
    return x.trace() * x.diagonal()


@cases((trace, (N(3, 3),), 0), (trace, (N(2, 4),), 0), (trace_axes, (N(3, 2, 4),), 0),
       (diagonal, (N(3, 3),), 0), (diagonal, (N(3, 2, 4),), 0), (diagonal_axes, (N(3, 2, 4),), 0),
       (diag_of_vector, (N(3),), 0), (diag_of_matrix, (N(3, 4),), 0), (diag_of_matrix, (N(4, 2),), 0),
       (triangles, (N(3, 4),), 0), (triangles, (N(2, 3, 3),), 0), (triangle_of_vector, (N(3),), 0),
       (trace_method, (N(3, 3),), 0))
def test_diagonals(f, args, wrt):
    check(f, args, wrt)


# --- padding, sorting -------------------------------------------------------------------------


def pad_number(x):
    return np.pad(x, 2) ** 2


def pad_widths(x):
    return np.pad(x, ((1, 0), (2, 3)), constant_values=1.5) * 2.0


def pad_modes(x):
    return (np.pad(x, 2, "edge") * np.pad(x, 2, mode="reflect")
            + np.pad(x, (1, 3), "symmetric") ** 2 + np.pad(x, 2, "wrap") ** 3)


def sort_last(x):
    return np.sort(x) * np.arange(1.0, 1.0 + x.shape[-1])


def sort_axis(x):
    return np.sort(x, axis=0) ** 2


def sort_flat(x):
    return np.sort(x, axis=None) * np.arange(6.0)


def partition(x):
    return np.partition(x, 2) * np.arange(1.0, 6.0)


def partition_axis(x):
    return np.partition(x, (0, 2), axis=0) ** 2


def sort_tuple(x, y):
    return np.sort((x, y * 2.0, 0.5))


@cases((pad_number, (N(3),), 0), (pad_number, (N(2, 3),), 0), (pad_widths, (N(2, 3),), 0),
       (pad_modes, (N(4),), 0), (pad_modes, (N(3, 4),), 0), (sort_last, (N(5),), 0),
       (sort_last, (N(3, 4),), 0), (sort_axis, (N(3, 4),), 0), (sort_flat, (N(2, 3),), 0),
       (partition, (N(5),), 0), (partition, (N(2, 5),), 0), (partition_axis, (N(4, 3),), 0),
       (sort_tuple, (0.3, -0.2), 1))
def test_padding_and_sorting(f, args, wrt):
    check(f, args, wrt)


# --- gradient, select, astype --------------------------------------------------------------


def gradient(y):
    return np.gradient(y, axis=0) ** 2


def gradient_spacing(y):
    return np.gradient(y, 0.5, axis=-1, edge_order=2) * 3.0


def gradient_axis(y):
    return np.gradient(y, 2.0, axis=0) * np.gradient(y, axis=-1, edge_order=2)


def gradient_coordinates(y):
    return np.gradient(y, np.array([0.0, 0.5, 1.5, 1.7, 3.0]), axis=-1) ** 2


def select(x, y):
    return np.select([x < 0.0, x > 0.5], [x * y, np.sin(x)], y * y)


def select_tuples(x):
    return np.select((x < 0.0, x > 1.0), (x ** 2, np.sin(x)), -x)


def select_default(x):
    return np.select([x < 0.0], [x ** 2]) + x


def as_float(x):
    return x.astype(np.float64) ** 2 + np.astype(x, "float64")


def as_float32(x):
    return np.sum(x.astype(np.float32) ** 2)


def test_astype_float32():
    x = np.array([0.5, -1.25, 2.0])
    np.testing.assert_allclose(s2sdiff.grad(as_float32)(x), 2 * x, rtol=1e-6)
    np.testing.assert_allclose(jvp(as_float32)(x, np.ones(3))[1], 2 * np.sum(x), rtol=1e-6)


@cases((gradient, (N(5),), 0), (gradient_spacing, (N(5),), 0), (gradient_axis, (N(4, 3),), 0),
       (gradient_coordinates, (N(5),), 0), (gradient_coordinates, (N(2, 5),), 0),
       (select, (N(6), N(6, seed=1)), 0), (select, (N(6), N(6, seed=1)), 1),
       (select, (N(2, 3), 0.4), 1), (select_default, (N(2, 3),), 0), (select_tuples, (N(6),), 0), (as_float, (N(2, 3),), 0))
def test_gradient_select_astype(f, args, wrt):
    check(f, args, wrt)


# --- second derivatives (forward over reverse through the helpers) -----------------------------


def second(x):
    pieces = np.split(x, 2)
    return (np.sum(pieces[1] * np.diff(x)[1:] ** 3) + np.sum(np.cumsum(x) ** 3)
            + np.sum(np.repeat(x, 2) ** 3) + np.sum(np.tile(x, 2) ** 3)
            + np.sum(np.pad(x, 1, "edge") ** 3) + np.sum(np.sort(x) ** 3 * np.arange(4.0))
            + np.sum(np.diag(np.outer(x, x), 1) ** 2) + np.trace(np.outer(x, x * x))
            + np.sum(np.kron(x, x) ** 2))


def test_hessian_through_the_helpers():
    x = N(4)
    want = np.array([[fd_jacobian(lambda z: vjp(second)(z)[1](1.0), (x,), 0)[i, j]
                      for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(hessian(second)(x), want, RTOL, 1e-6)


# --- specialised code is plain NumPy -----------------------------------------------------------


def plain(x):
    y = np.flip(x, 0) + np.roll(x, 1, axis=1) + np.moveaxis(x, 0, 1).T + np.swapaxes(x, 0, 1).T
    z = np.rot90(y, 2) + np.cumsum(y, axis=0) + np.triu(y) + np.tril(y, -1)
    return np.sum(z ** 2)


def plain_more(x):
    return np.sum(np.atleast_2d(x) ** 3) + np.sum(np.append(x, x, axis=None) ** 2)


@pytest.mark.parametrize("f", [plain, plain_more])
@pytest.mark.parametrize("kind", ["grad", "jvp"])
def test_specialised_code_is_plain(f, kind):
    source = s2sdiff.show(f, kind=kind, signature="x=f8[n,n]")
    body = source[source.index("\ndef "):]
    assert "\ndef _" not in body, body
    check(f, (N(3, 3),))


# --- refused, with the line ------------------------------------------------------------------


def pad_mean(x):
    return np.pad(x, 1, mode="mean")


def to_int(x):
    return x.astype(int) * x


def gradient_axes(x):
    return np.gradient(x, axis=(0, 1))[0]


def gradient_no_axis(x):
    return np.gradient(x)


def at_least_two(x, y):
    return np.atleast_1d(x, y)[0]


def diff_prepend(x):
    return np.diff(x, prepend=0.0)


def sort_order(x):
    return np.sort(x, order="a")


def split_varied(x, n):
    return np.split(x, n)[0]


def elementwise_of_tuple(x):
    return np.maximum((x, 2.0 * x), 0.5)


REFUSED = [(pad_mean, "np.pad", (N(3),)), (to_int, "astype", (N(3),)),
           (gradient_axes, "np.gradient", (N(3, 3),)),
           (gradient_no_axis, "np.gradient", (N(3),)), (at_least_two, "np.atleast_1d", (N(2), N(2))),
           (diff_prepend, "np.diff", (N(3),)), (sort_order, "np.sort", (N(3),)),
           (split_varied, "np.split", (N(4), 2)), (elementwise_of_tuple, "tuple", (0.3,))]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, name, args", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_refused_with_the_line(f, name, args, mode):
    with pytest.raises(S2SDiffError) as e:  # at generation: the generic code is made first
        if mode == "reverse":
            vjp(f)(*args)
        else:
            jvp(f)(*args, np.ones_like(args[0]))
    message = str(e.value)
    assert name in message
    assert f"test_rules_shaping.py:{f.__code__.co_firstlineno + 1}" in message


# --- abstract values of the results (what specialised code assumes) ----------------------------


def _abstract_result(fn, args, constants, kwargs):
    """The abstract value the type rule of ``fn`` gives for these arguments: ``args`` the
    values, ``constants`` per argument whether it is written as a constant."""
    from s2sdiff.ir import types

    def tree(a):
        if isinstance(a, list):
            return tuple(tree(x) for x in a)
        return types.abstract(a)

    rule = types._rule(fn, "call")
    consts = [a if c else types._UNKNOWN for a, c in zip(args, constants)]
    return rule([tree(a) for a in args], consts, kwargs)


A = np.zeros
TYPED = [
    (np.flip, (A((3, 1)), 0), {}), (np.roll, (A((1, 4)), 1), {}), (np.cumsum, (A((2, 1)),), {}),
    (np.cumsum, (A((1, 1)),), {}), (np.cumsum, (A((2, 1)), 1), {}), (np.cumprod, (A((3,), bool),), {}),
    (np.sort, (A((3, 1)),), {}), (np.sort, (A((3, 1)), None), {}), (np.partition, (A((1, 4)), 1), {}),
    (np.moveaxis, (A((1, 2, 3)), 0, -1), {}), (np.moveaxis, (A((1, 2, 3)), (0, 2), (2, 0)), {}),
    (np.swapaxes, (A((1, 2, 3)), 0, 2), {}), (np.rollaxis, (A((1, 2, 3)), 2), {}),
    (np.rollaxis, (A((1, 2, 3)), 0, 3), {}), (np.rollaxis, (A((1, 2, 3, 4)), -1, 1), {}),
    (np.rot90, (A((1, 2)),), {}), (np.rot90, (A((1, 2, 3)), 2, (0, 2)), {}),
    (np.rot90, (A((1, 2, 3)), -1, (2, 0)), {}),
    (np.atleast_1d, (A(()),), {}), (np.atleast_2d, (A((3,)),), {}), (np.atleast_3d, (A((3,)),), {}),
    (np.atleast_3d, (A((3, 1)),), {}), (np.atleast_3d, (0.5,), {}),
    (np.hstack, ([A((2,)), A((1,))],), {}), (np.hstack, ([A((2, 1)), A((2, 1))],), {}),
    (np.vstack, ([A((2,)), A((2,))],), {}), (np.vstack, ([A((1, 2))],), {}),
    (np.dstack, ([A((2,)), A((2,))],), {}), (np.column_stack, ([A((3,)), A((3, 1))],), {}),
    (np.column_stack, ([A(()), A(())],), {}),
    (np.append, (A((2, 1)), A((2, 1)), 1), {}), (np.append, (A((2, 2)), 1.0), {}),
    (np.repeat, (A((1, 3)), 2, 0), {}), (np.repeat, (A((1, 3)), 1, 0), {}),
    (np.repeat, (A((2, 3)), 3), {}), (np.tile, (A((1, 3)), (2, 1, 1)), {}),
    (np.tile, (A((2, 1)), 1), {}), (np.kron, (A((1, 3)), A((1,))), {}),
    (np.kron, (A((2, 1)), A((1, 3))), {}), (np.diff, (A((3, 1)),), {}), (np.diff, (A((3, 2)), 1, 0), {}),
    (np.trace, (A((2, 3, 1)),), {}), (np.trace, (A((2, 3, 1), bool),), {}),
    (np.diagonal, (A((2, 1, 3)), 0, 0, 2), {}), (np.diag, (A((1,)),), {}), (np.diag, (A((3,)), 1), {}),
    (np.diag, (A((3, 2)),), {}), (np.triu, (A((3,)),), {}), (np.tril, (A((1, 3)), -1), {}),
    (np.pad, (A((1, 2)), 1), {}), (np.pad, (A((1, 2)), ((0, 0), (1, 0))), {}),
    (np.pad, (A((1, 2)), ((0, 1), (0, 0))), {}), (np.gradient, (A((3,)),), {}),
    (np.gradient, (A((3, 2)),), {"axis": 0}), (np.select, ([A((2, 1), bool)], [1.0], 0.0), {}),
    (np.select, ([A((3,), bool)], [A((1,))], A((3,))), {}), (np.astype, (A((1, 2)), "float32"), {}),
    (np.einsum, ("ij,jk->ik", A((2, 3)), A((3, 1))), {}),
    (np.einsum, ("kij,nkj->nki", A((2, 3, 3)), A((4, 2, 3))), {}),
    (np.einsum, ("ij,jk", A((1, 3)), A((3, 4))), {}), (np.einsum, ("ii->i", A((3, 3))), {}),
    (np.arange, (3,), {}), (np.arange, (1, 2), {}), (np.squeeze, (A((1, 3, 1)),), {}),
    (np.squeeze, (A((1, 3, 1)), 2), {}), (np.squeeze, (A((1, 3, 1)), (0, 2)), {}),
]


@pytest.mark.parametrize("fn, args, kwargs", TYPED, ids=[f"{f.__name__}-{k}" for k, (f, _, _)
                                                         in enumerate(TYPED)])
def test_abstract_values_of_results(fn, args, kwargs):
    """Where the type rule tells a dimension's length is 1 (or not), it is; dtypes agree."""
    from s2sdiff.ir.types import Arr

    constants = [not isinstance(a, (np.ndarray, list, float)) for a in args]
    found = _abstract_result(fn, args, constants, kwargs)
    result = fn(*args, **kwargs)
    assert isinstance(found, Arr), found
    assert found.ndim == np.ndim(result) and found.dtype == np.asarray(result).dtype.name
    for one, n in zip(found.ones, np.shape(result)):
        assert one is None or one == (n == 1), (found, np.shape(result))


def test_abstract_value_of_a_piece():
    from s2sdiff.ir.types import Arr
    from s2sdiff.rules.shaping import _piece

    for how, axis, shape in (("split", 1, (1, 4)), ("array_split", -1, (2, 1, 3)),
                             ("hsplit", 0, (1, 4)), ("vsplit", 0, (4, 1)), ("dsplit", 0, (1, 1, 4))):
        args = (np.zeros(shape), 0, how, 2, axis)
        found = _abstract_result(_piece, args, [False, True, True, True, True], {})
        result = _piece(*args)
        assert isinstance(found, Arr) and found.ndim == result.ndim
        assert all(o is None or o == (n == 1) for o, n in zip(found.ones, result.shape))
