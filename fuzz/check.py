"""Differential checks of s2sdiff on generated programs, shrinking, regressions.

A program is imported from a real file (s2sdiff needs ``inspect.getsource``),
its gradient with respect to every parameter is taken with ``s2sdiff.grad``
and compared with central finite differences at a few random points.  The
outcome of a program is one of:

``differentiated``  every checked point agrees;
``rejected``        s2sdiff raised an ``S2SDiffError`` (rare on valid programs);
``wrong``           a gradient disagrees with finite differences;
``crashed``         s2sdiff raised anything else, or hung: a bug.

A point where the finite differences at ``h=1e-5`` and ``h=1e-6`` disagree
(a kink or a branch switch within ``h``) is skipped, never counted wrong.

Hooks that switch on by themselves when the core grows them:

* ``s2sdiff.jvp`` (``jvp(f, wrt)(*args, tangents)`` returning ``(value, tangent)``): the dot-product test ``<grad, v> == jvp(v)``;
* ``jvp(grad(f))`` (composed in IR: forward over reverse) against central
  differences of the gradient along a random direction, and ``vjp(grad(f))``
  (reverse over reverse) against it by the dot-product test, on every
  ``SECOND_EVERY``-th program;
* ``s2sdiff.check`` (assumed ``check(f, wrt=...)``, falsy or AssertionError on
  a mismatch): the SymPy check, on every ``SYMPY_EVERY``-th program.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib.util
import itertools
import math
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .programs import Program

REPO = Path(__file__).resolve().parents[1]
REGRESSIONS = REPO / "tests" / "regressions"
H_COARSE, H_FINE = 1e-5, 1e-6
RTOL, ATOL = 1e-5, 1e-6
KINK_TOL = 1e-4
JUMP_TOL = 1e-6  # f at a point against the mean of its neighbours at h = 1e-6
DOT_TOL = 1e-9
SYMPY_EVERY = 10
SECOND_EVERY = 10  # programs whose second derivative (jvp of the gradient) is checked too
SECOND_RTOL, SECOND_ATOL = 1e-4, 1e-5  # finite differences of a gradient: less accurate
TIMEOUT = 20  # seconds s2sdiff may take on one program before it counts as hung
SYMPY_TIMEOUT = 60  # seconds for the SymPy check of one program; slower ones are counted apart


# ---------------------------------------------------------------- the core
class Core:
    """What the checks need from s2sdiff; a seam so the fuzzer itself can be
    tested with a stand-in before (or besides) the real core."""

    name = "s2sdiff"

    def __init__(self):
        import s2sdiff

        self.module = s2sdiff
        self.grad = s2sdiff.grad
        self.Error = s2sdiff.S2SDiffError
        self.jvp = getattr(s2sdiff, "jvp", None)
        self.vjp = getattr(s2sdiff, "vjp", None)
        self.sympy_check = getattr(s2sdiff, "check", None)


class _StandInError(Exception):
    pass


class FakeCore:
    """A stand-in core: 5-point finite differences, optionally wrong (scaled
    by 1.001) on functions whose source contains ``bug``.  For testing the
    fuzzer's own machinery (counting, shrinking, saving)."""

    name = "fake"
    Error = _StandInError
    jvp = None
    vjp = None
    sympy_check = None

    def __init__(self, bug: str | None = None):
        self.bug = bug

    def grad(self, f, wrt=(0,)):
        import inspect

        src = inspect.getsource(f)  # the program's file must be readable, as for the real core
        scale = 1.001 if self.bug and self.bug in _closure_source(f, src) else 1.0

        def g(*args):
            out = []
            for i in wrt:
                h = 1e-4
                def at(d, i=i):
                    a = list(args)
                    a[i] += d
                    return f(*a)
                d = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
                out.append(d * scale)
            return tuple(out)

        g.source = src
        return g


def _closure_source(f, src: str) -> str:
    # the fake's bug must trigger through helpers too: look at the whole module
    try:
        return Path(f.__code__.co_filename).read_text()
    except OSError:
        return src


def load_core(name: str = "s2sdiff", bug: str | None = None):
    return FakeCore(bug) if name == "fake" else Core()


# ---------------------------------------------------------------- modules
_counter = itertools.count()
_tmpdir: str | None = None


def _dir() -> str:
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="s2sdiff_fuzz_")
    return _tmpdir


