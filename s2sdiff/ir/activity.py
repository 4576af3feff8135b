"""Activity analysis: which values carry derivatives.

A value is *active* when it depends on a ``wrt`` input through operations
that have a derivative (it is *varied*) and it reaches the output through
such operations (it is *useful*).  Only active values get adjoints/tangents.
"""

from __future__ import annotations

import inspect
import linecache
import re
import sys

from .. import ir
from ..errors import Location, NoRuleError, UnsupportedSyntaxError
from ..rules import is_constant, lookup, lookup_array
from ..rules.lists import _with_item
from ..rules.registry import UNKNOWN, generation, refusal


LIST_OPS = {"list", "subscript"}


def is_list_op(op: ir.Op) -> bool:
    """List display, item read or write, or ``sum`` of a list: handled by the emitters."""
    return op.syntax in LIST_OPS or (op.fn is sum and len(op.args) == 1) or is_item_write(op)


def is_item_write(op) -> bool:
    """``_with_item(xs, i, v)``: the list ``xs`` after ``xs[i] = v`` (a new version of it)."""
    return type(op) is ir.Op and op.fn is _with_item


def is_added_items(op) -> bool:
    """``_add_items(xs, ys)``: two adjoint lists of a gradient of array code added item by
    item (linear: forward mode adds their tangent lists the same way)."""
    joining = sys.modules.get("s2sdiff.rules.joining")  # (code without NumPy has no such call)
    return type(op) is ir.Op and joining is not None and op.fn is joining._add_items \
        and len(op.args) == 2


def list_roots(stmts) -> dict[str, str]:
    """Each list value of ``stmts`` → the list it is a version of: a display is its own,
    an item write (``_with_item``) or a φ makes a new version of its list's."""
    roots: dict[str, str] = {}
    parents: dict[str, list[str]] = {}  # a version → the values it may come from
    for s in ir.walk(stmts):
        if type(s) is ir.Assign and type(s.value) is ir.Op and isinstance(s.target, str):
            if s.value.syntax == "list":
                roots[s.target] = s.target
            elif is_item_write(s.value) and type(s.value.args[0]) is ir.Var:
                parents[s.target] = [s.value.args[0].name]
        elif isinstance(s, (ir.If, ir.Loop)):
            for p in s.phis:
                parents[p.target] = [a.name for a in (p.first, p.second) if type(a) is ir.Var]
    changed = True
    while changed:  # a loop's φ names a version its body writes later
        changed = False
        for name, sources in parents.items():
            found = next((roots[n] for n in sources if n in roots), None)
            if name not in roots and found is not None:
                roots[name] = found
                changed = True
    return roots


def partial_positions(op: ir.Op) -> tuple[int, ...]:
    """Indices of the arguments of ``op`` that carry a derivative (remembered per
    callable, syntax and number of arguments while no rule is registered)."""
    key = (op.syntax, id(op.fn), len(op.args), generation())
    known = _POSITIONS.get(key)
    if known is not None and known[0] is op.fn:
        return known[1]
    if len(_POSITIONS) > 10_000:
        _POSITIONS.clear()
    positions = tuple(_partial_positions(op))
    _POSITIONS[key] = (op.fn, positions)
    return positions


_POSITIONS: dict = {}  # (syntax, id(fn), number of arguments, rules generation) -> (fn, positions)


def _partial_positions(op: ir.Op) -> list[int]:
    if op.syntax == "subscript" or (op.fn is sum and len(op.args) == 1):
        return [0]
    if is_item_write(op):
        return [0, 2]
    if op.syntax == "tuple" or op.fn is slice:
        return []
    if op.syntax == "list":
        return list(range(len(op.args)))
    if is_constant(op.fn):
        return []
    array = lookup_array(op.fn)
    if array is not None:
        exprs = array.vjps if array.vjps is not None else array.jvps
        return [i for i in range(min(len(op.args), len(array.inputs))) if exprs[i] is not None]
    rule = lookup(op.fn, len(op.args))
    if rule is None:
        return list(range(len(op.args)))
    return [i for i, p in enumerate(rule.partials) if p is not None]


