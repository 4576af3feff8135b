"""Calls of a transform, routed to the code generated for their arguments.

As ``jax.jit`` traces a function once per signature of shapes and dtypes, a
transform generates code once per signature of abstract values
(``ir/types.py``): the generic code serves every call whose arguments are
numbers (or values it does not describe, such as lists), and a call with
arrays gets code generated for the dtypes, numbers of dimensions and
dimensions of length 1 of its arrays, remembered per signature.

The function a transform returns is a dispatcher written for the user's
parameters, e.g. for ``f(x, y)``::

    def dispatch_grad_f(x, y):  # named grad_f
        if type(x) is _type0 and type(y) is _type1:
            return _generic(x, y)
        return _route(x, y)

The first call on numbers records the exact types of its arguments
(``_type0 = float``...), so later calls like it cost two type tests; any
other call is routed by its signature.  The last call routed to code for
arrays is recorded too (types, and each array's shape and dtype), and a test
between the two sends calls like it (a training loop) straight to that code.
"""

from __future__ import annotations

import dataclasses
import inspect
import weakref

from .back import files
from .front import sourcelines
from .errors import S2SDiffError
from .ir import types


class _Unseen:
    """The type no argument has: the fast test fails until a call on numbers sets it."""


class Table:
    """The code of one transform of one function: generic, then per signature of
    arrays.  It holds no reference to the user's function (the cache keeps it)."""

    def __init__(self, generic, params: tuple[str, ...], jit: bool = False):
        self.generic = generic
        self.params = params
        self.jit = jit  # the entries are Numba's: compiled at their first call
        self.by_signature: dict = {}
        self.code: dict = {}  # extra parameters → the dispatcher's compiled text (or None)
        self.live = None  # a weak reference to the last dispatcher made (it holds the function)

    def entry(self, signature: tuple, build, extra: tuple[str, ...] = ()):
        """The entry for ``signature`` (abstract values in parameter order, then the
        ``extra`` parameters'): the generic one unless an argument is an array;
        ``build(signature as a dict)`` makes one."""
        if not any(isinstance(v, (types.Arr, types.Static)) or types.is_container(v)
                   or types.is_complex(v)
                   for v in signature[:len(self.params)]):  # (complex ones are refused)
            return self.generic
        signature = signature[:len(self.params) + len(extra)]
        found = self.by_signature.get(signature)
        if found is None:
            found = self.by_signature[signature] = build(dict(zip(self.params + extra,
                                                                  signature)))
        return found


def dispatcher(fn, table: Table, build, extra: tuple[str, ...] = ()):
    """The function calling ``table``'s code for ``fn``'s arguments; ``build(signature)``
    generates the entry for a signature with arrays (a dict parameter → abstract
    value).  ``extra`` parameters follow the user's (``tangents`` of a jvp).

    While the last dispatcher made for ``table`` lives, it is the one returned.
    """
    live = table.live() if table.live is not None else None
    if live is None:
        live = _dispatcher(fn, table, build, extra)
        table.live = weakref.ref(live)
    return live


def _dispatcher(fn, table: Table, build, extra: tuple[str, ...]):
    generic = table.generic
    bind = _binder(fn, table.params, extra)
    namespace = {"_generic": generic, "__name__": getattr(generic, "__module__", None)}
    unseen = {f"_type{i}": _Unseen for i in range(len(table.params))}
    namespace.update(unseen)
    namespace.update({f"_last{i}": _Unseen for i in range(len(table.params))}, _ndarray=_Unseen)
    owner: list = [None]  # a weak reference to the dispatcher: no cycle through its globals

    def for_signature(signature: tuple):
        """The entry of ``signature`` (a tuple of abstract values, in parameter order)."""
        return table.entry(signature, build, extra)

    def route(*args, **kwargs):
        values = bind(args, kwargs)
        entry = for_signature(types.signature(values))
        dispatcher = owner[0]() if owner[0] is not None else None
        fast = dispatcher.__globals__ if dispatcher is not None else None
        if entry is generic and fast is not None and all(fast[k] is _Unseen for k in unseen):
            fast.update({f"_type{i}": type(values[i]) for i in range(len(unseen))})
        elif entry is not generic and fast is not None and not extra:
            _record(fast, values, entry)
        if table.jit:
            return compiled_call(entry, args, kwargs)
        return entry(*args, **kwargs)

    namespace["_route"] = route
    if extra not in table.code:
        text = _text(fn, generic.__name__, extra)
        table.code[extra] = None if text is None else _compiled(text, generic.__name__)
    if table.code[extra] is None:  # a signature the text cannot repeat: route every call
        call = _routed(route)
    else:
        code, filename, text = table.code[extra]
        exec(code, namespace)  # noqa: S102 - defines the dispatcher
        call = namespace.pop("dispatch_" + generic.__name__)
        call.__name__ = call.__qualname__ = generic.__name__
        sourcelines.register(filename, text, [call])
        owner[0] = weakref.ref(call)
    call.__defaults__ = getattr(generic, "__defaults__", None)
    call.__kwdefaults__ = getattr(generic, "__kwdefaults__", None)
    call.__doc__ = generic.__doc__
    call.__wrapped__ = generic
    for attribute in ("source", "wrt", "mode", "core"):
        if hasattr(generic, attribute):
            setattr(call, attribute, getattr(generic, attribute))
    call.for_signature = for_signature
    call.specialised = lambda *args, **kwargs: for_signature(types.signature(bind(args, kwargs)))
    call.specialised.__doc__ = "The generated function these arguments are routed to."
    return call


