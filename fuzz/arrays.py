"""Random NumPy array programs, and their checks against finite differences.

``generate(seed)`` returns an :class:`ArrayProgram`: the source of a module
defining ``f`` over array and float parameters, and two *signatures*: concrete
arguments of two sets of shapes (sizes 1..4, with dimensions of length 1 on
purpose, float64 mostly, float32 sometimes).  The same seed gives the same
program and the same arguments.

The generator works on symbolic shapes: a dimension is a size symbol (``n``,
``m``, ``p``), a symbol minus a constant (``x[1:]``), or a literal (``1``, the
length of a stacked list); two dimensions broadcast only when they are the
same symbol or one of them is the literal 1, so a program is valid whatever
sizes the symbols take (at least the sizes its indexing asks for).  That is
what lets the checks call each transform a second time on arguments of other
shapes (a second signature, often with other dimensions of length 1 or
another dtype), which exercises the code s2sdiff generates per signature.

What the programs mix: elementwise ufuncs (``np.sin cos tanh exp``,
``np.log``/``np.sqrt`` of values positive by construction, ``np.maximum``,
``**``, ``+ - * /`` with denominators kept away from 0), broadcasting between
arguments of different shapes and Python floats, reductions
(``np.sum``/``np.mean``/``np.max``/``np.min`` and the methods, with ``axis``
and ``keepdims``), ``@``/``np.dot`` on 1-D and 2-D operands, transposes
(``.T``, ``np.transpose``), rearranging (``np.flip``, ``np.roll``, ``np.cumsum``,
``np.sort``, ``np.diff``, ``np.triu``/``np.tril``, ``np.moveaxis``, ``np.swapaxes``,
``np.rot90``, ``np.hstack``), slicing and integer indexing (``x[1:]``,
``x[:-1]``, ``x[:, 0]``, ``x[-1]``), ``for`` loops over ``range`` (constant
or ``len(x)``/``x.shape[0]`` bounds) accumulating into a variable (which may
start as ``0.0`` and become an array), reading ``x[i]`` and ``x[:, i]``, and
lists built with ``append`` in a loop or by a list comprehension (drawn from a
stream of its own), then joined (``np.stack``, ``np.concatenate``,
``sum(parts)``, ``parts[0]``).

``check(prog, core)`` runs, for each signature: ``grad`` (reverse) of the
scalar twin of ``f`` (``f`` with every ``return e`` made ``return np.sum(e)``
or ``np.mean(e)``; ``f`` itself when it returns a number) against finite
differences, values, shapes and dtypes; ``grad(mode="forward")`` against
reverse (against finite differences where reverse failed); ``jacfwd`` and ``jacrev`` of ``f`` against a finite-difference
Jacobian of shape ``out.shape + in.shape``; ``vjp`` with a random cotangent
against ``Jᵀ ct``; ``jvp`` with a random tangent against ``J t`` (and the two
against each other, the dot-product test); on every ``HESSIAN_EVERY``-th
program ``hessian`` of the twin against finite differences of the gradient,
and ``jacobian(grad(...))`` (composed in IR) likewise.
Finite differences are taken in float64 (float32 arguments are converted), at
``h = 1e-5`` and ``1e-6``; a point where the two disagree (a kink: a tie of
``max``) is skipped.  float32 results are compared with loose tolerances.
"""

from __future__ import annotations

import ast
import copy
import random
import re
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .check import Hang, Outcome, Tally, _one_line, forget, load_module, shrink, time_limit

SYMBOLS = ("n", "m", "p")
MAX_SIZE = 4
HESSIAN_EVERY = 3
CHUNK = 25
TIMEOUT = 60  # seconds s2sdiff may take on one program (all its transforms, both signatures)
H_COARSE, H_FINE = 1e-5, 1e-6
RTOL, ATOL = 1e-5, 1e-6
KINK_TOL = 1e-4
TIGHT = 1e-9          # forward against reverse, dot-product test (float64)
F32_TOL = 2e-3        # float32 results against float64 finite differences
TRANSFORMS = ("grad", "grad_fwd", "jacfwd", "jacrev", "vjp", "jvp", "hessian", "jacobian_of_grad",
              "vjp_of_grad")
# second derivatives: every HESSIAN_EVERY-th program
SECOND = ("hessian", "jacobian_of_grad", "vjp_of_grad")


# ------------------------------------------------------------------ shapes
# a dimension: a literal int, or (symbol, offset) of size sizes[symbol] + offset (offset <= 0),
# or ("cat<k>", 0), an opaque length (np.concatenate) that nothing may index
def _bcast(a: tuple, b: tuple):
    """The broadcast of two symbolic shapes, or None when they may not broadcast."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            return None
    return tuple(reversed(out))


def _size(d, sizes) -> int:
    return d if isinstance(d, int) else sizes[d[0]] + d[1]


@dataclass
class Arg:
    name: str
    shape: tuple | None     # None: a Python float
    dtype: str = "float64"
    positive: bool = False


@dataclass
class ArrayProgram:
    seed: int
    source: str                         # the module: ``import numpy as np`` and ``def f``
    args: list                          # list[Arg]
    wrt: object                         # int or tuple of ints
    twin: str                           # "sum" or "mean": how the scalar twin reduces
    sizes: tuple                        # (sizes of signature 1, sizes of signature 2)
    dtypes2: dict                       # argument name -> dtype in signature 2
    constructs: frozenset = field(default_factory=frozenset)
    hessian: bool = False

    def arguments(self, which: int) -> list:
        """The concrete arguments of signature ``which`` (0 or 1)."""
        rng = np.random.default_rng([self.seed, which])
        sizes = self.sizes[which]
        out = []
        for a in self.args:
            lo, hi = (0.5, 2.0) if a.positive else (-1.5, 1.5)
            if a.shape is None:
                out.append(round(float(rng.uniform(lo, hi)), 4))
                continue
            dtype = self.dtypes2.get(a.name, a.dtype) if which else a.dtype
            shape = tuple(_size(d, sizes) for d in a.shape)
            out.append(np.asarray(rng.uniform(lo, hi, size=shape), dtype=dtype))
        return out


class _Retry(Exception):
    pass


@dataclass
class _E:
    code: str
    shape: tuple
    pos: bool = False       # positive by construction
    leaf: bool = False
    fresh: bool = False     # a variable holding a new array (may be updated in place)


VIEWS = ("np.transpose", "np.flip", "np.moveaxis", "np.swapaxes", "np.rot90")  # may be views


def _is_view(code: str) -> bool:
    """Might ``code`` be the caller's array or a view of it (``x``, ``x[0]``,
    ``x.T``)?  Then ``+=`` on it would change the caller's array."""
    node = ast.parse(code, mode="eval").body
    if isinstance(node, (ast.Name, ast.Subscript)):
        return True
    if isinstance(node, ast.Attribute):
        return True
    if isinstance(node, ast.Call) and ast.unparse(node.func) in VIEWS:
        return True
    return False


def _view_base(code: str) -> str | None:
    """The variable ``code`` may be a view of (``t`` for ``t``, ``t[0]``, ``t.T``)."""
    node = ast.parse(code, mode="eval").body
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in VIEWS and node.args:
            node = node.args[0]
        else:
            return None


