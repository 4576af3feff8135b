"""SciPy rules, registered when ``scipy.special`` is imported: ``gammaln``, ``digamma``
(``psi``), ``polygamma``, ``erf``, ``erfc``, ``erfinv``, ``expit``, ``logit``, ``xlogy``,
``xlog1py`` (edge partials), ``softmax``, ``log_softmax``, ``logsumexp`` (templates).
``scipy.stats.norm`` is in :mod:`.scipy_stats`.

Conventions: ``xlogy(x, y)`` and ``xlog1py(x, y)`` are 0 where ``x == 0``, and
so is their partial in ``y`` there; ``polygamma``'s order is not
differentiated (an integer).  ``logsumexp``'s ``b`` weighs the terms and is
an option (refused where it would carry a derivative), ``return_sign=True``
is refused.
"""

import numpy as np
from scipy import special
from scipy.special import logsumexp as _logsumexp

from .numpy import _keep, _unbroadcast
from .registry import convention, jvp, partials, refuse, vjp


@partials(special.gammaln)
def _(x):
    return (special.digamma(x),)


@partials(special.digamma)  # special.psi is special.digamma
def _(x):
    return (special.polygamma(1, x),)


@partials(special.polygamma)
def _(n, x):
    return (None, special.polygamma(n + 1, x))


@partials(special.erf)
def _(x):
    return (2.0 / np.sqrt(np.pi) * np.exp(-x * x),)


@partials(special.erfc)
def _(x):
    return (-2.0 / np.sqrt(np.pi) * np.exp(-x * x),)


@partials(special.erfinv)
def _(x, *, out):
    return (np.sqrt(np.pi) / 2.0 * np.exp(out * out),)


@partials(special.expit)
def _(x, *, out):
    return (out * (1.0 - out),)


@partials(special.logit)
def _(x):
    return (1.0 / (x * (1.0 - x)),)


@partials(special.xlogy)
def _(x, y):
    return (np.log(y), np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y)))


@partials(special.xlog1py)
def _(x, y):
    return (np.log1p(y), np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, 1.0 + y)))


@vjp(special.softmax)
def _(g, x, axis=None, *, out):
    return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


@jvp(special.softmax)
def _(x, axis=None, *, out):
    return (out * (x_dot - np.sum(x_dot * out, axis=axis, keepdims=True)),)  # noqa: F821


@vjp(special.log_softmax)
def _(g, x, axis=None, *, out):
    return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


@jvp(special.log_softmax)
def _(x, axis=None, *, out):
    return (x_dot - np.sum(np.exp(out) * x_dot, axis=axis, keepdims=True),)  # noqa: F821


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


convention("0 where `x == 0`, and so is the partial in `y` there", special.xlogy, special.xlog1py)
convention("`b` weighs the terms and is not differentiated; `return_sign=True` is refused",
           _logsumexp)