def _vars(atoms) -> set[str]:
    return {a.name for a in atoms if isinstance(a, ir.Var)}


def varied(fn: ir.Function, wrt: set[str], edges: list | None = None) -> set[str]:
    """Values that depend on the ``wrt`` inputs through differentiable operations."""
    return forward_closure(all_edges(fn) if edges is None else edges, wrt)


def useful(fn: ir.Function, edges: list | None = None) -> set[str]:
    """Values whose change can reach the result through differentiable operations."""
    return backward_closure(all_edges(fn) if edges is None else edges,
                            _vars(ir.atoms_of(fn.result)))


def forward_closure(edges: list, start) -> set[str]:
    """``start`` and every target reached from it along ``edges`` (source → target)."""
    targets: dict[str, list[str]] = {}
    for target, sources in edges:
        for source in sources:
            targets.setdefault(source, []).append(target)
    return _reach(targets, start)


def backward_closure(edges: list, start) -> set[str]:
    """``start`` and every source reached from it against ``edges`` (target → sources)."""
    sources_of: dict[str, list[str]] = {}
    for target, sources in edges:
        sources_of.setdefault(target, []).extend(sources)
    return _reach(sources_of, start)


def _reach(next_of: dict, start) -> set[str]:
    """Everything reachable from ``start`` in the graph ``next_of`` (a worklist: each
    name is expanded once, where sweeping the edges to a fixpoint was quadratic)."""
    found = set(start)
    todo = list(found)
    while todo:
        for name in next_of.get(todo.pop(), ()):
            if name not in found:
                found.add(name)
                todo.append(name)
    return found


def all_edges(fn: ir.Function, tapes=None) -> list[tuple[str, set[str]]]:
    """The derivative edges of every statement, in program order.

    ``tapes``: the tapes whose pushes and pops carry derivatives (None: all; a
    gradient differentiated again pops each value back under its own name, so
    none of its tapes does).
    """
    return [e for s in ir.walk(fn.statements) for e in _edges(s, tapes)]


def _edges(s, tapes=None) -> list[tuple[str, set[str]]]:
    """(value, the values it has a derivative with respect to) for one statement."""
    kind = type(s)
    if kind is ir.Assign:
        sources = sources_of(s.value)
        name = s.target if isinstance(s.target, str) else s.target.name
        if s.accumulate or name is not s.target:  # ``x_bar += e``, ``xs_bar[i] = e``
            sources.add(name)
        return [(name, sources)]
    if kind is ir.Unpack:
        sources = sources_of(s.value)
        return [(t, sources) for t in s.names]
    if isinstance(s, ir.Append):
        return [(s.target, {s.target} | sources_of(s.value))]
    if isinstance(s, (ir.If, ir.Loop)):
        return [(p.target, _vars([p.first, p.second])) for p in s.phis]
    if tapes is None or getattr(s, "tape", None) in tapes:
        return tape_edges(s)
    return []


def sources_of(v) -> set[str]:
    """The local names value ``v`` has a derivative with respect to (an over-approximation:
    every argument a rule gives a partial for, every argument of a function that stays
    a call, both branches of a conditional expression)."""
    kind = type(v)
    if kind is ir.Var:
        return {v.name}
    if kind is not ir.Op:
        return set()
    if v.syntax in _BOOLEAN:
        return set()
    if v.syntax == "ifexp":
        return sources_of(v.args[1]) | sources_of(v.args[2])
    if type(v.fn) is ir.Callee:
        return set().union(*map(sources_of, ir.call_values(v)))
    args = v.args
    found = set()
    for i in partial_positions(v):
        if i < len(args):
            a = args[i]
            if type(a) is ir.Var:  # (SSA operands are atoms: no set per operand)
                found.add(a.name)
            elif type(a) is ir.Op:
                found |= sources_of(a)
    if v.kwargs and lookup_array(v.fn) is None and not is_constant(v.fn):
        # keywords of a callable without an array rule (``P(a=x)``): a derivative may go
        # through them, and ``active`` refuses them (a call without a rule, or with
        # keyword arguments); an array rule's keywords are its options, checked there
        found |= set().union(*(sources_of(a) for _, a in v.kwargs))
    return found


