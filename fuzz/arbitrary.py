"""Robustness: arbitrary syntactically valid functions fed to ``grad``.

``generate(seed)`` returns the source of a module that defines ``f(x, y)``
whose body is drawn from (nearly) the whole statement and expression grammar:
``try``/``except``/``except*``/``finally``, ``with``, ``yield``/``yield
from``, ``async``/``await``, ``lambda``, ``global``/``nonlocal``, nested
``def``/``class`` with decorators, comprehensions, f-strings, the walrus,
``match``, starred targets and arguments, slices, attributes, dict and set
displays, ``del``, ``assert``, ``raise``, ``for``/``while`` with ``else``…
plus hostile inputs: very long bodies, deep nesting, huge literals and names
that shadow what s2sdiff generates (``x_bar``, ``_tape``, ``_t1``, ``grad_f``).

A program that fails by itself under plain Python at the point counts as
``skipped`` (only its transformation was checked).  The contract checked by :func:`check`: ``grad(f)`` and a call of the gradient
either work (and then, when ``f`` returns a float, agree with finite
differences) or raise an ``S2SDiffError`` subclass; one that carries a
``location`` must point into the program's file.  Anything else escaping
s2sdiff is a crash.  If ``f`` itself raises under plain Python at the point,
only the transformation is checked, not the call.

With ``--hypothesmith`` (needs the ``hypothesmith`` package) the bodies come
from hypothesmith instead, wrapped into ``def f(x, y):``.
"""

from __future__ import annotations

import ast
import math
import random
import textwrap
import warnings

from .check import Hang, Outcome, _compare, _one_line, forget, load_module, time_limit

PRELUDE = '''\
import contextlib
import math

G = 1.5


class Box:
    scale = 2.0

    def __init__(self, v=0.0):
        self.v = v


def helper(a, b=1.0, *rest, c=0.5, **kw):
    return a * b + c


async def agen():
    yield 1.0

'''
NAMES = ("a", "b", "c", "n", "lst", "d", "s", "t")
HOSTILE_NAMES = ("x_bar", "_tape", "_t1", "grad_f", "y_dot", "f_bar", "_t2", "a_bar")
POINT = (0.7, -1.3)


