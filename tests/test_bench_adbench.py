"""The objectives of benchmarks/bench_adbench.py at tiny sizes: s2sdiff's gradient
against central finite differences, element by element.

Formulations s2sdiff does not support yet are strict xfails naming its error:
once support lands they pass, the xfail turns into a failure, and the mark
is to be removed.
"""

import numpy as np
import pytest

from s2sdiff import grad
from tests.benchmark_scripts import load
from tests.fd import fd_argument_gradient

B = load("bench_adbench")

TINY = {  # objective's name → (arguments maker at a tiny size, wrt)
    "gmm_objective": (lambda rng: B.gmm_args(rng, d=3, k=2, n=20), (0, 1, 2)),
    "gmm_objective_vectorised": (lambda rng: B.gmm_args(rng, d=3, k=2, n=20), (0, 1, 2)),
    "ba_objective": (lambda rng: B.ba_args(rng, n=2, m=5, p=8), (0, 1, 2)),
    "ba_objective_loop": (lambda rng: B.ba_args(rng, n=2, m=5, p=8), (0, 1, 2)),
    "lstm_objective": (lambda rng: B.lstm_args(rng, layers=2, b=3, steps=4), (0, 1, 2)),
    "lstm_objective_items": (lambda rng: B.lstm_args(rng, layers=2, b=3, steps=4), (0, 1, 2)),
    "lstm_objective_array": (lambda rng: B.lstm_args(rng, layers=2, b=3, steps=4), (0, 1, 2)),
    "least_squares": (lambda rng: B.least_squares_args(rng, rows=20, cols=4), (0,)),
    "exp_fit": (lambda rng: B.exp_fit_args(rng, points=20), (0,)),
    "rk4_lotka_volterra": (lambda rng: B.rk4_lotka_volterra_args(rng, steps=20), (0, 1)),
    "rk4_oscillator": (lambda rng: B.rk4_oscillator_args(rng, steps=20), (0, 1, 2, 3)),
}

UNSUPPORTED: dict = {}  # objective's name → (the exception s2sdiff gives today, its message)


def _params():
    for name in TINY:
        if name in UNSUPPORTED:
            error, reason = UNSUPPORTED[name]
            yield pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=error,
                                                             reason=reason), id=name)
        else:
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_gradient_matches_finite_differences(name):
    make_args, wrt = TINY[name]
    f = getattr(B, name)
    args = make_args(np.random.default_rng(1))
    got = grad(f, wrt=wrt)(*args)
    assert len(got) == len(wrt)
    for g, i in zip(got, wrt):
        want = fd_argument_gradient(f, args, i)
        scale = max(1.0, float(np.max(np.abs(want))))
        np.testing.assert_allclose(np.asarray(g), want, rtol=1e-6, atol=1e-7 * scale,
                                   err_msg=f"{name}: gradient in argument {i}")


def test_every_formulation_of_the_benchmark_is_tested():
    names = {f.__name__ for case in B.CASES for f in case.formulations}
    assert names == set(TINY)
