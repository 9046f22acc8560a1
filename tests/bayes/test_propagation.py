"""PS-uncertainty propagation (two-step Bayesian bootstrap, Kaplan & Chen 2012): distinct PS
draws, a pooled posterior at least as wide as the fixed-PS one, determinism, per-replicate
diagnostics. Small draws and one compiled Weibull model (shared with the other sampling tests)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayeshcc.adjust import fit_propensity
from bayeshcc.bayes.contrasts import hr_summary, survival_contrasts
from bayeshcc.bayes.diagnostics import check_convergence, split_replicates
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.errors import AnalysisError
from bayeshcc.bayes.propagation import (PropensityDesign, bayesian_bootstrap_propensity,
                                        fit_with_ps_uncertainty, population_from_score)

FAST = dict(draws=300, tune=300, chains=2)


def _confounded(n=300, seed=2):
    """x and z raise both the chance of treatment and the hazard; conditional HR 0.6."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.8 * x + 0.6 * z)))
    t = rng.weibull(1.2, n) * np.exp(-(np.log(0.1) + np.log(0.6) * treated + 0.7 * x + 0.5 * z) / 1.2)
    c = rng.uniform(0, 15, n)
    return pd.DataFrame({"x": x, "z": z}), treated, np.minimum(t, c), (t <= c).astype(float)


@pytest.fixture(scope="module")
def data():
    return _confounded()


@pytest.fixture(scope="module")
def pooled_ate(data):
    X, treated, time, event = data
    return fit_with_ps_uncertainty("weibull", time, event, PropensityDesign(X, treated, "ate"),
                                   replicates=8, seed=3, **FAST)


def test_bootstrap_replicates_are_distinct_ps_fits_around_the_mle(data):
    """B Dirichlet-weighted fits: B different coefficient vectors, centred near the ML fit."""
    X, treated, _, _ = data
    boot = bayesian_bootstrap_propensity(X, treated, replicates=30, seed=2)
    assert boot.coefficients.shape == (30, 3) and boot.score.shape == (30, len(X))
    assert len({tuple(np.round(row, 12)) for row in boot.coefficients}) == 30
    np.testing.assert_allclose(boot.dirichlet.sum(axis=1), len(X))
    mle = fit_propensity(X, treated)
    assert boot.terms == tuple(mle.coefficients["term"])
    # the bootstrap SD approximates the ML standard error (Rubin 1981), within 35 % for B = 30
    ratio = boot.coefficients.std(axis=0, ddof=1) / mle.coefficients["se"].to_numpy()
    assert np.all((ratio > 0.65) & (ratio < 1.35)), ratio
    assert np.all(np.abs(boot.coefficients.mean(axis=0) - mle.coefficients["coef"]) <
                  mle.coefficients["se"].to_numpy())


def test_same_seed_gives_the_same_ps_replicates(data):
    X, treated, _, _ = data
    a = bayesian_bootstrap_propensity(X, treated, replicates=5, seed=4)
    b = bayesian_bootstrap_propensity(X, treated, replicates=5, seed=4)
    c = bayesian_bootstrap_propensity(X, treated, replicates=5, seed=5)
    np.testing.assert_array_equal(a.score, b.score)
    assert not np.array_equal(a.score, c.score)


def test_pooled_posterior_has_replicates_times_chains_chains(pooled_ate, data):
    post = pooled_ate.fit.posterior["posterior"]
    assert post.sizes["chain"] == 8 * FAST["chains"] and post.sizes["draw"] == FAST["draws"]
    np.testing.assert_array_equal(post["ps_replicate"].values, np.repeat(np.arange(8), 2))
    assert "log_likelihood" not in pooled_ate.fit.posterior.children
    np.testing.assert_array_equal(pooled_ate.analysed, np.full(8, len(data[0])))


