"""Sandwich calibration of weighted and matched pseudo-posteriors (bayeshcc.bayes.calibration;
Williams & Savitsky 2021, with the PS estimation stacked in). Small draws; one compiled model per
structure, shared with the other sampling tests."""

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayeshcc.adjust import fit_propensity, match_nearest, propensity_weights
from bayeshcc.bayes.calibration import (ATTR_METHOD, ATTR_SD_RATIO, CalibrationDesign,
                                        batched_sums, calibrate, calibration_design,
                                        jackknife_covariance, loglik_terms, parameter_draws,
                                        scores_and_hessian)
from bayeshcc.bayes.contrasts import hr_summary, survival_contrasts
from bayeshcc.bayes.diagnostics import check_convergence
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN
from bayeshcc.errors import AnalysisError

VAGUE = BUILT_IN["vague"]
FAST = {"draws": 1000, "tune": 500, "chains": 2}
CONDITIONAL_LOG_HR = float(np.log(0.6))
FIXTURE = Path(__file__).parents[1] / "reference" / "fixtures" / "bootstrap_se.json"


def _sd(fit, name="log_hr"):
    return np.std(fit.draws()[name], axis=0, ddof=1)


def _weibull_ph(n, seed, log_hr=CONDITIONAL_LOG_HR):
    """A correctly specified Weibull PH cohort: shape 1.3, one covariate, 1:1 random arms."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treated = (rng.random(n) < 0.5).astype(float)
    lp = np.log(0.1) + log_hr * treated + 0.5 * x
    t = (rng.exponential(size=n) / np.exp(lp)) ** (1 / 1.3)
    c = rng.uniform(2, 15, n)
    return np.minimum(t, c), (t <= c).astype(float), treated, x


def _confounded(n=500, seed=3):
    """x and z raise both the chance of treatment and the hazard; conditional HR 0.6."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-0.4 + 0.9 * x + 0.6 * z)))
    lp = np.log(0.1) + np.log(0.6) * treated + 0.8 * x + 0.5 * z
    t = (rng.exponential(size=n) / np.exp(lp)) ** (1 / 1.2)
    c = rng.uniform(2, 15, n)
    return pd.DataFrame({"x": x, "z": z}), treated, np.minimum(t, c), (t <= c).astype(float)


# --- (c) the analytic scores and Hessians ---------------------------------------------------

def _small_cohort(seed: int, n: int = 40):
    """Times, events, arms and two covariates of n patients, and the generator that drew them
    (the tests go on drawing from it)."""
    rng = np.random.default_rng(seed)
    t = rng.exponential(size=n) + 0.01
    d = (rng.random(n) < 0.7).astype(float)
    trt = (rng.random(n) < 0.5).astype(float)
    return rng, t, d, trt, rng.normal(size=(n, 2))


@pytest.mark.parametrize("model, theta, cuts", [
    ("weibull", [-0.3, 0.2, -0.4, 0.3, -0.2], None),
    ("piecewise", [-0.5, -0.2, 0.1, -0.4, 0.3, -0.2], [0.5, 1.2]),
])
def test_scores_and_hessian_equal_numerical_derivatives_of_the_numpy_loglik(model, theta, cuts):
    """Central differences (step 1e-6) of hazards.py's d log h - H agree to 1e-6."""
    rng, t, d, trt, X = _small_cohort(1)
    n = t.size
    w = rng.uniform(0.5, 2.0, n)
    theta = np.array(theta)
    cuts = None if cuts is None else np.array(cuts)
    scores, neg_h = scores_and_hessian(model, theta, t, d, trt, X, cuts, w)
    eps = 1e-6
    num_scores = np.empty_like(scores)
    num_neg_h = np.empty_like(neg_h)
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = eps
        num_scores[:, j] = (loglik_terms(model, theta + step, t, d, trt, X, cuts)
                            - loglik_terms(model, theta - step, t, d, trt, X, cuts)) / (2 * eps)
        up, _ = scores_and_hessian(model, theta + step, t, d, trt, X, cuts, w)
        down, _ = scores_and_hessian(model, theta - step, t, d, trt, X, cuts, w)
        num_neg_h[:, j] = -w @ (up - down) / (2 * eps)
    np.testing.assert_allclose(scores, num_scores, atol=1e-6)
    np.testing.assert_allclose(neg_h, num_neg_h, atol=1e-6)


