"""NumPy rules: elementwise functions as edge partials, the rest as VJP/JVP templates.

Elementwise functions (ufuncs) state edge partials with :func:`partials`, as
for scalars, but every template must also work on arrays: no ``if``/``else``
on a comparison of values (``np.where`` instead), no ``math``.  The emitters
multiply a partial by the output's adjoint or the input's tangent and, in
reverse, un-broadcast with :func:`_unbroadcast`.

Everything else (reductions, linear algebra, shape changes) has a VJP and a
JVP template (:func:`vjp`, :func:`jvp`).  Parameters without defaults are the
inputs, parameters with defaults are options (``axis``, ``keepdims``…), never
differentiated.  Options are matched by name: the order of a rule's options is
not always NumPy's positional order, so a call passing by position an option
that is not NumPy's parameter there (``np.sum(x, 0, None, None, True)``), a
keyword the rule does not read (``where=``), or a varied option is refused
at generation.  The ``@helper`` functions are copied into generated modules:
they use only ``np`` and builtins, and call only each other.

Conventions at non-differentiable points follow JAX, as the scalar rules:

- ``abs``/``fabs`` at 0: 1.  ``maximum``/``minimum`` at a tie: 0.5 to each;
  ``fmax``/``fmin`` too, and all to the other argument where one is NaN.
- ``sinc`` at 0: 0.  ``nan_to_num``: 0 where it replaced NaN or an infinity.
- ``real``, ``conj`` of real input: the identity; ``imag``: constant.
- ``clip(a, lo, hi)`` is ``minimum(maximum(a, lo), hi)``: 1 strictly inside,
  0 strictly outside, 0.5 to ``a`` and 0.5 to the bound at a boundary.
- ``max``/``min``/``amax``/``amin`` reductions: the adjoint is split equally
  among the elements equal to the extremum.
- ``sign``, ``floor``, ``ceil``, ``round``, ``floor_divide``, comparisons,
  ``argmax``/``argmin``: constant.
- ``prod``: exact at zeros (products of the other elements, no division).
- ``power(x, y)`` in ``y`` at ``x == 0``: 0; in ``x`` where ``y == 0``: 0.
- ``std``: 0 where the variance is 0 (as autograd); ``linalg.norm``: 0 at a
  zero norm, the adjoint shared equally at ties (``ord=inf``, matrix ``ord=1``).

Limits, refused at generation with a located error (see :func:`refuse`):
``einsum`` only with a literal subscripts string (not the interleaved form)
and at most four operands; ``logsumexp`` without ``return_sign``; no
derivative through an option (``b`` of ``logsumexp``, an ``axis``…); the
second derivative of the matrix 2-norms and nuclear norm.
``concatenate``/``stack`` (and ``np.r_``/``np.c_``) are in :mod:`.joining`.
``arange`` is constant: a float ``start`` that depends on an input is not
differentiated.
"""

import operator

import numpy as np

from .registry import UNKNOWN, constant, convention, helper, jvp, partials, refuse, vjp

# ---------------------------------------------------------------- helpers


@helper
def _shape(x):
    """``np.shape(x)``, quicker on arrays (helpers ask it often)."""
    kind = type(x)
    if kind is np.ndarray:
        return x.shape
    return () if kind is float or kind is np.float64 else np.shape(x)


