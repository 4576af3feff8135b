"""The rule table: derivative rules written once as edge partials.

A rule is a small Python function whose parameters stand for the inputs of an
operation and whose body returns one expression per input: the partial
derivative of the output with respect to that input.  The rule is never
called; its source is parsed once and its parameters are replaced by the
names of the program's values, so both emitters can read it::

    @partials(math.sin)
    def _(x):
        return (math.cos(x),)

A keyword-only parameter ``out`` stands for the operation's result
(``math.exp`` has partial ``out``).  ``None`` in the returned tuple marks an
input with no derivative (an integer argument, say).  Functions with no
derivative at all (``len``, ``int``, comparisons) are registered with
:func:`constant`.

A callable whose partials depend on how many arguments it is given
(``math.log(x)`` and ``math.log(x, base)``) has one rule per arity::

    @partials(math.log, arity=2)
    def _(x, base):
        return (1.0 / (x * math.log(base)), -math.log(x) / (base * math.log(base) ** 2))

and :func:`lookup` takes the number of arguments of the call.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..errors import S2SDiffError


@dataclass(frozen=True)
class Rule:
    """The edge partials of one callable (s2sdiff's own are read from their source when
    first used: ``import s2sdiff`` parses none)."""

    fn: object
    params: tuple[str, ...]
    parsed: list = field(repr=False, compare=False)  # [the partials] once read
    namespace: dict = field(repr=False, compare=False)
    definition: Callable | None = field(default=None, repr=False, compare=False)
    arity: int | None = None  # None: the default rule of ``fn``

    @property
    def partials(self) -> tuple[ast.expr | None, ...]:
        if not self.parsed:
            self.parsed.append(_parse_rule(self.definition)[1])
        return self.parsed[0]


_RULES: dict[tuple[int, int | None], Rule] = {}
_GENERATION = [0]  # counts registrations: derivatives generated before one are stale


def generation() -> int:
    """How many times rules were registered; part of the cache key of generated code."""
    return _GENERATION[0]


_CONSTANT: dict[int, object] = {}

# The rules of a library are registered once the library is imported (by the user's
# code): ``import s2sdiff`` imports neither NumPy nor SciPy.  library -> rule modules
_LAZY: dict[str, list[str]] = {}


def register_when_imported(library: str, *modules: str) -> None:
    """Import the rule ``modules`` once ``library`` is imported (checked at each query)."""
    _LAZY.setdefault(library, []).extend(modules)
    _load_imported()


_SEEN = [0]  # how many modules were loaded at the last look


def _load_imported() -> None:
    """Register the rules of the libraries imported since the last query (looked
    for only when a module was imported since)."""
    if len(sys.modules) == _SEEN[0]:
        return
    _SEEN[0] = len(sys.modules)
    for library in [name for name in _LAZY if name in sys.modules]:
        for module in _LAZY.pop(library):
            importlib.import_module(module)


def _key(fn: object) -> int:
    return id(fn)


def _drop_rules(fn: object) -> None:
    for key in [k for k in _RULES if k[0] == _key(fn)]:
        del _RULES[key]


def _rule_tree(definition: Callable) -> tuple[ast.FunctionDef, list[ast.expr]]:
    """The rule's ``def`` and the expressions its single ``return`` gives."""
    source = textwrap.dedent(inspect.getsource(definition))
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise S2SDiffError(f"rule {definition!r} must be a def")
    kwonly = tuple(a.arg for a in tree.args.kwonlyargs)
    if kwonly not in ((), ("out",)):
        raise S2SDiffError(f"rule {tree.name}: the only keyword-only parameter allowed is 'out'")
    body = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        raise S2SDiffError(f"rule {tree.name}: the body must be a single `return (expr, ...)`")
    value = body[0].value
    return tree, (value.elts if isinstance(value, ast.Tuple) else [value])


def _expressions(tree: ast.FunctionDef, items: list, names: tuple) -> tuple:
    """One expression per name (``None`` for no derivative), or a located complaint."""
    if len(items) != len(names):
        raise S2SDiffError(f"rule {tree.name}: returns {len(items)} expressions for "
                           f"{len(names)} inputs {names}")
    return tuple(None if isinstance(e, ast.Constant) and e.value is None else e for e in items)


def _parse_rule(definition: Callable) -> tuple[tuple[str, ...], tuple[ast.expr | None, ...]]:
    """Read the parameter names and the returned partial expressions of a rule."""
    tree, items = _rule_tree(definition)
    params = tuple(a.arg for a in tree.args.args)
    return params, _expressions(tree, items, params)


