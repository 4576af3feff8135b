"""SciPy rules, registered when SciPy is imported: ``scipy.special.logsumexp``."""

import numpy as np
from scipy.special import logsumexp as _logsumexp

from .numpy import _keep, _unbroadcast
from .registry import jvp, refuse, vjp


# ``b`` weighs the terms and is not differentiated (refused at generation where it
# would be); ``return_sign=True`` is refused.
@vjp(_logsumexp)
def _(g, a, axis=None, b=None, keepdims=False, return_sign=False, *, out):
    return (_unbroadcast(_keep(g, axis, keepdims) * np.exp(a - _keep(out, axis, keepdims))
                         * (1.0 if b is None else b), a),)


@jvp(_logsumexp)
def _(a, axis=None, b=None, keepdims=False, return_sign=False, *, out):
    return (np.sum(a_dot * np.exp(a - _keep(out, axis, keepdims))  # noqa: F821
                   * (1.0 if b is None else b), axis=axis, keepdims=keepdims),)


@refuse(_logsumexp)
def _(args, kwargs):
    sign = kwargs.get("return_sign", args[4] if len(args) > 4 else False)
    return None if sign is False else "logsumexp with return_sign (its result is a pair)"
