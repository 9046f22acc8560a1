"""Informative priors on calibrated (weighted and matched) fits take the conjugate centre
(issue #23, part 1; bayeshcc.bayes.calibration).

The target of every check is computed here from the vague-prior calibrated fit of the same
data and adjustment: its log-HR draws' mean m and SD s are the calibrated likelihood N(m, s^2),
combined with the prior conjugately (normal priors) or as the analytic mixture posterior
(robust priors; bayeshcc.bayes.borrowing.mixture_posterior_normal). The cohorts, priors and
targets are those of ``python -m benchmarks.calibrated_priors``, which measures the whole grid
(benchmarks/calibrated_priors.json); the numbers quoted below are from that run, 4 chains x
1000 draws, the fits' seeds the pipeline's. The fits share the compiled Weibull model, and the
bundled cohort has 126 patients: each fit takes about a second.
"""

import dataclasses
import math
import warnings

import numpy as np
import pytest

from benchmarks import calibrated_priors as bench
from bayeshcc.bayes.calibration import (ATTR_CLIPPED, ATTR_METHOD, CALIBRATED_INTERVAL,
                                        calibrate, interval_words, sandwich_covariance)
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN
from bayeshcc.errors import AnalysisError

MEAN_TOL_SD = 0.05      # issue #23: calibrated mean within 0.05 target SD of the target
SD_TOL = 0.05           # ... and SD within 5 %
MIXTURE_TOL = 0.02      # robust mixture: P(HR < 1), median HR, prior_weight_posterior


@pytest.fixture(scope="module")
def bundled():
    """The bundled cohort's ate, matched and overlap cases, by label."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {case[0]: case for case in bench.bundled_cases()}


@pytest.fixture(scope="module")
def vague_moments():
    """Mean and SD of the vague-prior calibrated log-HR draws, per case (computed once)."""
    cache = {}

    def get(case):
        label, inputs, design, seed = case
        if label not in cache:
            x = bench.calibrated_log_hr(inputs, design, seed, BUILT_IN["vague"]).ravel()
            cache[label] = (float(x.mean()), float(x.std(ddof=1)))
        return cache[label]
    return get


def _normal_check(case, prior_name, vague_moments):
    label, inputs, design, seed = case
    m, s = vague_moments(case)
    prior = bench.normal_priors()[prior_name]
    x = bench.calibrated_log_hr(inputs, design, seed, prior).ravel()
    target_mean, target_sd = bench.normal_target(m, s, prior)
    return (x.mean() - target_mean) / target_sd, x.std(ddof=1) / target_sd


# --- normal priors: the conjugate check -------------------------------------------------------

@pytest.mark.parametrize("label, prior_name", [
    ("bundled/os/ate", "skeptical"),     # main: +0.200 SD; now +0.026 (the largest error)
    ("bundled/pfs/ate", "skeptical"),    # main: -0.336 SD; now +0.007
    ("bundled/pfs/matched", "skeptical"),  # main: +0.252 SD; now +0.006
    ("bundled/os/overlap", "external_a0_0.5"),  # main: +0.077 SD; now +0.001
])
def test_informative_prior_takes_the_conjugate_centre_and_spread(bundled, vague_moments, label,
                                                                  prior_name):
    """The calibrated log-HR draws under a normal prior have the mean and SD of the prior
    combined with N(m, s^2), (m, s) those of the vague calibrated fit. Measured (benchmark):
    all 18 bundled normal-prior rows within 0.026 SD in the mean and 0.1 % in the SD; the
    landed main was up to 0.34 SD off (PFS, ATE, sceptical)."""
    error, ratio = _normal_check(bundled[label], prior_name, vague_moments)
    assert abs(error) < MEAN_TOL_SD and abs(ratio - 1) < SD_TOL, (error, ratio)


@pytest.mark.slow
@pytest.mark.parametrize("prior_name", ["skeptical", "enthusiastic", "external_a0_0.5"])
@pytest.mark.parametrize("outcome", ["os", "pfs"])
@pytest.mark.parametrize("adjustment", ["ate", "matched", "overlap"])
def test_every_bundled_normal_prior_row_meets_the_conjugate_check(bundled, vague_moments,
                                                                   outcome, adjustment,
                                                                   prior_name):
    """The whole bundled grid of issue #23's conjugate check (18 rows)."""
    error, ratio = _normal_check(bundled[f"bundled/{outcome}/{adjustment}"], prior_name,
                                 vague_moments)
    assert abs(error) < MEAN_TOL_SD and abs(ratio - 1) < SD_TOL, (error, ratio)


