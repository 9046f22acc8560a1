"""Robust and power priors in real fits (Weibull, short chains, one compiled model for every
prior): the robust prior lets conflicting external evidence go, the power prior does not, and
the prior-data conflict p-value says so.

Simulated cohort: 1 500 patients, 1:1, Weibull shape 1.2, true HR 1.2, uniform censoring
(about 1 000 events, so the cohort's own log-HR SE is about sqrt(4 / 1000) = 0.06). External
evidence in conflict: HR 0.45 (0.38-0.53), SE 0.085; in agreement: HR 1.15 (0.95-1.39).
"""

import math

import numpy as np
import pytest
from scipy import optimize, stats

from bayeshcc.bayes.borrowing import borrowing_columns, cohort_log_hr
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN, external_prior, robust_prior

FAST = dict(draws=300, tune=300, chains=2, seed=11)
CONFLICT = dict(hr=0.45, lower=0.38, upper=0.53)
AGREE = dict(hr=1.15, lower=0.95, upper=1.39)


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(2024)
    n = 1500
    trt = (np.arange(n) % 2).astype(float)
    t = rng.weibull(1.2, n) * np.exp(-(math.log(0.1) + math.log(1.2) * trt) / 1.2)
    c = rng.uniform(5, 30, n)
    return np.minimum(t, c), (t <= c).astype(float), trt


@pytest.fixture(scope="module")
def fits(cohort):
    time, event, trt = cohort
    priors = {"vague": BUILT_IN["vague"],
              "robust_conflict": robust_prior(**CONFLICT, weight=0.8, vague_sd=2.0),
              "power_conflict": external_prior(**CONFLICT, discount=1.0),
              "robust_agree": robust_prior(**AGREE, weight=0.8, vague_sd=2.0),
              "power_agree": external_prior(**AGREE, discount=1.0)}
    out = {}
    for name, prior in priors.items():
        fit = fit_survival_model("weibull", time, event, trt, prior=prior, **FAST)
        out[name] = (fit, borrowing_columns(fit))
    return out


def _median(fit) -> float:
    return float(np.median(fit.draws()["log_hr"]))


def _width(fit) -> float:
    lo, hi = np.quantile(fit.draws()["log_hr"], [0.025, 0.975])
    return float(hi - lo)


def test_one_compiled_model_serves_normal_and_robust_priors(fits):
    """The robust prior's mixture weights and components are data of the same compiled model."""
    assert {fits[k][0].timings["compile_cache"] for k in fits if k != "vague"} == {"memory"}


def test_conflicting_external_evidence_is_let_go_by_the_robust_prior(fits):
    vague = _median(fits["vague"][0])
    assert abs(_median(fits["robust_conflict"][0]) - vague) < 0.1
    assert fits["robust_conflict"][1]["prior_weight_posterior"] < 0.05


def test_conflicting_external_evidence_pulls_the_power_prior(fits):
    vague = _median(fits["vague"][0])
    assert abs(_median(fits["power_conflict"][0]) - vague) > 0.1


def test_conflict_is_flagged_by_a_small_prior_data_conflict_p(fits):
    assert fits["robust_conflict"][1]["prior_data_conflict_p"] < 0.05
    assert fits["power_conflict"][1]["prior_data_conflict_p"] < 0.05


def test_agreeing_external_evidence_tightens_the_posterior_without_conflict(fits):
    vague = _width(fits["vague"][0])
    for name in ("robust_agree", "power_agree"):
        fit, columns = fits[name]
        assert _width(fit) < vague
        assert columns["prior_data_conflict_p"] > 0.05
    assert fits["robust_agree"][1]["prior_weight_posterior"] > 0.8  # up from the prior's 0.8


def test_vague_prior_has_no_conflict_or_weight_but_an_ess(fits):
    columns = fits["vague"][1]
    assert math.isnan(columns["prior_data_conflict_p"])
    assert math.isnan(columns["prior_weight_posterior"])
    assert columns["prior_ess_events"] == pytest.approx(4 / 10 ** 2)


def test_robust_fits_log_prior_is_the_mixture_density(fits):
    """The fit's ``log_prior`` group (the compiled PyMC mixture) equals the prior's density."""
    fit = fits["robust_conflict"][0]
    draws = fit.posterior["posterior"]["log_hr"].values
    np.testing.assert_allclose(fit.posterior["log_prior"]["log_hr"].values,
                               fit.prior.logpdf(draws), rtol=1e-9)


def test_cohort_estimate_is_the_weibull_maximum_likelihood(fits, cohort):
    """Reference: scipy's BFGS on the Weibull PH log-likelihood d (log k + (k - 1) log t + eta)
    - exp(eta) t^k, eta = a + b trt (time in the fit's scaled unit), and the SE from the inverse
    of the numerically differentiated observed information."""
    fit = fits["vague"][0]
    t, d, trt = fit.data.scaled_time, fit.data.event, fit.data.treated

    def negloglik(theta):
        log_rate, log_shape, log_hr = theta
        k = math.exp(log_shape)
        eta = log_rate + log_hr * trt
        return -np.sum(d * (log_shape + (k - 1) * np.log(t) + eta) - np.exp(eta) * t ** k)

    best = optimize.minimize(negloglik, np.zeros(3), method="BFGS", options={"gtol": 1e-9})
    step = 1e-4
    hessian = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * step, np.eye(3)[j] * step
            hessian[i, j] = (negloglik(best.x + e_i + e_j) - negloglik(best.x + e_i - e_j)
                             - negloglik(best.x - e_i + e_j) + negloglik(best.x - e_i - e_j)) / (
                4 * step ** 2)
    estimate, se = cohort_log_hr(fit)
    assert estimate == pytest.approx(best.x[2], abs=1e-5)
    assert se == pytest.approx(math.sqrt(np.linalg.inv(hessian)[2, 2]), rel=1e-4)
    # and the conflict p is Box's formula on that estimate
    prior = fits["power_agree"][0].prior
    z = abs(estimate - prior.log_hr_mean) / math.hypot(prior.log_hr_sd, se)
    assert fits["power_agree"][1]["prior_data_conflict_p"] == pytest.approx(
        2 * stats.norm.sf(z), rel=1e-6)
