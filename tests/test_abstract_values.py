"""The abstract value ``types.infer`` gives a call equals that of its result.

For each differentiated NumPy/SciPy function (and the adjoint helpers their
rules emit), a small representative call on float64 arrays (and on float32
ones: dtypes are checked too), some with a dimension of length 1: the inferred abstract value must be the one of the
result NumPy computes (``types.abstract``), so a missing rule (None) and a wrong
one both fail.  Where a length truly cannot be told from the arguments' abstract
values (``np.diff`` of 3 or of 2 items), the case lists that dimension as
unknown.  Then the gradients of composite functions, whose adjoints flow
through those helpers into a broadcast product, are written without a generic
``_unbroadcast(`` and match central differences.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special

from s2sdiff import grad
from s2sdiff.back import specialise
from s2sdiff.ir import library_types  # noqa: F401  (registers the library rules)
from s2sdiff.ir import nodes as ir
from s2sdiff.ir import types
from s2sdiff.rules import joining, linalg, shaping, signal
from s2sdiff.rules import numpy as rules
from tests.test_arrays import fd_jacobian

R = np.random.default_rng(0)
A = R.normal(size=(3, 4))
V = R.normal(size=4)
W = R.normal(size=3)
C = R.normal(size=(3, 1))
ROW = R.normal(size=(1, 4))
B = R.normal(size=(2, 3, 4))
S = R.normal(size=(3, 3))
S = S @ S.T + 3 * np.eye(3)
L = np.linalg.cholesky(S)
P = R.random((3, 4)) + 0.5
specialise._helpers()  # (registers the abstract values of the helpers it rewrites)


def inferred(fn, *args, **kwargs):
    """``types.infer``'s abstract value of ``fn(*args, **kwargs)``: arrays (and lists
    of arrays) are values of their abstract values, the rest constants."""
    env, body, atoms = {}, [], []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            env[f"a{i}"] = types.abstract(a)
            atoms.append(ir.Var(f"a{i}"))
        elif isinstance(a, list) and a and isinstance(a[0], np.ndarray):
            items = []
            for j, x in enumerate(a):
                env[f"a{i}_{j}"] = types.abstract(x)
                items.append(ir.Var(f"a{i}_{j}"))
            body.append(ir.Assign(f"list{i}", ir.Op(list, tuple(items), "list")))
            atoms.append(ir.Var(f"list{i}"))
        else:
            atoms.append(ir.Const(a))
    kwargs = tuple((k, ir.Const(v)) for k, v in kwargs.items())
    syntax = "subscript" if fn is operator.getitem else "call"  # (x[index])
    body.append(ir.Assign("r", ir.Op(fn, tuple(atoms), syntax, kwargs=kwargs)))
    return types.infer(ir.Function("f", tuple(env), tuple(body), ir.Var("r")), env)["r"]


def expected(value, unknown=()):
    """The abstract value of ``value`` (a list's: a tuple of its items'), with the
    dimensions in ``unknown`` not known."""
    if isinstance(value, (list, tuple)):
        return tuple(expected(v) for v in value)
    found = types.abstract(value)
    if unknown:
        found = types.Arr(found.dtype, tuple(None if i in unknown else o
                                             for i, o in enumerate(found.ones)))
    return found


def case(fn, *args, unknown=(), **kwargs):
    name = getattr(fn, "__name__", str(fn))
    return pytest.param(fn, args, kwargs, unknown, id=f"{name}-{len(CASES)}")


CASES: list = []
CASES += [
    # reductions
    case(np.sum, A), case(np.sum, A, 0), case(np.sum, C, axis=1, keepdims=True),
    case(np.mean, A, axis=-1), case(np.prod, A, 1), case(np.max, A, axis=0), case(np.amin, A),
    case(np.std, A, 0), case(np.var, C), case(np.linalg.norm, A), case(np.linalg.norm, A, axis=1),
    case(scipy.special.logsumexp, A), case(scipy.special.logsumexp, A, axis=1),
    case(scipy.special.logsumexp, A, axis=0, keepdims=True),
    case(np.argmax, A), case(np.argmin, A, 0), case(np.all, A > 0), case(np.any, A > 0, 1),
    # shaping
    case(np.cumsum, A, 1), case(np.cumsum, A), case(np.cumprod, C, axis=0), case(np.ravel, A),
    case(np.ravel, C), case(np.reshape, A, (4, 3)), case(np.reshape, A, -1),
    case(np.transpose, A), case(np.permute_dims, B, (2, 0, 1)), case(np.moveaxis, B, 0, -1),
    case(np.swapaxes, B, 0, 2), case(np.rollaxis, B, 2), case(np.rot90, A),
    case(np.expand_dims, A, 1), case(np.squeeze, C), case(np.atleast_1d, V),
    case(np.atleast_2d, V), case(np.atleast_3d, A), case(np.flip, A), case(np.fliplr, A),
    case(np.flipud, A), case(np.roll, A, 1), case(np.sort, A), case(np.partition, V, 2),
    case(np.concatenate, [A, A]), case(np.concatenate, [A, ROW], unknown=(0,)),
    case(np.concatenate, [A, C], 1, unknown=(1,)), case(np.concat, [A, A], axis=1),
    case(np.stack, [V, V]), case(np.hstack, [A, A]), case(np.vstack, [A, ROW], unknown=(0,)),
    case(np.dstack, [A, A]), case(np.column_stack, [V, V]), case(np.append, V, V),
    case(np.append, A, A, 0), case(np.repeat, V, 2), case(np.repeat, A, 2, axis=1),
    case(np.tile, V, 2), case(np.kron, A, C), case(np.pad, A, 1),
    case(np.diff, V, unknown=(0,)), case(np.diff, A, axis=0, unknown=(0,)),
    case(np.delete, A, 1, 0, unknown=(0,)), case(np.delete, V, 1, unknown=(0,)),
    case(np.diag, V), case(np.diag, A), case(np.diagonal, A), case(np.trace, A),
    case(np.tril, A), case(np.triu, S),
    case(operator.getitem, C, (slice(None), slice(None, 3))), case(operator.getitem, C, (slice(-2, None), slice(-3, None))), case(np.select, [A > 0], [A]),
    case(np.where, A > 0, A, C), case(np.where, A > 0, A, 0.0), case(np.copy, A),
    case(np.astype, A, np.float32), case(np.array, A), case(np.asarray, C),
    # products
    case(np.matmul, A, V), case(np.dot, A, V), case(np.dot, V, V), case(np.outer, V, W),
    case(np.inner, A, V), case(np.inner, A, A), case(np.tensordot, A, B, ([1], [2])),
    case(np.tensordot, A, A, 2), case(np.tensordot, B, A, 2), case(np.einsum, "ij,j->i", A, V),
    # linear algebra
    case(np.linalg.inv, S), case(np.linalg.det, S), case(np.linalg.solve, S, W),
    case(np.linalg.solve, S, S), case(np.linalg.solve, S, C), case(np.linalg.cholesky, S),
    case(np.linalg.eigvalsh, S), case(np.linalg.matrix_power, S, 3), case(np.linalg.pinv, A),
    case(np.linalg.svdvals, A), case(scipy.linalg.cholesky, S),
    case(scipy.linalg.solve_triangular, L, W, lower=True),
    # creation
    case(np.zeros, (3, 1)), case(np.ones, 4), case(np.full, (3, 4), 2.0), case(np.full, 3, 2),
    case(np.eye, 3), case(np.linspace, 0.0, 1.0, 5), case(np.linspace, 0.0, 1.0, 1),
    case(np.zeros_like, C), case(np.ones_like, A), case(np.full_like, A, 2.0),
    case(np.empty_like, A),
    # signals, polynomials
    case(np.convolve, V, W), case(np.convolve, V, W, "same"),
    case(np.correlate, V, W, unknown=(0,)), case(np.correlate, V, V, unknown=(0,)), case(np.polyval, V, W), case(np.polyval, V, 2.0),
    case(np.polyder, V, unknown=(0,)), case(np.polyder, V[:1]), case(np.polyder, V, 0),
    # elementwise
    case(np.abs, A), case(np.arctan2, A, C), case(np.clip, A, -0.5, 0.5), case(np.cbrt, A),
    case(np.fmax, A, C), case(np.hypot, A, V), case(np.power, P, 2), case(np.square, A),
    case(np.sinc, A), case(np.nan_to_num, A), case(np.round, A), case(np.around, A, 2),
    case(np.isnan, A), case(np.isinf, A), case(np.signbit, A), case(np.isfinite, C),
    case(scipy.special.gammaln, P), case(scipy.special.xlogy, P, P),
    case(scipy.special.softmax, A, axis=1), case(scipy.special.log_softmax, A),
]


def _helper_cases():
    """The adjoint helpers the rules emit, called as the rules call them."""
    g = R.normal(size=(3, 4))
    gs = R.normal(size=(3, 3))
    x = np.linalg.solve(S, W)
    X = np.linalg.solve(S, S)
    return [
        case(rules._unbroadcast, g, C), case(rules._unreduce, V, A, 0, False),
        case(rules._prod_others, A, 0), case(rules._transposed, B),
        case(rules._norm_partial, A, None, 1, np.linalg.norm(A, axis=1, keepdims=True)),
        case(rules._inner_vjp, W, A, V, 0), case(rules._inner_vjp, W, A, V, 1),
        case(rules._tensordot_vjp, R.normal(size=(3, 2, 3)), A, B, ([1], [2]), 0),
        case(rules._tensordot_vjp, R.normal(size=(3, 2, 3)), A, B, ([1], [2]), 1),
        case(rules._solve_vjp, W, S, W, x, 0), case(rules._solve_vjp, W, S, W, x, 1),
        case(rules._solve_vjp, gs, S, S, X, 0), case(rules._solve_vjp, gs, S, S, X, 1),
        case(rules._delete_vjp, R.normal(size=(2, 4)), A, 1, 0),
        case(shaping._cumprod_vjp, g, A, np.cumprod(A, 1), 1),
        case(shaping._on_diagonal, W, A, 0, 0, 1), case(shaping._trace_vjp, 1.5, A, 0, 0, 1),
        case(shaping._tile_vjp, R.normal(size=(3, 8)), A, (1, 2)),
        case(shaping._repeat_vjp, R.normal(size=(6, 4)), A, 2, 0),
        case(shaping._kron_vjp, R.normal(size=(9, 4)), A, C, 0),
        case(shaping._kron_vjp, R.normal(size=(9, 4)), A, C, 1),
        case(shaping._pad_vjp, R.normal(size=(5, 6)), A, 1, "constant"),
        case(shaping._append_vjp, R.normal(size=(6, 4)), A, A, 0, 1),
        case(shaping._hstack_vjp, R.normal(size=(3, 5)), [A, C]),
        case(shaping._vstack_vjp, R.normal(size=(4, 4)), [A, ROW]),
        case(shaping._column_stack_vjp, R.normal(size=(4, 2)), [V, V]),
        case(shaping._select_vjp, A, [A > 0, A < -1], [A, C]),
        case(shaping._piece_adjoint, R.normal(size=2), V, 0, "split", 2),
        case(joining._unstack, R.normal(size=(2, 4)), [V, V], 0),
        case(linalg._cholesky_vjp, gs, L), case(linalg._matrix_power_vjp, gs, S, 3),
        case(linalg._pinv_vjp, R.normal(size=(4, 3)), A, np.linalg.pinv(A)),
        case(linalg._eigh_vjp, S, "L", W, None), case(linalg._eigh_vjp, S, "L", None, gs),
        case(linalg._svd_vjp, A, None, W, None),
        case(linalg._qr_vjp, A.T, None, gs), case(linalg._sym_adjoint, gs, "L"),
        case(linalg._phi, gs), case(linalg._lstsq_vjp, W, A.T, V, W, 0),
        case(linalg._lstsq_vjp, W, A.T, V, W, 1),
        case(signal._convolve_vjp, R.normal(size=6), V, W, "full", 0),
        case(signal._convolve_vjp, R.normal(size=6), V, W, "full", 1),
        case(signal._polyval_vjp_p, W, V, W),
    ]


CASES += _helper_cases()


def _as(dtype, a):
    """``a`` (an array, or a list of arrays) with its float64 arrays of ``dtype``."""
    if isinstance(a, list):
        return [_as(dtype, x) for x in a]
    return a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fn, args, kwargs, unknown", CASES)
def test_inferred_abstract_value_is_the_results(fn, args, kwargs, unknown, dtype):
    args = tuple(_as(dtype, a) for a in args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = expected(fn(*args, **kwargs), unknown)
    assert inferred(fn, *args, **kwargs) == want


def test_a_wrong_rule_would_fail():
    """The check compares dtypes and lengths: a float rule for ``isnan`` fails it."""
    assert inferred(np.isnan, A) != types.Arr("float64", (False, False))
    assert inferred(np.concatenate, [A, C], 1) != expected(np.concatenate([A, C], 1))


# Composite functions: the adjoint of each operation flows into the broadcast
# product ``x * C3``, whose adjoint is summed over axis 1 only if it is known.

C3 = np.abs(R.normal(size=(3, 1))) + 1.0


def through_cumprod(x):
    return np.sum(np.cumprod(x * C3, axis=1) ** 2)


def through_stacks(x):
    y = x * C3
    return np.sum(np.hstack([y, y]) ** 2) + np.sum(np.vstack([y, y ** 2]) * 0.5) \
        + np.sum(np.stack([y, y]) ** 3)


def through_products(x):
    y = x * C3
    return np.sum(np.inner(y, V) ** 2) + np.sum(np.tensordot(y, B.T, 1) ** 2)


def through_linalg(x):
    y = x * C3
    m = y[:, :3]
    a = m @ m.T + S
    return np.sum(np.linalg.solve(a, W) ** 2) + np.linalg.det(a) \
        + np.sum(np.linalg.cholesky(a)) + np.sum(np.linalg.inv(a)) + np.sum(np.trace(a))


def through_decompositions(x):
    y = x * C3
    m = y[:, :3]
    return np.sum(np.linalg.eigvalsh(m + m.T) ** 2) + np.sum(np.linalg.pinv(y) ** 2) \
        + np.sum(np.linalg.svd(y, full_matrices=False)[1]) + np.linalg.norm(y)


def through_shaping(x):
    y = x * C3
    return np.sum(np.tile(y, (2, 1)) ** 2) + np.sum(np.repeat(y, 2, axis=0) ** 2) \
        + np.sum(np.kron(y, S) ** 2) + np.sum(np.pad(y, 1) ** 2) \
        + np.sum(np.append(y, y, axis=0) ** 2) + np.sum(np.delete(y, 1, axis=0) ** 2)


def through_signals(x):
    y = x * C3
    return np.sum(np.convolve(y[0], W) ** 2) + np.sum(np.polyval(y[1], W) ** 2) \
        + np.sum(np.select([y > 3, y < 2], [y, y ** 2], 0.0))


COMPOSITES = [through_cumprod, through_stacks, through_products, through_linalg,
              through_decompositions, through_shaping, through_signals]


@pytest.mark.parametrize("shape", [(3, 4), (1, 4), (3, 1)])
@pytest.mark.parametrize("f", COMPOSITES, ids=lambda f: f.__name__)
def test_composite_gradients_are_specialised(f, shape):
    x = A[:shape[0], :shape[1]].copy()
    try:
        f(x)
    except ValueError:
        pytest.skip(f"{f.__name__} is not defined at shape {shape}")
    transform = grad(f)
    source = transform.specialised(x).source
    body = source[source.index("def grad_"):]
    assert "_unbroadcast(" not in body, body
    got = transform(x)
    np.testing.assert_allclose(got, transform.__wrapped__(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, fd_jacobian(f, (x,), 0), rtol=1e-5, atol=1e-6)
