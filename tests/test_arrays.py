"""Every transform on array functions, with JAX's shapes, against finite differences.

For each function of the NumPy corpus (first point): ``jacfwd`` and ``jacrev``
against a finite-difference Jacobian of shape ``out.shape + x.shape``;
``hessian`` and ``jacobian(grad(f))`` against finite differences of the
gradient (shape ``x.shape + y.shape``); ``grad(mode="forward")`` against
reverse mode.  Then what a transform must refuse on arrays, and what stays
the same type.
"""

from __future__ import annotations

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacfwd, jacobian, jacrev, jvp, value_and_grad, vjp
from tests.corpus_numpy import NUMPY_CORPUS

H = 1e-6
CASES = [pytest.param(c, id=c.name) for c in NUMPY_CORPUS]
SCALAR = [pytest.param(c, id=c.name) for c in NUMPY_CORPUS if c.output == "scalar"]

# Hessians that are refused with a clear error, not computed (and why).
NO_HESSIAN: dict = {}  # cases whose Hessian is refused (none now), and why


def fd_jacobian(f, args, i, h=H):
    """∂f/∂args[i] by central differences, shaped ``f(args).shape + args[i].shape``."""
    x = np.asarray(args[i], dtype=float)
    columns = []
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = h
        up, down = list(args), list(args)
        up[i] = x + step if x.shape else float(x) + h
        down[i] = x - step if x.shape else float(x) - h
        columns.append((np.asarray(f(*up), dtype=float) - np.asarray(f(*down), dtype=float))
                       / (2 * h))
    out = np.shape(f(*args))
    stacked = np.reshape(columns, (len(columns),) + out)
    return np.moveaxis(stacked, 0, -1).reshape(out + x.shape)


