"""Standardised contrasts (``[bayes] outcome_covariates``, issue 25): the propensity covariates in
the outcome model of weighted and matched fits, survival standardised over the estimand's
target population.

Against R (``tests/reference/standardised_ate.R``: ``riskRegression::ate``, Cox outcome model,
logistic PS, on gbsg and lung at three times), with vague priors, the same covariates and a
10-interval piecewise baseline:

* the unweighted outcome model standardised over everyone (``adjustment="covariates"``) and over
  the treated agrees with R's ``GFORMULA`` within 0.5 x R's SE at every time (measured: |gap|
  0.00-0.14 SE);
* the ATE-weighted outcome model standardised over everyone (``outcome_covariates=True``) is a
  weighted-regression g-formula, not R's augmented estimator: against ``AIPTW`` it is within
  0.5 SE at four of the six times (-0.30 to -0.36 SE) and 1.26 SE below it at gbsg's 1825 days
  and lung's 180 days, where R's AIPTW is itself 1.5 and 1.2 of its SE from R's G-formula.
  Those two cells are strict xfails with their measured gap, not a loosened tolerance.
* the RMST difference up to the last time (R: the area under each estimator's step curve, its
  SE from the integrated influence functions): +0.03 and -0.04 SE from ``GFORMULA``; -0.30 SE
  (gbsg) and -0.82 SE (lung, a strict xfail) from ``AIPTW``.

The same gaps were measured with 6 and 20 piecewise intervals, the Weibull and the M-spline
baselines: ``GFORMULA`` within 0.45 SE everywhere, the two ``AIPTW`` cells 1.05-1.34 SE off.

A simulation with known truth (confounded treatment, Weibull PH in two covariates;
:mod:`benchmarks.standardised_coverage`) checks that the standardised ATE, ATT, overlap and
matched-sample differences recover the true marginal S(t) differences.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.bayes.contrasts import marginal_survival
from bayeshcc.bayes.hazards import cumulative_hazard, linear_covariates
from bayeshcc.bayes.plan import plan_fits
from bayeshcc.bayes.standardise import standardised, target_weights
from bayeshcc.cohort import Cohort
from bayeshcc.errors import AnalysisError, SpecError
from bayeshcc.populations import Population
from bayeshcc.spec import spec_from_text
from bayeshcc.tables.bayes import fit_rows

from benchmarks.standardised_coverage import TIMES as SIM_TIMES
from benchmarks.standardised_coverage import (analysed_covariates, conditional_difference,
                                              simulate, true_differences)
from tests.conftest import SMALL_SPEC, make_small_frame

REF = Path(__file__).parents[1] / "reference"
R = pd.read_csv(REF / "fixtures" / "standardised_ate.csv")
TRUTHS = true_differences()
COHORTS = {"gbsg": (["age", "meno", "size", "nodes"], (365, 1095, 1825)),
           "lung": (["age", "ph_ecog"], (180, 365, 540))}
SETTINGS = dict(model="piecewise", intervals=10, prior="vague", draws=1000, tune=1000, chains=2)


def _cohort(name: str) -> pd.DataFrame:
    """A cohort of tests/reference/data as R read it, the treatment as 0/1 (``treat``)."""
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    return d.assign(treat=d["group"].astype(int))


# --- the spec and the API --------------------------------------------------------------------

def test_outcome_covariates_is_off_by_default_and_read_from_bayes():
    assert spec_from_text(SMALL_SPEC).bayes.outcome_covariates is False
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\noutcome_covariates = true\n")
    assert spec.bayes.outcome_covariates is True


def test_outcome_covariates_sets_only_the_propensity_adjusted_tasks():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\noutcome_covariates = true\nadjustments = "
                          "['none', 'covariates', 'ate', 'att', 'overlap', 'matched']\n"
                          "models = ['weibull']\n")
    flags = {t.adjustment: t.outcome_covariates for t in plan_fits(spec)}
    assert flags == {"none": False, "covariates": False, "ate": True, "att": True,
                     "overlap": True, "matched": True}
    off = plan_fits(spec_from_text(SMALL_SPEC))
    assert not any(t.outcome_covariates for t in off)
    # the flag is not part of a fit's key: its seed and posterior file name are unchanged
    assert [t.seed for t in plan_fits(spec_from_text(SMALL_SPEC + "\n[bayes]\nmodels = "
                                                     "['weibull']\nadjustments = ['ate']\n"))] \
        == [t.seed for t in plan_fits(spec) if t.adjustment == "ate"]


@pytest.mark.parametrize("extra, message", [
    ("outcome_covariates = 'yes'\n", "bayes.outcome_covariates"),
    ("outcome_covariates = true\nuncertainty = 'ps_bootstrap'\n", "ps_bootstrap"),
])
def test_invalid_outcome_covariates_settings_are_refused(extra, message):
    with pytest.raises(SpecError, match=message):
        spec_from_text(SMALL_SPEC + "\n[bayes]\n" + extra)


def test_outcome_covariates_needs_propensity_covariates():
    text = SMALL_SPEC.replace('[propensity]\ncovariates = ["age", "stage"]\n', "")
    with pytest.raises(SpecError, match=r"\[propensity\] covariates"):
        spec_from_text(text + "\n[bayes]\noutcome_covariates = true\nadjustments = ['none']\n")


@pytest.mark.parametrize("adjustment", ["none", "covariates"])
def test_bh_fit_refuses_outcome_covariates_without_a_propensity_adjustment(adjustment):
    df = make_small_frame()
    with pytest.raises(SpecError, match="outcome_covariates=True applies"):
        bh.fit(df, "os_time", "os_event", "arm", "new", adjustment=adjustment,
               covariates=["age"], outcome_covariates=True)


@pytest.fixture(scope="module")
def r_fits():
    """Per cohort: the unweighted outcome model and the ATE-weighted one, both with covariates."""
    out = {}
    for name, (covariates, _) in COHORTS.items():
        out[name] = {adj: bh.fit(_cohort(name), "time", "event", "treat", 1, adjustment=adj,
                                 covariates=covariates, outcome_covariates=adj != "covariates",
                                 **SETTINGS)
                     for adj in ("covariates", "ate")}
    return out


def test_the_fit_jobs_carry_the_covariates_and_their_target_population():
    """The pipeline's jobs (:func:`bayeshcc.stages.bayes_job`, also behind ``bh.fit``): the
    propensity covariates in the outcome model of each PS-adjusted fit, none in ``none``, and
    the standardisation weights of each estimand."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.stages import bayes_job

    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\noutcome_covariates = true\nmodels = "
                          "['weibull']\nadjustments = ['none', 'ate', 'att', 'overlap', "
                          "'matched']\n")
    cohort = Cohort.from_dataframe(make_small_frame(80, seed=3), spec)
    populations = adjust(cohort).populations
    jobs = {t.adjustment: bayes_job(cohort, populations, t) for t in plan_fits(spec)}
    assert jobs["none"].inputs["X"] is None and jobs["none"].standardise is None
    for name in ("ate", "att", "overlap", "matched"):
        job = jobs[name]
        assert job.inputs["covariate_names"] == ("age", "stage[II]", "stage[III]"), name
        assert job.inputs["weights"] is not None or name == "matched"
        assert job.standardise.shape == job.inputs["time"].shape
    treated = jobs["att"].inputs["treated"]
    np.testing.assert_array_equal(jobs["att"].standardise, treated)
    np.testing.assert_array_equal(jobs["ate"].standardise, np.ones_like(treated))
    assert np.all(jobs["overlap"].standardise <= 0.25)


