"""Calls stay calls: the derivatives of a called function are functions of their own.

A call ``z = g(x, n)`` of a user function that is not inlined stays a call in
derivative code.  In forward mode it becomes ``z, z_dot = jvp_g_x(x, n,
x_dot)``.  In reverse mode the forward sweep keeps ``z = g(x, n)`` where ``z``
is read, and the reverse sweep calls ``vjp_g_x(x, n, z_bar)``, which runs
``g`` again and returns the adjoints of its active arguments: a call costs
one more run of the callee, and no tape crosses it (as Clad's pullbacks and
Tapenade's joint mode).  Code stays linear in the source, whatever the call
graph, and recursion needs nothing special.

The emitters ask this registry for the function to call, named once per
callee, kind and set of active arguments; ``generate`` (the pipeline's
emitter passes, given as a function) makes each one asked for, which may ask
for more.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..errors import S2SDiffError
from ..front.names import Namer


@dataclass
class Derived:
    """One generated derivative of a callee: ``kind`` is "vjp" or "jvp"."""

    kind: str
    callee: ir.Callee
    positions: tuple[int, ...]  # the active arguments
    name: str
    function: ir.Function | None = None  # as the emitter made it (before clean-up)


class Calls:
    """The derivatives of called functions a module needs, named when first asked for.

    ``program_of(callee)`` gives the SSA IR of a user function;
    ``generate(calls, derived)`` emits a derivative's IR; ``arrays`` says
    whether the derivatives work on arrays (then every one does).
    """

    def __init__(self, program_of, generate, taken: set[str], arrays: bool):
        self.program_of = program_of
        self.generate = generate
        self.arrays = arrays
        self.namer = Namer(taken)
        self.derived: dict[tuple, Derived] = {}
        self.pending: list[Derived] = []

    def drain(self) -> list[Derived]:
        """Generate every derivative asked for (and those they ask for); all of them."""
        while self.pending:
            self._made(self.pending.pop(0))
        return list(self.derived.values())

    def vjp(self, callee: ir.Callee, positions: tuple[int, ...]) -> ir.Callee:
        """``vjp_g(*args, *cotangents)``: the adjoints of the arguments at ``positions``
        (one value when there is one)."""
        derived = self._derive("vjp", callee, positions)
        return ir.Callee(derived.name, ("vjp", callee.key, positions),
                         len(positions) if len(positions) > 1 else None)

    def jvp(self, callee: ir.Callee, positions: tuple[int, ...]) -> ir.Callee:
        """``jvp_g(*args, *tangents)`` → ``(value, tangent)``, tangents of ``positions``."""
        derived = self._derive("jvp", callee, positions)
        return ir.Callee(derived.name, ("jvp", callee.key, positions), 2)

    def function(self, callee: ir.Callee) -> ir.Function:
        """The IR of ``callee``: a user function's SSA, or a derivative's emitted IR."""
        derived = self.derived.get(callee.key)
        if derived is None:
            return self.program_of(callee)
        return self._made(derived)

    def _made(self, derived: Derived) -> ir.Function:
        if derived.function is None:
            derived.function = self.generate(self, derived)
        return derived.function

    def _derive(self, kind: str, callee: ir.Callee, positions: tuple[int, ...]) -> Derived:
        key = (kind, callee.key, positions)
        derived = self.derived.get(key)
        if derived is None:
            if kind == "vjp" and callee.key in self.derived:
                raise S2SDiffError(f"reverse mode over the generated {callee.name} is not "
                                   "supported; differentiate the user's function instead")
            params = self.function(callee).params
            base = f"{kind}_{callee.name}"
            if len(positions) < len(params):
                base += "_" + "_".join(params[i] for i in positions)
            name = base if base not in self.namer.taken else self.namer.fresh(base + "_")
            self.namer.taken.add(name)
            derived = self.derived[key] = Derived(kind, callee, positions, name)
            self.pending.append(derived)
        return derived
