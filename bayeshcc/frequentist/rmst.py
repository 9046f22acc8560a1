"""Restricted mean survival time and its between-arm difference, as R ``print(survfit, rmean=)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist._inputs import check_group, check_survival_inputs
from bayeshcc.frequentist.km import kaplan_meier


@dataclass(frozen=True)
class RestrictedMean:
    """Restricted mean survival time up to ``tau`` and its standard error."""

    rmst: float
    se: float
    tau: float


@dataclass(frozen=True)
class RmstDifference:
    """RMST of each arm and treated minus reference, with a normal confidence interval."""

    treated: RestrictedMean
    reference: RestrictedMean
    difference: float
    se: float
    lower: float
    upper: float
    p: float
    conf_level: float


def restricted_mean(time, event, tau, weights=None):
    """Area under the Kaplan–Meier curve from 0 to ``tau``, as R ``survival:::survmean``.

    .. math::
        \\mathrm{RMST}(\\tau) = \\int_0^\\tau \\hat S(t)\\,dt, \\qquad
        \\widehat{\\mathrm{Var}} = \\sum_{t_j \\le \\tau} A_j^2 \\frac{d_j}{n_j (n_j - d_j)},
        \\quad A_j = \\int_{t_j}^{\\tau} \\hat S(t)\\,dt

    (``*rmean`` and ``*se(rmean)`` of ``print(survfit(Surv(time, event) ~ 1), rmean = tau)``;
    with weights, d_j and n_j are weighted counts, as R does).

    Examples
    --------
    >>> round(restricted_mean([1, 2, 3, 4], [1, 1, 1, 1], tau=2).rmst, 6)
    1.75
    """
    if not np.isfinite(tau) or tau <= 0:
        raise AnalysisError(f"tau must be a positive number, found {tau!r}")
    curve = kaplan_meier(time, event, weights)
    start = min(0.0, float(curve.time.min()))
    keep = curve.time <= tau
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(curve.n_risk - curve.n_event == 0, 0.0,
                      curve.n_event / (curve.n_risk * (curve.n_risk - curve.n_event)))
    if not keep.any():
        return RestrictedMean(float(tau - start), 0.0, float(tau))
    times = np.concatenate([curve.time[keep], [tau]])
    surv = np.concatenate([curve.survival[keep], [curve.survival[keep][-1]]])
    hh = np.concatenate([hh[keep], [0.0]])
    rectangles = np.diff(np.concatenate([[start], times])) * np.concatenate([[1.0], surv[:-1]])
    var = np.sum(np.cumsum(rectangles[1:][::-1]) ** 2 * hh[::-1][1:])
    return RestrictedMean(float(rectangles.sum() + start), float(np.sqrt(var)), float(tau))


def rmst_difference(time, event, group, tau, weights=None, conf_level=0.95):
    """Treated minus reference RMST with a Wald interval from independent arms.

    .. math:: \\Delta = \\mathrm{RMST}_1 - \\mathrm{RMST}_0, \\quad
              \\mathrm{se}(\\Delta) = \\sqrt{\\mathrm{se}_1^2 + \\mathrm{se}_0^2}, \\quad
              \\Delta \\pm z_{1-\\alpha/2}\\,\\mathrm{se}(\\Delta)

    The p-value is the two-sided normal test of Delta = 0.
    """
    time, event, w = check_survival_inputs(time, event, weights)
    group = check_group(group, time.size)
    arms = [restricted_mean(time[g], event[g], tau, w[g]) for g in (group, ~group)]
    treated, reference = arms
    diff = treated.rmst - reference.rmst
    se = float(np.hypot(treated.se, reference.se))
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return RmstDifference(treated, reference, float(diff), se, float(diff - z * se),
                          float(diff + z * se), p, conf_level)
