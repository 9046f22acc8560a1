"""A cohort of a real shape in its own words: 0/1-coded arms and a 0/1 categorical named by the
spec's labels, times recorded in days shown in years, no synthetic-data sentence, the
clinically meaningful HR and the per-arm numbers in the summary.

One small Bayesian run (one model, two adjustments, 2 chains of 100 draws) of about 200
patients; the report is read as text and as its tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.pipeline import RunOptions, run_analysis
from bayeshcc.spec import spec_from_text
from tests.report.test_report_browser import Page
from tests.report.test_report_summary import visible_text

ARMS = ("Hormonal therapy", "No hormonal therapy")
LEVELS = ("premenopausal", "postmenopausal")

SPEC = """
title = "Hormonal therapy after surgery"

[data]
id = "pid"
treatment = "hormon"
treated = 1
reference = 0
time_unit = "days"
display_unit = "years"
labels = { 1 = "Hormonal therapy", 0 = "No hormonal therapy" }

[data.levels]
menopause = { 0 = "premenopausal", 1 = "postmenopausal" }

[outcomes.rfs]
time = "rfs_days"
event = "rfs_event"
label = "Recurrence-free survival"

[covariates]
age = { type = "numeric", label = "Age, years" }
menopause = { type = "categorical", reference = 0, label = "Menopausal status" }

[propensity]
covariates = ["age", "menopause"]

[cox]
covariates = ["age", "menopause"]

[km]
landmarks = ["1 year", "3 years"]

[rmst]
tau = "4 years"

[bayes]
models = ["weibull"]
adjustments = ["none", "ate"]
priors = ["weakly_informative"]
draws = 100
tune = 100
chains = 2
clinical_hr = 0.75
"""


def real_shaped_cohort(n: int = 200, seed: int = 11) -> pd.DataFrame:
    """Arms coded 1/0, menopause coded 0/1, recurrence-free times in days (with decimals, as
    exported), administratively censored at five years."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 9, n).round()
    menopause = (age + rng.normal(0, 4, n) > 52).astype(int)
    hormon = rng.binomial(1, 1 / (1 + np.exp(-(age - 55) / 10)))
    scale = 1500 * np.exp(0.35 * hormon - 0.01 * (age - 55))
    event_time = rng.weibull(1.2, n) * scale
    censor = np.minimum(rng.uniform(300, 2500, n), 1826.0)
    return pd.DataFrame({"pid": np.arange(1, n + 1), "hormon": hormon, "age": age,
                         "menopause": menopause,
                         "rfs_days": np.round(np.minimum(event_time, censor), 1) + 0.5,
                         "rfs_event": (event_time <= censor).astype(int)})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("own-words") / "results"
    cohort = Cohort.from_dataframe(real_shaped_cohort(), spec_from_text(SPEC))
    return run_analysis(cohort, out, options=RunOptions(quiet=True))


@pytest.fixture(scope="module")
def html(folder) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def text(html) -> str:
    return visible_text(html)


@pytest.fixture(scope="module")
def page(html) -> Page:
    return Page(html)


def _summary(text: str) -> str:
    return text[text.index("Summary Recurrence-free survival"):text.index("Sensitivity at a glance")]


def test_arms_are_named_by_their_labels_in_every_table(page):
    for title, rows in page.tables.items():
        header, *body = rows
        if "arm" in header:
            arms = {row[header.index("arm")] for row in body}
            assert arms <= set(ARMS) | {"difference", ""}, title


def test_the_summary_never_calls_an_arm_1_or_0(text):
    summary = _summary(text)
    assert f"comparing {ARMS[0]} with {ARMS[1]}" in summary
    assert f"that {ARMS[0]} lowers the hazard of recurrence-free survival" in summary
    assert not re.search(r"\b(with|than|arm) [01]\b", summary)


def table(html: str, key: str) -> list[list[str]]:
    """The rows (header first) of the report's table with id ``table-KEY``."""
    start = html.index(f'<table id="table-{key}"')
    return Page(html[start:html.index("</table>", start) + 8]).tables[""]


def test_table_1_names_both_levels_of_the_coded_categorical(html):
    rows = table(html, "baseline_wide")
    header = rows[0]
    assert header[2:4] == [f"unadjusted: {ARMS[0]}", f"unadjusted: {ARMS[1]}"]
    menopause = [row for row in rows if row[0] == "Menopausal status"]
    at = rows.index(menopause[0])
    assert [rows[at][1], rows[at + 1][1]] == list(LEVELS)


def test_the_long_baseline_table_names_the_levels_too(html):
    rows = table(html, "baseline")
    level = rows[0].index("level")
    assert {row[level] for row in rows[1:] if row[rows[0].index("label")]
            == "Menopausal status"} == set(LEVELS)


def test_times_are_shown_in_years_with_no_day_decimals(text):
    from bayeshcc.units import CONVENTION

    assert not re.search(r"\d\.\d+ days", text.replace(CONVENTION, ""))
    assert "up to 4 years" in text
    assert re.search(r"Difference in median survival \(.*?\): -?\d+\.\d years", text)
    assert "Times are shown in years; the results tables hold them in days" in text


def test_no_synthetic_data_sentence_on_real_data(text):
    assert "synthetic" not in text.lower()


def test_the_clinically_meaningful_hr_is_in_the_summary(text):
    assert re.search(r"clinically meaningful benefit \(HR < 0.75\): (> )?\d", _summary(text))


def test_the_summary_table_has_patients_events_medians_and_landmarks_per_arm(page, folder):
    header, *rows = page.tables["Recurrence-free survival"]
    assert header[1:3] == list(ARMS) and header[3].startswith(f"Difference, {ARMS[0]} minus {ARMS[1]} (95% ")
    cells = {row[0]: row[1:] for row in rows}
    survival = pd.read_csv(folder / "tables" / "survival.csv")
    whole = survival[survival["cohort"] == "unadjusted"].set_index("arm")
    assert cells["Patients"][:2] == [str(whole.loc[1, "n"]), str(whole.loc[0, "n"])]
    assert cells["Events"][:2] == [str(whole.loc[1, "events"]), str(whole.loc[0, "events"])]
    median = cells["Median survival (model)"]
    assert all(re.fullmatch(r"\d+\.\d years|NA", c) for c in median[:2])
    landmark = [k for k in cells if k == "Survival at 1 year (Kaplan-Meier)"]
    assert landmark and all(re.fullmatch(r"\d+(\.\d)?%", c) for c in cells[landmark[0]][:2])
    assert any(k.startswith("Survival at 3 years") for k in cells)


def test_tables_keep_the_codes_and_the_days(folder):
    survival = pd.read_csv(folder / "tables" / "survival.csv")
    assert set(survival["arm"]) == {0, 1}
    rmst = pd.read_csv(folder / "tables" / "rmst.csv")
    assert set(rmst["tau"]) == {4 * 365.25}
    landmarks = pd.read_csv(folder / "tables" / "survival_landmarks.csv")
    assert set(landmarks["time"]) == {365.25, 3 * 365.25}


def test_numbers_at_risk_are_counted_at_whole_years_written_in_days(folder):
    at_risk = pd.read_csv(folder / "tables" / "km_at_risk.csv")
    years = at_risk["time"] / 365.25
    assert np.allclose(years, years.round()) and years.max() >= 4


def test_per_arm_columns_are_headed_by_the_arms_names(html):
    header = table(html, "baseline")[0]
    assert f"summary, {ARMS[0]}" in header and f"summary, {ARMS[1]}" in header
