"""Forward mode and the transforms built from both modes.

``jvp``, ``vjp``, ``jacobian`` (``jacfwd``/``jacrev``), ``hessian`` and
``grad(..., mode="forward")``.  Each one generates a module: the core
function (``jvp_f``: forward emitter; ``vjp_f``: reverse emitter on ``f``
seeded with cotangent parameters; ``hvp_f``: forward emitter on the gradient
IR, i.e. forward over reverse) and, for Jacobians and Hessians, a small
wrapper that calls the core once per unit seed::

    source ─▶ SSA IR ─forward─▶ tangent IR ─codegen─▶ jvp_f ─▶ jacobian_f
    source ─▶ SSA IR ─reverse─▶ gradient IR ─forward─▶ hvp_f ─▶ hessian_f

``generate(where, wrt, kind, mode)`` is that pipeline, from parsed source to
IR functions and the wrapper's source; the live API below (``jvp(f)``…)
compiles what it returns, and the ``s2sdiff`` command writes it to disk.

Shapes follow JAX: a Jacobian is indexed ``J[output][input]``; a scalar
output or a single (non-tuple) ``wrt`` drops that level of nesting.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import operator
from dataclasses import dataclass, replace

from . import __version__, codegen, forward, frontend, ir, optimize, reverse, safe, ssa
from .api import _wrt_names, cached, gradient_ir
from .errors import S2SDiffError
from .normalize import Namer

_MODES = ("auto", "forward", "reverse")
KINDS = ("grad", "value_and_grad", "jvp", "vjp", "jacobian", "hessian")


# --- the pipeline: parsed source → IR functions + wrapper source --------------


@dataclass(frozen=True)
class Generated:
    """What one transform generates from a function's source.

    ``functions`` (dead code removed) come first in the module, then
    ``wrapper``, the source of a function calling them once per seed ("" when
    there is none); ``entry`` is the function to call.
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


def generate(where: frontend.SourceFunction, wrt=0, kind: str = "jvp",
             mode: str = "auto") -> Generated:
    """Every derivative the tools offer, from parsed source (live or static).

    ``kind`` is one of ``KINDS``; ``mode`` ("auto", "forward", "reverse")
    matters for "grad" (auto: reverse) and "jacobian" (auto: forward when
    there are fewer ``wrt`` inputs than outputs).
    """
    if kind not in KINDS:
        raise S2SDiffError(f"unknown transform {kind!r}; use one of {', '.join(KINDS)}")
    if mode not in _MODES:
        raise S2SDiffError(f"mode={mode!r}: use one of {', '.join(_MODES)}")
    if kind in ("grad", "value_and_grad") and mode != "forward":
        gradient, names = gradient_ir(where, wrt, kind)
        single = not isinstance(wrt, (tuple, list))
        return Generated(kind, where.name, gradient.params, names, single, None, "reverse",
                         (gradient,), "", gradient.name, kind)
    if kind == "value_and_grad":
        raise S2SDiffError("value_and_grad is only available in reverse mode")
    program = ssa.build(where)
    names, single = _wrt_names(program.params, wrt)
    outputs = _outputs(program, kind)
    if kind in ("grad", "hessian") and outputs is not None:
        raise S2SDiffError(f"{kind} needs a function returning one number; {program.name} "
                           f"returns a tuple of {len(program.result)}")
    common = dict(kind=kind, name=program.name, params=program.params, names=names,
                  single=single, outputs=outputs)
    if kind == "jvp":
        core = _packed(_jvp_ir(program, names), program, single)
        return _done(core, "", "forward", "jvp", **common)
    if kind == "vjp":
        core = _vjp_ir(program, names)
        return _done(core, "", "reverse", "vjp", **common)
    if kind == "hessian":
        core = _hvp_ir(program, names)
        wrapper = _hessian_wrapper(program, names, single, core.name)
        return _done(core, wrapper, "forward-over-reverse", "hessian (forward over reverse)",
                     **common)
    if mode == "auto":
        mode = "forward" if kind == "grad" or len(names) < (outputs or 1) else "reverse"
    core = _jvp_ir(program, names) if mode == "forward" else _vjp_ir(program, names)
    wrapper = _jacobian_wrapper(program, names, single, outputs, mode, kind, core.name)
    what = "grad (forward mode)" if kind == "grad" else f"{kind} ({mode} mode)"
    return _done(core, wrapper, mode, what, **common)


def _done(core: ir.Function, wrapper: str, mode: str, what: str, **common) -> Generated:
    entry = wrapper[4:wrapper.index("(")] if wrapper else core.name
    return Generated(functions=(optimize.eliminate_dead_code(core),), wrapper=wrapper,
                     entry=entry, mode=mode, description=what, **common)


def _outputs(program: ir.Function, what: str) -> int | None:
    """The number of outputs of a tuple-returning function, None for one number."""
    result = program.result
    if not isinstance(result, tuple):
        return None
    if any(isinstance(r, tuple) for r in result):
        raise S2SDiffError(f"{what}: {program.name} returns a nested tuple; "
                           "return a flat tuple of numbers")
    return len(result)


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