def assert_block(got, expected, rtol=1e-5, atol=1e-6):
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("transform", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_matches_finite_differences(case, transform):
    point = case.points[0]
    blocks = transform(case.fn, wrt=case.wrt)(*point)
    assert len(blocks) == len(case.wrt)
    for block, i in zip(blocks, case.wrt):
        assert_block(block, fd_jacobian(case.fn, point, i))


@pytest.mark.parametrize("case", SCALAR)
def test_hessian_matches_finite_differences_of_the_gradient(case):
    point = case.points[0]
    if case.name in NO_HESSIAN:
        with pytest.raises(S2SDiffError):
            hessian(case.fn, wrt=case.wrt)(*point)
        return
    blocks = hessian(case.fn, wrt=case.wrt)(*point)
    gradient = grad(case.fn, wrt=case.wrt)
    for a in range(len(case.wrt)):
        for b, j in enumerate(case.wrt):
            expected = fd_jacobian(lambda *args, a=a: gradient(*args)[a], point, j)
            assert_block(blocks[a][b], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", SCALAR)
def test_jacobian_of_grad_is_the_hessian(case):
    if case.name in NO_HESSIAN:
        return
    point = case.points[0]
    blocks = hessian(case.fn, wrt=case.wrt)(*point)
    for b, j in enumerate(case.wrt):
        column = jacobian(grad(case.fn, wrt=case.wrt), wrt=j)(*point)
        for a in range(len(case.wrt)):
            assert_block(column[a], blocks[a][b], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", SCALAR)
def test_forward_mode_gradient_equals_reverse(case):
    point = case.points[0]
    forward = grad(case.fn, wrt=case.wrt, mode="forward")(*point)
    for got, want in zip(forward, grad(case.fn, wrt=case.wrt)(*point)):
        assert_block(got, want, rtol=1e-10, atol=1e-12)


# --- the cases of the issue -----------------------------------------------------


def double(x):
    return 2.0 * x


def sin_times(x):
    return np.sin(x) * x


def matvec(A, x):
    return A @ x


def two_outputs(x):
    return np.sin(x), 2.0 * x


def operators_only(x, y):
    return x * y + x / (1.0 + y * y)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def constant_output(x):
    return np.ones(3)


def test_the_jacobian_of_an_elementwise_function_is_diagonal():
    x = np.array([1.0, 3.0])
    np.testing.assert_array_equal(jacobian(double)(x), 2.0 * np.eye(2))
    np.testing.assert_array_equal(jacrev(double)(x), 2.0 * np.eye(2))
    v = np.linspace(0.1, 0.9, 5)
    np.testing.assert_allclose(jacobian(sin_times)(v), np.diag(np.cos(v) * v + np.sin(v)))


def test_jacobians_of_matvec_and_of_two_outputs():
    A, x = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(jacobian(matvec, wrt=1)(A, x), A)
    assert jacobian(matvec, wrt=0)(A, x).shape == (2, 2, 3)
    sines, doubled = jacobian(two_outputs)(x)
    np.testing.assert_allclose(sines, np.diag(np.cos(x)))
    np.testing.assert_array_equal(doubled, 2.0 * np.eye(3))


def test_operator_only_code_on_arrays_unbroadcasts():
    """No NumPy call: code for numbers would not sum ``y``'s adjoint back."""
    x, y = np.array([0.5, 1.5, -2.0]), 0.7
    _, pullback = vjp(operators_only, wrt=(0, 1))(x, y)
    ct = np.array([1.0, -2.0, 0.5])
    x_bar, y_bar = pullback(ct)
    assert np.shape(y_bar) == ()
    assert y_bar == pytest.approx(np.sum(ct * fd_jacobian(operators_only, (x, y), 1)))
    np.testing.assert_allclose(x_bar, ct @ fd_jacobian(operators_only, (x, y), 0), rtol=1e-6)


def test_rosenbrock_hessian_and_a_newton_step():
    x = np.array([-1.2, 1.0, 0.5])
    H = hessian(rosenbrock)(x)
    expected = fd_jacobian(grad(rosenbrock), (x,), 0)
    assert_block(H, expected, rtol=1e-5, atol=1e-4)
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(20, 3)), (rng.random(20) > 0.5) * 1.0, np.zeros(3)
    for _ in range(8):  # Newton's method converges quadratically on the logistic loss
        w = w - np.linalg.solve(hessian(logistic_loss)(w, X, y), grad(logistic_loss)(w, X, y))
    assert np.max(np.abs(grad(logistic_loss)(w, X, y))) < 1e-10


def test_grad_of_an_array_output_is_refused():
    with pytest.raises(S2SDiffError, match="use jacobian or vjp"):
        grad(double)(np.array([1.0, 3.0]))
    with pytest.raises(S2SDiffError, match="use jacobian or vjp"):
        value_and_grad(sin_times)(np.array([1.0, 3.0]))
    with pytest.raises(S2SDiffError, match="use jacobian or vjp"):
        hessian(sin_times)(np.array([1.0, 3.0]))
    assert grad(double)(1.5) == 2.0  # on a number it is a gradient


def test_jvp_of_an_output_that_does_not_vary_is_zeros_of_its_shape():
    value, tangent = jvp(constant_output)(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    np.testing.assert_array_equal(tangent, np.zeros(3))


def test_integer_arrays_are_refused_as_wrt():
    with pytest.raises(S2SDiffError, match="floating-point arrays"):
        grad(rosenbrock)(np.array([1, 2, 3]))


def test_float32_stays_float32():
    x = np.array([0.5, 1.5, 2.0], dtype=np.float32)
    assert jacobian(sin_times)(x).dtype == np.float32
    assert jacrev(sin_times)(x).dtype == np.float32
    assert grad(rosenbrock)(x).dtype == np.float32


def test_code_is_generated_per_signature():
    """Numbers get the generic code; each signature with arrays gets its own."""
    g = jacobian(operators_only, wrt=(0, 1))
    assert g.specialised(0.5, 0.7) is g.__wrapped__
    on_arrays = g.specialised(np.ones(3), 0.7)
    assert on_arrays is not g.__wrapped__ and "_unit_vectors" in on_arrays.source
    assert g.specialised(np.ones(5), 0.1) is on_arrays  # sizes are not part of a signature
    assert g.specialised(np.ones((1, 3)), 0.1) is not on_arrays  # a dimension of length 1 is
    assert g(0.5, 0.7) == (pytest.approx(0.7 + 1 / 1.49), pytest.approx(0.5 - 0.5 * 1.4 / 1.49 ** 2))


# --- lists and arrays built inside loops and branches ---------------------------------------


def rotations(angles, p):
    """3×3-style rotation matrices built from scalars, one per loop trip (hand tracking)."""
    total = 0.0
    for k in range(angles.shape[0]):
        c, s = np.cos(angles[k]), np.sin(angles[k])
        R = np.array([[c, -s], [s, c]])
        total = total + np.sum((R @ p) ** 2 * (k + 1.0) + R[0] * p)
    return total


def euler_ode(y0, k):
    """A right-hand side joining arrays, in the loop of an integrator."""
    y = y0
    for _ in range(4):
        dy = np.concatenate([y[1:], -k * y[:1]])
        y = y + 0.1 * dy
    return np.sum(y ** 2)


def stacked_in_branches(x, y):
    if np.sum(x) > 0:
        v = np.stack([x, y * x])
    else:
        v = np.stack([y * x, x])
    return np.sum(v ** 2)


def joined_after_early_return(x, y):
    if np.sum(x) > 100.0:
        return np.sum(np.concatenate([x, x]))
    z = np.concatenate([x * y, np.sin(x)])
    return np.sum(z ** 3)


BUILT_INSIDE = [
    (rotations, (np.array([0.1, 0.7, 1.3]), np.array([1.0, 2.0]))),
    (euler_ode, (np.array([1.0, 0.5, -0.3]), 2.0)),
    (stacked_in_branches, (np.array([0.5, -0.2]), 1.5)),
    (stacked_in_branches, (np.array([-0.5, -0.2]), 1.5)),
    (joined_after_early_return, (np.array([0.5, -0.2]), 1.5)),
]


@pytest.mark.parametrize("fn,args", BUILT_INSIDE, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("transform", [jacfwd, jacrev, grad], ids=["jacfwd", "jacrev", "grad"])
def test_arrays_built_inside_loops_and_branches(fn, args, transform):
    got = transform(fn, wrt=(0, 1))(*args)
    for block, i in zip(got, (0, 1)):
        assert_block(block, fd_jacobian(fn, args, i))


@pytest.mark.parametrize("fn,args", BUILT_INSIDE, ids=lambda v: getattr(v, "__name__", ""))
def test_hessians_of_arrays_built_inside_loops_and_branches(fn, args):
    blocks = hessian(fn, wrt=(0, 1))(*args)
    gradient = grad(fn, wrt=(0, 1))
    for a in (0, 1):
        for b in (0, 1):
            expected = fd_jacobian(lambda *xs, a=a: gradient(*xs)[a], args, b)
            assert_block(blocks[a][b], expected, rtol=1e-4, atol=1e-5)


def named_list_in_loop(x):
    total = 0.0
    for _ in range(2):
        parts = [x, 2.0 * x]
        total = total + np.sum(parts[0] * parts[1])
    return total


def test_a_named_list_in_a_loop_that_is_only_read_is_a_value():
    """(It was refused; a list that may change still is, see
    tests/test_lists_in_loops_and_branches.py.)"""
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(grad(named_list_in_loop)(x), 8.0 * x)


def items_written_in_loop(x, w):
    hiddens = []
    for i in range(2):
        hiddens.append(x * (i + 1.0))
    for t in range(3):
        for i in range(2):
            hiddens[i] = np.tanh(hiddens[i] * w)
    return np.sum(hiddens[0] + hiddens[1])


def test_a_list_changed_item_by_item_in_a_loop_is_differentiated():
    """It ran NumPy's result_type on a list (a crash inside NumPy); then it was refused;
    now each write makes a new version of the list (tests/test_list_items_in_loops.py)."""
    x, w, h = np.array([0.3, -0.2]), 0.7, 1e-6
    gx, gw = grad(items_written_in_loop, wrt=(0, 1))(x, w)
    fw = (items_written_in_loop(x, w + h) - items_written_in_loop(x, w - h)) / (2 * h)
    fx = [(items_written_in_loop(x + h * e, w) - items_written_in_loop(x - h * e, w)) / (2 * h)
          for e in np.eye(2)]
    np.testing.assert_allclose(gx, fx, rtol=1e-6)
    assert gw == pytest.approx(fw, rel=1e-6)
