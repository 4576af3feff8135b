"""SciPy rules of issue 18: ``scipy.special`` (``gammaln``, ``digamma``/``psi``,
``polygamma``, ``erf``, ``erfc``, ``erfinv``, ``expit``, ``logit``, ``xlogy``,
``xlog1py``, ``softmax``, ``log_softmax``, ``logsumexp``) and ``scipy.stats.norm``
(``logpdf``, ``pdf``, ``cdf`` in ``x``, ``loc``, ``scale``).

Each is checked against finite differences in both modes on several shapes
(:func:`tests.rule_checks.check`); the edge partials also against SymPy.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
import sympy
from scipy import special
from scipy.special import logsumexp
from scipy.stats import norm

from s2sdiff import S2SDiffError, grad, show
from s2sdiff.rules import registry
from s2sdiff.rules.scipy_stats import _norm_cdf, _norm_logpdf, _norm_pdf
from s2sdiff.verify import lift
from tests.rule_checks import check

RNG = np.random.default_rng(4)


def positive(*shape):
    v = RNG.uniform(0.3, 2.5, size=shape)
    return float(v) if not shape else v


def unit(*shape):
    v = RNG.uniform(0.1, 0.9, size=shape)
    return float(v) if not shape else v


def gamma_family(x):
    return special.gammaln(x) + special.digamma(x) * 2.0 + special.psi(x) \
        + special.polygamma(1, x) + special.polygamma(3, x)


def error_functions(x):
    return special.erf(x) * special.erfc(x) + special.expit(x)


def inverse_functions(p):
    return special.erfinv(p) + special.logit(p)


def x_log(x, y):
    return special.xlogy(x, y) + special.xlog1py(x, y) * 2.0


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("fn, sample", [(gamma_family, positive), (error_functions, positive),
                                        (inverse_functions, unit)],
                         ids=lambda v: getattr(v, "__name__", None))
def test_unary_special_functions(fn, sample, shape):
    check(fn, [sample(*shape)])


@pytest.mark.parametrize("shapes", [((), ()), ((4,), (4,)), ((3, 1), (4,)), ((2, 3), ())],
                         ids=str)
@pytest.mark.parametrize("wrt", [0, 1])
def test_xlogy_and_xlog1py(shapes, wrt):
    check(x_log, [positive(*shapes[0]), unit(*shapes[1])], wrt)


def test_xlogy_at_x_zero_has_a_zero_partial_in_y():
    assert grad(x_log, wrt=1)(0.0, 0.5) == 0.0
    assert grad(x_log, wrt=0)(0.0, 0.5) == pytest.approx(np.log(0.5) + 2.0 * np.log1p(0.5))


def softmax_all(x):
    return special.softmax(x)


def softmax_rows(x):
    return special.softmax(x, axis=1) * np.arange(1.0, 1.0 + x.shape[-1])


def log_softmax_columns(x):
    return special.log_softmax(x, axis=0)


def log_softmax_all(x):
    return special.log_softmax(x) * 2.0


def logsumexp_axis(x):
    return logsumexp(x, axis=-1)


def logsumexp_weighted(x):
    return logsumexp(x, axis=1, b=np.array([0.5, 1.0, 2.0, 0.1]), keepdims=True)


def logsumexp_all_weighted(x):
    return logsumexp(x, b=np.full(x.shape, 0.25))


@pytest.mark.parametrize("fn", [softmax_all, softmax_rows, log_softmax_columns, log_softmax_all,
                                logsumexp_axis, logsumexp_weighted, logsumexp_all_weighted])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=str)
def test_softmax_family(fn, shape):
    check(fn, [RNG.normal(size=shape)])


def test_softmax_of_a_vector():
    for fn in (softmax_all, log_softmax_all, logsumexp_axis):
        check(fn, [RNG.normal(size=5)])


def norm_all(x, loc, scale):
    return norm.logpdf(x, loc, scale) + norm.pdf(x, loc=loc, scale=scale) \
        + norm.cdf(x, loc, scale=scale)


def norm_defaults(x):
    return norm.logpdf(x) + st.norm.cdf(x) * 2.0 + norm.pdf(x, scale=2.0)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_norm_in_x_loc_and_scale(shape, wrt):
    args = [RNG.normal(size=shape) if shape else 0.4, 0.3, 1.7]
    check(norm_all, args, wrt)


def test_norm_with_defaults_and_arrays_of_parameters():
    check(norm_defaults, [RNG.normal(size=4)])
    check(norm_all, [RNG.normal(size=(3, 4)), RNG.normal(size=4), positive(3, 1)], 2)


def maximum_likelihood(mu, sigma, x):
    return -np.sum(norm.logpdf(x, loc=mu, scale=sigma))


def test_norm_calls_stay_calls_of_norm_with_keywords_as_positions():
    text = show(maximum_likelihood, wrt=(0, 1), kind="jvp",
                signature="mu=float,sigma=float,x=f8[n]")
    assert "norm.logpdf(x, mu, sigma)" in text and "_norm_logpdf" not in text


# --- refused ------------------------------------------------------------------------


def with_sign(x):
    value, sign = logsumexp(x, return_sign=True)
    return value


def weights_varied(x, b):
    return logsumexp(x, b=b)


def norm_bad_keyword(x):
    return norm.logpdf(x, mean=1.0)


@pytest.mark.parametrize("fn, args, wrt, words", [
    (with_sign, (np.ones(3),), 0, "logsumexp with return_sign"),
    (weights_varied, (np.ones(3), np.ones(3)), 1, "no derivative with respect to the argument 'b'"),
    (norm_bad_keyword, (np.ones(3),), 0, "arguments of norm.logpdf"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused_with_a_located_error(fn, args, wrt, words):
    with pytest.raises(S2SDiffError, match=r"test_rules_scipy.py:\d+:\d+: ") as error:
        grad(fn, wrt=wrt)(*args)
    assert words in str(error.value)


# --- SymPy ----------------------------------------------------------------------------


def _z(x, loc, scale):
    return (x - loc) / scale


SYMPY = {
    special.gammaln: sympy.loggamma,
    special.digamma: lambda x: sympy.polygamma(0, x),
    special.polygamma: sympy.polygamma,
    special.erf: sympy.erf, special.erfc: sympy.erfc, special.erfinv: sympy.erfinv,
    special.expit: lambda x: 1 / (1 + sympy.exp(-x)),
    special.logit: lambda p: sympy.log(p / (1 - p)),
    special.xlogy: lambda x, y: x * sympy.log(y),
    special.xlog1py: lambda x, y: x * sympy.log(1 + y),
    _norm_logpdf: lambda x, loc, scale: -_z(x, loc, scale) ** 2 / 2 - sympy.log(scale)
    - sympy.log(2 * sympy.pi) / 2,
    _norm_pdf: lambda x, loc, scale: sympy.exp(-_z(x, loc, scale) ** 2 / 2)
    / (scale * sympy.sqrt(2 * sympy.pi)),
    _norm_cdf: lambda x, loc, scale: (1 + sympy.erf(_z(x, loc, scale) / sympy.sqrt(2))) / 2,
}
POINTS = {  # a sampler of points inside the domain
    special.logit: lambda r: (r.uniform(0.1, 0.9),),
    special.erfinv: lambda r: (r.uniform(-0.9, 0.9),),
    special.polygamma: lambda r: (int(r.integers(0, 4)), r.uniform(0.3, 3.0)),
    special.xlogy: lambda r: (r.uniform(-2, 2), r.uniform(0.2, 3.0)),
    special.xlog1py: lambda r: (r.uniform(-2, 2), r.uniform(-0.5, 3.0)),
}


@pytest.fixture
def scipy_in_sympy(monkeypatch):
    monkeypatch.setattr(lift, "_SYMPY", dict(lift._SYMPY))
    for fn, counterpart in SYMPY.items():
        lift.register_sympy(fn, counterpart)


@pytest.mark.parametrize("fn", list(SYMPY), ids=lambda f: f.__name__)
def test_partials_agree_with_sympy(fn, scipy_in_sympy):
    rule = registry.lookup(fn)
    syms = [sympy.Symbol(p, real=True) for p in rule.params]
    sample = POINTS.get(fn, lambda r: tuple(r.uniform(0.3, 2.5) for _ in syms))
    rng = np.random.default_rng(8)
    points = [sample(rng) for _ in range(5)]
    for i, (sym, template) in enumerate(zip(syms, rule.partials)):
        if template is None:
            continue
        for point in points:
            values = [sympy.Integer(v) if isinstance(v, int) else sympy.Rational(repr(float(v)))
                      for v in point]
            f = SYMPY[fn](*values[:i], sym, *values[i + 1:])
            got = lift.lift_expr(template, dict(zip(rule.params, values), out=f.subs(sym, values[i]),
                                                **{rule.params[i]: values[i]}), rule.namespace)
            want = lift.diff_ae(f, sym).subs(sym, values[i])
            d = sympy.N(got - want, 40)
            assert d.is_number and abs(d) < 1e-25, (fn.__name__, rule.params[i], point, got, want)
