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

from bayeshcc.bayes.families import get_family


def linear_covariates(draws: dict, X: np.ndarray) -> np.ndarray:
    """x' beta for each draw and patient (draws x N); zeros without covariates."""
    if X.shape[1] == 0:
        return np.zeros((draws["log_hr"].shape[0], X.shape[0]))
    return draws["beta"] @ X.T


def cumulative_hazard(model: str, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                      cuts: np.ndarray | None = None) -> np.ndarray:
    """H(t_i | trt_i, x_i) for each draw (draws x N); ``t``, ``trt`` broadcast against ``xb``
    (:meth:`bayeshcc.bayes.families.base.Family.cumulative_hazard` of ``model``'s family)."""
    return get_family(model).cumulative_hazard(draws, t, trt, xb, cuts)


def log_hazard(model: str, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
               cuts: np.ndarray | None = None) -> np.ndarray:
    """log h(t_i | trt_i, x_i) for each draw (draws x N) (its family's
    :meth:`~bayeshcc.bayes.families.base.Family.log_hazard`)."""
    return get_family(model).log_hazard(draws, t, trt, xb, cuts)
