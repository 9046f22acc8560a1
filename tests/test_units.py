"""Units of time: a fixed vocabulary, one conversion rule, times rounded for reading."""

import pytest

from bayeshcc.units import (DAYS_PER_UNIT, TIME_UNITS, convert, duration, horizon, horizon_in,
                            parse_horizon)


def test_the_vocabulary_is_days_weeks_months_years():
    assert TIME_UNITS == ("days", "weeks", "months", "years")


def test_a_year_is_365_25_days_12_months_and_a_week_7_days():
    assert DAYS_PER_UNIT["years"] == 365.25 and DAYS_PER_UNIT["weeks"] == 7
    assert convert(1, "years", "months") == pytest.approx(12)
    assert convert(14, "days", "weeks") == 2


def test_a_horizon_with_a_unit_is_read_singular_or_plural():
    assert parse_horizon("5 years") == (5.0, "years")
    assert parse_horizon("1 year") == (1.0, "years")
    assert parse_horizon(" 1.5 Months ") == (1.5, "months")


@pytest.mark.parametrize("text", ["5", "years", "2 fortnights", "-1 years", "0 days", "5 y"])
def test_what_is_not_a_positive_number_and_a_unit_is_not_a_horizon(text):
    assert parse_horizon(text) is None


def test_a_horizon_is_converted_to_the_datas_unit_and_a_number_kept():
    assert horizon_in("5 years", "days") == 1826.25
    assert horizon_in(12, "months") == 12.0


def test_days_are_whole_and_other_units_have_one_decimal():
    assert duration(578.3, "days") == "578 days"
    assert duration(convert(578.3, "days", "years"), "years") == "1.6 years"
    assert duration(4.27, "months") == "4.3 months"


def test_one_of_a_unit_is_singular():
    assert duration(1.0, "days") == "1 day" and horizon(1, "years") == "1 year"


def test_a_horizon_has_no_trailing_zero():
    assert horizon(convert(1826.25, "days", "years"), "years") == "5 years"
    assert horizon(1.5, "years") == "1.5 years" and horizon(6, "months") == "6 months"
