"""The verbs of a fit (bayeshcc.fitted.Fit): summary, survival of profiles, saving, figures.

Fits are short (200 draws, 2 chains, as tests/test_api.py, so the compiled models are shared)
and made once per module; they are judged against the fit's own other verbs and the model's
draws, not against fixed numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import bayeshcc as bh
from bayeshcc.errors import AnalysisError, AnalysisWarning
from tests.conftest import make_small_frame

SAMPLER = {"draws": 200, "tune": 200, "chains": 2, "seed": 3}
TIMES = [3.0, 6.0, 12.0]


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
def fit_none(frame):
    return quiet_fit(frame, treated="new")


@pytest.fixture(scope="module")
def fit_covariates(frame):
    return quiet_fit(frame, treated="new", adjustment="covariates", covariates=["age", "stage"],
                     thresholds=[0.8], tau=12.0)


@pytest.fixture(scope="module")
def fit_ate(frame):
    return quiet_fit(frame, treated="new", id="pid", adjustment="ate",
                     covariates=["age", "stage"], tau=12.0)


def _axes():
    return Figure().subplots()


# --- summary ------------------------------------------------------------------------------------

def test_summary_is_a_table_whose_hr_row_is_hazard_ratio(fit_covariates):
    table = fit_covariates.summary()
    hr = fit_covariates.hazard_ratio()
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == ["hr", "prob_hr_below_1", "prob_hr_below_0.8",
                                 "median_difference", "rmst_difference", "survival_difference"]
    assert table.loc["hr", ["estimate", "lower", "upper"]].tolist() == [
        hr["median"], hr["lower"], hr["upper"]]
    assert table.loc["prob_hr_below_0.8", "estimate"] == hr["prob_hr_below_0.8"]
    assert (table["reliable"] == fit_covariates.reliable).all()


def test_summary_differences_are_the_rmst_and_median_tables(fit_covariates):
    table = fit_covariates.summary()
    rmst = fit_covariates.rmst().set_index("arm").loc["difference"]
    median = fit_covariates.median().set_index("arm").loc["difference"]
    assert table.loc["rmst_difference", ["estimate", "lower", "upper"]].tolist() == [
        rmst["estimate"], rmst["lower"], rmst["upper"]]
    assert table.loc["median_difference", "estimate"] == pytest.approx(median["estimate"],
                                                                       nan_ok=True)


def test_summary_of_a_calibrated_fit_says_its_intervals_are_calibrated(fit_ate, fit_none):
    assert fit_ate.summary().loc["hr", "interval"] == "95 % calibrated interval"
    assert fit_none.summary().loc["hr", "interval"] == "95 % credible interval"


def test_repr_html_shows_the_summary_table(fit_none):
    html = fit_none._repr_html_()
    assert "os/weibull/weakly_informative/none" in html
    assert html.count("<tr") == len(fit_none.summary()) + 2  # two header rows


# --- survival of profiles -----------------------------------------------------------------------

def test_predict_survival_of_a_treatment_only_fit_is_its_arms_survival_function(fit_none):
    profiles = pd.DataFrame({"arm": ["old", "new"]}, index=["control", "drug"])
    predicted = fit_none.predict_survival(profiles, TIMES)
    assert list(predicted.columns) == ["profile", "time", "estimate", "lower", "upper"]
    assert list(predicted["profile"]) == ["control"] * 3 + ["drug"] * 3
    standardised = fit_none.survival_function(TIMES)
    for label, arm in (("control", "old"), ("drug", "new")):
        mine = predicted[predicted["profile"] == label]
        theirs = standardised[standardised["arm"] == arm]
        for column in ("estimate", "lower", "upper"):
            np.testing.assert_allclose(mine[column], theirs[column], rtol=1e-12)


def test_the_analysed_patients_profiles_average_to_the_standardised_curve(fit_covariates, frame):
    """Standardisation averages every patient's curve with the arm set: so do the profiles of
    the analysed patients encoded by the fit's design, draw by draw."""
    from bayeshcc.bayes.contrasts import marginal_survival, profile_survival

    grid = np.asarray(TIMES)
    marginal = marginal_survival(fit_covariates.bayes_fit, grid)
    for a, arm in enumerate(fit_covariates.arms):
        treated, X = fit_covariates.profiles.encode(frame.assign(arm=arm))
        curves = profile_survival(fit_covariates.bayes_fit, grid, treated, X)
        np.testing.assert_allclose(curves.mean(axis=0), marginal[a], rtol=1e-10)


