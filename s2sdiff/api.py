"""The public transforms, on live Python functions.

``grad``, ``value_and_grad``, ``jvp``, ``vjp``, ``jacobian`` (``jacfwd``,
``jacrev``), ``hessian`` and ``show``.  Each one generates its module with
the pipeline (:mod:`.pipeline`), compiles it over the function's globals and
remembers it per function and arguments.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import threading
import weakref
from dataclasses import replace
from types import SimpleNamespace

from . import dispatch, pipeline, trees
from .back import codegen, files
from .deep import deep
from .emit import ressa
from .errors import NeedsArgumentsError, NoRuleError, S2SDiffError
from .front import source as frontend
from .ir import types
from .rules.registry import generation as rules_generation

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _compiled(fn, wrt, kind: str, mode: str = "auto", signature: dict | None = None,
              has_aux: bool = False, jit: bool = False):
    """The module of transform ``kind`` of the live function ``fn`` (for arguments of
    ``signature``; None: generic), compiled: (Generated, its namespace, its source).
    With ``jit`` its functions are compiled by Numba."""
    derivation = getattr(fn, "derivation", None)
    containers = any(map(types.is_container, (signature or {}).values()))
    if derivation is not None and not (has_aux or containers) \
            and pipeline.composable(derivation[1], kind):
        user, inner, inner_wrt = derivation  # composed in IR: see pipeline.generate's ``of``
        try:
            return _built(user, wrt, kind, mode, signature, has_aux, jit, (inner, inner_wrt))
        except (ressa.NotRebuilt, NoRuleError):  # reverse mode over a gradient IR not made
            if kind not in pipeline.COMPOSABLE["reverse"]:  # SSA again, or calling a rule's
                raise  # helper without a VJP: from its text
    return _built(fn, wrt, kind, mode, signature, has_aux, jit)


def _built(fn, wrt, kind: str, mode: str, signature: dict | None, has_aux: bool, jit: bool,
           of: tuple | None = None):
    """``_compiled`` of the source of ``fn`` (``of``: a derivative of it, see
    ``pipeline.generate``)."""
    gen, module = _module(_source_of(fn, signature), wrt, kind, mode,
                          getattr(fn, "__module__", None), signature, has_aux, jit, of)
    return gen, codegen.compile_module(module, gen.entry), module.source


def _source_of(fn, signature: dict | None) -> frontend.SourceFunction:
    """The parsed source of ``fn``; for a transform's function (a dispatcher), the
    source of its code for ``signature``, so that transforms compose on arrays."""
    for_signature = getattr(fn, "for_signature", None)
    if signature is not None and for_signature is not None:
        fn = for_signature(tuple(signature.values()))
    refusal = getattr(inspect.unwrap(fn), "refusal", None)
    if refusal is not None:  # generic code that only arguments could write (see _generic)
        raise refusal
    return frontend.from_function(fn)


def compiled(where: frontend.SourceFunction, wrt, kind: str, mode: str = "auto",
             origin: str | None = None):
    """``pipeline.generate``, compiled (live source, or source read statically):
    (Generated, module namespace, source)."""
    gen, module = _module(where, wrt, kind, mode, origin)
    return gen, codegen.compile_module(module, gen.entry), module.source


def _module(where: frontend.SourceFunction, wrt, kind: str, mode: str, origin: str | None,
            signature: dict | None = None, has_aux: bool = False, jit: bool = False,
            of: tuple | None = None):
    """The generated module of ``where`` (of its derivative ``of``, if given), and what
    was generated without its IR: the trees and IR die here, before the module is
    compiled (the peak of memory use)."""
    gen = pipeline.generate(where, wrt, kind, mode, signature=signature, has_aux=has_aux,
                            jit=jit, of=of)
    module = pipeline.render(gen, origin or where.filename)
    plain = gen.functions[0].params == gen.params + ("tangents",)
    return replace(gen, functions=(), plain=plain), module


def derive(fn, wrt=0, kind: str = "grad", signature: dict | None = None,
           has_aux: bool = False, jit: bool = False):
    """Generate, compile and return the derivative function of ``fn``.

    ``kind`` is "grad" or "value_and_grad"; ``signature``, ``has_aux`` and ``jit``
    as for ``pipeline.generate``.
    """
    gen, namespace, source = _compiled(fn, wrt, kind, signature=signature, has_aux=has_aux,
                                       jit=jit)
    compiled = namespace[gen.entry]
    inner = getattr(fn, "__wrapped__", fn)
    compiled.__defaults__ = inner.__defaults__
    compiled.__kwdefaults__ = inner.__kwdefaults__
    return _label(compiled, source, gen.wrt_text, gen.mode)


def _runtime_namespace(fn) -> dict:
    fn = getattr(fn, "__wrapped__", fn)
    namespace = dict(getattr(fn, "__globals__", {}))
    code = getattr(fn, "__code__", None)
    if code is not None and fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__):
            try:
                namespace[name] = cell.cell_contents
            except ValueError:
                pass
    return namespace


def _dispatched(fn, key: tuple, build, extra: tuple[str, ...] = (), jit: bool = False):
    """A transform of ``fn`` as a dispatcher (see :mod:`.dispatch`): ``build(signature)``
    compiles the entry for a signature; the generic one (None) is made now and cached
    under ``key`` (the transform's kind first).  ``jit``: the entries are compiled by
    Numba."""
    table = cached(fn, key + (jit,), lambda: dispatch.Table(_generic(fn, key, build), _params(fn),
                                                            jit))

    def specialise(signature: dict):
        with collector_paused():
            return deep(lambda: build(signature))

    return dispatch.dispatcher(fn, table, specialise, extra)


def _generic(fn, key: tuple, build):
    """``build(None)``, the generic code; for a function reading a field of a parameter
    (``p.W``) or calling one (``f(x)``), which only code for its arguments can write,
    a function refusing the calls without such arguments."""
    try:
        return build(None)
    except NeedsArgumentsError as exc:
        return _refusing(fn, f"{key[0]}_{fn.__name__}", exc)


def _refusing(fn, name: str, error: Exception):
    """A function named ``name``, with ``fn``'s parameters, raising ``error`` when called."""

    def refused(*args, **kwargs):
        raise error

    refused.__signature__ = inspect.signature(inspect.unwrap(fn))
    refused.__name__ = refused.__qualname__ = name
    refused.source = ""
    refused.refusal = error
    return refused


def _params(fn) -> tuple[str, ...]:
    return tuple(inspect.signature(inspect.unwrap(fn)).parameters)


def cached(fn, key: tuple, build):
    """``build()``, remembered per function, ``key`` and the rules registered so far."""
    key = (rules_generation(),) + tuple(tuple(k) if isinstance(k, list) else k for k in key)
    try:
        table = _CACHE.setdefault(fn, {})
    except TypeError:  # not weakly referenceable: no caching
        with collector_paused():
            return deep(build)
    if key not in table:
        with collector_paused():
            table[key] = deep(build)
    return table[key]


_PAUSES = {"active": 0, "was_enabled": False}  # collector_paused sections running now
_PAUSES_LOCK = threading.Lock()


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a derivative is generated.

    The pipeline allocates many small objects (AST nodes, IR) that form no
    reference cycles; each collection would traverse the whole growing heap,
    which took ~40% of the time for long functions.  Sections may nest and run
    in several threads at once: the collector is turned back on when the last
    one ends, and only if it was on when the first began.
    """
    with _PAUSES_LOCK:
        if _PAUSES["active"] == 0:
            _PAUSES["was_enabled"] = gc.isenabled()
            gc.disable()
        _PAUSES["active"] += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES["active"] -= 1
            if _PAUSES["active"] == 0 and _PAUSES["was_enabled"]:
                gc.enable()


def clear_cache() -> None:
    """Forget every generated function (they are regenerated on demand).

    Those nobody else holds are freed at once, with their ``linecache`` entries.
    """
    _CACHE.clear()
    gc.collect()  # generated functions and their module namespace form a cycle
    files.forget()


def _transform(kind: str, doc: str):
    def transform(fn=None, wrt=0, mode: str = "reverse", has_aux: bool = False, argnums=None,
                  jit: bool = False):
        wrt = _argnums(wrt, argnums)
        modes = ("reverse", "forward") if kind == "grad" and not has_aux else ("reverse",)
        if mode not in modes:
            raise S2SDiffError(f"mode={mode!r} is not available"
                               + (" with has_aux" if has_aux else "") + "; use mode="
                               + " or ".join(repr(m) for m in modes))
        if fn is None:
            return functools.partial(transform, wrt=wrt, mode=mode, has_aux=has_aux, jit=jit)
        if mode == "forward":
            return grad_forward(fn, wrt, jit)
        found = _dispatched(fn, (kind, wrt, has_aux),
                            lambda signature: derive(fn, wrt, kind, signature, has_aux, jit),
                            jit=jit)
        if not has_aux:  # what it is the derivative of, for the transforms composed in IR
            found.derivation = (fn, kind, wrt)
        return found

    transform.__name__ = kind
    transform.__doc__ = doc
    return transform


grad = _transform("grad", """The gradient of a scalar function, as generated Python.

``wrt`` is a parameter index or name, or a tuple of them (then a tuple of
partial derivatives is returned).  Usable as ``@grad`` or ``@grad(wrt=...)``.
The result carries ``.source``, the generated module.  With ``jit=True`` the
generated code is compiled by Numba (every transform takes ``jit``).

>>> import math
>>> def f(x, y):
...     return x * y + math.sin(x)
""")

value_and_grad = _transform("value_and_grad", """Like ``grad``, returning ``(f(*args), gradient)``.""")


def _argnums(wrt, argnums):
    """``wrt``, or JAX's name for it, ``argnums`` (not both)."""
    if argnums is None:
        return wrt
    if wrt != 0:
        raise S2SDiffError("give wrt or argnums (its JAX name), not both")
    return tuple(argnums) if isinstance(argnums, list) else argnums


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


def jvp(fn=None, wrt=0, argnums=None, jit: bool = False):
    """Forward mode: ``jvp(f, wrt)(*args, tangents)`` → ``(f(*args), J · tangents)``.

    ``tangents`` is one number per ``wrt`` parameter (a tuple when ``wrt`` is a
    tuple); it is the last positional argument, or the keyword ``tangents``.
    The directional derivative has the shape of ``f``'s result.
    """
    wrt = _argnums(wrt, argnums)
    if fn is None:
        return functools.partial(jvp, wrt=wrt, jit=jit)
    return _dispatched(fn, ("jvp", wrt), lambda signature: _build_jvp(fn, wrt, signature, jit),
                       extra=("tangents",), jit=jit)


def _build_jvp(fn, wrt, signature: dict | None = None, jit: bool = False):
    """The generated ``jvp_f(*params, tangents)`` itself when its parameters are the
    user's, one by one; a wrapper filling in defaults otherwise."""
    gen, namespace, source = _compiled(fn, wrt, "jvp", signature=signature, jit=jit)
    core = namespace[gen.entry]
    if gen.plain and _plain_signature(fn):
        return _label(core, source, gen.wrt_text, gen.mode)
    bind = _binder(fn, gen.params)

    def call(*args, **kwargs):
        tangents = kwargs.pop("tangents", _MISSING)
        if tangents is _MISSING:
            if not args:
                raise TypeError("jvp: missing the tangents argument")
            args, tangents = args[:-1], args[-1]
        return core(*bind(args, kwargs), tangents)

    call.__name__ = gen.entry
    call.__doc__ = f"(value, directional derivative) of {gen.name}; tangents for {gen.wrt_text}."
    call.core = core
    return _label(call, source, gen.wrt_text, gen.mode)


def _plain_signature(fn) -> bool:
    """No defaults, keyword-only or variadic parameters: calls bind as to the generated code."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)
    return all(p.kind in kinds and p.default is inspect.Parameter.empty
               for p in inspect.signature(inspect.unwrap(fn)).parameters.values())


def vjp(fn=None, wrt=0, has_aux: bool = False, argnums=None, jit: bool = False):
    """Reverse mode: ``vjp(f, wrt)(*args)`` → ``(f(*args), pullback)``.

    ``pullback(cotangent)`` (one number per output of ``f``: a tuple when
    ``f`` returns a tuple) gives ``cotangentᵀ · J``: one number per ``wrt``
    parameter, a tuple when ``wrt`` is a tuple.  The pullback runs the
    generated ``vjp_f``, which recomputes the forward pass.  With ``has_aux``,
    ``f`` returns ``(output, aux)`` and the call gives ``(output, pullback, aux)``.
    """
    wrt = _argnums(wrt, argnums)
    if fn is None:
        return functools.partial(vjp, wrt=wrt, has_aux=has_aux, jit=jit)
    # the cache keeps only what does not hold ``fn`` (it would never let ``fn`` go)
    table = cached(fn, ("vjp", wrt, has_aux, jit),
                   lambda: dispatch.Table(_generic_vjp(fn, wrt, has_aux, jit), _params(fn), jit))

    def specialise(signature: dict):
        with collector_paused():
            return deep(lambda: _build_vjp(fn, wrt, signature, has_aux, jit))

    # the value: of the function unwrapped (what is differentiated), but a transform's
    # own function, whose __wrapped__ is its code for numbers only, routes the arguments
    value_of = fn if hasattr(fn, "for_signature") else inspect.unwrap(fn)
    return _vjp_of(value_of, table, specialise, has_aux)


def elementwise_grad(fn=None, wrt=0, argnums=None, jit: bool = False):
    """As autograd's: the vjp of ``f`` with a cotangent of ones (one per element of its
    output), i.e. the sum of each column of the Jacobian, which is its diagonal
    when ``f`` works element by element (``elementwise_grad(np.tanh)(x)`` is
    ``1 - np.tanh(x) ** 2``)."""
    wrt = _argnums(wrt, argnums)
    if fn is None:
        return functools.partial(elementwise_grad, wrt=wrt, jit=jit)
    pullbacks = vjp(fn, wrt=wrt, jit=jit)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        value, pullback = pullbacks(*args, **kwargs)
        return pullback(_ones_like(value))

    call.__name__ = call.__qualname__ = f"elementwise_grad_{getattr(fn, '__name__', 'f')}"
    return call


def _ones_like(value):
    """Ones of the structure and shapes of ``value`` (a number, an array, a tuple, a dict)."""
    if isinstance(value, dict):
        return {k: _ones_like(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(map(_ones_like, value))
    if type(value).__module__ == "numpy":
        import numpy

        return numpy.ones_like(value, dtype=numpy.result_type(value, numpy.float16))
    return 1.0


def _build_vjp(fn, wrt, signature: dict | None = None, has_aux: bool = False,
               jit: bool = False):
    gen, namespace, source = _compiled(fn, wrt, "vjp", signature=signature, has_aux=has_aux,
                                       jit=jit)
    return gen, namespace[gen.entry], _binder(fn, gen.params), source


def _generic_vjp(fn, wrt, has_aux: bool, jit: bool):
    """``_build_vjp`` of the generic code; for a function reading a field of a
    parameter, what stands for it (see ``_generic``)."""
    try:
        return _build_vjp(fn, wrt, None, has_aux, jit)
    except NeedsArgumentsError as exc:
        refused = _refusing(fn, f"vjp_{fn.__name__}", exc)
    names, single = pipeline.wrt_names(_params(fn), wrt)
    gen = SimpleNamespace(entry=refused.__name__, wrt_text=names, mode="reverse", outputs=None,
                          single=single)
    return gen, refused, _binder(fn, _params(fn)), ""


def _vjp_of(original, table: dispatch.Table, specialise, has_aux: bool = False):
    """``vjp(f)``: the value of ``original`` and a pullback running the generated
    ``vjp_f`` for the arguments' signature."""
    gen, generic, bind, source = table.generic

    def call(*args, **kwargs):
        primal = bind(args, kwargs)
        gen, core, _, _ = table.entry(types.signature(primal), specialise)
        outputs, single = gen.outputs, gen.single
        value = original(*args, **kwargs)
        if has_aux:
            aux = _aux_of(value)
            value = value[0]

        keys = getattr(gen, "output_keys", None)
        values = tuple(value[k] for k in keys) if keys else value if outputs else (value,)

        def pullback(cotangent):
            cts = _by_keys(cotangent, keys) if keys else (cotangent,) if outputs is None \
                else tuple(cotangent)
            if len(cts) != (outputs or 1):
                raise S2SDiffError(f"vjp: expected {outputs or 1} cotangents, got {len(cts)}")
            if core is not generic:
                _check_cotangents(cts, values)
                cts = tuple(map(_as_output, cts, values))
            adjoints = (dispatch.compiled_call(core, (*primal, *cts), {}) if table.jit
                        else core(*primal, *cts))
            return adjoints[0] if single else adjoints

        return (value, pullback, aux) if has_aux else (value, pullback)

    call.__name__ = gen.entry
    call.core = table.generic[1]
    return _label(call, source, gen.wrt_text, gen.mode)