# --- target populations ----------------------------------------------------------------------

def _population(name, weights=None, score=None):
    spec = spec_from_text(SMALL_SPEC)
    cohort = Cohort.from_dataframe(make_small_frame(40), spec)
    return Population(name, cohort, weights=weights, ps_score=score)


def test_target_weights_are_everyone_the_treated_equipoise_and_the_matched_sample():
    score = np.linspace(0.2, 0.9, 40)
    w = np.tile([1.0, 2.0, 0.0, 1.5, 1.0, 3.0, 1.2, 1.1], 5)  # every 8th from the 3rd trimmed
    treated = np.arange(40) % 2 == 0  # make_small_frame: "new" on even rows
    kept = (w > 0).astype(float)
    np.testing.assert_array_equal(target_weights("ate", _population("ate", w, score)), kept)
    np.testing.assert_array_equal(target_weights("att", _population("att", w, score)),
                                  kept * treated)
    np.testing.assert_allclose(target_weights("overlap", _population("overlap", w, score)),
                               kept * score * (1 - score))
    np.testing.assert_array_equal(target_weights("matched", _population("matched")), np.ones(40))
    np.testing.assert_array_equal(target_weights("matched", _population("matched", w)), w)
    with pytest.raises(AnalysisError, match="not 'covariates'"):
        target_weights("covariates", _population("unadjusted"))


