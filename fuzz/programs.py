"""A seeded generator of valid, differentiable numeric Python functions.

``generate(seed)`` returns a :class:`Program`: the source of a module-sized
snippet defining ``f`` (1 to 3 float parameters) and possibly a few helper
functions ``h1``, ``h2``… that ``f`` calls.  The same seed always gives the
same source, byte for byte.

What the programs mix: straight-line arithmetic (``+ - * / **``, unary minus,
``//`` and ``%`` now and then), ``math`` calls whose arguments are kept inside
their domains by construction (``math.log(1.0 + v * v)``,
``math.asin(0.5 * math.tanh(v))``…), ``abs``/``min``/``max``/``pow``,
conditional expressions, ``if``/``elif``/``else`` on float comparisons
(with ``and``/``or``/``not`` and chained comparisons), ``for`` over
``range(...)``, ``while`` loops driven by an integer counter (including
``while True`` with ``break``), ``break``/``continue``, early returns, tuple
assignments and swaps, augmented assignments, reassigned parameters, calls to
helpers with keyword arguments and defaults, recursive helpers (a depth
argument counted down to 0, one or two recursive calls per level), chains of
up to 12 helpers each calling the one below twice, a helper ``g1`` returning
two values that ``f`` unpacks (``a, b = g1(x, q=y)``, in loops too), sums of
comprehensions (``sum(e for k in range(n))``, filtered lists, sums of sums; a
comprehension's variable may be a counter of an enclosing loop), and local
names that shadow the names s2sdiff generates (``x_bar``, ``_tape``, ``_t1``…).

The pair helper and its calls, and the comprehensions, are drawn from random
streams of their own (of the same seed), so the programs of seeds without them
are those of earlier versions.

Values stay bounded: inside loops right-hand sides are squashed (``tanh``,
``sin``, convex combinations), and every candidate is run under plain Python
at a few points in ``[-2, 2]``; a candidate that raises, or gives a
non-finite or huge value, is dropped and the generator draws again from the
same random stream, so the result is still a function of the seed alone.

Extension point for NumPy programs: ``Config(numpy=True)`` is reserved.  The
plan is an ``_ArrayGen`` subclass of ``_Gen`` that adds array-valued
variables (``numpy.array([...])`` of 2–4 elements built from the float
parameters), elementwise ``numpy`` ufuncs with the same domain tricks,
reductions (``numpy.sum``, ``numpy.dot``, ``@``) back to a float for the
return value, and indexing by constant integers.
"""

from __future__ import annotations

import contextlib
import math
import random
import re
from dataclasses import dataclass, field

PARAMS = ("x", "y", "z")
LOCALS = ("a", "b", "c", "d", "u", "v", "w", "s")
# Names that collide with the names s2sdiff generates (adjoints, tangents,
# tape, temporaries, the gradient function): they must be handled.
SHADOWING = ("x_bar", "a_bar", "_tape", "_t1", "y_dot", "grad_f", "s_bar", "a_dot")
COUNTERS = ("i", "j", "k")


@dataclass(frozen=True)
class Config:
    """Knobs of the generator; the defaults are what ``python -m fuzz`` uses."""

    max_stmts: int = 7          # statements per block at the top level of f
    max_depth: int = 3          # nesting of if/for/while
    max_expr_depth: int = 3
    max_helpers: int = 2
    shadow_names: float = 0.15  # share of programs whose locals shadow generated names
    kwonly: float = 0.1         # share of helpers with a keyword-only parameter
    recursion: float = 0.12     # share of programs with a recursive helper
    chain: float = 0.08         # share of programs with a deep chain of helpers
    pairs: float = 0.2          # share of programs with a helper returning a pair
    numpy: bool = False         # reserved: NumPy programs (see module docstring)


@dataclass(frozen=True)
class Program:
    seed: int
    nparams: int
    source: str                 # defines f and its helpers; needs ``import math``
    constructs: frozenset = field(default_factory=frozenset, compare=False)

    @property
    def params(self) -> tuple[str, ...]:
        return PARAMS[: self.nparams]

    def module_source(self) -> str:
        return "import math\n\n\n" + self.source

    def renamed(self, tag: str) -> str:
        """The source with every function renamed ``name_tag`` (for batching
        many programs into one module)."""
        return rename(self.source, tag)