def test_pooled_posterior_is_at_least_as_wide_as_the_fixed_ps_one(pooled_ate, data):
    """Confounded example: SD of the log HR with the PS drawn >= with the PS plugged in."""
    X, treated, time, event = data
    ps = fit_propensity(X, treated)
    pop = population_from_score(PropensityDesign(X, treated, "ate"), ps.score, ps.logit)
    fixed = fit_survival_model("weibull", time, event, treated.astype(float), weights=pop.weights,
                               seed=3, **FAST)
    sd_fixed = fixed.draws()["log_hr"].std()
    sd_pooled = pooled_ate.fit.draws()["log_hr"].std()
    assert sd_pooled >= sd_fixed
    lo_f, hi_f = hr_summary(fixed)["hr_lower"], hr_summary(fixed)["hr_upper"]
    lo_p, hi_p = hr_summary(pooled_ate.fit)["hr_lower"], hr_summary(pooled_ate.fit)["hr_upper"]
    assert np.log(hi_p / lo_p) >= np.log(hi_f / lo_f)


def test_same_seed_gives_identical_pooled_draws(data, pooled_ate):
    X, treated, time, event = data
    design = PropensityDesign(X, treated, "ate")
    again = fit_with_ps_uncertainty("weibull", time, event, design, replicates=8, seed=3, **FAST)
    other = fit_with_ps_uncertainty("weibull", time, event, design, replicates=8, seed=4, **FAST)
    np.testing.assert_array_equal(again.fit.draws()["log_hr"], pooled_ate.fit.draws()["log_hr"])
    assert not np.array_equal(other.fit.draws()["log_hr"], pooled_ate.fit.draws()["log_hr"])


def test_convergence_is_checked_per_replicate_and_the_worst_reported(pooled_ate):
    """check_convergence on the pooled tree = worst over the replicate trees, never a pooled
    R-hat (which would compare chains targeting different posteriors)."""
    parts = [check_convergence(t) for t in split_replicates(pooled_ate.fit.posterior)]
    conv = check_convergence(pooled_ate.fit.posterior)
    assert conv == pooled_ate.convergence
    assert conv.rhat_max == max(p.rhat_max for p in parts)
    assert conv.ess_bulk_min == min(p.ess_bulk_min for p in parts)
    assert conv.divergences == sum(p.divergences for p in parts)
    assert conv.reliable == all(p.reliable for p in parts)
    assert "PS replicates" in conv.message


def test_pooled_posterior_survives_netcdf(pooled_ate, tmp_path):
    """The .nc the pipeline writes keeps the replicate labels, so diagnostics read later agree."""
    path = tmp_path / "pooled.nc"
    pooled_ate.fit.posterior.to_netcdf(path)
    back = xr.open_datatree(path)
    assert check_convergence(back) == pooled_ate.convergence


def test_contrasts_work_on_the_pooled_fit(pooled_ate):
    contrasts, curves = survival_contrasts(pooled_ate.fit, 5.0, ["A", "B"])
    rmst = contrasts[contrasts["quantity"] == "rmst"].set_index("arm")
    assert rmst.loc["difference", "lower"] < rmst.loc["difference", "estimate"] < rmst.loc["difference", "upper"]
    assert set(curves["arm"]) == {"A", "B"}


def test_matched_replicates_rematch_on_the_original_data(data):
    """Each PS draw re-matches all patients: the matched sets differ across replicates."""
    X, treated, time, event = data
    design = PropensityDesign(X, treated, "matched", caliper=0.2)
    result = fit_with_ps_uncertainty("weibull", time, event, design, replicates=6, seed=1, **FAST)
    assert result.fit.posterior["posterior"].sizes["chain"] == 12
    boot = result.propensity
    sets = {tuple(population_from_score(design, boot.score[b], boot.logit[b]).rows)
            for b in range(6)}
    assert len(sets) > 1
    assert np.all(result.analysed < len(X)) and np.all(result.analysed % 2 == 0)


def test_an_adjustment_without_a_ps_is_refused(data):
    X, treated, time, event = data
    with pytest.raises(AnalysisError, match="adjustment must be one of"):
        fit_with_ps_uncertainty("weibull", time, event, PropensityDesign(X, treated, "covariates"),
                                replicates=3, **FAST)