# --- the core functions --------------------------------------------------------


def _jvp_ir(program, names) -> ir.Function:
    return forward.tangent(program, names, name="jvp_" + program.name)


def _packed(core: ir.Function, program: ir.Function, single: bool) -> ir.Function:
    """``jvp_f(*params, tangents)``: the tangents come as one argument (a tuple
    unless ``wrt`` is one parameter), unpacked by the first statement."""
    dots = core.params[len(program.params):]
    taken = codegen.local_names(core)
    param = "tangents" if "tangents" not in taken else Namer(taken).fresh("_tangents")
    target = dots[0] if single else ", ".join(dots) + ("," if len(dots) == 1 else "")
    return replace(core, params=program.params + (param,),
                   body=(ir.Assign(target, ir.Var(param)),) + core.body)


def _vjp_ir(program, names) -> ir.Function:
    """``vjp_f(*params, *cotangents)``: the reverse emitter on Σ cotangentᵢ · outputᵢ."""
    outputs = program.result if isinstance(program.result, tuple) else (program.result,)
    namer = Namer(reverse._all_names(program) | set(names))
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
    seeded = replace(program, params=program.params + tuple(cts), body=tuple(body),
                     result=ir.Var(total), signature=None)
    gradient = reverse.gradient(seeded, names)
    return replace(gradient, name="vjp_" + program.name)


def _hvp_ir(program, names) -> ir.Function:
    """``hvp_f(*params, *tangents)``: the forward emitter on the gradient IR."""
    if any(isinstance(s, ir.Append) for s in ir.walk(program.body)):
        raise S2SDiffError(f"hessian: {program.name} builds a list; Hessians of functions "
                           "that build lists are not supported yet")
    gradient = reverse.gradient(program, names, final=False)
    return forward.tangent(gradient, names, name="hvp_" + program.name)


# --- the wrappers: one core call per seed ---------------------------------------


def _jacobian_wrapper(program, names, single, outputs, mode, kind, core: str) -> str:
    n, name = len(names), f"{kind}_{program.name}"
    call_args = ", ".join(program.params)
    lines = [f"def {safe.identifier(name, 'a function name')}({_signature(program)}):",
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
    lines = [f"def {safe.identifier(name, 'a function name')}({_signature(program)}):",
             f'    """The Hessian of {program.name}: one {core} call per input."""']
    lines += _numbers_only(program, names, name)
    for j, col in enumerate(cols):
        lines.append(f"    {skip}, {col} = {core}({call_args}, {', '.join(_seeds(n, j))})")
    rows = [_tuple([f"{cols[j]}[{i}]" for j in range(n)]) for i in range(n)]
    result = f"{cols[0]}[0]" if single else _tuple(rows)
    lines.append(f"    return {result}\n")
    return "\n".join(lines)


# --- the live API: generate, compile, wrap ---------------------------------------


def _live(fn, wrt, kind: str, mode: str = "auto"):
    """``generate`` on a live function, compiled: (Generated, namespace, source)."""
    return compiled(frontend.from_function(fn), wrt, kind, mode)


def compiled(where: frontend.SourceFunction, wrt, kind: str, mode: str = "auto"):
    """``generate``, compiled (live source, or source read statically):
    (Generated, module namespace, source)."""
    gen = generate(where, wrt, kind, mode)
    header = (f"Generated by s2sdiff {__version__} from {safe.comment(where.filename)}:{gen.name}, "
              f"{gen.description} with respect to {', '.join(gen.names)}.")
    module = codegen.render(list(gen.functions), header)
    if gen.wrapper:
        module.source += "\n\n" + gen.wrapper
    return gen, codegen.compile_module(module, gen.entry), module.source


def _label(compiled, source: str, names, mode: str):
    compiled.source = source
    compiled.wrt = names
    compiled.mode = mode
    return compiled


# --- jvp and vjp ----------------------------------------------------------------

_MISSING = object()


def _binder(fn, params: tuple[str, ...]):
    """Turns call arguments into the full positional list of ``params`` (defaults filled)."""
    signature = inspect.signature(inspect.unwrap(fn))

    def bind(args, kwargs):
        if not kwargs and len(args) == len(params):
            return args
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[p] for p in params]

    return bind


def jvp(fn=None, wrt=0):
    """Forward mode: ``jvp(f, wrt)(*args, tangents)`` → ``(f(*args), J · tangents)``.

    ``tangents`` is one number per ``wrt`` parameter (a tuple when ``wrt`` is a
    tuple); it is the last positional argument, or the keyword ``tangents``.
    The directional derivative has the shape of ``f``'s result.
    """
    if fn is None:
        return functools.partial(jvp, wrt=wrt)
    return cached(fn, ("jvp", wrt), lambda: _build_jvp(fn, wrt))


