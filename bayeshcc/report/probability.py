"""Every probability the report prints, in one format that never reads as certainty.

A posterior probability of 0.9985 is not "100 %": only exactly 1 and 0 print as ``100%`` and
``0%``. Beyond 99.9 % and below 0.1 % the text says so (``> 99.9%``, ``< 0.1%``); between 1 %
and 99 % whole percentages (or ``decimals`` of them); between those, one decimal, so that no
rounding reaches 0 % or 100 %.

Examples
--------
>>> [probability(p) for p in (0.987, 0.9985, 0.99996, 1.0, 0.004, 0.00004, 0.0)]
['99%', '99.9%', '> 99.9%', '100%', '0.4%', '< 0.1%', '0%']
>>> probability(0.987, decimals=1)
'98.7%'
"""

from __future__ import annotations

import math

HIGH, LOW = 0.999, 0.001  # beyond these, "> 99.9%" and "< 0.1%"


def probability(p: float | None, decimals: int = 0) -> str:
    """A probability as a percentage for reading.

    Parameters
    ----------
    p : float or None
        In [0, 1]; None or NaN gives ``NA``.
    decimals : int
        Decimals of the percentage between 1 % and 99 % (outside that band at least one).

    Returns
    -------
    str
        ``100%`` or ``0%`` only for exactly 1 or 0.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    p = float(p)
    if p >= 1:
        return "100%"
    if p <= 0:
        return "0%"
    if p > HIGH:
        return "> 99.9%"
    if p < LOW:
        return "< 0.1%"
    value = 100 * p
    shown = decimals if 1 <= value <= 99 else max(decimals, 1)
    return f"{value:.{shown}f}%"


__all__ = ["probability"]