def compiled_call(entry, args, kwargs):
    """``entry(*args, **kwargs)`` of a function Numba compiles at its first call for
    these argument types; what Numba cannot compile, an S2SDiffError."""
    try:
        return entry(*args, **kwargs)
    except Exception as exc:
        if not type(exc).__module__.startswith("numba"):
            raise
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        said = next((ln for ln in lines if "nopython" not in ln), type(exc).__name__)
        raise S2SDiffError(f"jit: Numba cannot compile {getattr(entry, '__name__', entry)} "
                           f"for these arguments: {said} (its code: .source; or drop jit=True)"
                           ) from exc


def _compiled(text: str, name: str):
    """The dispatcher's code, compiled from a real file (see ``back/files.py``)."""
    filename = files.store(f"dispatch_{name}", text)
    return compile(text, filename, "exec"), filename, text


def _record(namespace: dict, values, entry) -> None:
    """Remember ``entry`` for calls with the types, shapes and dtypes of ``values``."""
    import numpy

    if any(isinstance(v, (tuple, list, dict)) or dataclasses.is_dataclass(v)
           or inspect.isfunction(v) or type(v) in types._CONTAINERS for v in values):
        return  # the test of the last call reads no item of a container, nor which function
    if any(types.lazy(types.abstract(v)) for v in values):
        return  # the test reads the shape of NumPy arrays only: route Dask calls
    namespace["_ndarray"], namespace["_last"] = numpy.ndarray, entry
    for i, v in enumerate(values):
        namespace[f"_last{i}"] = type(v)
        if type(v) is numpy.ndarray:
            namespace[f"_shape{i}"], namespace[f"_dtype{i}"] = v.shape, v.dtype


def _routed(route):
    def call(*args, **kwargs):
        return route(*args, **kwargs)

    return call


def _text(fn, name: str, extra: tuple[str, ...]) -> str | None:
    """The dispatcher's source, or None when ``fn`` has ``*args``, ``**kwargs`` or
    defaults before ``extra`` parameters."""
    parameters = list(inspect.signature(inspect.unwrap(fn)).parameters.values())
    kinds = inspect.Parameter
    if any(p.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) for p in parameters):
        return None
    if extra and any(p.default is not kinds.empty or p.kind is kinds.KEYWORD_ONLY
                     or p.name in extra for p in parameters):
        return None
    heads, passed = [], []
    for p in parameters:
        if p.kind is kinds.KEYWORD_ONLY and "*" not in heads:
            heads.append("*")
        heads.append(p.name)
        passed.append(f"{p.name}={p.name}" if p.kind is kinds.KEYWORD_ONLY else p.name)
        if p.kind is kinds.POSITIONAL_ONLY and (
                p is parameters[-1] or parameters[parameters.index(p) + 1].kind
                is not kinds.POSITIONAL_ONLY):
            heads.append("/")
    heads += list(extra)
    passed += list(extra)
    test = " and ".join(f"type({p.name}) is _type{i}" for i, p in enumerate(parameters))
    args = ", ".join(passed)
    lines = [f"def dispatch_{name}({', '.join(heads)}):"]
    if test:
        lines += [f"    if {test}:", f"        return _generic({args})"]
    if test and not extra:
        last = "\n            and ".join(
            f"type({p.name}) is _last{i} and (_last{i} is not _ndarray or "
            f"{p.name}.shape == _shape{i} and {p.name}.dtype is _dtype{i})"
            for i, p in enumerate(parameters))
        lines += [f"    if ({last}):", f"        return _last({args})"]
    lines.append(f"    return _route({args})")
    return "\n".join(lines) + "\n"


def _binder(fn, params: tuple[str, ...], extra: tuple[str, ...]):
    """Call arguments → the values of ``params`` (defaults filled), then of ``extra``."""
    signature = inspect.signature(inspect.unwrap(fn))
    n = len(params)

    def bind(args, kwargs):
        if not kwargs and len(args) == n + len(extra):
            return args
        extras = []
        if extra:
            kwargs = dict(kwargs)
            for name in extra:
                value = kwargs.pop(name, None)
                if value is None and args:
                    value, args = args[-1], args[:-1]
                extras.append(value)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[p] for p in params] + extras

    return bind