class _Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.req = {s: 1 for s in SYMBOLS}
        self.lines: list[str] = []
        self.pool: list[_E] = []          # variables in scope (code is the name)
        self.loop_leaves: list[_E] = []   # x[i] and friends inside a loop body
        self.constructs: set[str] = set()
        self.counter = 0
        self.ncat = 0
        self.forms = random.Random()  # how a list is written: a stream of its own

    # ---------- helpers
    def fresh(self, stem="t"):
        self.counter += 1
        return f"{stem}{self.counter}"

    def need(self, d, size: int) -> bool:
        """Ask that dimension ``d`` has at least ``size`` elements; False if it cannot."""
        if isinstance(d, int):
            return d >= size
        sym, off = d
        if sym.startswith("cat"):
            return False
        want = size - off
        if want > MAX_SIZE:
            return False
        self.req[sym] = max(self.req[sym], want)
        return True

    def const(self) -> str:
        return repr(self.rng.choice((0.5, 2.0, 1.5, 0.25, 3.0, -1.0, -0.5, 0.7, 1.3)))

    # ---------- expressions
    def leaf(self) -> _E:
        r = self.rng.random()
        if self.loop_leaves and r < 0.35:
            return self.rng.choice(self.loop_leaves)
        if r < 0.9 and self.pool:
            return self.rng.choice(self.pool)
        return _E(self.const(), (), pos=False, leaf=True)

    def expr(self, depth: int) -> _E:
        if depth <= 0 or self.rng.random() < 0.25:
            return self.leaf()
        kind = self.rng.choices(
            ("unary", "binary", "reduce", "matmul", "index", "transpose", "maximum", "shaping"),
            (25, 30, 15, 12, 12, 5, 5, 6))[0]
        try:
            return getattr(self, "e_" + kind)(depth)
        except _Retry:
            return self.leaf()

    def e_unary(self, depth) -> _E:
        a = self.expr(depth - 1)
        forms = [("np.sin({})", False), ("np.cos({})", False), ("np.tanh({})", False),
                 ("np.exp(np.tanh({}))", True), ("np.log(1.0 + {0} * {0})", False),
                 ("np.sqrt(1.0 + {0} * {0})", True), ("{} ** 2", False), ("-{}", False),
                 ("np.exp(-{0} * {0})", True), ("np.log(1.5 + np.sin({}))", False),
                 ("np.square({})", False)]
        if a.pos:
            forms += [("np.log({})", False), ("np.sqrt({})", True), ("np.exp(-{})", True),
                      ("np.log({})", False)]
        if len(a.code) < 40 and self.rng.random() < 0.3:
            forms.append(("np.exp({})", True))
        form, pos = self.rng.choice(forms)
        name = form.split("(")[0]
        self.constructs.add(name if name.startswith("np.") else "operator")
        code = form.format(a.code)
        if not code.startswith("np."):
            code = f"({code})"
        return _E(code, a.shape, pos=pos or (form == "{} ** 2" and a.pos))

    def _pair(self, depth):
        a = self.expr(depth - 1)
        for _ in range(6):
            b = self.expr(depth - 1)
            s = _bcast(a.shape, b.shape)
            if s is not None:
                if a.shape != b.shape and a.shape and b.shape:
                    self.constructs.add("broadcast")
                return a, b, s
        raise _Retry

    def e_binary(self, depth) -> _E:
        a, b, s = self._pair(depth)
        op = self.rng.choice(("+", "-", "*", "*", "/", "+"))
        if op == "/":
            if b.pos and self.rng.random() < 0.5:
                return _E(f"({a.code} / {b.code})", s, a.pos)
            return _E(f"({a.code} / (1.0 + {b.code} * {b.code}))", s, a.pos)
        pos = a.pos and b.pos and op in "+*"
        self.constructs.add("arith")
        return _E(f"({a.code} {op} {b.code})", s, pos)

    def e_maximum(self, depth) -> _E:
        a, b, s = self._pair(depth)
        fn = self.rng.choice(("np.maximum", "np.minimum", "np.maximum"))
        self.constructs.add(fn)
        return _E(f"{fn}({a.code}, {b.code})", s, a.pos and b.pos)

    def e_reduce(self, depth) -> _E:
        a = self.expr(depth - 1)
        if not a.shape:
            raise _Retry
        fn = self.rng.choice(("sum", "sum", "mean", "max", "min"))
        method = self.rng.random() < 0.2
        nd = len(a.shape)
        keep = self.rng.random() < 0.3
        if self.rng.random() < 0.3:
            axis, shape = None, ((1,) * nd if keep else ())
        else:
            ax = self.rng.randrange(nd)
            axis = ax - nd if self.rng.random() < 0.3 else ax
            shape = tuple(1 if i == ax else d for i, d in enumerate(a.shape)) if keep else \
                tuple(d for i, d in enumerate(a.shape) if i != ax)
        kw = ""
        if axis is not None:
            kw += f", axis={axis}"
        if keep:
            kw += ", keepdims=True"
        self.constructs.add(f"np.{fn}" + ("-axis" if axis is not None else "") + ("-keepdims" if keep else ""))
        if method:
            self.constructs.add("method")
            base = a.code if a.leaf else f"({a.code})"
            return _E(f"{base}.{fn}({kw[2:]})", shape, a.pos)
        return _E(f"np.{fn}({a.code}{kw})", shape, a.pos)

    def e_matmul(self, depth) -> _E:
        a = self.expr(depth - 1)
        if len(a.shape) not in (1, 2):
            raise _Retry
        k = a.shape[-1]
        for _ in range(8):
            b = self.expr(depth - 1)
            if len(b.shape) == 1 and b.shape[0] == k:
                shape = a.shape[:-1]
            elif len(b.shape) == 2 and b.shape[0] == k:
                shape = a.shape[:-1] + b.shape[1:]
            else:
                continue
            op = self.rng.choice(("@", "@", "dot"))
            self.constructs.add(f"matmul-{len(a.shape)}x{len(b.shape)}")
            if op == "dot":
                self.constructs.add("np.dot")
                return _E(f"np.dot({a.code}, {b.code})", shape, a.pos and b.pos)
            return _E(f"({a.code} @ {b.code})", shape, a.pos and b.pos)
        raise _Retry

    def e_transpose(self, depth) -> _E:
        a = self.expr(depth - 1)
        if len(a.shape) != 2:
            raise _Retry
        self.constructs.add("transpose")
        if self.rng.random() < 0.6:
            return _E(f"{a.code}.T" if a.leaf else f"({a.code}).T", a.shape[::-1], a.pos)
        return _E(f"np.transpose({a.code})", a.shape[::-1], a.pos)

    def e_shaping(self, depth) -> _E:
        """Rearranging and running sums (``rules/shaping.py``): flip, roll, cumsum, sort,
        diff along an axis; triu/tril, moveaxis, swapaxes, rot90 of a matrix; hstack."""
        a = self.expr(depth - 1)
        if not a.shape:
            raise _Retry
        nd = len(a.shape)
        ax = self.rng.randrange(nd)
        axis = ax - nd if self.rng.random() < 0.3 else ax
        forms = ["flip", "roll", "cumsum", "sort", "diff"] + (
            ["triu", "tril", "moveaxis", "swapaxes", "rot90"] if nd == 2 else ["hstack"])
        fn = self.rng.choice(forms)
        self.constructs.add(f"np.{fn}")
        shape = a.shape
        if fn in ("flip", "cumsum", "sort"):
            code = f"np.{fn}({a.code}, axis={axis})"
        elif fn == "roll":
            code = f"np.roll({a.code}, {self.rng.choice((1, -1, 2))}, axis={axis})"
        elif fn == "diff":
            d = a.shape[ax]
            if isinstance(d, int) or not self.need(d, 2):
                raise _Retry
            code = f"np.diff({a.code}, axis={axis})"
            shape = tuple((d[0], d[1] - 1) if i == ax else s for i, s in enumerate(a.shape))
        elif fn in ("triu", "tril"):
            code = f"np.{fn}({a.code}, {self.rng.choice((0, 1, -1))})"
        elif fn == "hstack":
            b = self.expr(depth - 1)
            if len(b.shape) != 1:
                raise _Retry
            self.ncat += 1
            code, shape = f"np.hstack(({a.code}, {b.code}))", ((f"cat{self.ncat}", 0),)
        else:
            code = {"moveaxis": f"np.moveaxis({a.code}, 0, -1)",
                    "swapaxes": f"np.swapaxes({a.code}, 0, 1)", "rot90": f"np.rot90({a.code})"}[fn]
            shape = a.shape[::-1]
        kept = ("flip", "roll", "sort", "cumsum", "moveaxis", "swapaxes", "rot90")  # positives
        return _E(code, shape, a.pos and fn in kept)

    def e_index(self, depth) -> _E:
        a = self.expr(depth - 1)
        if not a.shape:
            raise _Retry
        base = a.code if a.leaf else f"({a.code})"
        nd = len(a.shape)
        ax = self.rng.randrange(nd) if nd <= 2 else 0
        d = a.shape[ax]
        kind = self.rng.choice(("int", "int", "neg", "from1", "upto", "range2"))
        if kind == "int":
            k = self.rng.choice((0, 0, 1, 2))
            if not self.need(d, k + 1):
                raise _Retry
            item, nd_shape = str(k), None
        elif kind == "neg":
            if not self.need(d, 1):
                raise _Retry
            item, nd_shape = "-1", None
        elif kind == "from1":
            if isinstance(d, int) or not self.need(d, 2):
                raise _Retry
            item, nd_shape = "1:", (d[0], d[1] - 1)
        elif kind == "upto":
            if isinstance(d, int) or not self.need(d, 2):
                raise _Retry
            item, nd_shape = ":-1", (d[0], d[1] - 1)
        else:
            if not self.need(d, 3):
                raise _Retry
            item, nd_shape = "1:3", 2
        idx = ([":"] * ax + [item])
        self.constructs.add(f"index-{kind}" + ("-axis1" if ax else ""))
        shape = list(a.shape)
        if nd_shape is None:
            del shape[ax]
        else:
            shape[ax] = nd_shape
        return _E(f"{base}[{', '.join(idx)}]", tuple(shape), a.pos)

    # ---------- statements
    def assign(self, e: _E, name: str | None = None) -> _E:
        name = name or self.fresh()
        base = _view_base(e.code)
        for p in self.pool:  # ``name`` may be a view of ``base``: neither may change in place now
            if p.code == base:
                p.fresh = False
        self.lines.append(f"    {name} = {e.code}")
        v = _E(name, e.shape, e.pos, leaf=True, fresh=not _is_view(e.code))
        self.pool.append(v)
        return v

    def s_plain(self):
        self.assign(self.expr(self.rng.randint(1, 3)))

    def s_augassign(self):
        if not self.pool:
            raise _Retry
        v = self.rng.choice([p for p in self.pool if p.fresh] or [None])
        if v is None:
            raise _Retry
        e = self.expr(2)
        if _bcast(v.shape, e.shape) != v.shape:
            raise _Retry
        op = self.rng.choice(("+=", "-=", "*="))
        self.constructs.add("augassign")
        self.lines.append(f"    {v.code} {op} np.tanh({e.code})" if op == "*=" else f"    {v.code} {op} {e.code}")
        v.pos = False

    def _loop_header(self):
        """``for i in range(...)`` and the leaves it makes (x[i], x[:, i], i)."""
        arrays = [p for p in self.pool if p.shape and not (isinstance(p.shape[0], tuple)
                                                             and p.shape[0][0].startswith("cat"))]
        i = self.rng.choice(("i", "k"))
        leaves = []
        if arrays and self.rng.random() < 0.8:
            src = self.rng.choice(arrays)
            d = src.shape[0]
            r = self.rng.random()
            if r < 0.35 and not isinstance(d, int):
                bound = self.rng.choice((f"len({src.code})", f"{src.code}.shape[0]"))
                self.constructs.add("loop-len")
                trip = d
            else:
                k = self.rng.randint(1, 3)
                if not self.need(d, k):
                    k = 1
                    if not self.need(d, 1):
                        raise _Retry
                bound, trip = str(k), k
                if self.rng.random() < 0.2 and k >= 2:
                    bound, trip = f"1, {k}", k - 1
            for p in arrays:
                if p.shape[0] == d:
                    leaves.append(_E(f"{p.code}[{i}]", p.shape[1:], p.pos, leaf=True))
                if len(p.shape) == 2 and p.shape[1] == d:
                    leaves.append(_E(f"{p.code}[:, {i}]", p.shape[:1], p.pos, leaf=True))
        else:
            k = self.rng.randint(1, 4)
            bound, trip = str(k), k
        leaves.append(_E(f"({i} * 0.5)", (), False, leaf=True))
        return f"for {i} in range({bound}):", leaves, trip

    def s_loop(self):
        header, leaves, _trip = self._loop_header()
        init_scalar = self.rng.random() < 0.4
        in_place_ok = init_scalar
        if init_scalar:
            acc = self.fresh("acc")
            self.lines.append(f"    {acc} = {self.rng.choice(('0.0', '1.0', '0.5'))}")
            acc_shape = ()
            self.constructs.add("loop-acc-from-float")
        else:
            init = self.expr(1)
            acc = self.fresh("acc")
            self.lines.append(f"    {acc} = {init.code}")
            acc_shape = init.shape
            for p in self.pool:
                if p.code == _view_base(init.code):
                    p.fresh = False
            in_place_ok = not _is_view(init.code)
        e = self.loop_expr(leaves)
        shape = _bcast(acc_shape, e.shape)
        if shape is None:
            raise _Retry
        forms = ["{a} = {a} + {e}", "{a} = 0.5 * {a} + np.sin({e})",
                 "{a} = np.tanh({a} + {e})", "{a} = {a} * np.tanh({e})"]
        if in_place_ok and (init_scalar or shape == acc_shape):
            forms.append("{a} += {e}")
        form = self.rng.choice(forms)
        if form == "{a} += {e}":
            self.constructs.add("augassign-loop")
        body = [f"        {form.format(a=acc, e=e.code)}"]
        if self.rng.random() < 0.15:  # a nested loop
            j = "j"
            body = [f"        for {j} in range({self.rng.randint(1, 2)}):",
                    f"            {form.format(a=acc, e=f'({e.code} * ({j} + 1.0))')}"]
            self.constructs.add("nested-loop")
        self.lines.append(f"    {header}")
        self.lines += body
        self.constructs.add("for-loop")
        self.pool.append(_E(acc, shape, False, leaf=True, fresh=True))

    def s_writes(self):
        """``w = np.zeros_like(src)`` (or a copy), then ``w[i] = e`` in a loop over its
        first axis, ``e`` reading ``w[i - 1]`` when the loop starts at 1, sometimes
        under an ``if`` on the counter."""
        arrays = [p for p in self.pool if p.shape and not (isinstance(p.shape[0], tuple)
                                                             and p.shape[0][0].startswith("cat"))]
        if not arrays:
            raise _Retry
        src = self.rng.choice(arrays)
        d, item = src.shape[0], src.shape[1:]
        w = self.fresh("w")
        start = 1 if self.rng.random() < 0.4 else 0
        if isinstance(d, int) or self.rng.random() < 0.4:
            k = self.rng.randint(start + 1, 3)
            if not self.need(d, k):
                raise _Retry
            bound = f"{start}, {k}" if start else str(k)
        else:
            bound = f"{start}, len({src.code})" if start else f"{src.code}.shape[0]"
        leaves = [_E(f"{p.code}[i]", p.shape[1:], p.pos, leaf=True) for p in arrays
                  if p.shape[0] == d]
        if start:
            leaves.append(_E(f"{w}[i - 1]", item, False, leaf=True))
        leaves.append(_E("(i * 0.5)", (), False, leaf=True))
        for _ in range(4):
            e = self.loop_expr(leaves)
            if _bcast(item, e.shape) == item:
                break
        else:
            raise _Retry
        init = self.rng.choice(("np.zeros_like", "np.ones_like", "np.copy"))
        self.lines.append(f"    {w} = {init}({src.code})")
        seen = None
        if self.rng.random() < 0.1:  # a name that sees the writes (s2sdiff must refuse it)
            seen = _E(self.fresh("seen"), src.shape, False, leaf=True)
            self.lines.append(f"    {seen.code} = {w}" + self.rng.choice(("", "[:]", ".T")))
            if self.lines[-1].endswith(".T"):
                seen.shape = tuple(reversed(src.shape))
            self.constructs.add("item-writes-seen-elsewhere")
        self.lines.append(f"    for i in range({bound}):")
        value = f"np.tanh({e.code})" if self.rng.random() < 0.5 else e.code
        if self.rng.random() < 0.3:
            self.lines.append("        if i % 2 == 0:")
            self.lines.append(f"            {w}[i] = {value}")
            self.constructs.add("item-write-in-branch")
        else:
            self.lines.append(f"        {w}[i] = {value}")
        self.constructs.add("item-writes" + ("-reading-back" if start else ""))
        self.pool.append(_E(w, src.shape, False, leaf=True, fresh=True))
        if seen is not None:
            self.pool.append(seen)

    def loop_expr(self, leaves):
        """An expression of a loop body, reading a leaf that changes per trip."""
        self.loop_leaves = leaves
        try:
            e = self.expr(self.rng.randint(1, 2))
            for _ in range(4):
                if any(lf.code in e.code for lf in leaves[:-1]) or len(leaves) == 1:
                    break
                e = self.expr(self.rng.randint(1, 2))
        finally:
            self.loop_leaves = []
        return e

    def s_list(self):
        header, leaves, trip = self._loop_header()
        parts = self.fresh("parts")
        e = self.loop_expr(leaves)
        if "range(1, " in header:
            self.rng.random()  # an unused draw, kept so that seeds keep their programs
        if self.forms.random() < 0.3:  # the same list as a comprehension
            self.lines.append(f"    {parts} = [{e.code} {header[:-1]}]")
            self.constructs.add("list-comprehension")
        else:
            self.lines.append(f"    {parts} = []")
            self.lines.append(f"    {header}")
            self.lines.append(f"        {parts}.append({e.code})")
            self.constructs.add("list-append")
        trip_dim = trip
        join = self.rng.choice(("stack", "stack", "stack-axis", "sum", "index", "concat", "npsum"))
        if join == "stack":
            out = _E(f"np.stack({parts})", (trip_dim,) + e.shape, e.pos)
        elif join == "stack-axis":
            out = _E(f"np.stack({parts}, axis=-1)", e.shape + (trip_dim,), e.pos)
        elif join == "sum":
            out = _E(f"sum({parts})", e.shape, e.pos)
        elif join == "npsum":
            out = _E(f"np.sum(np.stack({parts}), axis=0)", e.shape, e.pos)
        elif join == "index":
            out = _E(f"{parts}[0] * {parts}[-1]", e.shape, e.pos)
        else:
            if not e.shape:
                out = _E(f"np.stack({parts})", (trip_dim,), e.pos)
            else:
                self.ncat += 1
                out = _E(f"np.concatenate({parts})", ((f"cat{self.ncat}", 0),) + e.shape[1:], e.pos)
        self.constructs.add("join-" + join)
        self.assign(out)