def _by_keys(cotangent, keys: tuple) -> tuple:
    """The cotangents of a function returning a dict: a dict with its keys, as a tuple."""
    if not isinstance(cotangent, dict) or tuple(cotangent) != keys and set(cotangent) != set(keys):
        raise S2SDiffError(f"vjp: the function returns a dict; its cotangent is a dict with "
                           f"the keys {list(keys)}")
    return tuple(cotangent[k] for k in keys)


def _as_output(cotangent, output):
    """A number given as the cotangent of a 0-D NumPy output, as a 0-D array of its
    dtype: the code for the outputs' abstract values reads it as one."""
    if type(cotangent) in (float, int) and type(output).__module__ == "numpy" \
            and not getattr(output, "ndim", 1):
        import numpy

        return numpy.asarray(cotangent, dtype=output.dtype)
    return cotangent


def _check_cotangents(cotangents, outputs) -> None:
    """As JAX: code specialised to the outputs' shapes takes cotangents of those shapes."""
    given, wanted = types.signature(cotangents), types.signature(outputs)
    if not types.fits(given, wanted):
        raise S2SDiffError(f"vjp: the cotangents must have the shapes of the outputs "
                           f"({types.describe(wanted)}); got {types.describe(given)}")


# --- Jacobians, forward gradient, Hessian ---------------------------------------


