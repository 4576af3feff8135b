"""Array manipulation: rearranging, stacking, splitting, padding, sorting, running sums.

Every function here is linear in its array argument (or, for ``sort``,
``partition`` and ``cumprod``, piecewise so), so each VJP applies the
transposed operation to the adjoint ``g`` and each JVP the operation itself to
the tangent.  Where the transpose is one NumPy call the template writes it
(``np.flip(g, axis)``, ``np.moveaxis(g, destination, source)``); otherwise a
helper computes it.  The abstract values of the results (what code for known
argument types is specialised with) are in ``ir/types.py`` (``_load_shaping_rules``).

The stacking functions (``hstack``, ``vstack``, ``dstack``, ``column_stack``,
``row_stack``) take a list (a tuple display passed to them becomes one), as
``np.concatenate`` does in :mod:`.joining`.  ``np.split`` and its siblings
(``array_split``, ``hsplit``, ``vsplit``, ``dsplit``) with a constant number
of sections or constant split points are written by the SSA builder as one
:func:`_piece` per piece, so that each piece is a value of its own.

Conventions and limits:

- ``sort``/``partition``: the adjoint of each output element goes to the input
  element it came from (at ties, to one of them).
- ``cumprod``: exact at zeros (no division by the input where it has zeros).
- ``pad``: the modes that copy elements (``constant``, ``edge``, ``reflect``,
  ``symmetric``, ``wrap``); no derivative with respect to ``constant_values``.
- ``gradient``: along one ``axis`` written as a number (without it, the
  result of a multi-dimensional ``f`` is a list, and the number of dimensions
  is not known at generation: refused), with one scalar or coordinate-array
  spacing that is not differentiated.  Its VJP builds an n×n matrix (n: the
  length along ``axis``).
- ``astype``: to a floating dtype only (a cast to integers is refused).
- ``diff`` without ``prepend``/``append``; ``atleast_*d`` of one array; the
  split functions with ``sections`` written as constants.
- Hessians (forward over reverse) of the functions taking or giving lists
  (the stacking functions, ``select``) are not supported, as for
  ``np.concatenate``; nor through ``cumprod``.
"""

import numpy as np

from .joining import _tangents
from .numpy import _unbroadcast
from .registry import UNKNOWN, constant, convention, helper, jvp, refuse, vjp

# --------------------------------------------------------------- rearranging


@vjp(np.flip)
def _(g, m, axis=None, *, out):
    return (np.flip(g, axis),)


@jvp(np.flip)
def _(m, axis=None, *, out):
    return (np.flip(m_dot, axis),)  # noqa: F821


@vjp(np.flipud)
def _(g, m, *, out):
    return (np.flipud(g),)


@jvp(np.flipud)
def _(m, *, out):
    return (np.flipud(m_dot),)  # noqa: F821


@vjp(np.fliplr)
def _(g, m, *, out):
    return (np.fliplr(g),)


@jvp(np.fliplr)
def _(m, *, out):
    return (np.fliplr(m_dot),)  # noqa: F821


@vjp(np.rot90)
def _(g, m, k=1, axes=(0, 1), *, out):
    return (np.rot90(g, -k, axes),)


@jvp(np.rot90)
def _(m, k=1, axes=(0, 1), *, out):
    return (np.rot90(m_dot, k, axes),)  # noqa: F821


@vjp(np.roll)
def _(g, a, shift=0, axis=None, *, out):
    return (np.roll(g, np.negative(shift), axis),)


@jvp(np.roll)
def _(a, shift=0, axis=None, *, out):
    return (np.roll(a_dot, shift, axis),)  # noqa: F821


@vjp(np.moveaxis)
def _(g, a, source=0, destination=0, *, out):
    return (np.moveaxis(g, destination, source),)


@jvp(np.moveaxis)
def _(a, source=0, destination=0, *, out):
    return (np.moveaxis(a_dot, source, destination),)  # noqa: F821


@vjp(np.swapaxes)
def _(g, a, axis1=0, axis2=1, *, out):
    return (np.swapaxes(g, axis1, axis2),)


@jvp(np.swapaxes)
def _(a, axis1=0, axis2=1, *, out):
    return (np.swapaxes(a_dot, axis1, axis2),)  # noqa: F821


@helper
def _rolled_to(a, axis, start):
    """Where ``np.rollaxis(a, axis, start)`` puts ``axis``, as an index of the result."""
    ndim = np.ndim(a)
    axis, start = axis % ndim, start + ndim if start < 0 else start
    return start - 1 if axis < start else start