def _args(rng: random.Random) -> list[Arg]:
    nsym = rng.choice((1, 2, 2, 3))
    syms = SYMBOLS[:nsym]
    names = iter(("x", "y", "z", "A", "B"))
    out = []
    for _ in range(rng.choice((1, 2, 2, 3))):
        nd = rng.choice((1, 1, 2, 2, 2, 0)) if out else rng.choice((1, 2))
        shape = tuple(1 if rng.random() < 0.2 else (rng.choice(syms), 0) for _ in range(nd))
        if nd and all(d == 1 for d in shape) and rng.random() < 0.7:
            shape = ((rng.choice(syms), 0),) + shape[1:]
        dtype = "float32" if rng.random() < 0.1 else "float64"
        out.append(Arg(next(names), shape, dtype, positive=rng.random() < 0.3))
    for name in ("c", "d")[: rng.choice((0, 0, 1, 1, 2))]:
        out.append(Arg(name, None, positive=rng.random() < 0.3))
    return out


def _draw_sizes(rng: random.Random, req: dict, avoid: dict | None = None) -> dict:
    sizes = {}
    for s in SYMBOLS:
        lo = req[s]
        if avoid is not None and lo == 1 and rng.random() < 0.5:
            sizes[s] = 1 if avoid[s] > 1 else rng.randint(2, MAX_SIZE)  # flip: another signature
            continue
        sizes[s] = 1 if lo == 1 and rng.random() < 0.3 else rng.randint(max(lo, 2 if lo > 1 else 1), MAX_SIZE)
    return sizes


