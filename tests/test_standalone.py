"""Generated gradients are standalone: they run where s2sdiff cannot be imported.

For a few corpus functions (ones that need only ``math``), ``grad(f).source``
is written to a temporary directory and run in a fresh, isolated interpreter
in which ``import s2sdiff`` fails; the printed gradient must equal the
in-process one exactly (it is the same code).
"""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

from s2sdiff import grad
from tests.corpus import CORPUS

STANDALONE = ("three_address", "swap_loop", "if_elif_else", "while_branches", "list_sum",
              "inverse_hyperbolic", "return_in_loop", "break_and_continue")

RUNNER = """\
import sys
sys.modules["s2sdiff"] = None  # any import of s2sdiff now fails
sys.path.insert(0, sys.argv[1])
import {module}
print(repr({module}.{function}(*{args!r})))
"""


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CORPUS if c.name in STANDALONE])
def test_generated_module_runs_without_s2sdiff(case, tmp_path):
    g = grad(case.fn, wrt=case.wrt)
    module = f"grad_{case.name}"
    (tmp_path / f"{module}.py").write_text(g.source)
    for point in case.points:
        script = RUNNER.format(module=module, function=g.__name__, args=point)
        run = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path)], check=False,
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert ast.literal_eval(run.stdout.strip()) == g(*point)


def test_all_standalone_cases_exist():
    assert set(STANDALONE) <= {c.name for c in CORPUS}


def joined(x, y):
    return np.sum(np.concatenate((np.sin(x), y)) ** 2)


def test_the_helpers_a_copied_helper_calls_from_a_comprehension_are_copied_too():
    """``_zeros_of`` (the zero adjoint of a list of arrays) calls ``_zero_like`` from a
    list comprehension: the printed module defines both."""
    g = grad(joined, wrt=(0, 1))
    x, y = np.array([0.3, -1.2]), np.array([0.5, 2.0, -0.7])
    assert "_zeros_of(" in g.source and "def _zero_like(" in g.source
    namespace: dict = {}
    exec(compile(g.source, "<printed>", "exec"), namespace)  # noqa: S102
    for printed, inside in zip(namespace[g.__name__](x, y), g(x, y)):
        np.testing.assert_array_equal(printed, inside)
