"""Programs on which the fuzzer found wrong derivatives or crashes, by seed.

- 20257, 20318: a swap inside a loop (``x, y = y, x``) was compiled to
  sequential φ copies, so the forward values were wrong (now one tuple
  assignment).
- 20348, 20246, 20269: dead-code elimination counted a value read by two φs of
  one ``if`` once, and dropped a live assignment (NameError in the gradient).
- 1243 (fuzz_1243.py): an adjoint variable was shared, inside one branch, with a
  value from before the ``if``; the other branch then added into the wrong one.
- 592 (fuzz_592.py): two loop-carried values with the same next value: the
  second φ's adjoint overwrote the first instead of adding to it.
- 1022, 4219, 6255, 8999, 9468: a program naming a variable ``_t1`` (like the temporaries of
  normalization) was rejected as "may be used before it is assigned".
- 1810 (fuzz_1810.py), 2279, 6654: the reverse of an inner loop recomputed a
  cheap value from one carried by the outer loop, which at that point of the
  reverse sweep held its last value instead of this iteration's.
"""

import pytest

from fuzz import check, programs

SEEDS = [20257, 20318, 20348, 20246, 20269, 592, 1243, 6654]


@pytest.mark.parametrize("seed", SEEDS)
def test_fuzz_seed_is_differentiated_right(seed, monkeypatch):
    monkeypatch.setattr(check, "SYMPY_EVERY", 10**9)
    prog = programs.generate(seed)
    (outcome,) = check.check_batch([prog], check.Core())
    assert outcome.kind in ("differentiated", "rejected"), outcome.detail


@pytest.mark.parametrize("seed", [1022, 4219, 6255, 8999, 9468])
def test_fuzz_seed_is_differentiated(seed, monkeypatch):
    """Valid programs once rejected by mistake."""
    monkeypatch.setattr(check, "SYMPY_EVERY", 10**9)
    prog = programs.generate(seed)
    (outcome,) = check.check_batch([prog], check.Core())
    assert outcome.kind == "differentiated", outcome.detail