def _program(rng: random.Random, seed: int) -> ArrayProgram:
    args = _args(rng)
    g = _Gen(rng)
    extra = random.Random(seed ^ 0x1D7E5)  # item writes: a stream of their own, so that
    # the seeds without them keep their programs
    g.forms = random.Random(seed ^ 0xC0C0A)
    for a in args:
        g.pool.append(_E(a.name, a.shape or (), a.positive, leaf=True))
        if a.shape is None:
            g.constructs.add("float-arg")
        elif 1 in a.shape:
            g.constructs.add("size-1-dim")
        if a.dtype == "float32":
            g.constructs.add("float32")
    for _ in range(rng.randint(1, 5)):
        kind = rng.choices(("plain", "loop", "list", "aug"), (55, 20, 15, 10))[0]
        try:
            getattr(g, "s_" + kind if kind != "aug" else "s_augassign")()
        except _Retry:
            pass
        if extra.random() < 0.15:
            main, g.rng = g.rng, extra
            try:
                g.s_writes()
            except _Retry:
                pass
            finally:
                g.rng = main
    # the result: the last value, with most of the others folded in (so little code is dead)
    cands = g.pool[len(args):] or g.pool
    out = cands[-1]
    code, shape = out.code, out.shape
    for v in reversed(cands[:-1]):
        if rng.random() < 0.3:
            continue
        s = _bcast(shape, v.shape)
        vc = v.code
        if s is None or (s != shape and rng.random() < 0.5):
            vc, s = f"np.sum({v.code})", shape
        if rng.random() < 0.5:
            code = f"{code} * np.tanh({vc})" if rng.random() < 0.5 else f"{code} + {vc}"
        else:
            code = f"({code}) / (1.0 + {vc} ** 2)"
        shape = s
    if rng.random() < 0.3:
        e = g.expr(1)
        s = _bcast(shape, e.shape)
        if s is not None:
            code, shape = f"{code} + {e.code}", s
    ret = code
    if rng.random() < 0.1:
        other = rng.choice(g.pool)
        ret = f"{code}, {other.code}"
        g.constructs.add("tuple-output")
    elif rng.random() < 0.15 and shape:
        ret = f"np.sum({code})"
        g.constructs.add("scalar-output")
    g.lines.append(f"    return {ret}")
    params = ", ".join(a.name for a in args)
    source = f"import numpy as np\n\n\ndef f({params}):\n" + "\n".join(g.lines) + "\n"
    # wrt: every parameter mostly; sometimes one (as an int) or a subset
    r = rng.random()
    idx = list(range(len(args)))
    if r < 0.15:
        wrt = rng.choice(idx)
    elif r < 0.3 and len(idx) > 1:
        wrt = tuple(sorted(rng.sample(idx, rng.randint(1, len(idx) - 1))))
    else:
        wrt = tuple(idx)
    used = {d[0] for a in args if a.shape for d in a.shape if isinstance(d, tuple)}
    sizes1 = _draw_sizes(rng, g.req)
    dtypes2 = {}
    for a in args:
        if a.shape is not None and rng.random() < 0.15:
            dtypes2[a.name] = "float32" if a.dtype == "float64" else "float64"
    for _ in range(10):  # the second signature: other shapes (another signature when a 1 flips)
        sizes2 = _draw_sizes(rng, g.req, avoid=sizes1)
        if dtypes2 or not used or any(sizes2[u] != sizes1[u] for u in used):
            break
    return ArrayProgram(seed, source, args, wrt, rng.choice(("sum", "sum", "mean")),
                        (sizes1, sizes2), dtypes2, frozenset(g.constructs),
                        hessian=seed % HESSIAN_EVERY == 0)


