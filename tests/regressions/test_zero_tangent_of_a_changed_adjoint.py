"""The Hessian of ``y[i] += ...; y[i] *= x[i]`` in a loop crashed inside its generated
code (``_setitem`` of the scalar ``0.0``): the adjoint ``y_bar = np.full_like(y, 1.0)``
has a zero tangent, which its item writes change later, so that tangent must be
zeros of its shape, not the number 0.0."""

import numpy as np

import s2sdiff
from tests.fd import fd_array_gradient


def augmented_items(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] += x[i] * 2.0
        y[i] *= x[i]
    return np.sum(y)


def test_the_hessian_of_augmented_item_writes_is_four_times_the_identity():
    x = np.linspace(0.1, 1.0, 5)
    got = s2sdiff.hessian(augmented_items)(x)
    g = s2sdiff.grad(augmented_items)
    want = np.array([fd_array_gradient(lambda v, k=k: g(v)[k], x) for k in range(5)])
    assert got.shape == (5, 5)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, 4.0 * np.eye(5), rtol=1e-12)