class _Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names = list(NAMES)
        if rng.random() < 0.3:
            self.names += rng.sample(HOSTILE_NAMES, 3)
        self.is_async = rng.random() < 0.05

    # ----- expressions
    def name(self) -> str:
        return self.rng.choice(("x", "y", "x", "y") + tuple(self.names))

    def const(self) -> str:
        r = self.rng.random()
        if r < 0.03:
            return "1" + "0" * self.rng.randint(20, 400)          # huge int literal
        if r < 0.05:
            return self.rng.choice(("1e308", "1e-320", "1e999", "0x7fffffffffffffff", "0b1011", "0o17"))
        if r < 0.08:
            return self.rng.choice(("'s'", "b'b'", "''", "'x' 'y'", "r'\\d'", "'" + "z" * 500 + "'"))
        if r < 0.1:
            return self.rng.choice(("None", "True", "False", "...", "2j", "1_000.5"))
        if r < 0.4:
            return str(self.rng.randint(0, 5))
        return repr(round(self.rng.uniform(-3, 3), 2))

    def expr(self, d: int = 0, ctx=None) -> str:
        rng = self.rng
        ctx = ctx or {}
        if d > 3 or rng.random() < 0.3 + 0.1 * d:
            return self.name() if rng.random() < 0.6 else self.const()
        e = lambda: self.expr(d + 1, ctx)
        forms = [
            lambda: f"({e()} {rng.choice(('+', '-', '*', '/', '//', '%', '@', '&', '|', '^'))} {e()})",
            lambda: f"({e()} ** {rng.randint(0, 3)})",
            lambda: f"({e()} << {rng.randint(0, 3)})",
            lambda: f"({rng.choice(('-', '+', 'not ', '~'))}{e()})",
            lambda: f"({e()} {rng.choice(('and', 'or'))} {e()})",
            lambda: f"({e()} {rng.choice(('<', '<=', '==', '!=', 'is', 'is not', 'in', 'not in'))} {e()})",
            lambda: f"({e()} < {e()} <= {e()})",
            lambda: f"({e()} if {e()} else {e()})",
            lambda: f"math.{rng.choice(('sin', 'cos', 'exp', 'log', 'sqrt', 'tanh', 'floor', 'gamma'))}({e()})",
            lambda: f"{rng.choice(('abs', 'min', 'max', 'len', 'int', 'float', 'round', 'sum', 'sorted', 'list', 'tuple', 'str', 'isinstance', 'range', 'divmod', 'pow'))}({e()}{', ' + e() if rng.random() < 0.4 else ''})",
            lambda: f"helper({e()}, b={e()})",
            lambda: f"helper(*[{e()}, {e()}], **{{'c': {e()}}})",
            lambda: f"(lambda p, q=1.0: p * q + {e()})({e()})",
            lambda: f"[{e()}, *[{e()}], {e()}]",
            lambda: f"({e()}, {e()})",
            lambda: f"{{{e()}, {e()}}}",
            lambda: f"{{'k': {e()}, **{{'j': {e()}}}}}",
            lambda: f"[v * 2 for v in range(3) if v != {rng.randint(0, 2)}]",
            lambda: f"{{v: {e()} for v in range(2)}}",
            lambda: "{v for v in (1, 2) for w in range(2)}",
            lambda: f"sum(v for v in [{e()}, {e()}])",
            lambda: f"f'{{{self.name()}!r:>8}} and {{{self.name()}}}'",
            lambda: f"f\"{{{e()}:.3}}\"",
            lambda: f"(n := {e()})",
            lambda: f"[1, 2, 3][{rng.randint(0, 2)}:{rng.choice(('', '2', '-1'))}]",
            lambda: f"[{e()}, {e()}][::{rng.choice(('1', '-1', '2'))}]",
            lambda: f"(1.5).{rng.choice(('real', 'imag', 'is_integer()', 'hex()'))}",
            lambda: f"{self.name()}.{rng.choice(('real', 'v', 'scale', 'conjugate()'))}",
            lambda: f"Box({e()}).v",
            lambda: f"G * {e()}",
            lambda: f"'%s-%d' % ({e()}, 1)",
        ]
        if ctx.get("gen"):
            forms.append(lambda: f"(yield {e()})")
        if ctx.get("async"):
            forms.append(lambda: "(await agen().__anext__())")
        return rng.choice(forms)()

    # ----- statements
    def block(self, ind: str, d: int, ctx: dict, n: int | None = None) -> list[str]:
        n = n if n is not None else self.rng.randint(1, 3 if d else 6)
        out: list[str] = []
        for _ in range(n):
            out += self.stmt(ind, d, ctx)
        return out or [f"{ind}pass"]

    def stmt(self, ind: str, d: int, ctx: dict) -> list[str]:
        rng = self.rng
        e = lambda: self.expr(1, ctx)
        nm = self.name
        simple = [
            lambda: [f"{ind}{nm()} = {e()}"],
            lambda: [f"{ind}{nm()} = {nm()} = {e()}"],
            lambda: [f"{ind}{nm()}, {nm()} = {e()}, {e()}"],
            lambda: [f"{ind}{nm()}, *{nm()} = [{e()}, {e()}, {e()}]"],
            lambda: [f"{ind}({nm()}, [{nm()}, {nm()}]) = (1, [2, 3])"],
            lambda: [f"{ind}{nm()}: float = {e()}"],
            lambda: [f"{ind}{nm()}: int"],
            lambda: [f"{ind}{nm()} {rng.choice(('+=', '-=', '*=', '/=', '//=', '%=', '|=', '&=', '^=', '@='))} {e()}"],
            lambda: [f"{ind}{nm()} **= 2", f"{ind}{nm()} <<= 1", f"{ind}{nm()} >>= 1"],
            lambda: [f"{ind}lst = [{e()}, {e()}]", f"{ind}lst[{rng.randint(0, 1)}] = {e()}"],
            lambda: [f"{ind}lst = [x, y]", f"{ind}lst.append({e()})", f"{ind}lst[0:1] = [{e()}]"],
            lambda: [f"{ind}bx = Box()", f"{ind}bx.v = {e()}", f"{ind}bx.v += 1"],
            lambda: [f"{ind}{nm()}.attr = {e()}"],
            lambda: [f"{ind}del {nm()}"],
            lambda: [f"{ind}lst = [1, 2]", f"{ind}del lst[0], lst[:]"],
            lambda: [f"{ind}pass"],
            lambda: [f"{ind}{e()}"],
            lambda: [f"{ind}assert {e()}, 'message'"],
            lambda: [f"{ind}import math as m2", f"{ind}{nm()} = m2.pi"],
            lambda: [f"{ind}from math import sin as sin_", f"{ind}{nm()} = sin_(x)"],
            lambda: [f"{ind}global G", f"{ind}G = {e()}"],
            lambda: [f"{ind}return {e()}"],
            lambda: [f"{ind}{nm()} = lambda *a, **k: {e()}"],
            lambda: [f"{ind}print({e()}, end='') if False else None"],
        ]
        if ctx.get("loop"):
            simple += [lambda: [f"{ind}if {e()}:", f"{ind}    break"],
                       lambda: [f"{ind}if {e()}:", f"{ind}    continue"],
                       lambda: [f"{ind}break"], lambda: [f"{ind}continue"]]
        if ctx.get("gen"):
            simple += [lambda: [f"{ind}yield {e()}"], lambda: [f"{ind}yield from [{e()}]"]]
        if ctx.get("nested"):
            simple += [lambda: [f"{ind}nonlocal {ctx['nested']}", f"{ind}{ctx['nested']} = {e()}"]]
        if d >= 4 or rng.random() < 0.55:
            return rng.choice(simple)()
        d1, i1 = d + 1, ind + "    "
        loopctx = dict(ctx, loop=True)
        compound = [
            lambda: [f"{ind}if {e()}:", *self.block(i1, d1, ctx),
                     *([f"{ind}elif {e()}:", *self.block(i1, d1, ctx)] if rng.random() < 0.4 else []),
                     *([f"{ind}else:", *self.block(i1, d1, ctx)] if rng.random() < 0.5 else [])],
            lambda: [f"{ind}for {nm()} in {rng.choice(('range(3)', '[x, y]', 'enumerate([x])', 'zip([x], [y])', '(1.0, 2.0)', 'range(len([x]))'))}:",
                     *self.block(i1, d1, loopctx),
                     *([f"{ind}else:", *self.block(i1, d1, ctx)] if rng.random() < 0.3 else [])],
            lambda: [f"{ind}for {nm()}, {nm()} in [(1, 2), (x, y)]:", *self.block(i1, d1, loopctx)],
            lambda: [f"{ind}_k{d} = 0", f"{ind}while _k{d} < 3:", f"{i1}_k{d} += 1", *self.block(i1, d1, loopctx),
                     *([f"{ind}else:", *self.block(i1, d1, ctx)] if rng.random() < 0.3 else [])],
            lambda: [f"{ind}try:", *self.block(i1, d1, ctx),
                     f"{ind}except {rng.choice(('ValueError', '(TypeError, ZeroDivisionError)', 'Exception as exc', 'ArithmeticError'))}:",
                     *self.block(i1, d1, ctx),
                     *([f"{ind}else:", *self.block(i1, d1, ctx)] if rng.random() < 0.3 else []),
                     *([f"{ind}finally:", *self.block(i1, d1, ctx)] if rng.random() < 0.3 else [])],
            lambda: [f"{ind}try:", f"{i1}raise ValueError({e()})", f"{ind}except* ValueError:",
                     *self.block(i1, d1, ctx)],
            lambda: [f"{ind}try:", *self.block(i1, d1, ctx), f"{ind}finally:", *self.block(i1, d1, ctx)],
            lambda: [f"{ind}with contextlib.nullcontext({e()}) as {nm()}:", *self.block(i1, d1, ctx)],
            lambda: [f"{ind}with contextlib.suppress(Exception), contextlib.nullcontext():",
                     *self.block(i1, d1, ctx)],
            lambda: self.nested_def(ind, d1, ctx),
            lambda: [f"{ind}class K{d}:", f"{i1}z = {e()}", f"{i1}@staticmethod", f"{i1}def m(q):",
                     f"{i1}    return q * 2", f"{ind}{nm()} = K{d}.m({e()})"],
            lambda: [f"{ind}match {e()}:",
                     f"{i1}case 1 | 2:", *self.block(i1 + "    ", d1, ctx),
                     f"{i1}case [p0, *rest_]:", *self.block(i1 + "    ", d1, ctx),
                     f"{i1}case {{'k': p1}}:", *self.block(i1 + "    ", d1, ctx),
                     f"{i1}case Box(v=p2) if p2 > 0:", *self.block(i1 + "    ", d1, ctx),
                     f"{i1}case float() as p3:", *self.block(i1 + "    ", d1, ctx),
                     f"{i1}case _:", *self.block(i1 + "    ", d1, ctx)],
        ]
        if ctx.get("async"):
            compound += [lambda: [f"{ind}async for {nm()} in agen():", *self.block(i1, d1, loopctx)],
                         lambda: [f"{ind}async with contextlib.AsyncExitStack():", *self.block(i1, d1, ctx)]]
        return rng.choice(compound)()

    def nested_def(self, ind: str, d: int, ctx: dict) -> list[str]:
        rng = self.rng
        i1 = ind + "    "
        deco = [f"{ind}@(lambda fn: fn)"] if rng.random() < 0.3 else []
        gen = rng.random() < 0.2
        out = [f"{ind}cell = {self.expr(1, ctx)}", *deco,
               f"{ind}def inner(p, q: float = 1.0, *args, r=2, **kw) -> float:"]
        out += self.block(i1, d, {"gen": gen, "nested": "cell"})
        out += [f"{i1}return p * q + cell"] if not gen else []
        out += [f"{ind}{self.name()} = inner({self.expr(1, ctx)})"]
        return out


