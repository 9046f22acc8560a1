"""The report states what the validation study showed instead of citing a file its reader does
not have (issue #26: the report said "checked by simulation in docs/validation.md")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeshcc.report.build import build_report
from bayeshcc.report.sections import VALIDATED_VERSION, validation_methods
from tests.report.test_report_summary import visible_text, write_bayes_results


@pytest.fixture(scope="module")
def text(tmp_path_factory) -> str:
    """The visible text of a report whose ATE and matched rows are calibrated."""
    folder = write_bayes_results(tmp_path_factory.mktemp("validation"))
    for name in ("posterior_hr", "sensitivity", "posterior_contrasts"):
        path = folder / "tables" / f"{name}.csv"
        frame = pd.read_csv(path)
        frame["interval"] = np.where(frame["adjustment"].isin(["ate", "matched"]),
                                     "calibrated interval", "credible interval")
        frame["uncertainty"] = np.where(frame["adjustment"].isin(["ate", "matched"]),
                                        "sandwich", "model")
        frame.to_csv(path, index=False)
    return visible_text(build_report(folder))


def test_no_report_text_mentions_the_docs_folder(text):
    assert "docs/" not in text and "validation.md" not in text


def test_methods_state_the_coverage_the_validation_study_measured(text):
    methods = text[text.index("Methods and limitations"):]
    assert "Validation by simulation (bayeshcc 0.1.0" in methods
    assert "true marginal log hazard ratio in 93.2-95.4% of cohorts" in methods
    assert "89.2%" in methods and "RMST difference covered 87-94%" in methods


def test_the_validation_names_the_report_version_when_it_differs():
    assert "the version of this report" in validation_methods(
        {"versions": {"bayeshcc": VALIDATED_VERSION}})
    assert "this report was made with bayeshcc 0.2.0" in validation_methods(
        {"versions": {"bayeshcc": "0.2.0"}})