_FUNC_NAME = re.compile(r"\b(f|h\d+|r\d+|c\d+|g\d+)(?=\()")


def rename(source: str, tag: str) -> str:
    return _FUNC_NAME.sub(lambda m: f"{m.group(1)}_{tag}", source)


class _Reject(Exception):
    """A construct could not be produced in the current context."""


class _Scope:
    """What is defined where the generator stands."""

    def __init__(self, floats, counters=(), loop_depth=0, in_loop_kind=None):
        self.floats = list(floats)          # float names definitely assigned
        self.counters = list(counters)      # integer loop counters in scope
        self.loop_depth = loop_depth
        self.in_loop_kind = in_loop_kind

    def copy(self):
        return _Scope(self.floats, self.counters, self.loop_depth, self.in_loop_kind)


class _Gen:
    def __init__(self, rng: random.Random, cfg: Config):
        self.rng = rng
        self.cfg = cfg
        self.helpers: list[tuple[str, list[str], int, list[str]]] = []
        self.constructs: set[str] = set()
        self.local_pool = list(LOCALS)
        if rng.random() < cfg.shadow_names:
            for name in rng.sample(SHADOWING, 3):
                self.local_pool[rng.randrange(len(self.local_pool))] = name
                self.constructs.add("shadow")
        self.current_helpers: list = []
        self.pair: str | None = None  # the helper returning a pair, once f may call it
        self.extra = random.Random()  # the stream of the pair helper and its calls
        self.comprehensions = random.Random()  # the stream of the comprehensions in f

    # ---------- expressions ----------
    def const(self) -> str:
        r = self.rng.random()
        if r < 0.08:
            self.constructs.add("math-const")
            return self.rng.choice(("math.pi", "math.e"))
        if r < 0.2:
            return str(self.rng.randint(1, 3))
        return repr(round(self.rng.uniform(-2.0, 2.0), 2) or 0.5)

    def atom(self, sc: _Scope) -> str:
        r = self.rng.random()
        if sc.counters and r < 0.1:
            self.constructs.add("counter-use")
            return f"({self.rng.choice(sc.counters)} * {round(self.rng.uniform(0.1, 0.5), 2)})"
        if r < 0.8 or not sc.floats:
            return self.rng.choice(sc.floats) if sc.floats and r < 0.8 else self.const()
        return self.const()

    def expr(self, sc: _Scope, depth: int = 0) -> str:
        rng = self.rng
        if depth >= self.cfg.max_expr_depth or rng.random() < 0.25 + 0.15 * depth:
            return self.atom(sc)
        d = depth + 1
        k = rng.random()
        if k < 0.35:
            op = rng.choice("+-*")
            self.constructs.add("binop")
            return f"({self.expr(sc, d)} {op} {self.expr(sc, d)})"
        if k < 0.42:
            self.constructs.add("div")
            e, v = self.expr(sc, d), self.expr(sc, d)
            return rng.choice((f"({e} / (1.5 + {v} * {v}))", f"({e} / (2.0 + math.cos({v})))",
                               f"({e} / {rng.choice(('2.0', '3', '-1.5'))})"))
        if k < 0.48:
            self.constructs.add("pow")
            e = self.expr(sc, d)
            return rng.choice((f"({e}) ** 2", f"math.tanh({e}) ** 3", f"(1.0 + {e} * {e}) ** 0.5",
                               f"(1.5 + math.sin({e})) ** -1", f"pow(math.tanh({e}), 2)",
                               f"(1.5 + math.cos({e})) ** math.tanh({self.expr(sc, d)})"))
        if k < 0.52:
            self.constructs.add("neg")
            return f"(-{self.expr(sc, d)})"
        if k < 0.78:
            self.constructs.add("math")
            return self.math_call(sc, d)
        if k < 0.86:
            self.constructs.add("minmax")
            e1, e2 = self.expr(sc, d), self.expr(sc, d)
            return rng.choice((f"abs({e1})", f"min({e1}, {e2})", f"max({e1}, {e2})",
                               f"max({e1}, {e2}, {self.atom(sc)})", f"math.fabs({e1})"))
        if k < 0.91:
            self.constructs.add("ifexp")
            return f"({self.expr(sc, d)} if {self.cond(sc, d)} else {self.expr(sc, d)})"
        if k < 0.93:
            self.constructs.add("floordiv-mod")
            return rng.choice((f"({self.expr(sc, d)} % 1.5)", f"({self.expr(sc, d)} // 1.0)"))
        if self.current_helpers:
            return self.helper_call(sc, d)
        return self.atom(sc)

    def math_call(self, sc: _Scope, d: int) -> str:
        e = self.expr(sc, d)
        forms = (
            f"math.sin({e})", f"math.cos({e})", f"math.tanh({e})", f"math.atan({e})",
            f"math.exp(math.tanh({e}))", f"math.exp(-({e}) ** 2)", f"math.log(1.0 + {e} * {e})",
            f"math.sqrt(2.0 + math.sin({e}))", f"math.asin(0.5 * math.tanh({e}))",
            f"math.acos(0.5 * math.tanh({e}))", f"math.log1p({e} * {e})",
            f"math.expm1(math.tanh({e}))", f"math.sinh(math.tanh({e}))",
            f"math.cosh(math.tanh({e}))", f"math.erf({e})", f"math.erfc({e})",
            f"math.log(2.0 + math.cos({e}), 2.0)", f"math.log2(1.5 + math.sin({e}))",
            f"math.log10(1.0 + {e} * {e})", f"math.hypot({e}, 0.5)", f"math.tan(0.7 * math.tanh({e}))",
            f"math.atan2({e}, 1.5 + math.cos({self.expr(sc, d)}))",
            f"math.asinh({e})", f"math.acosh(1.5 + {e} * {e})", f"math.atanh(0.5 * math.sin({e}))",
        )
        return self.rng.choice(forms)

    def squash(self, sc: _Scope, target: str | None) -> str:
        e = self.expr(sc, 1)
        forms = [f"math.tanh({e})", f"math.sin({e})", f"0.5 * math.atan({e})", f"math.erf({e})"]
        if target in sc.floats:
            forms.append(f"0.5 * {target} + 0.5 * math.tanh({e})")
        return self.rng.choice(forms)

    def cond(self, sc: _Scope, d: int = 1) -> str:
        rng = self.rng
        op = rng.choice(("<", "<=", ">", ">="))
        base = f"{self.expr(sc, d + 1)} {op} {self.expr(sc, d + 1)}"
        r = rng.random()
        if r < 0.12:
            self.constructs.add("boolop")
            return f"{base} and {self.atom(sc)} {rng.choice('<>')} {self.const()}"
        if r < 0.22:
            self.constructs.add("boolop")
            return f"({base} or {self.atom(sc)} > {self.const()})"
        if r < 0.28:
            self.constructs.add("not")
            return f"not ({base})"
        if r < 0.33:
            self.constructs.add("chained-compare")
            return f"{self.const()} < {self.atom(sc)} < {self.const()}"
        return base

    def helper_call(self, sc: _Scope, d: int) -> str:
        name, params, ndefaults, kwonly, *fixed = self.rng.choice(self.current_helpers)
        self.constructs.add("call")
        if fixed:  # a recursion depth or chain: a float and a small integer
            return f"{name}({self.expr(sc, d + 1)}, {self.rng.randint(0, fixed[0])})"
        required = params[: len(params) - ndefaults]
        optional = params[len(params) - ndefaults:]
        args = [self.expr(sc, d + 1) for _ in required]
        kwargs = []
        if required and self.rng.random() < 0.3:
            # pass the last required one by keyword
            kwargs.append(f"{required[-1]}={args.pop()}")
            self.constructs.add("kwarg")
        for p in optional:
            if self.rng.random() < 0.5:
                kwargs.append(f"{p}={self.expr(sc, d + 1)}")
                self.constructs.add("kwarg")
            else:
                self.constructs.add("default")
        for p in kwonly:
            if self.rng.random() < 0.5:
                kwargs.append(f"{p}={self.expr(sc, d + 1)}")
        self.rng.shuffle(kwargs)
        return f"{name}({', '.join(args + kwargs)})"

    # ---------- statements ----------
    def block(self, sc: _Scope, depth: int, n: int, out: list, ind: str) -> tuple[_Scope, bool]:
        """Emit ``n`` statements; return the scope after them and whether the
        block always leaves (return/break/continue as its last statement)."""
        for _ in range(n):
            sc, left = self.stmt(sc, depth, out, ind)
            if left:
                return sc, True
        return sc, False

    def target(self, sc: _Scope, params: list[str]) -> str:
        if self.rng.random() < 0.12:
            self.constructs.add("param-reassign")
            return self.rng.choice(params)
        return self.rng.choice(self.local_pool)

    def rhs(self, sc: _Scope, t: str | None) -> str:
        squash_p = 0.8 if sc.loop_depth else 0.2
        return self.squash(sc, t) if self.rng.random() < squash_p else self.expr(sc)

    def stmt(self, sc: _Scope, depth: int, out: list, ind: str) -> tuple[_Scope, bool]:
        if self.pair and len(sc.floats) >= 2 and self.extra.random() < 0.15:
            with self.drawing_from(self.extra):
                return self.pair_call(sc, out, ind), False
        if sc.floats and self.comprehensions.random() < 0.03:
            with self.drawing_from(self.comprehensions):
                return self.comprehension(sc, out, ind), False
        rng = self.rng
        k = rng.random()
        params = self.params
        can_nest = depth < self.cfg.max_depth
        if k < 0.3 or len(sc.floats) < 2:
            t = self.target(sc, params)
            out.append(f"{ind}{t} = {self.rhs(sc, t)}")
            self.constructs.add("assign")
            if t not in sc.floats:
                sc.floats.append(t)
            return sc, False
        if k < 0.42:
            t = rng.choice(sc.floats)
            self.constructs.add("augassign")
            if sc.loop_depth:
                e = self.squash(sc, None)
                op = rng.choice(("+=", "-=", "*=", "/="))
                rhs = {"+=": f"0.3 * {e}", "-=": f"0.3 * {e}", "*=": f"(0.9 * {e})",
                       "/=": f"(1.5 + {e} * {e})"}[op]
            else:
                op = rng.choice(("+=", "-=", "*=", "/=", "**="))
                e = self.expr(sc, 1)
                rhs = {"+=": e, "-=": e, "*=": e, "/=": f"(1.5 + {e} * {e})", "**=": "2"}[op]
            out.append(f"{ind}{t} {op} {rhs}")
            return sc, False
        if k < 0.5:
            self.constructs.add("tuple-assign")
            if rng.random() < 0.5 and len(sc.floats) >= 2:
                a, b = rng.sample(sc.floats, 2)
                out.append(f"{ind}{a}, {b} = {b}, {a}")
                self.constructs.add("swap")
                return sc, False
            t1, t2 = rng.sample(self.local_pool + params, 2)
            out.append(f"{ind}{t1}, {t2} = {self.rhs(sc, t1)}, {self.rhs(sc, t2)}")
            for t in (t1, t2):
                if t not in sc.floats:
                    sc.floats.append(t)
            return sc, False
        if k < 0.64 and can_nest:
            return self.if_stmt(sc, depth, out, ind)
        if k < 0.74 and can_nest:
            return self.for_stmt(sc, depth, out, ind), False
        if k < 0.8 and can_nest:
            return self.while_stmt(sc, depth, out, ind), False
        if k < 0.9:
            # an early exit guarded by a condition
            kinds = ["return"]
            if sc.loop_depth:
                kinds += ["break", "continue"] * 2
            kind = rng.choice(kinds)
            self.constructs.add(kind)
            out.append(f"{ind}if {self.cond(sc)}:")
            if kind == "return":
                out.append(f"{ind}    return {self.expr(sc)}")
                self.constructs.add("early-return")
            else:
                if rng.random() < 0.5:
                    t = rng.choice(sc.floats)
                    out.append(f"{ind}    {t} = {self.squash(sc, t)}")
                out.append(f"{ind}    {kind}")
            return sc, False
        t = self.target(sc, params)
        out.append(f"{ind}{t} = {self.rhs(sc, t)}")
        if t not in sc.floats:
            sc.floats.append(t)
        return sc, False

    def pair_call(self, sc: _Scope, out: list, ind: str) -> _Scope:
        """``t1, t2 = g1(e1, e2)``, one or both arguments passed by keyword."""
        self.constructs.add("pair-call")
        t1, t2 = self.rng.sample(self.local_pool + self.params, 2)
        first = self.squash(sc, None) if sc.loop_depth else self.expr(sc, 1)
        second = self.squash(sc, None) if sc.loop_depth else self.expr(sc, 1)
        r = self.rng.random()
        args = ([f"{first}", f"{second}"] if r < 0.5 else
                [f"{first}", f"q={second}"] if r < 0.8 else [f"q={second}", f"p={first}"])
        out.append(f"{ind}{t1}, {t2} = {self.pair}({', '.join(args)})")
        for t in (t1, t2):
            if t not in sc.floats:
                sc.floats.append(t)
        return sc

    def comprehension(self, sc: _Scope, out: list, ind: str) -> _Scope:
        """``t = sum(e for k in range(n))`` (a list comprehension, a filter, a sum of
        sums); its variable may be a counter of an enclosing loop (it has a scope of
        its own)."""
        rng = self.rng
        self.constructs.add("comprehension")
        k, inner = rng.choice(COUNTERS), rng.choice(COUNTERS)
        body = f"{self.squash(sc, None)} * (0.5 + 0.25 * {k})"
        r = rng.random()
        if r < 0.4:
            total = f"sum({body} for {k} in range({rng.randint(0, 3)}))"
        elif r < 0.7:
            total = (f"sum([{body} for {k} in range({rng.randint(1, 4)}) "
                     f"if {k} != {rng.randint(0, 2)}])")
        else:
            term = f"{self.squash(sc, None)} * ({inner} - 0.5 * {k})"
            total = (f"sum(sum({term} for {inner} in range({rng.randint(1, 3)})) "
                     f"for {k} in range({rng.randint(1, 3)}))")
        t = self.target(sc, self.params)
        out.append(f"{ind}{t} = {total}")
        if t not in sc.floats:
            sc.floats.append(t)
        return sc

    @contextlib.contextmanager
    def drawing_from(self, rng: random.Random):
        """Draw from ``rng`` for a while, leaving the main stream where it was."""
        main, self.rng = self.rng, rng
        try:
            yield
        finally:
            self.rng = main

    def sub_n(self, depth: int) -> int:
        return self.rng.randint(1, max(1, self.cfg.max_stmts - 2 * depth))

    def if_stmt(self, sc: _Scope, depth: int, out: list, ind: str) -> tuple[_Scope, bool]:
        rng = self.rng
        self.constructs.add("if")
        out.append(f"{ind}if {self.cond(sc)}:")
        branches = []
        s, left = self.block(sc.copy(), depth + 1, self.sub_n(depth), out, ind + "    ")
        branches.append((s, left))
        while rng.random() < 0.3:
            self.constructs.add("elif")
            out.append(f"{ind}elif {self.cond(sc)}:")
            branches.append(self.block(sc.copy(), depth + 1, self.sub_n(depth), out, ind + "    "))
        if rng.random() < 0.6:
            self.constructs.add("else")
            out.append(f"{ind}else:")
            branches.append(self.block(sc.copy(), depth + 1, self.sub_n(depth), out, ind + "    "))
        else:
            branches.append((sc.copy(), False))
        live = [s for s, left in branches if not left]
        if not live:
            return sc, True
        common = [v for v in live[0].floats if all(v in s.floats for s in live[1:])]
        sc.floats = common
        return sc, False

    def for_stmt(self, sc: _Scope, depth: int, out: list, ind: str) -> _Scope:
        rng = self.rng
        free = [c for c in COUNTERS if c not in sc.counters]
        if not free:
            raise _Reject
        i = free[0]
        self.constructs.add("for")
        n = rng.randint(1, 4)
        rng_expr = rng.choice((f"range({n})", f"range(1, {n + 1})", f"range({n}, 0, -1)",
                               f"range(0, {2 * n}, 2)"))
        out.append(f"{ind}for {i} in {rng_expr}:")
        inner = _Scope(sc.floats, sc.counters + [i], sc.loop_depth + 1, "for")
        self.block(inner, depth + 1, self.sub_n(depth), out, ind + "    ")
        return sc

    def while_stmt(self, sc: _Scope, depth: int, out: list, ind: str) -> _Scope:
        rng = self.rng
        free = [c for c in COUNTERS if c not in sc.counters]
        if not free:
            raise _Reject
        i = free[0]
        n = rng.randint(1, 4)
        self.constructs.add("while")
        out.append(f"{ind}{i} = 0")
        inner = _Scope(sc.floats, sc.counters + [i], sc.loop_depth + 1, "while")
        r = rng.random()
        if r < 0.25:
            self.constructs.add("while-true")
            out.append(f"{ind}while True:")
            out.append(f"{ind}    {i} += 1")
            out.append(f"{ind}    if {i} > {n}:")
            out.append(f"{ind}        break")
        else:
            c = f"{i} < {n}"
            if r < 0.45 and sc.floats:
                c += f" and {rng.choice(sc.floats)} < {round(rng.uniform(0.5, 3.0), 2)}"
                self.constructs.add("while-float-cond")
            out.append(f"{ind}while {c}:")
            out.append(f"{ind}    {i} += 1")
        self.block(inner, depth + 1, self.sub_n(depth), out, ind + "    ")
        return sc

    # ---------- functions ----------
    def function(self, name: str, params: list[str], defaults: int, kwonly: list[str], n: int) -> list[str]:
        self.params = list(params)
        sig = []
        for idx, p in enumerate(params):
            if idx >= len(params) - defaults:
                sig.append(f"{p}={self.const()}")
            else:
                sig.append(p)
        if kwonly:
            sig.append("*")
            sig += [f"{p}={self.const()}" for p in kwonly]
        out = [f"def {name}({', '.join(sig)}):"]
        sc = _Scope(list(params) + list(kwonly))
        sc, left = self.block(sc, 0, n, out, "    ")
        if not left:
            ret = self.expr(sc)
            # make sure the result depends on something active most of the time
            if self.rng.random() < 0.7:
                ret = f"{ret} + {self.rng.choice(sc.floats)}"
            out.append(f"    return {ret}")
        return out


    def pair_helper(self, name: str) -> list[str]:
        """``name(p, q)``: a few statements, then two bounded values."""
        self.constructs.add("pair-helper")
        lines = self.function(name, ["p", "q"], 0, [], self.rng.randint(1, 4))
        body_returns = [ln for ln in lines if ln.strip().startswith("return ")]
        sc = _Scope(["p", "q"])
        last = f"    return math.tanh({self.expr(sc, 1)}), math.sin({self.expr(sc, 1)})"
        if lines[-1].startswith("    return ") and len(body_returns) == 1:
            lines[-1] = last
        else:  # an early return: every return gives a pair
            lines = [ln if not ln.strip().startswith("return ") else
                     ln.replace("return ", "return math.tanh(", 1) + "), 0.5"
                     for ln in lines]
        return lines

    def recursive(self, name: str) -> list[str]:
        """``name(p, n)``: recursion down to ``n <= 0``, once or twice per level."""
        self.constructs.add("recursion")
        self.params = ["p"]
        sc = _Scope(["p"])
        out = [f"def {name}(p, n):", "    if n <= 0:", f"        return {self.expr(sc)} + p"]
        first = f"{name}({self.squash(sc, None)}, n - 1)"
        if self.rng.random() < 0.4:
            self.constructs.add("tree-recursion")
            second = f"{name}({self.squash(sc, 'p')}, n - 2)"
            out.append(f"    return 0.5 * {first} + 0.5 * math.tanh({second})")
        else:
            out.append(f"    return {self.squash(sc, 'p')} + 0.5 * {first}")
        return out

    def chain(self, k: int) -> list[str]:
        """``c0`` … ``c{k}``, each calling the one below twice in a loop: inlined, the
        last would hold 2**k copies of the first."""
        self.constructs.add("chain")
        self.params = ["p"]
        sc = _Scope(["p"])
        lines = ["def c0(p, n):", f"    return {self.squash(sc, 'p')}", "", ""]
        for i in range(1, k + 1):
            lines += [f"def c{i}(p, n):",
                      "    s = 0.0",
                      "    for i in range(2):",
                      f"        s = s + 0.5 * c{i - 1}(p + 0.1 * i, n)",
                      "    return s", "", ""]
        return lines


