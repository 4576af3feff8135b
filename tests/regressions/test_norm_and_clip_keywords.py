"""Found by a probe of NumPy calls in the style of autograd's checks.

- ``np.sum(np.linalg.norm(x, axis=1))``: a NumPy broadcasting error in the
  gradient.  The adjoint of ``np.sum`` (one number for every element) was
  spread to the norm's shape before ``_keep`` put the reduced axis back, and
  ``_keep`` was dropped because ``_spread``'s abstract value was taken for a
  number where the norm's was not known (now: unknown, and the norm's is known).
- ``np.clip(x, a_min=..., a_max=...)`` and NumPy 2's ``min=``/``max=``: refused
  ("no derivative rule for np.clip (called with 1 argument)"); keywords of an
  elementwise function with a rule now bind to their positions.
- ``np.linalg.norm(x, np.inf)``: its Hessian was refused, the ord "not written as
  a constant"; a module-level number (``np.inf``) is now read as the constant it is.
"""

import numpy as np
import pytest

from s2sdiff import grad, hessian, jacfwd


def norm_rows(x):
    return np.sum(np.linalg.norm(x, axis=1))


def norm_columns_kept(x):
    return np.sum(np.linalg.norm(x, axis=0, keepdims=True) * x)


def norm_order_three(x):
    return np.sum(np.linalg.norm(x, 3, 1))


def clip_keywords(x):
    return np.sum(np.clip(x, a_min=-0.2, a_max=0.4) ** 2)


def clip_numpy2_keyword(x):
    return np.sum(np.clip(x, min=-0.3) ** 2)


def clip_mixed(x):
    return np.sum(np.clip(x, -0.2, a_max=0.4) ** 2)


def _fd(f, x, h=1e-6):
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        out[k] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("f", [norm_rows, norm_columns_kept, norm_order_three, clip_keywords,
                               clip_numpy2_keyword, clip_mixed])
def test_gradient_and_forward_jacobian_match_finite_differences(f):
    x = np.random.default_rng(1).normal(size=(3, 4))
    fd = _fd(f, x)
    np.testing.assert_allclose(grad(f)(x), fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jacfwd(f)(x), fd, rtol=1e-6, atol=1e-8)


def infinity_norms(x):
    return np.linalg.norm(x, np.inf) + np.linalg.norm(x, ord=np.inf) ** 2


def test_an_ord_written_as_np_inf_is_a_constant_for_the_hessian():
    x = np.array([0.3, -1.2, 0.5, 0.9, -0.2])
    g = grad(infinity_norms)
    want = np.array([(g(x + h) - g(x - h)) / 2e-6 for h in 1e-6 * np.eye(5)])
    np.testing.assert_allclose(hessian(infinity_norms)(x), want, atol=1e-6)