def load_module(source: str, stem: str = "fuzzmod"):
    """Write ``source`` to a fresh file and import it as a fresh module."""
    name = f"_{stem}_{os.getpid()}_{next(_counter)}"
    path = Path(_dir()) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def forget(module) -> None:
    sys.modules.pop(module.__name__, None)


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    """SIGALRM-based limit (Unix, main thread); a no-op elsewhere."""
    usable = hasattr(signal, "setitimer") and _main_thread()
    if not usable or not seconds:
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# ---------------------------------------------------------------- checking
@dataclass
class Outcome:
    kind: str                       # differentiated | rejected | wrong | crashed
    detail: str = ""
    error: str = ""                 # exception type name, for rejected/crashed
    point: tuple | None = None      # where it went wrong
    checked: int = 0                # points actually compared
    core_time: float = 0.0          # seconds spent inside s2sdiff and its gradients
    sympy: str = ""                 # the SymPy check: "" (not run), "ok" or "timeout"

    def signature(self) -> tuple:
        """What "failing the same way" means while shrinking."""
        return (self.kind, self.error)


def points_for(seed: int, nparams: int, n: int = 3) -> list[tuple[float, ...]]:
    rng = random.Random(seed * 7919 + 17)
    return [tuple(round(rng.uniform(-2.0, 2.0), 6) for _ in range(nparams)) for _ in range(n)]


def central(f, pt, i, h):
    """Central difference along parameter ``i``, its rounding noise, and the
    mean of the two values (for a smooth f, within about h² of f at ``pt``)."""
    a, b = list(pt), list(pt)
    a[i] += h
    b[i] -= h
    fa, fb = f(*a), f(*b)
    return (fa - fb) / (2 * h), 64 * 2.2e-16 * max(abs(fa), abs(fb)) / h, (fa + fb) / 2


def _close(a, b, rtol=RTOL, atol=ATOL):
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _as_tuple(g, n):
    if isinstance(g, (tuple, list)):
        return tuple(g)
    return (g,) if n == 1 else g


def check_function(f, points, core, *, sympy: bool = False, second: bool = False,
                   timeout: float = TIMEOUT) -> Outcome:
    """Run every check on ``f`` at ``points`` (all parameters are float inputs); with
    ``second``, its second derivative too."""
    n = len(points[0])
    wrt = tuple(range(n))
    out = Outcome("differentiated")
    t0 = time.perf_counter()
    fd_time = 0.0
    try:
        with time_limit(timeout):
            g = core.grad(f, wrt=wrt)
            for pt in points:
                if not _runs(f, pt):  # the program itself fails there (an overflow to inf)
                    out = Outcome("skipped", "transformed; the program itself fails at the point")
                    break
                got = _as_tuple(g(*pt), n)
                t = time.perf_counter()
                verdict = _compare(f, pt, got, n)
                fd_time += time.perf_counter() - t
                if verdict is True:
                    out.checked += 1
                elif verdict:
                    out = Outcome("wrong", verdict, point=pt)
                    break
            else:
                extra = _dot_product(f, g, points, n, core)
                if extra is None and second:
                    extra = _second_order(g, points, n, core)
                if extra is not None:
                    out = Outcome("wrong", extra)
    except core.Error as e:
        out = Outcome("rejected", _one_line(e), type(e).__name__)
    except Hang as e:
        out = Outcome("crashed", str(e), "Hang")
    except Exception as e:  # noqa: BLE001 - anything else escaping s2sdiff is a bug
        out = Outcome("crashed", _one_line(e), type(e).__name__)
    out.core_time = max(time.perf_counter() - t0 - fd_time, 0.0)
    if sympy and out.kind == "differentiated" and core.sympy_check is not None:
        out = _with_sympy(f, n, core, out)
    return out


def _runs(f, pt) -> bool:
    try:
        f(*pt)
    except (ArithmeticError, ValueError):
        return False
    return True


def _with_sympy(f, n, core, out: Outcome) -> Outcome:
    """``out`` after the SymPy check, which has a time budget of its own: a check
    SymPy cannot finish in time is counted apart, not as a hang of s2sdiff."""
    try:
        with time_limit(SYMPY_TIMEOUT):
            ok = core.sympy_check(f, wrt=tuple(range(n)))
    except Hang:
        out.sympy = "timeout"
        return out
    except AssertionError as e:
        return Outcome("wrong", f"SymPy check: {_one_line(e)}", sympy="wrong")
    except core.Error as e:
        return Outcome("crashed", _one_line(e), type(e).__name__)
    except Exception as e:  # noqa: BLE001 - anything else escaping s2sdiff is a bug
        return Outcome("crashed", _one_line(e), type(e).__name__)
    if ok is False:
        return Outcome("wrong", "SymPy check failed", sympy="wrong")
    out.sympy = "ok"
    return out