def _runs(prog: ArrayProgram) -> bool:
    """Does ``f`` (and its scalar twin) run under plain NumPy on both signatures,
    without warnings, giving finite values of moderate size?"""
    try:
        mod = _plain_namespace(prog.source, prog.twin)
        for which in (0, 1):
            args = prog.arguments(which)
            with np.errstate(all="raise"), warnings.catch_warnings():
                warnings.simplefilter("error")
                for fn in (mod["f"], mod["g"]):
                    out = fn(*args)
                    for o in (out if isinstance(out, tuple) else (out,)):
                        o = np.asarray(o)
                        if o.dtype.kind != "f" or not np.all(np.isfinite(o)) or np.max(np.abs(o), initial=0) > 1e3:
                            return False
                        if o.size == 0:
                            return False
    except Exception:  # noqa: BLE001 - a candidate that does not run is drawn again
        return False
    return _no_aliasing(prog)


def _rebinding(source: str) -> str:
    """``a += b`` written ``a = a + b`` (what it means when no other name sees ``a``)."""
    class T(ast.NodeTransformer):
        def visit_AugAssign(self, node):
            return ast.copy_location(ast.Assign([node.target], ast.BinOp(
                ast.Name(node.target.id, ast.Load()), node.op, node.value)), node)
    return ast.unparse(ast.fix_missing_locations(T().visit(ast.parse(source))))


def _no_aliasing(prog: ArrayProgram) -> bool:
    """Does ``f`` leave its arguments alone, and does every ``+=`` of it mean what
    ``a = a + b`` means (no other name sees the array it changes in place)?
    A program where NumPy's in-place semantics show is not what the fuzzer tests."""
    if "=" not in prog.source.replace("==", ""):
        return True
    try:
        ns1, ns2 = {}, {}
        exec(compile(prog.source, "<a>", "exec"), ns1)  # noqa: S102
        exec(compile(_rebinding(prog.source), "<b>", "exec"), ns2)  # noqa: S102
        for which in (0, 1):
            args = prog.arguments(which)
            keep = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                o1 = _outputs(ns1["f"](*args))
                o2 = _outputs(ns2["f"](*[np.copy(a) if isinstance(a, np.ndarray) else a for a in keep]))
            for a, k in zip(args, keep):
                if isinstance(a, np.ndarray) and not np.array_equal(a, k):
                    return False
            for a, b in zip(o1, o2):
                if np.shape(a) != np.shape(b) or np.asarray(a).dtype != np.asarray(b).dtype \
                        or not np.array_equal(a, b):
                    return False
    except Exception:  # noqa: BLE001
        return False
    return True


def generate(seed: int) -> ArrayProgram:
    rng = random.Random(seed * 1_000_003 + 7)
    for _ in range(50):
        prog = _program(rng, seed)
        if _runs(prog):
            return prog
    raise RuntimeError(f"no valid array program for seed {seed}")


# ------------------------------------------------------------------ the scalar twin
def twin_source(source: str, how: str) -> str:
    """The module with ``g``: ``f`` with each ``return e`` made ``return np.sum(e)``
    (``np.mean``; a tuple's parts summed), added after ``f``."""
    tree = ast.parse(source)
    f = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")
    g = copy.deepcopy(f)
    g.name = "g"

    def red(e):
        return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), how, ast.Load()), [e], [])

    for node in ast.walk(g):
        if isinstance(node, ast.Return) and node.value is not None:
            v = node.value
            if isinstance(v, ast.Tuple):
                total = red(v.elts[0])
                for e in v.elts[1:]:
                    total = ast.BinOp(total, ast.Add(), red(e))
                node.value = total
            else:
                node.value = red(v)
    tree.body.append(g)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _plain_namespace(source: str, how: str) -> dict:
    ns: dict = {}
    exec(compile(twin_source(source, how), "<array program>", "exec"), ns)  # noqa: S102
    return ns


# ------------------------------------------------------------------ checking
class _Wrong(Exception):
    pass


def _f64(args):
    return [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in args]


def _outputs(value):
    return list(value) if isinstance(value, tuple) else [value]


def _fd(fn, args, i, h):
    """∂fn/∂args[i] by central differences in float64, one array per output,
    shaped ``out.shape + args[i].shape``; and the rounding noise of each."""
    args = _f64(args)
    x = args[i]
    shape = np.shape(x)
    cols, noise = [], []
    for k in np.ndindex(shape):
        up, down = list(args), list(args)
        if shape:
            e = np.zeros(shape)
            e[k] = h
            up[i], down[i] = x + e, x - e
        else:
            up[i], down[i] = x + h, x - h
        fu = [np.asarray(o, dtype=np.float64) for o in _outputs(fn(*up))]
        fdn = [np.asarray(o, dtype=np.float64) for o in _outputs(fn(*down))]
        cols.append([(a - b) / (2 * h) for a, b in zip(fu, fdn)])
        noise.append([64 * 2.2e-16 * np.maximum(np.abs(a), np.abs(b)) / h for a, b in zip(fu, fdn)])
    jac, nz = [], []
    for o in range(len(cols[0])):
        oshape = cols[0][o].shape
        stacked = np.stack([c[o] for c in cols]).reshape((-1,) + oshape)
        jac.append(np.moveaxis(stacked, 0, -1).reshape(oshape + shape))
        ns = np.stack([c[o] for c in noise]).reshape((-1,) + oshape)
        nz.append(np.moveaxis(ns, 0, -1).reshape(oshape + shape))
    return jac, nz


class _Skip(Exception):
    """A kink or a jump within h of the point: finite differences say nothing there."""


def _fd_checked(fn, args, i):
    coarse, _ = _fd(fn, args, i, H_COARSE)
    fine, noise = _fd(fn, args, i, H_FINE)
    for c, f_, n in zip(coarse, fine, noise):
        if np.any(np.abs(c - f_) > KINK_TOL * (1 + np.abs(f_)) + n):
            raise _Skip(f"finite differences at h={H_COARSE} and {H_FINE} disagree (a kink)")
    return coarse, fine, noise


def _is_f32(args, wrt_i=None) -> bool:
    """Does the signature compute in float32 anywhere (then results are compared loosely)?"""
    return any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in args)