@vjp(np.rollaxis)
def _(g, a, axis=0, start=0, *, out):
    return (np.moveaxis(g, _rolled_to(a, axis, start), axis),)


@jvp(np.rollaxis)
def _(a, axis=0, start=0, *, out):
    return (np.rollaxis(a_dot, axis, start),)  # noqa: F821


# ``atleast_*d`` of one array (of several it gives a list: refused as too many arguments).
@vjp(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(g, a, *, out):
    return (np.reshape(g, np.shape(a)),)


@jvp(np.atleast_1d)
def _(a, *, out):
    return (np.atleast_1d(a_dot),)  # noqa: F821


@jvp(np.atleast_2d)
def _(a, *, out):
    return (np.atleast_2d(a_dot),)  # noqa: F821


@jvp(np.atleast_3d)
def _(a, *, out):
    return (np.atleast_3d(a_dot),)  # noqa: F821


# --------------------------------------------------------------- repeating


@helper
def _repeat_vjp(g, a, repeats, axis):
    """The adjoint of ``np.repeat(a, repeats, axis)``: the copies of each element summed."""
    shape = np.shape(a)
    moved = np.reshape(g, (-1,)) if axis is None else np.moveaxis(g, axis, 0)
    length = np.size(a) if axis is None else shape[axis]
    if isinstance(repeats, int) or np.ndim(repeats) == 0 or np.size(repeats) == 1:
        count = int(np.reshape(repeats, -1)[0])
        summed = np.sum(np.reshape(moved, (length, count) + np.shape(moved)[1:]), axis=1)
    else:
        summed = np.zeros((length,) + np.shape(moved)[1:], dtype=np.result_type(g, 0.0))
        np.add.at(summed, np.repeat(np.arange(length), repeats), moved)
    return np.reshape(summed, shape) if axis is None else np.moveaxis(summed, 0, axis)


@vjp(np.repeat)
def _(g, a, repeats=1, axis=None, *, out):
    return (_repeat_vjp(g, a, repeats, axis),)


@jvp(np.repeat)
def _(a, repeats=1, axis=None, *, out):
    return (np.repeat(a_dot, repeats, axis),)  # noqa: F821


@jvp(_repeat_vjp)
def _(g, a=None, repeats=1, axis=None, *, out):
    return (_repeat_vjp(g_dot, a, repeats, axis),)  # noqa: F821


@helper
def _tile_vjp(g, a, reps):
    """The adjoint of ``np.tile(a, reps)``: the tiles of ``g`` summed."""
    shape = np.shape(a)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    ndim = max(len(shape), len(reps))
    sizes = (1,) * (ndim - len(shape)) + tuple(shape)
    counts = (1,) * (ndim - len(reps)) + reps
    split = [n for pair in zip(counts, sizes) for n in pair]  # (r0, s0, r1, s1, ...)
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(summed, shape)


@vjp(np.tile)
def _(g, A, reps=1, *, out):
    return (_tile_vjp(g, A, reps),)


@jvp(np.tile)
def _(A, reps=1, *, out):
    return (np.tile(A_dot, reps),)  # noqa: F821


@jvp(_tile_vjp)
def _(g, a=None, reps=1, *, out):
    return (_tile_vjp(g_dot, a, reps),)  # noqa: F821


@helper
def _kron_vjp(g, a, b, which):
    """The adjoint of operand ``which`` (0 or 1) of ``np.kron(a, b)``."""
    ndim = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    sb = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])  # (a0, b0, a1, b1, ...)
    a_axes, b_axes = tuple(range(0, 2 * ndim, 2)), tuple(range(1, 2 * ndim, 2))
    if which == 0:
        t = np.sum(blocks * np.expand_dims(np.reshape(b, sb), a_axes), axis=b_axes)
        return np.reshape(t, np.shape(a))
    t = np.sum(blocks * np.expand_dims(np.reshape(a, sa), b_axes), axis=a_axes)
    return np.reshape(t, np.shape(b))


@vjp(np.kron)
def _(g, a, b, *, out):
    return (_kron_vjp(g, a, b, 0), _kron_vjp(g, a, b, 1))


@jvp(np.kron)
def _(a, b, *, out):
    return (np.kron(a_dot, b), np.kron(a, b_dot))  # noqa: F821