_BOOLEAN = {"<", "<=", ">", ">=", "==", "!=", "is", "is not", "and", "or", "unot", "tape"}


def tape_edges(s) -> list[tuple[str, set[str]]]:
    """A tape of generated code holds what is pushed on it and gives it back when popped."""
    if isinstance(s, ir.Push):
        return [(s.tape, set(s.values))]
    if isinstance(s, ir.Pop):
        return [(v, {s.tape}) for v in s.values]
    return []


def active(fn: ir.Function, wrt: set[str], tapes=None, mode: str = "reverse") -> set[str]:
    """Active values: varied by ``wrt`` and reaching the result (flow-insensitive).

    Raises NoRuleError for an active call without a rule (for ``mode``: an
    array rule may have only a JVP), and for a tuple of varied values that
    reaches the result (its derivative would be lost).  ``tapes``: see ``all_edges``.
    """
    edges = all_edges(fn, tapes)
    moved, reach = varied(fn, wrt, edges), useful(fn, edges)
    result = moved & reach
    roots = list_roots(fn.statements)
    active_roots = {roots[n] for n in result if n in roots}
    result |= {n for n, r in roots.items() if r in active_roots}  # one adjoint per list
    missing = None  # the first active call without a rule (reported after tuple errors)
    for s in ir.walk(fn.statements):
        if not (isinstance(s, ir.Assign) and isinstance(s.value, ir.Op)
                and isinstance(s.target, str)):
            continue
        op = s.value
        if op.syntax == "tuple" and s.target in reach and _vars(op.args) & moved:
            raise _tuple_error(s)
        if missing is not None or s.target not in reach or is_list_op(op) \
                or (mode == "forward" and is_added_items(op)) \
                or op.syntax in _BOOLEAN or op.syntax == "ifexp" \
                or type(op.fn) is ir.Callee or is_constant(op.fn):
            continue
        array = lookup_array(op.fn)
        if array is not None and _vars(op.args + tuple(a for _, a in op.kwargs)) & moved:
            missing = _refused(s, array, moved)  # also where the rule drops every derivative
        if missing is not None or s.target not in result:
            continue
        if array is not None and (array.vjps if mode == "reverse" else array.jvps) is None:
            missing = _no_rule(s, f"no {'VJP' if mode == 'reverse' else 'JVP'} rule")
        elif array is not None:
            continue
        elif lookup(op.fn, len(op.args)) is None:
            missing = _no_rule(s)
        elif op.kwargs:
            missing = _no_rule(s, "keyword arguments to a callable with a derivative rule")
    if missing is not None:
        raise missing
    return result


def _constant(a):
    """The constant ``a`` is (a module-level number such as ``np.inf`` too), or UNKNOWN."""
    if isinstance(a, ir.Const):
        return a.value
    if isinstance(a, ir.Global):
        value = a.resolved(UNKNOWN)
        if type(value) in (int, float, bool, str):
            return value
    return UNKNOWN


def _refused(s: ir.Assign, array, moved: set[str]) -> UnsupportedSyntaxError | None:
    """A located error when the rule's own check refuses the call, or when an option of
    the rule (never differentiated: ``axis``, ``b`` of logsumexp…) would carry a derivative."""
    op = s.value
    why = refusal_of(op)
    options = [name for name, _ in array.options]
    bound = list(zip(options, op.args[len(array.inputs):])) + list(op.kwargs)
    helper = getattr(op.fn, "__s2sdiff_helper__", False)  # its options are read for shapes
    varied_options = [name for name, a in bound if _vars([a]) & moved and not helper]
    if why is None and varied_options:
        why = f"no derivative with respect to the argument {varied_options[0]!r}"
    if why is None and not helper:
        why = _misbound(op, len(array.inputs), options)
    unread = [k for k, _ in op.kwargs if k not in options and k not in _HARMLESS]
    if why is None and unread and not helper:
        why = f"the keyword {unread[0]!r}, which the derivative rule does not read"
    if why is None and len(op.args) > len(array.inputs) + len(options):
        why = f"more than {len(array.inputs) + len(options)} positional arguments"
    return None if why is None else refused(op, why, s.origin)


