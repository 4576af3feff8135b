"""The check of benchmarks/bench_numba.py, without its timings: for every function,
the hand-written gradient against finite differences, and s2sdiff's gradient (in
Python and under Numba), JAX's jitted gradient, f under Numba and under JAX
against it.
"""

import math

import pytest

from tests.benchmark_scripts import load

pytest.importorskip("numba", reason="bench_numba compares Numba-compiled code: numba missing")
pytest.importorskip("jax", reason="bench_numba compares JAX's jitted gradient: jax missing")

B = load("bench_numba")


@pytest.fixture(scope="module")
def candidates():
    """case → its candidates (compiled once for the module's tests)."""
    jax_fns = B.jax_versions()
    made = {}

    def of(case):
        if case.name not in made:
            made[case.name] = B.candidates(case, jax_fns)
        return dict(made[case.name])

    return of


@pytest.mark.parametrize("case", B.CASES, ids=[c.f.__name__ for c in B.CASES])
def test_every_gradient_agrees(case, candidates):
    B.check(case, candidates(case))


def test_the_check_fails_on_a_wrong_gradient(candidates):
    case = B.CASES[1]
    calls = candidates(case)
    right = calls["s2sdiff jit"]
    calls["s2sdiff jit"] = lambda *args: tuple(g * (1 + 1e-6) for g in right(*args))
    with pytest.raises(AssertionError, match="s2sdiff jit gives"):
        B.check(case, calls)


def test_the_hand_written_hessian_is_the_derivative_of_the_force():
    point, h = (0.7, -0.4), 1e-6
    hxx, hxy, hyy = B.potential_hessian(*point)
    up = B.potential_gradient(point[0] + h, point[1])
    down = B.potential_gradient(point[0] - h, point[1])
    assert math.isclose(hxx, (up[0] - down[0]) / (2 * h), rel_tol=1e-7)
    assert math.isclose(hxy, (up[1] - down[1]) / (2 * h), rel_tol=1e-7)
    up = B.potential_gradient(point[0], point[1] + h)
    down = B.potential_gradient(point[0], point[1] - h)
    assert math.isclose(hyy, (up[1] - down[1]) / (2 * h), rel_tol=1e-7)
    assert B.potential_gradient(*point) == pytest.approx(B.field(*point), rel=1e-12)
