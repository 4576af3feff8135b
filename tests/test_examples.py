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
    done = run(script)
    assert done.returncode == 0, done.stdout + done.stderr


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
