"""The report reads in the order its readers ask (issue 16): a one-screen summary of the primary
analysis, the sensitivity grid at a glance, the study tables, then the statistician's appendix.

Each test builds a small synthetic results folder (tables, manifest, one posterior file per
primary fit) and reads the report as text, the way a reader meets it.
"""

from __future__ import annotations

import json
import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from bayeshcc.report import build_report

TREATED, REFERENCE = "newdrug", "olddrug"
OUTCOMES = {"os": "Overall survival", "pfs": "Progression-free survival"}
ADJUSTMENTS = ("none", "covariates", "ate", "matched")
ESTIMANDS = {"none": "crude marginal HR", "covariates": "conditional HR",
             "ate": "marginal HR (ATE)", "matched": "marginal HR (matched sample)"}


def visible_text(html: str) -> str:
    """What a reader sees, roughly: the body without tags, whitespace collapsed."""
    body = html[html.index("<body>"):] if "<body>" in html else html
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def _grid() -> pd.DataFrame:
    rows = []
    for outcome in OUTCOMES:
        for adjustment in ADJUSTMENTS:
            for model in ("weibull", "piecewise"):
                for prior in ("weakly_informative", "skeptical"):
                    primary = (model, adjustment, prior) == ("weibull", "ate", "weakly_informative")
                    strong = adjustment != "none" and prior != "skeptical"
                    rows.append({
                        "outcome": outcome, "model": model, "prior": prior,
                        "adjustment": adjustment, "estimand": ESTIMANDS[adjustment],
                        "uncertainty": "sandwich" if adjustment in ("ate", "matched") else "model",
                        "calibration_sd_ratio": 1.1, "hr_median": 0.62 if primary else 0.7,
                        "hr_lower": 0.41, "hr_upper": 0.93,
                        "prob_hr_below_1": 0.987 if primary else (0.97 if strong else 0.9),
                        "prob_hr_below_0.8": 0.8123, "rhat_max": 1.002, "ess_bulk_min": 1500.0,
                        "ess_tail_min": 1200.0, "divergences": 0, "ebfmi_min": 0.9,
                        "reliable": True, "convergence": "ok", "primary": primary})
    return pd.DataFrame(rows)


@pytest.fixture
def folder(tmp_path):
    return write_bayes_results(tmp_path)


