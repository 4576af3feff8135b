"""Shared helpers for the benchmark scripts: a timer, a table printer, a module loader,
the gradients of the tools compared (s2sdiff, autograd).

Not a benchmark itself. The scripts beside it import it as ``_timing`` (Python
puts the script's folder on ``sys.path``), e.g. ``python benchmarks/bench_scalar.py``.
"""

import atexit
import importlib.util
import shutil
import sys
import tempfile
import timeit
import types
from pathlib import Path


def _timer(fn, args):
    """A timeit.Timer calling ``fn(a0, a1, ...)`` with no lambda or ``*args`` in the loop."""
    names = [f"a{i}" for i in range(len(args))]
    namespace = dict(zip(names, args), fn=fn)
    return timeit.Timer(f"fn({', '.join(names)})", globals=namespace)


def compare(calls, repeat=7, window=None):
    """Time several calls side by side; return {name: best seconds per call}.

    ``calls`` maps a name to ``(fn, args)``. The number of loops is chosen per
    call by ``Timer.autorange``: at least 0.2 s a repeat, or about ``window``
    seconds if given (at least one loop). The repeats are interleaved, so a slow
    patch of the machine hits every candidate alike, and the best (minimum) of
    ``repeat`` is kept. On a busy machine, short windows and many repeats catch
    more quiet moments.
    """
    timers = {name: _timer(fn, args) for name, (fn, args) in calls.items()}
    numbers = {name: _loops(t, window) for name, t in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for name, t in timers.items():
            best[name] = min(best[name], t.timeit(numbers[name]) / numbers[name])
    return best


def _loops(timer, window):
    """The number of loops of ``timer`` lasting about ``window`` seconds (at least
    0.2 s if ``window`` is None)."""
    number, seconds = timer.autorange()
    return number if window is None else max(1, round(number * window / seconds))


def best_time(fn, *args, repeat=7):
    """Best seconds per call of ``fn(*args)``."""
    return compare({"": (fn, args)}, repeat)[""]


def fmt_time(seconds):
    """Seconds as a short human string: ns, µs, ms or s."""
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(num, den):
    """``num / den`` as ``1.23×``, or ``n/a`` if either is missing."""
    if num is None or den is None:
        return "n/a"
    ratio = num / den
    return f"{ratio:.0f}×" if ratio >= 100 else f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×"


def print_table(title, headers, rows):
    """Print an aligned plain-text table, then the same as a Markdown table."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    print(f"\n{title}\n")
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print("\nMarkdown:\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


_TMPDIR = Path(tempfile.mkdtemp(prefix="s2sdiff_bench_"))
atexit.register(shutil.rmtree, _TMPDIR, ignore_errors=True)
_counter = 0


def load_source(source, stem="generated"):
    """Write ``source`` to a fresh module file and import it (so ``inspect.getsource`` works).

    Every call makes a new module with a new name, hence new function objects
    and code objects: nothing cached for an earlier one applies to it.
    """
    global _counter
    _counter += 1
    name = f"_bench_{stem}_{_counter}"
    path = _TMPDIR / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def optional_import(name):
    """The module ``name`` if it imports, else None."""
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any failure to import means "not available"
        return None


def rebind(fn, module):
    """``fn``, and the functions of its module it calls, with ``np`` bound to ``module``
    (``autograd.numpy``, ``jax.numpy``)."""
    space = {**fn.__globals__, "np": module}
    for name, value in list(space.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
            space[name] = types.FunctionType(value.__code__, space, value.__name__,
                                             value.__defaults__)
    return space[fn.__name__]


def s2sdiff_gradient(f, wrt):
    from s2sdiff import grad

    return grad(f, wrt=wrt)


def autograd_gradient(f, wrt):
    """autograd's gradient of ``f`` (written with ``np``), or None without autograd."""
    autograd = optional_import("autograd")
    if autograd is None:
        return None
    return autograd.grad(rebind(f, optional_import("autograd.numpy")), wrt)
