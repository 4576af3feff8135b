"""Every pass of every transform, in the order it runs.

Each pass is a pure function from data to data::

    grad, value_and_grad:
        source ─normalize─▶ core ─ssa─▶ IR ─reverse─▶ gradient ─replay─▶ ─copies─▶ ─dce─▶ ─fold─▶ print
    vjp:
        … IR ─seed─▶ IR of Σ cotangentᵢ · outputᵢ ─reverse─▶ ─replay─▶ ─copies─▶ ─dce─▶ ─fold─▶ print
    jvp, jacobian (forward mode), grad (forward mode):
        … IR ─forward─▶ tangent ─dce─▶ ─fold─▶ print
    hessian:
        … IR ─reverse─▶ gradient ─forward─▶ Hessian-vector product ─dce─▶ ─fold─▶ print

(Activity is computed by each emitter from its input.)  ``generate`` runs
these passes; called with ``trace``, it hands each stage's result to it, which
is how ``show(f, stage=...)`` prints the program after any pass.  Jacobian and
Hessian modules also hold a wrapper that calls the core function once per
unit seed.

Shapes follow JAX: a Jacobian is indexed ``J[output][input]``; a scalar
output or a single (non-tuple) ``wrt`` drops that level of nesting.
"""

from __future__ import annotations

import ast
import copy
import operator
from dataclasses import dataclass, replace

from . import __version__, ir
from .back import codegen, copies, dce, fold
from .emit import forward, replay, reverse
from .errors import S2SDiffError
from .front import normalize
from .front.names import Namer
from .front.source import SourceFunction
from .ir import ssa

MODES = ("auto", "forward", "reverse")
KINDS = ("grad", "value_and_grad", "jvp", "vjp", "jacobian", "hessian")

STAGES = {  # transform → its stages, in order; "python" is the printed module
    "grad": ("source", "core", "ssa", "reverse", "replay", "copies", "dce", "fold", "python"),
    "vjp": ("source", "core", "ssa", "seed", "reverse", "replay", "copies", "dce", "fold",
            "python"),
    "jvp": ("source", "core", "ssa", "forward", "dce", "fold", "python"),
    "hessian": ("source", "core", "ssa", "reverse", "forward", "dce", "fold", "python"),
}
STAGES["value_and_grad"] = STAGES["grad"]


@dataclass(frozen=True)
class Generated:
    """What one transform generates from a function's source.

    ``functions`` come first in the module, then ``wrapper``, the source of a
    function calling them once per seed ("" when there is none); ``entry`` is
    the function to call.
    """

    kind: str
    name: str  # the user's function
    params: tuple[str, ...]
    names: tuple[str, ...]  # the wrt parameters
    single: bool  # wrt was one parameter, not a tuple
    outputs: int | None  # the number of outputs of a tuple-returning function
    mode: str  # "reverse", "forward" or "forward-over-reverse"
    functions: tuple[ir.Function, ...]
    wrapper: str
    entry: str
    description: str  # e.g. "jacobian (forward mode)", for headers


def _no_trace(stage: str, value) -> None:
    pass