def _build_wrapped(fn, wrt, kind: str, mode: str = "auto", signature: dict | None = None,
                   has_aux: bool = False, jit: bool = False):
    gen, namespace, source = _compiled(fn, wrt, kind, mode, signature, has_aux, jit)
    return _label(namespace[gen.entry], source, gen.wrt_text, gen.mode)


def jacobian(fn=None, wrt=0, mode: str = "auto", has_aux: bool = False, argnums=None,
             jit: bool = False):
    """The Jacobian of ``f`` as a function, ``J[output][input]``.

    ``mode="auto"`` uses reverse mode when ``f`` has more ``wrt`` inputs than
    outputs (one vjp per output) and forward mode otherwise (one jvp per
    input); the result's ``.mode`` says which was used.  On arrays, there is
    one call per element and each block ``J[i][j]`` has the shape
    ``outputᵢ.shape + inputⱼ.shape``, as in JAX.  With ``has_aux``, ``f``
    returns ``(output, aux)`` and the result is ``(J, aux)``.
    """
    wrt = _argnums(wrt, argnums)
    if mode not in pipeline.MODES:
        raise S2SDiffError(f"mode={mode!r}: use one of {', '.join(pipeline.MODES)}")
    if fn is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode, has_aux=has_aux, jit=jit)
    of_trees = _tree_jacobian(fn, wrt, mode, jit, has_aux)
    if frontend.from_function(fn).__dict__.get("output_keys"):  # it returns a dict
        return of_trees
    found = _dispatched(fn, ("jacobian", wrt, mode, has_aux),
                        lambda signature: _build_wrapped(fn, wrt, "jacobian", mode, signature,
                                                         has_aux, jit), jit=jit)
    return _or_trees(_with_aux(found, fn) if has_aux else found, of_trees)


