"""The Python API (``import bayeshcc as bh``): bh.fit, bh.compare, bh.analyze.

Fits are short (200 draws, 2 chains) and shared per module; they are judged against the
pipeline's own tables, not against fixed numbers.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import bayeshcc as bh
from bayeshcc.errors import AnalysisWarning, CohortError, SpecError
from bayeshcc.executors import derive_seed
from tests.conftest import make_small_frame

SEED = 3  # the analysis (spec) seed of every fit here
SAMPLER = {"draws": 200, "tune": 200, "chains": 2, "seed": SEED}
COVARIATES = ["age", "stage"]
TAU = 12.0

# The same analysis as bh.fit(..., adjustment="ate") below, as a spec run by the pipeline.
ATE_SPEC = f"""
[data]
id = "pid"
treatment = "arm"
treated = "new"
reference = "old"

[outcomes.os]
time = "os_time"
event = "os_event"

[covariates]
age = "numeric"
stage = "categorical"

[propensity]
covariates = ["age", "stage"]

[rmst]
tau = {TAU}

[bayes]
models = ["weibull"]
adjustments = ["ate"]
priors = ["weakly_informative"]
draws = 200
tune = 200
chains = 2
seed = {SEED}
thresholds = [0.8]
"""


def quiet_fit(df, **kwargs):
    """bh.fit with the short sampler; the short chains' 'not reliable' warning is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return bh.fit(df, time="os_time", event="os_event", treatment="arm", outcome="os",
                      **{**SAMPLER, **kwargs})


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_small_frame(80)


@pytest.fixture(scope="module")
def fit_ate(frame):
    return quiet_fit(frame, treated="new", id="pid", adjustment="ate", covariates=COVARIATES,
                     thresholds=[0.8], tau=TAU)


@pytest.fixture(scope="module")
def fit_none(frame):
    return quiet_fit(frame, treated="new")


@pytest.fixture(scope="module")
def fit_piecewise(frame):
    return quiet_fit(frame, treated="new", model="piecewise")


