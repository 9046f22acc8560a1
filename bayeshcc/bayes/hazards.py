"""The models' hazards in NumPy, evaluated over posterior draws, for the contrasts only.

Marginal survival curves, medians and RMST (:mod:`bayeshcc.bayes.contrasts`) need S(t | x) on
a grid of times for every patient and both arms, which the model's observed variable cannot
give (its log density is defined at each patient's observed time and arm). Everything at the
observed data (log-likelihood, predictive draws, log prior) comes from the model's own code
(:mod:`bayeshcc.bayes.groups`); the tests check these functions against it.

Every function takes a dict of posterior draws (first axis: draw) and returns arrays with the
draw axis first. Times are in the model's scaled units.
"""

from __future__ import annotations

import numpy as np


def linear_covariates(draws: dict, X: np.ndarray) -> np.ndarray:
    """x' beta for each draw and patient (draws x N); zeros without covariates."""
    if X.shape[1] == 0:
        return np.zeros((draws["log_hr"].shape[0], X.shape[0]))
    return draws["beta"] @ X.T


def _interval_log_hr(draws: dict, n_intervals: int) -> np.ndarray:
    if "log_hr_interval" in draws:
        return draws["log_hr_interval"]
    return np.repeat(draws["log_hr"][:, None], n_intervals, axis=1)


def cumulative_hazard(model: str, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                      cuts: np.ndarray | None = None) -> np.ndarray:
    """H(t_i | trt_i, x_i) for each draw (draws x N); ``t``, ``trt`` broadcast against ``xb``."""
    if model == "weibull":
        shape = draws["shape"][:, None]
        lp = draws["log_rate"][:, None] + draws["log_hr"][:, None] * trt + xb
        return np.exp(lp) * np.power(t, shape)
    alpha = draws["alpha"]                                     # draws x J
    beta = _interval_log_hr(draws, alpha.shape[1])
    edges = np.concatenate([[0.0], cuts, [np.inf]])
    exposure = np.clip(np.minimum(np.asarray(t)[..., None], edges[1:]) - edges[:-1], 0, None)
    trt = np.broadcast_to(trt, np.broadcast_shapes(np.shape(trt), np.shape(t)))[:, None]
    exposure = np.broadcast_to(exposure, (trt.shape[0], alpha.shape[1]))
    # Two (draws x J) @ (J x N) products: no draws x N x J array of exponentials.
    base = np.exp(alpha) @ (exposure * (1 - trt)).T + np.exp(alpha + beta) @ (exposure * trt).T
    return base * np.exp(xb)


def log_hazard(model: str, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
               cuts: np.ndarray | None = None) -> np.ndarray:
    """log h(t_i | trt_i, x_i) for each draw (draws x N)."""
    if model == "weibull":
        shape = draws["shape"][:, None]
        lp = draws["log_rate"][:, None] + draws["log_hr"][:, None] * trt + xb
        return np.log(shape) + (shape - 1) * np.log(t) + lp
    alpha = draws["alpha"]
    beta = _interval_log_hr(draws, alpha.shape[1])
    index = np.searchsorted(cuts, t, side="right")
    return alpha[:, index] + trt * beta[:, index] + xb