def _hostile(rng: random.Random) -> list[str]:
    kind = rng.randrange(4)
    if kind == 0:  # very long straight-line body
        n = rng.randint(200, 1500)
        lines = [f"    v{i} = {'x' if i == 0 else f'v{i - 1}'} * {0.5 + (i % 3) * 0.25} + math.sin(y)" for i in range(n)]
        return lines + [f"    return v{n - 1}"]
    if kind == 1:  # deep nesting of blocks
        depth = rng.randint(10, 60)
        lines = [f"{'    ' * (i + 1)}if x > {-100 - i}:" for i in range(depth)]
        return lines + [f"{'    ' * (depth + 1)}x = x * y + 1.0", "    return x"]
    if kind == 2:  # deep expression nesting
        depth = rng.randint(20, 150)
        return ["    return " + "(" * depth + "x" + " + y)" * depth]
    names = list(HOSTILE_NAMES)  # every name s2sdiff might generate, used by the user
    lines = [f"    {n} = x * {i + 1}.0" for i, n in enumerate(names)]
    return lines + ["    return " + " + ".join(names) + " * y"]


def generate(seed: int) -> str:
    """The module source of arbitrary function number ``seed`` (it compiles)."""
    rng = random.Random(seed)
    for _ in range(100):
        g = _Gen(rng)
        head = "async def f(x, y):" if g.is_async else "def f(x, y):"
        if rng.random() < 0.06:
            body = _hostile(rng)
        else:
            ctx = {"gen": rng.random() < 0.06, "async": g.is_async}
            body = g.block("    ", 0, ctx)
            if rng.random() < 0.7:
                body.append(f"    return {g.expr(1)} + x * y")
        src = PRELUDE + "\n" + head + "\n" + "\n".join(body) + "\n"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(src, "<arbitrary>", "exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        return src
    raise RuntimeError(f"no compilable program for seed {seed}")  # pragma: no cover


def wrap_body(module_source: str) -> str | None:
    """A module's statements (e.g. from hypothesmith) as the body of ``def
    f(x, y):`` in a module with the prelude; None if that does not compile."""
    try:
        body = ast.unparse(ast.parse(module_source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    src = PRELUDE + "\ndef f(x, y):\n" + textwrap.indent(body or "pass", "    ") + "\n"
    try:
        compile(src, "<arbitrary>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return src


def hypothesmith_sources(n: int, seed: int) -> list[str]:
    """``n`` wrapped programs drawn by hypothesmith, reproducible from ``seed``."""
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    out: list[str] = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_node())
    def collect(src):
        wrapped = wrap_body(src)
        if wrapped is not None:
            out.append(wrapped)

    collect()
    return out


# ---------------------------------------------------------------- checking
def _location_problem(e: BaseException, path: str, nlines: int) -> str | None:
    if not hasattr(e, "location"):
        return None  # an unlocated kind of error (e.g. no source): fine
    loc = e.location
    if loc is None:
        return "error without a location"
    try:
        fn, line, col = loc.filename, loc.lineno, loc.col
    except AttributeError as err:
        return f"malformed location: {err}"
    if str(fn) != str(path):
        return f"location file {fn!r} is not the program's {path!r}"
    if not (isinstance(line, int) and 1 <= line <= nlines):
        return f"location line {line!r} outside 1..{nlines}"
    if not (isinstance(col, int) and col >= 0):
        return f"location column {col!r}"
    return None


def _run_plain(f, pt):
    """f's value at pt under plain Python, or raise if the program itself fails."""
    import inspect

    with time_limit(2):
        v = f(*pt)
        if inspect.iscoroutine(v):
            v.close()
        return v


def check(source: str, core, point=POINT, timeout: float = 20) -> Outcome:
    """Classify one arbitrary program: differentiated / rejected / wrong /
    crashed / unlocated, with ``detail``; ``error`` = exception type."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the programs' own SyntaxWarnings, unawaited coroutines
        return _check(source, core, point, timeout)


def _check(source: str, core, point, timeout: float) -> Outcome:
    mod = load_module(source, "arb")
    path = mod.__file__
    nlines = source.count("\n") + 1
    try:
        f = mod.f
        try:
            value = _run_plain(f, point)
            user_ok = True
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            user_ok, value = False, None
        try:
            with time_limit(timeout):
                g = core.grad(f, wrt=(0, 1))
                getattr(g, "source", None)  # force the transformation if it is lazy
                if not user_ok:
                    return Outcome("skipped", "transformed; the program itself fails at the point")
                got = g(*point)
        except core.Error as e:
            problem = _location_problem(e, path, nlines)
            if problem:
                return Outcome("unlocated", f"{problem}: {_one_line(e)}", type(e).__name__)
            return Outcome("rejected", _one_line(e), type(e).__name__)
        except Hang as e:
            return Outcome("crashed", str(e), "Hang")
        except Exception as e:  # noqa: BLE001 - a bug in s2sdiff
            return Outcome("crashed", _one_line(e), type(e).__name__)
        if isinstance(value, float) and math.isfinite(value) and "global " not in source:
            try:
                with time_limit(5):
                    got = got if isinstance(got, (tuple, list)) else (got,)
                    verdict = _compare(f, point, tuple(got), 2)
            except Exception:  # noqa: BLE001 - f itself failed near the point: skip
                verdict = False
            if isinstance(verdict, str):
                return Outcome("wrong", verdict, point=point)
        return Outcome("differentiated", checked=1)
    finally:
        forget(mod)


def assert_grad_robust(f, point) -> None:
    """For regression tests: grad(f) works at ``point`` or raises a located
    S2SDiffError."""
    import inspect

    from .check import Core

    out = check(inspect.getsource(inspect.getmodule(f)), Core(), point)
    assert out.kind in ("differentiated", "rejected", "skipped"), f"{out.kind}: {out.detail}"
