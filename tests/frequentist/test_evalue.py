"""E-values against the EValue package's formulas evaluated in R (tests/reference/fixtures/evalue_reference.json)."""

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.evalue import (confounding_tipping_point, evalue_bias_factor,
                                         evalue_hazard_ratio)

from .fixtures import REFERENCE, assert_r_equal

CASES = json.loads((REFERENCE / "fixtures" / "evalue_reference.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['hr']}-{c['lower']}-{c['upper']}-rare{c['rare']}")
def test_evalue_equals_r_formula(case):
    e = evalue_hazard_ratio(case["hr"], case["lower"], case["upper"], rare_outcome=case["rare"])
    assert_r_equal([e.rr, e.rr_lower, e.rr_upper], [case["rr"], case["rr_lower"], case["rr_upper"]])
    assert_r_equal([e.evalue, e.evalue_ci], [case["evalue"], case["evalue_ci"]])


def test_paper_worked_example():
    """VanderWeele & Ding (2017, Ann Intern Med): RR 3.9 (1.8-8.7) -> E-values 7.26 and 3.0."""
    e = evalue_hazard_ratio(3.9, 1.8, 8.7, rare_outcome=True)
    assert (round(e.evalue, 2), round(e.evalue_ci, 2)) == (7.26, 3.0)


def test_ci_including_one_gives_one():
    assert evalue_hazard_ratio(0.8, 0.6, 1.1).evalue_ci == 1.0


def test_limits_out_of_order_are_refused():
    with pytest.raises(AnalysisError, match="lower <= hr <= upper"):
        evalue_hazard_ratio(0.8, 0.9, 1.1)


# --- the confounding tipping point (Ding & VanderWeele 2016, Epidemiology 27:368) -------------

def test_bias_factor_evalue_is_the_evalue_formula():
    """E = B + sqrt(B (B - 1)): B = 3.9 gives VanderWeele & Ding's (2017) 7.26."""
    assert round(evalue_bias_factor(3.9), 2) == 7.26
    assert evalue_bias_factor(1.0) == 1.0


def test_confounding_tipping_point_matches_the_closed_form_on_normal_draws():
    """Normal draws N(m, s^2): B = exp(-m - z_q s) (issue 23); m = -0.45, s = 0.2, q = 0.95
    give exp(0.45 - 1.6449 * 0.2) = 1.1287."""
    m, s, q = -0.45, 0.2, 0.95
    draws = np.random.default_rng(23).normal(m, s, 4_000_000)
    tp = confounding_tipping_point(draws, q)
    closed = math.exp(-m - norm.ppf(q) * s)
    assert closed == pytest.approx(1.1287, abs=1e-4)
    assert tp.bias_factor == pytest.approx(closed, abs=1e-3)
    assert tp.evalue == pytest.approx(closed + math.sqrt(closed * (closed - 1)), abs=2e-3)


def test_draws_shifted_by_the_tipping_bias_factor_sit_at_the_threshold():
    """The definition, on skewed draws: P(log HR + log B < 0) = q (to one draw in 100 000)."""
    draws = -np.random.default_rng(5).gamma(2.0, 0.3, 100_000)
    tp = confounding_tipping_point(draws, 0.9)
    assert np.mean(draws + math.log(tp.bias_factor) < 0) == pytest.approx(0.9, abs=2e-5)


def test_no_confounding_tipping_point_when_benefit_is_below_the_threshold_already():
    draws = np.random.default_rng(1).normal(-0.1, 0.2, 10_000)   # P(HR < 1) about 0.69
    tp = confounding_tipping_point(draws, 0.95)
    assert math.isnan(tp.bias_factor) and math.isnan(tp.evalue)
    assert tp.prob_benefit == pytest.approx(0.69, abs=0.02)
