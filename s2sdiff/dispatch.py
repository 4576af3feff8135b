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

The test is of floats (``_type0 = float``...) until a call on other numbers
(ints) is routed to the generic code: then it is of that call's exact types.
Calls like it cost two type tests; any other call is routed by its signature.
Where the generic code is short, the function returned is that code with the
test of numbers as its first statement (other calls go on to
``dispatch_grad_f``): a call on numbers then costs no second Python frame.
The last call routed to code for arrays is recorded too (types, and each
array's shape and dtype), and a test between the two sends calls like it (a
training loop) straight to that code.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import linecache
import re
import weakref

from .back import files
from .front import sourcelines
from .errors import S2SDiffError
from .ir import types


class _Unseen:
    """The type no argument has: the fast test fails until a call sets it."""


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
    numbers = _Unseen if table.jit else float  # (Numba's code is called through compiled_call)
    namespace.update({f"_type{i}": numbers for i in range(len(table.params))})
    typed = [False]  # whether a call routed to the generic code has set the types tested
    namespace.update({f"_last{i}": _Unseen for i in range(len(table.params))}, _ndarray=_Unseen)
    owner: list = [None, None]  # weak references: (the dispatcher, the function testing
    # the last call; the same unless the generic code is inlined): no cycle through globals

    def for_signature(signature: tuple):
        """The entry of ``signature`` (a tuple of abstract values, in parameter order)."""
        return table.entry(signature, build, extra)

    def route(*args, **kwargs):
        values = bind(args, kwargs)
        entry = for_signature(types.signature(values))
        tests_numbers, tests_last = (None if ref is None else ref() for ref in owner)
        if entry is generic and tests_numbers is not None and not typed[0]:
            typed[0] = True
            tests_numbers.__globals__.update(
                {f"_type{i}": type(values[i]) for i in range(len(table.params))})
        elif entry is not generic and tests_last is not None and not extra:
            _record(tests_last.__globals__, values, entry)
        if table.jit:
            return compiled_call(entry, args, kwargs)
        return entry(*args, **kwargs)

    namespace["_route"] = route
    if extra not in table.code:
        table.code[extra] = _code(fn, generic, extra, table.jit)
    if table.code[extra] is None:  # a signature the text cannot repeat: route every call
        call = _routed(route)
    else:
        code, filename, text, inlined = table.code[extra]
        call, rest = _defined(code, namespace, generic, inlined)
        call.__name__ = call.__qualname__ = generic.__name__
        sourcelines.register(filename, text, [call])
        owner[:] = [weakref.ref(call), weakref.ref(rest)]
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


def _defined(code, names: dict, generic, inlined: bool):
    """The dispatcher ``code`` defines over ``names``, and the function of it that tests
    the last call (the dispatcher itself, unless the generic code is inlined: then
    ``dispatch_<name>``, over ``names``, and the dispatcher over the generic code's
    globals).  No function is held by its own globals: a dispatcher dropped is freed
    at once, and with it the user's function (the cache's key)."""
    name = generic.__name__
    exec(code, names)  # noqa: S102 - defines the dispatcher
    rest = names.pop("dispatch_" + name)
    if not inlined:
        return rest, rest
    del names[name]
    own = {**generic.__globals__, **{k: v for k, v in names.items() if k.startswith("_type")}}
    exec(code, own)  # noqa: S102
    own["dispatch_" + name] = rest
    call, own[name] = own[name], generic  # (calls of itself in its body stay the generic's)
    return call, rest


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


def _code(fn, generic, extra: tuple[str, ...], jit: bool):
    """The dispatcher's code, compiled from a real file (see ``back/files.py``):
    (code, file name, text, whether the generic code is inlined), or None when
    ``fn``'s signature cannot be written (see ``_signature_parts``)."""
    parts = _signature_parts(fn, extra)
    if parts is None:
        return None
    name = generic.__name__
    inlined = None if extra or jit else _inlined(generic, *parts)
    text = _text(name, *parts, bool(extra), inlined is None)
    if inlined is not None:
        text = inlined + "\n\n" + text
    filename = files.store(f"dispatch_{name}", text)
    return compile(text, filename, "exec"), filename, text, inlined is not None


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


def _signature_parts(fn, extra: tuple[str, ...]):
    """``fn``'s parameters as the dispatcher's ``def`` line lists them, as it passes
    them on, and their names; None when ``fn`` has ``*args``, ``**kwargs`` or
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
    return heads + list(extra), ", ".join(passed + list(extra)), [p.name for p in parameters]


def _text(name: str, heads: list[str], args: str, params: list[str], extra: bool,
          numbers: bool = True) -> str:
    """The dispatcher's source (see the module's docstring); with ``extra`` parameters
    it remembers no last call; without ``numbers`` it leaves the test of numbers to
    the generic code (``_inlined``)."""
    test = " and ".join(f"type({p}) is _type{i}" for i, p in enumerate(params))
    lines = [f"def dispatch_{name}({', '.join(heads)}):"]
    if test and numbers:
        lines += [f"    if {test}:", f"        return _generic({args})"]
    if test and not extra:
        last = "\n            and ".join(
            f"type({p}) is _last{i} and (_last{i} is not _ndarray or "
            f"{p}.shape == _shape{i} and {p}.dtype is _dtype{i})"
            for i, p in enumerate(params))
        lines += [f"    if ({last}):", f"        return _last({args})"]
    lines.append(f"    return _route({args})")
    return "\n".join(lines) + "\n"


INLINE_LINES = 120  # generic code up to this long gets the test of numbers inline


def _inlined(generic, heads: list[str], args: str, params: list[str]) -> str | None:
    """The generic code's source with the test of the numbers it is for as its first
    statement (other calls go to ``dispatch_<name>``): a call on numbers then costs
    no second Python frame, which is most of the dispatch of a short derivative.
    None for code longer than ``INLINE_LINES`` (the frame is a small part of its
    call and compiling it twice is not), closures, and code whose names or text do
    not allow it."""
    code = getattr(generic, "__code__", None)
    if not params or code is None or generic.__closure__ or not inspect.isfunction(generic):
        return None
    lines = linecache.getlines(code.co_filename)
    if not lines or len(lines) > INLINE_LINES or any(
            map(_DISPATCHER_NAME.fullmatch, generic.__globals__)):
        return None
    tree = ast.parse("".join(lines))
    found = [d for d in tree.body if isinstance(d, ast.FunctionDef)
             and d.lineno == code.co_firstlineno and d.name == generic.__name__]
    if not found or found[0].decorator_list:
        return None
    fn = found[0]
    statements = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    if not statements or statements[0].lineno == fn.lineno:  # (nothing but a docstring)
        return None
    first = statements[0]
    indent = " " * first.col_offset
    test = " or ".join(f"type({p}) is not _type{i}" for i, p in enumerate(params))
    guard = [f"{indent}if {test}:\n", f"{indent}    return dispatch_{generic.__name__}({args})\n"]
    body = lines[fn.lineno - 1:fn.end_lineno]
    at = first.lineno - fn.lineno
    return "".join(body[:at] + guard + body[at:])


_DISPATCHER_NAME = re.compile(r"_generic|_route|_last|_ndarray|_(type|last|shape|dtype)\d+"
                              r"|dispatch_.*")  # (the names the dispatcher's code reads)


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
