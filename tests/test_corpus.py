"""Reverse mode on the whole corpus: gradients against finite differences, plus the API contract.

Per corpus function and point: ``grad`` agrees with central differences and
``value_and_grad`` returns ``f``'s value.  Per function: caching, ``wrt`` by
name vs by index, scalar vs tuple ``wrt``.  Over the whole corpus, in one test
each: the generated source is deterministic across processes, and ``ruff``
finds nothing in it.  Also the decorator forms ``@grad`` and ``@grad(wrt=...)``.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from s2sdiff import grad, value_and_grad
from tests.corpus import CORPUS, Case
from tests.fd import assert_grad_close

REPO = Path(__file__).resolve().parent.parent
CLOSE = {"rel": 1e-12, "abs": 1e-15}  # same arithmetic, possibly reassociated by normalization

POINTS = [pytest.param(case, point, id=f"{case.name}-{k}")
          for case in CORPUS for k, point in enumerate(case.points)]
CASES = [pytest.param(case, id=case.name) for case in CORPUS]


def param_names(case: Case) -> list[str]:
    return list(inspect.signature(case.fn).parameters)


def generated_sources() -> dict[str, str]:
    """Generated gradient source of every corpus function (or the error class name)."""
    sources = {}
    for case in CORPUS:
        try:
            sources[case.name] = grad(case.fn, wrt=case.wrt).source
        except Exception as exc:  # noqa: BLE001  (the per-function tests report it)
            sources[case.name] = f"error: {type(exc).__name__}"
    return sources


@pytest.mark.parametrize("case, point", POINTS)
def test_gradient_matches_finite_differences(case, point):
    assert_grad_close(case.fn, grad(case.fn, wrt=case.wrt), point, case.wrt)


@pytest.mark.parametrize("case, point", POINTS)
def test_value_and_grad(case, point):
    value, gradient = value_and_grad(case.fn, wrt=case.wrt)(*point)
    assert value == pytest.approx(case.fn(*point), **CLOSE)
    assert gradient == pytest.approx(grad(case.fn, wrt=case.wrt)(*point), **CLOSE)


@pytest.mark.parametrize("case", CASES)
def test_cached_and_repeatable(case):
    g = grad(case.fn, wrt=case.wrt)
    assert grad(case.fn, wrt=case.wrt) is g
    point = case.points[0]
    assert g(*point) == g(*point)
    assert isinstance(g.source, str) and g.source
    assert grad(case.fn, wrt=case.wrt).source == g.source


@pytest.mark.parametrize("case", CASES)
def test_wrt_by_name_index_and_tuple_agree(case):
    point = case.points[0]
    names = param_names(case)
    as_tuple = grad(case.fn, wrt=case.wrt)(*point)
    by_names = grad(case.fn, wrt=tuple(names[i] for i in case.wrt))(*point)
    assert isinstance(as_tuple, tuple) and isinstance(by_names, tuple)
    assert by_names == pytest.approx(as_tuple, **CLOSE)
    for i, expected in zip(case.wrt, as_tuple):
        assert grad(case.fn, wrt=i)(*point) == pytest.approx(expected, **CLOSE)
        assert grad(case.fn, wrt=names[i])(*point) == pytest.approx(expected, **CLOSE)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CORPUS if 0 in c.wrt])
def test_default_wrt_is_first_parameter(case):
    point = case.points[0]
    assert grad(case.fn)(*point) == pytest.approx(grad(case.fn, wrt=0)(*point), **CLOSE)


def test_generated_source_is_deterministic_across_processes():
    """A fresh interpreter with another hash seed generates byte-identical modules."""
    script = "import json; from tests.test_corpus import generated_sources; print(json.dumps(generated_sources()))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    run = subprocess.run([sys.executable, "-c", script], check=False, cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == generated_sources()


def test_generated_source_is_ruff_clean(tmp_path):
    """One ruff run over every generated module of the corpus."""
    sources = {name: src for name, src in generated_sources().items() if not src.startswith("error:")}
    assert sources, "no corpus function could be differentiated"
    for name, src in sources.items():
        (tmp_path / f"grad_{name}.py").write_text(src)
    cmd = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
           "--select", "E,F,W", "--ignore", "E501", str(tmp_path)]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


# --- decorator forms (the example of issue 2) -------------------------------------


def _example_partials(x, y):
    """Analytic ∂/∂x and ∂/∂y of (x*y + sin x) * x**3."""
    a = x * y + math.sin(x)
    return (y + math.cos(x)) * x ** 3 + 3.0 * x ** 2 * a, x ** 4


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (-0.5, 0.7), (1.7, -1.1)])
def test_bare_decorator(x, y):
    @grad
    def df(x, y):
        a = x * y + math.sin(x)
        for i in range(3):
            a = a * x
        return a

    assert df(x, y) == pytest.approx(_example_partials(x, y)[0], rel=1e-10)


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (-0.5, 0.7), (1.7, -1.1)])
def test_decorator_with_wrt(x, y):
    @grad(wrt=("x", "y"))
    def dboth(x, y):
        a = x * y + math.sin(x)
        for i in range(3):
            a = a * x
        return a

    @grad(wrt=1)
    def dy(x, y):
        a = x * y + math.sin(x)
        for i in range(3):
            a = a * x
        return a

    expected = _example_partials(x, y)
    result = dboth(x, y)
    assert isinstance(result, tuple)
    assert result == pytest.approx(expected, rel=1e-10)
    assert dy(x, y) == pytest.approx(expected[1], rel=1e-10)
