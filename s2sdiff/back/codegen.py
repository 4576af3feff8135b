"""Gradient IR → Python source, and source → a live function.

Module-level objects the code refers to (``math``, ``np``, the user's
constants) are bound to names here; a name already used for something else
gets a suffix.  The source is registered with ``linecache`` under a stable
file name, so tracebacks, ``inspect.getsource`` and pdb show it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import importlib
import inspect
from dataclasses import dataclass, field

from . import fold
from .. import ir, safe
from ..deep import deep
from ..emit.templates import atom_expr, fold_numbers, index_node, number
from ..front import sourcelines
from ..front.scan import expr_facts
from .exprtext import unparse
from .importpath import GENERATED, import_path

_INDENT = "    "


@dataclass
class Module:
    """Generated source and the objects its names are bound to."""

    source: str
    namespace: dict = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    imports: tuple[int, int] = (0, 0)  # the lines import_lines wrote: the first's index, count


class Binder:
    """Chooses the names of module-level objects, avoiding local names."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self.bound: dict[str, object] = {}
        self.homes: dict[str, str | None] = {}
        self.original: dict[str, str] = {}
        self.submodules: set[str] = set()  # ``pkg.sub`` read as ``pkg.sub.x``: imported

    def read_through(self, value: object, path: tuple[str, ...]) -> None:
        """Note the submodules the attribute path ``path`` of ``value`` passes through."""
        module = value
        for attr in path:
            if not inspect.ismodule(module):
                return
            sub = getattr(module, attr, None)
            if not inspect.ismodule(sub) or sub.__name__ != f"{module.__name__}.{attr}":
                return
            self.submodules.add(sub.__name__)
            module = sub

    def bind(self, name: str, value: object, home: str | None = None) -> str:
        candidate, n = name, 0
        while True:
            if candidate in self.bound and self.bound[candidate] is value:
                return candidate
            if candidate not in self.bound and candidate not in self.taken:
                self.bound[candidate] = value
                self.homes[candidate] = home
                self.original[candidate] = name
                return candidate
            n += 1
            candidate = f"{name}_{n}"


def render(functions: list[ir.Function], header: str = "", import_homes: bool = False) -> Module:
    """The Python module holding ``functions``.

    With ``import_homes``, constants of a user module (``G = 9.81``) are
    imported from it (``from mymodule import G``) instead of copied.
    """
    taken = set().union(*(ir.local_names(f) for f in functions), (f.name for f in functions))
    binder = Binder(taken)
    bodies = [_Printer(binder).function(f) for f in functions]
    lines = []
    if header:
        lines.append(safe.docstring(header))
    helpers = helper_sources(binder)
    imports = import_lines(binder, import_homes)
    if imports:
        lines += [""] if header else []
        first = sum(line.count("\n") + 1 for line in lines)
        lines += imports
    for text in helpers:
        lines += ["", ""] + text
    for body in bodies:
        lines += ["", ""] + body
    source = "\n".join(lines).lstrip("\n") + "\n"
    block = (first, len(imports)) if imports else (0, 0)
    return Module(source, dict(binder.bound), [f.name for f in functions], block)


def helper_sources(binder: Binder) -> list[list[str]]:
    """The source of each helper the code calls (e.g. ``_unbroadcast``), copied in.

    Helpers use NumPy as ``np``, which is bound here for them.
    """
    done: set[str] = set()
    while True:  # helpers may call other helpers of their module
        todo = sorted(n for n, v in binder.bound.items()
                      if getattr(v, "__s2sdiff_helper__", False) and n not in done)
        if not todo:
            break
        for name in todo:
            done.add(name)
            value = binder.bound[name]
            for used in value.__code__.co_names:
                other = value.__globals__.get(used)
                if getattr(other, "__s2sdiff_helper__", False):
                    binder.bind(used, other)
            binder.bind("np", importlib.import_module("numpy"))
    out = []
    for name in sorted(done):
        lines = inspect.getsource(binder.bound[name]).splitlines()
        out.append([ln for ln in lines if not ln.startswith("@")])
    return out


