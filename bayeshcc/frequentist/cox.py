"""Cox proportional-hazards regression, as R ``coxph`` (Newton–Raphson, Efron or Breslow ties).

Robust (sandwich) variance as ``coxph(..., robust = TRUE)`` / ``cluster =``: the weighted
dfbeta residuals, summed within cluster, give V = D'D; the table's ``se`` is then the
robust SE and ``naive_se`` the model-based one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist._inputs import check_survival_inputs
from bayeshcc.frequentist._partial_likelihood import (RiskSets, loglik_score_information,
                                                      risk_sets, score_residuals)

EPS = 1e-9            # R coxph.control(eps)
TOLER_INF = EPS**0.5  # R coxph.control(toler.inf)
MAX_ITER = 20         # R coxph.control(iter.max)


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square test: statistic, degrees of freedom, p-value."""

    chisq: float
    df: int
    p: float


def _chisq(value, df):
    return ChiSquareTest(float(value), int(df), float(stats.chi2.sf(value, df)))


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model.

    ``table`` has one row per term: term, coef, se, naive_se, robust_se, z, p, hr,
    hr_lower, hr_upper (``se`` is the robust SE when the fit is robust). ``loglik`` is
    (null, final). ``robust_score`` is R's robust score test (NaN when not robust).
    The remaining fields keep what ``cox_zph`` needs.
    """

    table: pd.DataFrame
    loglik: tuple[float, float]
    n: int
    n_events: int
    lr_test: ChiSquareTest
    wald_test: ChiSquareTest
    score_test: ChiSquareTest
    robust_score_test: ChiSquareTest | None
    iterations: int
    ties: str
    robust: bool
    coef: np.ndarray = field(repr=False)
    var: np.ndarray = field(repr=False)
    naive_var: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    terms: tuple[str, ...] = ()


def _check_design(X, n):
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X, dtype=float).reshape(n, -1))
        X.columns = [f"x{i}" for i in range(X.shape[1])]
    if X.shape[0] != n:
        raise AnalysisError(f"X has {X.shape[0]} rows but time has {n}")
    if X.shape[1] == 0:
        raise AnalysisError("X has no columns: a Cox model needs at least one term")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise AnalysisError(f"X columns {bad} are not numeric; dummy-code them first")
    x = X.to_numpy(dtype=float)
    if np.isnan(x).any():
        col = X.columns[np.isnan(x).any(axis=0)].tolist()
        raise AnalysisError(f"X columns {col} have missing values; drop or impute them first")
    for j, name in enumerate(X.columns):
        if np.ptp(x[:, j]) == 0:
            raise AnalysisError(f"X column {name!r} has one value only ({x[0, j]:g}); "
                                "drop it from the model")
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < x.shape[1]:
        raise AnalysisError(f"X columns {list(X.columns)} are collinear; drop a redundant term")
    return x, tuple(str(c) for c in X.columns)


def _newton_raphson(rs: RiskSets, p: int):
    """coxfit6's iteration: Newton steps, step halving, stop when |1 - l_old/l_new| <= eps."""
    beta = np.zeros(p)
    loglik0, u, info = loglik_score_information(rs, beta)
    old = loglik0
    newbeta = beta + np.linalg.solve(info, u)
    halving = False
    for iteration in range(1, MAX_ITER + 1):
        newlk, u, info = loglik_score_information(rs, newbeta)
        if abs(1 - old / newlk) <= EPS and not halving:
            return newbeta, loglik0, newlk, u, info, iteration, True
        if iteration == MAX_ITER:
            break
        if newlk < old:
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            old = newlk
            beta = newbeta
            newbeta = newbeta + np.linalg.solve(info, u)
    return newbeta, loglik0, newlk, u, info, MAX_ITER, False


def _robust_parts(rs, beta, naive_var, cluster):
    """Weighted score residuals (summed within cluster) and the sandwich variance."""
    score = score_residuals(rs, beta) * rs.weights[np.argsort(rs.order)][:, None]
    if cluster is not None:
        _, codes = np.unique(np.asarray(cluster), return_inverse=True)
        score = np.stack([np.bincount(codes, weights=score[:, j])
                          for j in range(score.shape[1])], axis=1)
    dfbeta = score @ naive_var
    return score, dfbeta.T @ dfbeta