def _compare(f, pt, got, n) -> str | bool:
    """True if ``got`` matches finite differences at ``pt``, False if the
    point is skipped, else a description of the mismatch."""
    if len(got) != n:
        return f"expected {n} partials, got {got!r}"
    try:
        here = f(*pt)
    except (ArithmeticError, ValueError):
        return False
    for i in range(n):
        try:
            coarse, noise_c, _ = central(f, pt, i, H_COARSE)
            fine, noise_f, beside = central(f, pt, i, H_FINE)
        except (ArithmeticError, ValueError):
            return False  # the program leaves its domain right beside pt: skip the point
        if not _close(coarse, fine, KINK_TOL, KINK_TOL + noise_f):
            return False  # a kink or a branch switch within h: skip the point
        if not _close(here, beside, JUMP_TOL, JUMP_TOL):
            return False  # pt alone takes another branch (a test decided by rounding): skip
        gi = got[i]
        if not isinstance(gi, (int, float)) or isinstance(gi, bool):
            return f"partial {i} at {pt} is {gi!r}, not a float"
        if not (_close(gi, coarse, atol=ATOL + noise_c) or _close(gi, fine, atol=ATOL + noise_f)):
            return (f"d/d{_pname(i)} at {pt}: s2sdiff {gi!r}, "
                    f"finite differences {coarse!r} (h={H_COARSE}), {fine!r} (h={H_FINE})")
    return True


def _pname(i):
    return "xyz"[i] if i < 3 else f"arg{i}"


def _dot_product(f, g, points, n, core) -> str | None:
    """Reverse against forward: <grad, v> must equal the jvp along v."""
    if core.jvp is not None:
        rng = random.Random(len(points))
        for pt in points:
            v = tuple(rng.uniform(-1, 1) for _ in range(n))
            grads = _as_tuple(g(*pt), n)
            _value, tangent = core.jvp(f, wrt=tuple(range(n)))(*pt, v)
            lhs = sum(gi * vi for gi, vi in zip(grads, v))
            if not _close(lhs, tangent, DOT_TOL, DOT_TOL):
                return f"dot-product test at {pt}, v={v}: <grad, v> = {lhs!r}, jvp = {tangent!r}"
    return None


def _second_order(g, points, n, core) -> str | None:
    """``jvp(grad(f))`` along a random v against central differences of the gradient
    ``g`` along v; a point where ``h = 1e-5`` and ``1e-6`` disagree is skipped.  And
    ``vjp(grad(f))`` (reverse over reverse) against it: the dot-product test
    ``<vjp(w), v> == <w, jvp(v)>``."""
    if core.jvp is None:
        return None
    rng = random.Random(len(points) + 1)
    hvp = core.jvp(g, wrt=tuple(range(n)))
    vjp = getattr(core, "vjp", None)
    pullback_of = vjp(g, wrt=tuple(range(n))) if vjp is not None else None
    for pt in points:
        v = tuple(rng.uniform(-1, 1) for _ in range(n))
        got = _as_tuple(hvp(*pt, v)[1], n)
        if pullback_of is not None:
            w = tuple(rng.uniform(-1, 1) for _ in range(n))
            back = _as_tuple(pullback_of(*pt)[1](w), n)
            lhs, rhs = math.fsum(a * b for a, b in zip(back, v)), math.fsum(
                a * b for a, b in zip(w, got))
            scale = math.fsum(abs(a * b) for a, b in zip(back + w, v + got))  # (cancellation)
            if not abs(lhs - rhs) <= DOT_TOL * (1.0 + scale):
                return (f"vjp(grad(f)) at {pt}, w={w}, v={v}: <vjp(w), v> = {lhs!r}, "
                        f"<w, jvp(v)> = {rhs!r}")
        try:
            coarse, fine = (_along(g, pt, v, h, n) for h in (H_COARSE, H_FINE))
        except (ArithmeticError, ValueError):
            continue  # the gradient leaves its domain beside pt
        if not all(_close(c, d, KINK_TOL, KINK_TOL) for c, d in zip(coarse, fine)):
            continue  # a kink or a branch switch within h
        for i in range(n):
            if not (_close(got[i], coarse[i], SECOND_RTOL, SECOND_ATOL)
                    or _close(got[i], fine[i], SECOND_RTOL, SECOND_ATOL)):
                return (f"jvp(grad(f)) d/d{_pname(i)} along v={v} at {pt}: s2sdiff {got[i]!r}, "
                        f"finite differences of the gradient {coarse[i]!r}, {fine[i]!r}")
    return None