def test_predict_survival_names_a_missing_column_and_an_unknown_level(fit_covariates):
    with pytest.raises(AnalysisError, match=r"'stage'.*arm, age, stage"):
        fit_covariates.predict_survival(pd.DataFrame({"arm": ["new"], "age": [60]}), TIMES)
    with pytest.raises(AnalysisError, match=r"'stage'.*'IV'"):
        fit_covariates.predict_survival(pd.DataFrame({"arm": ["new"], "age": [60],
                                                      "stage": ["IV"]}), TIMES)
    with pytest.raises(AnalysisError, match=r"'arm'.*'placebo'"):
        fit_covariates.predict_survival(pd.DataFrame({"arm": ["placebo"], "age": [60],
                                                      "stage": ["I"]}), TIMES)


def test_predict_survival_takes_the_treatment_columns_own_values(frame, fit_none):
    fit01 = quiet_fit(frame.assign(arm=(frame["arm"] == "new").astype(int)), treated=1)
    mine = fit01.predict_survival(pd.DataFrame({"arm": [1, 0]}), TIMES)
    theirs = fit_none.predict_survival(pd.DataFrame({"arm": ["new", "old"]}), TIMES)
    np.testing.assert_allclose(mine["estimate"], theirs["estimate"], rtol=1e-12)


# --- saving -----------------------------------------------------------------------------------

def test_load_fit_reads_back_the_summary_of_the_saved_fit(fit_covariates, tmp_path):
    path = fit_covariates.to_netcdf(tmp_path / "fit.nc")
    loaded = bh.load_fit(path)
    pd.testing.assert_frame_equal(loaded.summary(), fit_covariates.summary())
    assert loaded.arms == fit_covariates.arms and loaded.task == fit_covariates.task
    assert list(loaded.tree.children) == list(fit_covariates.tree.children)  # saved fit untouched
    profiles = pd.DataFrame({"arm": ["new", "old"], "age": [50, 70], "stage": ["I", "III"]})
    pd.testing.assert_frame_equal(loaded.predict_survival(profiles, TIMES),
                                  fit_covariates.predict_survival(profiles, TIMES))


def test_load_fit_of_a_calibrated_fit_keeps_its_table_row(fit_ate, tmp_path):
    loaded = bh.load_fit(fit_ate.to_netcdf(tmp_path / "ate.nc"))
    assert loaded.calibration is None and loaded.weighted
    pd.testing.assert_series_equal(pd.Series(loaded.table_row()), pd.Series(fit_ate.table_row()))
    pd.testing.assert_frame_equal(loaded.summary(), fit_ate.summary())


def test_to_netcdf_refuses_to_overwrite_without_force(fit_none, tmp_path):
    from bayeshcc.results import ResultsExistError

    path = tmp_path / "fit.nc"
    path.write_text("mine")
    with pytest.raises(ResultsExistError, match="force=True"):
        fit_none.to_netcdf(path)
    assert path.read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["fit.nc"]  # no partial file left
    fit_none.to_netcdf(path, force=True)
    assert bh.load_fit(path).hazard_ratio().equals(fit_none.hazard_ratio())


def test_load_fit_refuses_a_posterior_file_without_the_fit(fit_none, tmp_path):
    path = tmp_path / "posterior.nc"
    fit_none.tree.to_netcdf(path)
    with pytest.raises(AnalysisError, match="not written by Fit.to_netcdf"):
        bh.load_fit(path)


# --- figures ----------------------------------------------------------------------------------

def test_plot_survival_draws_each_arms_model_curve_and_kaplan_meier(fit_ate):
    ax = _axes()
    assert fit_ate.plot_survival(ax=ax) is ax
    assert len(ax.lines) == 4
    assert len(ax.collections) == 2  # the two bands
    assert "weighted Kaplan-Meier" in ax.get_title()
    assert len(fit_ate.plot_survival(ax=_axes(), km=False).lines) == 2


def test_plot_hazard_ratio_draws_the_density_its_median_and_hr_1(fit_none):
    ax = _axes()
    assert fit_none.plot_hazard_ratio(ax=ax) is ax
    density, median, one = ax.lines
    assert median.get_xdata()[0] == pytest.approx(fit_none.hazard_ratio()["median"])
    assert one.get_xdata()[0] == 1.0
    assert len(density.get_xdata()) == 400