def generate(where: SourceFunction, wrt=0, kind: str = "jvp", mode: str = "auto",
             trace=_no_trace) -> Generated:
    """Every derivative the tools offer, from parsed source (live or static).

    ``kind`` is one of ``KINDS``; ``mode`` ("auto", "forward", "reverse")
    matters for "grad" (auto: reverse) and "jacobian" (auto: forward when
    there are fewer ``wrt`` inputs than outputs).  ``trace(stage, value)``
    sees the result of every pass.
    """
    if kind not in KINDS:
        raise S2SDiffError(f"unknown transform {kind!r}; use one of {', '.join(KINDS)}")
    if mode not in MODES:
        raise S2SDiffError(f"mode={mode!r}: use one of {', '.join(MODES)}")
    if kind == "value_and_grad" and mode == "forward":
        raise S2SDiffError("value_and_grad is only available in reverse mode")
    trace("source", where)
    program = ssa_of(where, trace)
    names, single = wrt_names(program.params, wrt)
    outputs = _outputs(program, kind)
    common = dict(kind=kind, name=program.name, params=program.params, names=names,
                  single=single, outputs=outputs)
    if kind in ("grad", "value_and_grad") and mode != "forward":
        with_value = kind == "value_and_grad"
        core = _single(gradient_of(program, names, with_value, trace), with_value, single)
        return _done(core, "", "reverse", kind, trace, **common)
    if kind == "jvp":
        core = _packed(forward.tangent(program, names, name="jvp_" + program.name), program,
                       single)
        trace("forward", core)
        return _done(core, "", "forward", "jvp", trace, **common)
    if kind == "vjp":
        return _done(_vjp(program, names, trace), "", "reverse", "vjp", trace, **common)
    if kind == "hessian":
        gradient = reverse.gradient(_no_lists(program), names)
        trace("reverse", gradient)
        core = _tangent(gradient, names, "hvp_" + program.name, trace)
        wrapper = _hessian_wrapper(program, names, single, core.name)
        return _done(core, wrapper, "forward-over-reverse", "hessian (forward over reverse)",
                     trace, **common)
    if mode == "auto":
        mode = "forward" if kind == "grad" or len(names) < (outputs or 1) else "reverse"
    if mode == "forward":
        core = _tangent(program, names, "jvp_" + program.name, trace)
    else:
        core = _vjp(program, names, trace)
    wrapper = _jacobian_wrapper(program, names, single, outputs, mode, kind, core.name)
    what = "grad (forward mode)" if kind == "grad" else f"{kind} ({mode} mode)"
    return _done(core, wrapper, mode, what, trace, **common)


def ssa_of(where: SourceFunction, trace=_no_trace) -> ir.Function:
    """The front end and SSA construction: parsed source → structured SSA IR."""
    trace("core", lambda: normalize.normalize(where))
    program = ssa.build(where)
    trace("ssa", program)
    return program


def gradient_of(program: ir.Function, names: tuple[str, ...], with_value: bool = False,
                trace=_no_trace) -> ir.Function:
    """The reverse emitter and the clean-up of its result, pass by pass."""
    if isinstance(program.result, tuple):
        kind = "value_and_grad" if with_value else "grad"
        raise S2SDiffError(f"{kind} needs a function returning one number; "
                           f"{program.name} returns a tuple of {len(program.result)} "
                           "(use jacobian)")
    gradient = reverse.gradient(program, names, with_value=with_value)
    trace("reverse", gradient)
    gradient = replay.replay_tapes(gradient)
    trace("replay", gradient)
    gradient = copies.drop_copies(gradient)
    trace("copies", gradient)
    return gradient


def gradient(where: SourceFunction, wrt=0, kind: str = "grad") -> tuple[ir.Function, tuple]:
    """The gradient IR of ``where`` (dead code removed) and the ``wrt`` names."""
    gen = generate(where, wrt, kind)
    return gen.functions[0], gen.names


def _done(core: ir.Function, wrapper: str, mode: str, what: str, trace, **common) -> Generated:
    core = dce.eliminate_dead_code(core)
    trace("dce", core)
    trace("fold", lambda: fold.branch_results(fold.while_headers(core)))
    entry = wrapper[4:wrapper.index("(")] if wrapper else core.name
    return Generated(functions=(core,), wrapper=wrapper, entry=entry, mode=mode,
                     description=what, **common)


def _tangent(program: ir.Function, names, name: str, trace) -> ir.Function:
    tangent = forward.tangent(program, names, name=name)
    trace("forward", tangent)
    return tangent


def _vjp(program: ir.Function, names, trace) -> ir.Function:
    """``vjp_f(*params, *cotangents)``: the reverse emitter on Σ cotangentᵢ · outputᵢ."""
    seeded = _seeded(program, names)
    trace("seed", seeded)
    return replace(gradient_of(seeded, names, trace=trace), name="vjp_" + program.name)