def test_standardised_survival_is_the_target_weighted_average_of_patient_curves(r_fits):
    fit = r_fits["lung"]["covariates"].bayes_fit
    d = fit.data
    v = np.where(d.treated > 0, 1.0, 0.25)
    out = marginal_survival(standardised(fit, v), np.array([180.0, 365.0]))
    draws = fit.draws(400)
    xb = linear_covariates(draws, d.X)                                  # draws x patients
    n = d.time.size
    for a, arm in enumerate((1.0, 0.0)):
        for g, t in enumerate((180.0, 365.0)):
            H = cumulative_hazard(fit.model, draws, np.full(n, t / d.time_scale),
                                  np.full(n, arm), xb, fit.cuts / d.time_scale)
            np.testing.assert_allclose(out[a, :, g], np.exp(-H) @ (v / v.sum()))
    # unchanged when no target is set: the analysis weights (here all 1) are averaged over
    assert fit.data.target_weights is None
    np.testing.assert_allclose(marginal_survival(fit, np.array([180.0])),
                               marginal_survival(standardised(fit, np.ones(d.time.size)),
                                                 np.array([180.0])))
    with pytest.raises(AnalysisError, match="one per analysed patient"):
        standardised(fit, np.ones(3))


# --- against riskRegression::ate ---------------------------------------------------------------

def _gaps(fit, name, estimand, estimator):
    """(Bayes - R) / R's SE of the S(t) difference at the cohort's three times."""
    times = np.array(COHORTS[name][1], dtype=float)
    s = marginal_survival(fit, times)
    bayes = np.median(s[0] - s[1], axis=0)
    ref = R[(R.dataset == name) & (R.estimand == estimand) & (R.estimator == estimator)
            & (R.quantity == "difference")].set_index("time").loc[times]
    return (bayes - ref["estimate"].to_numpy()) / ref["se"].to_numpy()


@pytest.mark.parametrize("name", list(COHORTS))
def test_outcome_model_standardised_over_everyone_agrees_with_r_gformula(r_fits, name):
    fit = r_fits[name]["covariates"]
    assert fit.reliable
    gaps = _gaps(fit.bayes_fit, name, "ate", "GFORMULA")
    assert np.all(np.abs(gaps) < 0.5), gaps


@pytest.mark.parametrize("name", list(COHORTS))
def test_outcome_model_standardised_over_the_treated_agrees_with_r_gformula(r_fits, name):
    fit = r_fits[name]["covariates"].bayes_fit
    gaps = _gaps(standardised(fit, fit.data.treated), name, "att", "GFORMULA")
    assert np.all(np.abs(gaps) < 0.5), gaps


AIPTW_CELLS = [("gbsg", 0), ("gbsg", 1),
               pytest.param("gbsg", 2, marks=pytest.mark.xfail(
                   strict=True, reason="measured -1.26 R SE (Bayes 0.135, R AIPTW 0.197; R's "
                                       "G-formula 0.125): the weighted PH outcome model is not "
                                       "the augmented estimator")),
               pytest.param("lung", 0, marks=pytest.mark.xfail(
                   strict=True, reason="measured -1.26 R SE (Bayes 0.117, R AIPTW 0.186; R's "
                                       "G-formula 0.121)")),
               ("lung", 1), ("lung", 2)]


@pytest.mark.parametrize("name, index", AIPTW_CELLS)
def test_weighted_outcome_model_standardised_over_everyone_against_r_aiptw(r_fits, name, index):
    fit = r_fits[name]["ate"]
    assert fit.reliable and fit.uncertainty == "sandwich"
    gap = _gaps(fit.bayes_fit, name, "ate", "AIPTW")[index]
    assert abs(gap) < 0.5, gap


def _rmst_gap(fit, name, estimator):
    """(Bayes - R) / R's SE of the RMST difference up to the cohort's last time."""
    tau = float(max(COHORTS[name][1]))
    table = fit.rmst(tau)
    bayes = table.loc[table["arm"] == "difference", "estimate"].iloc[0]
    ref = R[(R.dataset == name) & (R.estimator == estimator)
            & (R.quantity == "rmst_difference")].iloc[0]
    assert ref["time"] == tau
    return (bayes - ref["estimate"]) / ref["se"]


