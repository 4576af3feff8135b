"""A bounded run of the differential fuzzer (the long one: ``python -m fuzz``)."""

import math
import random
import warnings

import pytest

from fuzz import arbitrary, check, programs

SEED = 20240
N_PROGRAMS = 100
N_ARBITRARY = 100


def _core():
    import s2sdiff

    if not hasattr(s2sdiff, "grad"):
        pytest.skip("the reverse-mode core (s2sdiff.grad) is not there yet")
    return check.Core()


def test_generator_is_reproducible():
    for seed in (0, 1, 17, 12345):
        assert programs.generate(seed).source == programs.generate(seed).source
        assert arbitrary.generate(seed) == arbitrary.generate(seed)
    assert programs.generate(1).source != programs.generate(2).source


def test_generated_programs_run_under_plain_python():
    seen = set()
    rng = random.Random(0)
    for seed in range(300):
        prog = programs.generate(seed)
        seen |= prog.constructs
        ns = {}
        exec(compile(prog.module_source(), f"<program {seed}>", "exec"), ns)  # noqa: S102
        for _ in range(3):
            value = ns["f"](*(rng.uniform(-2, 2) for _ in range(prog.nparams)))
            assert isinstance(value, (int, float)) and math.isfinite(value), (seed, value)
    expected = {"if", "elif", "else", "for", "while", "while-true", "break", "continue", "early-return",
                "tuple-assign", "swap", "augassign", "ifexp", "call", "kwarg", "default", "minmax",
                "math", "pow", "div", "neg", "shadow", "param-reassign", "boolop", "kwonly"}
    assert expected <= seen, expected - seen


def test_arbitrary_functions_compile():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # the programs are odd on purpose
        for seed in range(100):
            compile(arbitrary.generate(seed), f"<arbitrary {seed}>", "exec")


def test_fuzzer_catches_and_shrinks_a_wrong_derivative(tmp_path):
    # a stand-in core that is wrong on every program using math.erfc
    core = check.load_core("fake", bug="math.erfc(")
    progs = [programs.generate(s) for s in range(40)]
    outcomes = check.check_batch(progs, core)
    wrong = [(p, o) for p, o in zip(progs, outcomes) if o.kind == "wrong" and "math.erfc(" in p.source]
    assert len(wrong) >= 5
    prog, out = wrong[0]
    small = check.shrink_program(prog, out, core)
    assert "math.erfc(" in small and len(small) < len(prog.module_source())
    path = check.save_regression(prog.seed, small, out, check.points_for(prog.seed, prog.nparams), tmp_path)
    text = path.read_text()
    assert f"fuzz seed: {prog.seed}" in text and f"def test_fuzz_{prog.seed}()" in text
    compile(text, str(path), "exec")


def test_bounded_run_programs(monkeypatch):
    # The SymPy share of the fuzzer runs in long runs (python -m fuzz); here time is short,
    # and tests/test_verify.py covers the checker.
    monkeypatch.setattr(check, "SYMPY_EVERY", 10**9)
    core = _core()
    tally = check.Tally()
    progs = [programs.generate(s) for s in range(SEED, SEED + N_PROGRAMS)]
    for start in range(0, N_PROGRAMS, 50):
        batch = progs[start:start + 50]
        for prog, out in zip(batch, check.check_batch(batch, core)):
            tally.add(prog.seed, out)
    failures = [(seed, o.kind, o.detail) for seed, o in tally.failures]
    assert not failures, f"{tally.counts}; reproduce with python -m fuzz --one SEED: {failures[:5]}"


def test_bounded_run_arbitrary():
    core = _core()
    failures = []
    for seed in range(SEED, SEED + N_ARBITRARY):
        out = arbitrary.check(arbitrary.generate(seed), core)
        if out.kind not in ("differentiated", "rejected", "skipped"):
            failures.append((seed, out.kind, out.detail))
    assert not failures, f"reproduce with python -m fuzz --one SEED --kind arbitrary: {failures[:5]}"


def _rounding_branch(x):
    """Found by the fuzzer (seed 91173, shrunk): ``r < c`` with ``c = (q + r) - q``
    is decided by rounding, so at x = -1.97662 the point alone takes the ``s``
    branch while x ± h take the other one."""
    w = (0.03 / (2.0 + math.cos(x))) ** 2
    b, s = x + w, w
    c = b - x
    return x * (s if w < c else 0.5)


def test_a_point_that_alone_takes_another_branch_is_skipped():
    from fuzz import check

    point = (-1.97662,)
    right_here = (_rounding_branch(point[0] + 1e-9) - _rounding_branch(point[0])) / 1e-9
    assert check._compare(_rounding_branch, point, (right_here,), 1) is False
    def smooth(x):  # no branch: still compared, and a wrong partial still found
        return x * math.sin(x)

    right = math.sin(0.3) + 0.3 * math.cos(0.3)
    assert check._compare(smooth, (0.3,), (right,), 1) is True
    assert isinstance(check._compare(smooth, (0.3,), (right + 0.1,), 1), str)


def test_the_second_order_check_finds_a_wrong_hessian_vector_product():
    core = _core()

    def f(x, y):
        return math.sin(x * y) + x ** 3

    g = core.grad(f, wrt=(0, 1))
    points = [(0.3, 0.5), (1.1, -0.4)]
    assert check._second_order(g, points, 2, core) is None

    class Off:  # jvp whose first partial is 0.1% off
        jvp = None

        def __init__(self):
            def jvp(fn, wrt):
                right = core.jvp(fn, wrt=wrt)
                return lambda *args: (lambda r: (r[0], (r[1][0] * 1.001, r[1][1])))(right(*args))

            self.jvp = jvp

    assert "jvp(grad(f)) d/dx" in check._second_order(g, points, 2, Off())

    class OffBack:  # reverse over reverse whose second adjoint is 0.1% off
        def __init__(self):
            self.jvp = core.jvp

            def vjp(fn, wrt):
                right = core.vjp(fn, wrt=wrt)

                def call(*args):
                    value, pullback = right(*args)
                    return value, lambda w: (lambda r: (r[0], r[1] * 1.001))(pullback(w))

                return call

            self.vjp = vjp

    assert "vjp(grad(f))" in check._second_order(g, points, 2, OffBack())