@jvp(_kron_vjp)
def _(g, a, b, which=0, *, out):
    return (_kron_vjp(g_dot, a, b, which),  # noqa: F821
            _kron_vjp(g, a_dot, b, which) if which else 0.0,  # noqa: F821
            0.0 if which else _kron_vjp(g, a, b_dot, which))  # noqa: F821


# --------------------------------------------------------------- stacking

# The tangent of the list of arrays is the list of their tangents (0.0 for an
# item without one): ``_tangents`` makes each an array of its item's shape.


@helper
def _unjoin(g, arrays, pieces, axis):
    """The adjoints of ``arrays``, joined as ``pieces`` (the arrays raised to a common number
    of dimensions) along ``axis``: the slices of ``g``, in each array's shape; one array
    when ``arrays`` is one (its rows were joined), a list for a list."""
    ends = np.cumsum([np.shape(p)[axis] for p in pieces])[:-1]
    bars = [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, ends, axis=axis), arrays)]
    return bars if type(arrays) is list else np.reshape(bars, np.shape(arrays))


@helper
def _hstack_vjp(g, arrays):
    pieces = [np.atleast_1d(a) for a in arrays]
    return _unjoin(g, arrays, pieces, 0 if np.ndim(pieces[0]) == 1 else 1)


@helper
def _vstack_vjp(g, arrays):
    return _unjoin(g, arrays, [np.atleast_2d(a) for a in arrays], 0)


@helper
def _dstack_vjp(g, arrays):
    return _unjoin(g, arrays, [np.atleast_3d(a) for a in arrays], 2)


@helper
def _column_stack_vjp(g, arrays):
    pieces = [np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a for a in arrays]
    return _unjoin(g, arrays, pieces, 1)


@vjp(np.hstack)
def _(g, tup, *, out):
    return (_hstack_vjp(g, tup),)


@jvp(np.hstack)
def _(tup, *, out):
    return (np.hstack(_tangents(tup, tup_dot)),)  # noqa: F821


@vjp(np.vstack, np.row_stack)
def _(g, tup, *, out):
    return (_vstack_vjp(g, tup),)


@jvp(np.vstack, np.row_stack)
def _(tup, *, out):
    return (np.vstack(_tangents(tup, tup_dot)),)  # noqa: F821


@vjp(np.dstack)
def _(g, tup, *, out):
    return (_dstack_vjp(g, tup),)


@jvp(np.dstack)
def _(tup, *, out):
    return (np.dstack(_tangents(tup, tup_dot)),)  # noqa: F821


@vjp(np.column_stack)
def _(g, tup, *, out):
    return (_column_stack_vjp(g, tup),)


@jvp(np.column_stack)
def _(tup, *, out):
    return (np.column_stack(_tangents(tup, tup_dot)),)  # noqa: F821


# The helpers above are linear in ``g``: their tangents (Hessians of stacking code).
@jvp(_hstack_vjp)
def _(g, arrays, *, out):
    return (_hstack_vjp(g_dot, arrays), None)  # noqa: F821


@jvp(_vstack_vjp)
def _(g, arrays, *, out):
    return (_vstack_vjp(g_dot, arrays), None)  # noqa: F821


@jvp(_dstack_vjp)
def _(g, arrays, *, out):
    return (_dstack_vjp(g_dot, arrays), None)  # noqa: F821


@jvp(_column_stack_vjp)
def _(g, arrays, *, out):
    return (_column_stack_vjp(g_dot, arrays), None)  # noqa: F821


@helper
def _append_vjp(g, arr, values, axis, which):
    """The adjoint of ``arr`` (``which`` 0) or ``values`` (1) of ``np.append(arr, values, axis)``:
    its part of ``g``, in its shape."""
    if axis is None:
        part = g[: np.size(arr)] if which == 0 else g[np.size(arr):]
    else:
        part = np.split(g, [np.shape(arr)[axis]], axis)[which]
    return np.reshape(part, np.shape(values if which else arr))


@vjp(np.append)
def _(g, arr, values, axis=None, *, out):
    return (np.reshape(g[: np.size(arr)], np.shape(arr)) if axis is None
            else _append_vjp(g, arr, values, axis, 0),
            np.reshape(g[np.size(arr):], np.shape(values)) if axis is None
            else _append_vjp(g, arr, values, axis, 1))


@jvp(_append_vjp)
def _(g, arr=None, values=None, axis=None, which=0, *, out):
    return (_append_vjp(g_dot, arr, values, axis, which),)  # noqa: F821