def _close_fd(got, coarse, fine, noise, loose: bool, what: str):
    """``got`` against finite differences, shape first."""
    got_shape = np.shape(got)
    if got_shape != fine.shape:
        raise _Wrong(f"{what}: shape {got_shape}, expected {fine.shape}")
    g = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        raise _Wrong(f"{what}: not finite: {_short(g)}")
    if loose:
        scale = max(1.0, float(np.max(np.abs(fine), initial=0)))
        ok = np.abs(g - fine) <= F32_TOL * scale
    else:
        ok = (np.abs(g - coarse) <= ATOL + noise * 10 + RTOL * np.maximum(np.abs(g), np.abs(coarse))) | \
             (np.abs(g - fine) <= ATOL + noise + RTOL * np.maximum(np.abs(g), np.abs(fine)))
    if not np.all(ok):
        bad = tuple(int(k) for k in np.argwhere(~ok)[0])
        raise _Wrong(f"{what}: at index {bad} got {g[bad]!r}, finite differences {fine[bad]!r} "
                     f"(h={H_FINE}; {coarse[bad]!r} at h={H_COARSE}); got {_short(g)}, expected {_short(fine)}")


def _close_tight(got, want, loose: bool, what: str):
    if np.shape(got) != np.shape(want):
        raise _Wrong(f"{what}: shape {np.shape(got)}, expected {np.shape(want)}")
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    tol = F32_TOL if loose else TIGHT
    scale = max(1.0, float(np.max(np.abs(w), initial=0)))
    if not np.all(np.abs(g - w) <= tol * scale):
        raise _Wrong(f"{what}: got {_short(g)}, expected {_short(w)}")


def _short(a) -> str:
    return np.array2string(np.asarray(a), precision=6, threshold=12, max_line_width=200).replace("\n", "")


_DTYPE_NOTES: list = []


def _dtype_ok(got, arg, what: str):
    """A derivative with respect to an array has that array's dtype (as JAX); one
    with respect to a Python float is a float.  A difference is noted (reported
    apart), not counted wrong: the values are what the checks hold."""
    if isinstance(arg, np.ndarray):
        dt = getattr(got, "dtype", None)
        if not isinstance(got, np.ndarray) or dt != arg.dtype:
            _DTYPE_NOTES.append(f"{what}: {type(got).__name__} of dtype {dt}, "
                                f"expected an ndarray of dtype {arg.dtype} (the argument's)")
    elif not isinstance(got, float) and not (isinstance(got, np.ndarray) and got.shape == ()
                                             and got.dtype.kind == "f"):
        _DTYPE_NOTES.append(f"{what}: {type(got).__name__} {got!r}, expected a float")


def _as_list(x, single: bool):
    return [x] if single else list(x)


class ArrayTally(Tally):
    def __init__(self):
        super().__init__()
        self.per: dict = {}           # transform -> {kind: count}
        self.constructs: dict = {}
        self.skipped_points = 0
        self.dtype_notes: dict = {}   # transform -> count of programs
        self.dtype_examples: list = []  # (seed, note)

    def add_program(self, seed: int, out: Outcome, per: dict, constructs=(), skipped=0, dnotes=()) -> None:
        self.add(seed, out)
        seen = set()
        for note in dnotes:
            t = note.split(" ", 1)[0]
            if t not in seen:
                seen.add(t)
                self.dtype_notes[t] = self.dtype_notes.get(t, 0) + 1
        if dnotes:
            self.dtype_examples.append((seed, dnotes[0]))
        for t, k in per.items():
            d = self.per.setdefault(t, {})
            d[k] = d.get(k, 0) + 1
        for c in constructs:
            self.constructs[c] = self.constructs.get(c, 0) + 1
        self.skipped_points += skipped

    def merge(self, other) -> None:
        super().merge(other)
        for t, d in other.per.items():
            mine = self.per.setdefault(t, {})
            for k, v in d.items():
                mine[k] = mine.get(k, 0) + v
        for c, v in other.constructs.items():
            self.constructs[c] = self.constructs.get(c, 0) + v
        self.skipped_points += other.skipped_points
        for t, v in other.dtype_notes.items():
            self.dtype_notes[t] = self.dtype_notes.get(t, 0) + v
        self.dtype_examples += other.dtype_examples


_LOC = re.compile(r"^(\w+Error: )?\S+\.py:\d+:\d+: ")


def _message(e: BaseException) -> str:
    """The first line of an error without its file:line:col (so equal errors count together)."""
    return _LOC.sub(lambda m: m.group(1) or "", _one_line(e))