def _along(g, pt, v, h, n) -> tuple:
    """(g(pt + h v) - g(pt - h v)) / 2h, item by item."""
    up = _as_tuple(g(*(p + h * d for p, d in zip(pt, v))), n)
    down = _as_tuple(g(*(p - h * d for p, d in zip(pt, v))), n)
    return tuple((a - b) / (2 * h) for a, b in zip(up, down))


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


def check_program(prog: Program, f, core, **kw) -> Outcome:
    return check_function(f, points_for(prog.seed, prog.nparams), core,
                          sympy=prog.seed % SYMPY_EVERY == 0,
                          second=prog.seed % SECOND_EVERY == SECOND_EVERY // 2, **kw)


def check_source(source: str, seed: int, nparams: int, core, points=None) -> Outcome:
    """Check the ``f`` of a standalone module source."""
    mod = load_module(source)
    try:
        return check_function(mod.f, points or points_for(seed, nparams), core, second=True)
    finally:
        forget(mod)


def check_batch(programs: list[Program], core, **kw) -> list[Outcome]:
    """Check many programs imported from one module (one file, one import)."""
    parts = ["import math", ""]
    for p in programs:
        parts += ["", p.renamed(f"s{p.seed}")]
    mod = load_module("\n".join(parts), "fuzzbatch")
    try:
        return [check_program(p, getattr(mod, f"f_s{p.seed}"), core, **kw) for p in programs]
    finally:
        forget(mod)


def assert_matches_finite_differences(f, points) -> None:
    """For regression tests: s2sdiff's gradient of ``f`` agrees with finite
    differences at ``points``."""
    out = check_function(f, list(points), Core())
    assert out.kind == "differentiated", f"{out.kind}: {out.detail}"


# ---------------------------------------------------------------- shrinking
def runs_plain(source: str, points) -> bool:
    """Does the module's ``f`` run under plain Python at every point, giving a
    finite float?"""
    ns: dict = {}
    try:
        with time_limit(5):
            exec(compile(source, "<shrink>", "exec"), ns)  # noqa: S102 - a shrink candidate
            for pt in points:
                v = ns["f"](*pt)
                if not isinstance(v, (int, float)) or not math.isfinite(v):
                    return False
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        return False
    return True


def _stmt_lists(tree):
    for node in ast.walk(tree):
        for fld in ("body", "orelse"):
            lst = getattr(node, fld, None)
            if isinstance(lst, list) and lst and isinstance(lst[0], ast.stmt):
                yield node, fld


def _edits(source: str):
    """Candidate smaller sources, biggest cuts first."""
    tree = ast.parse(source)
    lists = list(_stmt_lists(tree))
    # 1. drop whole statements (a helper function is a statement of the module)
    for li, (_node, fld) in enumerate(lists):
        for si in range(len(getattr(_node, fld))):
            yield _apply(source, li, si, "delete")
    # 2. flatten branches and loops into their bodies
    for li, (_node, fld) in enumerate(lists):
        for si, st in enumerate(getattr(_node, fld)):
            if isinstance(st, (ast.If, ast.For, ast.While)):
                yield _apply(source, li, si, "body")
                if st.orelse:
                    yield _apply(source, li, si, "orelse")
    # 3. replace an expression by one of its operands
    exprs = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.Call, ast.IfExp, ast.UnaryOp))]
    for ei in range(len(exprs)):
        for choice in range(3):
            yield _apply_expr(source, ei, choice)


def _apply(source, li, si, how):
    tree = ast.parse(source)
    node, fld = list(_stmt_lists(tree))[li]
    lst = getattr(node, fld)
    st = lst[si]
    if how == "delete":
        new = []
    elif how == "body":
        new = st.body
    else:
        new = st.orelse
    lst[si:si + 1] = new
    if not lst:
        if fld == "orelse":
            setattr(node, fld, [])
        else:
            lst.append(ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree))


def _apply_expr(source, ei, choice):
    tree = ast.parse(source)
    exprs = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.Call, ast.IfExp, ast.UnaryOp))]
    target = exprs[ei]
    if isinstance(target, ast.BinOp):
        options = [target.left, target.right]
    elif isinstance(target, ast.Call):
        options = list(target.args)
    elif isinstance(target, ast.IfExp):
        options = [target.body, target.orelse]
    else:
        options = [target.operand]
    options.append(ast.Constant(1.0))
    if choice >= len(options):
        return None
    replacement = copy.deepcopy(options[choice])

    class Swap(ast.NodeTransformer):
        def visit(self, node):
            if node is target:
                return replacement
            return super().visit(node)

    tree = Swap().visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


