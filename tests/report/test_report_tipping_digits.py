"""The tipping points in the summary give the sceptical prior's SD and the bounding factor to
3 significant digits (issue #26), like every other estimate of the report."""

from __future__ import annotations

import pandas as pd

from bayeshcc.report.numbers import significant
from bayeshcc.report.sections import _confounding, _tipping


def _tipping_row(sd: float, bias: float, evalue: float) -> pd.DataFrame:
    return pd.DataFrame([{"outcome": "os", "threshold": 0.95, "prob_hr_below_1_vague": 0.99,
                          "tipping_prior_sd": sd, "tipping_prior_events": 2400.0,
                          "prob_hr_below_1_primary": 0.99, "confounding_bias_factor": bias,
                          "confounding_evalue": evalue}])


def test_a_small_sceptical_prior_sd_keeps_three_significant_digits():
    # two decimals printed this SD as 0.04
    text = _tipping(_tipping_row(0.04123, 1.5, 2.4), "os", 0.95)
    assert f"with SD {significant(0.04123)})" in text and significant(0.04123) == "0.0412"


def test_the_bounding_factor_and_its_evalue_keep_three_significant_digits():
    text = _confounding(_tipping_row(0.2, 12.345, 24.1806), "os", 0.95)
    assert f"by a factor of {significant(12.345)} on" in text
    assert f"risk ratio of {significant(24.1806)} each" in text
    assert "12.35" not in text and "24.18" not in text
