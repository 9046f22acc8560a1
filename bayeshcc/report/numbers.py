"""Numbers as the report prints them: estimates in significant digits, p-values to 3 decimals.

A coefficient, a hazard ratio, a survival probability or a quantile is an estimate: it is shown
to 3 significant digits, however small (``0.000412``, never ``< 0.001``). Only a p-value is
shown as ``< 0.001`` below 0.001, as papers print it. Nothing is in ``e`` notation: beyond
10^-4 .. 10^6 an estimate is written as a power of ten (``3.31 × 10⁸``).

Examples
--------
>>> [significant(v) for v in (0.62, 1.0, 0.000412, 12.34, -0.49, 2601.4, 3.31e8, 4.1e-7)]
['0.620', '1.00', '0.000412', '12.3', '-0.490', '2,601', '3.31 × 10⁸', '4.10 × 10⁻⁷']
>>> [p_value(p) for p in (0.0004, 0.0123, 0.7)]
['< 0.001', '0.012', '0.700']
"""

from __future__ import annotations

import math

#: Estimates with a magnitude in [SMALL, LARGE) are written out; others as a power of ten.
SMALL, LARGE = 1e-4, 1e6
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def significant(value: float | None, digits: int = 3) -> str:
    """An estimate to ``digits`` significant digits (trailing zeros kept).

    Parameters
    ----------
    value : float or None
        None or NaN gives ``NA``.
    digits : int
        Significant digits; whole numbers from 1,000 to 10^6 keep all their digits
        (``2,601``).

    Returns
    -------
    str
        Positional notation for magnitudes in [:data:`SMALL`, :data:`LARGE`), else
        ``m × 10ⁿ`` with a ``digits``-digit mantissa.
    """
    if _missing(value):
        return "NA"
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:.{digits - 1}f}" if value == 0 else str(value)
    size = abs(value)
    if SMALL <= size < 1000:
        text = f"{value:#.{digits}g}"
        if "e" not in text:  # 999.7 rounds to 1.00e+03: written below as a whole number
            return text.rstrip(".")
        size = 1000.0
    if 1000 <= size < LARGE:
        return f"{value:,.0f}"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def p_value(p: float | None) -> str:
    """A p-value to 3 decimals, ``< 0.001`` below 0.001 (``NA`` when missing)."""
    if _missing(p):
        return "NA"
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def p_relation(p: float) -> str:
    """A p-value for a sentence: ``< 0.001`` or ``= 0.012`` (after "p")."""
    shown = p_value(p)
    return shown if shown.startswith("<") else f"= {shown}"


__all__ = ["LARGE", "SMALL", "p_relation", "p_value", "significant"]
