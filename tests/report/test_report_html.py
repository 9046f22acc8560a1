"""The report: self-contained, escaped, aggregates only, unreliable posteriors flagged."""

import json
import re

import pandas as pd
import pytest

from bayeshcc.report import build_report, write_report


def cells(html: str) -> list[str]:
    """The (escaped) text of every table cell, whatever the cell's class."""
    return re.findall(r"<td[^>]*>(.*?)</td>", html)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "figures").mkdir()
    manifest = {
        "created_at": "2026-01-01T00:00:00+00:00", "seed": 1, "warnings": ["<b>extreme</b> weights"],
        "versions": {k: "1" for k in ("bayeshcc", "python", "pymc", "arviz", "nutpie", "numpy",
                                      "pandas", "scipy")},
        "inputs": {"data": {"path": "my.csv", "sha256": "ab" * 32, "rows": 10}},
        "dropped_for_missing_values": {"count": 0, "ids": []},
        "spec": {"title": "<script>alert(1)</script>", "data": {"treated": "new<i>", "reference": "old"},
                 "outcomes": {"os": {"label": "Overall survival"}}, "bayes": {"models": ["weibull"]}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame({"cohort": ["unadjusted"] * 2, "outcome": ["os"] * 2, "arm": ["<script>x</script>", "old"],
                  "n": [5, 5], "events": [3, 4], "median": [10.3, float("nan")],
                  "median_lower": [6.8, 4.7], "median_upper": [float("nan"), 9.0],
                  "logrank_chisq": [5.5, 5.5], "logrank_p": [0.019, 0.019]}
                 ).to_csv(tmp_path / "tables" / "survival.csv", index=False, na_rep="NA")
    pd.DataFrame({"outcome": ["os", "os"], "model": ["weibull", "piecewise"], "prior": ["wi", "wi"],
                  "adjustment": ["none", "none"], "hr_median": [0.5, 0.6], "hr_lower": [0.3, 0.35],
                  "hr_upper": [0.8, 0.9], "prob_hr_below_1": [0.994, 0.98], "rhat_max": [1.0, 1.2],
                  "ess_bulk_min": [900, 20], "divergences": [0, 5], "reliable": [True, False]}
                 ).to_csv(tmp_path / "tables" / "posterior_hr.csv", index=False)
    pd.DataFrame({"treated_id": ["P1"], "reference_id": ["SECRET-ID-9"], "distance": [0.01]}
                 ).to_csv(tmp_path / "tables" / "matches.csv", index=False)
    return tmp_path


def test_strings_from_data_and_spec_are_escaped(folder):
    html = build_report(folder)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;extreme&lt;/b&gt; weights" in html


def test_unadjusted_probability_is_worded_as_an_association(folder):
    # only `none` rows and no primary analysis: never "lowers" (issue 13)
    html = build_report(folder)
    assert ("Probability that the hazard of overall survival is lower with new&lt;i&gt; than with "
            "old: 99.4% (an association: adjustment none, not a causal estimate)") in html
    assert "lowers the hazard" not in html


def test_primary_adjusted_analysis_gives_the_headline(folder):
    hr = pd.read_csv(folder / "tables" / "posterior_hr.csv")
    primary = hr.iloc[[0]].assign(adjustment="ate", estimand="marginal HR (ATE)",
                                  prob_hr_below_1=0.91, primary=True)
    hr = pd.concat([hr.assign(primary=False, estimand="crude marginal HR"), primary])
    hr.to_csv(folder / "tables" / "posterior_hr.csv", index=False)
    html = build_report(folder)
    assert ("Probability that new&lt;i&gt; lowers the hazard of overall survival compared with "
            "old: 91% (primary analysis, adjustment: ate)") in html
    assert "marginal HR (ATE) for the whole cohort" in html


def test_unreliable_posterior_is_flagged(folder):
    html = build_report(folder)
    table = html[html.index('<table id="table-posterior_hr"'):]
    table = table[:table.index("</table>")]
    assert table.count('class="unreliable"') == 1  # the piecewise row (R-hat 1.2, 5 divergences)


def test_patient_level_rows_only_on_request(folder):
    assert "SECRET-ID-9" not in build_report(folder)
    assert "SECRET-ID-9" in build_report(folder, include_patient_data=True)


def test_not_reached_median_bound_shows_na_and_p_is_formatted(folder):
    html = build_report(folder)
    assert "NA" in cells(html) and "0.019" in cells(html)


def test_report_is_self_contained(folder):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    fig.savefig(folder / "figures" / "km_os_unadjusted.png")
    plt.close(fig)
    path = write_report(folder)
    html = path.read_text()
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_small_cells_can_be_suppressed(folder):
    pd.DataFrame({"adverse_event": ["rash", "rash"], "grade": ["any", "3-4"], "n_treated": [12, 2],
                  "pct_treated": [0.3, 0.05], "n_reference": [20, 0], "pct_reference": [0.23, 0.0],
                  "p": [0.5, 0.1]}).to_csv(folder / "tables" / "safety.csv", index=False)
    html = build_report(folder, min_cell=5)
    assert "&lt;5" in cells(html) and "suppressed" in cells(html)
    assert "12" in cells(html) and "20" in cells(html)  # counts >= 5 stay
    assert "0" in cells(html)                           # zero identifies no one


def test_kaplan_meier_figures_show_the_unadjusted_cohort_first(folder):
    from matplotlib.figure import Figure

    for cohort in ("ate", "matched", "unadjusted"):
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [1, 0])
        fig.savefig(folder / "figures" / f"km_os_{cohort}.png")
    html = build_report(folder)
    assert re.findall(r'alt="(km_os_\w+)"', html) == ["km_os_unadjusted", "km_os_matched",
                                                     "km_os_ate"]


def test_table_1_names_a_level_coded_0_even_when_the_level_column_is_numeric():
    """A 0/1 categorical beside a numeric covariate: baseline.csv's level column reads back as
    numbers (NaN, 0.0, 1.0), and the reference level 0 is falsy; it is printed as 0."""
    from bayeshcc.report.sections import wide_baseline

    baseline = pd.DataFrame({"cohort": ["unadjusted"] * 3, "variable": ["age", "meno", "meno"],
                             "label": ["Age", "Menopause", "Menopause"],
                             "level": [float("nan"), 0.0, 1.0],
                             "statistic": ["mean (SD)", "n (%)", "n (%)"],
                             "summary_treated": ["50 (9)", "3 (30.0%)", "7 (70.0%)"],
                             "summary_reference": ["51 (8)", "4 (40.0%)", "6 (60.0%)"]})
    view = wide_baseline(baseline, ("A", "B"))
    assert [row[:2] for row in view.rows] == [("Age, mean (SD)", ""), ("Menopause", "0"),
                                              ("", "1")]


def test_table_1_shows_the_level_labels_of_the_spec():
    from bayeshcc.report.sections import wide_baseline
    from bayeshcc.report.wording import Wording

    baseline = pd.DataFrame({"cohort": ["unadjusted"] * 2, "variable": ["meno"] * 2,
                             "label": ["Menopause"] * 2, "level": [0.0, 1.0],
                             "statistic": ["n (%)"] * 2, "summary_treated": ["3", "7"],
                             "summary_reference": ["4", "6"]})
    words = Wording(levels={"meno": {"0": "pre", "1": "post"}})
    assert [row[1] for row in wide_baseline(baseline, ("A", "B"), words).rows] == ["pre", "post"]
