"""SciPy rules, registered when SciPy is imported: ``scipy.special.logsumexp``."""

import numpy as np
from scipy.special import logsumexp as _logsumexp

from .numpy import _check_logsumexp, _keep
from .registry import jvp, vjp


@vjp(_logsumexp)
def _(g, a, axis=None, b=None, keepdims=False, return_sign=False, *, out):
    return (_check_logsumexp(b, return_sign)
            * _keep(g, axis, keepdims) * np.exp(a - _keep(out, axis, keepdims)),)


@jvp(_logsumexp)
def _(a, axis=None, b=None, keepdims=False, return_sign=False, *, out):
    return (_check_logsumexp(b, return_sign) * np.sum(
        a_dot * np.exp(a - _keep(out, axis, keepdims)), axis=axis, keepdims=keepdims),)  # noqa: F821
