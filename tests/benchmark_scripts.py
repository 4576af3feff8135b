"""Benchmark scripts of ``benchmarks/`` loaded as modules, for tests of their checks."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    """The script ``benchmarks/{name}.py`` as the module ``name`` (its folder is on
    ``sys.path`` while it loads, for its ``from _timing import ...``)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))
