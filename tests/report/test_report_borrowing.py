"""The report on borrowed priors: a prior-data conflict (p < 0.05) of a borrowing prior in the
primary analysis's model and adjustment is named in the summary, in plain words; the discount
sweep is shown in the sensitivity section. Results folders as in ``test_report_summary``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.report import build_report
from tests.report.test_report_summary import summary_text, visible_text, write_bayes_results


def _with_borrowing_rows(folder, p_robust: float, p_power: float):
    """posterior_hr.csv plus a robust and a power prior for OS in every model and adjustment,
    with the given conflict p-values in the primary's model and adjustment (weibull, ate)."""
    hr = pd.read_csv(folder / "tables" / "posterior_hr.csv")
    extra = []
    for prior, p, weight in (("persano_robust", p_robust, 0.07), ("persano_half", p_power, None)):
        rows = hr[(hr["outcome"] == "os") & (hr["prior"] == "weakly_informative")].copy()
        rows["prior"], rows["primary"] = prior, False
        primary_cell = (rows["model"] == "weibull") & (rows["adjustment"] == "ate")
        rows["prior_data_conflict_p"] = np.where(primary_cell, p, 0.5)
        rows["prior_weight_posterior"] = weight if weight is not None else np.nan
        rows["prior_ess_events"] = 26.6 if weight is not None else 20.0
        extra.append(rows)
    hr["prior_data_conflict_p"] = np.nan
    hr["prior_weight_posterior"] = np.nan
    hr["prior_ess_events"] = 0.04
    table = pd.concat([hr, *extra], ignore_index=True)
    table.to_csv(folder / "tables" / "posterior_hr.csv", index=False)
    return folder


def test_a_conflicting_borrowing_prior_is_named_with_its_p_value(tmp_path):
    folder = _with_borrowing_rows(write_bayes_results(tmp_path), p_robust=0.012, p_power=0.0004)
    text = summary_text(folder)
    assert ("Prior-data conflict: the external evidence of the persano_robust prior disagrees "
            "with this cohort's own estimate of the hazard ratio for overall survival (Box's "
            "prior-predictive p = 0.012") in text
    assert "kept 7% of its weight on the external evidence" in text
    assert ("the external evidence of the persano_half prior disagrees with this cohort's own "
            "estimate of the hazard ratio for overall survival (Box's prior-predictive p < 0.001"
            ) in text
    assert "A power prior borrows it regardless" in text


def test_no_conflict_sentence_when_the_cohort_agrees(tmp_path):
    folder = _with_borrowing_rows(write_bayes_results(tmp_path), p_robust=0.3, p_power=0.06)
    assert "Prior-data conflict" not in summary_text(folder)


def test_conflict_outside_the_primary_model_and_adjustment_is_not_in_the_summary(tmp_path):
    """Only the primary analysis's model and adjustment speak in the summary (the others show
    in the posterior table)."""
    folder = _with_borrowing_rows(write_bayes_results(tmp_path), p_robust=0.3, p_power=0.3)
    hr = pd.read_csv(folder / "tables" / "posterior_hr.csv")
    hr.loc[(hr["prior"] == "persano_half") & (hr["adjustment"] == "matched"),
           "prior_data_conflict_p"] = 0.001
    hr.to_csv(folder / "tables" / "posterior_hr.csv", index=False)
    assert "Prior-data conflict" not in summary_text(folder)
    assert "prior_data_conflict_p" in visible_text(build_report(folder))


def test_discount_sweep_table_and_figure_are_in_the_sensitivity_section(tmp_path):
    folder = write_bayes_results(tmp_path)
    pd.DataFrame({"outcome": "os", "model": "weibull", "adjustment": "ate",
                  "prior": "persano_half", "a0": [0.0, 0.25, 0.5, 0.75, 1.0],
                  "prior_log_hr_sd": [10, 0.633, 0.448, 0.366, 0.317],
                  "prior_ess_events": [0.04, 10.0, 20.0, 29.9, 39.9],
                  "hr_median": [0.62, 0.59, 0.58, 0.55, 0.53], "hr_lower": 0.35,
                  "hr_upper": [1.05, 0.97, 0.95, 0.83, 0.76],
                  "prob_hr_below_1": [0.955, 0.985, 0.99, 0.996, 0.999], "rhat_max": 1.0,
                  "ess_bulk_min": 900.0, "divergences": 0, "reliable": True}
                 ).to_csv(folder / "tables" / "borrowing_sweep.csv", index=False)
    from bayeshcc.figures.borrowing import plot_borrowing_sweep

    plot_borrowing_sweep(pd.read_csv(folder / "tables" / "borrowing_sweep.csv")).savefig(
        folder / "figures" / "borrowing_sweep.png")
    text = visible_text(build_report(folder))
    sensitivity = text[text.index("Sensitivity at a glance", 200):text.index("Study tables", 300)]
    assert "Borrowing from external evidence" in sensitivity
    assert "(borrowing_sweep)" in sensitivity  # the figure's caption


def test_no_sweep_section_without_external_priors(tmp_path):
    folder = write_bayes_results(tmp_path)
    pd.DataFrame(columns=["outcome", "prior", "a0", "hr_median"]).to_csv(
        folder / "tables" / "borrowing_sweep.csv", index=False)
    assert "Borrowing from external evidence" not in visible_text(build_report(folder))