@jvp(np.append)
def _(arr, values, axis=None, *, out):
    return (np.append(arr_dot, np.zeros(np.shape(values)), axis),  # noqa: F821
            np.append(np.zeros(np.shape(arr)), values_dot, axis))  # noqa: F821


# --------------------------------------------------------------- splitting


@helper
def _piece(ary, index, how, sections, axis=0):
    """Piece ``index`` of ``np.<how>(ary, sections[, axis])`` (``how``: "split",
    "array_split", "hsplit", "vsplit" or "dsplit")."""
    if how in ("split", "array_split"):
        return getattr(np, how)(ary, sections, axis)[index]
    return getattr(np, how)(ary, sections)[index]


@helper
def _piece_adjoint(g, ary, index, how, sections, axis=0):
    """The adjoint of ``ary`` from that of its piece ``index``: ``g`` where the piece
    was, zeros elsewhere (the piece of an array of flat indices says where)."""
    size = np.size(ary)
    where = _piece(np.reshape(np.arange(size), np.shape(ary)), index, how, sections, axis)
    out = np.zeros(size, dtype=np.result_type(g, 0.0))
    out[np.ravel(where)] = np.ravel(g)
    return np.reshape(out, np.shape(ary))


@vjp(_piece)
def _(g, ary, index=0, how="split", sections=1, axis=0, *, out):
    return (_piece_adjoint(g, ary, index, how, sections, axis),)


@jvp(_piece)
def _(ary, index=0, how="split", sections=1, axis=0, *, out):
    return (_piece(ary_dot, index, how, sections, axis),)  # noqa: F821


@jvp(_piece_adjoint)
def _(g, ary=None, index=0, how="split", sections=1, axis=0, *, out):
    return (_piece_adjoint(g_dot, ary, index, how, sections, axis),)  # noqa: F821


SPLITTING = (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit)


def split_count(fn, sections) -> int | None:
    """How many pieces ``fn(ary, sections)`` (one of :data:`SPLITTING`) gives, when a constant
    ``sections`` (a number of sections or the split points) tells; else None."""
    if isinstance(sections, bool):
        return None
    if isinstance(sections, int):
        return sections if sections > 0 else None
    if isinstance(sections, (tuple, list)) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in sections):
        return len(sections) + 1
    return None


# --------------------------------------------------------------- differences, sums


@helper
def _diff_vjp(g, n, axis):
    """The adjoint of ``np.diff(a, n, axis)``: ``n`` times the transposed difference."""
    for _ in range(n):
        g = -np.diff(g, 1, axis, prepend=0, append=0)
    return g


@vjp(np.diff)
def _(g, a, n=1, axis=-1, *, out):
    return (_diff_vjp(g, n, axis),)


@jvp(np.diff)
def _(a, n=1, axis=-1, *, out):
    return (np.diff(a_dot, n, axis),)  # noqa: F821


@jvp(_diff_vjp)
def _(v, n=1, axis=-1, *, out):
    return (_diff_vjp(v_dot, n, axis),)  # noqa: F821


@vjp(_diff_vjp)  # (reverse mode over reverse code: the transpose, n differences)
def _(g, v, n=1, axis=-1, *, out):
    return (np.diff(g, n, axis),)


@vjp(np.cumsum)
def _(g, a, axis=None, *, out):
    return (np.reshape(np.cumsum(g[::-1])[::-1], np.shape(a)) if axis is None
            else np.flip(np.cumsum(np.flip(g, axis), axis), axis),)


@jvp(np.cumsum)
def _(a, axis=None, *, out):
    return (np.cumsum(a_dot, axis),)  # noqa: F821


@helper
def _along_last(x, axis):
    """``x`` with ``axis`` moved last (None: flattened)."""
    return np.ravel(x) if axis is None else np.moveaxis(np.asarray(x), axis, -1)


@helper
def _cumprod_partials(a):
    """``p[..., j, i]``: ∂ cumprod(a)[..., i] / ∂ a[..., j] along the last axis, without
    dividing (exact at zeros): the running product with ``a[j]`` left out, for i >= j."""
    n = np.shape(a)[-1]
    rows = np.repeat(np.expand_dims(a, -2), n, axis=-2)
    rows[..., np.arange(n), np.arange(n)] = 1.0
    return np.triu(np.cumprod(rows, axis=-1))


