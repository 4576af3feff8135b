"""The adjoint of an operand of ``np.einsum``, written out for known numbers of dimensions.

The reverse of ``z = np.einsum("kij,nkj->nki", q, c)`` calls the helper
``_einsum_vjp``, which works out at run time which letters to contract, then
calls ``np.einsum`` (whose plain loops are slow on large operands).  With the
operands' abstract values known, ``specialise`` writes the contraction itself,
as a person would::

    _einsum_vjp(g, "kij,nkj->nki", q, c, None, None, 0)
        →  np.transpose(g, (1, 2, 0)) @ np.transpose(c, (1, 0, 2))      (nki,nkj->kij)
    _einsum_vjp(g, "ij,j->i", a, b, None, None, 1)  →  g @ a                (i,ij->j)

a matrix product (batched over the letters every term has) where one letter is
contracted and at most one is left from each side, else ``np.einsum`` of the
adjoint's subscripts, with ``optimize=True`` where letters are contracted (NumPy
then multiplies pairs of operands with BLAS).  The helper stays where the
abstract values leave a choice open or the adjoint is not a plain contraction: a
letter repeated in the operand (a diagonal), a letter nothing but the operand
has (summed there only), a dimension of length 1 in one term and not in another
(broadcasting), or of a length that may be 1.
"""

from __future__ import annotations

import operator

from .. import ir
from ..emit.templates import call, global_name, item
from ..ir import types
from ..ir.types import Arr, Num


def adjoint(args, ts):
    """``_einsum_vjp(g, subscripts, a, b, c, d, which)`` as the contraction it computes,
    or None where the abstract values do not decide it."""
    if len(args) != 7:
        return None
    g, spec, which = args[0], args[1], args[6]
    if type(spec) is not ir.Const or not isinstance(spec.value, str) \
            or type(which) is not ir.Const or type(which.value) is not int:
        return None
    given = [(a, t) for a, t in zip(args[2:6], ts[2:6])
             if not (type(a) is ir.Const and a.value is None)]
    if not all(isinstance(t, Arr) and t.library == "numpy" for _, t in given) \
            or not 0 <= which.value < len(given):
        return None
    found = types.einsum_terms(spec.value, [t.ndim for _, t in given])
    tg = ts[0]
    g_ndim = tg.ndim if isinstance(tg, Arr) else 0 if isinstance(tg, Num) else None
    if found is None or g_ndim != len(found[1]):
        return None
    ins, out = found
    mine = ins[which.value]
    others = [i for i in range(len(ins)) if i != which.value]
    terms = [out] + [ins[i] for i in others]
    if len(set(mine)) != len(mine) or any(c not in "".join(terms) for c in mine):
        return None  # a diagonal, or a letter summed in this operand only
    full = _full(ins, [t.ones for _, t in given])
    product = len(terms) == 2 and all(full[others[0]][c]  # (matmul does not broadcast these)
                                      for c in set(out) & set(terms[1]) - set(mine))
    t = contraction(terms, [g] + [given[i][0] for i in others], mine, product)
    if all(_exact(c, which.value, out, full) for c in mine):
        return t
    from ..rules import numpy as rules

    return call(global_name("_fit", rules._fit), t, given[which.value][0])


def _full(ins, ones) -> list[dict]:
    """Per operand, per letter, whether its length is surely the letter's length in the
    result (all operands broadcast together): not 1, or the only operand with the letter,
    or 1 in every operand."""
    flags: dict = {}
    for term, term_ones in zip(ins, ones):
        for c, one in zip(term, term_ones):
            flags.setdefault(c, []).append(one)
    return [{c: one is False or len(flags[c]) == 1 or all(flags[c])
             for c, one in zip(term, term_ones)} for term, term_ones in zip(ins, ones)]


def _exact(c: str, which: int, out: str, full) -> bool:
    """Whether the adjoint's length for letter ``c`` of operand ``which`` is surely the
    operand's: both the letter's full length (the result ``g`` has it, or another
    operand surely has it)."""
    reached = c in out or any(c in f and f[c] for i, f in enumerate(full) if i != which)
    return full[which][c] and reached


def contraction(terms, values, out: str, product: bool = True):
    """``np.einsum(",".join(terms) + "->" + out, *values)``, written as a transpose or
    (if ``product``: the lengths of the contracted letters agree) a matrix product where
    it is one."""
    if len(terms) == 1 and sorted(terms[0]) == sorted(out):
        return _permuted(values[0], terms[0], out)
    if product and len(terms) == 2:
        found = _product(terms, values, out)
        if found is not None:
            return found
    letters = "".join(terms)
    contracted = any(c not in out and letters.count(c) > 1 for c in set(letters))
    options = {"optimize": ir.Const(True)} if contracted else {}
    import numpy as np

    subscripts = ir.Const(",".join(terms) + "->" + out)
    return call(global_name("np", np, "einsum"), subscripts, *values, **options)


def _product(terms, values, out: str):
    """The two terms multiplied: elementwise (broadcast) if they contract no letter, a
    (batched) matrix product if they contract one and keep at most one each; or None."""
    x, y = terms
    if len(set(x)) != len(x) or len(set(y)) != len(y) \
            or not set(x) | set(y) <= (set(x) & set(y)) | set(out):
        return None  # a diagonal, or a letter summed in one term only
    batch = [c for c in out if c in x and c in y]
    summed = [c for c in x if c in y and c not in out]
    left = "".join(c for c in out if c in x and c not in y)
    right = "".join(c for c in out if c in y and c not in x)
    if not summed:
        return _elementwise(terms, values, out)
    if len(summed) != 1 or len(left) > 1 or len(right) > 1 or (batch and not (left and right)):
        return None
    batch, summed = "".join(batch), summed[0]
    if batch + right + left == out != batch + left + right:  # y @ x gives out's order
        (x, y), values, left, right = (y, x), values[::-1], right, left
    a = _permuted(values[0], x, batch + left + summed)
    b = _permuted(values[1], y, batch + summed + right)
    return _permuted(ir.Op(operator.matmul, (a, b), "@"), batch + left + right, out)


def _elementwise(terms, values, out: str):
    """The product of terms that contract no letter, each spread to ``out``'s letters
    (``g[:, None] * b``)."""
    factors = []
    for term, v in zip(terms, values):
        v = _permuted(v, term, "".join(c for c in out if c in term))
        index = [slice(None) if c in term else None for c in out]
        while index and index[0] is None:
            index.pop(0)  # (broadcasting adds the leading ones)
        factors.append(item(v, ir.Const(tuple(index))) if None in index else v)
    return ir.Op(operator.mul, tuple(factors), "*")


def _permuted(v, have: str, want: str):
    """``v``, whose dimensions are the letters ``have``, with them in ``want``'s order."""
    if have == want:
        return v
    import numpy as np

    if len(have) == 2:
        return ir.Op(np.transpose, (v,), ".T")
    return call(global_name("np", np, "transpose"), v,
                ir.Const(tuple(have.index(c) for c in want)))
