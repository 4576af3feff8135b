"""``scipy.stats.norm``: ``logpdf``, ``pdf`` and ``cdf`` in ``x``, ``loc`` and ``scale``
(registered when ``scipy.stats`` is imported).

``norm.logpdf`` is a bound method, a new object at each attribute access, so
its rules are carried by a stand-in function with its parameters
(:func:`.registry.stand_in`); the generated code calls ``norm.logpdf`` itself,
keywords written as positions.
"""

import numpy as np
from scipy.stats import norm

from .registry import partials, stand_in


def _norm_logpdf(x, loc=0.0, scale=1.0):
    return norm.logpdf(x, loc, scale)


def _norm_pdf(x, loc=0.0, scale=1.0):
    return norm.pdf(x, loc, scale)


def _norm_cdf(x, loc=0.0, scale=1.0):
    return norm.cdf(x, loc, scale)


# With z = (x - loc) / scale: logpdf = -z²/2 - log(scale) - log(2π)/2.
@partials(_norm_logpdf)
def _(x, loc, scale):
    return (-(x - loc) / (scale * scale), (x - loc) / (scale * scale),
            ((x - loc) * (x - loc) / (scale * scale) - 1.0) / scale)


@partials(_norm_pdf)
def _(x, loc, scale, *, out):
    return (-out * (x - loc) / (scale * scale), out * (x - loc) / (scale * scale),
            out * ((x - loc) * (x - loc) / (scale * scale) - 1.0) / scale)


@partials(_norm_cdf)
def _(x, loc, scale):
    return (np.exp(-0.5 * ((x - loc) / scale) ** 2) / (np.sqrt(2.0 * np.pi) * scale),
            -np.exp(-0.5 * ((x - loc) / scale) ** 2) / (np.sqrt(2.0 * np.pi) * scale),
            -(x - loc) / scale * np.exp(-0.5 * ((x - loc) / scale) ** 2)
            / (np.sqrt(2.0 * np.pi) * scale))


stand_in(norm.logpdf, _norm_logpdf, "scipy.stats.norm.logpdf")
stand_in(norm.pdf, _norm_pdf, "scipy.stats.norm.pdf")
stand_in(norm.cdf, _norm_cdf, "scipy.stats.norm.cdf")