def partials(*fns: object, arity: int | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated rule as the edge partials of each callable in ``fns``.

    With ``arity=n`` the rule applies only to calls with ``n`` arguments (and
    must have ``n`` parameters); without it, it is the default rule of ``fn``.
    """

    def register(definition: Callable) -> Callable:
        if definition.__module__.startswith("s2sdiff."):  # read when first used
            code = definition.__code__
            params, parsed = code.co_varnames[:code.co_argcount], []
        else:  # a user's rule: its mistakes reported now
            params, exprs = _parse_rule(definition)
            parsed = [exprs]
        if arity is not None and arity != len(params):
            raise S2SDiffError(
                f"rule {definition.__name__}: arity={arity} but {len(params)} parameters"
            )
        for fn in fns:
            rule = Rule(fn, params, parsed, definition.__globals__, definition, arity)
            _RULES[(_key(fn), arity)] = rule
            _CONSTANT.pop(_key(fn), None)
        _GENERATION[0] += 1
        return definition

    return register


def constant(*fns: object) -> None:
    """Declare callables whose result has no derivative (integer or boolean work)."""
    for fn in fns:
        _CONSTANT[_key(fn)] = fn
        _drop_rules(fn)
    _GENERATION[0] += 1


def lookup(fn: object, nargs: int | None = None) -> Rule | None:
    """The partials rule of ``fn`` called with ``nargs`` arguments, or None.

    Without ``nargs``, the default rule.  With it, the rule registered for
    that arity, else the default rule if it has ``nargs`` parameters.
    """
    if _LAZY:
        _load_imported()
    key = id(fn)  # _key, inlined: rules are looked up for every operation
    rule = _RULES.get((key, nargs)) if nargs is not None else None
    if rule is None:
        rule = _RULES.get((key, None))
        if rule is not None and nargs is not None and len(rule.params) != nargs:
            return None
    return rule if rule is not None and rule.fn is fn else None


def is_constant(fn: object) -> bool:
    """True when ``fn`` is registered as having no derivative."""
    if _LAZY:
        _load_imported()
    return _CONSTANT.get(_key(fn)) is fn


def all_rules() -> list[Rule]:
    """Every registered partials rule, in registration order."""
    if _LAZY:
        _load_imported()
    return list(_RULES.values())


# ---------------------------------------------------------------- array rules

@dataclass(frozen=True)
class ArrayRule:
    """VJP and JVP templates of an operation that is not elementwise.

    ``inputs`` are the parameters without defaults (the values a derivative can
    flow through); ``options`` the parameters with defaults (``axis``,
    ``keepdims``…), never differentiated, with their default expressions.
    ``vjps[i]`` is the contribution to input i's adjoint, written over ``g``
    (the adjoint of the result), the inputs, the options and ``out``.
    ``jvps[i]`` is input i's term of the result's tangent, written over
    ``<input>_dot`` (its tangent), the inputs, the options and ``out``.
    """

    fn: object
    inputs: tuple[str, ...]
    options: tuple[tuple[str, ast.expr], ...]
    vjps: tuple[ast.expr | None, ...] | None
    jvps: tuple[ast.expr | None, ...] | None
    namespace: dict = field(repr=False, compare=False)


_ARRAY_RULES: dict[int, ArrayRule] = {}


def _parse_array_rule(definition: Callable, leading: tuple[str, ...]):
    tree, items = _rule_tree(definition)
    args = tree.args
    names = [a.arg for a in args.args]
    if tuple(names[: len(leading)]) != leading:
        raise S2SDiffError(f"rule {tree.name}: the first parameters must be {leading}")
    names = names[len(leading):]
    n_options = len(args.defaults)
    inputs = tuple(names[: len(names) - n_options])
    options = tuple(zip(names[len(names) - n_options:], args.defaults))
    return inputs, options, _expressions(tree, items, inputs)


def vjp(*fns: object) -> Callable[[Callable], Callable]:
    """Register reverse-mode templates: ``def _(g, x, y, axis=None, *, out): return (x̄ part, ȳ part)``."""
    return _array_register(fns, "vjps", ("g",))


def jvp(*fns: object) -> Callable[[Callable], Callable]:
    """Register forward-mode templates: ``def _(x, y, axis=None, *, out): return (term in x_dot, term in y_dot)``."""
    return _array_register(fns, "jvps", ())


def _array_register(fns, kind: str, leading: tuple[str, ...]):
    def register(definition: Callable) -> Callable:
        inputs, options, exprs = _parse_array_rule(definition, leading)
        for fn in fns:
            old = _ARRAY_RULES.get(_key(fn))
            base = old if old is not None and old.fn is fn else ArrayRule(
                fn, inputs, options, None, None, definition.__globals__)
            if (base.inputs, [o for o, _ in base.options]) != (inputs, [o for o, _ in options]):
                raise S2SDiffError(f"vjp and jvp rules of {fn!r} must have the same parameters")
            _ARRAY_RULES[_key(fn)] = replace(base, **{kind: exprs})
            _CONSTANT.pop(_key(fn), None)
        _GENERATION[0] += 1
        return definition

    return register


def lookup_array(fn: object) -> ArrayRule | None:
    """The VJP/JVP rule of ``fn``, or None."""
    if _LAZY:
        _load_imported()
    rule = _ARRAY_RULES.get(id(fn))  # _key, inlined
    return rule if rule is not None and rule.fn is fn else None


def helper(fn: Callable) -> Callable:
    """Mark a function that templates call: its source is copied into generated modules."""
    fn.__s2sdiff_helper__ = True
    return fn


# ------------------------------------------------------- checks at generation

UNKNOWN = object()  # an argument whose value is not known at generation (not a constant)

_CHECKS: dict[int, tuple[object, Callable]] = {}


def refuse(*fns: object) -> Callable[[Callable], Callable]:
    """Register a check of the calls of ``fns`` that are differentiated, run at generation.

    The check gets the call's positional arguments and keywords, each the constant
    it is or :data:`UNKNOWN`, and returns why the derivative is not supported (a
    located error is raised with it) or None.
    """

    def register(definition: Callable) -> Callable:
        for fn in fns:
            _CHECKS[_key(fn)] = (fn, definition)
        _GENERATION[0] += 1
        return definition

    return register


def refusal(fn: object, args: tuple, kwargs: dict) -> str | None:
    """Why the derivative of ``fn(*args, **kwargs)`` is refused, or None (see :func:`refuse`)."""
    if _LAZY:
        _load_imported()
    found = _CHECKS.get(id(fn))
    return found[1](args, kwargs) if found is not None and found[0] is fn else None


# ------------------------------------------------------- calls returning a tuple

_SPLITS: dict[int, tuple[object, Callable]] = {}


def splits(*fns: object) -> Callable[[Callable], Callable]:
    """Register how a call of ``fns`` returning a tuple becomes one call per item.

    ``w, v = np.linalg.eigh(a)`` becomes ``w = _eigh_values(a)`` and ``v =
    _eigh_vectors(a)``: each item function takes the call's arguments and has
    rules of its own.  The decorated function gets the call's positional
    arguments and keywords (each the constant it is or :data:`UNKNOWN`) and
    returns the item functions (a tuple), one function where the call gives one
    value (``np.linalg.svd(a, compute_uv=False)``), or why the call is refused.
    """

    def register(definition: Callable) -> Callable:
        for fn in fns:
            _SPLITS[_key(fn)] = (fn, definition)
        _GENERATION[0] += 1
        return definition

    return register


def split_of(fn: object, args: tuple, kwargs: dict):
    """The item functions of a call of ``fn`` (see :func:`splits`), or None: not split."""
    if _LAZY:
        _load_imported()
    found = _SPLITS.get(id(fn))
    return found[1](args, kwargs) if found is not None and found[0] is fn else None


# ---------------------------------------------------- methods of library objects

_STAND_INS: dict[tuple[int, object], tuple[object, Callable]] = {}


def stand_in(method: object, function: Callable, name: str = "") -> None:
    """Let ``function`` (with the method's parameters, defaults included) carry the rules
    of the bound ``method`` (``scipy.stats.norm.logpdf``: each attribute access
    makes a new bound method, so rules cannot be keyed by the method itself).
    The call stays a call of the method; its keywords are bound to positions."""
    _STAND_INS[(id(method.__self__), method.__func__)] = (method.__self__, function)
    function.__s2sdiff_name__ = name or method.__name__  # the name in listings
    _GENERATION[0] += 1


def stand_in_of(fn: object) -> Callable | None:
    """The function carrying the rules of the bound method ``fn`` (see :func:`stand_in`)."""
    owner = getattr(fn, "__self__", None)
    if owner is None or not hasattr(fn, "__func__"):
        return None
    if _LAZY:
        _load_imported()
    found = _STAND_INS.get((id(owner), fn.__func__))
    return found[1] if found is not None and found[0] is owner else None


# ------------------------------------------------- calls written as other operations

_CHAINS: dict[int, object] = {}


def matmul_chain(*fns: object) -> None:
    """Declare ``fns`` as chains of ``@``: ``fn([a, b, c])`` is written ``a @ b @ c``."""
    for fn in fns:
        _CHAINS[_key(fn)] = fn
    _GENERATION[0] += 1


def is_matmul_chain(fn: object) -> bool:
    """Whether ``fn`` is declared a chain of ``@`` (see :func:`matmul_chain`)."""
    if _LAZY:
        _load_imported()
    return _CHAINS.get(id(fn)) is fn


# ------------------------------------------------------------------- conventions

_CONVENTIONS: list[tuple[tuple, str]] = []


def convention(text: str, *fns: object) -> None:
    """State what the rules of ``fns`` do where the derivative is not defined
    (listed in the README by :mod:`.listing`)."""
    _CONVENTIONS.append((fns, text))


def registered() -> dict:
    """Everything registered, for listings: ``partials``, ``array`` (VJP/JVP rules),
    ``splits``, ``chains``, ``stand_ins``, ``constant`` (callables) and
    ``conventions`` ((callables, text) pairs)."""
    if _LAZY:
        _load_imported()
    return {"partials": [r.fn for r in _RULES.values()],
            "array": [r.fn for r in _ARRAY_RULES.values()],
            "splits": [fn for fn, _ in _SPLITS.values()],
            "chains": list(_CHAINS.values()),
            "stand_ins": [f for _, f in _STAND_INS.values()],
            "constant": list(_CONSTANT.values()),
            "conventions": list(_CONVENTIONS)}
