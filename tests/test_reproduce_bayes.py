"""`reproduce` with the Bayesian stage (short chains): every fit reported, every flag shown.

With 150 draws per chain the ESS gate (>= 400) cannot pass, so every row must say
``reliable = False`` and the report must show the warning: a posterior that did not pass its
checks is never shown as if it were fine.
"""

import json

import pandas as pd
import pytest

from bayeshcc.pipeline import RunOptions, reproduce


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return reproduce(tmp_path_factory.mktemp("bayes") / "results",
                     options=RunOptions(draws=150, tune=150, chains=2, quiet=True))


def test_every_outcome_model_and_adjustment_is_fitted(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    # models/paper.toml: 2 outcomes x 2 models x 4 adjustments x 3 priors, plus the two
    # Persano (OS-only) priors, power and robust, for OS; and overlap, the default primary
    # under the cohort's extreme ATE weights (issue 23), added as a fifth adjustment: 60 + 20
    assert len(hr) == 80
    assert set(hr["adjustment"]) == {"none", "covariates", "ate", "overlap", "matched"}
    assert set(hr.loc[hr["outcome"] == "pfs", "prior"]) == {"weakly_informative", "vague", "skeptical"}
    assert (hr["hr_median"] < 1).all()  # lenvatinib lowers the hazard in every analysis
    assert len(list((run / "posterior").glob("*.nc"))) == 80
    sensitivity = pd.read_csv(run / "tables" / "sensitivity.csv")
    assert len(sensitivity) == 80 and "prob_hr_below_1" in sensitivity


def test_short_chains_are_flagged_in_table_report_and_manifest(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    assert not hr["reliable"].any()
    contrasts = pd.read_csv(run / "tables" / "posterior_contrasts.csv")
    assert not contrasts["reliable"].any()
    html = (run / "report.html").read_text()
    assert "did not pass the convergence checks" in html
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["bayes"]["unreliable"] == 80
    assert any("is not reliable" in w for w in manifest["warnings"])


def test_posterior_reloads_for_reporting(run):
    import arviz as az

    tree = az.from_netcdf(run / "posterior" / "os_weibull_weakly_informative_none.nc")
    assert {"posterior", "sample_stats", "log_likelihood"} <= set(tree.children)


def test_loo_marks_weighted_fits_as_not_predictive(run):
    loo = pd.read_csv(run / "tables" / "loo.csv")
    assert not loo.loc[loo["adjustment"] == "ate", "valid_predictive_comparison"].any()
    assert loo.loc[loo["adjustment"] == "none", "valid_predictive_comparison"].all()


def test_loo_differences_carry_their_standard_error(run):
    # issue 15: elpd differences from az.compare, with the SE of each difference
    loo = pd.read_csv(run / "tables" / "loo.csv")
    best = loo["elpd_diff_from_best"] == 0
    assert (loo.loc[best, "elpd_diff_se"] == 0).all()
    assert (loo.loc[~best, "elpd_diff_se"] > 0).all()


def test_tipping_point_and_evalue_per_outcome(run):
    tipping = pd.read_csv(run / "tables" / "tipping_point.csv").set_index("outcome")
    assert list(tipping.index) == ["os", "pfs"]
    assert (tipping["evalue"] > 1).all()


def test_evalue_is_the_primary_posteriors(run):
    # issue 23: the E-value of the primary posterior's median and interval, to 1e-12
    from bayeshcc.frequentist.evalue import evalue_hazard_ratio

    tipping = pd.read_csv(run / "tables" / "tipping_point.csv").set_index("outcome")
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    for row in hr[hr["primary"]].itertuples():
        ev = evalue_hazard_ratio(row.hr_median, row.hr_lower, row.hr_upper)
        assert abs(tipping.loc[row.outcome, "evalue"] - ev.evalue) < 1e-12
        assert abs(tipping.loc[row.outcome, "evalue_ci"] - ev.evalue_ci) < 1e-12
    assert tipping["evalue_cox"].notna().all()   # the Cox model's of the overlap cohort


def test_confounding_tipping_point_is_the_primary_draws_threshold_quantile(run):
    # B = exp(-Q_0.95(log HR)) of the primary posterior's draws, when P(HR < 1) > 0.95
    import arviz as az
    import numpy as np

    tipping = pd.read_csv(run / "tables" / "tipping_point.csv").set_index("outcome")
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    for row in hr[hr["primary"]].itertuples():
        draws = az.from_netcdf(run / "posterior" / f"{row.outcome}_{row.model}_{row.prior}_"
                               f"{row.adjustment}.nc")["posterior"]["log_hr"].values.ravel()
        q = np.quantile(draws, 0.95)
        expected = np.exp(-q) if q <= 0 else np.nan
        np.testing.assert_allclose(tipping.loc[row.outcome, "confounding_bias_factor"],
                                   expected, rtol=1e-12)


def test_report_shows_the_ps_histogram_and_the_overlap_table(run):
    overlap = pd.read_csv(run / "tables" / "overlap.csv").set_index(["estimand", "arm"])
    assert overlap.loc[("ate", "treated"), "max_weight"] == pytest.approx(23.4, abs=0.05)
    assert overlap.loc[("ate", "treated"), "ess"] == pytest.approx(18.0, abs=0.05)
    html = (run / "report.html").read_text()
    assert 'alt="ps_histogram"' in html and 'id="table-overlap"' in html
    assert "the primary analysis therefore uses overlap weights" in _visible(html)


def test_tipping_point_reads_the_grids_vague_fit_of_the_primary_analysis(run):
    # the grid fitted (outcome, weibull, vague, overlap) at full length: the tipping-point table
    # uses those draws (same seed and inputs as a refit), so P(HR < 1) is the grid row's, exactly
    tipping = pd.read_csv(run / "tables" / "tipping_point.csv").set_index("outcome")
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    vague = hr[(hr["prior"] == "vague") & (hr["model"] == "weibull")
               & (hr["adjustment"] == "overlap")]
    for row in vague.itertuples():
        assert tipping.loc[row.outcome, "prob_hr_below_1_vague"] == row.prob_hr_below_1


# --- issue 13: the primary analysis, estimands, calibrated intervals --------------------------

def test_manifest_records_the_primary_adjusted_analysis(run):
    # models/paper.toml lists adjustments none, covariates, ate, matched and no [bayes] primary:
    # the default would be the first weighting adjustment (ate), but the bundled cohort's ATE
    # weights are extreme (largest 23.4, treated ESS 18.0 of 40), so overlap weights (issue 23);
    # first model, first prior for all outcomes
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["primary"] == {"model": "weibull", "adjustment": "overlap",
                                   "prior": "weakly_informative"}
    assert manifest["adjustment"]["primary_overlap"]["switched"] is True


def test_posterior_tables_name_one_estimand_per_adjustment(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    by_adjustment = hr.groupby("adjustment")["estimand"].unique()
    assert by_adjustment.map(len).eq(1).all()
    assert dict(by_adjustment.str[0]) == {
        "none": "crude marginal HR", "covariates": "conditional HR",
        "ate": "marginal HR (ATE)", "overlap": "marginal HR (overlap)",
        "matched": "marginal HR (matched sample)"}
    contrasts = pd.read_csv(run / "tables" / "posterior_contrasts.csv")
    assert contrasts.groupby("adjustment")["estimand"].nunique().eq(1).all()
    assert contrasts["estimand"].nunique() == 5
    assert "estimand" in pd.read_csv(run / "tables" / "sensitivity.csv")


def test_one_primary_row_per_outcome(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    primary = hr[hr["primary"]]
    assert sorted(primary["outcome"]) == ["os", "pfs"]
    assert set(primary["adjustment"]) == {"overlap"} and set(primary["model"]) == {"weibull"}


def test_weighted_and_matched_rows_are_sandwich_calibrated(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    ps = hr[hr["adjustment"].isin(["ate", "overlap", "matched"])]
    assert set(ps["uncertainty"]) == {"sandwich"}
    assert set(hr.loc[hr["adjustment"].isin(["none", "covariates"]), "uncertainty"]) == {"model"}
    assert (ps["calibration_sd_ratio"] != 1).all()  # the draws were actually transformed
    assert set(ps["interval"]) == {"calibrated interval"}
    assert set(ps["probability"]) == {"calibrated probability"}
    assert set(hr.loc[hr["adjustment"] == "none", "interval"]) == {"credible interval"}
    assert not ps["calibration_clipped"].any()


def test_covariates_adjustment_uses_the_prespecified_propensity_set(run):
    # not the covariates the univariable Cox screen kept: [propensity] covariates of paper.toml
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    used = set(hr.loc[hr["adjustment"] == "covariates", "covariates"])
    assert len(used) == 1
    assert used.pop().split(";") == [
        "age", "sex[male]", "tumor_size", "tumor_number[multiple]", "extrahepatic_metastasis",
        "lymph_node_metastasis", "child_pugh_class[B]"]


def test_tipping_point_rows_are_the_primary_analysis(run):
    tipping = pd.read_csv(run / "tables" / "tipping_point.csv")
    assert set(tipping["adjustment"]) == {"overlap"} and set(tipping["model"]) == {"weibull"}
    assert set(tipping["estimand"]) == {"marginal HR (overlap)"}


def test_report_headline_names_the_primary_adjustment_not_the_crude_fit(run):
    html = (run / "report.html").read_text()
    first = html.index("Calibrated probability that lenvatinib lowers the hazard")  # calibrated
    assert "(primary analysis, adjustment: overlap)" in html[first:first + 300]


# --- issue 16: the report a clinician reads in two minutes and a statistician can audit -------

def _visible(html: str) -> str:
    from tests.report.test_report_summary import visible_text

    return visible_text(html)


@pytest.mark.slow
def test_report_opens_with_the_summary_of_both_outcomes(run):
    # 3000 characters: the headline, robustness and per-arm table (about 450 characters of
    # cells) of both outcomes, with the convergence warnings of this short run
    text = _visible((run / "report.html").read_text())[:3000]
    for label in ("overall survival", "progression-free survival"):
        assert (f"lenvatinib lowers the hazard of {label} compared with sorafenib" in text
                and "(primary analysis, adjustment: overlap)" in text)
        assert ("Robustness within the primary estimand (marginal HR (overlap)): P(benefit) > "
                "95% in") in text and f"analyses of {label} (models x priors)" in text
    assert text.count("Difference in median survival (lenvatinib minus sorafenib)") == 2
    # the primary analysis (ate) is calibrated: its intervals are named as such
    assert text.count("months (95% calibrated interval") >= 2


@pytest.mark.slow
def test_report_flags_the_unreliable_primary_fits_in_the_summary(run):
    # 150 draws: no fit passes the ESS gate, so no number in the summary is shown as clean
    text = _visible((run / "report.html").read_text())[:2500]
    for label in ("overall survival", "progression-free survival"):
        assert (f"Warning: the primary analysis of {label} did not pass the convergence checks"
                in text)
    assert text.count("Not reliable: Calibrated probability that lenvatinib") == 2


@pytest.mark.slow
def test_report_has_a_diagnostics_section(run):
    html = (run / "report.html").read_text()
    assert '<section id="diagnostics" class="major">\n<h2>Diagnostics</h2>' in html
    assert "80 of 80 fits did not pass the checks" in html


@pytest.mark.slow
def test_report_is_at_most_2_mb(run):
    assert (run / "report.html").stat().st_size <= 2_000_000


def test_borrowed_priors_report_their_weight_ess_conflict_and_sweep(run):
    """models/paper.toml borrows Persano et al.'s OS HR as a power prior (a0 = 0.5) and as a
    robust mixture (weight 0.8): both rows carry the borrowing columns, and the power prior is
    swept over a0 for the primary analysis."""
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv")
    robust = hr[(hr["outcome"] == "os") & (hr["prior"] == "persano_robust")]
    assert len(robust) == 10  # 2 models x 5 adjustments
    assert robust["prior_weight_posterior"].between(0, 1).all()
    assert robust["prior_data_conflict_p"].between(0, 1).all()
    assert hr.loc[hr["prior"] == "persano_half", "prior_weight_posterior"].isna().all()
    assert hr.loc[hr["prior"] == "skeptical", "prior_data_conflict_p"].isna().all()
    sweep = pd.read_csv(run / "tables" / "borrowing_sweep.csv")
    assert sweep["a0"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert (run / "figures" / "borrowing_sweep.png").exists()
