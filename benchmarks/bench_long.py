"""Long expressions: ``s2sdiff grad`` on one-line functions of growing length.

Machine-generated numeric code (SymPy's codegen, polynomial fits) has lines of
thousands of terms.  For each case the script writes a module with one
function, ``def f(x): return <expression>``, runs ``s2sdiff grad file.py:f -o
out.py`` in a fresh process, and prints the wall time and the peak memory of
that process (its maximum resident set size); then it checks the generated
gradient at a point against the exact value.  Time and memory should grow
linearly with the length.

The cases: ``sum`` (``0.5*x + 1.5*x + …``), ``product`` (``x * x * …``),
``max`` (``max(x, 0.0, 0.0, …)``), ``minus`` (``- - - … x``).

Run: ``python benchmarks/bench_long.py`` (``--cases sum:1000,10000 product:2000``).
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import print_table

EXPRESSIONS = {
    "sum": lambda n: " + ".join(f"{i}.5 * x" for i in range(n)),
    "product": lambda n: " * ".join(["x"] * n),
    "max": lambda n: "max(x, " + ", ".join(["0.0"] * n) + ")",
    "minus": lambda n: "-" * n + "x",
}
EXACT = {  # the derivative at x = 1
    "sum": lambda n: sum(i + 0.5 for i in range(n)),
    "product": lambda n: float(n),
    "max": lambda n: 1.0,
    "minus": lambda n: (-1.0) ** n,
}
DEFAULT = ["sum:1000,10000,100000", "product:2000,20000", "max:4000,20000", "minus:2000"]
COMMAND = [str(Path(sys.executable).parent / "s2sdiff")]


# runs the command and prints its exit code and peak memory (a fresh parent per case:
# the peak of the children is per process tree)
_WRAPPER = """
import resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(run.stderr)
print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(kind: str, n: int, folder: Path) -> list:
    source = folder / f"{kind}_{n}.py"
    source.write_text(f"def f(x):\n    return {EXPRESSIONS[kind](n)}\n")
    out = folder / f"{kind}_{n}_grad.py"
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _WRAPPER] + COMMAND
                         + ["grad", f"{source.name}:f", "-o", out.name], cwd=folder,
                         capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    code, peak_kib = (int(w) for w in run.stdout.split())
    if code != 0:
        return [kind, f"{n:,}", "failed", run.stderr.strip().splitlines()[0][:60], "", "", ""]
    spec = importlib.util.spec_from_file_location(out.stem, out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ok = module.grad_f(1.0) == EXACT[kind](n)
    lines = len(out.read_text().splitlines())
    return [kind, f"{n:,}", f"{seconds:.2f}", f"{seconds / n * 1e6:.0f}", f"{peak_kib / 1024:.0f}",
            f"{lines:,}", "ok" if ok else "WRONG"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=DEFAULT,
                        help="KIND:N,N,... with KIND in " + ", ".join(EXPRESSIONS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases:
            kind, _, sizes = case.partition(":")
            for n in (int(s) for s in sizes.split(",")):
                rows.append(measure(kind, n, Path(tmp)))
                print("  ".join(rows[-1]), flush=True)
    print_table("s2sdiff grad on one long expression (one process per case)",
                ["expression", "terms", "seconds", "µs per term", "peak MiB", "lines written",
                 "gradient"], rows)


if __name__ == "__main__":
    main()