@pytest.fixture(scope="module")
def analysis(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return bh.analyze(frame, ATE_SPEC)


# --- bh.fit ------------------------------------------------------------------------------------

def test_fit_seed_is_the_spec_seed_derived_per_fit_key(fit_ate):
    assert fit_ate.task.seed == derive_seed(SEED, ("os", "weibull", "weakly_informative", "ate"))


def test_fit_hazard_ratio_equals_the_pipeline_posterior_hr_row(fit_ate, analysis, tmp_path):
    written = analysis.write(tmp_path / "results")
    row = pd.read_csv(written / "tables" / "posterior_hr.csv").iloc[0]
    hr = fit_ate.hazard_ratio()
    assert row["hr_median"] == pytest.approx(hr["median"], rel=1e-12)
    assert row["hr_lower"] == pytest.approx(hr["lower"], rel=1e-12)
    assert row["hr_upper"] == pytest.approx(hr["upper"], rel=1e-12)
    assert row["prob_hr_below_0.8"] == pytest.approx(hr["prob_hr_below_0.8"], abs=1e-12)
    assert row["seed"] == fit_ate.task.seed


def test_fit_rmst_and_median_equal_the_pipeline_posterior_contrasts(fit_ate, analysis):
    contrasts = analysis.tables["posterior_contrasts"]
    for quantity, mine in (("rmst", fit_ate.rmst(TAU)), ("median", fit_ate.median())):
        theirs = contrasts[contrasts["quantity"] == quantity].reset_index(drop=True)
        assert list(mine["arm"]) == ["new", "old", "difference"]
        np.testing.assert_allclose(mine["estimate"], theirs["estimate"], rtol=1e-10)
        np.testing.assert_allclose(mine["lower"], theirs["lower"], rtol=1e-10)
        np.testing.assert_allclose(mine["prob_above_0"].iloc[2], theirs["prob_above_0"].iloc[2])


def test_fit_weighted_fit_is_sandwich_calibrated_by_default(fit_ate):
    assert fit_ate.uncertainty == "sandwich"
    assert fit_ate.weighted
    assert fit_ate.table_row()["estimand"] == "marginal HR (ATE)"


def test_fit_summary_of_a_robust_prior_carries_the_borrowing_columns(frame):
    """A robust prior given as a dict: the summary has the posterior weight of the external
    component, the prior's ESS (ELIR) and Box's conflict p of the cohort's own weighted
    estimate with its sandwich SE, as posterior_hr.csv does."""
    from scipy.stats import norm

    robust = {"type": "robust", "hr": 0.45, "lower": 0.24, "upper": 0.83, "weight": 0.8}
    row = quiet_fit(frame, treated="new", id="pid", adjustment="ate", covariates=COVARIATES,
                    prior=robust).table_row()
    assert 0 < row["prior_weight_posterior"] < 1
    assert row["prior_ess_events"] == pytest.approx(26.64, abs=0.01)
    sd = (np.log(0.83) - np.log(0.24)) / (2 * 1.959964)
    z = abs(row["cohort_log_hr"] - np.log(0.45)) / np.hypot(sd, row["cohort_log_hr_se"])
    assert row["prior_data_conflict_p"] == pytest.approx(2 * norm.sf(z), rel=1e-5)


def test_fit_tree_holds_posterior_sample_stats_and_log_likelihood(fit_none):
    groups = set(fit_none.tree.children)
    assert {"posterior", "sample_stats", "log_likelihood"} <= groups
    assert fit_none.tree["posterior"].sizes["chain"] == 2
    assert fit_none.tree["posterior"].sizes["draw"] == 200


def test_hazard_ratio_thresholds_are_posterior_shares_below(fit_none):
    hr = fit_none.hazard_ratio(thresholds=[0.8, 1.5])
    log_hr = fit_none.tree["posterior"]["log_hr"].values.ravel()
    draws = np.exp(log_hr)
    assert list(hr.index) == ["median", "lower", "upper", "prob_hr_below_1",
                              "prob_hr_below_0.8", "prob_hr_below_1.5"]
    assert hr["prob_hr_below_0.8"] == pytest.approx(np.mean(draws < 0.8))
    assert hr["prob_hr_below_1.5"] == pytest.approx(np.mean(draws < 1.5))
    assert hr["median"] == pytest.approx(np.exp(np.median(log_hr)), rel=1e-12)
    assert hr["lower"] < hr["median"] < hr["upper"]


def test_survival_function_gives_each_arm_and_the_difference_at_each_time(fit_none):
    table = fit_none.survival_function([6, 12])
    assert list(table["time"]) == [6, 6, 6, 12, 12, 12]
    assert list(table["arm"]) == ["new", "old", "difference"] * 2
    arms = table[table["arm"] != "difference"]
    assert ((arms["lower"] <= arms["estimate"]) & (arms["estimate"] <= arms["upper"])).all()
    assert (arms["estimate"].iloc[2:].to_numpy() < arms["estimate"].iloc[:2].to_numpy()).all()
    assert table["prob_above_0"].notna().tolist() == [False, False, True] * 2


def test_numeric_0_1_treatment_gives_the_same_fit_as_text_levels(frame, fit_none):
    numeric = frame.assign(arm=(frame["arm"] == "new").astype(int))
    fit01 = quiet_fit(numeric, treated=1)
    assert fit01.arms == (1, 0)
    assert fit01.arm_names == ("1", "0")
    np.testing.assert_array_equal(fit01.tree["posterior"]["log_hr"].values,
                                  fit_none.tree["posterior"]["log_hr"].values)


def test_reference_defaults_to_the_other_level_and_can_be_given(frame, fit_none):
    assert fit_none.arms == ("new", "old")
    assert quiet_fit(frame, treated="old", draws=20, tune=20).arms == ("old", "new")


# --- bh.fit: bad input ----------------------------------------------------------------------

def _refused(frame, error, match, **kwargs):
    before = frame.copy()
    args = {"time": "os_time", "event": "os_event", "treatment": "arm", "treated": "new",
            "draws": 20, "tune": 20, "chains": 1, **kwargs}
    with pytest.raises(error, match=match):
        bh.fit(frame, **args)
    assert_frame_equal(frame, before)


def test_missing_column_is_named(frame):
    _refused(frame, CohortError, "'os_months'", time="os_months")
    _refused(frame, CohortError, "'ecog'", covariates=["age", "ecog"], adjustment="covariates")


def test_third_treatment_level_is_named(frame):
    three = frame.copy()
    three.loc[3, "arm"] = "placebo"
    _refused(three, CohortError, "placebo")


def test_non_numeric_time_is_named(frame):
    bad = frame.assign(os_time=frame["os_time"].astype(object))
    bad.loc[5, "os_time"] = "ten"
    _refused(bad, CohortError, "os_time.*non-numeric.*ten")


def test_unknown_adjustment_and_model_are_named(frame):
    _refused(frame, SpecError, "adjustment='iptw'.*ate", adjustment="iptw")
    _refused(frame, SpecError, "model='cox'.*weibull", model="cox")
    _refused(frame, SpecError, "uncertainty='robust'", uncertainty="robust")


def test_adjustment_without_covariates_is_refused(frame):
    _refused(frame, SpecError, "'matched' needs covariates", adjustment="matched")
    _refused(frame, SpecError, "'covariates' needs covariates", adjustment="covariates")


# --- bh.compare --------------------------------------------------------------------------------

def test_compare_gives_elpd_differences_and_their_se(fit_none, fit_piecewise):
    import arviz as az

    table = bh.compare({"weibull": fit_none, "piecewise": fit_piecewise})
    assert set(table.index) == {"weibull", "piecewise"}
    assert {"elpd", "elpd_diff", "dse", "weight"} <= set(table.columns)
    assert table["elpd_diff"].iloc[0] == 0
    loo = az.loo(fit_piecewise.tree)
    assert table.loc["piecewise", "elpd"] == pytest.approx(float(loo.elpd))
    assert table["valid_predictive_comparison"].all()


def test_compare_flags_weighted_fits_as_not_predictive(fit_none, fit_ate):
    with pytest.warns(AnalysisWarning, match="not a valid predictive comparison"):
        table = bh.compare({"unadjusted": fit_none, "ate": fit_ate})
    assert not table.loc["ate", "valid_predictive_comparison"]
    assert table.loc["unadjusted", "valid_predictive_comparison"]


# --- bh.analyze -------------------------------------------------------------------------------

def test_analyze_returns_tables_posteriors_and_manifest(analysis):
    assert {"posterior_hr", "posterior_contrasts", "cox", "km_curves", "balance"} <= set(analysis.tables)
    assert list(analysis.posteriors) == ["os_weibull_weakly_informative_ate"]
    assert "log_hr" in analysis.posteriors["os_weibull_weakly_informative_ate"]["posterior"]
    assert analysis.manifest["bayes"]["draws"] == 200 and analysis.manifest["bayes"]["fits"] == 1


def test_analyze_write_refuses_a_non_empty_folder_without_force(analysis, tmp_path):
    from bayeshcc.results import ResultsExistError

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ResultsExistError):
        analysis.write(out)
    assert (out / "keep.txt").read_text() == "mine"
    analysis.write(out, force=True)
    assert (out / "tables" / "posterior_hr.csv").exists() and not (out / "keep.txt").exists()


