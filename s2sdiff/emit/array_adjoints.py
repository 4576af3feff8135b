"""Array adjoints for the reverse emitter: shapes known early, uniform adjoints.

``_Reverse`` mixes this in.  Where the static shape sets (:mod:`.shapes`) say
an operand has the result's shape, a term needs no un-broadcasting; a shape
is read from the first value computed with it; and the adjoint of a full
reduction is kept as one number for every element (a *uniform* adjoint)
until an array is needed, where ``_spread`` makes one.
"""

from __future__ import annotations

import operator

from .. import ir
from ..ir.expr import substitute
from ..ir.shapes import expr_set, shape_sets, stand_ins
from .templates import call, global_name, number, surely_float, times


class ArrayAdjoints:
    """Methods of the reverse emitter that build array adjoint terms."""

    def init_shapes(self, fn: ir.Function, arrays: bool) -> None:
        self.sets = shape_sets(fn) if arrays else {}
        self.stand_in = stand_ins(_top_order(fn), self.sets)
        for loop in (s for s in ir.walk(fn.body) if isinstance(s, ir.Loop)):
            for p in loop.phis:  # its shape after the loop may not be the one in it
                self.stand_in.pop(p.target, None)
        self.uniform: set[str] = set()  # array adjoints held as one number for every element

    def same_shape(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` are known to have the same shape."""
        found = self.sets.get(a)
        return found is not None and found == self.sets.get(b)

    def shape_source(self, v: str) -> str:
        """The first value computed with ``v``'s shape (the reverse sweep can read all of them)."""
        return self.stand_in.get(v, v)

    def read_shapes_early(self, expr):
        """``expr`` reading each shape-only argument from its :meth:`shape_source`."""
        shapes = _helpers().SHAPE_ARGUMENTS
        renamed = {}
        for op in ir.expr.ops(expr):
            positions = next((p for f, p in shapes.items() if f is op.fn), ())
            for i in positions:
                arg = op.args[i] if i < len(op.args) else None
                if type(arg) is ir.Var and self.shape_source(arg.name) != arg.name:
                    renamed[arg.name] = ir.Var(self.shape_source(arg.name))
        return _renamed_shapes(expr, renamed, shapes) if renamed else expr

    def full_adjoint(self, v: str):
        """The adjoint of ``v`` as an array of ``v``'s shape (a uniform one spread)."""
        return self.spread(self.adjoint(v), v) if v in self.uniform else self.adjoint(v)

    def spread(self, c, v: str):
        """``_spread(c, v)``: the number ``c`` at every element of ``v``."""
        shape = self.shape_source(v)
        self.needed.add(shape)
        return call(global_name("_spread", _helpers()._spread), c, ir.Var(shape))

    def contribution(self, z: str, x: str, partial, scalars: bool):
        """The term ``z_bar * partial`` of ``x_bar``, summed to ``x``'s shape, and whether
        it is uniform (one number for every element of ``x``)."""
        zbar = self.adjoint(z)
        if not self.arrays:
            term = times(zbar, partial)
            # 1.0 * n is a float: a first write keeps it one where n may be an integer
            # (an active value is a float when the inputs are)
            if number(zbar) is not None and x not in self.assigned \
                    and not surely_float(term, self.float_names):
                term = call(ir.Global("float", float, home="builtins"), term)
            return term, False
        same = scalars or self.same_shape(x, z)
        helpers = _helpers()
        if z not in self.uniform:
            term = times(zbar, partial)
            if number(term) is not None or same:
                return term, False
            return self.call(helpers._unbroadcast, term, x), False
        if number(partial) is not None:  # a uniform adjoint, summed over broadcast copies
            term = times(zbar, partial)
            return (term if same else times(term, self.call(helpers._copies, z, x))), True
        term = _scaled(zbar, partial)
        if self.sets.get(z) is not None and expr_set(partial, self.sets) == self.sets[z]:
            return (term if same else self.call(helpers._unbroadcast, term, x)), False
        return self.call(helpers._unbroadcast_from, term, z, x), False

    def call(self, helper, first, *shapes: str) -> ir.Op:
        """``helper(first, *shapes)``, each shape read from its :meth:`shape_source`."""
        if isinstance(first, str):
            shapes, first = (first,) + shapes, None
        names = [self.shape_source(v) for v in shapes]
        self.needed.update(names)
        args = ([first] if first is not None else []) + [ir.Var(n) for n in names]
        return call(global_name(helper.__name__, helper), *args)


def _helpers():
    """The NumPy rules' module, with the helpers array adjoints call (loaded with NumPy)."""
    if not _NUMPY_RULES:
        from ..rules import numpy

        _NUMPY_RULES.append(numpy)
    return _NUMPY_RULES[0]


_NUMPY_RULES: list = []


def _top_order(fn: ir.Function) -> list[str]:
    """Parameters and top-level values in the order they are computed."""
    order = list(fn.params)
    for s in fn.body:
        if isinstance(s, ir.Assign):
            order.append(s.target)
        elif isinstance(s, ir.If):
            order += [p.target for p in s.phis]
    return order


def _scaled(c, partial):
    """``c * partial``, with a number factor of ``partial`` applied to the number ``c`` first."""
    if type(partial) is ir.Op and partial.syntax == "*" and number(partial.args[0]) is not None:
        return ir.Op(operator.mul, (times(c, partial.args[0]), partial.args[1]), "*")
    return times(c, partial)


def _renamed_shapes(v, renamed: dict, shapes: dict):
    """``v`` with the shape-only arguments of its calls renamed by ``renamed``."""
    if type(v) is not ir.Op:
        return v
    positions = next((p for f, p in shapes.items() if f is v.fn), ())
    args = tuple(substitute(a, renamed) if i in positions else _renamed_shapes(a, renamed, shapes)
                 for i, a in enumerate(v.args))
    return ir.Op(v.fn, args, v.syntax, v.callee, v.kwargs)
