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


def evalue_bias_factor(bias_factor):
    """The E-value of a bounding factor B >= 1: E = B + sqrt(B (B - 1)).

    Ding & VanderWeele (2016, Epidemiology 27:368): an unmeasured confounder associated with
    treatment and outcome by risk ratios RR_EU and RR_UD can shift a risk ratio by at most
    B = RR_EU RR_UD / (RR_EU + RR_UD - 1); with the two equal, the smallest such association
    that reaches B is E.
    """
    b = float(bias_factor)
    if not b >= 1:
        raise AnalysisError(f"a bounding factor is at least 1, got {b}")
    return b + np.sqrt(b * (b - 1))


@dataclass(frozen=True)
class ConfoundingTippingPoint:
    """How much unmeasured confounding it takes before P(benefit) falls below a threshold.

    ``bias_factor``: the bounding factor B (NaN when P(benefit) is below the threshold without
    any confounding); ``evalue``: its E-value; ``prob_benefit``: P(HR < 1) of the draws as
    they are.
    """

    bias_factor: float
    evalue: float
    prob_benefit: float


def confounding_tipping_point(log_hr, threshold: float) -> ConfoundingTippingPoint:
    """The confounding tipping point of posterior draws of a log hazard ratio (HR < 1 = benefit).

    An unmeasured confounder of bounding factor B (Ding & VanderWeele 2016) that made the
    treatment look better than it is moves every draw by log B toward the null: the
    bias-corrected draws are ``log_hr + log B``, and their P(HR < 1) is P(log_hr < -log B).
    The tipping point is the B at which that probability equals ``threshold`` q:

    .. math:: B = \\exp(-Q_q(\\log \\mathrm{HR}))

    with Q_q the draws' q-quantile; for normal draws with mean m and SD s, B = exp(-m - z_q s).
    B is applied to the hazard ratio itself (as EValue's ``rare = TRUE``). Its E-value is
    :func:`evalue_bias_factor`.

    Parameters
    ----------
    log_hr : array of posterior draws of the log HR, treated vs reference.
    threshold : the decision threshold q in (0, 1).

    Returns
    -------
    ConfoundingTippingPoint
        B and E are NaN when P(benefit) < q already (no confounding is needed to bring it
        below); B = 1 when it is exactly at q.
    """
    x = np.asarray(log_hr, dtype=float).ravel()
    if not x.size or not np.all(np.isfinite(x)):
        raise AnalysisError("log_hr must be a non-empty array of finite draws")
    if not 0 < threshold < 1:
        raise AnalysisError(f"threshold must be in (0, 1), got {threshold}")
    prob = float(np.mean(x < 0))
    quantile = float(np.quantile(x, threshold))
    if quantile > 0:
        return ConfoundingTippingPoint(float("nan"), float("nan"), prob)
    b = float(np.exp(-quantile))
    return ConfoundingTippingPoint(b, float(evalue_bias_factor(b)), prob)