@helper
def _cumprod_vjp(g, a, out, axis):
    """The adjoint of ``np.cumprod(a, axis)``."""
    g, x, y = _along_last(g, axis), _along_last(a, axis), _along_last(out, axis)
    if np.all(x != 0):
        t = np.cumsum((g * y)[..., ::-1], axis=-1)[..., ::-1] / x
    else:
        t = np.sum(_cumprod_partials(x) * np.expand_dims(g, -2), axis=-1)
    return np.reshape(t, np.shape(a)) if axis is None else np.moveaxis(t, -1, axis)


@helper
def _cumprod_jvp(a, a_dot, out, axis):
    """The tangent of ``np.cumprod(a, axis)`` along ``a_dot``."""
    t, x, y = _along_last(a_dot, axis), _along_last(a, axis), _along_last(out, axis)
    if np.all(x != 0):
        d = y * np.cumsum(t / x, axis=-1)
    else:
        d = np.sum(_cumprod_partials(x) * np.expand_dims(t, -1), axis=-2)
    return d if axis is None else np.moveaxis(d, -1, axis)


@vjp(np.cumprod)
def _(g, a, axis=None, *, out):
    return (_cumprod_vjp(g, a, out, axis),)


@jvp(np.cumprod)
def _(a, axis=None, *, out):
    return (_cumprod_jvp(a, a_dot, out, axis),)  # noqa: F821


# --------------------------------------------------------------- diagonals


@helper
def _on_diagonal(g, a, offset, axis1, axis2):
    """The adjoint of ``np.diagonal(a, offset, axis1, axis2)``: ``g``'s last axis written
    on that diagonal of an array of ``a``'s shape, zeros elsewhere."""
    shape = np.shape(a)
    first, second = axis1 % len(shape), axis2 % len(shape)
    rest = tuple(n for i, n in enumerate(shape) if i not in (first, second))
    m = np.zeros(rest + (shape[first], shape[second]), dtype=np.result_type(g, 0.0))
    k = np.shape(g)[-1]
    rows = np.arange(k) + max(-offset, 0)
    m[..., rows, rows + offset] = g
    return np.moveaxis(m, (-2, -1), (first, second))


@helper
def _trace_vjp(g, a, offset, axis1, axis2):
    """The adjoint of ``np.trace(a, offset, axis1, axis2)``: ``g`` on that diagonal."""
    shape = np.shape(a)
    first, second = axis1 % len(shape), axis2 % len(shape)
    rows = np.expand_dims(np.arange(shape[first]), tuple(range(1, len(shape) - first)))
    cols = np.expand_dims(np.arange(shape[second]), tuple(range(1, len(shape) - second)))
    mask = cols - rows == offset
    return np.where(mask, np.expand_dims(g, (first, second)), 0.0)


@vjp(np.trace)
def _(g, a, offset=0, axis1=0, axis2=1, *, out):
    return (_trace_vjp(g, a, offset, axis1, axis2),)


@jvp(np.trace)
def _(a, offset=0, axis1=0, axis2=1, *, out):
    return (np.trace(a_dot, offset, axis1, axis2),)  # noqa: F821


@vjp(np.diagonal)
def _(g, a, offset=0, axis1=0, axis2=1, *, out):
    return (_on_diagonal(g, a, offset, axis1, axis2),)


@jvp(np.diagonal)
def _(a, offset=0, axis1=0, axis2=1, *, out):
    return (np.diagonal(a_dot, offset, axis1, axis2),)  # noqa: F821


@helper
def _diag_vjp(g, v, k):
    """The adjoint of ``np.diag(v, k)``: a diagonal of ``g`` (1-D ``v``), or ``g`` on the
    diagonal of a matrix of ``v``'s shape (2-D ``v``)."""
    return np.diagonal(g, k) if np.ndim(v) == 1 else _on_diagonal(g, v, k, 0, 1)


@vjp(np.diag)
def _(g, v, k=0, *, out):
    return (_diag_vjp(g, v, k),)


@jvp(np.diag)
def _(v, k=0, *, out):
    return (np.diag(v_dot, k),)  # noqa: F821


# ``triu``/``tril`` of a 1-D array give a matrix of copies of it: the un-broadcast sums them.
@vjp(np.triu)
def _(g, m, k=0, *, out):
    return (_unbroadcast(np.triu(g, k), m),)


@jvp(np.triu)
def _(m, k=0, *, out):
    return (np.triu(m_dot, k),)  # noqa: F821


