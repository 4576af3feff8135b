"""``python -m fuzz``: differential fuzzing of s2sdiff.

    python -m fuzz --programs 10000 --arbitrary 2000 --seed 0 --jobs 2
    python -m fuzz --programs 0 --arbitrary 0 --arrays 2000 --seed 0 --jobs 2

prints, for the random numeric programs and for the arbitrary functions, how
many were generated, differentiated, rejected, wrong and crashed, the seeds
of the failures, and the most common rejection messages.  Failures are shrunk
and saved to ``tests/regressions/fuzz_<seed>.py`` (``fuzz_arb_<seed>.py`` for
arbitrary functions) unless ``--no-save``.  Program ``i`` of a run has seed
``--seed + i``; ``--one SEED`` re-checks a single program verbosely.
``--arrays N`` adds N random NumPy array programs (``fuzz/arrays.py``), each
checked in every transform on two signatures; ``--one SEED --kind arrays``
re-checks one verbosely (``--shrink`` also prints the smallest program found
that fails the same transform the same way).  Array failures are not saved.
The exit status is 1 if anything was wrong or crashed.
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import get_context
from pathlib import Path

from . import arbitrary
from . import arrays
from . import check as fuzz_check
from .check import (
    REGRESSIONS,
    Outcome,
    Tally,
    check_batch,
    load_core,
    points_for,
    save_regression,
    shrink,
    shrink_program,
)
from .programs import generate

CHUNK = 50
KINDS = ("differentiated", "rejected", "wrong", "crashed")


def run_programs(args) -> Tally:
    start, count, core_name, bug = args
    core = load_core(core_name, bug)
    tally = Tally()
    t0 = time.perf_counter()
    programs = [generate(s) for s in range(start, start + count)]
    for prog, out in zip(programs, check_batch(programs, core)):
        tally.add(prog.seed, out)
    tally.total_time = time.perf_counter() - t0
    return tally


def run_arbitrary(args) -> Tally:
    start, count, core_name, bug, use_hypothesmith = args
    core = load_core(core_name, bug)
    tally = Tally()
    t0 = time.perf_counter()
    if use_hypothesmith:
        sources = list(enumerate(arbitrary.hypothesmith_sources(count, start), start))
    else:
        sources = [(s, arbitrary.generate(s)) for s in range(start, start + count)]
    for seed, src in sources:
        tally.add(seed, arbitrary.check(src, core))
    tally.total_time = time.perf_counter() - t0
    return tally


def _chunks(seed, n, extra):
    return [(s, min(CHUNK, seed + n - s), *extra) for s in range(seed, seed + n, CHUNK)]


def _map(fn, jobs, work):
    total = Tally()
    if jobs <= 1 or len(work) <= 1:
        results = map(fn, work)
        for t in results:
            _progress(total, t)
        return total
    with get_context("fork").Pool(jobs) as pool:
        for t in pool.imap_unordered(fn, work):
            _progress(total, t)
    return total


def _progress(total: Tally, part: Tally) -> None:
    """Merge a finished chunk and say how far the run is (long runs take a while)."""
    total.merge(part)
    print(f"  ... {sum(total.counts.values())} done: " +
          ", ".join(f"{v} {k}" for k, v in sorted(total.counts.items())), flush=True)


def report(title: str, n: int, tally: Tally, wall: float) -> None:
    c = tally.counts
    print(f"{title}: {n} generated, " + ", ".join(f"{c.get(k, 0)} {k}" for k in KINDS)
          + "".join(f", {c[k]} {k}" for k in ("unlocated", "skipped") if c.get(k)))
    own = max(tally.total_time - tally.core_time, 1e-9)
    print(f"  {wall:.1f} s wall; {n / own:.0f}/s excluding s2sdiff's own time "
          f"({tally.core_time:.1f} s inside s2sdiff)")
    if tally.sympy:
        print("  SymPy checks: " + ", ".join(f"{v} {k}" for k, v in sorted(tally.sympy.items()))
              + f" (timeout: not finished within {fuzz_check.SYMPY_TIMEOUT} s)")
    for seed, out in sorted(tally.failures, key=lambda f: f[0])[:50]:
        print(f"  seed {seed}: {out.kind} [{out.error}] {out.detail}")
    if tally.rejected and title == "programs":  # valid programs: each rejection is worth a look
        print("  rejected seeds: " + " ".join(map(str, sorted(tally.rejected)[:50])))
    if tally.rejections:
        print("  most common rejections:")
        for msg, k in sorted(tally.rejections.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {k:6d}  {msg}")


def save_failures(tally: Tally, core, arbitrary_kind: bool, limit: int, directory: Path) -> None:
    for seed, out in sorted(tally.failures, key=lambda f: f[0])[:limit]:
        if arbitrary_kind:
            path = _save_arbitrary(seed, out, core, directory)
        else:
            prog = generate(seed)
            small = shrink_program(prog, out, core)
            path = save_regression(seed, small, out, points_for(seed, prog.nparams), directory)
        print(f"  saved {path}")


def _save_arbitrary(seed: int, out: Outcome, core, directory: Path):
    src = arbitrary.generate(seed)

    def valid(cand):
        try:
            compile(cand, "<shrink>", "exec")
        except Exception:  # noqa: BLE001
            return False
        return "def f(" in cand

    def failing(cand):
        return arbitrary.check(cand, core).signature() == out.signature()

    small = shrink(src, failing, [], valid=valid)
    body = f"    assert_grad_robust(f, {arbitrary.POINT!r})\n"
    return save_regression(seed, small, out, [arbitrary.POINT], directory, prefix="fuzz_arb", test_body=body)


def _one_array(seed: int, want_shrink: bool) -> int:
    prog = arrays.generate(seed)
    print(prog.source)
    print(f"# arguments {[(a.name, a.shape, a.dtype) for a in prog.args]}; wrt={prog.wrt}; "
          f"sizes {prog.sizes}; dtypes of signature 2 {prog.dtypes2}; twin np.{prog.twin}; "
          f"hessian {'checked' if prog.hessian else 'not checked'}")
    for which in (0, 1):
        print(f"# signature {which + 1}: " + ", ".join(
            f"{a.name}: {arrays._describe([v])[1:-1]}" for a, v in zip(prog.args, prog.arguments(which))))
    out, per, skipped, notes = arrays.check(prog, None, verbose=True)
    for n in notes:
        print(f"  dtype note: {n}")
    print(out)
    print(per)
    if want_shrink and out.kind in ("wrong", "crashed"):
        small = arrays.shrink_program(prog, out, per, None)
        print("# shrunk:")
        print(small)
        o2, p2, _s, _n = arrays.check(prog, None, source=small)
        print(o2.kind, o2.detail[:2000])
    return 0 if out.kind in ("differentiated", "rejected", "skipped") else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--arbitrary", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--one", type=int, help="check only the program of this seed, verbosely")
    ap.add_argument("--arrays", type=int, default=0, help="random NumPy array programs")
    ap.add_argument("--kind", choices=("programs", "arbitrary", "arrays"), default="programs", help="for --one")
    ap.add_argument("--shrink", action="store_true", help="with --one --kind arrays: shrink a failure")
    ap.add_argument("--no-save", action="store_true", help="do not shrink and save failures")
    ap.add_argument("--save-dir", type=Path, default=REGRESSIONS, help="where regressions go")
    ap.add_argument("--save-limit", type=int, default=10, help="failures to shrink and save per kind")
    ap.add_argument("--hypothesmith", action="store_true", help="arbitrary functions from hypothesmith")
    ap.add_argument("--core", choices=("s2sdiff", "fake"), default="s2sdiff",
                    help="'fake': a finite-difference stand-in, to test the fuzzer itself")
    ap.add_argument("--fake-bug", help="with --core fake: be wrong on sources containing this text")
    ap.add_argument("--sympy-every", type=int, default=fuzz_check.SYMPY_EVERY,
                    help="run the SymPy check on every N-th program (0: never)")
    args = ap.parse_args(argv)
    fuzz_check.SYMPY_EVERY = args.sympy_every or 10**12
    core = load_core(args.core, args.fake_bug)

    if args.one is not None:
        if args.kind == "arrays":
            return _one_array(args.one, args.shrink)
        if args.kind == "arbitrary":
            src = arbitrary.generate(args.one)
            print(src)
            out = arbitrary.check(src, core)
        else:
            prog = generate(args.one)
            print(prog.module_source())
            out = check_batch([prog], core)[0]
        print(out)
        return 0 if out.kind in ("differentiated", "rejected") else 1

    bad = 0
    if args.programs:
        t = time.perf_counter()
        tally = _map(run_programs, args.jobs, _chunks(args.seed, args.programs, (args.core, args.fake_bug)))
        report("programs", args.programs, tally, time.perf_counter() - t)
        bad += len(tally.failures)
        if tally.failures and not args.no_save:
            save_failures(tally, core, False, args.save_limit, args.save_dir)
    if args.arbitrary:
        t = time.perf_counter()
        work = _chunks(args.seed, args.arbitrary, (args.core, args.fake_bug, args.hypothesmith))
        tally = _map(run_arbitrary, args.jobs, work)
        report("arbitrary functions", args.arbitrary, tally, time.perf_counter() - t)
        bad += len(tally.failures)
        if tally.failures and not args.no_save:
            save_failures(tally, core, True, args.save_limit, args.save_dir)
    if args.arrays:
        t = time.perf_counter()
        tally = arrays.ArrayTally()
        work = [(s, min(arrays.CHUNK, args.seed + args.arrays - s))
                for s in range(args.seed, args.seed + args.arrays, arrays.CHUNK)]
        if args.jobs <= 1 or len(work) <= 1:
            for part in map(arrays.run_chunk, work):
                _progress(tally, part)
        else:
            with get_context("fork").Pool(min(args.jobs, 2)) as pool:
                for part in pool.imap_unordered(arrays.run_chunk, work):
                    _progress(tally, part)
        report("array programs", args.arrays, tally, time.perf_counter() - t)
        arrays.report_extra(tally)
        if tally.failures:
            print("  failing seeds: " + " ".join(str(s) for s, _ in sorted(tally.failures, key=lambda f: f[0]))
                  + "  (python -m fuzz --one SEED --kind arrays [--shrink])")
        bad += len(tally.failures)
    print(f"regressions directory: {REGRESSIONS}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
