"""Restricted mean survival time and its between-arm difference, as R ``print(survfit, rmean=)``.

The per-arm RMST and its SE follow R ``survival:::survmean``. For a matched cohort the two arms
are not independent, so the SE of the difference can instead be the cluster-robust
(infinitesimal-jackknife) one, the RMST analogue of ``coxph(..., cluster = pair)``: each
patient's influence on the Kaplan-Meier RMST of their arm, summed within matched pair. It is
written here because R's survRM2 / survfit have no pair-clustered RMST difference; its
unclustered form equals survmean's Greenwood-type SE exactly (unit weights), which the tests
check, and a pair bootstrap checks the clustered one.
"""

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
    se_method: str = "independent"


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


def rmst_influence(time, event, tau, weights=None) -> np.ndarray:
    """Each unit's influence on the Kaplan-Meier RMST up to ``tau`` (infinitesimal jackknife).

    .. math::
        U_i = w_i \\frac{\\partial\\,\\mathrm{RMST}}{\\partial w_i}
            = -w_i \\sum_{t_j \\le \\tau} \\frac{A_j}{n_j - d_j}
              \\bigl(dN_i(t_j) - \\frac{d_j}{n_j}\\, Y_i(t_j)\\bigr),
        \\quad A_j = \\int_{t_j}^{\\tau} \\hat S(t)\\,dt

    with Y_i(t) = 1{T_i >= t}, dN_i(t) = 1{T_i = t, event}, weighted counts n_j, d_j (terms
    with n_j = d_j are 0, as survmean's). With unit weights sum(U_i^2) is survmean's variance.

    Examples
    --------
    >>> u = rmst_influence([1, 2, 3, 4], [1, 1, 1, 1], tau=2)
    >>> round(float(np.sum(u ** 2)), 6) == round(restricted_mean([1, 2, 3, 4], [1, 1, 1, 1], 2).se ** 2, 6)
    True
    """
    time, event, w = check_survival_inputs(time, event, weights)
    curve = kaplan_meier(time, event, w)
    keep = curve.time <= tau
    t = curve.time[keep]
    if t.size == 0:
        return np.zeros(time.size)
    n, d = curve.n_risk[keep], curve.n_event[keep]
    widths = np.diff(np.concatenate([t, [tau]]))
    area_after = np.cumsum((curve.survival[keep] * widths)[::-1])[::-1]   # A_j
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n - d > 0, area_after / (n - d), 0.0)
    at_risk_part = np.cumsum(c * d / n)                  # sum over t_j <= T_i of c_j d_j / n_j
    last = np.searchsorted(t, time, side="right") - 1    # index of the last t_j <= T_i
    risk_term = np.where(last >= 0, at_risk_part[np.maximum(last, 0)], 0.0)
    own = (event > 0) & (time <= tau)
    event_term = np.where(own, c[np.maximum(last, 0)], 0.0)
    return -w * (event_term - risk_term)


def rmst_difference(time, event, group, tau, weights=None, conf_level=0.95, clusters=None):
    """Treated minus reference RMST with a Wald interval.

    .. math:: \\Delta = \\mathrm{RMST}_1 - \\mathrm{RMST}_0, \\quad
              \\mathrm{se}(\\Delta) = \\sqrt{\\mathrm{se}_1^2 + \\mathrm{se}_0^2}, \\quad
              \\Delta \\pm z_{1-\\alpha/2}\\,\\mathrm{se}(\\Delta)

    for independent arms (``se_method = "independent"``). With ``clusters`` (matched-pair or
    matched-set ids), the arms are paired and

    .. math:: \\mathrm{se}(\\Delta)^2 = \\sum_c \\Bigl(\\sum_{i \\in c} \\pm U_i\\Bigr)^2

    with U_i from :func:`rmst_influence` within the unit's arm, + for treated and - for
    reference (``se_method = "pair-clustered"``; no small-sample factor, as ``coxph``'s
    cluster variance). The per-arm SEs stay survmean's. The p-value is the two-sided normal
    test of Delta = 0.
    """
    time, event, w = check_survival_inputs(time, event, weights)
    group = check_group(group, time.size)
    arms = [restricted_mean(time[g], event[g], tau, w[g]) for g in (group, ~group)]
    treated, reference = arms
    diff = treated.rmst - reference.rmst
    if clusters is None:
        se, method = float(np.hypot(treated.se, reference.se)), "independent"
    else:
        clusters = np.asarray(clusters)
        if clusters.shape != (time.size,):
            raise AnalysisError(f"clusters has {clusters.size} values but time has {time.size}")
        signed = np.zeros(time.size)
        for g, sign in ((group, 1.0), (~group, -1.0)):
            signed[g] = sign * rmst_influence(time[g], event[g], tau, w[g])
        _, codes = np.unique(clusters, return_inverse=True)
        se, method = float(np.sqrt(np.sum(np.bincount(codes, weights=signed) ** 2))), "pair-clustered"
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return RmstDifference(treated, reference, float(diff), se, float(diff - z * se),
                          float(diff + z * se), p, conf_level, method)