@pytest.mark.slow
@pytest.mark.parametrize("prior_name", ["skeptical", "enthusiastic", "external_a0_0.5"])
def test_simulated_cohort_whose_weights_follow_the_hazard_meets_the_conjugate_check(
        vague_moments, prior_name):
    """N = 500, att: x and z raise both the chance of treatment and the hazard, so the
    reference arm's weights e / (1 - e) follow the hazard. Measured: sceptical +0.011 SD
    (main: +0.360), enthusiastic -0.000, external -0.001; SD within 0.1 %."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case = bench.simulated_case()
        error, ratio = _normal_check(case, prior_name, vague_moments)
    assert abs(error) < MEAN_TOL_SD and abs(ratio - 1) < SD_TOL, (error, ratio)


# --- robust mixtures ----------------------------------------------------------------------------

@pytest.mark.parametrize("label, prior_name", [
    ("bundled/os/ate", "robust_agree"),       # measured max error 0.001 (main: 0.010)
    ("bundled/pfs/ate", "robust_conflict"),   # 0.004 (main: 0.057, P(HR < 1) 0.952 vs 0.895)
    ("bundled/os/matched", "robust_conflict"),  # 0.010 (main: 0.059)
])
def test_robust_mixture_matches_the_normal_approximation_mixture_posterior(
        bundled, vague_moments, label, prior_name):
    """P(HR < 1), the median HR and the posterior weight of the informative component are
    within 0.02 of the mixture prior x N(m, s^2) (analytic), when the cohort agrees with the
    external evidence (HR 0.45) and when it conflicts with it (HR 2.5, 1.6-3.9)."""
    label, inputs, design, seed = bundled[label]
    m, s = vague_moments(bundled[label])
    prior = bench.robust_priors()[prior_name]
    got = bench.draws_summary(bench.calibrated_log_hr(inputs, design, seed, prior), prior)
    want = bench.mixture_target(m, s, prior)
    for key in got:
        assert got[key] == pytest.approx(want[key], abs=MIXTURE_TOL), (key, got, want)


# --- scale invariance ---------------------------------------------------------------------------

def test_sceptical_calibrated_draws_do_not_change_with_the_scale_of_the_weights(bundled):
    """Raw weights (and the design's) times 0.5 or 2: the calibrated draws are the same to
    rtol 1e-8 (the Kish normalisation makes the pseudo-posterior scale-free; the sandwich's
    PS term and the jackknife's refits use the raw weights, whose scale cancels)."""
    label, inputs, design, seed = bundled["bundled/os/ate"]
    base = bench.calibrated_log_hr(inputs, design, seed, BUILT_IN["skeptical"])
    for c in (0.5, 2.0):
        scaled = dataclasses.replace(design, raw_weights=c * np.asarray(design.raw_weights))
        x = bench.calibrated_log_hr({**inputs, "weights": c * np.asarray(inputs["weights"])},
                                    scaled, seed, BUILT_IN["skeptical"])
        np.testing.assert_allclose(x, base, rtol=1e-8)


@pytest.mark.parametrize("method", ["sandwich", "jackknife"])
def test_calibration_of_the_same_draws_is_invariant_to_any_weight_scale(bundled, method):
    """The same draws calibrated with the design's raw weights times 3 (not a power of two, so
    the arithmetic differs): target centre and covariance equal to rtol 1e-8, for both meats."""
    label, inputs, design, seed = bundled["bundled/pfs/ate"]
    fit = fit_survival_model("weibull", **inputs, prior=BUILT_IN["skeptical"], seed=seed,
                             draws=300, tune=300, chains=2)
    design = dataclasses.replace(design, method=method)
    base = sandwich_covariance(fit, design)
    scaled = sandwich_covariance(fit, dataclasses.replace(
        design, raw_weights=3 * np.asarray(design.raw_weights)))
    np.testing.assert_allclose(scaled["centre"], base["centre"], rtol=1e-8)
    np.testing.assert_allclose(scaled["covariance"], base["covariance"], rtol=1e-8)


# --- the Gaussian algebra on a prior whose pieces are known -------------------------------------

def test_vague_prior_keeps_the_draws_mean_and_takes_the_sandwich_spread(bundled):
    """Under the vague prior the calibrated log-HR SD is that of the sandwich S of the weighted
    MLE narrowed by the priors only (measured 0.4 % below, OS matched: the baseline's
    log_shape ~ N(0, 0.5) through its correlation with the log HR), and the mean moves by less
    than 0.02 SD (Lambda^-1 (S^-1 - H) times the vague prior's pull)."""
    label, inputs, design, seed = bundled["bundled/os/matched"]
    fit = fit_survival_model("weibull", **inputs, prior=BUILT_IN["vague"], seed=seed,
                             draws=1000, tune=1000, chains=4)
    pieces = sandwich_covariance(fit, design)
    h = pieces["names"].index("log_hr")
    s_hr = math.sqrt(pieces["likelihood_covariance"][h, h])
    assert 0.99 * s_hr < math.sqrt(pieces["covariance"][h, h]) <= s_hr
    assert abs(pieces["centre"][h] - pieces["mean"][h]) < 0.02 * s_hr
    assert not pieces["clipped"]


def test_calibrated_rows_are_named_as_such_and_record_clipping(bundled):
    label, inputs, design, seed = bundled["bundled/os/ate"]
    fit = fit_survival_model("weibull", **inputs, prior=BUILT_IN["skeptical"], seed=seed,
                             draws=300, tune=300, chains=2)
    attrs = calibrate(fit, design).posterior["posterior"].attrs
    assert attrs[ATTR_METHOD] == "jackknife" and attrs[ATTR_CLIPPED] == 0
    assert interval_words(True) == {"interval": CALIBRATED_INTERVAL,
                                    "probability": "calibrated probability"}
    assert interval_words(False)["interval"] == "credible interval"


def test_weighted_mle_that_does_not_exist_is_one_clear_error():
    """A piecewise fit whose weights leave an interval without events (its MLE is at minus
    infinity) cannot be calibrated: one AnalysisError, never a number."""
    rng = np.random.default_rng(4)
    n = 120
    treated = (np.arange(n) % 2).astype(float)
    time = rng.exponential(10, n) + 0.1
    event = np.ones(n)
    cuts = [np.quantile(time, 0.5)]
    weights = np.where(time >= cuts[0], 0.0, 1.0)   # no weighted time at risk after the cut
    fit = fit_survival_model("piecewise", time, event, treated, weights=weights,
                             prior=BUILT_IN["vague"], cutpoints=cuts, seed=2, draws=200,
                             tune=200, chains=2)
    from bayeshcc.bayes.calibration import CalibrationDesign

    with pytest.raises(AnalysisError, match="maximum-likelihood"):
        calibrate(fit, CalibrationDesign(method="sandwich", raw_weights=weights))


# --- the tipping point --------------------------------------------------------------------------

@pytest.mark.slow
def test_probability_of_benefit_at_the_tipping_prior_is_the_threshold():
    """The bundled cohort's primary analysis (Weibull, ate): the calibrated check fit at the
    tipping prior gives P(HR < 1) within 0.005 of the decision threshold 0.95. Measured 0.952
    (main: 0.940, the calibration then kept the Kish prior-data compromise). The Monte Carlo
    SE of a probability near 0.95 from these 4 000 draws is about 0.004, so the check is
    deterministic only through the fixed seeds."""
    rows = bench.tipping()
    checked = [r for r in rows if not math.isnan(r["prob_hr_below_1_at_tipping"])]
    assert checked, rows
    for row in checked:
        assert row["prob_hr_below_1_at_tipping"] == pytest.approx(row["threshold"], abs=0.005)
        assert row["probability"] == "calibrated probability"