def check(prog: ArrayProgram, core, verbose: bool = False, only: set | None = None,
          source: str | None = None):
    """Check every transform on both signatures.  Returns ``(Outcome, per)``:
    ``per`` maps each transform tried to differentiated/rejected/wrong/crashed/skipped."""
    import s2sdiff

    del _DTYPE_NOTES[:]
    src = twin_source(source or prog.source, prog.twin)
    mod = load_module(src, "fuzzarr")
    per: dict = {}
    notes: dict = {}
    skipped = 0
    t0 = time.perf_counter()
    fd_time = 0.0
    single = isinstance(prog.wrt, int)
    wrt_list = [prog.wrt] if single else list(prog.wrt)
    transforms = [t for t in TRANSFORMS if (t not in SECOND or prog.hessian)
                  and (only is None or t in only)]
    try:
        with time_limit(TIMEOUT):
            made = {}
            vjp_data = {}

            def transform(name, fn_name):
                if name not in made:
                    fn = getattr(mod, fn_name)
                    made[name] = {
                        "grad": lambda: s2sdiff.grad(fn, wrt=prog.wrt),
                        "grad_fwd": lambda: s2sdiff.grad(fn, wrt=prog.wrt, mode="forward"),
                        "jacfwd": lambda: s2sdiff.jacfwd(fn, wrt=prog.wrt),
                        "jacrev": lambda: s2sdiff.jacrev(fn, wrt=prog.wrt),
                        "vjp": lambda: s2sdiff.vjp(fn, wrt=prog.wrt),
                        "jvp": lambda: s2sdiff.jvp(fn, wrt=prog.wrt),
                        "hessian": lambda: s2sdiff.hessian(fn, wrt=prog.wrt),
                        "jacobian_of_grad": lambda: s2sdiff.jacobian(
                            s2sdiff.grad(fn, wrt=prog.wrt), wrt=prog.wrt),
                        "vjp_of_grad": lambda: s2sdiff.vjp(  # reverse over reverse
                            s2sdiff.grad(fn, wrt=prog.wrt), wrt=prog.wrt),
                    }[name]()
                return made[name]

            for which in (0, 1):
                args = prog.arguments(which)
                value = mod.f(*args)
                outs = _outputs(value)
                tuple_out = isinstance(value, tuple)
                scalar = not tuple_out and np.ndim(value) == 0
                g = mod.f if scalar else mod.g
                t = time.perf_counter()
                try:
                    jf = {i: _fd_checked(mod.f, args, i) for i in wrt_list}
                    jg = {i: _fd_checked(g, args, i) for i in wrt_list}
                except _Skip as e:
                    skipped += 1
                    if verbose:
                        print(f"  signature {which + 1}: skipped: {e}")
                    fd_time += time.perf_counter() - t
                    continue
                fd_time += time.perf_counter() - t
                rng = np.random.default_rng([prog.seed, which, 99])
                grads = None
                for name in transforms:
                    if per.get(name) in ("wrong", "crashed", "rejected"):
                        continue
                    what = f"{name} (signature {which + 1}: {_describe(args)})"
                    try:
                        tf = transform(name, "f" if name in ("jacfwd", "jacrev", "vjp", "jvp") else
                                       ("f" if scalar else "g"))
                        t = time.perf_counter()
                        ft = 0.0
                        if name == "grad":
                            res = _as_list(tf(*args), single)
                            ts = time.perf_counter()
                            if len(res) != len(wrt_list):
                                raise _Wrong(f"{what}: {len(res)} partials for {len(wrt_list)} parameters")
                            for r, i in zip(res, wrt_list):
                                c, fi, nz = jg[i]
                                _close_fd(r, c[0], fi[0], nz[0], _is_f32(args, i), f"{what} d/d{prog.args[i].name}")
                                _dtype_ok(r, args[i], f"{what} d/d{prog.args[i].name}")
                            grads = res
                            ft = time.perf_counter() - ts
                        elif name == "grad_fwd":
                            res = _as_list(tf(*args), single)
                            if len(res) != len(wrt_list):
                                raise _Wrong(f"{what}: {len(res)} partials for {len(wrt_list)} parameters")
                            for b, (r, i) in enumerate(zip(res, wrt_list)):
                                if grads is not None:  # against reverse mode, when that passed
                                    _close_tight(r, grads[b], _is_f32(args, i),
                                                 f"{what} d/d{prog.args[i].name} against reverse")
                                else:                  # else against finite differences
                                    c, fi, nz = jg[i]
                                    _close_fd(r, c[0], fi[0], nz[0], _is_f32(args, i),
                                              f"{what} d/d{prog.args[i].name}")
                                _dtype_ok(r, args[i], f"{what} d/d{prog.args[i].name}")
                        elif name in ("jacfwd", "jacrev"):
                            res = tf(*args)
                            blocks = _jac_blocks(res, len(outs), tuple_out, single, what)
                            ts = time.perf_counter()
                            for o in range(len(outs)):
                                for b, i in enumerate(wrt_list):
                                    c, fi, nz = jf[i]
                                    _close_fd(blocks[o][b], c[o], fi[o], nz[o],
                                              _is_f32(args, i) or np.asarray(outs[o]).dtype == np.float32,
                                              f"{what} block [{o}][{prog.args[i].name}]")
                            ft = time.perf_counter() - ts
                        elif name == "vjp":
                            v, pullback = tf(*args)
                            _same_value(v, value, what)
                            ct = [_random_like(o, rng) for o in outs]
                            res = _as_list(pullback(tuple(ct) if tuple_out else ct[0]), single)
                            ts = time.perf_counter()
                            if len(res) != len(wrt_list):
                                raise _Wrong(f"{what}: {len(res)} adjoints for {len(wrt_list)} parameters")
                            for r, i in zip(res, wrt_list):
                                c, fi, nz = jf[i]
                                want = [sum(_contract(ct[o], J[o]) for o in range(len(outs))) for J in (c, fi)]
                                noise = sum(_contract(np.abs(ct[o]), nz[o]) for o in range(len(outs)))
                                _close_fd(r, want[0], want[1], noise, _is_f32(args, i) or any(
                                    np.asarray(o).dtype == np.float32 for o in outs),
                                    f"{what} ctᵀJ for {prog.args[i].name}, ct={_short(ct[0])}")
                                _dtype_ok(r, args[i], f"{what} for {prog.args[i].name}")
                            vjp_data[which] = (ct, res)
                            ft = time.perf_counter() - ts
                        elif name == "jvp":
                            tan = [_random_like(args[i], rng) for i in wrt_list]
                            v, tout = tf(*args, tan[0] if single else tuple(tan))
                            _same_value(v, value, what)
                            touts = _outputs(tout) if tuple_out else [tout]
                            ts = time.perf_counter()
                            for o in range(len(outs)):
                                want = [sum(_apply(J[o], tn) for (J, tn) in zip(
                                    [jf[i][k] for i in wrt_list], tan)) for k in (0, 1)]
                                noise = sum(_apply(jf[i][2][o], np.abs(tn)) for i, tn in zip(wrt_list, tan))
                                _close_fd(touts[o], want[0], want[1], noise, any(
                                    _is_f32(args, i) for i in wrt_list) or np.asarray(outs[o]).dtype == np.float32,
                                    f"{what} J·t, output {o}")
                            if which in vjp_data:  # the dot-product test: <J t, ct> == <t, Jᵀ ct>
                                ct, adj = vjp_data[which]
                                lhs = sum(float(np.sum(np.asarray(touts[o], np.float64) * ct[o])) for o in range(len(outs)))
                                rhs = sum(float(np.sum(np.asarray(a, np.float64) * tn)) for a, tn in zip(adj, tan))
                                loose = any(_is_f32(args, i) for i in wrt_list) or any(
                                    np.asarray(o).dtype == np.float32 for o in outs)
                                _close_tight(lhs, rhs, loose, f"{what} dot-product test <J t, ct> vs <t, Jᵀ ct>")
                            ft = time.perf_counter() - ts
                        elif name == "vjp_of_grad":
                            gr = s2sdiff.grad(g, wrt=prog.wrt)
                            ft = _check_vjp_of_grad(tf, gr, args, wrt_list, single, rng, what,
                                                    [prog.args[i].name for i in wrt_list])
                        elif name in SECOND:
                            res = tf(*args)
                            blocks = [[res]] if single else [list(r) for r in res]
                            gr = s2sdiff.grad(g, wrt=prog.wrt)
                            ts = time.perf_counter()
                            for a_, i in enumerate(wrt_list):
                                for b, j in enumerate(wrt_list):
                                    def ga(*xs, a_=a_, gr=gr):
                                        return _as_list(gr(*xs), single)[a_]
                                    try:
                                        c, fi, nz = _fd_checked(ga, args, j)
                                    except _Skip:
                                        skipped += 1
                                        continue
                                    loose = _is_f32(args, i) or _is_f32(args, j)
                                    if not loose:  # FD of a gradient: one order less accurate
                                        nz = [n * 10 + 1e-5 for n in nz]
                                    _close_fd(blocks[a_][b], c[0], fi[0], nz[0], loose,
                                              f"{what} block [{prog.args[i].name}][{prog.args[j].name}]")
                            ft = time.perf_counter() - ts
                        fd_time += ft
                        per.setdefault(name, "differentiated")
                        if verbose:
                            print(f"  signature {which + 1}: {name}: ok")
                    except Hang:
                        raise
                    except _Wrong as e:
                        per[name] = "wrong"
                        notes[name] = str(e)
                    except s2sdiff.S2SDiffError as e:
                        per[name] = "rejected"
                        notes[name] = _message(e)
                        notes.setdefault("_error_" + name, type(e).__name__)
                    except Exception as e:  # noqa: BLE001 - anything else escaping s2sdiff is a bug
                        per[name] = "crashed"
                        notes[name] = f"{what}: {_one_line(e)}"
                        if verbose:
                            import traceback

                            traceback.print_exc(limit=-4)
                        notes.setdefault("_error_" + name, type(e).__name__)
                    if verbose and per.get(name) not in (None, "differentiated"):
                        print(f"  signature {which + 1}: {name}: {per[name]}: {notes[name]}")
    except Hang as e:
        out = Outcome("crashed", f"hang: {e}", "Hang")
        per = {**per, "hang": "crashed"}
        out.core_time = time.perf_counter() - t0 - fd_time
        _cleanup(mod)
        return out, per, skipped, list(_DTYPE_NOTES)
    _cleanup(mod)
    for t in transforms:
        per.setdefault(t, "skipped")
    kinds = per.values()
    for kind in ("wrong", "crashed", "rejected"):
        if kind in kinds:
            names = [t for t in transforms if per[t] == kind]
            out = Outcome(kind, notes[names[0]] if kind == "rejected" else
                          " | ".join(f"{t}: {notes[t]}" for t in names)[:1500],
                          notes.get("_error_" + names[0], "") or names[0])
            if kind == "rejected":
                out.detail = f"{names[0]}: {notes[names[0]]}"
            break
    else:
        out = Outcome("differentiated" if "differentiated" in kinds else "skipped")
    out.core_time = max(time.perf_counter() - t0 - fd_time, 0.0)
    return out, per, skipped, list(_DTYPE_NOTES)


