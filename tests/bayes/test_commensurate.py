"""Borrowing from a published curve: a commensurate prior on the reference arm's baseline
hazard (:mod:`bayeshcc.bayes.commensurate`), on simulated data with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayeshcc.bayes.commensurate import ETA_LOG_MEAN, CurvePrior, fit_with_curve
from bayeshcc.bayes.fit import fit_survival_model

pytestmark = pytest.mark.slow

SAMPLER = dict(draws=1000, tune=600, chains=2, seed=11)
LOG_RATE, SHAPE, LOG_HR = np.log(0.5), 1.2, -0.4
CONFLICTING_LOG_RATE = np.log(0.12)  # external median survival 3.3 x the cohort's


def weibull_sample(rng, n, log_rate, shape, follow_up, treated=None, log_hr=0.0):
    """Weibull PH times with uniform censoring on (0.5, follow_up)."""
    treated = np.zeros(n) if treated is None else treated
    t = (rng.exponential(size=n) * np.exp(-(log_rate + log_hr * treated))) ** (1 / shape)
    c = rng.uniform(0.5, follow_up, n)
    return np.minimum(t, c), (t <= c).astype(float), treated


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(2011)
    treated = (rng.uniform(size=150) < 0.4).astype(float)
    return weibull_sample(rng, 150, LOG_RATE, SHAPE, 3.0, treated, LOG_HR)


def external(log_rate, seed=47):
    """A reconstructed reference arm: 300 patients, longer follow-up, discount 0.5."""
    t, d, _ = weibull_sample(np.random.default_rng(seed), 300, log_rate, SHAPE, 6.0)
    return CurvePrior("curve", external_time=t, external_event=d, discount=0.5)


_FITS: dict = {}


def fitted(cohort, model, log_rate=None):
    """The fit without borrowing (``log_rate`` None) or with a curve simulated at ``log_rate``;
    fitted once per module (one compiled model per structure serves all of them)."""
    key = (model, log_rate)
    if key not in _FITS:
        _FITS[key] = (fit_survival_model(model, *cohort, **SAMPLER) if log_rate is None else
                      fit_with_curve(model, *cohort, prior=external(log_rate), **SAMPLER))
    return _FITS[key]


def baseline(fit):
    """Posterior draws (draws x 3) of the reference arm's log cumulative hazard at the
    quartiles of the cohort's follow-up: one scale for both models, whatever their baseline
    priors smooth (the piecewise model's random walk; the curve prior's deviations)."""
    from bayeshcc.bayes.hazards import cumulative_hazard

    t = np.quantile(fit.data.scaled_time, [0.25, 0.5, 0.75])
    cuts = None if fit.cuts is None else np.asarray(fit.cuts) / fit.data.time_scale
    draws = fit.draws()
    xb = np.zeros((draws["log_hr"].shape[0], t.size))
    return np.log(cumulative_hazard(fit.model, draws, t, np.zeros(t.size), xb, cuts))


def commensurate_sd(fit):
    return float(np.median(fit.posterior["posterior"]["commensurate_sd"].values))


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_agreeing_curve_tightens_the_baseline(cohort, model):
    alone, borrowed = fitted(cohort, model), fitted(cohort, model, LOG_RATE)
    sd_alone, sd_borrowed = baseline(alone).std(axis=0), baseline(borrowed).std(axis=0)
    assert np.mean(sd_borrowed / sd_alone) < 0.95
    # commensurate: the data pull the commensurability SD below its prior median, to about the
    # cohort's own posterior SD of its baseline (agreement cannot be told apart from less)
    assert commensurate_sd(borrowed) < math.exp(ETA_LOG_MEAN)
    assert commensurate_sd(borrowed) < 1.5 * np.mean(sd_alone)


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_conflicting_curve_is_hardly_borrowed(cohort, model):
    alone, borrowed = fitted(cohort, model), fitted(cohort, model, CONFLICTING_LOG_RATE)
    a, b = baseline(alone), baseline(borrowed)
    # the external log cumulative hazard is CONFLICTING_LOG_RATE - LOG_RATE below the cohort's:
    # the borrowed posterior moves less than 15 % of the way there and is not narrower
    moved = np.mean(b.mean(axis=0) - a.mean(axis=0)) / (CONFLICTING_LOG_RATE - LOG_RATE)
    assert moved < 0.15
    assert 0.95 < np.mean(b.std(axis=0) / a.std(axis=0)) < 1.25
    # not commensurate: the SD is of the order of the disagreement (1.4 on the log scale)
    assert commensurate_sd(borrowed) > 3 * math.exp(ETA_LOG_MEAN)


def test_curve_fit_is_an_ordinary_fit(cohort):
    fit = fitted(cohort, "weibull", LOG_RATE)
    tree = fit.posterior
    assert {"log_hr", "log_rate", "shape", "commensurate_sd", "log_rate_ext"} <= set(
        tree["posterior"].data_vars)
    # LOO and predictive checks see the cohort's patients only
    assert tree["log_likelihood"]["time"].sizes["patient"] == cohort[0].size
    assert tree["posterior_predictive"]["time"].sizes["patient"] == cohort[0].size
    assert fit.timings["reuse"] or fit.timings["compile_cache"] in ("compiled", "disk",
                                                                     "uncached")


def test_log_prior_group_is_the_commensurate_prior_density(cohort):
    from scipy.stats import norm

    fit = fitted(cohort, "weibull", LOG_RATE)
    post, log_prior = fit.posterior["posterior"], fit.posterior["log_prior"]
    eta, u = post["commensurate_sd"].values, post["commensurate_u"].values
    events = fit.data.event[fit.data.treated == 0].sum()  # unweighted: weights are ones
    c = eta ** 2 / (eta ** 2 + 1.0 / events)
    np.testing.assert_allclose(log_prior["commensurate_u"].values,
                               norm.logpdf(u, 0.0, (eta ** c)[..., None]), rtol=1e-6)
    np.testing.assert_allclose(log_prior["log_hr"].values,
                               norm.logpdf(post["log_hr"].values, 0.0, 1.0), rtol=1e-6)
