"""End to end: the bundled cohort with bayeshcc/studies/hcc2024/paper.toml's robust and power priors
(``persano_robust``, ``persano_half``) on a small grid (short chains) gives the borrowing
columns, the discount sweep table and figure, and the report shows them."""

import re

import numpy as np
import pandas as pd
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.datasets import load_paper_cohort
from bayeshcc.pipeline import RunOptions, paper_spec_path, run_analysis
from bayeshcc.spec import spec_from_text

GRID = """[bayes]
models = ["weibull"]
adjustments = ["ate"]
primary = { adjustment = "ate" }  # kept, though the cohort's ATE weights are extreme (issue 23)
priors = ["vague", "persano_half", "persano_robust"]
draws = 150
tune = 150
chains = 2
seed = 20241

"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    text = paper_spec_path().read_text()
    text = re.sub(r"(?ms)^\[bayes\].*?(?=^# Persano|^\[priors)", GRID, text)
    spec = spec_from_text(text)
    assert spec.priors["persano_robust"]["type"] == "robust"  # the paper's robust prior
    cohort = Cohort.from_dataframe(load_paper_cohort(), spec)
    out = tmp_path_factory.mktemp("borrowing") / "results"
    run_analysis(cohort, out, options=RunOptions(quiet=True))
    return out


def test_posterior_hr_has_the_borrowing_columns(run):
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv").set_index(["outcome", "prior"])
    robust, power = hr.loc[("os", "persano_robust")], hr.loc[("os", "persano_half")]
    assert 0 < robust["prior_weight_posterior"] < 1
    assert np.isnan(power["prior_weight_posterior"])
    # ESS by ELIR: the power prior's 4 / 0.4476^2 = 19.96 events; the robust one's 26.6
    assert power["prior_ess_events"] == pytest.approx(19.96, abs=0.01)
    assert robust["prior_ess_events"] == pytest.approx(26.64, abs=0.01)
    assert 0 < robust["prior_data_conflict_p"] <= 1 and 0 < power["prior_data_conflict_p"] <= 1
    # the same cohort estimate (weighted MLE, jackknife sandwich SE) behind both p-values
    assert robust["cohort_log_hr"] == pytest.approx(power["cohort_log_hr"], abs=1e-6)
    vague = hr.xs("vague", level="prior")
    assert vague["prior_data_conflict_p"].isna().all()
    assert vague["prior_ess_events"].tolist() == pytest.approx([0.04, 0.04])


def test_discount_sweep_refits_the_power_prior_at_five_discounts(run):
    sweep = pd.read_csv(run / "tables" / "borrowing_sweep.csv")
    assert set(sweep["prior"]) == {"persano_half"}   # power priors only, not the robust one
    assert sweep["a0"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert (sweep[["outcome", "model", "adjustment"]].drop_duplicates().values.tolist()
            == [["os", "weibull", "ate"]])
    assert {"hr_median", "hr_lower", "hr_upper", "prob_hr_below_1", "reliable"} <= set(sweep)
    # a0 = 0 is the vague N(0, 10): worth 4 / 100 events; a0 = 1 the Persano SE 0.3165
    assert sweep["prior_ess_events"].iloc[0] == pytest.approx(0.04)
    assert sweep["prior_log_hr_sd"].iloc[-1] == pytest.approx(0.31653, abs=1e-5)


def test_sweep_at_the_priors_own_discount_repeats_the_grids_fit(run):
    """Same prior (a0 = 0.5), data, seed and compiled model: the same posterior."""
    sweep = pd.read_csv(run / "tables" / "borrowing_sweep.csv").set_index("a0")
    hr = pd.read_csv(run / "tables" / "posterior_hr.csv").set_index(["outcome", "prior"])
    assert sweep.loc[0.5, "hr_median"] == pytest.approx(hr.loc[("os", "persano_half"),
                                                              "hr_median"], rel=1e-9)


def test_sweep_figure_is_in_the_folder_and_the_report(run):
    assert (run / "figures" / "borrowing_sweep.png").stat().st_size > 0
    html = (run / "report.html").read_text()
    assert "Borrowing from external evidence" in html and 'alt="borrowing_sweep"' in html


def test_the_explicit_ate_primary_is_obeyed_and_its_extreme_weights_warned(run):
    # issue 23: the bundled cohort's ATE weights are extreme (largest 23.4, treated ESS 18 of
    # 40); this grid names its ATE primary, so it stays primary and the report's warnings say why
    import json

    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["primary"]["adjustment"] == "ate"
    sentence = manifest["adjustment"]["primary_overlap"]["sentence"]
    warned = [w for w in manifest["warnings"] if w.startswith(sentence)]
    assert warned == [f"{sentence} The spec's [bayes] primary names adjustment 'ate', which is "
                      "kept as given."]
    html = (run / "report.html").read_text()
    warnings_box = html[html.index('<div class="warn">'):]
    assert "which is kept as given." in warnings_box[:warnings_box.index("</div>")]
