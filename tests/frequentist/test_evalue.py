"""E-values against the EValue package's formulas evaluated in R (tests/reference/fixtures/evalue_reference.json)."""

import json

import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.evalue import evalue_hazard_ratio

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