@vjp(np.tril)
def _(g, m, k=0, *, out):
    return (_unbroadcast(np.tril(g, k), m),)


@jvp(np.tril)
def _(m, k=0, *, out):
    return (np.tril(m_dot, k),)  # noqa: F821


@jvp(_on_diagonal)
def _(g, a=None, offset=0, axis1=0, axis2=1, *, out):
    return (_on_diagonal(g_dot, a, offset, axis1, axis2),)  # noqa: F821


@jvp(_trace_vjp)
def _(g, a=None, offset=0, axis1=0, axis2=1, *, out):
    return (_trace_vjp(g_dot, a, offset, axis1, axis2),)  # noqa: F821


@jvp(_diag_vjp)
def _(g, v=None, k=0, *, out):
    return (_diag_vjp(g_dot, v, k),)  # noqa: F821


# --------------------------------------------------------------- padding

COPYING_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@helper
def _pad_vjp(g, array, pad_width, mode):
    """The adjoint of ``np.pad(array, pad_width, mode)`` for a mode that copies elements: the
    inner block of ``g`` ("constant"), plus the copies of each element ("edge", "reflect"…)."""
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant":
        return g[tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, shape))]
    source = np.pad(np.reshape(np.arange(np.size(array)), shape), pad_width, mode)
    summed = np.bincount(np.ravel(source), np.ravel(g), minlength=np.size(array))
    return np.reshape(summed, shape)


@vjp(np.pad)
def _(g, array, pad_width=0, mode="constant", constant_values=0, *, out):
    return (_pad_vjp(g, array, pad_width, mode),)


@jvp(np.pad)
def _(array, pad_width=0, mode="constant", constant_values=0, *, out):
    return (np.pad(array_dot, pad_width, mode),)  # noqa: F821


@jvp(_pad_vjp)
def _(g, array=None, pad_width=0, mode="constant", *, out):
    return (_pad_vjp(g_dot, array, pad_width, mode),)  # noqa: F821


@refuse(np.pad)
def _(args, kwargs):
    mode = args[2] if len(args) > 2 else kwargs.get("mode", "constant")
    if mode not in COPYING_MODES:
        return (f"np.pad with mode {mode!r} (the modes differentiated are "
                f"{', '.join(COPYING_MODES)}, written as constants)")
    return None


# --------------------------------------------------------------- sorting


@helper
def _sources(a, out, axis):
    """For each element of ``out`` (``a`` sorted or partitioned along ``axis``, None:
    flattened), the index along ``axis`` of the element of ``a`` it is."""
    order = np.argsort(a, axis=axis)
    ranks = np.argsort(np.argsort(out, axis=axis), axis=axis)
    return np.take_along_axis(order, ranks, axis=axis)


@helper
def _scatter_along(g, a, index, axis):
    """The adjoint of ``np.take_along_axis(a, index, axis)`` for a permutation ``index``."""
    out = np.zeros(np.shape(a) if axis is not None else np.size(a),
                   dtype=np.result_type(g, 0.0))
    np.put_along_axis(out, index, g, axis=axis if axis is not None else 0)
    return np.reshape(out, np.shape(a))


@vjp(np.sort)
def _(g, a, axis=-1, kind=None, *, out):
    return (_scatter_along(g, a, np.argsort(a, axis=axis, kind="stable"), axis),)


@jvp(np.sort)
def _(a, axis=-1, kind=None, *, out):
    return (np.take_along_axis(a_dot, np.argsort(a, axis=axis, kind="stable"), axis=axis),)  # noqa: F821


@vjp(np.partition)
def _(g, a, kth=0, axis=-1, kind="introselect", *, out):
    return (_scatter_along(g, a, _sources(a, out, axis), axis),)


@jvp(np.partition)
def _(a, kth=0, axis=-1, kind="introselect", *, out):
    return (np.take_along_axis(a_dot, _sources(a, out, axis), axis=axis),)  # noqa: F821


@jvp(_scatter_along)
def _(v, a=None, index=None, axis=-1, *, out):
    return (_scatter_along(v_dot, a, index, axis),)  # noqa: F821


@vjp(_scatter_along)  # (reverse mode over reverse code: the transpose, a gather)
def _(g, v, a=None, index=None, axis=-1, *, out):
    return (np.take_along_axis(g, index, axis=axis),)


# --------------------------------------------------------------- gradient, select, astype