def _build_jvp(fn, wrt):
    """The generated ``jvp_f(*params, tangents)`` itself when its parameters are the
    user's, one by one; a wrapper filling in defaults otherwise."""
    gen, namespace, source = _live(fn, wrt, "jvp")
    core = namespace[gen.entry]
    if _plain(gen.functions[0], gen.params) and _plain_signature(fn):
        return _label(core, source, gen.names, gen.mode)
    bind = _binder(fn, gen.params)

    def call(*args, **kwargs):
        tangents = kwargs.pop("tangents", _MISSING)
        if tangents is _MISSING:
            if not args:
                raise TypeError("jvp: missing the tangents argument")
            args, tangents = args[:-1], args[-1]
        return core(*bind(args, kwargs), tangents)

    call.__name__ = gen.entry
    call.__doc__ = f"(value, directional derivative) of {gen.name}; tangents for {gen.names}."
    call.core = core
    return _label(call, source, gen.names, gen.mode)


def _plain(core: ir.Function, params: tuple[str, ...]) -> bool:
    return core.params == params + ("tangents",)


def _plain_signature(fn) -> bool:
    """No defaults, keyword-only or variadic parameters: calls bind as to the generated code."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)
    return all(p.kind in kinds and p.default is inspect.Parameter.empty
               for p in inspect.signature(inspect.unwrap(fn)).parameters.values())


def vjp(fn=None, wrt=0):
    """Reverse mode: ``vjp(f, wrt)(*args)`` → ``(f(*args), pullback)``.

    ``pullback(cotangent)`` (one number per output of ``f``: a tuple when
    ``f`` returns a tuple) gives ``cotangentᵀ · J``: one number per ``wrt``
    parameter, a tuple when ``wrt`` is a tuple.  The pullback runs the
    generated ``vjp_f``, which recomputes the forward pass.
    """
    if fn is None:
        return functools.partial(vjp, wrt=wrt)
    # the cache keeps only what does not hold ``fn`` (it would never let ``fn`` go)
    parts = cached(fn, ("vjp", wrt), lambda: _build_vjp(fn, wrt))
    return _vjp_of(inspect.unwrap(fn), *parts)


def _build_vjp(fn, wrt):
    gen, namespace, source = _live(fn, wrt, "vjp")
    return gen, namespace[gen.entry], _binder(fn, gen.params), source


def _vjp_of(original, gen: Generated, core, bind, source: str):
    """``vjp(f)``: the value of ``original`` and a pullback running ``core``."""
    outputs, single = gen.outputs, gen.single

    def call(*args, **kwargs):
        primal = bind(args, kwargs)
        value = original(*args, **kwargs)

        def pullback(cotangent):
            cts = (cotangent,) if outputs is None else tuple(cotangent)
            if len(cts) != (outputs or 1):
                raise S2SDiffError(f"vjp: expected {outputs or 1} cotangents, got {len(cts)}")
            adjoints = core(*primal, *cts)
            return adjoints[0] if single else adjoints

        return value, pullback

    call.__name__ = gen.entry
    call.core = core
    return _label(call, source, gen.names, gen.mode)


# --- Jacobians, forward gradient, Hessian ---------------------------------------


def _build_wrapped(fn, wrt, kind: str, mode: str = "auto"):
    gen, namespace, source = _live(fn, wrt, kind, mode)
    return _label(namespace[gen.entry], source, gen.names, gen.mode)


def jacobian(fn=None, wrt=0, mode: str = "auto"):
    """The Jacobian of ``f`` as a function, ``J[output][input]``.

    ``mode="auto"`` uses forward mode when ``f`` has fewer ``wrt`` inputs than
    outputs (one jvp per input) and reverse mode otherwise (one vjp per
    output); the result's ``.mode`` says which was used.
    """
    if mode not in _MODES:
        raise S2SDiffError(f"mode={mode!r}: use one of {', '.join(_MODES)}")
    if fn is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode)
    return cached(fn, ("jacobian", wrt, mode),
                   lambda: _build_wrapped(fn, wrt, "jacobian", mode))


def jacfwd(fn=None, wrt=0):
    """``jacobian(f, wrt, mode="forward")``."""
    return jacobian(fn, wrt, mode="forward")


def jacrev(fn=None, wrt=0):
    """``jacobian(f, wrt, mode="reverse")``."""
    return jacobian(fn, wrt, mode="reverse")


def grad_forward(fn, wrt=0):
    """``grad(f, wrt, mode="forward")``: the gradient by one jvp per input."""
    return cached(fn, ("grad", wrt, "forward"),
                   lambda: _build_wrapped(fn, wrt, "grad", "forward"))


def hessian(fn=None, wrt=0):
    """The Hessian of a scalar function: forward mode over the generated gradient.

    ``H[i][j] = ∂²f / ∂wrtᵢ ∂wrtⱼ`` (a number when ``wrt`` is a single parameter).
    The module holds ``hvp_f`` (Hessian-vector product: the tangent of the
    gradient code, tape included) and ``hessian_f``, which calls it once per input.
    """
    if fn is None:
        return functools.partial(hessian, wrt=wrt)
    return cached(fn, ("hessian", wrt), lambda: _build_wrapped(fn, wrt, "hessian"))
