"""Influence functions of weighted estimators whose weights come from an estimated propensity score.

A weighted frequentist estimator theta(w) (a weighted Kaplan-Meier RMST, say) with propensity
weights w_i = w(e_i), e_i = expit(x_i' gamma), gamma the logistic PS model's maximum-likelihood
estimate, is a two-step M-estimator: the PS score equations sum_i g_i(gamma) = 0,
g_i = x_i (t_i - e_i), stacked with the weighted estimating equations of theta. Its influence
function (Lunceford & Davidian 2004; Stefanski & Boos 2002) is

.. math:: \\varphi_i = U_i + D\\, I_\\gamma^{-1} g_i, \\qquad
          U_i = w_i \\frac{\\partial \\theta}{\\partial w_i}, \\qquad
          D = \\sum_j \\frac{\\partial \\theta}{\\partial w_j}
              \\frac{\\partial w_j}{\\partial \\gamma^\\top}, \\qquad
          I_\\gamma = \\sum_i e_i (1 - e_i) x_i x_i^\\top,

and its variance is estimated by :math:`\\sum_i \\varphi_i^2` (no small-sample factor, as
``coxph``'s robust variance). U_i alone is the infinitesimal jackknife with the weights held
fixed (R ``survfit(..., robust = TRUE)``, ``survey::svykm``); the second term is what the
estimated PS adds (for ATE weights it usually removes variance: the estimated PS balances the
sample's covariates better than the true one would). Both terms are unchanged when every
weight is multiplied by a constant c (U_i: w_i by c, dtheta/dw_i by 1/c; D: dw/dgamma by c).

The weight derivatives are those of :func:`bayeshcc.adjust.weights.propensity_weights`:
ATE w = t/e + (1-t)/(1-e), ATT w = t + (1-t) e/(1-e), overlap w = t(1-e) + (1-t) e, with
dw/dgamma = e(1-e) x dw/de; a stabilised weight is the formula times a constant per arm and a
trimmed weight is 0 (held fixed), both read from the ratio of the weight given to the formula.
(:func:`bayeshcc.adjust.weights.weight_gradient`, shared with the Bayesian calibration.)

:func:`leave_one_out_weights` gives the alternative the tables use up to 2 000 patients: the
weights of the PS model refitted without each patient, for a leave-one-out jackknife of the whole
two-step estimator (it follows the non-linearity of 1/e that the influence function drops;
Efron & Stein 1981: its variance estimate is biased upwards, not downwards).

Why hand-written: R's ``survey`` and ``survfit(robust = TRUE)`` hold the weights fixed, and
``PSweight``/``WeightIt``+``sandwich`` stack the PS model with GLM-type outcome models only,
not with a Kaplan-Meier RMST.

References
----------
Lunceford JK, Davidian M (2004). Stratification and weighting via the propensity score in
estimation of causal treatment effects. Statistics in Medicine 23:2937-2960.
Stefanski LA, Boos DD (2002). The calculus of M-estimation. The American Statistician 56:29-38.
Efron B, Stein C (1981). The jackknife estimate of variance. Annals of Statistics 9:586-596.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.adjust.weights import formula_weights, weight_gradient
from bayeshcc.errors import AnalysisError

ESTIMANDS = ("ate", "att", "overlap")


@dataclass(frozen=True)
class PropensityDesign:
    """How a cohort's weights came from its estimated propensity score.

    Attributes
    ----------
    estimand : ``"ate"``, ``"att"`` or ``"overlap"``.
    score : N propensity scores e_i of the fitted logistic model.
    X : N x q PS design matrix, intercept column first.
    treated : N booleans.
    weights : N weights as used (stabilised or trimmed as the analysis did).
    """

    estimand: str
    score: np.ndarray
    X: np.ndarray
    treated: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if self.estimand not in ESTIMANDS:
            raise AnalysisError(f"estimand must be one of {ESTIMANDS}; got {self.estimand!r}")
        n = len(self.score)
        if self.X.shape[0] != n or self.treated.shape != (n,) or self.weights.shape != (n,):
            raise AnalysisError("score, X, treated and weights must have one row per patient")

    @classmethod
    def build(cls, estimand, score, ps_covariates, treated, weights) -> "PropensityDesign":
        """From the PS covariates without intercept (as ``Population.ps_covariates``)."""
        x = np.asarray(ps_covariates, dtype=float)
        x = x.reshape(len(x), -1)
        return cls(estimand, np.asarray(score, dtype=float),
                   np.column_stack([np.ones(len(x)), x]), np.asarray(treated, dtype=bool),
                   np.asarray(weights, dtype=float))

    @classmethod
    def from_population(cls, population) -> "PropensityDesign | None":
        """The design of a weighted :class:`bayeshcc.populations.Population` (None otherwise)."""
        if (population.name not in ESTIMANDS or population.ps_score is None
                or population.ps_covariates is None or population.weights is None):
            return None
        return cls.build(population.name, population.ps_score, population.ps_covariates,
                         population.cohort.treated, population.weights)


def weight_jacobian(design: PropensityDesign) -> np.ndarray:
    """dw_i / dgamma (N x q) (:func:`bayeshcc.adjust.weights.weight_gradient`)."""
    return weight_gradient(design.estimand, design.score, design.treated, design.X,
                           design.weights)


def ps_influence(design: PropensityDesign) -> np.ndarray:
    """I_gamma^{-1} g_i per patient (N x q): patient i's influence on the PS coefficients."""
    e = design.score
    info = design.X.T @ (design.X * (e * (1 - e))[:, None])
    g = design.X * (design.treated.astype(float) - e)[:, None]
    return np.linalg.solve(info, g.T).T


