"""Units of time: the vocabulary of ``[data] time_unit`` and ``display_unit``, conversion
between them, horizons written with a unit (``tau = "5 years"``) and times as a reader reads
them (``1.6 years``, never ``578.3 days``).

A year is 365.25 days, a month a twelfth of a year (30.4375 days), a week 7 days. The tables
always hold times in the data's unit; only what the report, the summary and the figures show
is converted.

Examples
--------
>>> convert(1826.25, "days", "years")
5.0
>>> horizon_in("5 years", "days")
1826.25
>>> duration(convert(578.3, "days", "years"), "years")
'1.6 years'
"""

from __future__ import annotations

import math
import re

TIME_UNITS = ("days", "weeks", "months", "years")
"""The units a spec may name (``[data] time_unit``, ``display_unit``, a horizon's unit)."""

DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
"""Days in one unit: 365.25 days a year, 12 months a year, 7 days a week."""

CONVENTION = "1 year = 365.25 days = 12 months; 1 week = 7 days"
"""The conversion rule in words, for the report's methods."""

_HORIZON = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+?)s?\s*$")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """A time in ``from_unit`` expressed in ``to_unit`` (both in :data:`TIME_UNITS`)."""
    return float(value) * DAYS_PER_UNIT[from_unit] / DAYS_PER_UNIT[to_unit]


def parse_horizon(text: str) -> tuple[float, str] | None:
    """``"5 years"`` -> ``(5.0, "years")``; a singular unit is accepted (``"1 year"``).

    Returns None when ``text`` is not a positive number followed by a unit of
    :data:`TIME_UNITS`.
    """
    match = _HORIZON.match(text.lower()) if isinstance(text, str) else None
    if match is None or f"{match.group(2)}s" not in TIME_UNITS:
        return None
    value = float(match.group(1))
    return (value, f"{match.group(2)}s") if value > 0 else None


def horizon_in(value: float | str, data_unit: str) -> float:
    """A horizon of the spec in the data's unit: a number is already in it; ``"5 years"`` is
    converted (:func:`convert`).

    Raises
    ------
    ValueError
        If ``value`` is text that :func:`parse_horizon` does not read.
    """
    if not isinstance(value, str):
        return float(value)
    parsed = parse_horizon(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not a number and a unit ({', '.join(TIME_UNITS)})")
    number, unit = parsed
    return convert(number, unit, data_unit)


def _decimals(value: float, unit: str) -> int:
    if unit == "days":
        return 0
    return 2 if 0 < abs(value) < 0.095 else 1  # 0.04 years, not 0.0


def _plural(text: str, unit: str) -> str:
    return f"{text} {unit[:-1]}" if text == "1" else f"{text} {unit}"


def amount(value: float, unit: str) -> str:
    """A time (or difference of times) already in ``unit``, rounded for reading: whole days,
    one decimal otherwise (two when one would show 0.0); never ``-0.0``. No unit name."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    text = f"{float(value):.{_decimals(float(value), unit)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def duration(value: float, unit: str) -> str:
    """A time in ``unit`` with the unit's name: ``1.6 years``, ``578 days``, ``1 day``."""
    text = amount(value, unit)
    return text if text == "NA" else _plural(text, unit)


def horizon(value: float, unit: str) -> str:
    """A horizon (landmark, RMST tau) in ``unit``: at most one decimal, a whole number without
    one (``5 years``, ``1.5 years``, ``6 months``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    rounded = round(float(value), 1 if unit != "days" else 0)
    text = f"{rounded:.1f}".removesuffix(".0") if unit != "days" else f"{rounded:.0f}"
    return _plural(text, unit)


__all__ = ["CONVENTION", "DAYS_PER_UNIT", "TIME_UNITS", "amount", "convert", "duration",
           "horizon", "horizon_in", "parse_horizon"]
