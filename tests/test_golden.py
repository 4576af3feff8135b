"""Generated gradient source compared exactly with reviewed golden files.

Regenerate after an intended change with ``S2SDIFF_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff before committing it.
"""

import os
from pathlib import Path

import pytest

from s2sdiff import grad
from tests.fd import assert_grad_close
from tests.golden_functions import GOLDEN

HERE = Path(__file__).parent / "golden"


def _params(fn):
    return tuple(range(fn.__code__.co_argcount))


@pytest.mark.parametrize("fn", GOLDEN, ids=lambda f: f.__name__)
def test_reverse_source_matches_golden(fn):
    source = grad(fn, wrt=_params(fn)).source
    path = HERE / f"grad_{fn.__name__}.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(source)
    assert path.exists(), f"missing golden file {path}; set S2SDIFF_UPDATE_GOLDEN=1"
    assert source == path.read_text()


@pytest.mark.parametrize("fn", GOLDEN, ids=lambda f: f.__name__)
def test_golden_functions_are_right(fn):
    point = (0.7, 1.3)[: fn.__code__.co_argcount]
    assert_grad_close(fn, grad(fn, wrt=_params(fn)), point, _params(fn))