def import_lines(binder: Binder, import_homes: bool = False) -> list[str]:
    """``import`` lines that bind every module-level name the code uses.

    Every module name, name and value is written through ``safe``: what it
    cannot write exactly raises ``safe.UnsafeError``.
    """
    while True:  # writing a value may bind a name (``np`` for ``np.float64(1.5)``)
        names = sorted(binder.bound)
        lines = _import_lines(binder, names, import_homes)
        if len(binder.bound) == len(names):
            return lines


def _import_lines(binder: Binder, names: list[str], import_homes: bool) -> list[str]:
    """The lines, in groups: modules, ``from`` imports, values.  What cannot be
    imported by a valid name is refused for the command (``import_homes``: its
    modules must run on their own) and left to the namespace for the API."""
    modules, froms, values = [], [], []

    def bound_at_run_time(name: str, value: object) -> None:
        # a closure value or an object with no importable name: bound when compiled
        values.append(f"# {name}: {safe.comment(type(value).__qualname__)} bound at run time")

    def imported(module: str, original: str, name: str, value: object) -> None:
        try:
            froms.append(_from(module, original, name))
        except safe.UnsafeError:
            if import_homes:
                raise
            bound_at_run_time(name, value)

    for name in names:
        value = binder.bound[name]
        if getattr(value, "__s2sdiff_helper__", False) or _is_builtin(name, value):
            continue
        if inspect.ismodule(value) and not import_homes and not _importable(value.__name__):
            bound_at_run_time(name, value)
            continue
        if inspect.ismodule(value):
            real = _module_name(value.__name__, name)
            subs = sorted(_module_name(m, name) for m in binder.submodules
                          if m.startswith(real + "."))
            if real != name or not subs:  # ``import pkg.sub`` binds ``pkg`` too
                modules.append(f"import {real}" if real == name else f"import {real} as {name}")
            modules += [f"import {m}" for m in subs]
            continue
        path = import_path(value)
        if path is not None:
            imported(path[0], path[1], name, value)
            continue
        home = binder.homes.get(name)
        literal = _literal(value, binder)
        if literal is not None and (not import_homes or not home or home == "__main__"
                                    or not _importable(home)):
            values.append(f"{name} = {literal}")
        elif not home or home == "__main__":
            bound_at_run_time(name, value)
        else:
            imported(home, binder.original[name], name, value)
    return modules + froms + values


def _is_builtin(name: str, value: object) -> bool:
    """A builtin under its own name needs no import."""
    return getattr(builtins, name, None) is value


def _literal(value: object, binder: Binder) -> str | None:
    """The source of a number, string or tuple of them (numpy scalars included), or None."""
    if not isinstance(value, (int, float, complex, str, bytes, tuple)) and value is not None \
            and type(value).__module__ != "numpy":
        return None
    try:
        return safe.constant(value, lambda obj, name: binder.bind(name, obj))
    except safe.UnsafeError:
        return None


def _importable(module: str) -> bool:
    return all(safe.is_identifier(p) for p in module.split("."))


def _module_name(module: str, name: str) -> str:
    try:
        return safe.dotted_name(module)
    except safe.UnsafeError:
        raise safe.UnsafeError(f"the generated code must import {name!r} from the module "
                               f"{module!r}, which Python cannot import by that name (a "
                               "module name is identifiers joined by dots)") from None


def _from(module: str, original: str, name: str) -> str:
    """``from module import original as name``, each part checked."""
    module = _module_name(module, name)
    safe.identifier(original, "an importable name")
    return f"from {module} import {original}" + (f" as {name}" if original != name else "")


