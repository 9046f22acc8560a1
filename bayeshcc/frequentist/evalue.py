"""E-values for a hazard ratio (VanderWeele & Ding 2017), as R ``EValue::evalues.HR``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.errors import AnalysisError


@dataclass(frozen=True)
class EValue:
    """E-value of the estimate and of the confidence limit closer to 1 (1 if the CI spans 1).

    ``rr``, ``rr_lower``, ``rr_upper`` are the hazard ratios on the risk-ratio scale
    used for the computation (equal to the HRs when the outcome is rare).
    """

    evalue: float
    evalue_ci: float
    rr: float
    rr_lower: float
    rr_upper: float


def hr_to_rr(hr):
    """Approximate risk ratio of a common outcome: (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."""
    hr = np.asarray(hr, dtype=float)
    return (1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr))


def evalue_rr(rr):
    """E-value of a risk ratio: RR + sqrt(RR (RR - 1)), with RR < 1 replaced by 1/RR."""
    rr = float(rr)
    if rr < 1:
        rr = 1 / rr
    return rr + np.sqrt(rr * (rr - 1))


def evalue_hazard_ratio(hr, lower, upper, rare_outcome=False):
    """E-values of a hazard ratio and its confidence interval.

    The minimum strength of association (risk-ratio scale) an unmeasured confounder would
    need with both treatment and outcome to explain away the estimate (or to move the CI
    to include 1). For a common outcome (more than ~15% with events by the end of
    follow-up, the usual case in survival studies) the HR is first converted with
    :func:`hr_to_rr`; for a rare one it is used as a risk ratio.

    Parameters
    ----------
    hr, lower, upper : float
        Hazard ratio and its confidence limits (positive, lower <= hr <= upper).
    rare_outcome : bool
        Whether the outcome is rare (EValue's ``rare = TRUE``).

    Returns
    -------
    EValue

    Examples
    --------
    VanderWeele & Ding (2017), RR 3.9 (1.8 to 8.7): E-values 7.26 and 3.0.

    >>> e = evalue_hazard_ratio(3.9, 1.8, 8.7, rare_outcome=True)
    >>> round(e.evalue, 2), round(e.evalue_ci, 2)
    (7.26, 3.0)
    """
    values = np.array([hr, lower, upper], dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise AnalysisError(f"hr, lower and upper must be positive numbers, found {values.tolist()}")
    if not lower <= hr <= upper:
        raise AnalysisError(f"need lower <= hr <= upper, found {lower}, {hr}, {upper}")
    rr, rr_lo, rr_hi = values if rare_outcome else hr_to_rr(values)
    if rr_lo <= 1 <= rr_hi:
        ci = 1.0
    else:
        ci = evalue_rr(rr_lo if rr > 1 else rr_hi)
    return EValue(float(evalue_rr(rr)), float(ci), float(rr), float(rr_lo), float(rr_hi))
