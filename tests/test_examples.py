"""The examples gallery runs: each script in a fresh interpreter (a smoke test)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_gallery_is_there():
    names = {p.stem for p in EXAMPLES}
    assert {"graph_classic", "forward_vs_reverse", "newton", "fit_model"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script):
    if script.stem == "fit_model":
        pytest.importorskip("scipy")
    if script.stem == "dask_logistic":
        pytest.skip("run small by test_dask_logistic_trains_on_a_cluster")
    done = run(script)
    assert done.returncode == 0, done.stdout + done.stderr


SMALL = {"dask_logistic": ("--rows", "20000", "--epochs", "2")}  # the default run is 10⁷ rows


def test_dask_logistic_trains_on_a_cluster():
    pytest.importorskip("dask.distributed",
                        reason="Dask is an optional dependency (pip install 's2sdiff[dask]')")
    done = run(ROOT / "examples" / "dask_logistic.py", *SMALL["dask_logistic"])
    assert done.returncode == 0, done.stderr
    losses = [float(line.split()[3]) for line in done.stdout.splitlines()
              if line.startswith("epoch")]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert "w_bar = X.T @ z_bar" in done.stdout and "100% Completed" in done.stdout


def test_graph_classic_prints_the_sum_over_paths():
    done = run(ROOT / "examples" / "graph_classic.py")
    assert done.returncode == 0, done.stderr
    assert "∂e/∂b = 1·2 + 1·3 = 5" in done.stdout
    assert "∂e/∂c = d = 2" in done.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_classic_renders_png(tmp_path):
    target = tmp_path / "classic.png"
    done = run(ROOT / "examples" / "graph_classic.py", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"\x89PNG")