def influence_with_ps(derivative: np.ndarray, design: PropensityDesign) -> np.ndarray:
    """phi_i = w_i dtheta/dw_i + D I^{-1} g_i for each estimator (a column of ``derivative``).

    ``derivative`` is dtheta/dw_i, N values (or N x k for k estimators), over all N patients
    of the PS model (0 for patients an estimator does not use).
    """
    d = np.asarray(derivative, dtype=float)
    single = d.ndim == 1
    d = d.reshape(len(d), -1)
    fixed = design.weights[:, None] * d
    D = d.T @ weight_jacobian(design)                 # k x q
    phi = fixed + ps_influence(design) @ D.T          # N x k
    return phi[:, 0] if single else phi


JACKKNIFE_NEWTON_STEPS = 25
JACKKNIFE_TOL = 1e-10


def leave_one_out_weights(design: PropensityDesign) -> np.ndarray:
    """N x N weights: row i those of the PS model refitted without patient i (W[i, i] = 0).

    Each leave-out's logistic fit is Newton's method from the full-data coefficients, all N
    at once (to a relative step of 1e-10, at most 25 steps); the weight of patient j is then
    the formula weight at the leave-out's e_j times the full-data ratio of the weight used to
    the formula weight (a stabilising constant; 0 for a trimmed patient, the trimmed set held
    fixed). Memory and time grow as N^2 (N^2 q^2 per step).
    """
    from scipy.special import expit, logit

    X, t, n = design.X, design.treated.astype(float), len(design.score)
    gamma = np.linalg.lstsq(X, logit(design.score), rcond=None)[0]
    keep = 1.0 - np.eye(n)
    G = np.tile(gamma, (n, 1))
    for _ in range(JACKKNIFE_NEWTON_STEPS):
        E = expit(G @ X.T)
        score = ((t - E) * keep) @ X
        info = np.einsum("ij,jk,jl->ikl", keep * E * (1 - E), X, X)
        step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
        G = G + step
        if np.max(np.abs(step)) <= JACKKNIFE_TOL * max(1.0, np.max(np.abs(G))):
            break
    E = expit(G @ X.T)
    ratio = design.weights / formula_weights(design.estimand, design.score, t)
    return formula_weights(design.estimand, E, t[None, :]) * ratio[None, :] * keep