@pytest.mark.parametrize("model, theta, cuts", [
    ("weibull", [-0.3, 0.2, -0.4, 0.3, -0.2], None),
    ("piecewise", [-0.5, -0.2, 0.1, -0.4, 0.3, -0.2], [0.5, 1.2]),
])
def test_batched_sums_of_the_jackknife_equal_the_per_patient_scores_and_hessian(model, theta,
                                                                                cuts):
    """The jackknife's vectorised sums over B leave-out weightings agree with
    scores_and_hessian (tested above against numerical derivatives) to rounding."""
    rng, t, d, trt, X = _small_cohort(2)
    n = t.size
    cuts = None if cuts is None else np.array(cuts)
    thetas = np.array(theta) + rng.normal(0, 0.1, (3, len(theta)))
    W = rng.uniform(0, 2, (3, n))
    grad, neg = batched_sums(model, thetas, W, t, d, trt, X, cuts)
    for b in range(3):
        scores, neg_h = scores_and_hessian(model, thetas[b], t, d, trt, X, cuts, W[b])
        np.testing.assert_allclose(grad[b], W[b] @ scores, atol=1e-12)
        np.testing.assert_allclose(neg[b], neg_h, atol=1e-12)


def test_jackknife_equals_brute_force_leave_one_out_refits_of_ps_and_outcome():
    """veteran (N = 137), ATE: the vectorised Newton leave-outs give the same jackknife SE of
    the log HR as 137 separate refits (PS by fit_propensity, weights by propensity_weights,
    weighted Weibull MLE by scipy in tests/reference/bootstrap_reference.py) to 0.5 %."""
    from tests.reference.bootstrap_reference import ate_estimate, load

    X, treated, time, event = load("veteran")
    n = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        w = propensity_weights(ps.score, treated, "ate")
        loo = np.array([ate_estimate(X.drop(index=i).reset_index(drop=True),
                                     np.delete(treated, i), np.delete(time, i),
                                     np.delete(event, i)) for i in range(n)])
    brute = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    fit = fit_survival_model("weibull", time, event, treated.astype(float), weights=w.weights,
                             prior=VAGUE, seed=8, draws=300, tune=300, chains=2)
    theta_hat = parameter_draws(fit).reshape(-1, 3).mean(axis=0)
    v_jack = jackknife_covariance(fit, calibration_design("ate", ps, X, w), theta_hat)
    assert np.sqrt(v_jack[2, 2]) == pytest.approx(brute, rel=0.005)


