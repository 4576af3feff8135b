"""Equal shapes known before running: what broadcasting says about array code.

An elementwise operation has the broadcast of its operands' shapes, and
broadcasting is associative, commutative and idempotent; so the shape of such
a value is the broadcast of a set of *sources* (parameters, numbers, results
of other operations), and two values with the same set have the same shape,
whatever the arrays.  The reverse emitter skips un-broadcasting where the
shapes are equal, and reads a shape from a value that is there anyway.

>>> import operator
>>> body = (ir.Assign("a", ir.Op(operator.mul, (ir.Var("x"), ir.Var("y")), "*")),
...         ir.Assign("b", ir.Op(operator.add, (ir.Var("a"), ir.Const(1.0)), "+")))
>>> sets = shape_sets(ir.Function("f", ("x", "y"), body, ir.Var("b")))
>>> sets["a"] == sets["b"] == frozenset({"x", "y"})
True
>>> stand_ins(("x", "y", "a", "b"), sets)["b"]
'a'
"""

from __future__ import annotations

import numbers
import operator

from .. import ir

_BINARY = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
           operator.mod, operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
           pow)
_UNARY = (operator.neg, operator.pos, operator.abs, abs)


def broadcasts(fn, nargs: int, nkwargs: int = 0) -> bool:
    """True when ``fn`` called with ``nargs`` arguments has their broadcast shape."""
    import numpy as np

    if nkwargs:
        return False
    if isinstance(fn, np.ufunc):  # not a generalized ufunc such as np.matmul
        return fn.nout == 1 and fn.nin == nargs and fn.signature is None
    if nargs == 3:
        return fn is np.where or fn is np.clip
    return any(fn is f for f in (_UNARY if nargs == 1 else _BINARY if nargs == 2 else ()))


def _is_number(value) -> bool:
    import numpy as np

    return isinstance(value, (numbers.Number, np.number, np.bool_))


def atom_set(a, sets: dict):
    """The set of an atom: a number has the empty set (shape ``()``); None if unknown."""
    if isinstance(a, ir.Var):
        return sets.get(a.name)
    import numpy as np

    value = a.value
    for attr in getattr(a, "path", ()):
        value = getattr(value, attr, None)
    if value is None or _is_number(value) or (isinstance(value, np.ndarray) and value.shape == ()):
        return frozenset()
    if isinstance(a, ir.Global) and isinstance(value, np.ndarray):
        return frozenset({("global", str(a))})
    return None


def union(parts):
    """The set of a broadcast of values with sets ``parts`` (None if one is unknown)."""
    out = frozenset()
    for p in parts:
        if p is None:
            return None
        out |= p
    return out


def shape_sets(fn: ir.Function) -> dict:
    """Each value's set of sources; a value of unknown shape is its own source.

    Lists and values changed by a loop have no set (None): they never count
    as equal to anything.
    """
    sets: dict = {p: frozenset({p}) for p in fn.params}
    _fill(fn.statements, sets)
    return sets


def _fill(body, sets: dict) -> None:
    for s in body:
        if isinstance(s, ir.Assign):
            sets[s.target] = _value_set(s.target, s.value, sets)
        elif isinstance(s, ir.Append):
            sets[s.target] = None
        elif isinstance(s, ir.Unpack):
            for n in s.names:
                sets[n] = frozenset({n})
        elif isinstance(s, ir.If):
            _fill(s.then, sets)
            _fill(s.orelse, sets)
            for p in s.phis:
                first, second = atom_set(p.first, sets), atom_set(p.second, sets)
                sets[p.target] = first if first is not None and first == second \
                    else frozenset({p.target})
        elif isinstance(s, ir.Loop):  # a header value inside the loop is not the final one
            for p in s.phis:
                sets[p.target] = frozenset({("loop", p.target)})
            if s.var:
                sets[s.var] = frozenset()
            _fill(s.body, sets)
            for p in s.phis:
                sets[p.target] = frozenset({p.target})


def _value_set(target: str, value, sets: dict):
    if isinstance(value, (ir.Var, ir.Const, ir.Global)):
        found = atom_set(value, sets)
        return found if found is not None or not isinstance(value, ir.Global) \
            else frozenset({target})
    if isinstance(value, ir.Op):
        if value.syntax in ("list", "tuple"):
            return None
        if broadcasts(value.fn, len(value.args), len(value.kwargs)):
            found = union(expr_set(a, sets) for a in value.args)
            if found is not None:
                return found
    return frozenset({target})


def stand_ins(order, sets: dict) -> dict[str, str]:
    """For each value, the first value in ``order`` with the same set (itself if none)."""
    first: dict = {}
    for name in order:
        s = sets.get(name)
        if s is not None:
            first.setdefault(s, name)
    return {name: first.get(s, name) for name, s in sets.items() if s is not None}


def expr_set(v, sets: dict):
    """The set of a value built from broadcasting operations, or None."""
    kind = type(v)
    if kind is ir.Var or kind is ir.Const or kind is ir.Global:
        return atom_set(v, sets)
    if kind is ir.Op and v.syntax in ("u-", "u+"):
        return expr_set(v.args[0], sets)
    if kind is ir.Op and v.syntax != "call" and len(v.args) == 2 and v.syntax in _OPERATORS:
        return union(expr_set(a, sets) for a in v.args)
    if kind is ir.Op and v.syntax == "call" and broadcasts(v.fn, len(v.args), len(v.kwargs)):
        return union(expr_set(a, sets) for a in v.args)
    return None


_OPERATORS = {"+", "-", "*", "/", "**", "%", "//"}