def _or_trees(transform, of_trees):
    """``transform``, or ``of_trees`` for calls with a container argument."""

    @functools.wraps(transform)
    def call(*args, **kwargs):
        if any(map(trees.is_tree, args)) or any(map(trees.is_tree, kwargs.values())):
            return of_trees(*args, **kwargs)
        return transform(*args, **kwargs)

    call.__wrapped__ = getattr(transform, "__wrapped__", transform)  # the generic code
    return call


def _tree_jacobian(fn, wrt, mode: str, jit: bool, has_aux: bool, of=None):
    """The Jacobian of a function of containers (or returning a dict), assembled by
    ``trees`` from the generated ``jvp`` or ``vjp`` of ``fn`` (or, for a Hessian,
    of ``of()``, its gradient)."""
    positions = _positions(fn, wrt)
    single = not isinstance(wrt, (tuple, list))

    def call(*args, **kwargs):
        args = _binder(fn, _params(fn))(args, kwargs)
        if has_aux:
            raise S2SDiffError("jacobian: has_aux with containers is not supported yet")
        if of is not None and not single:
            raise S2SDiffError("hessian: containers with a tuple wrt are not supported yet; "
                               "differentiate with respect to one container")
        if of is not None and not all(trees.of_displays(args[i]) for i in positions):
            raise S2SDiffError("hessian: of namedtuples, dataclasses and registered "
                               "containers is not supported yet; use a dict, a list or a tuple")
        target = fn if of is None else of()
        forward = mode == "forward" or (mode == "auto" and _inputs_fewer(fn, args, positions))
        if forward:
            return trees.forward(jvp(target, wrt=wrt, jit=jit), tuple(args), positions, single)
        return trees.reverse(vjp(target, wrt=wrt, jit=jit), tuple(args), positions, single)

    call.__name__ = f"jacobian_{getattr(fn, '__name__', 'f')}"
    call.mode = mode
    return call


