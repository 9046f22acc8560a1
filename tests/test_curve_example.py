"""The shipped curve-borrowing example (models/paper_curve.toml) runs through the pipeline on
the bundled cohort, and its curve prior has its own rows in posterior_hr."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bayeshcc as bh
from bayeshcc.datasets import PAPER_COHORT_CSV

SPEC = Path(__file__).resolve().parents[1] / "models" / "paper_curve.toml"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayeshcc.errors.AnalysisWarning")  # overlap, short chains
def test_example_curve_prior_has_its_rows_in_posterior_hr():
    result = bh.analyze(PAPER_COHORT_CSV, SPEC, draws=300, tune=300, chains=2)
    hr = result.tables["posterior_hr"]
    curve = hr[hr["prior"] == "sorafenib_curve"]
    # the spec's ate, none, and overlap: the default primary under the bundled cohort's extreme
    # ATE weights (issue #23), added to the grid
    assert sorted(zip(curve["model"], curve["adjustment"])) == [
        ("piecewise", "ate"), ("piecewise", "none"), ("piecewise", "overlap"),
        ("weibull", "ate"), ("weibull", "none"), ("weibull", "overlap")]
    assert np.all(curve["hr_lower"] < curve["hr_median"])
    assert np.all(curve["hr_median"] < curve["hr_upper"])
    # how much was borrowed: the commensurability SD, only for the curve prior's fits
    assert np.all(curve["commensurate_sd"] > 0)
    assert hr.loc[hr["prior"] != "sorafenib_curve", "commensurate_sd"].isna().all()
    assert "sorafenib_os_ipd.csv" in curve["prior_description"].iloc[0]
    posterior = result.posteriors["os_weibull_sorafenib_curve_none"]["posterior"]
    assert {"log_hr", "commensurate_sd", "log_rate_ext"} <= set(posterior.data_vars)