def _runs_ok(source: str, nparams: int, rng: random.Random) -> bool:
    ns: dict = {"math": math}
    try:
        exec(compile(source, "<fuzz>", "exec"), ns)  # noqa: S102 - our own generated code
    except Exception:  # noqa: BLE001 - any failure disqualifies the candidate
        return False
    f = ns["f"]
    for _ in range(4):
        pt = [rng.uniform(-2.0, 2.0) for _ in range(nparams)]
        try:
            val = f(*pt)
        except Exception:  # noqa: BLE001 - any failure disqualifies the candidate
            return False
        if not isinstance(val, (int, float)) or not math.isfinite(val) or abs(val) > 1e6:
            return False
    return True


def generate(seed: int, cfg: Config = Config()) -> Program:
    """The program of ``seed``: deterministic, valid, bounded."""
    if cfg.numpy:
        raise NotImplementedError("NumPy programs: see the module docstring's extension point")
    rng = random.Random(seed)
    extra = random.Random(seed ^ 0xABCDE)
    comprehensions = random.Random(seed ^ 0xC0C0A)
    for _attempt in range(200):
        gen = _Gen(rng, cfg)
        gen.extra, gen.comprehensions = extra, comprehensions
        lines: list[str] = []
        try:
            if rng.random() < cfg.recursion:
                lines += gen.recursive("r1") + ["", ""]
                gen.current_helpers.append(("r1", ["p"], 0, [], 4))
            if rng.random() < cfg.chain:
                k = rng.randint(3, 12)
                lines += gen.chain(k)
                gen.current_helpers.append((f"c{k}", ["p"], 0, [], 0))
            for h in range(rng.randint(0, cfg.max_helpers)):
                np_ = rng.randint(1, 3)
                hparams = list(("p", "q", "r")[:np_])
                defaults = rng.randint(0, np_ - 1) if np_ > 1 else 0
                kwonly = ["t"] if rng.random() < cfg.kwonly else []
                if kwonly:
                    gen.constructs.add("kwonly")
                lines += gen.function(f"h{h + 1}", hparams, defaults, kwonly, rng.randint(1, 4))
                lines += ["", ""]
                gen.current_helpers.append((f"h{h + 1}", hparams, defaults, kwonly))
            if extra.random() < cfg.pairs:
                with gen.drawing_from(extra):
                    lines += gen.pair_helper("g1") + ["", ""]
                gen.pair = "g1"
            nparams = rng.randint(1, 3)
            lines += gen.function("f", list(PARAMS[:nparams]), 0, [], rng.randint(2, cfg.max_stmts))
        except _Reject:
            continue
        source = "\n".join(lines) + "\n"
        if _runs_ok(source, nparams, random.Random(seed ^ 0x5EED)):
            return Program(seed, nparams, source, frozenset(gen.constructs))
    raise RuntimeError(f"no valid program for seed {seed}")  # pragma: no cover


def main() -> None:  # pragma: no cover - a quick look: python -m fuzz.programs SEED
    import sys

    print(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0).module_source())


if __name__ == "__main__":  # pragma: no cover
    main()