@helper
def _gradient_matrix(f, spacing, axis, edge_order):
    """The matrix ``D`` with ``np.gradient(f, spacing, axis=axis, edge_order=edge_order)``
    equal to ``D`` applied along ``axis`` (the gradient of each unit vector)."""
    n = np.shape(f)[0 if axis is None else axis]
    return np.gradient(np.eye(n), spacing, axis=0, edge_order=edge_order)


@helper
def _gradient_vjp(g, f, spacing, axis, edge_order):
    """The adjoint of ``np.gradient(f, spacing, axis=axis, edge_order=edge_order)``."""
    d = _gradient_matrix(f, spacing, axis, edge_order)
    along = 0 if axis is None else axis
    return np.moveaxis(np.tensordot(d, g, axes=([0], [along])), 0, along)


@vjp(np.gradient)
def _(g, f, varargs=1.0, axis=None, edge_order=1, *, out):
    return (_gradient_vjp(g, f, varargs, axis, edge_order),)


@jvp(np.gradient)
def _(f, varargs=1.0, axis=None, edge_order=1, *, out):
    return (np.gradient(f_dot, varargs, axis=axis, edge_order=edge_order),)  # noqa: F821


@jvp(_gradient_vjp)
def _(g, f=None, spacing=1.0, axis=None, edge_order=1, *, out):
    return (_gradient_vjp(g_dot, f, spacing, axis, edge_order),)  # noqa: F821


@refuse(np.gradient)
def _(args, kwargs):
    axis = kwargs.get("axis")
    if axis is UNKNOWN or isinstance(axis, bool) or not isinstance(axis, int):
        return ("np.gradient without one axis written as a number (over several axes its "
                "result is a list; give axis=0 for a 1-D array)")
    return None


@helper
def _chosen(condlist, count):
    """Which choice ``np.select(condlist, choices)`` takes at each element (``count``: the
    default)."""
    return np.select(condlist, list(range(count)), count)


@helper
def _select_vjp(g, condlist, choicelist):
    """The adjoints of the choices of ``np.select(condlist, choicelist, default)``."""
    which = _chosen(condlist, len(choicelist))
    return [_unbroadcast(np.where(which == k, g, 0.0), c) for k, c in enumerate(choicelist)]


# ``default`` is an input: None when not given (then it has no derivative to take).
@vjp(np.select)
def _(g, condlist, choicelist, default, *, out):
    return (None, _select_vjp(g, condlist, choicelist),
            _unbroadcast(np.where(_chosen(condlist, len(choicelist)) == len(choicelist),
                                  g, 0.0), default))


@jvp(np.select)
def _(condlist, choicelist, default, *, out):
    return (None, np.select(condlist, _tangents(choicelist, choicelist_dot), 0.0),  # noqa: F821
            np.where(_chosen(condlist, len(choicelist)) == len(choicelist),  # noqa: F821
                     default_dot, 0.0))  # noqa: F821


@jvp(_select_vjp)
def _(g, condlist=None, choicelist=None, *, out):
    return (_select_vjp(g_dot, condlist, choicelist),)  # noqa: F821


# ``x.astype(float)`` is ``np.astype(x, float)``: the identity on the values it keeps.
@vjp(np.astype)
def _(g, x, dtype=None, *, out):
    return (g,)


@jvp(np.astype)
def _(x, dtype=None, *, out):
    return (np.astype(x_dot, dtype),)  # noqa: F821


@refuse(np.astype)
def _(args, kwargs):
    dtype = args[1] if len(args) > 1 else kwargs.get("dtype")
    try:
        inexact = np.issubdtype(np.dtype(dtype), np.floating)
    except TypeError:
        inexact = False
    if dtype is UNKNOWN or not inexact:
        return ("astype to a dtype that is not a floating one written as a constant "
                "(a cast to integers has derivative 0: cut the value off with np.floor)")
    return None


constant(_rolled_to, _sources, _chosen, _gradient_matrix, _cumprod_partials)

convention("at ties the adjoint goes to one of the equal elements (the one the sort put "
           "there)", np.sort, np.partition)
convention("exact at zeros (products of the other factors, no division)", np.cumprod)
convention("the derivative of the chosen branch; none through the conditions", np.select)

# Rules whose tangent templates read the list of the tangents of a list argument.
LIST_INPUTS = (np.hstack, np.vstack, np.row_stack, np.dstack, np.column_stack, np.select)
