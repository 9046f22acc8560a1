"""The summary shows the primary analysis's survival curves (issue #25: "The clinician summary
shows curves"): per arm with the 95 % band, from marginal_survival.csv, drawn by the report
(plotting only)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from bayeshcc.report import build_report
from tests.report.test_report_summary import OUTCOMES, REFERENCE, TREATED, write_bayes_results


def _curves(outcomes, adjustment: str) -> pd.DataFrame:
    time = np.linspace(0, 24, 13)
    rows = []
    for outcome in outcomes:
        for arm, rate in ((TREATED, 0.05), (REFERENCE, 0.08)):
            s = np.exp(-rate * time)
            rows += [{"arm": arm, "time": t, "survival": v, "lower": v * 0.9,
                      "upper": min(1.0, v * 1.1), "outcome": outcome, "model": "weibull",
                      "prior": "weakly_informative", "adjustment": adjustment, "reliable": True}
                     for t, v in zip(time, s)]
    return pd.DataFrame(rows)


def _summary(html: str) -> str:
    return html[html.index('id="summary"'):html.index('id="sensitivity"')]


def test_each_outcome_of_the_summary_shows_its_primary_survival_curves(tmp_path):
    folder = write_bayes_results(tmp_path)
    _curves(OUTCOMES, "ate").to_csv(folder / "tables" / "marginal_survival.csv", index=False)
    summary = _summary(build_report(folder))
    for label in OUTCOMES.values():
        assert f'alt="survival per arm, primary analysis, {label}"' in summary
    images = re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="survival per arm',
                        summary)
    assert len(images) == len(OUTCOMES)


def test_no_curves_are_shown_without_the_primary_fits_rows(tmp_path):
    """Curves of another adjustment than the primary analysis's are not its curves."""
    folder = write_bayes_results(tmp_path)
    _curves(OUTCOMES, "none").to_csv(folder / "tables" / "marginal_survival.csv", index=False)
    assert "survival per arm, primary analysis" not in _summary(build_report(folder))
