"""The check of benchmarks/bench_items.py, without its timings: each hand-written
gradient against finite differences, s2sdiff's against it."""

import pytest

from tests.benchmark_scripts import load

B = load("bench_items")


@pytest.mark.parametrize("name, f, hand", B.CASES, ids=[c[0] for c in B.CASES])
def test_gradients_of_the_benchmark_agree(name, f, hand):
    B.check(f, hand)
