"""Kaplan–Meier curves, their confidence bands, medians and landmark survival, as R ``survfit``.

Ports of R survival 3.5-3: the Greenwood and infinitesimal-jackknife variances
(survfitkm.c), ``survfit_confint`` and ``quantile.survfit``'s ``findq`` (whose index lookup,
R's ``approx`` on the sorted values, is written out in :func:`_first_crossing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist._inputs import check_survival_inputs

CONF_TYPES = ("log", "log-log", "plain")


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One Kaplan–Meier curve, one row per distinct observed time (events and censorings).

    ``std_err`` is R's ``fit$std.err``: the standard error of the cumulative hazard
    (of ``-log S``). ``n_risk``, ``n_event`` and ``n_censor`` are weighted counts when
    weights were given. ``robust`` says whether the infinitesimal-jackknife variance was used.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float
    robust: bool


@dataclass(frozen=True)
class MedianEstimate:
    """Median survival time with its confidence limits (NaN when not reached)."""

    median: float
    lower: float
    upper: float


@dataclass(frozen=True)
class LandmarkSurvival:
    """Survival and its confidence limits at requested times (R ``summary(fit, times=)``)."""

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _counts(time, event, weights):
    """Distinct times and the weighted numbers at risk, of events and of censorings there."""
    utime, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=weights * event, minlength=utime.size)
    n_censor = np.bincount(inverse, weights=weights * (1 - event), minlength=utime.size)
    at_time = np.bincount(inverse, weights=weights, minlength=utime.size)
    n_risk = np.cumsum(at_time[::-1])[::-1]
    has_event = np.bincount(inverse, weights=event, minlength=utime.size) > 0
    return utime, inverse, n_risk, n_event, n_censor, has_event & (n_event > 0)


def _ij_std_survival(time, event, weights, utime, n_risk, n_event, jumps):
    """Infinitesimal-jackknife SD of S(t) (R survfitkm.c with one cluster per row)."""
    influence = np.zeros(time.size)
    km = 1.0
    sd = np.zeros(utime.size)
    current = 0.0
    for i, t in enumerate(utime):
        if jumps[i]:
            haz = n_event[i] / n_risk[i]
            at_risk = time >= t
            dies = (time == t) & (event == 1)
            influence = influence * (1.0 - haz) + at_risk * weights * km * haz / n_risk[i]
            influence = influence - dies * km * weights / n_risk[i]
            km *= 1.0 - haz
            current = float(np.sqrt(np.sum(influence**2)))
        sd[i] = current
    return sd


def confidence_limits(survival, std_err, conf_type="log", conf_level=0.95):
    """Pointwise limits of S(t) from the SE of the cumulative hazard, as R ``survfit_confint``.

    .. math::
        \\text{log: } S e^{\\pm z\\,se}, \\quad
        \\text{log-log: } S^{\\exp(\\pm z\\,se/\\log S)}, \\quad
        \\text{plain: } S(1 \\pm z\\,se)

    Upper limits of "log" and "plain" are capped at 1 and "plain" lower limits at 0; "log"
    is undefined (NaN) where S = 0 and "log-log" where S is 0 or 1.
    """
    if conf_type not in CONF_TYPES:
        raise AnalysisError(f"conf_type must be one of {CONF_TYPES}, found {conf_type!r}")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    s = np.asarray(survival, dtype=float)
    se = np.asarray(std_err, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = np.where(se == 0, 0.0, se * s * z)
            return np.maximum(s - half, 0.0), np.minimum(s + half, 1.0)
        if conf_type == "log":
            xx = np.where(s == 0, np.nan, s)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        xx = np.where((s == 0) | (s == 1), np.nan, s)
        se2 = z * se / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - se2)), np.exp(-np.exp(loglog + se2))


def kaplan_meier(time, event, weights=None, conf_type="log", conf_level=0.95, robust=None):
    """Kaplan–Meier estimate, as R ``survfit(Surv(time, event) ~ 1, weights=)``.

    .. math:: \\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j), \\qquad
              \\mathrm{se}\\{\\hat\\Lambda(t)\\} = \\sqrt{\\sum_{t_j \\le t} d_j / (n_j (n_j - d_j))}

    with weighted counts d_j, n_j. As R does by default (``robust`` None), the Greenwood
    variance is used for unit or integer weights and the infinitesimal-jackknife (robust)
    variance when any weight is not an integer; ``std_err`` is then that SD of S(t) divided
    by S(t). ``robust=True`` asks for the jackknife whatever the weights, as R
    ``survfit(..., robust = TRUE)``: propensity weights are not frequencies, and Greenwood on
    weighted counts shrinks as 1/c when they are multiplied by c (the jackknife does not
    change).

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1 = event, 0 = censored).
    weights : array_like, optional
        Case weights (non-negative).
    conf_type : {"log", "log-log", "plain"}
        Transformation of the pointwise confidence interval (R ``conf.type``).
    conf_level : float
        Confidence level (R ``conf.int``).
    robust : bool, optional
        Infinitesimal-jackknife variance (True), Greenwood (False), or R's default rule (None).

    Returns
    -------
    KaplanMeierCurve

    Examples
    --------
    >>> curve = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])
    >>> curve.survival.tolist()
    [0.75, 0.5, 0.5]
    """
    time, event, weights = check_survival_inputs(time, event, weights)
    utime, _, n_risk, n_event, n_censor, jumps = _counts(time, event, weights)
    step = np.where(jumps, (n_risk - n_event) / n_risk, 1.0)
    survival = np.cumprod(step)
    if robust is None:
        robust = bool(np.any(weights != np.floor(weights)))
    if robust:
        sd = _ij_std_survival(time, event, weights, utime, n_risk, n_event, jumps)
        with np.errstate(divide="ignore", invalid="ignore"):
            std_err = np.where(sd == 0, 0.0, sd / survival)
    else:
        with np.errstate(divide="ignore"):
            inc = np.where(jumps, n_event / (n_risk * (n_risk - n_event)), 0.0)
        std_err = np.sqrt(np.cumsum(inc))
    lower, upper = confidence_limits(survival, std_err, conf_type, conf_level)
    return KaplanMeierCurve(utime, n_risk, n_event, n_censor, survival, std_err,
                            lower, upper, conf_type, conf_level, robust)


def _first_crossing(x, y, p, tol, xmax):
    """R survival:::findq for one probability p of y = 1 - S (survival 3.5-3).

    R finds the index with ``approx(y +- tol, 1:n, p, method = "constant", f = 1)``, which
    sorts the points by y: the index is that of the smallest y (shifted by +-tol) that is
    >= p, taken over the whole range of y. For a monotone curve that is the first crossing;
    a confidence band need not be monotone (its SE grows as the numbers at risk fall), and
    where it re-crosses p the smallest value >= p can lie before a last value below p, or
    after an earlier, larger one. NaN when p lies outside the range of the non-NaN y (R
    ``rule = 1``).
    """
    ok = ~np.isnan(y)
    if not ok.any() or np.nanmax(y) < p:
        return np.nan
    keep = np.ones(y.size, dtype=bool)
    seen = set()
    for i, v in enumerate(y):  # R duplicated(): NaN counts as a value too
        key = "nan" if np.isnan(v) else v
        keep[i] = key not in seen
        seen.add(key)
    x, y = x[keep], y[keep]

    def index(shift):
        yy = y + shift
        valid = np.flatnonzero(~np.isnan(yy))
        values = yy[valid]
        if p < values.min() or p > values.max():
            return None
        return valid[np.argmin(np.where(values >= p, values, np.inf))]

    i1, i2 = index(tol), index(-tol)
    if i1 is not None and not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        return (x[i1] + xmax) / 2
    if i1 is None or i2 is None:
        return np.nan
    return (x[i1] + x[i2]) / 2


def survival_quantile(curve, prob=0.5, tolerance=np.sqrt(np.finfo(float).eps)):
    """Time at which the curve and its limits first fall to ``1 - prob``, as R ``quantile.survfit``.

    Where the curve is flat at exactly ``1 - prob`` (within ``tolerance``), the quantile is
    the midpoint between the start of the flat part and the next drop (or the last
    follow-up time if the curve ends flat there). NaN when the curve never gets there.
    The lower limit comes from the lower confidence curve, the upper from the upper one,
    each searched over its whole range (a band is not monotone where its SE grows faster
    than S falls; see :func:`_first_crossing`).

    R's ``print.survfit`` (``survmean``'s ``minmin``) differs in two cases: where the curve
    ends flat at 1 - prob it reports the start of the flat part, and on a non-monotone band
    it takes the first time the band is below 0.5 rather than findq's smallest value past
    it (tests/reference/data/band_recross.csv: 60 against quantile's 75). This module
    follows ``quantile.survfit``.
    """
    x = np.concatenate([[min(0.0, curve.time.min())], curve.time])
    xmax = curve.time[-1]

    def q(s):
        return float(_first_crossing(x, np.concatenate([[0.0], 1 - s]), prob, tolerance, xmax))

    return MedianEstimate(q(curve.survival), q(curve.lower), q(curve.upper))


def median_survival(curve):
    """Median survival with its CI, as R ``quantile(fit, 0.5)`` / ``print(fit)``.

    Returns
    -------
    MedianEstimate
        NaN for any of the three numbers that is not reached.
    """
    return survival_quantile(curve, 0.5)


def survival_at(curve, times):
    """Survival and limits at given times, as R ``summary(fit, times=)`` (right-continuous steps).

    Times before the first observed time give S = 1 with limits 1; times after the last
    observed time give NaN (R drops them unless ``extend = TRUE``).
    """
    times = np.atleast_1d(np.asarray(times, dtype=float))
    idx = np.searchsorted(curve.time, times, side="right") - 1

    def pick(values):
        out = np.where(idx >= 0, values[np.maximum(idx, 0)], 1.0)
        return np.where(times > curve.time[-1], np.nan, out)

    return LandmarkSurvival(times, pick(curve.survival), pick(curve.lower), pick(curve.upper))