def write_bayes_results(tmp_path):
    """A small results folder of a two-outcome Bayesian run: grid of 16 fits per outcome, the
    weibull / ate / weakly-informative fit primary, contrasts, tipping point, Table 1."""
    import arviz as az

    for sub in ("tables", "figures", "posterior"):
        (tmp_path / sub).mkdir()
    manifest = {
        "created_at": "2026-01-01T00:00:00+00:00", "seed": 1, "warnings": [],
        "command": ["bayeshcc", "analyze"],
        "versions": {k: "1" for k in ("bayeshcc", "python", "pymc", "arviz", "nutpie", "numpy",
                                      "pandas", "scipy")},
        "primary": {"model": "weibull", "adjustment": "ate", "prior": "weakly_informative"},
        "inputs": {"data": {"path": "/data/bayeshcc/studies/hcc2024/paper_cohort.csv",
                            "sha256": "ab" * 32, "rows": 126}},
        "dropped_for_missing_values": {"count": 0, "ids": []},
        "spec": {"title": "Trial", "data": {"treated": TREATED, "reference": REFERENCE,
                                           "time_unit": "months"},
                 "outcomes": {k: {"label": v} for k, v in OUTCOMES.items()},
                 "bayes": {"models": ["weibull", "piecewise"], "thresholds": [0.8],
                           "decision_threshold": 0.95}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    grid = _grid()
    grid.to_csv(tmp_path / "tables" / "posterior_hr.csv", index=False)
    grid.to_csv(tmp_path / "tables" / "sensitivity.csv", index=False)
    contrasts = []
    for outcome in OUTCOMES:
        for quantity, estimate in (("median", 4.27), ("rmst", 2.345), ("survival", 0.12)):
            for arm in (TREATED, REFERENCE, "difference"):
                contrasts.append({"outcome": outcome, "model": "weibull",
                                  "prior": "weakly_informative", "adjustment": "ate",
                                  "estimand": "marginal contrast (ATE)", "quantity": quantity,
                                  "arm": arm, "estimate": estimate, "lower": 0.51, "upper": 8.04,
                                  "tau": 24.0 if quantity != "median" else np.nan,
                                  "prob_above_0": 0.962 if arm == "difference" else np.nan,
                                  "reliable": True})
    pd.DataFrame(contrasts).to_csv(tmp_path / "tables" / "posterior_contrasts.csv", index=False)
    pd.DataFrame({"outcome": list(OUTCOMES), "model": "weibull", "adjustment": "ate",
                  "estimand": "marginal HR (ATE)", "threshold": 0.95,
                  "prob_hr_below_1_vague": 0.99, "tipping_prior_sd": [0.21, 0.3],
                  "tipping_prior_events": [90.7, 44.4], "tipping_prior_prob_hr_below_0_5": 0.0,
                  "prob_hr_below_1_at_tipping": 0.95, "note": "", "evalue": [2.31, 1.9],
                  "evalue_ci": [1.27, 1.1], "evalue_hr_median": 0.62, "evalue_hr_lower": 0.41,
                  "evalue_hr_upper": 0.93, "evalue_prior": "weakly_informative",
                  "evalue_cox": [2.04, 1.7], "evalue_ci_cox": [1.12, 1.0],
                  "prob_hr_below_1_primary": 0.987, "confounding_bias_factor": [1.134, np.nan],
                  "confounding_evalue": [1.53, np.nan], "confounding_note": ""}
                 ).to_csv(tmp_path / "tables" / "tipping_point.csv", index=False)
    pd.DataFrame({"outcome": ["os"], "model": ["weibull"], "prior": ["weakly_informative"],
                  "quantity": ["hr"], "arm": [""], "q025": [0.14], "q500": [1.0], "q975": [7.1],
                  "prob_hr_below_0.5": [0.16], "prob_hr_below_1": [0.5]}
                 ).to_csv(tmp_path / "tables" / "prior_predictive.csv", index=False)
    pd.DataFrame({"cohort": ["unadjusted"] * 3 + ["matched"] * 3,
                  "variable": ["age", "sex", "sex"] * 2, "label": ["Age, years", "Sex", "Sex"] * 2,
                  "level": [np.nan, "female", "male"] * 2,
                  "statistic": ["mean (SD)", "n (%)", "n (%)"] * 2,
                  "summary_treated": ["61.6 (12.1)", "6 (15.0%)", "34 (85.0%)",
                                      "60.1 (11.0)", "5 (14.3%)", "30 (85.7%)"],
                  "summary_reference": ["61.4 (11.3)", "10 (11.6%)", "76 (88.4%)",
                                        "60.3 (10.2)", "5 (14.3%)", "30 (85.7%)"],
                  "test": ["t-test", "chi-square", "chi-square"] * 2,
                  "p": [0.9362, 0.5967, 0.5967, 0.91, 1.0, 1.0],
                  "smd": [0.0153, 0.0984, -0.0984, -0.02, 0.0, 0.0]}
                 ).to_csv(tmp_path / "tables" / "baseline.csv", index=False)
    rng = np.random.default_rng(3)
    for outcome in OUTCOMES:
        az.from_dict({"posterior": {"log_hr": rng.normal(-0.45, 0.2, (2, 300))}}).to_netcdf(
            tmp_path / "posterior" / f"{outcome}_weibull_weakly_informative_ate.nc")
    return tmp_path


def summary_text(folder) -> str:
    text = visible_text(build_report(folder))
    return text[:text.index("Sensitivity at a glance", 200)]


def block(folder, outcome: str) -> str:
    """The summary's paragraph on one outcome (up to the next outcome's heading)."""
    text = summary_text(folder)
    text = text[:text.index("What could change")]
    start = text.index(OUTCOMES[outcome] + " ")
    ends = [text.index(v + " ", start + 1) for v in OUTCOMES.values()
            if v + " " in text[start + 1:]]
    return text[start:min(ends + [len(text)])]


def test_summary_comes_first_and_fits_in_the_first_2500_characters(folder):
    text = visible_text(build_report(folder))[:2500]
    for label in OUTCOMES.values():
        assert text.count(f"lowers the hazard of {label.lower()}") == 1
        assert (f"Robustness within the primary estimand (marginal HR (ATE)): P(benefit) > 95% "
                f"in 2 of 4 analyses of {label.lower()}") in text
    assert text.count("Difference in median survival") == 2


def test_probability_of_benefit_names_the_primary_adjustment(folder):
    assert (f"Probability that {TREATED} lowers the hazard of overall survival compared with "
            f"{REFERENCE}: 99% (primary analysis, adjustment: ate).") in block(folder, "os")


def test_probability_of_a_clinically_meaningful_benefit_uses_the_spec_threshold(folder):
    assert "Probability of a clinically meaningful benefit (HR < 0.8): 81%." in block(folder, "os")


def test_absolute_effects_are_in_months_with_interval_and_probability(folder):
    text = block(folder, "pfs")
    assert (f"Difference in median survival ({TREATED} minus {REFERENCE}): 4.3 months (95% credible "
            "interval 0.5 to 8.0 months; P(> 0) = 96%).") in text
    # the RMST difference is a row of the per-arm table, with its interval and P(> 0)
    assert ("Restricted mean survival up to 24 months 2.3 months 2.3 months 2.3 months (0.5 to "
            "8.0; P(> 0) 96%)") in text
    assert "Difference in restricted mean survival time" not in text


def test_hazard_ratio_has_three_significant_digits(folder):
    assert "Hazard ratio 0.620 (95% credible interval 0.410 to 0.930)" in block(folder, "os")


def test_robustness_counts_only_the_primary_estimands_analyses(folder):
    # the fixture's ATE rows of OS: 0.987 (primary), 0.97, 0.9, 0.9 -> 2 of 4 above 0.95; the
    # 16-row grid pools 6 of 16, which mixes the crude, conditional and matched estimands in
    text = block(folder, "os")
    assert ("Robustness within the primary estimand (marginal HR (ATE)): P(benefit) > 95% in 2 "
            "of 4 analyses of overall survival (models x priors)") in text
    assert "of 16" not in text
    assert ("Whether P(benefit) exceeds 95% depends on the model and prior: the result is not "
            "robust.") in text


def test_robustness_gives_the_other_estimands_one_count_each(folder):
    # per estimand of the fixture: none 0 of 4 (no strong rows), covariates 2 of 4, matched 2 of 4
    assert ("Other estimands, not pooled with it: P(benefit) > 95% in crude marginal HR, an "
            "association: 0 of 4; conditional HR: 2 of 4; marginal HR (matched sample): 2 of 4."
            ) in block(folder, "os")


def test_only_unadjusted_rows_above_the_threshold_is_not_called_robust(tmp_path):
    # every crude (none) row at 0.99, every adjusted row (the primary's too) at 0.90: the
    # primary estimand has 0 of 4 above 0.95, whatever the unadjusted association says
    folder = write_bayes_results(tmp_path)
    for name in ("posterior_hr", "sensitivity"):
        path = folder / "tables" / f"{name}.csv"
        grid = pd.read_csv(path)
        grid["prob_hr_below_1"] = np.where(grid["adjustment"] == "none", 0.99, 0.90)
        grid.to_csv(path, index=False)
    text = block(folder, "os")
    assert ("Robustness within the primary estimand (marginal HR (ATE)): P(benefit) > 95% in 0 "
            "of 4 analyses") in text
    assert "the result is not robust evidence of benefit" in text
    assert "under every model and prior" not in text
    assert "crude marginal HR, an association: 4 of 4" in text


def test_sceptical_prior_tipping_point_is_given_in_events_of_null_evidence(folder):
    text = summary_text(folder)
    assert ("Overall survival: Sceptical-prior tipping point: a sceptical prior would have to be "
            "as strong as 91 events of null evidence") in text
    assert "to bring P(benefit) below 95%." in text


def test_unmeasured_confounding_caveat_gives_the_primary_posteriors_evalue_in_words(folder):
    assert ("Unmeasured confounding: to explain the primary estimate (posterior median HR 0.620) "
            "away, an unmeasured confounder would have to be associated with both the treatment "
            "choice and overall survival by a risk ratio of 2.3 each, beyond the measured "
            "covariates (E-value); 1.3 would move the credible limit to no effect."
            ) in summary_text(folder)


def test_the_cox_evalue_is_beside_it_and_labelled(folder):
    assert ("The Cox model of the same population gives an E-value of 2.0 (1.1 for its "
            "confidence limit).") in summary_text(folder)


def test_confounding_tipping_point_in_words(folder):
    text = summary_text(folder)
    assert (f"Overall survival: Confounding tipping point: an unmeasured confounder that made "
            f"{TREATED} look better than it is by a factor of 1.13 on the hazard ratio (bounding "
            "factor, Ding & VanderWeele 2016), for example one associated with both the "
            "treatment choice and overall survival by a risk ratio of 1.53 each, would bring "
            "P(benefit) of the primary analysis below 95%.") in text
    assert ("Progression-free survival: Confounding tipping point: none; P(benefit) of the "
            "primary analysis is below 95% without any unmeasured confounding.") in text


def test_an_older_tipping_table_is_worded_as_the_cox_evalue(folder):
    path = folder / "tables" / "tipping_point.csv"
    old = pd.read_csv(path).drop(columns=["evalue_hr_median", "evalue_hr_lower",
                                          "evalue_hr_upper", "evalue_prior", "evalue_cox",
                                          "evalue_ci_cox", "prob_hr_below_1_primary",
                                          "confounding_bias_factor", "confounding_evalue",
                                          "confounding_note"])
    old.to_csv(path, index=False)
    text = summary_text(folder)
    assert "to explain the Cox estimate away" in text and "Confounding tipping point" not in text


def test_summary_says_what_the_data_and_the_estimand_are(folder):
    text = summary_text(folder)
    assert "observational cohort of 126 patients" in text
    assert "bundled synthetic data" in text
    assert ("Estimand of the primary analysis: the marginal HR (ATE) for the whole cohort "
            "(average treatment effect, propensity-score weighting)") in text


def test_real_data_are_not_called_synthetic(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["inputs"]["data"]["path"] = "/hospital/cohort.csv"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert "synthetic" not in summary_text(folder)


def test_summary_tables_are_the_per_arm_numbers_only_and_no_scientific_notation(folder):
    html = build_report(folder)
    summary = html[html.index('<section id="summary">'):html.index('<section id="sensitivity"')]
    assert re.findall(r"<table[^>]*>", summary) == [
        f'<table id="glance-{o}" class="glance">' for o in OUTCOMES]
    assert not re.search(r"\d[eE][-+]?\d", visible_text(summary))


def test_summary_figure_is_the_primary_posterior_density_per_outcome(folder):
    html = build_report(folder)
    summary = html[html.index('<section id="summary">'):html.index('<section id="sensitivity"')]
    images = re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"', summary)
    assert images == ["posterior density of the hazard ratio, Overall survival",
                      "posterior density of the hazard ratio, Progression-free survival"]


def test_unreliable_primary_fit_is_a_warning_not_a_clean_result(folder):
    hr = pd.read_csv(folder / "tables" / "posterior_hr.csv")
    primary = hr["primary"] & (hr["outcome"] == "os")
    hr.loc[primary, ["reliable", "convergence"]] = [False, "R-hat 1.08 > 1.01"]
    hr.to_csv(folder / "tables" / "posterior_hr.csv", index=False)
    text = block(folder, "os")
    assert text.startswith("Overall survival Warning: the primary analysis of overall survival "
                           "did not pass the convergence checks (R-hat 1.08 > 1.01)")
    assert "Not reliable: Probability that" in text
    assert "Warning" not in block(folder, "pfs")


def test_sections_come_in_the_readers_order_with_a_linked_table_of_contents(folder):
    html = build_report(folder)
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings[:3] == ["Summary", "Sensitivity at a glance", "Study tables"]
    assert "Diagnostics" in headings and headings.index("Diagnostics") > 2
    for anchor in re.findall(r'<nav class="toc"[^>]*>(.*?)</nav>', html)[0].split("</a>")[:-1]:
        target = re.search(r'href="#([^"]+)"', anchor).group(1)
        assert f'id="{target}"' in html


def test_sections_break_pages_when_printed(folder):
    html = build_report(folder)
    assert re.search(r"@media print \{[^@]*section\.major \{ break-before: page;", html)
    assert html.count('class="major"') >= 6


def test_sensitivity_forest_shows_every_grid_analysis(folder):
    html = build_report(folder)
    section = html[html.index('<section id="sensitivity"'):html.index('<section id="study"')]
    assert '<figure id="sensitivity-forest"><img src="data:image/svg+xml;base64,' in section
    assert "Prior predictive check: the hazard ratio" in section


def test_table_one_is_wide_with_both_arms_per_cohort(folder):
    html = build_report(folder)
    table = html[html.index('<table id="table-baseline_wide"'):]
    header = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table[:table.index("</tr>")])
    assert header == ["Characteristic", "Level", f"unadjusted: {TREATED}",
                      f"unadjusted: {REFERENCE}", "unadjusted: p", "unadjusted: SMD",
                      f"matched: {TREATED}", f"matched: {REFERENCE}", "matched: p", "matched: SMD"]
    first = re.findall(r"<td[^>]*>(.*?)</td>", table[:table.index("</tbody>")])[:10]
    assert first == ["Age, years, mean (SD)", "", "61.6 (12.1)", "61.4 (11.3)", "0.936", "0.02",
                     "60.1 (11.0)", "60.3 (10.2)", "0.910", "-0.02"]


def test_diagnostics_list_unreliable_fits_first(folder):
    hr = pd.read_csv(folder / "tables" / "posterior_hr.csv")
    hr.loc[5, ["reliable", "ebfmi_min"]] = [False, 0.2]
    hr.to_csv(folder / "tables" / "posterior_hr.csv", index=False)
    html = build_report(folder)
    section = html[html.index('<section id="diagnostics"'):]
    assert "<h2>Diagnostics</h2>" in section
    assert "1 of 32 fits did not pass the checks" in section
    first = re.findall(r"<td[^>]*>(.*?)</td>", section[section.index("<tbody>"):])[:5]
    assert first == ["os", "weibull", "skeptical", "covariates", "no"]
    # headings may break after an underscore (<wbr>, no text): read them without it
    header = section[section.index("<thead>"):section.index("</thead>")].replace("<wbr>", "")
    for column in ("rhat_max", "ess_bulk_min", "divergences", "ebfmi_min"):
        assert f">{column}<" in header


def test_posterior_appendix_shows_estimand_uncertainty_and_calibration(folder):
    html = build_report(folder)
    table = html[html.index('<table id="table-posterior_hr"'):]
    header = table[:table.index("</thead>")].replace("<wbr>", "")  # break points, no text
    for column in ("estimand", "uncertainty", "calibration_sd_ratio", "prob_hr_below_0.8"):
        assert f">{column}<" in header


def test_spec_and_versions_are_in_the_appendix(folder):
    html = build_report(folder)
    section = html[html.index('<section id="spec"'):]
    assert "Specification (as read)" in section and "&#34;thresholds&#34;: [\n" in section


def test_labels_from_the_spec_are_escaped_in_the_summary_and_figures(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["spec"]["outcomes"]["os"]["label"] = "<script>alert(1)</script>"
    manifest["spec"]["data"]["treated"] = "<b>new</b>"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    html = build_report(folder)
    assert "<script" not in html and "<b>new" not in html
    assert ("Probability that &lt;b&gt;new&lt;/b&gt; lowers the hazard of "
            "&lt;script&gt;alert(1)&lt;/script&gt;") in html
    assert 'alt="posterior density of the hazard ratio, &lt;script&gt;' in html


def test_a_difference_that_rounds_to_zero_is_not_negative_zero():
    from bayeshcc.units import amount

    assert amount(-0.004, "months") == "0.00" and amount(-0.4, "days") == "0"
    assert amount(-0.06, "months") == "-0.06" and amount(-0.12, "years") == "-0.1"


def test_tipping_point_at_the_threshold_says_any_sceptical_prior_tips_it(folder):
    # vague P(HR < 1) = 95.1 % but the normal approximation is just below 95 %: tau* = inf
    path = folder / "tables" / "tipping_point.csv"
    tipping = pd.read_csv(path)
    tipping.loc[tipping["outcome"] == "os", ["tipping_prior_sd", "tipping_prior_events"]] = [
        float("inf"), 0.0]
    tipping.to_csv(path, index=False)
    assert ("Overall survival: Sceptical-prior tipping point: P(benefit) is at 95% with a vague "
            "prior already; "
            "any sceptical prior, however weak, brings it below 95%.") in summary_text(folder)


# --- issue 23, part 4: overlap visible, the overlap-weights primary explained -----------------

SWITCH = ("The ATE weights are extreme: the largest treated weight is 23.4 (above 10), the "
          "regime where ATE intervals are biased and too narrow; without an explicit [bayes] "
          "primary the primary analysis therefore uses overlap weights (Li, Morgan & Zaslavsky "
          "2018), which target the patients for whom either treatment was plausible and stay "
          "bounded.")


def _with_overlap(folder, switched: bool):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["adjustment"] = {"pairs": 37,
                              "primary_overlap": {"sentence": SWITCH, "switched": switched}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    from bayeshcc.figures.overlap import plot_ps_histogram

    hist = pd.DataFrame({"arm": ["treated", "reference"], "bin_lower": [0.4, 0.1],
                         "bin_upper": [0.45, 0.15], "n": [40, 86]})
    plot_ps_histogram(hist).figure.savefig(folder / "figures" / "ps_histogram.png")
    pd.DataFrame({"estimand": ["ate", "ate"], "arm": ["treated", "reference"], "n": [40, 86],
                  "ps_min": [0.043, 0.049], "ps_median": [0.4, 0.31], "ps_max": [0.66, 0.6],
                  "n_ps_outside": [1, 1], "max_weight": [23.36, 2.52], "ess": [17.98, 81.3],
                  "ess_share": [0.45, 0.95], "n_matched": [37, 37],
                  "matched_share": [0.925, 0.43]}
                 ).to_csv(folder / "tables" / "overlap.csv", index=False)
    return folder


def test_the_summary_says_why_the_primary_uses_overlap_weights(folder):
    assert SWITCH in summary_text(_with_overlap(folder, switched=True))


def test_an_explicit_ate_primary_with_extreme_weights_is_flagged_in_the_summary(folder):
    text = summary_text(_with_overlap(folder, switched=False))
    assert f"Warning: {SWITCH} The spec names the ATE analysis as primary" in text


def test_the_report_shows_the_ps_histogram_and_the_overlap_table(folder):
    html = build_report(_with_overlap(folder, switched=True))
    assert 'alt="ps_histogram"' in html
    text = visible_text(html)
    assert "Overlap of the propensity score" in text
    table = html[html.index('id="table-overlap"'):]
    table = visible_text(table[:table.index("</table>")])
    assert "ate newdrug 40 0.0430 0.400 0.660 1 23.4 18.0 0.450 37 0.925" in table  # 3 digits


def test_without_a_primary_analysis_robustness_is_one_count_per_estimand(tmp_path):
    folder = write_bayes_results(tmp_path)
    for name in ("posterior_hr", "sensitivity"):
        path = folder / "tables" / f"{name}.csv"
        pd.read_csv(path).assign(primary=False).to_csv(path, index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["primary"] = None
    (folder / "manifest.json").write_text(json.dumps(manifest))
    # per estimand of the fixture's OS rows: none 0 of 4, covariates / ate / matched 2 of 4
    assert ("Robustness, one count per estimand of overall survival: P(benefit) > 95% in crude "
            "marginal HR, an association: 0 of 4; conditional HR: 2 of 4; marginal HR (ATE): 2 "
            "of 4; marginal HR (matched sample): 2 of 4.") in block(folder, "os")


def test_calibrated_primary_rows_say_calibrated_interval_and_probability(folder):
    """Rows whose ``interval`` column says "calibrated interval" (weighted and matched fits,
    bayeshcc.bayes.calibration) are worded so in the summary, and the methods section says
    what calibration means; rows without calibration keep "credible interval"."""
    plain = block(folder, "os")
    assert "Hazard ratio 0.620 (95% credible interval 0.410 to 0.930)" in plain
    assert "Calibration:" not in visible_text(build_report(folder))
    tables = folder / "tables"
    for name in ("posterior_hr", "sensitivity", "posterior_contrasts"):
        frame = pd.read_csv(tables / f"{name}.csv")
        calibrated = frame["adjustment"].isin(["ate", "matched"])
        frame["interval"] = np.where(calibrated, "calibrated interval", "credible interval")
        frame.to_csv(tables / f"{name}.csv", index=False)
    text = block(folder, "os")
    assert "Hazard ratio 0.620 (95% calibrated interval 0.410 to 0.930)" in text
    assert f"Calibrated probability that {TREATED} lowers the hazard of overall survival" in text
    assert "Calibrated probability of a clinically meaningful benefit (HR < 0.8): 81%." in text
    assert "4.3 months (95% calibrated interval 0.5 to 8.0 months" in text
    methods = visible_text(build_report(folder))
    methods = methods[methods.index("Methods and limitations"):]
    assert "Calibration: a weighted or matched Bayesian fit" in methods