@pytest.mark.parametrize("name", list(COHORTS))
def test_standardised_rmst_difference_agrees_with_r_gformula(r_fits, name):
    """Measured: gbsg (tau 1825 days) +0.03 R SE, lung (540 days) -0.04."""
    gap = _rmst_gap(r_fits[name]["covariates"], name, "GFORMULA")
    assert abs(gap) < 0.5, gap


@pytest.mark.parametrize("name", [
    "gbsg", pytest.param("lung", marks=pytest.mark.xfail(
        strict=True, reason="measured -0.82 R SE (Bayes 70.5 days, R AIPTW 90.0, R's "
                            "G-formula 72.7): the early gap of lung's 180 days"))])
def test_weighted_rmst_difference_against_r_aiptw(r_fits, name):
    """Measured: gbsg -0.30 R SE."""
    gap = _rmst_gap(r_fits[name]["ate"], name, "AIPTW")
    assert abs(gap) < 0.5, gap


def test_weighted_fit_reports_and_labels_its_standardised_contrasts(r_fits):
    fit = r_fits["lung"]["ate"]
    row = fit.table_row()
    assert row["estimand"] == "conditional HR (ATE weights, covariates in the model)"
    assert row["covariates"] == "age;ph_ecog"
    np.testing.assert_array_equal(fit.bayes_fit.data.target_weights, np.ones(227))
    s = fit.survival_function([180, 365])
    assert list(s["arm"]) == ["1", "0", "difference"] * 2
    rmst = fit.rmst(365)
    diff = rmst[rmst["arm"] == "difference"].iloc[0]
    assert diff["lower"] < diff["estimate"] < diff["upper"]
    # the rows posterior_contrasts.csv gets from this fit
    _, contrasts, _, _ = fit_rows(fit.task, fit.bayes_fit, 365.0, fit.arm_names, ())
    assert set(contrasts["estimand"]) == {"standardised contrast (ATE: whole cohort, weighted "
                                          "outcome model)"}
    row = contrasts[(contrasts["quantity"] == "rmst") & (contrasts["arm"] == "difference")]
    assert row["estimate"].iloc[0] == pytest.approx(diff["estimate"])


def test_default_weighted_fit_stays_treatment_only():
    fit = bh.fit(_cohort("lung"), "time", "event", "treat", 1, adjustment="ate",
                 covariates=["age", "ph_ecog"], draws=500, tune=500, chains=2)
    assert fit.bayes_fit.data.X.shape[1] == 0 and fit.bayes_fit.data.target_weights is None
    assert fit.table_row()["estimand"] == "marginal HR (ATE)"
    _, contrasts, _, _ = fit_rows(fit.task, fit.bayes_fit, fit.tau, fit.arm_names, ())
    assert set(contrasts["estimand"]) == {"marginal contrast (ATE)"}


# --- simulation with known truth -----------------------------------------------------------------

@pytest.mark.parametrize("estimand", ["ate", "att", "overlap", "matched"])
def test_standardised_difference_recovers_the_true_marginal_difference(estimand):
    """4 simulated cohorts of 500 (:mod:`benchmarks.standardised_coverage`, whose 40-cohort run
    is in ``benchmarks/standardised_coverage.json``): every 95 % interval covers the truth, and
    the mean error is within 2.5 standard errors of the mean. The matched sample's truth is its
    own patients' average true difference (the sample it is standardised over)."""
    errors, sds = [], []
    for seed in range(4):
        cohort = simulate(seed)
        fit = bh.fit(cohort, "time", "event", "treat", 1, adjustment=estimand,
                     covariates=["x1", "x2"], outcome_covariates=True, draws=1000, tune=500,
                     chains=2, seed=seed)
        if estimand == "matched":
            x = analysed_covariates(cohort, fit)
            d = fit.bayes_fit.data
            np.testing.assert_allclose(x, d.X * d.x_sd + d.x_mean)  # the model's covariates
            truth = np.array([conditional_difference(x, t).mean() for t in SIM_TIMES])
        else:
            truth = TRUTHS[estimand]
        s = marginal_survival(fit.bayes_fit, np.array(SIM_TIMES))
        diff = s[0] - s[1]
        lo, hi = np.quantile(diff, [0.025, 0.975], axis=0)
        assert np.all((lo < truth) & (truth < hi)), (seed, lo, hi, truth)
        errors.append(np.median(diff, axis=0) - truth)
        sds.append(diff.std(axis=0))
    errors, sds = np.array(errors), np.array(sds)
    assert np.all(np.abs(errors.mean(axis=0)) < 2.5 * sds.mean(axis=0) / np.sqrt(len(errors)))