def _inputs_fewer(fn, args, positions) -> bool:
    """Whether the ``wrt`` inputs have at most as many elements as ``fn``'s outputs."""
    import numpy as np

    count = sum(np.size(leaf) for i in positions for leaf in trees.leaves(args[i]))
    return count <= sum(np.size(leaf) for leaf in trees.leaves(fn(*args)))


def _positions(fn, wrt) -> tuple[int, ...]:
    """The indices of the ``wrt`` parameters of ``fn``."""
    params = _params(fn)
    names, _ = pipeline.wrt_names(params, wrt)
    return tuple(params.index(n) for n in names)


def _with_aux(transform, fn):
    """``transform`` returning ``(its result, fn's aux)`` (``fn`` returns ``(out, aux)``)."""

    @functools.wraps(transform)
    def call(*args, **kwargs):
        return transform(*args, **kwargs), _aux_of(fn(*args, **kwargs))

    return call


def _aux_of(value):
    if not (isinstance(value, tuple) and len(value) == 2):
        raise S2SDiffError("has_aux: the function must return a pair (output, aux)")
    return value[1]


def jacfwd(fn=None, wrt=0, has_aux: bool = False, argnums=None, jit: bool = False):
    """``jacobian(f, wrt, mode="forward")``."""
    return jacobian(fn, wrt, mode="forward", has_aux=has_aux, argnums=argnums, jit=jit)


