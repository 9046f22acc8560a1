"""Sampling: agreement with the MLE under vague priors, recovery of a known HR, determinism,
and the convergence flag. Compiled models are reused across tests (one compile per structure)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayeshcc.bayes.contrasts import hr_summary, survival_contrasts
from bayeshcc.bayes.diagnostics import check_convergence
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN
from bayeshcc.datasets import load_paper_cohort

REF = Path(__file__).parents[1] / "reference"
SURVREG = json.loads((REF / "fixtures" / "bayes_survreg.json").read_text())
FAST = dict(draws=500, tune=500, chains=2)


def _within_quarter_sd_of_mle(fit, mle):
    draws = fit.draws()["log_hr"]
    assert abs(np.median(draws) - mle) < 0.25 * draws.std()


def test_vague_weibull_matches_survreg_mle_on_lung():
    """R: survreg(Surv(time, status) ~ sex, dist = "weibull"); PH log HR = -coef / scale."""
    lung = pd.read_csv(REF / "data" / "lung.csv")
    fit = fit_survival_model("weibull", lung["time"], lung["event"], lung["group"].astype(float),
                             prior=BUILT_IN["vague"], seed=11, **FAST)
    _within_quarter_sd_of_mle(fit, SURVREG["lung"]["log_hr"])
    assert np.median(fit.draws()["shape"]) == pytest.approx(SURVREG["lung"]["shape"], rel=0.03)


@pytest.mark.parametrize("outcome", ["os", "pfs"])
def test_vague_weibull_matches_survreg_mle_on_bundled_cohort(outcome):
    d = load_paper_cohort()
    fit = fit_survival_model("weibull", d[f"{outcome}_months"], d[f"{outcome}_event"],
                             (d["arm"] == "lenvatinib").astype(float), prior=BUILT_IN["vague"],
                             seed=12, **FAST)
    _within_quarter_sd_of_mle(fit, SURVREG[f"paper_{outcome}"]["log_hr"])


def _simulated(n=600, log_hr=np.log(0.5), seed=3):
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n).astype(float)
    t = rng.weibull(1.3, n) * np.exp(-(np.log(0.2) + log_hr * trt) / 1.3)
    c = rng.uniform(2, 8, n)
    return np.minimum(t, c), (t <= c).astype(float), trt


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_known_hazard_ratio_is_recovered(model):
    time, event, trt = _simulated()
    fit = fit_survival_model(model, time, event, trt, seed=5, draws=1000, tune=1000, chains=2)
    summary = hr_summary(fit)
    assert summary["hr_lower"] < 0.5 < summary["hr_upper"]
    assert check_convergence(fit.posterior).reliable


def test_same_seed_gives_identical_draws():
    time, event, trt = _simulated(n=200)
    a = fit_survival_model("weibull", time, event, trt, seed=9, **FAST).draws()["log_hr"]
    b = fit_survival_model("weibull", time, event, trt, seed=9, **FAST).draws()["log_hr"]
    c = fit_survival_model("weibull", time, event, trt, seed=10, **FAST).draws()["log_hr"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_piecewise_same_seed_gives_identical_levels_and_walk_sd():
    """sigma (drawn after sampling from its conditional given alpha) is seeded like the draws."""
    time, event, trt = _simulated(n=200)
    a, b = (fit_survival_model("piecewise", time, event, trt, seed=9, **FAST).draws()
            for _ in range(2))
    np.testing.assert_array_equal(a["alpha"], b["alpha"])
    np.testing.assert_array_equal(a["sigma"], b["sigma"])
    np.testing.assert_array_equal(a["alpha_first"], a["alpha"][:, 0])
    assert (a["sigma"] > 0).all()


def test_too_few_draws_is_flagged_unreliable():
    time, event, trt = _simulated(n=200)
    fit = fit_survival_model("weibull", time, event, trt, seed=1, draws=20, tune=20, chains=2)
    conv = check_convergence(fit.posterior)
    assert not conv.reliable and "ESS" in conv.message


def test_time_varying_piecewise_sees_a_change_in_hazard_ratio():
    """HR 0.3 before t = 2, HR 1.5 after: the interval HRs must straddle that change."""
    rng = np.random.default_rng(4)
    n = 1500
    trt = rng.integers(0, 2, n).astype(float)
    # piecewise-constant hazards 0.3 per unit time, times HR 0.3 (t < 2) or 1.5 (t >= 2)
    early = rng.exponential(1 / (0.3 * np.where(trt == 1, 0.3, 1.0)))
    late = 2 + rng.exponential(1 / (0.3 * np.where(trt == 1, 1.5, 1.0)))
    t = np.where(early < 2, early, late)
    c = rng.uniform(3, 8, n)
    fit = fit_survival_model("piecewise", np.minimum(t, c), (t <= c).astype(float), trt,
                             cutpoints=[1.0, 2.0, 3.0], time_varying=True, seed=2, **FAST)
    hr = np.exp(np.median(fit.draws()["log_hr_interval"], axis=0))
    assert hr[0] < 0.6 and hr[-1] > 0.9


def test_marginal_contrasts_order_arms_and_difference():
    time, event, trt = _simulated(n=300)
    fit = fit_survival_model("weibull", time, event, trt, seed=4, **FAST)
    contrasts, curves = survival_contrasts(fit, tau=4.0, arms=["new", "old"])
    rmst = contrasts[contrasts["quantity"] == "rmst"].set_index("arm")["estimate"]
    assert rmst["new"] > rmst["old"]  # HR 0.5: the treated arm lives longer
    assert rmst["difference"] == pytest.approx(rmst["new"] - rmst["old"], rel=0.2)
    assert (np.diff(curves[curves["arm"] == "new"]["survival"]) <= 1e-12).all()


def test_single_chain_is_flagged_because_rhat_needs_two():
    time, event, trt = _simulated(n=200)
    fit = fit_survival_model("weibull", time, event, trt, seed=1, draws=300, tune=300, chains=1)
    conv = check_convergence(fit.posterior)
    assert not conv.reliable and "at least 2 chains" in conv.message


def test_draws_do_not_depend_on_which_fit_compiled_the_model():
    """A re-used compiled model gives the same draws as a freshly compiled one."""
    from bayeshcc.bayes import fit as fit_module

    time, event, trt = _simulated(n=200)
    other_time, other_event, other_trt = _simulated(n=300, log_hr=0.4, seed=8)
    fit_module._COMPILED.clear()
    fresh = fit_survival_model("weibull", time, event, trt, seed=21, **FAST).draws()["log_hr"]
    fit_module._COMPILED.clear()
    fit_survival_model("weibull", other_time * 10, other_event, other_trt, seed=3,
                       prior=BUILT_IN["skeptical"], **FAST)
    reused = fit_survival_model("weibull", time, event, trt, seed=21, **FAST).draws()["log_hr"]
    np.testing.assert_array_equal(fresh, reused)


def test_fits_with_up_to_four_covariates_share_one_compiled_model():
    """Covariates are padded with zero columns to blocks of 4 (fit.COVARIATE_BLOCK): fits
    with 0, 2 and 4 covariates compile once, and each posterior holds only its own betas."""
    from bayeshcc.bayes import fit as fit_module

    time, event, trt = _simulated(n=200)
    X = np.random.default_rng(4).normal(size=(200, 4))
    fit_module._COMPILED.clear()
    fits = [fit_survival_model("weibull", time, event, trt, X=X[:, :k],
                               covariate_names=tuple(f"x{i}" for i in range(k)), seed=2, **FAST)
            for k in (0, 2, 4)]
    assert len(fit_module._COMPILED) == 1
    assert [f.timings["reuse"] for f in fits] == [False, True, True]
    assert "beta" not in fits[0].posterior["posterior"]
    assert [f.posterior["posterior"]["beta"].shape[-1] for f in fits[1:]] == [2, 4]


def test_large_cohort_piecewise_uses_low_rank_and_recovers_the_hazard_ratio():
    """N = 1500 (low-rank mass matrix, fit.adaptation): the simulated HR 0.5 lies in the 95 %
    interval and the fit passes the convergence gate."""
    from bayeshcc.bayes import fit as fit_module

    time, event, trt = _simulated(n=1500)
    fit = fit_survival_model("piecewise", time, event, trt, seed=5, draws=500, tune=500, chains=4)
    assert ("piecewise", 4, 6, False) in fit_module._COMPILED
    assert fit_module.adaptation("piecewise") == "low_rank"
    summary = hr_summary(fit)
    assert summary["hr_lower"] < 0.5 < summary["hr_upper"]
    assert check_convergence(fit.posterior).reliable
