"""benchmarks/bench_jacobian.py runs at a tiny size: every result it times is
checked first (batched against per seed, JAX and finite differences), so a run
is a test."""

from tests.benchmark_scripts import load

B = load("bench_jacobian")


def test_the_script_runs_at_a_tiny_size(capsys):
    found = B.main(["--sizes", "3", "--repeat", "1", "--no-jax",
                    "--functions", "softmax", "mlp_layer", "rosenbrock"])
    assert [name for name, _, _ in found] == ["softmax", "mlp_layer", "rosenbrock"]
    assert all(t["per seed forward"] > 0 and t["batched forward"] > 0 for _, _, t in found)
    assert all(t["batched reverse"] > 0 for _, _, t in found[:2])
    out = capsys.readouterr().out
    assert "per seed / batched" in out and "rosenbrock" in out
