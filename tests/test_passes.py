"""Each pass of the pipeline, as text: the program after every pass of each
transform for one function (a loop, a branch, a tape), compared with the dump
kept in ``tests/passes/<transform>_<stage>.txt``; and for an array function
with a signature, the passes of specialised code (``signed_<transform>_<stage>``).  Reading two consecutive
files shows what one pass does; regenerate after an intended change with
``S2SDIFF_UPDATE_GOLDEN=1`` and read the diff."""

import os
from pathlib import Path

import pytest

import s2sdiff
from s2sdiff.pipeline import STAGES, stages_of
from tests.passes_functions import (LAYER_SIGNATURE, RUNNING_SIGNATURE, layer_loss,
                                    loop_with_branch, running_squares)

HERE = Path(__file__).parent / "passes"
CASES = [(kind, stage) for kind in ("grad", "jvp", "vjp", "hessian")
         for stage in STAGES[kind] if stage not in ("source", "python")]


@pytest.mark.parametrize("kind, stage", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_program_after_each_pass(kind, stage):
    text = s2sdiff.show(loop_with_branch, stage=stage, wrt=(0, 1), kind=kind).rstrip() + "\n"
    path = HERE / f"{kind}_{stage}.txt"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; set S2SDIFF_UPDATE_GOLDEN=1"
    assert text == path.read_text()


SIGNED = [(kind, stage) for kind in ("grad", "vjp") for stage in stages_of(kind, specialised=True)
          if stage in ("dce", "specialise", "buffers")]


@pytest.mark.parametrize("kind, stage", SIGNED, ids=[f"{k}-{s}" for k, s in SIGNED])
def test_program_after_each_pass_of_code_for_a_signature(kind, stage):
    text = s2sdiff.show(layer_loss, stage=stage, wrt=(0, 1), kind=kind,
                        signature=LAYER_SIGNATURE).rstrip() + "\n"
    path = HERE / f"signed_{kind}_{stage}.txt"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; set S2SDIFF_UPDATE_GOLDEN=1"
    assert text == path.read_text()


@pytest.mark.parametrize("stage", ["buffers", "writes"])
def test_item_writes_in_place(stage):
    """The pass "writes": ``y_2 = _setitem(y_1, i, v)`` becomes ``y_1[i] = v`` where
    nothing else can see the array (and the adjoint's zeroing, ``y_bar[i] = 0.0``)."""
    text = s2sdiff.show(running_squares, stage=stage, kind="grad",
                        signature=RUNNING_SIGNATURE).rstrip() + "\n"
    path = HERE / f"signed_writes_{stage}.txt"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; set S2SDIFF_UPDATE_GOLDEN=1"
    assert text == path.read_text()
