"""Regressions found by the fuzzer (``python -m fuzz``): ``fuzz_<seed>.py``
for random numeric programs, ``fuzz_arb_<seed>.py`` for arbitrary functions.
Each file holds a shrunk program and a test; they are collected here even
though their names do not start with ``test_``."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `import fuzz`


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("fuzz_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
