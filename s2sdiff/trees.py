"""Jacobians and Hessians of functions of containers, assembled as JAX's.

``jacobian(f)(params, ...)`` of a function of a dict (list, tuple, namedtuple,
dataclass or registered container) of parameters, or returning a dict or a
tuple, is assembled from the generated ``jvp`` (one call per element of an
input, forward mode) or ``vjp`` (one call per element of an output, reverse
mode), which take and return containers; ``hessian`` is the forward Jacobian
of the generated gradient.  The result nests as JAX's does: the outputs'
structure outside, the inputs' inside, and the block of an output leaf of
shape ``S`` and an input leaf of shape ``L`` has the shape ``S + L``.
"""

from __future__ import annotations

import dataclasses

from .ir import types


def is_tree(value) -> bool:
    """Whether ``value`` is a container (not a number or an array)."""
    return types.is_container(types.tree(value))


def of_displays(value) -> bool:
    """Whether every container in ``value`` is a dict, a list or a tuple (what
    generated code returns as a display: a gradient of them has a Jacobian)."""
    children = _children(value)
    return children is None or (type(value) in (dict, list, tuple)
                                and all(map(of_displays, children)))


def leaves(value) -> list:
    """The numbers and arrays ``value`` holds, in order."""
    children = _children(value)
    return [value] if children is None else [leaf for c in children for leaf in leaves(c)]


def rebuilt(value, new: list):
    """``value``'s structure with the leaves taken in order from ``new``."""
    children = _children(value)
    if children is None:
        return new.pop(0)
    items = [rebuilt(c, new) for c in children]
    kind = type(value)
    if kind is dict:
        return dict(zip(value, items))
    if kind is list:
        return items
    if kind is tuple:
        return tuple(items)
    if isinstance(value, tuple):  # a namedtuple
        return kind(*items)
    registered = types._CONTAINERS.get(kind)
    if registered is not None:
        return registered[1](registered[0](value)[1], tuple(items))
    return kind(**dict(zip((f.name for f in dataclasses.fields(kind)), items)))


def _children(value):
    kind = type(value)
    if kind is dict:
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    registered = types._CONTAINERS.get(kind)
    if registered is not None:
        return list(registered[0](value)[0])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    return None


def forward(jvp, args: tuple, positions: tuple, single: bool):
    """The Jacobian at ``args`` by one ``jvp`` call per element of the inputs at
    ``positions`` (``jvp(*args, tangents)``, tangents a tuple unless ``single``)."""
    import numpy as np

    inputs = [args[i] for i in positions]
    columns = []  # per input leaf: the output tangents, one per element
    for k, x in enumerate(inputs):
        for j, leaf in enumerate(leaves(x)):
            per = []
            for unit in _units(leaf):
                tangents = [_zeros(v) for v in inputs]
                tangents[k] = _with_leaf(x, j, unit)
                per.append(jvp(*args, tangents[0] if single else tuple(tangents))[1])
            columns.append((leaf, per))
    out = jvp(*args, tuple(_zeros(v) for v in inputs) if not single else _zeros(inputs[0]))[0]
    blocks = []
    for o, out_leaf in enumerate(leaves(out)):
        row = [_block(np.shape(out_leaf), leaf, [leaves(c)[o] for c in per], outer=False)
               for leaf, per in columns]
        blocks.append(_per_input(inputs, row, single))
    return rebuilt(out, blocks)


def reverse(vjp, args: tuple, positions: tuple, single: bool):
    """The Jacobian at ``args`` by one pullback per element of the outputs (``vjp(*args)``
    gives ``(out, pullback)``)."""
    import numpy as np

    inputs = [args[i] for i in positions]
    out, pullback = vjp(*args)
    out_leaves = leaves(out)
    blocks = []
    for o, out_leaf in enumerate(out_leaves):
        rows = []
        for unit in _units(out_leaf):
            cotangent = rebuilt(out, [unit if p == o else _zeros(v) for p, v in enumerate(out_leaves)])
            adjoints = pullback(cotangent)
            rows.append(leaves(adjoints if not single else (adjoints,)))
        in_leaves = [leaf for x in inputs for leaf in leaves(x)]
        row = [_block(np.shape(out_leaf), leaf, [r[i] for r in rows], outer=True)
               for i, leaf in enumerate(in_leaves)]
        blocks.append(_per_input(inputs, row, single))
    return rebuilt(out, blocks)


def _per_input(inputs: list, blocks: list, single: bool):
    """The blocks of one output leaf arranged as the inputs (a tuple of them unless single)."""
    blocks = list(blocks)
    arranged = [rebuilt(x, blocks) for x in inputs]
    return arranged[0] if single else tuple(arranged)


def _block(out_shape: tuple, in_leaf, parts: list, outer: bool):
    """The block ``out_shape + in_shape`` from one part per element of the input (``outer``
    False: parts shaped as the output) or of the output (True: shaped as the input)."""
    import numpy as np

    in_shape = np.shape(in_leaf)
    if outer:
        stacked = np.reshape([np.broadcast_to(p, in_shape) for p in parts], out_shape + in_shape)
        return stacked if stacked.shape else float(stacked)
    stacked = np.reshape([np.broadcast_to(p, out_shape) for p in parts], in_shape + out_shape)
    moved = np.moveaxis(stacked, list(range(len(in_shape))),
                        list(range(len(out_shape), len(out_shape) + len(in_shape))))
    return moved if moved.shape else float(moved)


def _units(leaf):
    """One unit of ``leaf``'s shape per element (1.0 for a number)."""
    import numpy as np

    if not np.shape(leaf):
        return [1.0 if not isinstance(leaf, np.ndarray) else np.ones_like(leaf, dtype=float)]
    eye = np.eye(np.size(leaf), dtype=np.result_type(leaf, np.float16))
    return list(eye.reshape((np.size(leaf),) + np.shape(leaf)))


def _zeros(value):
    """Zeros of ``value``'s structure."""
    import numpy as np

    return rebuilt(value, [np.zeros_like(v, dtype=np.result_type(v, np.float16))
                           if isinstance(v, np.ndarray) else 0.0 for v in leaves(value)])


def _with_leaf(value, index: int, new):
    """``value``'s structure of zeros with leaf ``index`` replaced by ``new``."""
    zeros = leaves(_zeros(value))
    zeros[index] = new
    return rebuilt(value, zeros)