class _Printer:
    def __init__(self, binder: Binder):
        self.binder = binder
        self.folded: set[int] = set()
        self.pending: dict[str, _Folded] = {}  # folded values not yet written
        self.comments: list[str] = []  # of the folded values a statement consumed
        self.last_comment = ""  # of the statement printed just before

    def function(self, fn: ir.Function) -> list[str]:
        fn = fold.branch_results(fold.while_headers(fn))
        self.folded, self.pending = fold.plan(fn), {}
        lines = [f"def {safe.identifier(fn.name, 'a function name')}({self.signature(fn)}):"]
        if fn.docstring:
            lines.append(_INDENT + safe.docstring(fn.docstring))
        if fn.body or not fn.reverse:
            lines += self.body(fn.body, 1)
        if fn.reverse:
            lines.append(f"{_INDENT}# reverse pass")
            lines += self.body(fn.reverse, 1)
        lines.append(f"{_INDENT}return {self.result(fn.result)}")
        return lines

    def signature(self, fn: ir.Function) -> str:
        if fn.signature is None:
            return ", ".join(fn.params)
        args = copy.deepcopy(fn.signature)
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            a.annotation = None
        return ast.unparse(args)

    def result(self, value, top: bool = True) -> str:
        if not isinstance(value, tuple):
            return self.atom(value)
        items = [self.result(v, top=False) for v in value]
        text = ", ".join(items) + ("," if len(items) == 1 else "")
        return text if top else f"({text})"

    # expressions
    def expr(self, node: ast.expr) -> str:
        """The text of ``node``, its global names bound (``node`` may be changed)."""
        text = unparse(node, self.bound_name)
        return ast.unparse(self.bind(node)) if text is None else text

    def bound_name(self, node: ast.Name) -> str | None:
        """The name a global is bound to, if binding it changes nothing; else None."""
        return node.id if self.binder.bound.get(node.id) is node.s2s_global else None

    def bind(self, node: ast.expr) -> ast.expr:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and hasattr(sub, "s2s_global"):
                sub.id = self.binder.bind(sub.id, sub.s2s_global, getattr(sub, "s2s_home", None))
        return node

    def atom(self, a) -> str:
        return self.operand(a)[0]

    def operand(self, a) -> tuple[str, int]:
        """The text of an atom (or of the folded value it names) and its precedence."""
        if isinstance(a, ir.Var):
            folded = self.pending.pop(a.name, None)
            if folded is None:
                return a.name, _ATOM
            if folded.comment:
                self.comments.append(folded.comment)
            return folded.text, folded.precedence
        text = self.constant_or_global(a)
        return text, (_UNARY if text.startswith("-") else _ATOM)

    def constant_or_global(self, a) -> str:
        if isinstance(a, ir.Global):
            name = self.binder.bind(a.name, a.value, a.home)
            self.binder.read_through(a.value, a.path)
            return ".".join((name,) + a.path)
        if isinstance(a, ir.Const) and (a.value is None or type(a.value) in _WRITTEN):
            return safe.constant(a.value, self.name_of)
        return self.expr(atom_expr(a))

    def name_of(self, obj: object, name: str) -> str:
        """The name the module binds ``obj`` to (``float`` for ``float('inf')``)."""
        return self.binder.bind(name, obj)

    def op(self, op: ir.Op) -> str:
        s = op.syntax
        if s in fold.FOLDABLE or s in _BINOPS or s in _CMPOPS:
            return self.op_text(op)[0]
        args = [self.atom_node(a) for a in op.args]
        if s == "list":
            node = ast.List(args, ast.Load())
        elif s == "subscript":
            node = ast.Subscript(args[0], index_node(op.args[1]), ast.Load())
        elif s == "tuple":
            node = ast.Tuple(args, ast.Load())
        else:
            node = ast.UnaryOp({"u-": ast.USub, "unot": ast.Not, "u~": ast.Invert}[s](), args[0])
        return self.expr(node)

    def op_text(self, op: ir.Op) -> tuple[str, int]:
        """Calls, operators and comparisons, written directly, with their precedence."""
        if op.syntax == "call":
            args = [self.atom(a) for a in op.args]
            args += [f"{k}={self.atom(v)}" for k, v in op.kwargs]
            return f"{self.atom(op.callee)}({', '.join(args)})", _ATOM
        if op.syntax in _PREFIX:
            word, prec = _PREFIX[op.syntax]
            text, inner = self.operand(op.args[0])
            return word + (f"({text})" if inner <= prec else text), prec
        prec = _PRECEDENCE[op.syntax] if op.syntax in _PRECEDENCE else _COMPARE
        (left, lp), (right, rp) = (self.operand(a) for a in op.args)
        if lp < prec or (lp == prec and (op.syntax == "**" or prec == _COMPARE)):
            left = f"({left})"  # (-2) ** x, (a < b) < c
        if rp < prec or (rp == prec and op.syntax != "**"):
            right = f"({right})"  # a - (b - c)
        return f"{left} {op.syntax} {right}", prec

    def atom_node(self, a) -> ast.expr:
        node = atom_expr(a)
        if isinstance(a, ir.Global):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            root.s2s_home = a.home
            self.binder.read_through(a.value, a.path)
        return node

    def value(self, v) -> str:
        if isinstance(v, ir.Op):
            return self.op(v)
        if isinstance(v, ir.Expr):
            return self.expr_text(v.tree)[0]
        return self.atom(v)

    # statements
    def body(self, stmts, depth: int, tail=()) -> list[str]:
        lines = []
        self.last_comment = ""
        for s in stmts:
            lines += self.stmt(s, depth)
        self.last_comment = ""
        lines += self.copies(tail, depth)
        return lines or [f"{_INDENT * depth}pass"]

    def copies(self, pairs, depth: int) -> list[str]:
        """φ copies; they happen at once, so a swap becomes one tuple assignment."""
        pairs = [(t, v) for t, v in pairs if v != ir.Var(t)]
        if not pairs:
            return []
        pad = _INDENT * depth
        # fold.plan writes a value into a copy only where no earlier copy assigns
        # what it reads, so only plain names need looking at here
        earlier: set[str] = set()
        for t, v in pairs:
            if isinstance(v, ir.Var) and v.name in earlier:  # a swap: all at once
                left = ", ".join(t for t, _ in pairs)
                right = ", ".join(self.atom(v) for _, v in pairs)
                return [f"{pad}{left} = {right}"]
            earlier.add(t)
        return [f"{pad}{t} = {self.atom(v)}" for t, v in pairs]

    def stmt(self, s, depth: int) -> list[str]:
        pad = _INDENT * depth
        if isinstance(s, ir.Assign):
            if id(s) in self.folded:
                self.hold(s)
                return []
            op = "+=" if s.accumulate else "="
            self.comments = []
            value = s.value
            tree = value.tree if isinstance(value, ir.Expr) else None
            if s.accumulate and isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
                op, value = "-=", ir.Expr(tree.operand)  # x_bar -= …, not x_bar += -(…)
            line = f"{pad}{s.target} {op} {self.value(value)}"
            comment = s.comment or next(iter(self.comments), "")
            shown, self.last_comment = self.last_comment, comment  # once per run of lines
            shown_text = f"  # {safe.comment(comment, safe.COMMENT_WIDTH)}"
            return [line + (shown_text if comment and comment != shown else "")]
        self.last_comment = ""

        if isinstance(s, ir.Unpack):
            self.comments = []
            line = f"{pad}{ir.target_text(s.targets)} = {self.value(s.value)}"
            comment = s.comment or next(iter(self.comments), "")
            return [line + (f"  # {comment}" if comment else "")]
        if isinstance(s, ir.Comment):
            return [f"{pad}# {safe.comment(s.text, safe.COMMENT_WIDTH)}"]
        if isinstance(s, ir.Push):
            values = ", ".join(s.values)
            return [f"{pad}{s.tape}.append({values if len(s.values) == 1 else '(' + values + ')'})"]
        if isinstance(s, ir.Pop):
            if not s.values:
                return [f"{pad}{s.tape}.pop()"]
            return [f"{pad}{', '.join(s.values)} = {s.tape}.pop()"]
        if isinstance(s, ir.Append):
            return [f"{pad}{s.target}.append({self.atom(s.value)})"]
        if isinstance(s, ir.If):
            return self.if_(s, depth)
        if isinstance(s, ir.Loop):
            return self.loop(s, depth)
        raise TypeError(s)

    def hold(self, s: ir.Assign) -> None:
        """Keep the text of a folded assignment for its use."""
        self.comments = []
        if isinstance(s.value, ir.Op):
            text, prec = self.op_text(s.value)
        elif isinstance(s.value, ir.Expr):
            text, prec = self.expr_text(s.value.tree)
        else:
            text, prec = self.operand(s.value)
        comment = s.comment or next(iter(self.comments), "")
        self.pending[s.target] = _Folded(text, prec, comment)

    def expr_text(self, tree: ast.expr) -> tuple[str, int]:
        """The text of an emitted expression, folded values written in, and its precedence."""
        text = self.folded_text(tree)
        if text is not None:
            return text, _precedence(tree)
        tree = self.substituted(tree)
        return self.expr(tree), _precedence(tree)

    def folded_text(self, tree: ast.expr) -> str | None:
        """The text of ``tree`` with the folded values it reads written in, without
        building a new tree; None if one of them is a number (``substituted`` computes
        with numbers) or the tree needs ``ast.unparse``."""
        pending = self.pending
        used = {n: pending[n] for n in expr_facts(tree)[0] if n in pending} if pending else {}
        if any(_is_number(f.text) for f in used.values()):
            return None
        written = {n: (f.text, _EXPRTEXT_PRECEDENCE[f.precedence]) for n, f in used.items()}
        text = unparse(tree, self.bound_name, written)
        if text is None:
            return None
        for n, f in used.items():
            del self.pending[n]
            if f.comment:
                self.comments.append(f.comment)
        return text

    def substituted(self, tree: ast.expr) -> ast.expr:
        """A copy of ``tree`` with the folded values it reads written in (one walk)."""
        numbers = []

        def copy(node):
            if isinstance(node, list):
                return [copy(x) for x in node]
            if not isinstance(node, ast.AST):
                return node
            if isinstance(node, ast.Name) and node.id in self.pending \
                    and not hasattr(node, "s2s_global"):
                folded = self.pending.pop(node.id)
                if folded.comment:
                    self.comments.append(folded.comment)
                new = ast.parse(folded.text, mode="eval").body
                numbers.append(number(new) is not None)
                return new
            new = type(node)(**{f: copy(getattr(node, f)) for f in node._fields
                                if hasattr(node, f)})
            for attr in ("s2s_global", "s2s_home"):
                if hasattr(node, attr):
                    setattr(new, attr, getattr(node, attr))
            return new

        tree = copy(tree)
        return fold_numbers(tree) if any(numbers) else tree

    def if_(self, s: ir.If, depth: int) -> list[str]:
        pad = _INDENT * depth
        then_tail = [(p.target, p.first) for p in s.phis]
        else_tail = [(p.target, p.second) for p in s.phis]
        then = self.body(s.then, depth + 1, then_tail)
        orelse = self.body(s.orelse, depth + 1, else_tail)
        cond = self.atom(s.cond)
        empty = f"{_INDENT * (depth + 1)}pass"
        if then == [empty]:
            return [f"{pad}if not {cond}:"] + orelse
        lines = [f"{pad}if {cond}:"] + then
        if orelse != [empty]:
            lines += [f"{pad}else:"] + orelse
        return lines

    def loop(self, s: ir.Loop, depth: int) -> list[str]:
        pad = _INDENT * depth
        lines = self.copies([(p.target, p.first) for p in s.phis], depth)
        if s.kind == "while" and isinstance(s.args[0], ir.Op):
            args = self.op_text(s.args[0])[0]
        else:
            args = ", ".join(self.atom(a) for a in s.args)
        body = s.body
        if s.kind == "replay":  # its first statement, the pop, is the loop's target
            head, body = f"for {', '.join(s.body[0].values)} in reversed({args}):", s.body[1:]
        else:
            head = {
                "for": f"for {s.var} in range({args}):",
                "while": f"while {args}:",
                "reversed": f"for {s.var} in reversed(range({args})):",
                "repeat": f"for _ in range({args}):",
            }[s.kind]
        tail = [(p.target, p.second) for p in s.phis]
        return lines + [pad + head] + self.body(body, depth + 1, tail)