@helper
def _unbroadcast(g, x):
    """Sum ``g`` over the axes along which ``x`` was broadcast to ``g``'s shape.

    (``np.add.reduce`` is ``np.sum`` without its Python-level wrapper.)
    """
    shape = _shape(x)
    if _shape(g) == shape:
        return g
    if not shape:
        return np.add.reduce(g, axis=None)
    lead = np.ndim(g) - len(shape)
    if lead:
        g = np.add.reduce(g, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    return np.add.reduce(g, axis=axes, keepdims=True) if axes else g


@helper
def _keep(v, axis, keepdims):
    """The result ``v`` of a reduction over ``axis``, with the reduced axes put back as size 1."""
    if keepdims or axis is None or not np.ndim(v):  # a number spreads as it is
        return v
    return np.expand_dims(v, axis)


@helper
def _unreduce(g, x, axis, keepdims):
    """The adjoint ``g`` of a reduction of ``x`` over ``axis``, spread back to ``x``'s shape."""
    return np.broadcast_to(_keep(g, axis, keepdims), np.shape(x))


@helper
def _spread(c, x):
    """The number ``c`` at every element of an array shaped like ``x``.

    A VJP template returning ``_spread(c, x)`` for input ``x`` gives it a
    uniform adjoint: the reverse emitter keeps the number ``c`` and spreads
    it only where an array is needed.
    """
    shape = np.shape(x)
    return np.full(shape, c, dtype=np.result_type(c, np.asarray(x), np.float16)) if shape else c


@helper
def _copies(z, x):
    """How many elements of ``z`` each element of ``x`` was broadcast to (0 if none)."""
    n = x.size if type(x) is np.ndarray else np.size(x)
    return (z.size if type(z) is np.ndarray else np.size(z)) // n if n else 0


@helper
def _unbroadcast_from(g, z, x):
    """``g`` spread over ``z``'s shape (it broadcasts to it), then summed to ``x``'s shape."""
    shape = _shape(z)
    if _shape(g) == shape == _shape(x):
        return g
    return _unbroadcast(g if _shape(g) == shape else np.broadcast_to(g, shape), x)


@helper
def _full_tangent(t, *operands):
    """The tangent ``t`` of a broadcasting operation, spread to its result's shape."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in operands))
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


@helper
def _prod_others(x, axis):
    """For each element of ``x``, the product of the other elements reduced with it (no division)."""
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = np.transpose(x, rest + axes)
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, tuple(np.argsort(rest + axes)))


@helper
def _prod_others_jvp(x, x_dot, axis):
    """The tangent of ``_prod_others(x, axis)``: the prefix and suffix products of
    each element and their tangents, by the product rule along the axis."""
    x = np.asarray(x, dtype=float)
    x_dot = np.broadcast_to(x_dot, x.shape)
    axes = tuple(range(x.ndim)) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    order = rest + axes
    lead = tuple(x.shape[a] for a in rest)
    flat, flat_dot = (np.transpose(v, order).reshape(lead + (-1,)) for v in (x, x_dot))
    products = []
    for c, c_dot in ((flat, flat_dot), (flat[..., ::-1], flat_dot[..., ::-1])):
        p, p_dot = np.ones(c.shape), np.zeros(c.shape)  # of c[..., :k], and its tangent
        for k in range(1, c.shape[-1]):
            p[..., k] = p[..., k - 1] * c[..., k - 1]
            p_dot[..., k] = p_dot[..., k - 1] * c[..., k - 1] + p[..., k - 1] * c_dot[..., k - 1]
        products.append((p, p_dot))
    (left, left_dot), (right, right_dot) = products[0], [v[..., ::-1] for v in products[1]]
    out = (left_dot * right + left * right_dot).reshape(np.transpose(x, order).shape)
    return np.transpose(out, tuple(np.argsort(order)))


@helper
def _extremum_share(x, out, axis, keepdims):
    """The share of the adjoint of ``max``/``min`` going to each element: ties split equally."""
    mask = (x == _keep(out, axis, keepdims)).astype(float)
    return mask / np.sum(mask, axis=axis, keepdims=True)


@helper
def _mean_count(x, axis, ddof=0):
    """The number of elements of ``x`` reduced together over ``axis``, minus ``ddof``."""
    if axis is None:
        return np.size(x) - ddof
    n = 1
    for a in (axis,) if isinstance(axis, int) else axis:
        n *= np.shape(x)[a]
    return n - ddof


@helper
def _centered(x, axis):
    return x - np.mean(x, axis=axis, keepdims=True)


@helper
def _reciprocal_or_zero(v):
    """``1 / v``, with 0 where ``v`` is 0."""
    zero = v == 0  # (integer literals: exact on the SymPy values of the verifier)
    return np.where(zero, 0, 1 / np.where(zero, 1, v))[()]


@helper
def _sign(x):
    """The derivative of ``abs``, as JAX: 1 at 0."""
    return np.where(x >= 0, 1.0, -1.0)


@helper
def _ties(v, best, axis):
    """1 where ``v`` equals ``best`` (kept dims), shared equally among the ties along ``axis``."""
    mask = (v == best).astype(float)
    return mask / np.sum(mask, axis=axis, keepdims=True)


@helper
def _is_matrix_norm(x, ord, axis):
    """Whether ``np.linalg.norm(x, ord, axis)`` is a matrix norm (else a vector norm)."""
    if axis is None:
        return np.ndim(x) == 2 and ord is not None
    return not isinstance(axis, int) and len(axis) == 2


@helper
def _norm_power(x, ord, axis):
    """The ``p`` of a norm whose partial is sign(x) |x|^(p-1) / ‖x‖^(p-1) (2: Frobenius), None
    where the partial is piecewise constant, nan for the 2-norms and nuclear norm of matrices."""
    if _is_matrix_norm(x, ord, axis):
        return 2.0 if ord in (None, "fro") else np.nan if ord in ("nuc", 2, -2) else None
    return 2.0 if ord is None else None if ord in (0, 1, np.inf, -np.inf) else ord


@helper
def _norm_partial_dx(x, ord, axis, norm, x_dot):
    """The term of ``x_dot`` in the tangent of ``_norm_partial(x, ord, axis, norm)``."""
    p = _norm_power(x, ord, axis)
    if p is None:
        return np.zeros(np.shape(x_dot))
    return (p - 1) * np.abs(x) ** (p - 2) * x_dot * _reciprocal_or_zero(norm) ** (p - 1)


@helper
def _norm_partial_dnorm(x, ord, axis, norm, norm_dot):
    """The term of ``norm_dot`` in the tangent of ``_norm_partial(x, ord, axis, norm)``."""
    p = _norm_power(x, ord, axis)
    if p is None:
        return np.zeros(np.shape(x))
    return (1 - p) * _norm_partial(x, ord, axis, norm) * _reciprocal_or_zero(norm) * norm_dot


@helper
def _vector_norm_partial(x, ord, axis, norm):
    """∂‖x‖/∂x along ``axis`` (None: all of ``x``), ``norm`` with kept dims; 0 where it is 0."""
    if ord is None or ord == 2:
        return x * _reciprocal_or_zero(norm)
    if ord == 0:
        return np.zeros(np.shape(x))
    if ord == 1:
        return _sign(x)
    if ord in (np.inf, -np.inf):
        return _sign(x) * _ties(np.abs(x), norm, axis)
    return _sign(x) * np.abs(x) ** (ord - 1) * _reciprocal_or_zero(norm) ** (ord - 1)


@helper
def _matrix_norm_partial(m, ord, norm):
    """∂‖m‖/∂m of the matrices in the last two axes of ``m``, ``norm`` with kept dims."""
    if ord in (None, "fro"):
        return m * _reciprocal_or_zero(norm)
    if ord in ("nuc", 2, -2):
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            return u @ vt
        k = 0 if ord == 2 else -1  # the largest or the smallest singular value
        return u[..., :, k:k + 1 or None] @ vt[..., k:k + 1 or None, :]
    rows = ord in (np.inf, -np.inf)  # ±inf: the largest row sum of |m|; ±1: column
    sums = np.sum(np.abs(m), axis=-1 if rows else -2, keepdims=True)
    best = np.max(sums, axis=-2 if rows else -1, keepdims=True) if ord > 0 else np.min(
        sums, axis=-2 if rows else -1, keepdims=True)
    return _sign(m) * _ties(sums, best, -2 if rows else -1)


@helper
def _norm_partial(x, ord, axis, norm):
    """∂ np.linalg.norm(x, ord, axis) / ∂x, elementwise, ``norm`` with kept dims (as
    NumPy: a matrix norm for a 2-tuple ``axis``, or a 2-D ``x``, ``ord`` and no ``axis``)."""
    x = np.asarray(x)  # (a list given to norm)
    if not _is_matrix_norm(x, ord, axis):
        return _vector_norm_partial(x, ord, axis, norm)
    axes = (0, 1) if axis is None else axis
    m = np.moveaxis(x, axes, (-2, -1))
    n = np.moveaxis(np.broadcast_to(norm, np.shape(x)), axes, (-2, -1))[..., :1, :1]
    return np.moveaxis(_matrix_norm_partial(m, ord, n), (-2, -1), axes)


@helper
def _inverse_axes(axes, ndim):
    """The permutation undoing ``np.transpose(_, axes)``."""
    return tuple(np.argsort([i % ndim for i in axes]))


@helper
def _transposed(a):
    """The matrix transpose of the last two axes."""
    return np.swapaxes(a, -1, -2)


@helper
def _matmul_vjp(g, a, b, which):
    """The adjoint of operand ``which`` (0 or 1) of ``a @ b`` (1-D operands and batches too)."""
    if which == 0 and len(_shape(b)) == 2:  # (..., m, k) or (k,) @ (k, n): a is not broadcast
        return g @ np.asarray(b).T
    if which == 1 and len(_shape(a)) == 2:  # (m, k) @ (..., k, n) or (k,): b is not broadcast
        return np.asarray(a).T @ g
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    g2 = np.asarray(g)
    if np.ndim(b) == 1:
        g2 = g2[..., None]
    if np.ndim(a) == 1:
        g2 = np.expand_dims(g2, -2)
    if which == 0:
        return np.reshape(_unbroadcast(g2 @ _transposed(b2), a2), np.shape(a))
    return np.reshape(_unbroadcast(_transposed(a2) @ g2, b2), np.shape(b))


@helper
def _dot_vjp(g, a, b, which):
    """The adjoint of operand ``which`` of ``np.dot(a, b)``, for any number of dimensions."""
    p, q = np.ndim(a), np.ndim(b)
    if p == 0 or q == 0:
        return _unbroadcast(g * b, a) if which == 0 else _unbroadcast(g * a, b)
    if q == 1:
        if which == 0:
            return np.multiply.outer(g, b)
        return np.tensordot(g, a, axes=(tuple(range(p - 1)), tuple(range(p - 1))))
    if which == 0:
        b_axes = tuple(i for i in range(q) if i != q - 2)
        return np.tensordot(g, b, axes=(tuple(range(p - 1, p + q - 2)), b_axes))
    t = np.tensordot(a, g, axes=(tuple(range(p - 1)), tuple(range(p - 1))))
    return np.moveaxis(t, 0, q - 2)


@helper
def _inner_vjp(g, a, b, which):
    """The adjoint of operand ``which`` of ``np.inner(a, b)``."""
    p, q = np.ndim(a), np.ndim(b)
    if p == 0 or q == 0:
        return _unbroadcast(np.sum(g * b) if p == 0 else g * b, a) if which == 0 else (
            _unbroadcast(np.sum(g * a) if q == 0 else g * a, b))
    if which == 0:
        return np.tensordot(g, b, axes=(tuple(range(p - 1, p + q - 2)), tuple(range(q - 1))))
    return np.tensordot(g, a, axes=(tuple(range(p - 1)), tuple(range(p - 1))))


@helper
def _tensordot_axes(a, b, axes):
    """``tensordot``'s ``axes`` as two lists of non-negative axes of ``a`` and ``b``."""
    if isinstance(axes, int):
        return list(range(np.ndim(a) - axes, np.ndim(a))), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    return [i % np.ndim(a) for i in axes_a], [i % np.ndim(b) for i in axes_b]


@helper
def _tensordot_vjp(g, a, b, axes, which):
    """The adjoint of operand ``which`` of ``np.tensordot(a, b, axes)``."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [i for i in range(np.ndim(b)) if i not in axes_b]
    na = len(free_a)
    if which == 0:
        t = np.tensordot(g, b, axes=(list(range(na, np.ndim(g))), free_b))
        order = free_a + [axes_a[k] for k in np.argsort(axes_b)]
        return np.transpose(t, np.argsort(order))
    t = np.tensordot(a, g, axes=(free_a, list(range(na))))
    order = [axes_b[k] for k in np.argsort(axes_a)] + free_b
    return np.transpose(t, np.argsort(order))


@helper
def _einsum_letters(used):
    """The subscript letters not in ``used``."""
    return [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]


@helper
def _einsum_terms(subscripts, operands):
    """The subscripts of each operand and of the result of ``np.einsum(subscripts,
    *operands)``: ``...`` spelled out in letters, an implicit result made explicit."""
    ins, arrow, result = subscripts.replace(" ", "").partition("->")
    ins = ins.split(",")
    extra = [np.ndim(x) - len(s) + 3 for s, x in zip(ins, operands) if "..." in s]
    dots = "".join(_einsum_letters(subscripts)[: max(extra, default=0)])
    ins = [s.replace("...", dots[len(dots) - (np.ndim(x) - len(s) + 3):]) if "..." in s else s
           for s, x in zip(ins, operands)]
    if arrow:
        return ins, result.replace("...", dots)
    letters = "".join(ins)
    return ins, dots + "".join(sorted(c for c in set(letters)
                                      if letters.count(c) == 1 and c not in dots))


@helper
def _einsum_of(subscripts, a, b=None, c=None, d=None):
    """``np.einsum(subscripts, a, b, c, d)`` of the operands given (not None)."""
    return np.einsum(subscripts, *[x for x in (a, b, c, d) if x is not None])


@helper
def _einsum_vjp(g, subscripts, a, b=None, c=None, d=None, which=0):
    """The adjoint of operand ``which`` of ``np.einsum(subscripts, a, b, c, d)`` (the
    operands given): ``...``, broadcasting and repeated letters (diagonals) included."""
    operands = [x for x in (a, b, c, d) if x is not None]
    ins, result = _einsum_terms(subscripts, operands)
    x, mine = operands[which], ins[which]
    others = [i for i in range(len(ins)) if i != which]
    unique = "".join(dict.fromkeys(mine))
    seen = result + "".join(ins[i] for i in others)
    reached = "".join(c for c in unique if c in seen)
    t = np.einsum(",".join([result] + [ins[i] for i in others]) + "->" + reached,
                  g, *[operands[i] for i in others])
    sizes = dict(zip(mine, np.shape(x)))
    t = np.reshape(t, [np.shape(t)[reached.index(c)] if c in reached else 1 for c in unique])
    summed = tuple(i for i, c in enumerate(unique) if sizes[c] == 1 and np.shape(t)[i] != 1)
    t = np.broadcast_to(np.sum(t, axis=summed, keepdims=True), [sizes[c] for c in unique])
    if len(unique) == len(mine):
        return t
    spare = _einsum_letters("".join(ins) + result)
    spec, pairs = "", []
    for c in mine:  # a repeated letter: a new one, tied to the first by an identity matrix
        if c in spec:
            pairs.append(c + spare[len(pairs)])
            c = pairs[-1][1]
        spec += c
    return np.einsum(",".join([unique] + pairs) + "->" + spec, t,
                     *[np.eye(sizes[p[0]], dtype=np.result_type(t, 0.0)) for p in pairs])


@helper
def _fit(t, x):
    """``t`` summed or spread to ``x``'s shape (of as many dimensions) along the
    dimensions where one of them has length 1: an adjoint of ``np.einsum``, which
    broadcasts such dimensions."""
    shape = _shape(x)
    if _shape(t) == shape:
        return t
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(t)[i] != 1)
    return np.broadcast_to(np.sum(t, axis=axes, keepdims=True), shape)


@helper
def _as_3_vectors(v, axis):
    """``v`` with its vectors (along ``axis``) moved last and padded with zeros to 3 components."""
    v = np.moveaxis(v, axis, -1)
    if np.shape(v)[-1] == 3:
        return v
    return np.concatenate([v, np.zeros(np.shape(v)[:-1] + (1,), dtype=np.result_type(v, 0.0))], -1)


@helper
def _cross_vjp(g, a, b, which, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The adjoint of operand ``which`` (0 or 1) of ``np.cross(a, b, axisa, axisb, axisc, axis)``.

    2-vectors are 3-vectors with a zero third component; the cross product of
    two 2-vectors is the third component of theirs.  3-vectors along the last axes
    (the usual case) take the short way: ``np.cross(b, g)`` and ``np.cross(g, a)``.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    if axisa == axisb == axisc == -1 and np.shape(a)[-1] == np.shape(b)[-1] == 3:
        return _unbroadcast(np.cross(b, g), a) if which == 0 else _unbroadcast(np.cross(g, a), b)
    a3, b3 = _as_3_vectors(a, axisa), _as_3_vectors(b, axisb)
    if np.shape(a)[axisa] == 2 and np.shape(b)[axisb] == 2:
        zero = np.zeros_like(g)
        g3 = np.stack([zero, zero, g], -1)
    else:
        g3 = np.moveaxis(g, axisc, -1)
    x, x3, x_axis = (a, a3, axisa) if which == 0 else (b, b3, axisb)
    t = _unbroadcast(np.cross(b3, g3) if which == 0 else np.cross(g3, a3), x3)
    return np.moveaxis(t[..., : np.shape(x)[x_axis]], -1, x_axis)


@helper
def _cross(a, b):
    """``np.cross(a, b)`` of vectors along the last axes, in code for a signature: the
    code after it is written for a result that keeps the vectors' axis, so two arrays
    of 2-vectors (whose product has one dimension less; NumPy 2.0 deprecates them)
    are refused."""
    if np.ndim(a) and np.ndim(b) and np.shape(a)[-1] == np.shape(b)[-1] == 2:
        raise ValueError("np.cross of two arrays of 2-vectors: this derivative code is written "
                         "for 3-vectors (the cross product of 2-vectors, deprecated by NumPy "
                         "2.0, has one dimension less); give the vectors a third component, 0")
    return np.cross(a, b)


_cross.__s2sdiff_check__ = True  # kept where its value is not read: the code after it counts on it


@helper
def _solve_vjp(g, a, b, solution, which):
    """The adjoint of operand ``which`` of ``solution = np.linalg.solve(a, b)``."""
    vector = np.ndim(b) == 1
    gb = np.linalg.solve(_transposed(a), g[..., None] if vector else g)
    if which == 1:
        return gb[..., 0] if vector else gb
    x = solution[..., None] if vector else solution
    return -(gb @ _transposed(x))


@helper
def _solve_vjp_of_solution(g, a, b, solution_dot, which):
    """The term of the solution's tangent in the tangent of ``_solve_vjp`` (the
    adjoint of ``a`` reads the solution; that of ``b`` does not)."""
    return _solve_vjp(g, a, b, solution_dot, 0) if which == 0 else 0.0


@helper
def _solve_jvp_a(a, a_dot, out):
    """The term of ``a``'s tangent in the tangent of ``np.linalg.solve(a, b)``."""
    if np.ndim(out) == 1:
        return -np.linalg.solve(a, (a_dot @ out)[..., None])[..., 0]
    return -np.linalg.solve(a, a_dot @ out)