def fit_cox(time, event, X, weights=None, cluster=None, robust=False, ties="efron"):
    """Fit a Cox model by Newton–Raphson, as R ``coxph(Surv(time, event) ~ ., ties=)``.

    .. math:: \\ell(\\beta) = \\sum_{t_j} \\Bigl[\\sum_{i \\in D_j} w_i \\eta_i -
              \\bar w_j \\sum_{k=0}^{d_j-1} \\log\\Bigl(\\sum_{i \\in R_j} w_i e^{\\eta_i}
              - \\tfrac{k}{d_j} \\sum_{i \\in D_j} w_i e^{\\eta_i}\\Bigr)\\Bigr]

    (Efron; Breslow drops the k/d_j term and uses the deaths' total weight).

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1 = event).
    X : pandas.DataFrame
        Numeric covariates, already dummy-coded; column names become term names.
    weights : array_like, optional
        Case weights; the fit is then robust, as R does for weighted Cox models.
    cluster : array_like, optional
        Cluster labels (e.g. matched pair); the robust SE sums dfbeta within cluster.
    robust : bool
        Robust SE with one cluster per row.
    ties : {"efron", "breslow"}

    Returns
    -------
    CoxFit

    Raises
    ------
    AnalysisError
        No events, a constant or collinear column, non-convergence, or a coefficient
        drifting to infinity (monotone likelihood), naming the term.
    """
    if ties not in ("efron", "breslow"):
        raise AnalysisError(f"ties must be 'efron' or 'breslow', found {ties!r}")
    weighted = weights is not None
    time, event, weights = check_survival_inputs(time, event, weights)
    if event.sum() == 0:
        raise AnalysisError("event has no events (all rows censored): a Cox model cannot be fitted")
    x, terms = _check_design(X, time.size)
    if cluster is not None and np.asarray(cluster).size != time.size:
        raise AnalysisError(f"cluster has {np.asarray(cluster).size} values but time has {time.size}")
    rs = risk_sets(time, event, weights, x, ties)
    try:
        beta, loglik0, loglik1, u, info, iterations, converged = _newton_raphson(rs, x.shape[1])
        naive_var = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise AnalysisError(
            f"Cox model information matrix is singular for terms {list(terms)} (a term may be "
            "constant within the risk sets or separate the events); drop or merge terms") from None
    step = np.abs(u @ naive_var)
    flagged = ~np.isfinite(u) | ((step > EPS) & (step > TOLER_INF * np.abs(beta)))
    if not converged or flagged.any():
        bad = [terms[j] for j in np.flatnonzero(flagged)] or list(terms)
        raise AnalysisError(
            f"Cox model did not converge: coefficient of {bad} may be infinite (monotone "
            "likelihood, e.g. no events in one level); drop or merge that term")
    is_robust = robust or weighted or cluster is not None
    robust_score = None
    var = naive_var
    if is_robust:
        _, var = _robust_parts(rs, beta, naive_var, cluster)
        score0, _ = _robust_parts(rs, np.zeros_like(beta), np.eye(beta.size), cluster)
        u0 = score0.sum(axis=0)
        robust_score = _chisq(u0 @ np.linalg.solve(score0.T @ score0, u0), beta.size)
    _, u_null, info_null = loglik_score_information(rs, np.zeros_like(beta))
    se = np.sqrt(np.diag(var))
    naive_se = np.sqrt(np.diag(naive_var))
    z = beta / se
    zcrit = stats.norm.ppf(0.975)
    table = pd.DataFrame({
        "term": list(terms), "coef": beta, "se": se, "naive_se": naive_se,
        "robust_se": se if is_robust else np.full(beta.size, np.nan),
        "z": z, "p": 2 * stats.norm.sf(np.abs(z)), "hr": np.exp(beta),
        "hr_lower": np.exp(beta - zcrit * se), "hr_upper": np.exp(beta + zcrit * se),
    })
    return CoxFit(
        table=table, loglik=(loglik0, loglik1), n=int(time.size), n_events=int(event.sum()),
        lr_test=_chisq(2 * (loglik1 - loglik0), beta.size),
        wald_test=_chisq(beta @ np.linalg.solve(var, beta), beta.size),
        score_test=_chisq(u_null @ np.linalg.solve(info_null, u_null), beta.size),
        robust_score_test=robust_score, iterations=iterations, ties=ties, robust=is_robust,
        coef=beta, var=var, naive_var=naive_var, time=time, event=event, weights=weights,
        x=x, terms=terms)
