"""The wrappers of Jacobian and Hessian modules, as Python source.

A wrapper calls the module's core derivative once per seed and arranges the
results as JAX does: ``J[output][input]``, a level of nesting dropped for a
single output or a single ``wrt`` parameter.

- On numbers, a seed is ``1.0`` for one input (a jvp call: a column) or one
  output (a vjp call: a row), and the entries are numbers.
- On arrays, there is one seed per element (``_unit_vectors``), and the block
  of an output ``y`` and an input ``x`` has the shape ``y.shape + x.shape``
  (``_from_columns``, ``_from_rows``: see ``rules/assembly.py``); the wrapper
  first calls ``value_f``, the function itself, for the outputs' shapes.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from .. import ir, safe
from ..errors import S2SDiffError
from ..front.names import Namer

ARRAY_HELPERS = ("_unit_vectors", "_from_rows", "_from_columns", "_gradient_from_columns",
                 "_batched_seeds", "_from_batch", "_gradient_from_batch", "_from_batched_rows")


@dataclass(frozen=True)
class Plan:
    """What a wrapper calls and how: the user's function and the derivative's core.

    ``value`` names the function computing the user's outputs: it is set for
    a wrapper on arrays, where ``arrays`` names the ``wrt`` parameters that
    may be arrays (their zero seed is ``np.zeros_like(x)``, not ``0.0``).
    """

    program: ir.Function
    names: tuple[str, ...]
    single: bool
    outputs: int | None
    core: str
    arrays: frozenset = frozenset()
    value: str = ""

    @property
    def on_arrays(self) -> bool:
        return bool(self.value)


def signature(program: ir.Function) -> str:
    """The user's parameter list (defaults included), for a wrapper's ``def`` line."""
    if program.signature is None:
        return ", ".join(program.params)
    args = copy.deepcopy(program.signature)
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        a.annotation = None
    return ast.unparse(args)


def jacobian(plan: Plan, mode: str, kind: str, note: str = "") -> str:
    """``{kind}_f``: the Jacobian by one jvp per input (forward) or one vjp per output.
    ``note``: why the core is not called once with batched seeds."""
    name = f"{kind}_{plan.program.name}"
    per = "element of an " if plan.on_arrays else ""
    what = (f"one {plan.core} call per {per}{'input' if mode == 'forward' else 'output'}")
    lines = _head(plan, name, f"The {kind} of {plan.program.name} by {mode} mode: {what}."
                  + _unbatched(note))
    if not plan.on_arrays:
        body = _forward_numbers(plan) if mode == "forward" else _reverse_numbers(plan)
    else:
        body = _forward_arrays(plan, kind) if mode == "forward" else _reverse_arrays(plan)
    return "\n".join(lines + body) + "\n"


def hessian(plan: Plan, note: str = "") -> str:
    """``hessian_f``: one Hessian-vector product per input (per element, on arrays).
    ``note``: why the core is not called once with batched seeds."""
    name = f"hessian_{plan.program.name}"
    per = "element of an " if plan.on_arrays else ""
    lines = _head(plan, name, f"The Hessian of {plan.program.name}: one {plan.core} call "
                              f"per {per}input." + _unbatched(note))
    namer = _namer(plan)
    if not plan.on_arrays:
        cols = [namer.fresh("_col") for _ in plan.names]
        skip = _discard(namer, plan.program)
        for j, col in enumerate(cols):
            lines.append(f"    {skip}, {col} = {plan.core}({_args(plan)}, "
                         f"{', '.join(_unit_seeds(len(plan.names), j))})")
        rows = [_tuple([f"{cols[j]}[{i}]" for j in range(len(cols))]) for i in range(len(cols))]
        lines.append(f"    return {cols[0] + '[0]' if plan.single else _tuple(rows)}")
        return "\n".join(lines) + "\n"
    cols = [namer.first(f"cols_{x}") for x in plan.names]
    lines += _columns(plan, namer, cols)
    column = namer.first("column")

    def block(i, j):
        return (f"_from_columns([{column}[{i}] for {column} in {cols[j]}], "
                f"{plan.names[i]}, {plan.names[j]})")

    labels = None if plan.single else [f"_{x}" for x in plan.names]
    return "\n".join(lines + _blocks(plan, namer, labels, block, "hess")) + "\n"


def batched(plan: Plan, kind: str, core: str) -> str:
    """``{kind}_f`` (a Jacobian or gradient by forward mode, or a Hessian) by one call of ``core``,
    the batched jvp or hvp: the seeds of every element of the inputs as a leading
    axis of its tangents (``back/batched.py``), one sweep for all the columns."""
    name = f"{kind}_{plan.program.name}"
    what = {"hessian": "The Hessian", "grad": "The gradient"}.get(kind, f"The {kind}")
    by = "" if kind == "hessian" else " by forward mode"
    lines = _head(plan, name, f"{what} of {plan.program.name}{by}: one {core} call\n\n"
                              "    (batched seeds: one per element of the inputs, along a "
                              "leading axis of\n    its tangents).")
    namer = _namer(plan)
    seeds = [namer.first(f"seeds_{x}") for x in plan.names]
    cols, skip = namer.first("cols"), _discard(namer, plan.program)
    make = (f"_unit_vectors({plan.names[0]})" if len(seeds) == 1
            else f"_batched_seeds({', '.join(plan.names)})")
    lines += [f"    {', '.join(seeds)} = {make}",
              f"    {skip}, {cols} = {core}({_args(plan)}, {', '.join(seeds)})"]

    assemble = "_gradient_from_batch" if kind == "grad" else "_from_batch"

    def block(i, j):
        column = cols if kind != "hessian" and plan.outputs is None else f"{cols}[{i}]"
        start = " + ".join(f"np.size({x})" for x in plan.names[:j])
        return f"{assemble}({column}, {plan.names[j]}{', ' + start if start else ''})"

    if kind == "hessian":
        labels = None if plan.single else [f"_{x}" for x in plan.names]
        return "\n".join(lines + _blocks(plan, namer, labels, block, "hess")) + "\n"
    return "\n".join(lines + _blocks(plan, namer, _output_labels(plan), block, "jac")) + "\n"


def batched_reverse(plan: Plan, core: str) -> str:
    """``jacobian_f`` by reverse mode with one call of ``core``, the batched vjp: the
    seeds of every element of the outputs as a leading axis of its cotangents."""
    name = f"jacobian_{plan.program.name}"
    lines = _head(plan, name, f"The jacobian of {plan.program.name} by reverse mode: one {core} "
                              "call\n\n    (batched seeds: one per element of the outputs, along "
                              "a leading axis of\n    its cotangents).")
    namer = _namer(plan)
    value, rows = namer.first("value"), namer.first("rows")
    values = [value] if plan.outputs is None else [f"{value}[{i}]" for i in range(plan.outputs)]
    seeds = [namer.first(f"seeds{label}") for label in _output_labels(plan) or [""]]
    make = (f"_unit_vectors({values[0]})" if len(seeds) == 1
            else f"_batched_seeds({', '.join(values)})")
    lines += [f"    {value} = {plan.value}({_args(plan)})",
              f"    {', '.join(seeds)} = {make}",
              f"    {rows} = {core}({_args(plan)}, {', '.join(seeds)})"]

    def block(i, j):
        start = " + ".join(f"np.size({v})" for v in values[:i])
        return f"_from_batched_rows({rows}[{j}], {values[i]}, {plan.names[j]}" \
               f"{', ' + start if start else ''})"

    return "\n".join(lines + _blocks(plan, namer, _output_labels(plan), block, "jac")) + "\n"


def _unbatched(note: str) -> str:
    return f"\n\n    Not batched: {note}." if note else ""


# ---------------------------------------------------------------- on numbers


def _forward_numbers(plan: Plan) -> list[str]:
    namer = _namer(plan)
    n = len(plan.names)
    cols = [namer.fresh("_col") for _ in range(n)]
    skip = _discard(namer, plan.program)
    lines = [f"    {skip}, {col} = {plan.core}({_args(plan)}, {', '.join(_unit_seeds(n, j))})"
             for j, col in enumerate(cols)]

    def entry(i, j):
        return cols[j] if plan.outputs is None else f"{cols[j]}[{i}]"

    return lines + [_numbers_result(plan, entry)]


def _reverse_numbers(plan: Plan) -> list[str]:
    namer = _namer(plan)
    rows = [namer.fresh("_row") for _ in range(plan.outputs or 1)]
    lines = [f"    {row} = {plan.core}({_args(plan)}, "
             f"{', '.join(_unit_seeds(plan.outputs or 1, i))})" for i, row in enumerate(rows)]
    return lines + [_numbers_result(plan, lambda i, j: f"{rows[i]}[{j}]")]


def _numbers_result(plan: Plan, entry) -> str:
    n = len(plan.names)
    per_output = [entry(i, 0) if plan.single else _tuple([entry(i, j) for j in range(n)])
                  for i in range(plan.outputs or 1)]
    result = per_output[0] if plan.outputs is None else _tuple(per_output)
    return f"    return {result[1:-1] if result.startswith('(') else result}"


def _unit_seeds(n: int, j: int) -> list[str]:
    return ["1.0" if k == j else "0.0" for k in range(n)]


# ---------------------------------------------------------------- on arrays


def _forward_arrays(plan: Plan, kind: str = "jacobian") -> list[str]:
    namer = _namer(plan)
    value = namer.first("value")
    cols = [namer.first(f"cols_{x}") for x in plan.names]
    lines = [f"    {value} = {plan.value}({_args(plan)})"] + _columns(plan, namer, cols)
    column = namer.first("column")

    assemble = "_gradient_from_columns" if kind == "grad" else "_from_columns"

    def block(i, j):
        if plan.outputs is None:
            return f"{assemble}({cols[j]}, {value}, {plan.names[j]})"
        return (f"{assemble}([{column}[{i}] for {column} in {cols[j]}], {value}[{i}], "
                f"{plan.names[j]})")

    return lines + _blocks(plan, namer, _output_labels(plan), block, "jac")


def _columns(plan: Plan, namer: Namer, cols: list[str]) -> list[str]:
    """One list of core results per ``wrt`` input: a call per element of it."""
    seed = namer.first("seed")
    lines = []
    for j, col in enumerate(cols):
        tangents = [seed if k == j else _zero(plan, x) for k, x in enumerate(plan.names)]
        lines.append(f"    {col} = [{plan.core}({_args(plan)}, {', '.join(tangents)})[1] "
                     f"for {seed} in _unit_vectors({plan.names[j]})]")
    return lines


def _reverse_arrays(plan: Plan) -> list[str]:
    namer = _namer(plan)
    value = namer.first("value")
    outputs = plan.outputs or 1
    values = [value] if plan.outputs is None else [f"{value}[{i}]" for i in range(outputs)]
    rows = [namer.first("rows" + label) for label in _output_labels(plan) or [""]]
    seed, row = namer.first("seed"), namer.first("row")
    lines = [f"    {value} = {plan.value}({_args(plan)})"]
    for i, rows_i in enumerate(rows):
        cts = [seed if k == i else f"np.zeros_like({v})" for k, v in enumerate(values)]
        lines.append(f"    {rows_i} = [{plan.core}({_args(plan)}, {', '.join(cts)}) "
                     f"for {seed} in _unit_vectors({values[i]})]")

    def block(i, j):
        return f"_from_rows([{row}[{j}] for {row} in {rows[i]}], {values[i]}, {plan.names[j]})"

    return lines + _blocks(plan, namer, _output_labels(plan), block, "jac")


def _output_labels(plan: Plan) -> list[str] | None:
    return None if plan.outputs is None else [str(i + 1) for i in range(plan.outputs)]


def _blocks(plan: Plan, namer: Namer, labels: list[str] | None, block,
            prefix: str) -> list[str]:
    """One line per block (``jac2_x = ...``), then the return of ``J[output][input]``:
    a level of nesting dropped for one output (``labels`` None), one for one ``wrt``."""
    lines, per_output = [], []
    for i, label in enumerate(labels or [""]):
        row = [namer.first(f"{prefix}{label}_{x}") for x in plan.names]
        lines += [f"    {name} = {block(i, j)}" for j, name in enumerate(row)]
        per_output.append(row[0] if plan.single else _tuple(row))
    result = per_output[0] if labels is None else _tuple(per_output)
    return lines + [f"    return {result[1:-1] if result.startswith('(') else result}"]


def _zero(plan: Plan, name: str) -> str:
    return f"np.zeros_like({name})" if name in plan.arrays else "0.0"


# ---------------------------------------------------------------- common


def _head(plan: Plan, name: str, doc: str) -> list[str]:
    taken = set(plan.program.params) & set(ARRAY_HELPERS + ("np",))
    if plan.on_arrays and taken:
        raise S2SDiffError(f"{plan.program.name} has a parameter named {sorted(taken)[0]!r}, "
                           "which the wrapper of its array derivative needs: rename it")
    lines = [f"def {safe.identifier(name, 'a function name')}({signature(plan.program)}):",
             f"    {safe.docstring(doc)}"]
    return lines


def _namer(plan: Plan) -> Namer:
    return Namer(set(plan.program.params) | set(ARRAY_HELPERS) | {"np"})


def _args(plan: Plan) -> str:
    return ", ".join(plan.program.params)


def _discard(namer: Namer, program: ir.Function) -> str:
    """The name a wrapper assigns the values it does not use: ``_``, unless a parameter has it."""
    return "_" if "_" not in program.params else namer.fresh("_unused")


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