def _ate_without_sampling(model: str):
    """A fit-like object (data, cuts, model: what the jackknife reads), its ATE design and a
    theta-hat off the weighted MLE, as a posterior mean is (confounded cohort, N = 300)."""
    from types import SimpleNamespace

    from bayeshcc.bayes.data import prepare, quantile_cutpoints

    X, treated, time, event = _confounded(n=300, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        w = propensity_weights(ps.score, treated, "ate")
    d = prepare(time, event, treated, X.to_numpy(), ("x", "z"), w.weights)
    cuts = quantile_cutpoints(d.time, d.event, 4) if model == "piecewise" else None
    scaled_cuts = None if cuts is None else cuts / d.time_scale
    j = 2 if model == "weibull" else cuts.size + 1
    theta = np.r_[np.full(j, np.log(d.event.sum() / d.scaled_time.sum())), 0.0, 0.0, 0.0]
    if model == "weibull":
        theta[1] = 0.0
    for _ in range(30):                                   # the weighted MLE by Newton
        grad, neg = batched_sums(model, theta, d.weights[None], d.scaled_time, d.event,
                                 d.treated, d.X, scaled_cuts)
        theta = theta + np.linalg.solve(neg[0], grad[0])
    return (SimpleNamespace(model=model, data=d, cuts=cuts), calibration_design("ate", ps, X, w),
            theta + 0.02)


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_jackknife_stopping_at_converged_newton_steps_equals_the_fixed_step_jackknife(
        model, monkeypatch):
    """The leave-out refits stop once every Newton step is below JACKKNIFE_TOL relative; the
    reference is the same jackknife with the tolerance 0, i.e. all JACKKNIFE_STEPS steps: the
    covariances agree to 1e-10 relative (ATE, PS refitted per leave-out)."""
    from bayeshcc.bayes import calibration

    fit, design, theta_hat = _ate_without_sampling(model)
    stopped = jackknife_covariance(fit, design, theta_hat)
    monkeypatch.setattr(calibration, "JACKKNIFE_TOL", 0.0)
    fixed = jackknife_covariance(fit, design, theta_hat)
    np.testing.assert_allclose(stopped, fixed, rtol=1e-10, atol=1e-10 * np.abs(fixed).max())


def test_jackknife_reuses_the_ps_refits_only_for_the_same_design(monkeypatch):
    """The leave-out PS fits are remembered per design: the piecewise fit after the Weibull fit
    of the same population reuses them, a pair-clustered design does not. Each covariance
    equals the one computed with nothing remembered (the reference), exactly."""
    from bayeshcc.bayes import calibration

    weibull, design, theta_w = _ate_without_sampling("weibull")
    piecewise, _, theta_p = _ate_without_sampling("piecewise")
    pairs = dataclasses.replace(design, clusters=np.arange(300) // 2)
    runs = [(weibull, design, theta_w), (piecewise, design, theta_p), (weibull, pairs, theta_w)]
    reference = []
    for run in runs:
        monkeypatch.setattr(calibration, "_PS_REFITS", {})
        reference.append(jackknife_covariance(*run))
    monkeypatch.setattr(calibration, "_PS_REFITS", {})
    shared = [jackknife_covariance(*run) for run in runs]
    assert len(calibration._PS_REFITS) == 2
    for got, expected in zip(shared, reference):
        np.testing.assert_array_equal(got, expected)
    assert not np.allclose(shared[2], reference[0])


# --- (a) a correct, unweighted model is left alone -------------------------------------------

@pytest.mark.parametrize("method", ["sandwich", "jackknife"])
@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_unweighted_correct_model_keeps_its_posterior_sds(model, method):
    """J = H in expectation, so V = Sigma: with N = 1500 (about 1000 events) every parameter's
    calibrated SD is within 8 % of the raw one (sampling noise of J is about sqrt(2 / events)
    relative, i.e. 4-5 % on an SD), and the posterior mean moves by less than 8 % of an SD: the
    calibrated centre is the prior combined with the likelihood's centre c = m + H^-1 g (g the
    log-likelihood's gradient averaged over the draws), which estimates the posterior mean with
    less Monte Carlo error than the draws' mean m, so the two differ by about m's error
    (SD / sqrt(ESS), 3 % of an SD here; measured: at most 3.4 %)."""
    time, event, treated, x = _weibull_ph(1500, seed=5)
    fit = fit_survival_model(model, time, event, treated, X=x[:, None], covariate_names=("x",),
                             prior=VAGUE, seed=1, intervals=4, **FAST)
    calibrated = calibrate(fit, CalibrationDesign(method=method))
    raw, new = parameter_draws(fit), parameter_draws(calibrated)
    ratio = new.reshape(-1, raw.shape[-1]).std(axis=0) / raw.reshape(-1, raw.shape[-1]).std(axis=0)
    assert np.all(np.abs(ratio - 1) < 0.08), ratio
    sd = raw.reshape(-1, raw.shape[-1]).std(axis=0)
    assert np.all(np.abs(new.mean(axis=(0, 1)) - raw.mean(axis=(0, 1))) < 0.08 * sd)


# --- (b) frequency weights equal duplicated rows ---------------------------------------------

def test_frequency_weights_calibrate_to_the_duplicated_rows_posterior():
    """Weights 2 on half the patients: the Kish-normalised posterior is wider than the fit to
    the data with those rows duplicated. Calibrated as frequency weights it equals the
    duplicated-rows posterior calibrated the same way (same J and H; every parameter's SD
    within 5 %: the MCMC error of an SD with 4000 draws is about 1.5 % per fit), and the raw
    duplicated-rows posterior within 8 % (J = H only in expectation, see the test above)."""
    time, event, treated, _ = _weibull_ph(1000, seed=7)
    counts = np.where(np.arange(1000) % 2 == 0, 2.0, 1.0)
    many = {"draws": 2000, "tune": 500, "chains": 2}
    weighted = fit_survival_model("weibull", time, event, treated, weights=counts, prior=VAGUE,
                                  seed=2, **many)
    rows = np.repeat(np.arange(1000), counts.astype(int))
    duplicated = fit_survival_model("weibull", time[rows], event[rows], treated[rows],
                                    prior=VAGUE, seed=3, time_scale=weighted.data.time_scale,
                                    **many)
    calibrated = calibrate(weighted, CalibrationDesign(raw_weights=counts, frequency=True))
    assert _sd(weighted) > 1.05 * _sd(duplicated)
    for name in ("log_hr", "log_rate", "log_shape"):
        same_meat = calibrate(duplicated, CalibrationDesign(method="sandwich"))
        assert _sd(calibrated, name) == pytest.approx(_sd(same_meat, name), rel=0.05)
        assert _sd(calibrated, name) == pytest.approx(_sd(duplicated, name), rel=0.08)


# --- (d) pair clustering ----------------------------------------------------------------------

def test_pair_clustering_narrows_the_log_hr_when_pairs_share_their_prognosis():
    """Matched pairs whose members share a frailty (log-normal, SD 1): the within-pair outcomes
    are positively correlated, so the treated-minus-reference contrast varies less than if the
    members were independent (the paired-t argument; Abadie & Spiess 2022). The pair-clustered
    log HR SD is at least 10 % below the unclustered sandwich's."""
    rng = np.random.default_rng(11)
    pairs = 300
    frailty = np.repeat(rng.normal(0, 1.0, pairs), 2)
    treated = np.tile([1.0, 0.0], pairs)
    lp = np.log(0.1) + np.log(0.6) * treated + frailty
    t = (rng.exponential(size=2 * pairs) / np.exp(lp)) ** (1 / 1.2)
    c = rng.uniform(2, 15, 2 * pairs)
    fit = fit_survival_model("weibull", np.minimum(t, c), (t <= c).astype(float), treated,
                             prior=VAGUE, seed=4, **FAST)
    clustered = calibrate(fit, CalibrationDesign(estimand="matched",
                                                 clusters=np.repeat(np.arange(pairs), 2)))
    unclustered = calibrate(fit, CalibrationDesign(estimand="matched"))
    assert _sd(clustered) < 0.9 * _sd(unclustered)


def test_matched_design_from_match_nearest_has_one_treated_and_one_reference_per_cluster():
    X, treated, _, _ = _confounded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
    m = match_nearest(ps.logit, treated, np.arange(len(X)))
    design = calibration_design("matched", match=m)
    rows = np.asarray(m.matched)
    assert design.clusters.shape == (rows.sum(),)
    frame = pd.DataFrame({"c": design.clusters, "t": treated[rows]})
    assert (frame.groupby("c")["t"].agg(["sum", "size"]).to_numpy() == [1, 2]).all()


# --- the PS term ------------------------------------------------------------------------------

def test_estimated_ps_narrows_the_ate_log_hr_against_weights_held_fixed():
    """Lunceford & Davidian (2004): with a correct PS model, estimating the PS makes the IPW
    estimator less variable than the known PS would; the stacked-equation term subtracts the
    projection of the weighted scores on the PS scores, so the ATE SD with the PS term is
    below the SD with the weights held fixed."""
    X, treated, time, event = _confounded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        w = propensity_weights(ps.score, treated, "ate")
    fit = fit_survival_model("weibull", time, event, treated.astype(float), weights=w.weights,
                             prior=VAGUE, seed=5, **FAST)
    with_ps = calibrate(fit, calibration_design("ate", ps, X, w))
    fixed = calibrate(fit, CalibrationDesign(raw_weights=w.weights))
    assert _sd(with_ps) < _sd(fixed)


def test_ps_design_rejects_weights_that_are_not_the_fits():
    X, treated, time, event = _confounded(n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        ate = propensity_weights(ps.score, treated, "ate")
        att = propensity_weights(ps.score, treated, "att")
    fit = fit_survival_model("weibull", time, event, treated.astype(float), weights=ate.weights,
                             prior=VAGUE, seed=6, draws=200, tune=200, chains=2)
    with pytest.raises(AnalysisError, match="not the weights the fit was given"):
        calibrate(fit, calibration_design("att", ps, X, att))


# --- what the calibrated fit carries --------------------------------------------------------

def test_calibrated_fit_keeps_sampler_stats_records_the_method_and_feeds_the_contrasts():
    X, treated, time, event = _confounded(n=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        w = propensity_weights(ps.score, treated, "overlap")
    fit = fit_survival_model("weibull", time, event, treated.astype(float), weights=w.weights,
                             prior=VAGUE, seed=7, draws=300, tune=300, chains=2)
    calibrated = calibrate(fit, calibration_design("overlap", ps, X, w))
    attrs = calibrated.posterior["posterior"].attrs
    assert attrs[ATTR_METHOD] == "jackknife"  # method "auto" at N = 300
    assert attrs[ATTR_SD_RATIO] == pytest.approx(_sd(calibrated) / _sd(fit))
    assert "sample_stats" in calibrated.posterior.children
    assert check_convergence(calibrated.posterior).divergences == 0
    np.testing.assert_allclose(calibrated.draws()["shape"],
                               np.exp(calibrated.draws()["log_shape"]))
    table, _ = survival_contrasts(calibrated, tau=6.0, arms=("treated", "reference"))
    assert table["lower"].notna().all()
    assert 0 < hr_summary(calibrated)["hr_lower"] < hr_summary(calibrated)["hr_upper"]


# --- (e) the bootstrap fixture ----------------------------------------------------------------

def _fixture_fit(dataset, estimand):
    """The default ate or matched Weibull fit of a reference dataset (vague prior, 4 x 1000
    draws) and its calibration design."""
    from tests.reference.bootstrap_reference import CALIPER, load

    X, treated, time, event = load(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        if estimand == "ate":
            w = propensity_weights(ps.score, treated, "ate")
            rows, weights = np.ones(len(X), dtype=bool), w.weights
            design = calibration_design("ate", ps, X, w)
        else:
            m = match_nearest(ps.logit, treated, np.arange(len(X)), caliper=CALIPER)
            rows, weights = np.asarray(m.matched), None
            design = calibration_design("matched", match=m)
    fit = fit_survival_model("weibull", time[rows], event[rows], treated[rows].astype(float),
                             weights=weights, prior=VAGUE, seed=13, draws=1000, tune=1000,
                             chains=4)
    return fit, design


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["lung", "veteran", "paper_os"])
@pytest.mark.parametrize("estimand", ["ate", "matched"])
def test_calibrated_posterior_sd_is_within_15_percent_of_the_bootstrap_se(dataset, estimand):
    """Issue 13's acceptance criterion: the calibrated posterior SD of the log HR of the default
    ate and matched Weibull fits (vague prior, 4 chains x 1000 draws; ``method="auto"``, i.e.
    the jackknife meat at these sizes) is within 15 % of the nonparametric bootstrap SE of the
    same estimator (2000 replicates; patients resampled and the PS refitted for ate, pairs
    resampled for matched; tests/reference/bootstrap_reference.py wrote
    tests/reference/fixtures/bootstrap_se.json). Measured: lung +2.8 % / +0.7 %, veteran
    +4.4 % / +5.0 %, paper_os -4.6 % / -6.4 % (ate / matched)."""
    reference = json.loads(FIXTURE.read_text())["datasets"][dataset][estimand]
    fit, design = _fixture_fit(dataset, estimand)
    calibrated = calibrate(fit, dataclasses.replace(design, method="auto"))
    assert _sd(calibrated) == pytest.approx(reference["bootstrap_se"], rel=0.15)


@pytest.mark.slow
def test_delta_method_sandwich_misses_the_bootstrap_with_extreme_ate_weights():
    """Why ``auto`` uses the jackknife at small N: on the bundled cohort (N = 126, ATE weights up
    to 23, treated ESS 18) the delta-method sandwich SD is more than 15 % below the bootstrap SE
    (measured 0.249 vs 0.309), while the jackknife is within 15 % (0.295)."""
    reference = json.loads(FIXTURE.read_text())["datasets"]["paper_os"]["ate"]["bootstrap_se"]
    fit, design = _fixture_fit("paper_os", "ate")
    assert _sd(calibrate(fit, dataclasses.replace(design, method="sandwich"))) < 0.85 * reference
    assert _sd(calibrate(fit, dataclasses.replace(design, method="jackknife"))) == \
        pytest.approx(reference, rel=0.15)


# --- the pipeline's one-line call -------------------------------------------------------------

@pytest.mark.parametrize("adjustment", ["ate", "matched"])
def test_design_for_population_calibrates_the_pipelines_weighted_and_matched_fits(adjustment):
    """From adjust()'s populations and the spec's PS design matrix to a calibrated fit in one
    call: the ATE design carries the refitted PS of every patient; the matched design the
    matched sets (two patients each)."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.bayes.calibration import design_for_population
    from bayeshcc.bayes.plan import fit_inputs, plan_fits, population_for
    from bayeshcc.cohort import Cohort
    from bayeshcc.design import design_matrix
    from bayeshcc.spec import spec_from_text
    from tests.conftest import SMALL_SPEC, make_small_frame

    cohort = Cohort.from_dataframe(make_small_frame(80), spec_from_text(
        SMALL_SPEC + "\n[bayes]\nmodels = ['weibull']\nadjustments = ['ate', 'matched']\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small cohort: propensity warnings
        population = population_for(adjustment, adjust(cohort).populations)
    task = next(t for t in plan_fits(cohort.spec) if t.adjustment == adjustment)
    fit = fit_survival_model("weibull", **fit_inputs(task, population, ()), prior=VAGUE,
                             seed=9, draws=300, tune=300, chains=2)
    X = design_matrix(cohort, cohort.spec.propensity.covariates)
    design = design_for_population(population, X)
    if adjustment == "ate":
        assert design.estimand == "ate" and design.ps_X.shape == (80, X.shape[1] + 1)
    else:
        assert np.all(np.unique(design.clusters, return_counts=True)[1] == 2)
    calibrated = calibrate(fit, design)
    assert calibrated.posterior["posterior"].attrs[ATTR_METHOD] == "jackknife"
