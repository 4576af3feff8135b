"""Time of ``s2sdiff.check`` on a generated 50-statement straight-line function.

The function has three inputs and 50 assignments, each one operation
(``+ - * /`` or a ``math`` function) on earlier values, so every statement
feeds the result.  It prints the time of one ``check`` (reverse mode, and
reverse + forward), the method that decided each pair, and the target
(issue 4: under 2 s).  Each ``check`` is run on a freshly loaded module, so
nothing s2sdiff caches applies (SymPy's own cache does: the first run
is the cold one, the target applies to it).

Run: ``python benchmarks/bench_verify.py`` (``--repeat N``, ``--statements N``).
"""

import argparse
import random
import time

from _timing import load_source

import s2sdiff

UNARY = ["math.sin", "math.cos", "math.exp", "math.tanh", "math.atan"]
BINARY = ["+", "-", "*"]


def straight_line(statements: int, seed: int = 0) -> str:
    """Source of ``f(x, y, z)``: ``statements`` one-operation assignments."""
    rng = random.Random(seed)
    names = ["x", "y", "z"]
    lines = ["import math", "", "", "def f(x, y, z):"]
    for k in range(statements):
        target = f"v{k}"
        recent = names[-6:]
        a, b = rng.choice(recent), rng.choice(names)
        kind = rng.random()
        if kind < 0.3:
            expr = f"{rng.choice(UNARY)}({a} * 0.1)"
        elif kind < 0.4:
            expr = f"{a} / (1.5 + {b} * {b})"
        else:
            expr = f"{a} {rng.choice(BINARY)} {b}"
        lines.append(f"    {target} = {expr}")
        names.append(target)
    lines.append(f"    return {names[-1]} + {names[-2]}")
    return "\n".join(lines) + "\n"


def times(source: str, modes, repeat: int):
    """(first run, best run) in seconds, and the last report."""
    runs, report = [], None
    for _ in range(repeat):
        f = load_source(source, "verify").f
        start = time.perf_counter()
        report = s2sdiff.check(f, wrt=(0, 1, 2), modes=modes)
        runs.append(time.perf_counter() - start)
    return runs[0], min(runs), report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--statements", type=int, default=50)
    options = parser.parse_args()
    source = straight_line(options.statements)
    print(f"check of a {options.statements}-statement straight-line function "
          f"f(x, y, z), best of {options.repeat}:")
    for modes in (("reverse",), ("reverse", "forward")):
        first, best, report = times(source, modes, options.repeat)
        assert report.ok, str(report)
        methods = sorted({p.method for p in report.pairs})
        verdict = "meets" if first < 2.0 else "MISSES"
        print(f"  modes={'+'.join(modes):16s} first {first:6.3f} s, best {best:6.3f} s  "
              f"({', '.join(methods)}; {verdict} the 2 s target)")
    print()
    print(report)


if __name__ == "__main__":
    main()