def shrink(source: str, failing, points, *, valid=None, budget: int = 600, seconds: float = 120.0):
    """Greedy deletion: keep any smaller program that is ``valid`` (default:
    runs under plain Python at ``points``) and on which ``failing`` (source ->
    bool) still holds.  Returns the smallest source found."""
    valid = valid or (lambda cand: runs_plain(cand, points))
    best = ast.unparse(ast.parse(source))
    deadline = time.monotonic() + seconds
    tries = 0
    improved = True
    while improved and tries < budget and time.monotonic() < deadline:
        improved = False
        for cand in _edits(best):
            if cand is None or cand == best or len(cand) >= len(best):
                continue
            tries += 1
            if tries > budget or time.monotonic() > deadline:
                break
            if valid(cand) and failing(cand):
                best = cand
                improved = True
                break
    return best


def shrink_program(prog: Program, outcome: Outcome, core) -> str:
    points = points_for(prog.seed, prog.nparams)

    def failing(src):
        return check_source(src, prog.seed, prog.nparams, core, points).signature() == outcome.signature()

    return shrink(prog.module_source(), failing, points)


def save_regression(seed: int, source: str, outcome: Outcome, points, directory: Path = REGRESSIONS,
                    prefix: str = "fuzz", test_body: str | None = None) -> Path:
    """Write ``tests/regressions/<prefix>_<seed>.py``: the shrunk program and a
    test reproducing the failure."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{prefix}_{seed}.py"
    body = test_body or "    assert_matches_finite_differences(f, POINTS)\n"
    helper = "assert_grad_robust" if test_body and "assert_grad_robust" in test_body \
        else "assert_matches_finite_differences"
    module = "fuzz.arbitrary" if helper == "assert_grad_robust" else "fuzz.check"
    text = (
        f'"""Found by the fuzzer: {outcome.kind} ({outcome.error or "-"}), shrunk.\n\n'
        f"{_wrap(outcome.detail)}\n\n"
        f"Reproduce the unshrunk program: python -m fuzz --one {seed}"
        f"{' --kind arbitrary' if prefix != 'fuzz' else ''}\n"
        f'"""\n\n'
        f"# fuzz seed: {seed}\n"
        f"{'import math' + chr(10) + chr(10) + chr(10) if 'math.' in source else ''}"
        f"{_pep8_blank_lines(_strip_import(source)).strip()}\n\n\n"
        f"POINTS = {list(points)!r}\n\n\n"
        f"def test_{prefix}_{seed}():\n"
        f"    from {module} import {helper}\n\n"
        f"{body}"
    )
    path.write_text(text)
    return path


def _pep8_blank_lines(source: str) -> str:
    """Two blank lines around top-level definitions (ast.unparse gives one)."""
    out: list[str] = []
    for line in source.splitlines():
        if line.startswith(("def ", "class ", "async def ", "@")) and out and not out[-1].startswith("@"):
            while out and not out[-1].strip():
                out.pop()
            out += ["", ""]
        out.append(line)
    return "\n".join(out)


def _strip_import(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() != "import math")


def _wrap(text: str, width: int = 76) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text.replace('"""', "'''"), width)) or "-"


@dataclass
class Tally:
    counts: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)      # (seed, Outcome)
    rejections: dict = field(default_factory=dict)    # message -> count
    rejected: list = field(default_factory=list)      # seeds
    sympy: dict = field(default_factory=dict)         # SymPy check outcome -> count
    core_time: float = 0.0
    total_time: float = 0.0

    def add(self, seed: int, out: Outcome) -> None:
        self.counts[out.kind] = self.counts.get(out.kind, 0) + 1
        if out.sympy:
            self.sympy[out.sympy] = self.sympy.get(out.sympy, 0) + 1
        self.core_time += out.core_time
        if out.kind in ("wrong", "crashed", "unlocated"):
            self.failures.append((seed, out))
        elif out.kind == "rejected":
            key = out.detail[:120]
            self.rejections[key] = self.rejections.get(key, 0) + 1
            self.rejected.append(seed)

    def merge(self, other: Tally) -> None:
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, v in other.rejections.items():
            self.rejections[k] = self.rejections.get(k, 0) + v
        self.failures += other.failures
        self.rejected += other.rejected
        for k, v in other.sympy.items():
            self.sympy[k] = self.sympy.get(k, 0) + v
        self.core_time += other.core_time
        self.total_time += other.total_time