def jacrev(fn=None, wrt=0, has_aux: bool = False, argnums=None, jit: bool = False):
    """``jacobian(f, wrt, mode="reverse")``."""
    return jacobian(fn, wrt, mode="reverse", has_aux=has_aux, argnums=argnums, jit=jit)


def grad_forward(fn, wrt=0, jit: bool = False):
    """``grad(f, wrt, mode="forward")``: the gradient by one jvp per input."""
    return _dispatched(fn, ("grad", wrt, "forward"),
                       lambda signature: _build_wrapped(fn, wrt, "grad", "forward", signature,
                                                        jit=jit), jit=jit)


def hessian(fn=None, wrt=0, argnums=None, jit: bool = False):
    """The Hessian of a scalar function: forward mode over the generated gradient.

    ``H[i][j] = ∂²f / ∂wrtᵢ ∂wrtⱼ`` (a number when ``wrt`` is a single parameter).
    The module holds ``hvp_f`` (Hessian-vector product: the tangent of the
    gradient code, tape included) and ``hessian_f``, which calls it once per input.
    """
    wrt = _argnums(wrt, argnums)
    if fn is None:
        return functools.partial(hessian, wrt=wrt, jit=jit)
    found = _dispatched(fn, ("hessian", wrt),
                        lambda signature: _build_wrapped(fn, wrt, "hessian", signature=signature,
                                                         jit=jit), jit=jit)
    return _or_trees(found, _tree_jacobian(fn, wrt, "forward", jit, False,
                                           of=lambda: grad(fn, wrt=wrt, jit=jit)))


def show(fn, stage: str = "python", wrt=0, kind: str = "grad", mode: str = "auto",
         signature: str | None = None, jit: bool = False) -> str:
    """The program of transform ``kind`` of ``fn`` after pass ``stage``, as text.

    ``pipeline.STAGES[kind]`` lists the stages, from "source" to "python" (the
    generated module).  "normalized" is "core"; "forward" is the JVP module.
    With ``signature`` (text as the command's, ``"X=f8[n,d],w=f8[d]"``, or a dict
    of example arguments, ``{"X": X, "w": w}``) the code is for arguments of those
    types, and has two more stages after "dce":
    "specialise" and "buffers".  With ``jit``, the code written for Numba (one more
    stage, "numba").
    """
    if stage == "forward" and kind == "grad":
        return jvp(fn, wrt=wrt).source
    stage = {"normalized": "core"}.get(stage, stage)
    where = frontend.from_function(fn)
    types_of = None
    if signature is not None:
        found = _signature_given(signature)
        types_of = {p: found.get(p) for p in _params(fn)}
    return pipeline.show(where, stage, wrt, kind, mode, types_of, jit)


def _signature_given(signature) -> dict:
    """Parameter → abstract value, from text as the command's or from a dict of
    example arguments (``{"x": np.ones(3)}``)."""
    if isinstance(signature, str):
        try:
            return types.parse(signature)
        except ValueError as exc:
            raise S2SDiffError(f"signature: {exc}") from None
    if isinstance(signature, dict):
        return {name: types.tree(value) for name, value in signature.items()}
    raise S2SDiffError(f"signature: {type(signature).__name__} given; write it as text "
                       "(\"x=f8[n],b=float\") or a dict of example arguments")