def _cleanup(mod):
    forget(mod)
    try:
        import s2sdiff

        s2sdiff.clear_cache()
    except Exception:  # noqa: BLE001
        pass


def _describe(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"{a.dtype}{list(a.shape)}")
        else:
            parts.append("float")
    return "(" + ", ".join(parts) + ")"


def _jac_blocks(res, nout: int, tuple_out: bool, single: bool, what: str):
    """J[output][input] as lists, whatever nesting the result has."""
    rows = list(res) if tuple_out else [res]
    if len(rows) != nout:
        raise _Wrong(f"{what}: {len(rows)} rows for {nout} outputs")
    out = []
    for r in rows:
        out.append([r] if single else list(r))
    return out


def _same_value(v, value, what):
    for a, b in zip(_outputs(v), _outputs(value)):
        if np.shape(a) != np.shape(b) or not np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                                          rtol=1e-6, atol=1e-7):
            raise _Wrong(f"{what}: the value {_short(a)} is not f's {_short(b)}")


def _check_vjp_of_grad(tf, gr, args, wrt_list, single, rng, what, names) -> float:
    """``vjp(grad(f))`` (``tf``): its value against the gradient ``gr``, its pullback of a
    random cotangent against ctᵀ times finite differences of the gradient; the time
    the finite differences took."""
    value, pullback = tf(*args)
    want = _as_list(gr(*args), single)
    for k, (v, i) in enumerate(zip(_as_list(value, single), wrt_list)):
        _close_tight(v, want[k], _is_f32(args, i), f"{what} value d/d{names[k]}")
    ct = [_random_like(args[i], rng) for i in wrt_list]
    res = _as_list(pullback(ct[0] if single else tuple(ct)), single)
    if len(res) != len(wrt_list):
        raise _Wrong(f"{what}: {len(res)} adjoints for {len(wrt_list)} parameters")
    ts = time.perf_counter()
    for b, j in enumerate(wrt_list):
        fds = []
        for a_ in range(len(wrt_list)):
            def ga(*xs, a_=a_):
                return _as_list(gr(*xs), single)[a_]
            try:
                fds.append(_fd_checked(ga, args, j))
            except _Skip:
                break
        else:
            loose = any(_is_f32(args, i) for i in wrt_list)
            wants = [sum(_contract(ct[a_], fd[0][0] if k == 0 else fd[1][0])
                         for a_, fd in enumerate(fds)) for k in (0, 1)]
            noise = sum(_contract(np.abs(ct[a_]), fd[2][0] if loose else fd[2][0] * 10 + 1e-5)
                        for a_, fd in enumerate(fds))
            _close_fd(res[b], wants[0], wants[1], noise, loose,
                      f"{what} ctᵀH for {names[b]}, ct={_short(ct[0])}")
            _dtype_ok(res[b], args[j], f"{what} for {names[b]}")
    return time.perf_counter() - ts


def _random_like(x, rng):
    shape = np.shape(x)
    if isinstance(x, np.ndarray):
        return rng.uniform(-1, 1, size=shape).astype(x.dtype)
    return float(round(rng.uniform(-1, 1), 4))


def _contract(ct, J):
    """ctᵀ J: sum over the output axes (J has shape out + in)."""
    ct = np.asarray(ct, dtype=np.float64)
    return np.tensordot(ct, J, axes=ct.ndim)


def _apply(J, t):
    """J t: sum over the input axes."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim == 0:
        return J * t
    return np.tensordot(J, t, axes=t.ndim)


# ------------------------------------------------------------------ shrinking
def _failure_class(out: Outcome, transform: str) -> tuple:
    """How ``transform`` failed: a crash by its exception type, a mismatch of shapes
    or of values (so shrinking keeps the same failure, not another one)."""
    for part in out.detail.split(" | "):
        if part.startswith(transform + ": "):
            crash = re.search(r"\): (\w+(Error|Exception)|Hang)\b", part)
            if crash:
                return ("crashed", crash.group(1))
            return ("wrong", "shape" if re.search(r": shape \(", part) else "value")
    return (None,)


def shrink_program(prog: ArrayProgram, out: Outcome, per: dict, core, seconds: float = 120.0) -> str:
    """The smallest ``f`` found that still fails the same transform the same way
    (the same exception type, or a mismatch of shapes or of values)."""
    bad = [t for t, k in per.items() if k in ("wrong", "crashed")]
    if not bad:
        return prog.source
    target = bad[0]
    want = _failure_class(out, target) if out is not None else (per[target],)
    only = {target, "grad"} if target == "grad_fwd" else ({target, "vjp"} if target == "jvp" else {target})

    def valid(cand):
        try:
            p = ArrayProgram(prog.seed, cand, prog.args, prog.wrt, prog.twin, prog.sizes, prog.dtypes2,
                             prog.constructs, prog.hessian)
            return "def f(" in cand and _runs(p)
        except Exception:  # noqa: BLE001
            return False

    def failing(cand):
        o, p, _s, _d = check(prog, core, only=only, source=cand)
        if p.get(target) != per[target]:
            return False
        return out is None or _failure_class(o, target) == want

    return shrink(prog.source, failing, [], valid=valid, seconds=seconds)


def run_chunk(args) -> ArrayTally:
    start, count = args[0], args[1]
    tally = ArrayTally()
    t0 = time.perf_counter()
    for seed in range(start, start + count):
        prog = generate(seed)
        out, per, skipped, dnotes = check(prog, None)
        tally.add_program(seed, out, per, prog.constructs, skipped, dnotes)
    tally.total_time = time.perf_counter() - t0
    return tally


def report_extra(tally: ArrayTally) -> None:
    print("  per transform (programs): ")
    for t in list(TRANSFORMS) + ["hang"]:
        d = tally.per.get(t)
        if d:
            print(f"    {t:9s} " + ", ".join(f"{v} {k}" for k, v in sorted(d.items())))
    print(f"  signatures skipped at a kink: {tally.skipped_points}")
    if tally.dtype_notes:
        print("  derivatives of another type than JAX's (noted, not counted wrong), programs per transform: "
              + ", ".join(f"{t} {v}" for t, v in sorted(tally.dtype_notes.items())))
        kinds: dict = {}
        for seed, note in sorted(tally.dtype_examples):
            key = re.sub(r"\(signature.*?\)\)", "", note)
            key = re.sub(r"d/d\w+|for \w+|(?<![\w.])-?\d+(\.\d+)?", "#", key)
            kinds.setdefault(key, []).append(seed)
        for key, seeds in sorted(kinds.items(), key=lambda kv: -len(kv[1]))[:8]:
            print(f"    {len(seeds):5d}  e.g. seed {seeds[0]}: {key[:160]}")
    if tally.constructs:
        print("  constructs (programs using each): " + ", ".join(
            f"{c} {v}" for c, v in sorted(tally.constructs.items(), key=lambda kv: -kv[1])))


__all__ = ["ArrayProgram", "generate", "check", "twin_source", "shrink_program", "run_chunk"]
