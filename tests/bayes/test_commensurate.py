"""Borrowing from a published curve (commensurate prior on the reference arm's baseline)."""

from __future__ import annotations

import numpy as np
import pytest

from bayeshcc.bayes.commensurate import CurvePrior, fit_with_curve
from bayeshcc.bayes.fit import fit_survival_model

SAMPLER = dict(draws=500, tune=500, chains=2, seed=11)
LOG_RATE, SHAPE, LOG_HR = np.log(0.5), 1.2, -0.4


def weibull_sample(rng, n, log_rate, shape, follow_up, treated=None, log_hr=0.0):
    """Weibull PH times with uniform administrative censoring on (0.5, follow_up)."""
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
    """A reconstructed reference arm: 200 patients, longer follow-up."""
    t, d, _ = weibull_sample(np.random.default_rng(seed), 200, log_rate, SHAPE, 6.0)
    return CurvePrior("curve", external_time=t, external_event=d, discount=0.5)


@pytest.mark.slow
def test_agreeing_curve_tightens_the_weibull_baseline(cohort):
    alone = fit_survival_model("weibull", *cohort, **SAMPLER)
    borrowed = fit_with_curve("weibull", *cohort, prior=external(LOG_RATE), **SAMPLER)
    sd_alone = float(alone.posterior["posterior"]["log_rate"].std())
    sd_borrowed = float(borrowed.posterior["posterior"]["log_rate"].std())
    assert sd_borrowed < 0.9 * sd_alone
    eta = float(np.median(borrowed.posterior["posterior"]["commensurate_sd"]))
    assert eta < sd_alone  # commensurate: the baselines differ by less than the cohort resolves