def _seeded(program: ir.Function, names) -> ir.Function:
    """``program`` with one cotangent parameter per output, returning Σ cotangentᵢ · outputᵢ."""
    outputs = program.result if isinstance(program.result, tuple) else (program.result,)
    namer = Namer(ir.local_names(program) | set(names))
    cts = [namer.fresh("_ct") for _ in outputs]
    body = list(program.body)
    total = None
    for ct, out in zip(cts, outputs):
        term = namer.fresh("_s")
        body.append(ir.Assign(term, ir.Op(operator.mul, (ir.Var(ct), out), "*")))
        if total is not None:
            new = namer.fresh("_s")
            body.append(ir.Assign(new, ir.Op(operator.add, (ir.Var(total), ir.Var(term)), "+")))
            term = new
        total = term
    return replace(program, params=program.params + tuple(cts), body=tuple(body),
                   result=ir.Var(total), signature=None)


def _no_lists(program: ir.Function) -> ir.Function:
    if any(isinstance(s, ir.Append) for s in ir.walk(program.body)):
        raise S2SDiffError(f"hessian: {program.name} builds a list; Hessians of functions "
                           "that build lists are not supported yet")
    return program


def _packed(core: ir.Function, program: ir.Function, single: bool) -> ir.Function:
    """``jvp_f(*params, tangents)``: the tangents come as one argument (a tuple
    unless ``wrt`` is one parameter), unpacked by the first statement."""
    dots = core.params[len(program.params):]
    taken = ir.local_names(core)
    param = "tangents" if "tangents" not in taken else Namer(taken).fresh("_tangents")
    target = dots[0] if single else ", ".join(dots) + ("," if len(dots) == 1 else "")
    return replace(core, params=program.params + (param,),
                   body=(ir.Assign(target, ir.Var(param)),) + core.body)


def _single(gradient: ir.Function, with_value: bool, single: bool) -> ir.Function:
    """A bare gradient instead of a 1-tuple, when ``wrt`` is one parameter."""
    if not single:
        return gradient
    if with_value:
        value, grads = gradient.result
        return replace(gradient, result=(value, grads[0]))
    return replace(gradient, result=gradient.result[0])


# --- parameters and outputs -------------------------------------------------------


def wrt_names(params: tuple[str, ...], wrt) -> tuple[tuple[str, ...], bool]:
    """The parameter names selected by ``wrt``, and whether one was asked for."""
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise S2SDiffError(f"wrt must be a parameter index or name, not {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise S2SDiffError(f"wrt={item} is out of range: the function has "
                                   f"{len(params)} parameters {params}")
            names.append(params[item])
        elif item not in params:
            raise S2SDiffError(f"wrt={item!r} is not a parameter of the function {params}")
        else:
            names.append(item)
    if not names:
        raise S2SDiffError("wrt selects no parameter")
    return tuple(names), single


def _outputs(program: ir.Function, kind: str) -> int | None:
    """The number of outputs of a tuple-returning function, None for one number."""
    result = program.result
    if not isinstance(result, tuple):
        return None
    if kind in ("grad", "hessian"):
        raise S2SDiffError(f"{kind} needs a function returning one number; {program.name} "
                           f"returns a tuple of {len(result)}" + " (use jacobian)" * (kind == "grad"))
    if any(isinstance(r, tuple) for r in result):
        raise S2SDiffError(f"{kind}: {program.name} returns a nested tuple; "
                           "return a flat tuple of numbers")
    return len(result)


# --- the wrappers: one core call per seed ---------------------------------------


def _signature(program: ir.Function) -> str:
    """The user's parameter list (defaults included), for a wrapper's ``def`` line."""
    if program.signature is None:
        return ", ".join(program.params)
    args = copy.deepcopy(program.signature)
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        a.annotation = None
    return ast.unparse(args)


def _discard(namer: Namer, program: ir.Function) -> str:
    """The name a wrapper assigns the values it does not use: ``_``, unless a parameter has it."""
    return "_" if "_" not in program.params else namer.fresh("_unused")