@helper
def _linspace_weights(start, stop, num, endpoint, axis):
    """The weight of ``stop`` in each element of ``np.linspace(start, stop, num, endpoint,
    axis=axis)``, along ``axis`` of the result."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    ndim = np.ndim(np.broadcast(start, stop)) + 1
    return np.expand_dims(t, tuple(i for i in range(ndim) if i != axis % ndim))


@helper
def _linspace_along(v, start, stop, axis):
    """``v`` (shaped like ``start`` or ``stop``) with the axis of the points inserted at ``axis``."""
    ndim = np.ndim(np.broadcast(start, stop))
    return np.expand_dims(np.reshape(v, (1,) * (ndim - np.ndim(v)) + np.shape(v)), axis)


@helper
def _clip_partial(a, lo, hi, which):
    """The partial of ``np.clip(a, lo, hi)`` in argument ``which``; ``lo``/``hi`` may be None."""

    def step(u, v):  # d maximum(u, v) / du, as JAX: 0.5 at a tie
        return np.where(u > v, 1.0, np.where(u == v, 0.5, 0.0))

    m = a if lo is None else np.maximum(a, lo)
    if which == 2:
        return step(m, hi)
    outer = 1.0 if hi is None else step(hi, m)
    if which == 1:
        return step(lo, a) * outer
    return outer if lo is None else step(a, lo) * outer


# ------------------------------------------------------ elementwise: partials
# Templates work on arrays and on scalars; the emitters un-broadcast.


@partials(np.sin)
def _(x):
    return (np.cos(x),)


@partials(np.cos)
def _(x):
    return (-np.sin(x),)


@partials(np.tan)
def _(x, *, out):
    return (1.0 + out * out,)


@partials(np.arcsin)
def _(x):
    return (1.0 / np.sqrt(1.0 - x * x),)


@partials(np.arccos)
def _(x):
    return (-1.0 / np.sqrt(1.0 - x * x),)


@partials(np.arctan)
def _(x):
    return (1.0 / (1.0 + x * x),)


@partials(np.sinh)
def _(x):
    return (np.cosh(x),)


@partials(np.cosh)
def _(x):
    return (np.sinh(x),)


@partials(np.tanh)
def _(x, *, out):
    return (1.0 - out * out,)


@partials(np.arcsinh)
def _(x):
    return (1.0 / np.sqrt(x * x + 1.0),)


@partials(np.arccosh)
def _(x):
    return (1.0 / np.sqrt(x * x - 1.0),)


@partials(np.arctanh)
def _(x):
    return (1.0 / (1.0 - x * x),)


@partials(np.exp)
def _(x, *, out):
    return (out,)


@partials(np.expm1)
def _(x, *, out):
    return (out + 1.0,)


@partials(np.exp2)
def _(x, *, out):
    return (out * np.log(2.0),)


@partials(np.log)
def _(x):
    return (1.0 / x,)


@partials(np.log1p)
def _(x):
    return (1.0 / (1.0 + x),)


@partials(np.log2)
def _(x):
    return (1.0 / (x * np.log(2.0)),)


@partials(np.log10)
def _(x):
    return (1.0 / (x * np.log(10.0)),)


@partials(np.sqrt)
def _(x, *, out):
    return (0.5 / out,)


@partials(np.cbrt)
def _(x, *, out):
    return (1.0 / (3.0 * out * out),)


@partials(np.square)
def _(x):
    return (2.0 * x,)


@partials(np.reciprocal)
def _(x, *, out):
    return (-out * out,)


# As JAX: 1 at x == 0.
@partials(np.absolute, np.fabs)
def _(x):
    return (np.where(x >= 0, 1.0, -1.0),)


@partials(np.negative)
def _(x):
    return (-1.0,)


@partials(np.positive)
def _(x):
    return (1.0,)


@partials(np.add)
def _(x, y):
    return (1.0, 1.0)


@partials(np.subtract)
def _(x, y):
    return (1.0, -1.0)


@partials(np.multiply)
def _(x, y):
    return (y, x)


@partials(np.divide)  # np.true_divide is np.divide
def _(x, y):
    return (1.0 / y, -x / (y * y))


# In x at y == 0: 0 (x ** 0 is constant, also at x == 0).
# In y at x == 0: 0, as JAX; at x < 0 the y-partial is nan.
@partials(np.power)
def _(x, y, *, out):
    return (y * np.power(np.where(y == 0, 1.0, x), y - 1), np.where(x != 0, out * np.log(np.where(x != 0, x, 1.0)), 0.0))


# As JAX: 0.5 to each argument at a tie.
@partials(np.maximum)
def _(x, y):
    return (np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)),
            np.where(y > x, 1.0, np.where(x == y, 0.5, 0.0)))


@partials(np.minimum)
def _(x, y):
    return (np.where(x < y, 1.0, np.where(x == y, 0.5, 0.0)),
            np.where(y < x, 1.0, np.where(x == y, 0.5, 0.0)))


@partials(np.hypot)
def _(x, y, *, out):
    return (x / out, y / out)


@partials(np.arctan2)
def _(y, x):
    return (x / (x * x + y * y), -y / (x * x + y * y))


# exp(x - out) = sigmoid(x - y), written without ``out`` so that the emitter
# may drop a forward logaddexp kept for nothing else (it costs ten times an
# exp).  Where y - x > 709, exp overflows to inf (NumPy warns) and the partial
# is 0, as it should be.
@partials(np.logaddexp)
def _(x, y):
    return (1.0 / (1.0 + np.exp(y - x)), 1.0 / (1.0 + np.exp(x - y)))


# As logaddexp, in base 2: 2**x / (2**x + 2**y) = 1 / (1 + 2**(y - x)).
@partials(np.logaddexp2)
def _(x, y):
    return (1.0 / (1.0 + np.exp2(y - x)), 1.0 / (1.0 + np.exp2(x - y)))


# As maximum/minimum (0.5 to each at a tie), except that a NaN argument is
# ignored: all the derivative goes to the other one.
@partials(np.fmax)
def _(x, y):
    return (np.where(x >= y, np.where(x == y, 0.5, 1.0), np.where(np.isnan(y), 1.0, 0.0)),
            np.where(y >= x, np.where(x == y, 0.5, 1.0), np.where(np.isnan(x), 1.0, 0.0)))


@partials(np.fmin)
def _(x, y):
    return (np.where(x <= y, np.where(x == y, 0.5, 1.0), np.where(np.isnan(y), 1.0, 0.0)),
            np.where(y <= x, np.where(x == y, 0.5, 1.0), np.where(np.isnan(x), 1.0, 0.0)))


# sinc(x) = sin(pi x) / (pi x): the partial (cos(pi x) - sinc(x)) / x, 0 at x == 0.
@partials(np.sinc)
def _(x, *, out):
    return (np.where(x == 0, 0.0, (np.cos(np.pi * x) - out) / np.where(x == 0, 1.0, x)),)


# 1 where x is finite, 0 where NaN or infinity was replaced by a constant (the
# replacements are options, never differentiated).
@vjp(np.nan_to_num)
def _(g, x, copy=True, nan=0.0, posinf=None, neginf=None, *, out):
    return (np.where(np.isfinite(x), g, 0.0),)


@jvp(np.nan_to_num)
def _(x, copy=True, nan=0.0, posinf=None, neginf=None, *, out):
    return (np.where(np.isfinite(x), x_dot, 0.0),)  # noqa: F821


# On real input (complex numbers are refused): the identity.
@partials(np.real, np.conjugate)
def _(x):
    return (1.0,)


# As JAX (and the scalar ``%``): partials 1 and -(x // y) everywhere.
@partials(np.remainder)  # np.mod is np.remainder
def _(x, y):
    return (1.0, -np.floor_divide(x, y))


@partials(np.fmod)
def _(x, y):
    return (1.0, -np.trunc(x / y))


@partials(np.deg2rad, np.radians)
def _(x):
    return (np.pi / 180.0,)


@partials(np.rad2deg, np.degrees)
def _(x):
    return (180.0 / np.pi,)


# clip(a, lo, hi) = minimum(maximum(a, lo), hi) as JAX: 0.5 at a boundary.
# A bound given as None has no partial (the emitter never asks for it).
@partials(np.clip)
def _(a, a_min, a_max):
    return (_clip_partial(a, a_min, a_max, 0), _clip_partial(a, a_min, a_max, 1),
            _clip_partial(a, a_min, a_max, 2))


@partials(np.where)
def _(condition, x, y):
    return (None, np.where(condition, 1.0, 0.0), np.where(condition, 0.0, 1.0))


# --------------------------------------------------------------- reductions


@vjp(np.sum)
def _(g, x, axis=None, keepdims=False, *, out):
    return (_spread(g, x) if axis is None and not keepdims else _unreduce(g, x, axis, keepdims),)


@jvp(np.sum)
def _(x, axis=None, keepdims=False, *, out):
    return (np.sum(x_dot, axis=axis, keepdims=keepdims),)  # noqa: F821


@vjp(np.mean)
def _(g, x, axis=None, keepdims=False, *, out):
    return (_spread(g / np.size(x), x) if axis is None and not keepdims
            else _unreduce(g / _mean_count(x, axis), x, axis, keepdims),)


@jvp(np.mean)
def _(x, axis=None, keepdims=False, *, out):
    return (np.mean(x_dot, axis=axis, keepdims=keepdims),)  # noqa: F821


# Exact at zeros: the product of the other elements, without dividing by x.
@vjp(np.prod)
def _(g, x, axis=None, keepdims=False, *, out):
    return (_keep(g, axis, keepdims) * _prod_others(x, axis),)


@jvp(np.prod)
def _(x, axis=None, keepdims=False, *, out):
    return (np.sum(x_dot * _prod_others(x, axis), axis=axis, keepdims=keepdims),)  # noqa: F821


@jvp(_prod_others)
def _(x, axis):
    return (_prod_others_jvp(x, x_dot, axis), None)  # noqa: F821


# As JAX: ties share the adjoint equally.
@vjp(np.max, np.amax, np.min, np.amin)
def _(g, x, axis=None, keepdims=False, *, out):
    return (_keep(g, axis, keepdims) * _extremum_share(x, out, axis, keepdims),)


@jvp(np.max, np.amax, np.min, np.amin)
def _(x, axis=None, keepdims=False, *, out):
    return (np.sum(x_dot * _extremum_share(x, out, axis, keepdims), axis=axis, keepdims=keepdims),)  # noqa: F821


@vjp(np.var)
def _(g, x, axis=None, ddof=0, keepdims=False, *, out):
    return (_keep(g, axis, keepdims) * (2.0 / _mean_count(x, axis, ddof)) * _centered(x, axis),)


@jvp(np.var)
def _(x, axis=None, ddof=0, keepdims=False, *, out):
    return (np.sum(_centered(x, axis) * x_dot, axis=axis, keepdims=keepdims)  # noqa: F821
            * (2.0 / _mean_count(x, axis, ddof)),)


# Where the variance is zero the derivative is taken as 0 (as autograd).
@vjp(np.std)
def _(g, x, axis=None, ddof=0, keepdims=False, *, out):
    return (_keep(g * _reciprocal_or_zero(out), axis, keepdims) * _centered(x, axis)
            / _mean_count(x, axis, ddof),)


@jvp(np.std)
def _(x, axis=None, ddof=0, keepdims=False, *, out):
    return (np.sum(_centered(x, axis) * x_dot, axis=axis, keepdims=keepdims)  # noqa: F821
            * _reciprocal_or_zero(out) / _mean_count(x, axis, ddof),)


# At a zero vector the derivative is taken as 0 (JAX gives nan), so that code
# guarding the small-norm case with a branch gets a finite gradient.  At ties
# (``ord=inf``, ``ord=1`` of a matrix…) the adjoint is shared equally.
@vjp(np.linalg.norm)
def _(g, x, ord=None, axis=None, keepdims=False, *, out):
    return (_keep(g, axis, keepdims) * _norm_partial(x, ord, axis, _keep(out, axis, keepdims)),)


@jvp(np.linalg.norm)
def _(x, ord=None, axis=None, keepdims=False, *, out):
    return (np.sum(_norm_partial(x, ord, axis, _keep(out, axis, keepdims)) * x_dot,  # noqa: F821
                   axis=axis, keepdims=keepdims),)


# ----------------------------------------------------------- linear algebra


@vjp(np.matmul, operator.matmul)
def _(g, a, b, *, out):
    return (_matmul_vjp(g, a, b, 0), _matmul_vjp(g, a, b, 1))


@jvp(np.matmul, operator.matmul)
def _(a, b, *, out):
    return (a_dot @ b, a @ b_dot)  # noqa: F821


@vjp(np.dot)
def _(g, a, b, *, out):
    return (_dot_vjp(g, a, b, 0), _dot_vjp(g, a, b, 1))


@jvp(np.dot)
def _(a, b, *, out):
    return (np.dot(a_dot, b), np.dot(a, b_dot))  # noqa: F821


@vjp(np.outer)
def _(g, a, b, *, out):
    return (np.reshape(g @ np.ravel(b), np.shape(a)), np.reshape(np.ravel(a) @ g, np.shape(b)))


@jvp(np.outer)
def _(a, b, *, out):
    return (np.outer(a_dot, b), np.outer(a, b_dot))  # noqa: F821


@vjp(np.inner)
def _(g, a, b, *, out):
    return (_inner_vjp(g, a, b, 0), _inner_vjp(g, a, b, 1))


@jvp(np.inner)
def _(a, b, *, out):
    return (np.inner(a_dot, b), np.inner(a, b_dot))  # noqa: F821


@vjp(np.tensordot)
def _(g, a, b, axes=2, *, out):
    return (_tensordot_vjp(g, a, b, axes, 0), _tensordot_vjp(g, a, b, axes, 1))


@jvp(np.tensordot)
def _(a, b, axes=2, *, out):
    return (np.tensordot(a_dot, b, axes), np.tensordot(a, b_dot, axes))  # noqa: F821


# The subscripts string is an input without derivative (it comes first); up to
# four operands (those not given are None).  Checked at generation: see below.
@vjp(np.einsum)
def _(g, subscripts, a, b, c, d, *, out):
    return (None, _einsum_vjp(g, subscripts, a, b, c, d, 0), _einsum_vjp(g, subscripts, a, b, c, d, 1),
            _einsum_vjp(g, subscripts, a, b, c, d, 2), _einsum_vjp(g, subscripts, a, b, c, d, 3))


@jvp(np.einsum)
def _(subscripts, a, b, c, d, *, out):
    return (None, _einsum_of(subscripts, a_dot, b, c, d), _einsum_of(subscripts, a, b_dot, c, d),  # noqa: F821
            _einsum_of(subscripts, a, b, c_dot, d), _einsum_of(subscripts, a, b, c, d_dot))  # noqa: F821


@refuse(np.einsum)
def _(args, kwargs):
    if not args or not isinstance(args[0], str):
        return "np.einsum without a literal subscripts string (the interleaved form)"
    if len(args) > 5:
        return "np.einsum of more than four operands (nest the calls)"
    return None


@vjp(np.cross)
def _(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, *, out):
    return (_cross_vjp(g, a, b, 0, axisa, axisb, axisc, axis),
            _cross_vjp(g, a, b, 1, axisa, axisb, axisc, axis))


@jvp(np.cross)
def _(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, *, out):
    return (np.cross(a_dot, b, axisa, axisb, axisc, axis),  # noqa: F821
            np.cross(a, b_dot, axisa, axisb, axisc, axis))  # noqa: F821


@vjp(_cross)
def _(g, a, b, *, out):
    return (_cross_vjp(g, a, b, 0), _cross_vjp(g, a, b, 1))


@jvp(_cross)
def _(a, b, *, out):
    return (np.cross(a_dot, b), np.cross(a, b_dot))  # noqa: F821


@vjp(np.linalg.det)
def _(g, a, *, out):
    return (np.asarray(g * out)[..., None, None] * _transposed(np.linalg.inv(a)),)


@jvp(np.linalg.det)
def _(a, *, out):
    return (out * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1),)  # noqa: F821


@vjp(np.linalg.inv)
def _(g, a, *, out):
    return (-(_transposed(out) @ g @ _transposed(out)),)


@jvp(np.linalg.inv)
def _(a, *, out):
    return (-(out @ a_dot @ out),)  # noqa: F821


@vjp(np.linalg.solve)
def _(g, a, b, *, out):
    return (_solve_vjp(g, a, b, out, 0), _solve_vjp(g, a, b, out, 1))


@jvp(np.linalg.solve)
def _(a, b, *, out):
    return (_solve_jvp_a(a, a_dot, out), np.linalg.solve(a, b_dot))  # noqa: F821


# Linear in g; a enters through solve(a.T, .): d(a.T⁻¹ h) = -a.T⁻¹ a_dot.T a.T⁻¹ h.
@jvp(_solve_vjp)
def _(g, a, b, solution, which):
    return (_solve_vjp(g_dot, a, b, solution, which),  # noqa: F821
            _solve_vjp(-(_transposed(a_dot) @ _solve_vjp(g, a, b, solution, 1)),  # noqa: F821
                       a, b, solution, which),
            None, _solve_vjp_of_solution(g, a, b, solution_dot, which), None)  # noqa: F821


# ------------------------------------------------------------ shape changes


@helper
def _delete_vjp(g, arr, obj, axis):
    """The adjoint of ``np.delete(arr, obj, axis)``: ``g`` where the kept elements
    were, zeros where the deleted ones were."""
    shape = np.shape(arr)
    flat = axis is None
    size = np.size(arr) if flat else shape[axis % len(shape)]
    kept = np.delete(np.arange(size), obj)
    out = np.zeros(size if flat else shape, dtype=np.result_type(g, arr, np.float16))
    if flat:
        out[kept] = np.ravel(g)
        return out.reshape(shape)
    out[(slice(None),) * (axis % len(shape)) + (kept,)] = g
    return out


@vjp(np.delete)
def _(g, arr, obj=None, axis=None, *, out):
    return (_delete_vjp(g, arr, obj, axis),)


@jvp(np.delete)
def _(arr, obj=None, axis=None, *, out):
    return (np.delete(arr_dot, obj, axis=axis),)  # noqa: F821


@vjp(np.transpose)
def _(g, a, axes=None, *, out):
    return (np.transpose(g) if axes is None else np.transpose(g, _inverse_axes(axes, np.ndim(a))),)


@jvp(np.transpose)
def _(a, axes=None, *, out):
    return (np.transpose(a_dot, axes),)  # noqa: F821


@vjp(np.reshape)
def _(g, a, shape=None, order="C", *, out):
    return (np.reshape(g, np.shape(a), order=order),)


@jvp(np.reshape)
def _(a, shape=None, order="C", *, out):
    return (np.reshape(a_dot, np.shape(out), order=order),)  # noqa: F821


@vjp(np.ravel)
def _(g, a, order="C", *, out):
    return (np.reshape(g, np.shape(a), order=order),)


@jvp(np.ravel)
def _(a, order="C", *, out):
    return (np.ravel(a_dot, order=order),)  # noqa: F821


# ``axis`` is required by NumPy; its default here is never used.
@vjp(np.expand_dims)
def _(g, a, axis=0, *, out):
    return (np.reshape(g, np.shape(a)),)


@jvp(np.expand_dims)
def _(a, axis=0, *, out):
    return (np.expand_dims(a_dot, axis),)  # noqa: F821


@vjp(np.squeeze)
def _(g, a, axis=None, *, out):
    return (np.reshape(g, np.shape(a)),)


@jvp(np.squeeze)
def _(a, axis=None, *, out):
    return (np.squeeze(a_dot, axis),)  # noqa: F821


# Identity on an array or a number (not on a list: the core has no lists of arrays).
@vjp(np.array, np.asarray)
def _(g, a, dtype=None, *, out):
    return (g,)


@jvp(np.array, np.asarray)
def _(a, dtype=None, *, out):
    return (np.array(a_dot, dtype=dtype),)  # noqa: F821


@vjp(np.copy)
def _(g, a, order="K", *, out):
    return (g,)


@jvp(np.copy)
def _(a, order="K", *, out):
    return (np.copy(a_dot),)  # noqa: F821


# ------------------------------------------ creation with a differentiable fill


@vjp(np.full)
def _(g, shape, fill_value, dtype=None, *, out):
    return (None, _unbroadcast(g, fill_value))


@jvp(np.full)
def _(shape, fill_value, dtype=None, *, out):
    return (None, np.full(np.shape(out), fill_value_dot, dtype=dtype))  # noqa: F821


@vjp(np.full_like)
def _(g, a, fill_value, dtype=None, *, out):
    return (None, _unbroadcast(g, fill_value))


@jvp(np.full_like)
def _(a, fill_value, dtype=None, *, out):
    return (None, np.full(np.shape(out), fill_value_dot, dtype=dtype))  # noqa: F821


@vjp(np.linspace)
def _(g, start, stop, num=50, endpoint=True, axis=0, *, out):
    return (_unbroadcast(np.sum(g * (1.0 - _linspace_weights(start, stop, num, endpoint, axis)),
                                axis=axis), start),
            _unbroadcast(np.sum(g * _linspace_weights(start, stop, num, endpoint, axis), axis=axis),
                         stop))


@jvp(np.linspace)
def _(start, stop, num=50, endpoint=True, axis=0, *, out):
    return (np.broadcast_to(_linspace_along(start_dot, start, stop, axis)  # noqa: F821
                            * (1.0 - _linspace_weights(start, stop, num, endpoint, axis)), np.shape(out)),
            np.broadcast_to(_linspace_along(stop_dot, start, stop, axis)  # noqa: F821
                            * _linspace_weights(start, stop, num, endpoint, axis), np.shape(out)))


# ------------------------------------------------- the helpers, differentiated
# Reverse code calls the helpers above; its tangent (a Hessian-vector product,
# forward over reverse) needs their JVPs.  Most are linear in the adjoint
# ``g`` and read their other arguments for shapes only.  The adjoint of one
# operand of a product depends on ``g`` and on the other operand: ``which``
# (a constant) says which term is zero.


@jvp(_unbroadcast)
def _(v, x=None, *, out):
    return (_unbroadcast(v_dot, x),)  # noqa: F821


@jvp(_unbroadcast_from)
def _(v, z=None, x=None, *, out):
    return (_unbroadcast_from(v_dot, z, x),)  # noqa: F821


@jvp(_spread)
def _(c, x=None, *, out):
    return (_spread(c_dot, x),)  # noqa: F821


@jvp(_keep)
def _(v, axis=None, keepdims=False, *, out):
    return (_keep(v_dot, axis, keepdims),)  # noqa: F821


@jvp(_unreduce)
def _(v, x=None, axis=None, keepdims=False, *, out):
    return (_unreduce(v_dot, x, axis, keepdims),)  # noqa: F821


# Reverse mode over reverse code (``vjp`` of a gradient) needs VJPs of the helpers
# it calls most: each is linear in its first argument (here ``v``; ``g`` is the
# adjoint of its result), and its VJP is that linear map's transpose.  The
# adjoint of ``_matmul_vjp(v, a, b, 1)``, ``aᵀ v`` for ``a @ b``, is ``a @ g``
# for ``v`` and, for ``a``, the adjoint of ``a`` in ``a @ g`` under ``v``.


@vjp(_unbroadcast)
def _(g, v, x=None, *, out):
    return (_full_tangent(g, v),)


@vjp(_unbroadcast_from)
def _(g, v, z=None, x=None, *, out):
    return (_unbroadcast_from(g, z, v),)


@vjp(_spread)
def _(g, c, x=None, *, out):
    return (_unbroadcast(g, c),)


@vjp(_keep)
def _(g, v, axis=None, keepdims=False, *, out):
    return (g if keepdims or axis is None else np.squeeze(g, axis),)


@vjp(_unreduce)
def _(g, v, x=None, axis=None, keepdims=False, *, out):
    return (np.sum(g, axis=axis, keepdims=keepdims),)


@jvp(_centered)
def _(x, axis=None, *, out):
    return (_centered(x_dot, axis),)  # noqa: F821


@jvp(_reciprocal_or_zero)
def _(v, *, out):
    return (-(out * out) * v_dot,)  # noqa: F821


# The Hessian of a matrix 2-norm or nuclear norm is refused at generation (below).
@jvp(_norm_partial)
def _(x, ord, axis, norm, *, out):
    return (_norm_partial_dx(x, ord, axis, norm, x_dot), None, None,  # noqa: F821
            _norm_partial_dnorm(x, ord, axis, norm, norm_dot))  # noqa: F821


@refuse(_norm_partial)
def _(args, kwargs):
    ord, axis = args[1], args[2]
    if ord is UNKNOWN or (ord in ("nuc", 2, -2) and not isinstance(axis, int)):
        return "second derivative of np.linalg.norm with ord=2, -2 or 'nuc' of a matrix, " \
               "or with an ord not written as a constant"
    return None


@jvp(_transposed)
def _(a, *, out):
    return (_transposed(a_dot),)  # noqa: F821


@jvp(_matmul_vjp)
def _(v, a, b, which=0, *, out):
    return (_matmul_vjp(v_dot, a, b, which),  # noqa: F821
            _matmul_vjp(v, a_dot, b, which) if which else 0.0,  # noqa: F821
            0.0 if which else _matmul_vjp(v, a, b_dot, which))  # noqa: F821


@vjp(_matmul_vjp)
def _(g, v, a, b, which=0, *, out):
    return (a @ g if which else g @ b,
            _matmul_vjp(v, a, g, 0) if which else 0.0,
            0.0 if which else _matmul_vjp(v, g, b, 1))


@jvp(_dot_vjp)
def _(v, a, b, which=0, *, out):
    return (_dot_vjp(v_dot, a, b, which),  # noqa: F821
            _dot_vjp(v, a_dot, b, which) if which else 0.0,  # noqa: F821
            0.0 if which else _dot_vjp(v, a, b_dot, which))  # noqa: F821


@vjp(_dot_vjp)
def _(g, v, a, b, which=0, *, out):
    return (np.dot(a, g) if which else np.dot(g, b),
            _dot_vjp(v, a, g, 0) if which else 0.0,
            0.0 if which else _dot_vjp(v, g, b, 1))


@jvp(_inner_vjp)
def _(g, a, b, which=0, *, out):
    return (_inner_vjp(g_dot, a, b, which),  # noqa: F821
            _inner_vjp(g, a_dot, b, which) if which else 0.0,  # noqa: F821
            0.0 if which else _inner_vjp(g, a, b_dot, which))  # noqa: F821


@jvp(_cross_vjp)
def _(g, a, b, which=0, axisa=-1, axisb=-1, axisc=-1, axis=None, *, out):
    return (_cross_vjp(g_dot, a, b, which, axisa, axisb, axisc, axis),  # noqa: F821
            _cross_vjp(g, a_dot, b, which, axisa, axisb, axisc, axis) if which else 0.0,  # noqa: F821
            0.0 if which else _cross_vjp(g, a, b_dot, which, axisa, axisb, axisc, axis))  # noqa: F821


@jvp(_tensordot_vjp)
def _(g, a, b, axes=2, which=0, *, out):
    return (_tensordot_vjp(g_dot, a, b, axes, which),  # noqa: F821
            _tensordot_vjp(g, a_dot, b, axes, which) if which else 0.0,  # noqa: F821
            0.0 if which else _tensordot_vjp(g, a, b_dot, axes, which))  # noqa: F821


@jvp(_einsum_vjp)
def _(g, subscripts, a, b, c, d, which=0, *, out):
    return (_einsum_vjp(g_dot, subscripts, a, b, c, d, which), None,  # noqa: F821
            0.0 if which == 0 else _einsum_vjp(g, subscripts, a_dot, b, c, d, which),  # noqa: F821
            0.0 if which == 1 else _einsum_vjp(g, subscripts, a, b_dot, c, d, which),  # noqa: F821
            0.0 if which == 2 else _einsum_vjp(g, subscripts, a, b, c_dot, d, which),  # noqa: F821
            0.0 if which == 3 else _einsum_vjp(g, subscripts, a, b, c, d_dot, which))  # noqa: F821


# ---------------------------------------------------------------- constants

constant(
    _copies, _extremum_share, _mean_count, _sign, _ties, _is_matrix_norm, _norm_power,
    _norm_partial_dx, _norm_partial_dnorm, _inverse_axes, _clip_partial,
    _linspace_weights,
    np.shape, np.size, np.ndim,
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
    np.eye, np.identity, np.arange,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero,
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.sign, np.floor_divide, np.imag,
    np.isnan, np.isfinite, np.isinf, np.signbit,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.all, np.any, np.array_equal, np.allclose, np.isclose,
)


convention("1 at 0 (as JAX)", np.absolute, np.fabs)
convention("0.5 to each argument at a tie (as JAX)", np.maximum, np.minimum)
convention("0.5 to each argument at a tie; where one is NaN, all to the other", np.fmax, np.fmin)
convention("the adjoint is split equally among the elements equal to the extremum",
           np.max, np.amax, np.min, np.amin)
convention("`minimum(maximum(a, lo), hi)`: 1 strictly inside, 0 outside, 0.5 to `a` and 0.5 "
           "to the bound at a boundary", np.clip)
convention("exact at zeros (products of the other elements, no division)", np.prod)
convention("in `y` at `x == 0`: 0 (as JAX); in `x` where `y == 0`: 0", np.power)
convention("0 where the variance is 0 (as autograd)", np.std)
convention("0 at a zero norm; the adjoint shared equally at ties (`ord=inf`, matrix `ord=1`)",
           np.linalg.norm)
convention("infinite where the function is (`sqrt`, `cbrt` at 0, `log` at 0, `arcsin` at ±1): "
           "NumPy's `inf` with a warning", np.sqrt, np.cbrt, np.log, np.arcsin, np.arccos)
convention("0 at 0", np.sinc)
convention("0 where NaN or an infinity was replaced", np.nan_to_num)
convention("the identity on real input (complex numbers are refused)", np.real, np.conjugate)


# Functions reading some arguments (by position) only for their shape: the
# reverse emitter may pass there any value known to have the same shape.
SHAPE_ARGUMENTS = {
    np.shape: (0,), np.size: (0,), np.ndim: (0,),
    _unbroadcast: (1,), _unreduce: (1,), _mean_count: (0,),
    _spread: (1,), _copies: (0, 1), _unbroadcast_from: (1, 2),
}


# Python operators and builtins applied to arrays take these rules instead of
# their scalar ones (whose templates use `if` and `math`).
ARRAY_EQUIVALENTS = {
    abs: np.abs,
    operator.abs: np.abs,
    operator.pow: np.power,
    pow: np.power,
    max: np.maximum,
    min: np.minimum,
    operator.mod: np.mod,
}
