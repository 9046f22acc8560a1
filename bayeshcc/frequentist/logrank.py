"""Log-rank test of two arms, as R ``survdiff``, and its weighted (robust score) version."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist._inputs import check_group, check_survival_inputs
from bayeshcc.frequentist._partial_likelihood import risk_sets, score_residuals


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank chi-square test.

    ``observed`` and ``expected`` are (reference, treated): the order of R's
    ``survdiff(Surv(time, event) ~ group)`` with a logical group. For the weighted test
    they are weighted counts.
    """

    chisq: float
    df: int
    p: float
    observed: np.ndarray
    expected: np.ndarray
    method: str


def logrank_test(time, event, group):
    """Log-rank test, as R ``survdiff(Surv(time, event) ~ group)`` (rho = 0).

    .. math::
        \\chi^2 = \\frac{(O_1 - E_1)^2}{V}, \\quad
        E_1 = \\sum_j d_j \\frac{n_{1j}}{n_j}, \\quad
        V = \\sum_j d_j \\frac{n_{1j}}{n_j}\\Bigl(1 - \\frac{n_{1j}}{n_j}\\Bigr)\\frac{n_j - d_j}{n_j - 1}

    over distinct event times t_j, referred to chi-square on 1 degree of freedom.

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1 = event).
    group : array_like of bool
        True for the treated arm.

    Returns
    -------
    LogRankResult
    """
    time, event, _ = check_survival_inputs(time, event)
    group = check_group(group, time.size)
    if event.sum() == 0:
        raise AnalysisError("event has no events (all rows censored): "
                            "the log-rank test is undefined")
    utime, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=event)
    d1 = np.bincount(inverse, weights=event * group)
    n = np.cumsum(np.bincount(inverse)[::-1])[::-1].astype(float)
    n1 = np.cumsum(np.bincount(inverse, weights=group.astype(float))[::-1])[::-1]
    share = n1 / n
    e1 = np.sum(d * share)
    with np.errstate(divide="ignore", invalid="ignore"):
        ties = np.where(n > 1, (n - d) / (n - 1), 0.0)
    v = np.sum(d * share * (1 - share) * ties)
    o1 = d1.sum()
    chisq = (o1 - e1) ** 2 / v
    observed = np.array([d.sum() - o1, o1])
    expected = np.array([d.sum() - e1, e1])
    return LogRankResult(float(chisq), 1, float(stats.chi2.sf(chisq, 1)), observed, expected,
                         "survdiff")


def weighted_logrank_test(time, event, group, weights, cluster=None):
    """Log-rank test for weighted cohorts: the robust score test of a weighted Cox model.

    Equals the "Robust" line of R
    ``summary(coxph(Surv(time, event) ~ group, weights = w, robust = TRUE))``
    (Efron ties); with ``cluster`` (e.g. matched pairs) that of
    ``coxph(..., weights = w, cluster = cluster)``, U_i then summed within cluster.
    With U_i the weighted score residuals at beta = 0,

    .. math:: \\chi^2 = \\frac{(\\sum_i U_i)^2}{\\sum_i U_i^2}

    ``survdiff`` has no weights; the plain log-rank statistic on weighted counts would
    treat the weights as frequencies and overstate the evidence, so the sandwich-variance
    score test is used instead (it reduces to a robust log-rank test for unit weights).
    ``observed``/``expected`` are weighted counts, expected = observed - score.
    """
    time, event, weights = check_survival_inputs(time, event, weights)
    group = check_group(group, time.size)
    if (event * weights).sum() == 0:
        raise AnalysisError("event has no events with positive weight: the log-rank test is undefined")
    x = group.astype(float)[:, None]
    rs = risk_sets(time, event, weights, x, "efron")
    resid = score_residuals(rs, np.zeros(1))[:, 0] * weights
    if cluster is not None:
        cluster = np.asarray(cluster).ravel()
        if cluster.size != time.size:
            raise AnalysisError(f"cluster has {cluster.size} values but time has {time.size}")
        resid = np.bincount(np.unique(cluster, return_inverse=True)[1], weights=resid)
    u = resid.sum()
    chisq = u**2 / np.sum(resid**2)
    o1 = np.sum(weights * event * group)
    total = np.sum(weights * event)
    observed = np.array([total - o1, o1])
    expected = np.array([total - (o1 - u), o1 - u])
    return LogRankResult(float(chisq), 1, float(stats.chi2.sf(chisq, 1)), observed, expected,
                         "robust score (coxph)")
