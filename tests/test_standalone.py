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


def appended_rows(x):
    rows = []
    for k in range(3):
        rows.append(np.tanh(x * (k + 1.0)))
    return np.sum(np.stack(rows) ** 2)


def summed_squares(x):
    return sum(x[i] ** 2 for i in range(x.shape[0]))


NUMPY_RUNNER = """\
import sys
sys.modules["s2sdiff"] = None
sys.path.insert(0, sys.argv[1])
import numpy as np
import {module}
print(repr(np.asarray({module}.{function}(np.array({args!r}))).tolist()))
"""


@pytest.mark.parametrize("f", [appended_rows, summed_squares])
def test_generated_numpy_module_with_list_helpers_runs_without_s2sdiff(f, tmp_path):
    """The helpers the module copies in bring the helpers they call, also from inside
    a comprehension (``_zeros_of`` calls ``_zero_like``)."""
    g = grad(f)
    x = [0.3, -0.8, 1.1]
    module = f"grad_{f.__name__}"
    (tmp_path / f"{module}.py").write_text(g.source)
    script = NUMPY_RUNNER.format(module=module, function=g.__name__, args=x)
    run = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path)], check=False,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert ast.literal_eval(run.stdout.strip()) == g(np.array(x)).tolist()
