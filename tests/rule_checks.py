"""Finite-difference checks of new rules in both modes, shapes included.

``check(f, args, wrt)`` compares, against central differences of ``f``:
``vjp`` with a random cotangent, ``jvp`` with a random tangent, and the
Jacobian in forward and in reverse mode (each with its shape).
"""

from __future__ import annotations

import numpy as np

from s2sdiff import jacobian, jvp, vjp

H = 1e-6


def fd_jacobian(f, args, i):
    """∂f/∂args[i] by central differences, shaped ``out.shape + args[i].shape``."""
    x = np.asarray(args[i], dtype=float)
    out = np.asarray(f(*args))
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = H
        step = step.reshape(x.shape)
        up, down = list(args), list(args)
        up[i], down[i] = x + step, x - step
        if not np.shape(args[i]):
            up[i], down[i] = float(up[i]), float(down[i])
        columns.append((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * H))
    stacked = np.reshape(columns, (x.size,) + out.shape)
    return np.moveaxis(stacked, 0, -1).reshape(out.shape + x.shape)


def check(f, args, wrt=0, rtol=1e-5, atol=1e-7, jacobians=True):
    """The derivatives of ``f`` at ``args`` in ``wrt`` against finite differences."""
    rng = np.random.default_rng(1)
    out, x = f(*args), args[wrt]
    jac = fd_jacobian(f, args, wrt)
    ct = rng.normal(size=np.shape(out)) if np.shape(out) else 1.3
    t = rng.normal(size=np.shape(x)) if np.shape(x) else 0.7
    value, pullback = vjp(f, wrt)(*args)
    np.testing.assert_allclose(value, out, 1e-12, 1e-12)
    bar = pullback(ct)
    assert np.shape(bar) == np.shape(x)
    np.testing.assert_allclose(bar, np.tensordot(ct, jac, np.ndim(out)), rtol, atol)
    value, dot = jvp(f, wrt)(*args, t)
    assert np.shape(dot) == np.shape(out)
    np.testing.assert_allclose(dot, np.tensordot(jac, t, np.ndim(x)), rtol, atol)
    if not jacobians:
        return
    for mode in ("forward", "reverse"):
        got = jacobian(f, wrt, mode=mode)(*args)
        assert np.shape(got) == np.shape(jac), mode
        np.testing.assert_allclose(got, jac, rtol, atol, err_msg=mode)
