"""Unpenalised logistic propensity model, numerically as R ``glm(family = binomial)``."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from bayeshcc.errors import AnalysisError, AnalysisWarning

_EPS = np.finfo(float).eps
_OVERLAP_BOUND = 0.05


@dataclass(frozen=True)
class PropensityFit:
    """A fitted propensity model.

    Attributes
    ----------
    coefficients : DataFrame with columns term, coef, se, z, p (as ``summary(glm)``).
    score : propensity score e(x) = P(treated | x) per unit.
    logit : linear predictor log(e / (1 - e)) per unit (MatchIt ``link = "linear.logit"``).
    iterations : IRLS iterations used (R ``fit$iter``).
    warnings : messages of the AnalysisWarnings raised while fitting.
    """

    coefficients: pd.DataFrame
    score: np.ndarray
    logit: np.ndarray
    iterations: int
    warnings: tuple[str, ...]


def _check_inputs(X: pd.DataFrame, treated) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(X, pd.DataFrame):
        raise AnalysisError(f"X must be a pandas DataFrame of numeric covariates; got {type(X).__name__}")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise AnalysisError(f"X columns {bad} are not numeric; dummy-code them before fitting")
    x = X.to_numpy(dtype=float)
    t = np.asarray(treated)
    if t.shape != (len(X),):
        raise AnalysisError(f"treated must have one value per row of X ({len(X)}); got shape {t.shape}")
    if t.dtype != bool:
        if not np.isin(t, [0, 1]).all():
            raise AnalysisError("treated must be boolean (or 0/1); found other values")
        t = t.astype(bool)
    if not np.isfinite(x).all():
        rows, cols = np.nonzero(~np.isfinite(x))
        raise AnalysisError(f"X column {X.columns[cols[0]]!r} has a missing/infinite value at row {rows[0]}; "
                            "remove or impute it")
    if t.all() or not t.any():
        raise AnalysisError("treated has a single arm; the propensity model needs both arms")
    return x, t


def _check_rank(design: np.ndarray, terms: list[str]) -> None:
    for j in range(1, design.shape[1] + 1):
        if np.linalg.matrix_rank(design[:, :j]) < j:
            raise AnalysisError(f"covariate {terms[j - 1]!r} is constant or a linear combination of the "
                                "covariates before it (R glm would give NA); drop it")


def _separation(X: pd.DataFrame, t: np.ndarray) -> tuple[list[str], list[str]]:
    """Covariates that alone separate the arms completely or quasi-completely."""
    complete, quasi = [], []
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        lo1, hi1, lo0, hi0 = x[t].min(), x[t].max(), x[~t].min(), x[~t].max()
        if hi1 < lo0 or hi0 < lo1:
            complete.append(f"{col} (treated in [{lo1:g}, {hi1:g}], reference in [{lo0:g}, {hi0:g}])")
        elif hi1 == lo0 or hi0 == lo1:
            value = hi1 if hi1 == lo0 else lo1
            n_edge = int(np.sum(x == value))
            if n_edge < len(x):
                quasi.append(f"{col} (arms overlap only at {value:g}, {n_edge} units)")
    return complete, quasi


def _irls(design: np.ndarray, y: np.ndarray, maxit: int = 25, epsilon: float = 1e-8,
          prior_weights: np.ndarray | None = None):
    """R ``glm.fit`` for the binomial family, logit link, optional prior weights a_i.

    Same start (mu = (a y + 1/2) / (a + 1), i.e. (y + 1/2) / 2 with unit weights), same
    working response and weights sqrt(a mu_eta^2 / V(mu)), same weighted deviance and stopping
    rule |dev - dev_old| / (|dev| + 0.1) < epsilon, and the covariance from the last weighted
    QR, so coefficients and SEs agree with R to rounding.
    """
    a = np.ones_like(y) if prior_weights is None else prior_weights

    def dev_of(mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(y == 1, -2 * np.log(mu), -2 * np.log1p(-mu))
        return float(np.sum(a * d))

    mu = (a * y + 0.5) / (a + 1)
    eta = np.log(mu / (1 - mu))
    dev_old = dev_of(mu)
    beta = np.zeros(design.shape[1])
    converged = False
    for it in range(1, maxit + 1):
        eta_c = np.clip(eta, -30, 30)                     # R's logit_mu_eta thresholds
        mu_eta = np.maximum(np.exp(eta_c) / (1 + np.exp(eta_c)) ** 2, _EPS)
        z = eta + (y - mu) / mu_eta
        w = np.sqrt(a * mu_eta ** 2 / (mu * (1 - mu)))
        q, r = linalg.qr(design * w[:, None], mode="economic")
        beta = linalg.solve_triangular(r, q.T @ (z * w))
        eta = design @ beta
        mu = np.clip(special.expit(eta), _EPS, 1 - _EPS)
        dev = dev_of(mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        dev_old = dev
    r_inv = linalg.solve_triangular(r, np.eye(r.shape[0]))
    cov = r_inv @ r_inv.T
    return beta, cov, eta, it, converged


def fit_propensity(X: pd.DataFrame, treated, sample_weights=None) -> PropensityFit:
    """Fit the logistic propensity model ``treated ~ X`` by maximum likelihood (no penalty).

    .. math:: \\operatorname{logit} e(x) = \\beta_0 + x^\\top \\beta

    R equivalent: ``glm(treated ~ ., data = X, family = binomial)`` (IRLS, same stopping
    rule); Wald z = coef / se and two-sided normal p as ``summary.glm``. With
    ``sample_weights`` a_i the weighted log-likelihood sum_i a_i log p(t_i | x_i) is maximised,
    as ``glm(..., weights = a)`` (integer weights equal duplicated rows); the Bayesian
    bootstrap of :mod:`bayeshcc.bayes.propagation` uses Dirichlet weights here.

    Parameters
    ----------
    X : numeric DataFrame of dummy-coded covariates, columns named as the terms.
    treated : boolean (or 0/1) array, True for the treated arm.
    sample_weights : array_like, optional
        Positive finite weight per row (default: all 1). Scores and logits are still given for
        every row.

    Returns
    -------
    PropensityFit

    Raises
    ------
    AnalysisError
        On non-numeric or missing covariates, a single arm, an aliased covariate, or a
        covariate that completely separates the arms (the propensity score would be 0 or 1).

    Warns
    -----
    AnalysisWarning
        On quasi-complete separation, non-convergence, fitted probabilities numerically 0 or 1,
        and poor overlap (propensity scores < 0.05 or > 0.95), with counts per arm.

    Examples
    --------
    >>> fit = fit_propensity(X, df["arm"].eq("lenvatinib").to_numpy())  # doctest: +SKIP
    >>> fit.coefficients.set_index("term").loc["age", "coef"]  # doctest: +SKIP
    """
    x, t = _check_inputs(X, treated)
    a = None
    if sample_weights is not None:
        a = np.asarray(sample_weights, dtype=float)
        if a.shape != t.shape or not (np.isfinite(a) & (a > 0)).all():
            raise AnalysisError(f"sample_weights must be positive and finite, one per row of X "
                                f"({len(X)}); got shape {a.shape}")
    terms = ["(Intercept)", *map(str, X.columns)]
    design = np.column_stack([np.ones(len(x)), x])
    _check_rank(design, terms)
    complete, quasi = _separation(X, t)
    if complete:
        raise AnalysisError(f"covariate {complete[0]} perfectly separates treated from reference units, "
                            "so the propensity score is 0 or 1; drop or recode it")
    messages = []
    if quasi:
        messages.append("quasi-complete separation by " + "; ".join(quasi)
                        + ": those units get propensity scores near 0 or 1; consider merging levels")
    beta, cov, eta, iterations, converged = _irls(design, t.astype(float), prior_weights=a)
    score = special.expit(eta)
    if eta[t].min() > eta[~t].max():
        scale = np.abs(beta[1:]) * x.std(axis=0)
        worst = terms[1 + int(np.argmax(scale))]
        raise AnalysisError(f"the covariates together separate the arms completely (every treated unit's "
                            f"linear predictor exceeds every reference unit's; largest standardised "
                            f"coefficient: {worst!r}), so the propensity score is 0 or 1; simplify the model")
    if not converged:
        messages.append(f"the propensity model did not converge in {iterations} IRLS iterations")
    extreme = (score < 10 * _EPS) | (score > 1 - 10 * _EPS)
    if extreme.any():
        worst = terms[1 + int(np.argmax(np.abs(beta[1:])))] if len(terms) > 1 else terms[0]
        messages.append(f"fitted propensity scores numerically 0 or 1 for {int(extreme.sum())} units "
                        f"(largest coefficient: {worst!r})")
    low, high = score < _OVERLAP_BOUND, score > 1 - _OVERLAP_BOUND
    if (low | high).any():
        messages.append(
            f"poor overlap: propensity score < {_OVERLAP_BOUND} for {int((low & t).sum())} treated and "
            f"{int((low & ~t).sum())} reference units, > {1 - _OVERLAP_BOUND} for {int((high & t).sum())} "
            f"treated and {int((high & ~t).sum())} reference units")
    for message in messages:
        warnings.warn(message, AnalysisWarning, stacklevel=2)
    se = np.sqrt(np.diag(cov))
    z = beta / se
    table = pd.DataFrame({"term": terms, "coef": beta, "se": se, "z": z,
                          "p": 2 * stats.norm.sf(np.abs(z))})
    return PropensityFit(coefficients=table, score=score, logit=eta, iterations=iterations,
                         warnings=tuple(messages))