@dataclass
class _Folded:
    """A folded value: its text, precedence and comment."""

    text: str
    precedence: int
    comment: str


_WRITTEN = (int, float, bool, complex, str, bytes)  # constants safe.constant writes
_COMPARE, _UNARY, _ATOM = 4, 11, 13
# the same levels in exprtext's scale (0: conditional expressions and looser)
_EXPRTEXT_PRECEDENCE = dict(zip((0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
                                (4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _precedence(tree: ast.expr) -> int:
    """How tightly the top of an expression binds (higher: tighter)."""
    if isinstance(tree, ast.BinOp):
        return _BINOP_PRECEDENCE[type(tree.op)]
    if isinstance(tree, ast.UnaryOp):
        return 3 if isinstance(tree.op, ast.Not) else _UNARY
    if isinstance(tree, ast.Compare):
        return _COMPARE
    if isinstance(tree, (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)):
        return 0
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float, complex)):
        return _UNARY if str(tree.value).startswith("-") else _ATOM
    return _ATOM
_PRECEDENCE = {"|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10,
               "//": 10, "%": 10, "@": 10, "**": 12}
_PREFIX = {"u-": ("-", _UNARY), "u~": ("~", _UNARY), "unot": ("not ", 3)}

_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow,
           "//": ast.FloorDiv, "%": ast.Mod, "@": ast.MatMult, "&": ast.BitAnd, "|": ast.BitOr,
           "^": ast.BitXor, "<<": ast.LShift, ">>": ast.RShift}
_BINOP_PRECEDENCE = {node: _PRECEDENCE[op] for op, node in _BINOPS.items()}
_CMPOPS = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq,
           "!=": ast.NotEq, "is": ast.Is, "is not": ast.IsNot}


def _definitions(module: Module) -> str:
    """The module's source with the lines of ``import_lines`` blank (line numbers kept):
    what they bind is in ``module.namespace``."""
    lines = module.source.split("\n")
    first, count = module.imports
    block = lines[first:first + count]
    assert all(line and not line[0].isspace() for line in block), block
    lines[first:first + count] = [""] * count
    return "\n".join(lines)


def compile_module(module: Module, label: str) -> dict:
    """Run the generated module's definitions; its lines are registered with linecache.

    Its import lines are not run: every name they bind is bound from
    ``module.namespace`` (the very objects the code was generated for), so
    compiling imports nothing and the namespace holds only what the code uses.
    The linecache entry lives as long as one of the module's functions does.
    """
    digest = hashlib.sha1(module.source.encode()).hexdigest()[:12]
    filename = f"<s2sdiff {label} {digest}>"
    code = deep(lambda: compile(_definitions(module), filename, "exec"))
    namespace = dict(module.namespace)
    namespace["__name__"] = GENERATED + label
    exec(code, namespace)  # noqa: S102 - running the code we just generated is the point
    sourcelines.register(filename, module.source,
                         [v for v in namespace.values() if inspect.isfunction(v)
                          and v.__code__.co_filename == filename])
    return namespace
