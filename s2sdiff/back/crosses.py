"""``np.cross(a, b)`` in code for a signature: ``_cross(a, b)``, of a known shape.

The shape of a cross product depends on the lengths of its vectors, which
abstract values do not hold: two arrays of 2-vectors give one number per pair
(one dimension less), 3-vectors (or 2 with 3) a 3-vector.  In code for a
signature, each ``np.cross(a, b)`` of vectors along the last axes is written
``_cross(a, b)``, which refuses two arrays of 2-vectors at run time (NumPy 2.0
deprecates them); the abstract value of its result is then the operands'
broadcast (``specialise``), and the code after it is specialised too.  A pure
pass on one function, before ``specialise``; the derivatives a module calls
get it too, so that their callers know what they return.  ``_cross`` is kept
where its value is not read (the code was specialised for its shape), under a
name that says so (``_c = _cross(a, b)``, as linters expect).
"""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..emit.templates import call, global_name


def of_3_vectors(fn: ir.Function) -> ir.Function:
    """``fn`` with its ``np.cross(a, b)`` statements written ``_cross(a, b)``."""
    import numpy as np

    from ..rules import numpy as rules

    def change(s):
        v = getattr(s, "value", None)
        if type(s) is ir.Assign and type(v) is ir.Op and v.fn is np.cross \
                and len(v.args) == 2 and not v.kwargs:
            return replace(s, value=call(global_name("_cross", rules._cross), *v.args))
        return s

    return replace(fn, body=ir.map_statements(fn.body, change),
                   reverse=ir.map_statements(fn.reverse, change))


def unread_named(fn: ir.Function) -> ir.Function:
    """``fn`` with the ``_cross`` statements whose values nothing reads assigned to a
    name beginning with an underscore."""
    stmts = ir.walk(fn.statements)
    read = {n for s in stmts for n in ir.reads(s)} | set(ir.value_reads(fn.result))
    for s in stmts:
        if type(s) in (ir.If, ir.Loop):
            read |= {n for p in s.phis for n in ir.value_reads(p.first) + ir.value_reads(p.second)}
    taken = {n for s in stmts for n in ir.writes(s)} | set(fn.params) | read
    renamed = {}

    def change(s):
        if type(s) is ir.Assign and type(s.target) is str and s.target not in read \
                and not s.target.startswith("_") and _crosses(s.value):
            name = "_" + s.target
            while name in taken:
                name = "_" + name
            taken.add(name)
            renamed[s.target] = name
            return replace(s, target=name)
        return s

    found = replace(fn, body=ir.map_statements(fn.body, change),
                    reverse=ir.map_statements(fn.reverse, change))
    return found if renamed else fn


def _crosses(v) -> bool:
    from ..rules import numpy as rules

    return type(v) is ir.Op and v.fn is rules._cross
