"""Calls stay calls: the derivatives of a called function are functions of their own.

A call ``z = g(x, n)`` of a user function that is not inlined stays a call in
derivative code, and code stays linear in the source, whatever the call graph;
recursion needs nothing special.  In forward mode the call becomes ``z, z_dot
= jvp_g_x(x, n, x_dot)``.  In reverse mode it is split (as Tapenade's split
mode): the forward sweep calls ``z, _rec = fwd_g_x(x, n)``, which computes
``z`` and returns the record ``_rec`` of what its reverse sweep reads (its
tape included), and the reverse sweep calls ``bwd_g_x(_rec, z_bar)``, which
returns the adjoints of the active arguments.  Gradients that are
differentiated again (Hessians) call ``vjp_g_x(x, n, z_bar)`` in their
reverse sweep instead, which runs ``g`` again (joint mode, as Clad's
pullbacks): no record crosses the call, so forward mode over it needs only
``jvp_vjp_g_x``.

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
    """One generated derivative of a callee: ``kind`` is "vjp", "jvp" or "split"
    (then ``name`` is "fwd_g,bwd_g" and ``function`` the pair)."""

    kind: str
    callee: ir.Callee
    positions: tuple[int, ...]  # the active arguments
    name: str
    function: object = None  # ir.Function as the emitter made it, or a split pair


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

    def split(self, callee: ir.Callee, positions: tuple[int, ...]) -> tuple[ir.Callee, ir.Callee]:
        """``fwd_g(*args)`` → ``(value, record)`` and ``bwd_g(record, *cotangents)`` → the
        adjoints of the arguments at ``positions`` (one value when there is one)."""
        derived = self._derive("split", callee, positions)
        fwd, bwd = derived.name.split(",")
        return (ir.Callee(fwd, ("fwd", callee.key, positions), 2),
                ir.Callee(bwd, ("bwd", callee.key, positions),
                          len(positions) if len(positions) > 1 else None))

    def lookup(self, key) -> tuple[Derived | None, int | None]:
        """The derivative a generated callee's key names, and which of a split pair it is."""
        kind, *rest = key if isinstance(key, tuple) and key else (None,)
        if kind in ("fwd", "bwd"):
            return self.derived.get(("split", *rest)), ("fwd", "bwd").index(kind)
        return self.derived.get(key), None

    def jvp(self, callee: ir.Callee, positions: tuple[int, ...]) -> ir.Callee:
        """``jvp_g(*args, *tangents)`` → ``(value, tangent)``, tangents of ``positions``."""
        derived = self._derive("jvp", callee, positions)
        return ir.Callee(derived.name, ("jvp", callee.key, positions), 2)

    def function(self, callee: ir.Callee) -> ir.Function:
        """The IR of ``callee``: a user function's SSA, or a derivative's emitted IR."""
        derived, which = self.lookup(callee.key)
        if derived is None:
            return self.program_of(callee)
        if which is not None:
            raise S2SDiffError(f"forward mode over the generated {callee.name} is not supported")
        return self._made(derived)

    def _fresh(self, base: str) -> str:
        name = base if base not in self.namer.taken else self.namer.fresh(base + "_")
        self.namer.taken.add(name)
        return name

    def _made(self, derived: Derived) -> ir.Function:
        if derived.function is None:
            derived.function = self.generate(self, derived)
        return derived.function

    def _derive(self, kind: str, callee: ir.Callee, positions: tuple[int, ...]) -> Derived:
        key = (kind, callee.key, positions)
        derived = self.derived.get(key)
        if derived is None:
            made = self.lookup(callee.key)[0]
            if kind in ("vjp", "split") and made is not None and made.kind != "vjp":
                raise S2SDiffError(f"reverse mode over the generated {callee.name} is not "
                                   "supported; differentiate the user's function instead")
            params = self.function(callee).params
            suffix = "_" + "_".join(params[i] for i in positions) \
                if len(positions) < len(params) else ""
            kinds = ("fwd", "bwd") if kind == "split" else (kind,)
            name = ",".join(self._fresh(f"{k}_{callee.name}{suffix}") for k in kinds)
            derived = self.derived[key] = Derived(kind, callee, positions, name)
            self.pending.append(derived)
        return derived
