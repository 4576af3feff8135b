"""The NumPy corpus: array functions with the points to check them at.

Each function is plain NumPy and is followed by a ``_case(fn, point, ...)``
line that records it in ``NUMPY_CORPUS``.  A point is a tuple of arguments:
NumPy arrays (float arrays are inputs to differentiate), floats, and ints (loop
counts).  Points are chosen away from kinks (ties of ``max``/``maximum``, the
bounds of ``clip``, the threshold of a mask or a branch), so central finite
differences are accurate there.

``Case.wrt`` is the tuple of parameter indices to differentiate: by default
every parameter that is a float or a float array at the first point.
``Case.output`` is ``"scalar"`` (gradient tests, both modes) or ``"array"``
(forward mode and the dot-product test with a random output weight).

Like ``tests/corpus.py``, this module must not import s2sdiff: it is the
ground truth the tests compare against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tests import corpus


@dataclass(frozen=True)
class Case(corpus.Case):
    """A scalar-corpus case with array arguments; ``output`` is "scalar" or "array"."""

    output: str = "scalar"

    @property
    def wrt(self) -> tuple[int, ...]:
        if self.explicit_wrt is not None:
            return self.explicit_wrt
        return tuple(i for i, a in enumerate(self.points[0]) if _is_float(a))


def _is_float(a) -> bool:
    return isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")


NUMPY_CORPUS: list[Case] = []


def _case(fn: Callable, *points: tuple, wrt: tuple[int, ...] | None = None,
          output: str = "scalar") -> None:
    assert len(points) >= 3, fn.__name__
    NUMPY_CORPUS.append(Case(fn, tuple(points), wrt, output))


def _r(seed: int, *shape: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """A deterministic uniform random array (the same at every import)."""
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _away(seed: int, *shape: int, gap: float = 0.2) -> np.ndarray:
    """Random entries of either sign, at least ``gap`` away from 0."""
    rng = np.random.default_rng(seed)
    return rng.uniform(gap, 1.5, size=shape) * rng.choice((-1.0, 1.0), size=shape)


def _well(seed: int, n: int) -> np.ndarray:
    """A well-conditioned n×n matrix."""
    return _r(seed, n, n, lo=-0.3, hi=0.3) + 2.0 * np.eye(n)


# --- elementwise, broadcasting -------------------------------------------------


def ew_trig(x):
    return np.sum(np.sin(x) * np.cos(x) + np.tanh(x) - np.arctan(x))


_case(ew_trig, (_r(1, 5),), (_r(2, 3, 4),), (_r(3, 2, 2, 2, lo=-2, hi=2),))


def ew_exp_log(x):
    return np.sum(np.log(1.0 + np.exp(x)) + np.sqrt(x * x + 1.0) + np.log1p(x * x))


_case(ew_exp_log, (_r(4, 6),), (_r(5, 2, 3, lo=-3, hi=3),), (_r(6, 4),))


def ew_misc(x):
    y = np.arcsinh(x) + np.expm1(x) + np.square(x) + np.cbrt(x + 3.0)
    return np.sum(y * np.reciprocal(2.0 + x) + np.exp2(x) + np.log2(x + 2.0) + np.log10(x + 2.0))


_case(ew_misc, (_r(7, 4),), (_r(8, 2, 3),), (_r(9, 5),))


def broadcast_column_row(x, y):
    return np.sum(np.sin(x + y) * y - x / (1.5 + y))


_case(broadcast_column_row, (_r(10, 3, 1), _r(11, 4)), (_r(12, 2, 1), _r(13, 3)),
      (_r(14, 4, 1), _r(15, 1)))


def broadcast_scalar(x, a):
    return np.sum((a * x - 1.0) ** 2) / a + np.sum(a - x)


_case(broadcast_scalar, (_r(16, 5), 1.3), (_r(17, 2, 3), -0.7), (_r(18, 4), 2.1))


def broadcast_three(x, y, z):
    return np.sum(x * y * z + x - z)


_case(broadcast_three, (_r(19, 2, 1, 3), _r(20, 4, 1), _r(21, 3)),
      (_r(22, 3, 1), _r(23, 1, 2), 0.5), (_r(24, 2), _r(25, 2), _r(26, 2)))


def ew_max_min(x, y):
    return np.sum(np.maximum(x, y) * np.minimum(x, 0.5 * y) + np.maximum(x, 0.0))


_case(ew_max_min, (_away(27, 5), _away(28, 5) + 0.1), (_away(29, 2, 3), _away(30, 3)),
      (_away(31, 4), 0.05))


def ew_where_clip(x):
    return np.sum(np.where(x > 0, x * x, -x) + np.clip(x, -0.5, 0.5) * x)


_case(ew_where_clip, (np.array([-1.2, -0.3, 0.2, 0.7, 1.1]),),
      (np.array([[-0.8, 0.4], [0.9, -0.1]]),), (np.array([0.3, -0.45, 1.7]),))


def ew_power_abs(x, y):
    return np.sum(np.power(np.abs(x) + 1.0, y) + np.fabs(y) ** 1.5)


_case(ew_power_abs, (_away(32, 4), _away(33, 4)), (_away(34, 2, 3), 0.7), (_away(35, 3), _away(36, 3)))


def ew_two_args(x, y):
    return np.sum(np.hypot(x, y) + np.arctan2(y, x) + np.logaddexp(x, y))


_case(ew_two_args, (_away(37, 4), _away(38, 4)), (_away(39, 2, 2), _away(40, 2)),
      (_away(41, 3), 0.8))


def operators_mixed(x, y):
    z = -x + (+y) * 2.0 - x / y + x ** 2 / 3.0
    return np.sum(z * z) - (x @ y)


_case(operators_mixed, (_away(42, 4), _away(43, 4)), (_away(44, 3), _away(45, 3)),
      (_away(46, 5), _away(47, 5)))


# --- reductions with axis / keepdims -----------------------------------------------


def reduce_axes(x):
    return np.sum(np.mean(x, axis=0) * np.max(x, axis=1, keepdims=True)) + np.sum(x, axis=-1)[0]


_case(reduce_axes, (_r(48, 3, 4),), (_r(49, 2, 5),), (_r(50, 4, 3),))


def reduce_prod(x):
    return np.sum(np.prod(x, axis=1)) + np.prod(x[0])


_case(reduce_prod, (_r(51, 3, 4),), (_r(52, 2, 3),), (np.array([[1.5, 0.0, -2.0], [0.5, 0.3, 3.0]]),))


def reduce_var_std(x):
    return np.sum(np.var(x, axis=0)) + np.std(x, ddof=1) + np.sum(np.std(x, axis=1, keepdims=True))


_case(reduce_var_std, (_r(53, 3, 4),), (_r(54, 5, 2),), (_r(55, 4, 4),))


def reduce_norm(x):
    return np.linalg.norm(x) + np.sum(np.linalg.norm(x, axis=1)) + np.linalg.norm(x[0])


_case(reduce_norm, (_r(56, 3, 4),), (_r(57, 2, 2),), (_r(58, 4, 3),))


def reduce_min_keepdims(x):
    d = x - np.min(x, axis=-1, keepdims=True)
    return np.sum(d * d) + np.amax(x) - np.amin(x, axis=0)[1]


_case(reduce_min_keepdims, (_r(59, 3, 4),), (_r(60, 2, 5),), (_r(61, 4, 3),))


def logsumexp_pattern(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


_case(logsumexp_pattern, (_r(62, 5, lo=-3, hi=3),), (_r(63, 8),), (_r(64, 2, 3, lo=0, hi=10),))


def softmax_cross_entropy(W, X, onehot):
    logits = X @ W
    m = np.max(logits, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.sum(onehot * (logits - lse)) / X.shape[0]


_case(softmax_cross_entropy, (_r(65, 3, 4), _r(66, 5, 3), np.eye(4)[[0, 1, 3, 2, 1]]),
      (_r(67, 3, 4), _r(68, 5, 3), np.eye(4)[[1, 1, 2, 0, 3]]),
      (_r(69, 3, 4), _r(70, 5, 3), np.eye(4)[[3, 3, 0, 0, 2]]), wrt=(0, 1))


# --- linear algebra ---------------------------------------------------------------


def dot_vectors(x, y):
    return np.dot(x, y) * np.dot(x, x)


_case(dot_vectors, (_r(71, 4), _r(72, 4)), (_r(73, 3), _r(74, 3)), (_r(75, 6), _r(76, 6)))


def matmul_operator(W, x):
    return np.sum((W @ x) ** 2) + np.sum(np.matmul(W, x))


_case(matmul_operator, (_r(77, 3, 4), _r(78, 4)), (_r(79, 2, 3), _r(80, 3, 2)), (_r(81, 4, 4), _r(82, 4)))


def outer_inner(x, y):
    return np.sum(np.outer(x, y) ** 2) * np.inner(x, x) + np.sum(np.inner(np.outer(x, y), y))


_case(outer_inner, (_r(83, 3), _r(84, 4)), (_r(85, 2), _r(86, 2)), (_r(87, 4), _r(88, 3)))


def tensordot_axes(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2) + np.tensordot(A, A, axes=2)


_case(tensordot_axes, (_r(89, 2, 3), _r(90, 3, 4)), (_r(91, 3, 3), _r(92, 3, 2)), (_r(93, 1, 2), _r(94, 2, 2)))


def tensordot_pairs(A, B):
    return np.sum(np.tensordot(A, B, axes=([0, 2], [1, 0])))


_case(tensordot_pairs, (_r(95, 2, 3, 4), _r(96, 4, 2, 5)), (_r(97, 3, 1, 2), _r(98, 2, 3)),
      (_r(99, 2, 2, 2), _r(100, 2, 2, 3)))


def einsum_contraction(A, x):
    return np.sum(np.einsum("ij,j->i", A, x) ** 2) + np.einsum("ij,ij->", A, A)


_case(einsum_contraction, (_r(101, 3, 4), _r(102, 4)), (_r(103, 2, 2), _r(104, 2)), (_r(105, 4, 3), _r(106, 3)))


def quadratic_form(A, x):
    return x @ A @ x + x.dot(A.T.dot(x))


_case(quadratic_form, (_r(107, 3, 3), _r(108, 3)), (_r(109, 4, 4), _r(110, 4)), (_r(111, 2, 2), _r(112, 2)))


def det_inv_solve(A, b):
    return np.linalg.det(A) + np.sum(np.linalg.inv(A)) + np.sum(np.linalg.solve(A, b) ** 2)


_case(det_inv_solve, (_well(113, 3), _r(114, 3)), (_well(115, 2), _r(116, 2)), (_well(117, 4), _r(118, 4, 2)))


def cross_product(a, b):
    c = np.cross(a, b)
    return np.sum(c * c) + np.dot(c, a + b)


_case(cross_product, (_r(119, 3), _r(120, 3)), (_r(121, 3), _r(122, 3)), (_r(123, 3), _r(124, 3)))


# --- shape changes -------------------------------------------------------------------


def transpose_T(X):
    return np.sum(X.T @ X) + np.sum(np.transpose(X) * X.T)


_case(transpose_T, (_r(125, 3, 4),), (_r(126, 2, 2),), (_r(127, 5, 3),))


def transpose_axes(x):
    w = np.arange(24.0).reshape(3, 4, 2) / 24.0
    return np.sum(np.transpose(x, (1, 2, 0)) * w)


_case(transpose_axes, (_r(128, 2, 3, 4),), (_r(129, 2, 3, 4),), (_r(130, 2, 3, 4),))


def reshape_ravel(x):
    y = x.reshape(-1)
    z = np.ravel(x.T)
    w = np.reshape(x, (2, -1))
    return np.dot(y, np.sin(z)) + np.sum(w[0] * w[1])


_case(reshape_ravel, (_r(131, 2, 3),), (_r(132, 4, 2),), (_r(133, 2, 2),))


def expand_squeeze(x):
    y = np.expand_dims(x, 0)
    z = np.squeeze(y * y)
    return np.sum(z ** 3) + np.sum(np.expand_dims(x, -1) * x)


_case(expand_squeeze, (_r(134, 3),), (_r(135, 4),), (_r(136, 2),))


# --- indexing reads ----------------------------------------------------------------


def index_int(x):
    return x[0] * x[2] + x[-1] ** 2


_case(index_int, (_r(137, 4),), (_r(138, 3),), (_r(139, 6),))


def index_slice(x):
    return np.sum(x[1:4] * x[:3]) + np.sum(x[::2]) - x[-2:].prod()


_case(index_slice, (_r(140, 5),), (_r(141, 6),), (_r(142, 7),))


def index_tuple(X):
    return X[0, 1] * X[1, :].sum() + np.sum(X[:, 0]) + np.sum(X[1:, 1:] ** 2)


_case(index_tuple, (_r(143, 3, 4),), (_r(144, 2, 2),), (_r(145, 4, 3),))


def index_int_array(x):
    idx = np.array([0, 2, 2])
    return np.sum(x[idx] ** 2) + np.sum(x[[1, 0]] * x[:2])


_case(index_int_array, (_r(146, 3),), (_r(147, 4),), (_r(148, 5),))


def index_bool_mask(x):
    mask = x > 0
    return np.sum(x[mask] ** 2) - np.sum(x[x < 0])


_case(index_bool_mask, (_away(149, 5),), (_away(150, 2, 3),), (_away(151, 7),))


# --- methods and attributes -----------------------------------------------------------


def methods_reduce(X):
    return X.sum() + X.mean(axis=0).dot(X[0]) + X.max() * X.min(axis=1).sum() + X.prod(axis=0)[0]


_case(methods_reduce, (_r(152, 3, 4),), (_r(153, 2, 2),), (_r(154, 4, 3),))


def methods_shape(X):
    n = X.shape[0]
    return np.sum(X) * n / (X.size + X.ndim) + X.var() + X.std(axis=0).sum()


_case(methods_shape, (_r(155, 3, 4),), (_r(156, 2, 2),), (_r(157, 5, 3),))


def methods_reshape_T(X):
    Y = X.reshape(-1, 2).T
    return Y.sum(axis=1).dot(Y[:, 0]) + X.ravel().dot(X.ravel())


_case(methods_reshape_T, (_r(158, 3, 4),), (_r(159, 2, 2),), (_r(160, 4, 3),))


# --- creation constants -----------------------------------------------------------------


def creation_constants(x):
    n = x.shape[0]
    z = np.zeros(n)
    o = np.ones_like(x)
    e = np.eye(n)
    return (np.sum((e @ x + o) * x) + np.sum(z + np.zeros_like(x)) + np.sum(np.arange(n) * x)
            + np.sum(np.linspace(0.0, 1.0, n) * x) + np.full(n, 2.0) @ x + np.sum(np.ones((2, n)) @ x))


_case(creation_constants, (_r(161, 3),), (_r(162, 4),), (_r(163, 2),))


# --- loops and branches over arrays ------------------------------------------------------


def rnn(W, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h)


_case(rnn, (_r(164, 3, 3), _r(165, 3), _r(166, 4, 3)), (_r(167, 2, 2), _r(168, 2), _r(169, 5, 2)),
      (_r(170, 4, 4), _r(171, 4), _r(172, 2, 4)))


def loop_accumulate(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[i]) * x[i]
    return s


_case(loop_accumulate, (_r(173, 4), 4), (_r(174, 5), 3), (_r(175, 3), 3))


def loop_array_state(x, y):
    a = x
    for _ in range(3):
        a = np.sin(a) * y + 0.1 * a
    return np.sum(a)


_case(loop_array_state, (_r(176, 4), _r(177, 4)), (_r(178, 2, 3), _r(179, 3)), (_r(180, 3), 0.7))


def while_array(x):
    k = 0
    while k < 3:
        x = np.sin(x) + x * 0.1
        k += 1
    return np.sum(x ** 2)


_case(while_array, (_r(181, 4),), (_r(182, 2, 3),), (_r(183, 5),))


def branch_on_reduction(x, y):
    if np.sum(x) > 0:
        z = x * y
    else:
        z = x - y
    return np.sum(z * z)


_case(branch_on_reduction, (np.array([0.5, 0.3, -0.1]), _r(184, 3)),
      (np.array([-0.5, 0.3, -0.1]), _r(185, 3)), (np.array([1.5, -0.2]), 0.4))


def gmm_log_likelihood(X, means, log_sigmas, logits):
    """Isotropic Gaussian mixture, written with explicit loops over points and components."""
    n_points, dim = X.shape
    weights = np.exp(logits) / np.sum(np.exp(logits))
    total = 0.0
    for n in range(n_points):
        p = 0.0
        for k in range(means.shape[0]):
            d = X[n] - means[k]
            var = np.exp(2.0 * log_sigmas[k])
            p = p + weights[k] * np.exp(-0.5 * np.dot(d, d) / var) / (2.0 * np.pi * var) ** (dim / 2.0)
        total = total + np.log(p)
    return total


_case(gmm_log_likelihood,
      (_r(186, 5, 2), _r(187, 3, 2), _r(188, 3, lo=-0.5, hi=0.3), _r(189, 3)),
      (_r(190, 4, 3), _r(191, 2, 3), _r(192, 2, lo=-0.5, hi=0.3), _r(193, 2)),
      (_r(194, 3, 1), _r(195, 4, 1), _r(196, 4, lo=-0.5, hi=0.3), _r(197, 4)))


def rodrigues_reprojection(r, p, obs):
    """Bundle-adjustment style: rotate p by the axis-angle vector r, project, compare."""
    theta = np.linalg.norm(r)
    if theta < 1e-8:
        rotated = p + np.cross(r, p)
    else:
        k = r / theta
        c = np.cos(theta)
        rotated = p * c + np.cross(k, p) * np.sin(theta) + k * np.dot(k, p) * (1.0 - c)
    proj = rotated[:2] / (rotated[2] + 5.0)
    e = proj - obs
    return np.sum(e * e)


_case(rodrigues_reprojection,
      (np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.0, 2.0]), np.array([0.1, 0.2])),
      (np.array([1.2, 0.4, -0.6]), np.array([-1.0, 0.3, 0.7]), np.array([-0.1, 0.05])),
      (np.zeros(3), np.array([0.2, -0.4, 1.5]), np.array([0.0, -0.1])), wrt=(0, 1))


def logistic_regression_loss(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + 0.01 * np.dot(w, w)


_case(logistic_regression_loss,
      (_r(198, 4), 0.1, _r(199, 8, 4, lo=-2, hi=2), (_r(200, 8) > 0).astype(float)),
      (_r(201, 3), -0.3, _r(202, 6, 3, lo=-2, hi=2), (_r(203, 6) > 0).astype(float)),
      (_r(204, 5), 0.5, _r(205, 10, 5, lo=-2, hi=2), (_r(206, 10) > 0).astype(float)), wrt=(0, 1))


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - Y) ** 2)


_case(mlp_loss,
      (_r(207, 3, 5), _r(208, 5), _r(209, 5, 2), _r(210, 2), _r(211, 6, 3), _r(212, 6, 2)),
      (_r(213, 2, 4), _r(214, 4), _r(215, 4, 3), _r(216, 3), _r(217, 5, 2), _r(218, 5, 3)),
      (_r(219, 4, 3), _r(220, 3), _r(221, 3, 1), _r(222, 1), _r(223, 7, 4), _r(224, 7, 1)),
      wrt=(0, 1, 2, 3))


def array_from_scalars_and_asarray(x, a):
    y = np.asarray(x) * a
    return np.sum(np.array(y) ** 2)


_case(array_from_scalars_and_asarray, (_r(225, 3), 0.5), (_r(226, 2, 2), 1.5), (_r(227, 4), -0.3))


# --- joining arrays -----------------------------------------------------------------------


def join_concatenate(x, y):
    z = np.concatenate((x, y * y), axis=0)
    w = np.concatenate([z, np.cos(z)], axis=None)
    return np.sum(np.sin(z) * z) + np.sum(w * w)


_case(join_concatenate, (_r(60, 3), _r(61, 2)), (_r(62, 2, 3), _r(63, 1, 3)), (_r(64, 4), _r(65, 4)))


def join_stack(x, y):
    pair = (x, 2.0 * y)
    s = np.stack(pair, axis=-1)
    return np.sum(s ** 2 * np.stack([y, x])[0][..., None])


_case(join_stack, (_r(66, 3), _r(67, 3)), (_r(68, 2, 3), _r(69, 2, 3)), (_r(70, 1), _r(71, 1)))


def join_one_constant(x):
    return np.sum(np.concatenate((x, np.ones(2))) ** 3)


_case(join_one_constant, (_r(72, 3),), (_r(73, 1),), (_r(74, 5),))


def join_array_output(x, y):
    return np.stack([x * y, np.sin(x)], axis=1)


_case(join_array_output, (_r(75, 3), _r(76, 3)), (_r(77, 2), _r(78, 2)), (_r(79, 4), 0.5),
      output="array")


# --- array outputs (forward mode, dot-product test) ------------------------------------


def ew_array_out(x):
    return np.sin(x) * x + np.exp(-x * x)


_case(ew_array_out, (_r(228, 4),), (_r(229, 2, 3),), (_r(230, 5),), output="array")


def matvec_array_out(A, x):
    return np.tanh(A @ x) + x[:1]


_case(matvec_array_out, (_r(231, 3, 4), _r(232, 4)), (_r(233, 2, 2), _r(234, 2)),
      (_r(235, 4, 3), _r(236, 3)), output="array")


def normalize_array_out(x):
    return x / np.linalg.norm(x)


_case(normalize_array_out, (_r(237, 4),), (_r(238, 3),), (_r(239, 2, 2),), output="array")


def softmax_array_out(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


_case(softmax_array_out, (_r(240, 4),), (_r(241, 6, lo=-3, hi=3),), (_r(242, 3),), output="array")


def outer_array_out(x, y):
    return np.outer(x, y) + np.expand_dims(x, 1) * 2.0


_case(outer_array_out, (_r(243, 3), _r(244, 2)), (_r(245, 2), _r(246, 4)), (_r(247, 4), _r(248, 1)),
      output="array")


def python_operators_on_arrays(x, y):
    """Builtins and operators whose scalar rules use `if`/`math` take NumPy's on arrays."""
    a = abs(x) * y ** 2
    b = (x * x + 1.0) ** y
    return np.sum(a + b + np.maximum(x, y) % 3.0)


_case(python_operators_on_arrays,
      (_away(301, 4), _away(302, 4)), (_away(303, 3), _away(304, 3)), (_away(305, 5), _away(306, 5)))


def item_writes(x, y):
    """Writes into new arrays: zeros, and a copy of a parameter."""
    z = np.zeros(4)
    z[0] = x[1] * y
    z[1:3] = np.sin(x[:2])
    z[3] += y * y
    x = x.copy()
    x[0] = 5.0
    return np.sum(z * z) + np.sum(x * x)


_case(item_writes, (_r(311, 3), 0.7), (_r(312, 3), -0.4), (_r(313, 3), 1.3))


def item_writes_in_loop(x):
    """A prefix sum written item by item, reading earlier items back."""
    h = np.zeros(len(x))
    for i in range(len(x)):
        h[i] = x[i] * x[i]
        if i > 0:
            h[i] += h[i - 1]
    return np.sum(h * x)


_case(item_writes_in_loop, (_r(314, 4),), (_r(315, 5),), (_r(316, 3),))