def _seeds(n: int, j: int) -> list[str]:
    return ["1.0" if k == j else "0.0" for k in range(n)]


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _jacobian_wrapper(program, names, single, outputs, mode, kind, core: str) -> str:
    n, name = len(names), f"{kind}_{program.name}"
    call_args = ", ".join(program.params)
    lines = [f"def {name}({_signature(program)}):",
             (f'    """The {kind} of {program.name} by {mode} mode: '
              f'one {"jvp" if mode == "forward" else "vjp"} call per '
              f'{"input" if mode == "forward" else "output"}."""')]
    namer = Namer(set(program.params))
    if mode == "forward":
        lines += _numbers_only(program, names, name)
        cols = [namer.fresh("_col") for _ in range(n)]
        skip = _discard(namer, program)
        for j, col in enumerate(cols):
            lines.append(f"    {skip}, {col} = {core}({call_args}, {', '.join(_seeds(n, j))})")

        def entry(i, j):
            return cols[j] if outputs is None else f"{cols[j]}[{i}]"
    else:
        rows = [namer.fresh("_row") for _ in range(outputs or 1)]
        for i, row in enumerate(rows):
            seeds = ", ".join(_seeds(outputs or 1, i))
            lines.append(f"    {row} = {core}({call_args}, {seeds})")

        def entry(i, j):
            return f"{rows[i]}[{j}]"
    per_output = [entry(i, 0) if single else _tuple([entry(i, j) for j in range(n)])
                  for i in range(outputs or 1)]
    result = per_output[0] if outputs is None else _tuple(per_output)
    lines.append(f"    return {result[1:-1] if result.startswith('(') else result}\n")
    return "\n".join(lines)


def _numbers_only(program, names, name: str) -> list[str]:
    """In array code, lines refusing array inputs: a wrapper seeds each input with 1.0."""
    if not reverse.uses_arrays(program):
        return []
    return [f"    if any(getattr(v, 'ndim', 0) for v in ({', '.join(names)},)):",
            f"        raise ValueError('{name} takes numbers for {', '.join(names)}; "
            "for arrays use jvp or vjp')"]


def _hessian_wrapper(program, names, single, core: str) -> str:
    n, name = len(names), f"hessian_{program.name}"
    call_args = ", ".join(program.params)
    namer = Namer(set(program.params))
    cols = [namer.fresh("_col") for _ in range(n)]
    skip = _discard(namer, program)
    lines = [f"def {name}({_signature(program)}):",
             f'    """The Hessian of {program.name}: one {core} call per input."""']
    lines += _numbers_only(program, names, name)
    for j, col in enumerate(cols):
        lines.append(f"    {skip}, {col} = {core}({call_args}, {', '.join(_seeds(n, j))})")
    rows = [_tuple([f"{cols[j]}[{i}]" for j in range(n)]) for i in range(n)]
    result = f"{cols[0]}[0]" if single else _tuple(rows)
    lines.append(f"    return {result}\n")
    return "\n".join(lines)


# --- printing ----------------------------------------------------------------------


def render(gen: Generated, origin: str) -> codegen.Module:
    """The module of ``gen`` (functions, then the wrapper), its header naming ``origin``."""
    header = (f"Generated by s2sdiff {__version__} from {origin}:{gen.name}, "
              f"{gen.description} with respect to {', '.join(gen.names)}.")
    module = codegen.render(list(gen.functions), header)
    if gen.wrapper:
        module.source += "\n\n" + gen.wrapper
    return module


def show(where: SourceFunction, stage: str, wrt=0, kind: str = "grad", mode: str = "auto") -> str:
    """The program of ``kind`` after pass ``stage`` (see ``STAGES``), as text."""
    stages = STAGES.get(kind if kind != "jacobian" else ("jvp" if mode != "reverse" else "vjp"))
    if stages is None or stage not in stages:
        known = ", ".join(stages or ())
        raise S2SDiffError(f"unknown stage {stage!r} of {kind}; the stages are: {known}")
    seen: dict = {}
    gen = generate(where, wrt, kind, mode, trace=lambda name, value: seen.setdefault(name, value))
    if stage == "python":
        return render(gen, where.filename).source
    value = seen[stage]
    value = value() if callable(value) else value
    if isinstance(value, SourceFunction):
        return ast.unparse(value.tree)
    if isinstance(value, ast.AST):
        return ast.unparse(value)
    return ir.format_function(value)
