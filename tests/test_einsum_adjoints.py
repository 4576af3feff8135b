"""Adjoints of ``np.einsum`` written for the operands' abstract values (back/einsums.py).

Each gradient is checked against central finite differences (shapes included)
and against the generic code (``_einsum_vjp`` at run time); where the abstract
values decide it, the specialised code calls no ``_einsum_vjp``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from s2sdiff import grad, hessian, jacfwd, jacrev
from tests.test_arrays import assert_block, fd_jacobian


def _weighted(z):
    """A number from an einsum result of any shape, nonlinear in it."""
    return np.sum(np.tanh(z) * np.cos(np.arange(np.size(z)).reshape(np.shape(z))))


def matmul(a, b):
    return _weighted(np.einsum("ij,jk->ik", a, b))


def matvec(a, b):
    return _weighted(np.einsum("ij,j->i", a, b))


def vecmat(a, b):
    return _weighted(np.einsum("i,ij->j", a, b))


def dot(a, b):
    return np.tanh(np.einsum("i,i->", a, b))


def outer(a, b):
    return _weighted(np.einsum("i,j->ij", a, b))


def batched(a, b):
    return _weighted(np.einsum("bij,bjk->bik", a, b))


def gmm_like(q, c):
    return _weighted(np.einsum("kij,nkj->nki", q, c))


def row_dots(a, b):
    return _weighted(np.einsum("ij,ij->i", a, b))


def elementwise(a, b):
    return _weighted(np.einsum("ij,ij->ij", a, b))


def transposed(a, b):
    return _weighted(np.einsum("ij->ji", a) * b)


def implicit(a, b):
    return _weighted(np.einsum("ji,kj", a, b))


def ellipsis(a, b):
    return _weighted(np.einsum("...ij,...jk->...ik", a, b))


def ellipsis_vector(a, b):
    return _weighted(np.einsum("...i,i->...", a, b))


def three(a, b):
    return _weighted(np.einsum("ij,jk,kl->il", a, b, b.T))


def summed_alone(a, b):
    return _weighted(np.einsum("ij,j->j", a, b))


def trace_of(a, b):
    return _weighted(np.einsum("ii,i->i", a, b))


def diagonal(a, b):
    return _weighted(np.einsum("ii->i", a) * b)


def reshaped(a, b):
    """Lengths computed at run time (as the GMM's Q_k): they may be 1."""
    q = np.reshape(a, (b.shape[1], 2, 2))
    return _weighted(np.einsum("kij,nkj->nki", q, b))


def _r(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


CASES = [  # (fn, args, whether the specialised code still calls _einsum_vjp)
    (matmul, (_r(1, 3, 4), _r(2, 4, 2)), False),
    (matvec, (_r(3, 3, 4), _r(4, 4)), False),
    (vecmat, (_r(5, 3), _r(6, 3, 4)), False),
    (dot, (_r(7, 4), _r(8, 4)), False),
    (outer, (_r(9, 3), _r(10, 2)), False),
    (batched, (_r(11, 2, 3, 4), _r(12, 2, 4, 3)), False),
    (gmm_like, (_r(13, 2, 3, 3), _r(14, 4, 2, 3)), False),
    (row_dots, (_r(15, 3, 4), _r(16, 3, 4)), False),
    (elementwise, (_r(17, 3, 2), _r(18, 3, 2)), False),
    (elementwise, (_r(19, 1, 2), _r(20, 3, 2)), False),  # a length 1 broadcast
    (elementwise, (_r(21, 3, 1), _r(22, 3, 2)), False),
    (batched, (_r(23, 1, 3, 4), _r(24, 2, 4, 3)), False),
    (transposed, (_r(25, 2, 3), _r(26, 3, 2)), False),
    (implicit, (_r(27, 3, 2), _r(28, 4, 3)), False),
    (ellipsis, (_r(29, 2, 3, 4), _r(30, 2, 4, 2)), False),
    (ellipsis, (_r(31, 3, 4), _r(32, 2, 4, 2)), False),
    (ellipsis_vector, (_r(33, 2, 3, 4), _r(34, 4)), False),
    (three, (_r(35, 2, 3), _r(36, 3, 4)), False),
    (summed_alone, (_r(37, 3, 4), _r(38, 4)), True),  # i only in a: the helper for a
    (trace_of, (_r(39, 3, 3), _r(40, 3)), True),  # a diagonal of a: the helper for a
    (diagonal, (_r(41, 3, 3), _r(42, 3)), True),
    (reshaped, (_r(43, 3, 4), _r(44, 5, 3, 2)), False),
    (reshaped, (_r(45, 1, 4), _r(46, 5, 1, 2)), False),
]
IDS = [f"{fn.__name__}-{'x'.join(map(str, args[0].shape))}" for fn, args, _ in CASES]


@pytest.mark.parametrize("fn,args,helper", CASES, ids=IDS)
def test_einsum_adjoints_against_finite_differences(fn, args, helper):
    transform = grad(fn, wrt=(0, 1))
    got = transform(*args)
    for g, i in zip(got, (0, 1)):
        assert_block(g, fd_jacobian(fn, args, i))
    for g, generic in zip(got, transform.__wrapped__(*args)):
        np.testing.assert_allclose(g, generic, rtol=1e-12, atol=1e-14)
    source = Path(transform.specialised(*args).__code__.co_filename).read_text()
    assert ("_einsum_vjp(" in source.split("def grad_")[-1]) == helper


def test_einsum_adjoints_read_as_matrix_products():
    """The GMM's contraction: a batched matrix product per operand, no helper."""
    transform = grad(batched, wrt=(0, 1))
    args = (_r(1, 2, 3, 4), _r(2, 2, 4, 3))
    body = Path(transform.specialised(*args).__code__.co_filename).read_text()
    body = body.split("def grad_")[-1]
    assert "np.transpose(b, (0, 2, 1))" in body and " @ " in body and "_fit(" not in body


def matrix_valued(a, b):
    return np.sin(np.einsum("ij,jk->ik", a, b))


def stack_valued(q, c):
    return np.tanh(np.einsum("kij,nkj->nki", q, c))


@pytest.mark.parametrize("fn,args", [(matrix_valued, (_r(80, 3, 4), _r(81, 4, 2))),
                                     (stack_valued, (_r(82, 2, 3, 3), _r(83, 4, 2, 3)))])
def test_jacobians_through_the_einsum_adjoint(fn, args):
    """jacrev runs the adjoint once per cotangent, or batched (the matrix product)."""
    for jacobian in (jacrev, jacfwd):
        for J, i in zip(jacobian(fn, wrt=(0, 1))(*args), (0, 1)):
            assert_block(J, fd_jacobian(fn, args, i))


def test_second_derivatives_through_the_einsum_adjoint():
    args = (_r(3, 2, 3), _r(4, 3, 2))
    H = hessian(matmul, wrt=0)(*args)
    assert_block(H, fd_jacobian(lambda *a: grad(matmul, wrt=0)(*a), args, 0), rtol=1e-4)


# --- the GMM's other adjoint: a gather by an integer array (repeated indices) ------------


def gather_rows(x, idx):
    return _weighted(x[idx] * x[idx[::-1]])


def gather_columns(x, idx):
    q = np.reshape(x[:, np.reshape(idx, (-1,))], (x.shape[0], 2, 3))
    return _weighted(np.einsum("kij,kj->ki", q, x[:, :3]))


@pytest.mark.parametrize("fn,shape", [(gather_rows, (4, 3)), (gather_rows, (4,)),
                                      (gather_columns, (3, 4)), (gather_columns, (1, 4))])
def test_gathers_by_integer_arrays_with_repeats(fn, shape):
    x = _r(50, *shape)
    idx = np.array([[0, 2, 2], [3, 0, 2]]) if fn is gather_columns else np.array([1, 3, 1, 1, 0])
    got = grad(fn, wrt=0)(x, idx)
    assert_block(got, fd_jacobian(fn, (x, idx), 0))


def split_and_joined(icf, x):
    """As the GMM: parts of ``icf`` read by slices, joined again by np.concatenate."""
    d = x.shape[1]
    log_diag = icf[:, :d]
    padded = np.concatenate((np.exp(log_diag), icf[:, d:], np.zeros((icf.shape[0], 1))), axis=1)
    return _weighted(padded @ padded.T) + np.sum(log_diag ** 2)


def test_pieces_of_a_joined_list_are_known_arrays():
    """The adjoints of the items of a joined list have known abstract values, so the
    adjoint of ``icf`` read by slices accumulates in place (no ``_scatter_add``)."""
    args = (_r(60, 3, 5), _r(61, 4, 2))
    transform = grad(split_and_joined, wrt=0)
    got = transform(*args)
    assert_block(got, fd_jacobian(split_and_joined, args, 0))
    body = Path(transform.specialised(*args).__code__.co_filename).read_text()
    assert "_scatter_add(" not in body.split("def grad_")[-1]


def differences(x, m, w):
    return _weighted(x[:, None, :] - m[None, :, :]) + np.sum(w - np.sum(np.exp(m), axis=1))


def test_a_negated_adjoint_is_summed_before_it_is_negated():
    """``-np.sum(g, axis=0)``, not ``np.sum(-g, axis=0)`` (a temporary of ``g``'s size)."""
    args = (_r(70, 4, 3), _r(71, 2, 3), _r(72, 5, 2))
    transform = grad(differences, wrt=(0, 1, 2))
    got = transform(*args)
    for g, i in zip(got, (0, 1, 2)):
        assert_block(g, fd_jacobian(differences, args, i))
    for g, generic in zip(got, transform.__wrapped__(*args)):
        np.testing.assert_allclose(g, generic, rtol=1e-12, atol=1e-14)
    body = Path(transform.specialised(*args).__code__.co_filename).read_text()
    body = body.split("def grad_")[-1]
    assert "-np.sum(" in body and "np.sum(-" not in body and "+ -" not in body
