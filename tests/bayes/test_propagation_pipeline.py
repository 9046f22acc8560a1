"""``[bayes] uncertainty = "ps_bootstrap"``: which fits draw the PS, what their table rows say,
and the report sentence citing the method. The default (``sandwich``) draws no PS."""

import warnings

import numpy as np
import pandas as pd
import pytest

from bayeshcc.adjust.cohort import adjust
from bayeshcc.bayes.grid import FitJob, run_job
from bayeshcc.bayes.plan import (fit_inputs, plan_fits, population_for, propensity_design,
                                 uncertainty_label)
from bayeshcc.bayes.priors import BUILT_IN
from bayeshcc.cohort import Cohort
from bayeshcc.report.sections import table_views
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame

BOOTSTRAP = "\n[bayes]\nmodels = ['weibull']\nadjustments = ['none', 'ate', 'matched']\n" \
            "uncertainty = 'ps_bootstrap'\nps_replicates = 3\n"


def _cohort(extra: str = BOOTSTRAP) -> Cohort:
    return Cohort.from_dataframe(make_small_frame(80), spec_from_text(SMALL_SPEC + extra))


def _job(cohort: Cohort, task, populations) -> FitJob:
    design = propensity_design(task, cohort)
    pop = population_for("none" if design is not None else task.adjustment, populations)
    return FitJob(task, fit_inputs(task, pop, ()), BUILT_IN["weakly_informative"], 100, 100, 2,
                  (), 6, 10.0, cohort.arm_labels(), (), True, design,
                  cohort.spec.bayes.ps_replicates if design is not None else 0,
                  uncertainty=uncertainty_label(task.adjustment, cohort.spec.bayes.uncertainty))


def test_only_ps_adjustments_draw_the_ps_and_with_the_spec_settings():
    cohort = _cohort()
    designs = {t.adjustment: propensity_design(t, cohort) for t in plan_fits(cohort.spec)}
    assert designs["none"] is None
    assert designs["ate"].adjustment == "ate" and designs["matched"].adjustment == "matched"
    assert list(designs["ate"].X.columns) == ["age", "stage[II]", "stage[III]"]
    assert designs["matched"].caliper == cohort.spec.propensity.caliper
    np.testing.assert_array_equal(designs["matched"].ids, cohort.ids)


def test_default_sandwich_spec_draws_nothing():
    cohort = _cohort("")
    assert cohort.spec.bayes.uncertainty == "sandwich"
    assert all(propensity_design(t, cohort) is None for t in plan_fits(cohort.spec))


@pytest.fixture(scope="module")
def results():
    cohort = _cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains: propensity and convergence warnings
        populations = adjust(cohort).populations
        return {t.adjustment: run_job(_job(cohort, t, populations))
                for t in plan_fits(cohort.spec)}


def test_rows_say_how_the_ps_entered(results):
    assert results["none"].hr["uncertainty"] == "model" and results["none"].hr["ps_replicates"] == 0
    for adjustment in ("ate", "matched"):
        hr = results[adjustment].hr
        assert (hr["uncertainty"], hr["ps_replicates"]) == ("ps_bootstrap", 3)
        assert set(results[adjustment].contrasts["uncertainty"]) == {"ps_bootstrap"}
        assert results[adjustment].posterior["posterior"].sizes["chain"] == 3 * 2
        assert "PS replicates" in hr["convergence"]


def test_matched_rows_describe_the_matched_patients_of_the_point_estimate(results):
    """n and events of a drawn-PS matched fit are those of the fixed-PS matched cohort."""
    cohort = _cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matched = population_for("matched", adjust(cohort).populations)
    assert results["matched"].hr["n"] == len(matched.cohort)
    assert results["ate"].hr["n"] == len(cohort.data)


def test_report_cites_the_method_when_the_ps_was_drawn():
    table = pd.DataFrame({"outcome": ["os"] * 3, "model": ["weibull"] * 3, "prior": ["wi"] * 3,
                          "adjustment": ["none", "ate", "matched"],
                          "uncertainty": ["model", "ps_bootstrap", "ps_bootstrap"],
                          "ps_replicates": [0, 20, 20], "hr_median": [0.5] * 3,
                          "hr_lower": [0.3] * 3, "hr_upper": [0.8] * 3,
                          "prob_hr_below_1": [0.99] * 3, "reliable": [True] * 3})
    view = table_views({"posterior_hr": table}, {})["posterior_hr"]
    assert "Kaplan & Chen 2012" in view.note and "redrawn 20 times" in view.note
    assert "uncertainty" in view.columns
    sandwich = table.assign(uncertainty=["model", "sandwich", "sandwich"], ps_replicates=0)
    note = table_views({"posterior_hr": sandwich}, {})["posterior_hr"].note
    assert "Kaplan" not in note and "Williams & Savitsky 2021" in note
    kish = table.assign(uncertainty=["model", "kish", "kish"], ps_replicates=0)
    note = table_views({"posterior_hr": kish}, {})["posterior_hr"].note
    assert "not guaranteed to be calibrated" in note


@pytest.mark.slow
def test_analysis_with_drawn_ps_writes_tables_manifest_and_report(tmp_path):
    """run_analysis end to end (about 40 s): the bootstrap rows, the manifest entry, the
    prior predictive table and the report's citation."""
    import json

    from bayeshcc.pipeline import RunOptions, run_analysis

    out = run_analysis(_cohort(), tmp_path / "results",
                       options=RunOptions(draws=100, tune=100, chains=2, quiet=True))
    hr = pd.read_csv(out / "tables" / "posterior_hr.csv").set_index("adjustment")
    assert hr.loc["ate", "uncertainty"] == hr.loc["matched", "uncertainty"] == "ps_bootstrap"
    assert hr.loc["none", "uncertainty"] == "model"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["bayes"]["uncertainty"], manifest["bayes"]["ps_replicates"]) == ("ps_bootstrap", 3)
    assert len(pd.read_csv(out / "tables" / "prior_predictive.csv")) == 3
    assert "Kaplan &amp; Chen 2012" in (out / "report.html").read_text()
