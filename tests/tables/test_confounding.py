"""tipping_point.csv's confounding columns come from the primary posterior (issue 23, part 3)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from bayeshcc.tables.confounding import confounding_columns

M, S, Q = -0.45, 0.2, 0.95
DRAWS = M + S * norm.ppf((np.arange(400_000) + 0.5) / 400_000)   # exact normal quantiles


def _evalue_by_hand(hr: float) -> float:
    """VanderWeele & Ding (2017): a common outcome's HR as a risk ratio,
    RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)); E = RR* + sqrt(RR* (RR* - 1)), RR* = 1/RR."""
    rr = (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


@pytest.fixture
def table():
    tipping = pd.DataFrame({"outcome": ["os"], "model": ["weibull"], "adjustment": ["overlap"],
                            "threshold": [Q], "tipping_prior_sd": [0.3], "note": [""]})
    hr = pd.DataFrame({"outcome": ["os", "os"], "model": ["weibull", "weibull"],
                       "prior": ["weakly_informative", "vague"],
                       "adjustment": ["overlap", "overlap"], "hr_median": [0.638, 0.61],
                       "hr_lower": [0.431, 0.40], "hr_upper": [0.944, 0.93],
                       "primary": [True, False]})
    cox = pd.DataFrame({"cohort": ["overlap", "ate"], "outcome": ["os", "os"],
                        "model": ["univariable"] * 2, "term": ["treatment"] * 2,
                        "evalue": [2.5, 9.9], "evalue_ci": [1.3, 9.9]})
    seen = []

    def draws(row):
        seen.append(row["prior"])
        return DRAWS

    out = confounding_columns(tipping, hr, cox, draws, Q)
    return out.iloc[0], seen


def test_evalue_is_that_of_the_primary_posteriors_median_and_interval(table):
    row, _ = table
    assert abs(row["evalue"] - _evalue_by_hand(0.638)) < 1e-12
    assert abs(row["evalue_ci"] - _evalue_by_hand(0.944)) < 1e-12   # the limit closer to 1
    assert row["evalue_prior"] == "weakly_informative"


def test_cox_evalue_of_the_same_population_is_kept_beside_it(table):
    row, _ = table
    assert (row["evalue_cox"], row["evalue_ci_cox"]) == (2.5, 1.3)


def test_confounding_tipping_point_reads_the_primary_draws(table):
    """B = exp(-m - z_q s) for N(m, s^2) draws: exp(0.45 - 1.6449 * 0.2) = 1.12866."""
    row, seen = table
    assert seen == ["weakly_informative"]
    assert row["confounding_bias_factor"] == pytest.approx(math.exp(-M - norm.ppf(Q) * S),
                                                           abs=1e-3)
    b = row["confounding_bias_factor"]
    assert row["confounding_evalue"] == pytest.approx(b + math.sqrt(b * (b - 1)), abs=1e-12)
    assert row["prob_hr_below_1_primary"] == pytest.approx(norm.cdf(-M / S), abs=1e-5)