# --- the package top level --------------------------------------------------------------------

def test_import_is_light_and_exports_the_api():
    code = ("import sys, bayeshcc as bh; "
            "assert 'matplotlib' not in sys.modules and 'pymc' not in sys.modules; "
            "assert callable(bh.fit) and callable(bh.compare) and callable(bh.analyze); "
            "assert 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_ppc_keeps_predicted_times_beyond_the_follow_up(monkeypatch):
    # issue #26: ArviZ's default extrapolation_factor=1.2 drops predicted times beyond 1.2 x the
    # largest follow-up, which pulls the predictive curves below the Kaplan-Meier curve
    import arviz_plots

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)  # too few draws to be reliable
        fit = bh.fit(make_small_frame(60), "os_time", "os_event", "arm", "new", draws=50,
                     tune=50, chains=1, prior="vague")
    seen = {}
    monkeypatch.setattr(arviz_plots, "plot_ppc_censored",
                        lambda tree, **kwargs: seen.update(kwargs, tree=tree) or "drawn")
    assert fit.plot_ppc(num_samples=20) == "drawn"
    assert seen["extrapolation_factor"] is None and seen["num_samples"] == 20
    assert seen["tree"] is fit.tree


def test_an_unreliable_fit_warns_in_bh_fits_words():
    with pytest.warns(AnalysisWarning, match=r"^bh\.fit: posterior .* not reliable") as caught:
        bh.fit(make_small_frame(60), "os_time", "os_event", "arm", "new", draws=20, tune=20,
               chains=1, prior="vague")
    assert not any("--" in str(w.message) for w in caught)  # no command-line flag
