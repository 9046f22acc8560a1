"""Estimates in the report are shown to 3 significant digits; only p-values read "< 0.001"
(issue #26: a coefficient of 0.0004 was printed as "< 0.001", like a p-value)."""

from __future__ import annotations

import pytest

from bayeshcc.report.build import format_value
from bayeshcc.report.numbers import p_relation, p_value, significant
from bayeshcc.report.sections import hazard_ratio


@pytest.mark.parametrize("value, shown", [(0.62, "0.620"), (1.0, "1.00"), (12.34, "12.3"),
                                          (-0.49, "-0.490"), (123.4, "123"), (0.000412,
                                                                            "0.000412")])
def test_an_estimate_has_three_significant_digits(value, shown):
    assert significant(value) == shown


def test_a_tiny_estimate_is_a_power_of_ten_not_an_inequality():
    assert significant(4.1e-7) == "4.10 × 10⁻⁷"
    assert significant(-4.1e-7) == "-4.10 × 10⁻⁷"


def test_a_huge_estimate_is_a_power_of_ten_not_an_inequality():
    assert significant(3.31e8) == "3.31 × 10⁸"


def test_thousands_keep_their_whole_digits():
    assert significant(2601.4) == "2,601" and significant(999.7) == "1,000"


def test_a_small_coefficient_in_a_table_is_a_number_not_less_than_0_001():
    assert format_value(0.0004123, "coef") == "0.000412"
    assert format_value(-0.0004123, "coef") == "-0.000412"


def test_a_hazard_ratio_in_a_table_has_three_significant_digits():
    assert format_value(0.0041, "hr_lower") == "0.00410"  # two decimals said 0.00
    assert format_value(0.6234, "hr") == "0.623" and format_value(1.0, "hr_median") == "1.00"


def test_a_survival_probability_below_0_001_is_shown_in_digits():
    assert format_value(0.000144, "lower") == "0.000144"


def test_a_p_value_below_0_001_stays_an_inequality():
    assert format_value(0.0004, "p") == "< 0.001" and format_value(0.0004, "logrank_p") == "< 0.001"
    assert p_value(0.0123) == "0.012" and p_relation(0.0004) == "< 0.001"
    assert p_relation(0.0123) == "= 0.012"


def test_the_summary_hazard_ratio_has_three_significant_digits():
    assert hazard_ratio(0.6612) == "0.661" and hazard_ratio(0.004) == "0.00400"