# Keywords the array rules may ignore: they change no value's derivative.
_HARMLESS = {"dtype", "optimize", "copy", "device", "like", "casting"}


def _misbound(op: ir.Op, n: int, options: list[str]) -> str | None:
    """Why a positional argument after the ``n`` inputs would bind to a rule's option that
    is not the function's parameter there (``np.sum(x, 0, float)`` passes ``dtype``)."""
    try:
        params = list(inspect.signature(op.fn).parameters.values())
    except (TypeError, ValueError):  # no signature: NumPy functions in C
        return None
    for k, option in enumerate(options[: len(op.args) - n]):
        param = params[n + k] if n + k < len(params) else None
        if param is None or param.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if param.name != option:
            return (f"positional argument {n + k + 1} (NumPy's {param.name!r}, the rule's "
                    f"{option!r}): pass options by keyword")
    return None


def refusal_of(op: ir.Op) -> str | None:
    """Why the rule of ``op``'s callable refuses to differentiate it (see ``rules.refuse``)."""
    return refusal(op.fn, tuple(map(_constant, op.args)), {k: _constant(a) for k, a in op.kwargs})


def refused(op: ir.Op, why: str, origin: ir.Origin | None) -> UnsupportedSyntaxError:
    """The error refusing the call ``op`` for reason ``why``, at the line ``origin``."""
    name = str(op.callee) if op.callee is not None else getattr(op.fn, "__name__", "?")
    where = None
    if origin is not None:
        line = linecache.getline(origin.filename, origin.lineno)
        where = Location(origin.filename, origin.lineno, max(line.find(name), 0), line)
    return UnsupportedSyntaxError(why if name.startswith("_") else f"{why}: {name}", where,
                                  "rewrite the call in a supported form (see the NumPy rules' "
                                  "docstring), or register a rule with s2sdiff.defvjp/defjvp")


def _tuple_error(s: ir.Assign) -> UnsupportedSyntaxError:
    where = None
    if s.origin is not None:
        line = linecache.getline(s.origin.filename, s.origin.lineno)
        found = re.search(r"\(\s*[\w.]+\s*,", line)
        where = Location(s.origin.filename, s.origin.lineno, found.start() if found else 0, line)
    return UnsupportedSyntaxError(
        "a tuple of values to differentiate, passed to a call (derivatives go through lists)",
        where, "pass a list instead: [a, b] rather than (a, b)")


def _no_rule(s: ir.Assign, why: str = ""):
    from ..errors import Location

    op = s.value
    name = str(op.callee) if op.callee is not None else op.syntax
    where = None
    if s.origin is not None:
        import linecache

        line = linecache.getline(s.origin.filename, s.origin.lineno)
        col = max(line.find(name.split(".")[-1]), 0) if name else 0
        if op.callee is not None:
            col = max(line.find(str(op.callee)), 0)
        where = Location(s.origin.filename, s.origin.lineno, col, line)
    what = name if op.callee is not None else f"the `{op.syntax.lstrip('u')}` operator"
    target = name if op.callee is not None else f"operator.{getattr(op.fn, '__name__', '?')}"
    message = (f"no derivative rule for {what} (called with {len(op.args)} argument"
               f"{'s' if len(op.args) != 1 else ''})") if not why else f"{why}: {what}"
    hint = (f"register one with @s2sdiff.partials({target}) on a function returning its "
            "partial derivatives (or @s2sdiff.defvjp/@s2sdiff.defjvp for array operations), "
            "or s2sdiff.constant(...) if it has none")
    return NoRuleError(message, where, hint)
