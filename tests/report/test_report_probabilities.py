"""Every probability the report prints: one format, never certainty short of exactly 1 or 0.

A posterior probability of 0.9985 once printed as "100%" in the summary while the appendix
showed 99.9 %. The summary is built here from a small results folder whose probabilities are
drawn by hypothesis over (0, 1), and every percentage in it is read back.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayeshcc.report.build import _read_tables, format_value
from bayeshcc.report.probability import probability
from bayeshcc.report.sections import summary
from tests.report.test_report_summary import write_bayes_results

OPEN_UNIT = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = write_bayes_results(tmp_path_factory.mktemp("probabilities"))
    manifest = json.loads((folder / "manifest.json").read_text())
    summary(_read_tables(folder), manifest)  # imports what it needs before hypothesis runs
    return _read_tables(folder), manifest


def summary_with(results, p: float) -> str:
    """The summary's text with every probability of the primary analysis set to ``p``."""
    tables, manifest = results
    tables = {k: v.copy() for k, v in tables.items()}
    hr = tables["posterior_hr"]
    for column in ("prob_hr_below_1", "prob_hr_below_0.8"):
        hr.loc[hr["primary"], column] = p
    contrasts = tables["posterior_contrasts"]
    contrasts.loc[contrasts["arm"] == "difference", "prob_above_0"] = p
    words = []
    for block in summary(tables, manifest):
        for value in block.values():
            if isinstance(value, str):
                words.append(value)
            elif isinstance(value, list):
                words += [v for v in value if isinstance(v, str)]
        if block["glance"] is not None:
            words += [cell for row in block["glance"].rows for cell in row]
    return " ".join(words)


def percentages(text: str) -> list[str]:
    return re.findall(r"[<>]? ?\d+(?:\.\d+)?%", text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=OPEN_UNIT)
def test_a_probability_short_of_certainty_never_prints_as_100_or_0_percent(results, p):
    text = summary_with(results, p)
    shown = percentages(text)
    assert probability(p) in text
    for value in shown:
        number = float(re.sub(r"[<> %]", "", value))
        assert 0 < number < 100, (p, value)


@pytest.mark.parametrize("p, shown", [(1.0, "100%"), (0.0, "0%")])
def test_only_exactly_1_or_0_prints_as_certainty(results, p, shown):
    assert f"compared with olddrug: {shown} (primary analysis" in summary_with(results, p)


@pytest.mark.parametrize("p, shown", [(0.9985, "99.9%"), (0.99996, "> 99.9%"), (0.987, "99%"),
                                      (0.00004, "< 0.1%"), (0.004, "0.4%"), (0.5, "50%")])
def test_the_summary_and_the_appendix_print_a_probability_alike(p, shown):
    assert probability(p) == shown
    assert format_value(p, "prob_hr_below_1") == probability(p, decimals=1)


@given(p=OPEN_UNIT, decimals=st.integers(0, 2))
def test_the_format_reads_as_a_percentage_strictly_between_0_and_100(p, decimals):
    text = probability(p, decimals)
    assert re.fullmatch(r"(> |< )?\d+(\.\d+)?%", text)
    assert 0 < float(text.lstrip("<> ").rstrip("%")) < 100
