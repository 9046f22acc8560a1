"""Posterior contrasts: the hazard ratio, and marginal survival, medians and RMST per arm.

Marginal (standardised) survival of arm a at time t averages each analysed patient's survival
with the treatment set to a, weighted by the analysis weights:

.. math:: S_a(t) = \\sum_i w_i \\exp(-H(t \\mid a, x_i)) / \\sum_i w_i

computed per posterior draw (with the target population's weights instead of the analysis
weights when the fit carries them, :mod:`bayeshcc.bayes.standardise`), so every summary has a
credible interval. The median is the first time S_a(t) <= 0.5 on the grid (NaN when not
reached in the follow-up); RMST is the area under S_a up to tau.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.bayes.fit import BayesFit
from bayeshcc.bayes.hazards import cumulative_hazard, linear_covariates

MAX_DRAWS = 400
GRID_POINTS = 200


def interval(values: np.ndarray, hdi: bool = False, prob: float = 0.95) -> tuple[float, float]:
    """Equal-tailed (default, ``arviz.eti``) or highest-density (``arviz.hdi``) interval of 1-D
    draws; non-finite draws (e.g. a median not reached) are left out."""
    import arviz as az

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    lo, hi = (az.hdi if hdi else az.eti)(values, prob=prob)
    return float(lo), float(hi)


def hr_summary(fit: BayesFit, thresholds: Sequence[float] = (), hdi: bool = False) -> dict:
    """HR median, 95 % interval, P(HR < 1) and P(HR < t) for each threshold t."""
    log_hr = fit.draws()["log_hr"]
    lo, hi = interval(np.exp(log_hr), hdi=hdi)
    row = {"hr_median": float(np.exp(np.median(log_hr))), "hr_lower": lo, "hr_upper": hi,
           "prob_hr_below_1": float(np.mean(log_hr < 0)),
           "interval": "HDI" if hdi else "equal-tailed"}
    for t in thresholds:
        row[f"prob_hr_below_{t:g}"] = float(np.mean(log_hr < np.log(t)))
    return row


def marginal_survival(fit: BayesFit, grid: np.ndarray, max_draws: int = MAX_DRAWS) -> np.ndarray:
    """S_a(t) per draw: array (2, draws, len(grid)), arm 0 = treated, arm 1 = reference."""
    d = fit.data
    draws = fit.draws(max_draws)
    # patients with the same covariates have the same curve: one per distinct covariate row,
    # weighted by their summed weights (every patient is one row when unadjusted)
    # (the target population's weights instead when the fit has them: bayes.standardise)
    target = d.weights if d.target_weights is None else d.target_weights
    X, rows = np.unique(d.X, axis=0, return_inverse=True)
    w = np.bincount(rows.ravel(), weights=target / target.sum(), minlength=X.shape[0])
    # proportional hazards in the covariates: H(t | arm, x) = H(t | arm, 0) exp(x'beta), so the
    # draws x rows factor exp(x'beta) is computed once, not at every time of the grid
    risk = np.exp(linear_covariates(draws, X))               # draws x distinct rows
    zero = np.zeros((risk.shape[0], 1))
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    out = np.empty((2, risk.shape[0], grid.size))
    for a, arm in enumerate((1.0, 0.0)):
        for g, t in enumerate(grid / d.time_scale):
            base = cumulative_hazard(fit.model, draws, np.array([max(t, 1e-12)]),
                                     np.array([arm]), zero, cuts)      # draws x 1
            out[a, :, g] = np.exp(-base * risk) @ w
    return out


def profile_survival(fit: BayesFit, grid: np.ndarray, treated: np.ndarray, X: np.ndarray,
                     max_draws: int = MAX_DRAWS) -> np.ndarray:
    """S(t | arm, x) of given profiles per draw, computed as :func:`marginal_survival`
    computes each patient's curve (the same draws, the same baseline hazards).

    Parameters
    ----------
    fit : BayesFit
    grid : numpy.ndarray
        Times, in the data's unit.
    treated : numpy.ndarray
        1.0 (treated) or 0.0 (reference) per profile.
    X : numpy.ndarray
        Profiles x the fit's covariate terms, on the original scale (standardised here with
        the fitted patients' means and SDs).
    max_draws : int
        Posterior draws used (thinned as :func:`marginal_survival` thins them).

    Returns
    -------
    numpy.ndarray
        Array (profiles, draws, len(grid)).
    """
    d = fit.data
    draws = fit.draws(max_draws)
    X = np.asarray(X, dtype=float).reshape(len(treated), -1)
    risk = np.exp(linear_covariates(draws, (X - d.x_mean) / d.x_sd)) if X.shape[1] else \
        np.ones((draws["log_hr"].shape[0], len(treated)))
    zero = np.zeros((risk.shape[0], 1))
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    out = np.empty((len(treated), risk.shape[0], grid.size))
    for arm in (1.0, 0.0):
        rows = np.flatnonzero(np.asarray(treated, dtype=float) == arm)
        if rows.size == 0:
            continue
        for g, t in enumerate(grid / d.time_scale):
            base = cumulative_hazard(fit.model, draws, np.array([max(t, 1e-12)]),
                                     np.array([arm]), zero, cuts)      # draws x 1
            out[rows, :, g] = np.exp(-base * risk[:, rows]).T
    return out


def _median(grid: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """First time each curve reaches 0.5 (linear interpolation); NaN if it never does."""
    out = np.full(curves.shape[0], np.nan)
    for i, s in enumerate(curves):
        below = np.flatnonzero(s <= 0.5)
        if below.size:
            j = below[0]
            if j == 0:
                out[i] = grid[0]
            else:
                out[i] = np.interp(0.5, [s[j], s[j - 1]], [grid[j], grid[j - 1]])
    return out


def survival_contrasts(fit: BayesFit, tau: float, arms: Sequence[str],
                       grid: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Medians and RMST per arm and their differences (long table), and the curve bands.

    Returns
    -------
    contrasts : DataFrame with quantity (``median``, ``rmst`` up to tau, ``survival`` at tau),
        arm, estimate, lower, upper (posterior median and equal-tailed 95 % interval); arm
        ``difference`` is treated minus reference, with ``prob_above_0`` = P(difference > 0).
    curves : DataFrame with arm, time, survival, lower, upper.
    """
    if grid is None:
        grid = np.linspace(0, max(float(fit.data.time.max()), tau), GRID_POINTS)
    grid = np.union1d(grid, [tau])
    s = marginal_survival(fit, grid)
    rows = []
    medians = [_median(grid, s[a]) for a in (0, 1)]
    upto = grid <= tau
    rmst = [np.trapezoid(s[a][:, upto], grid[upto], axis=1) for a in (0, 1)]
    at_tau = [s[a][:, np.searchsorted(grid, tau)] for a in (0, 1)]
    for quantity, values in (("median", medians), ("rmst", rmst), ("survival", at_tau)):
        for arm, v in zip(list(arms) + ["difference"], [values[0], values[1], values[0] - values[1]]):
            lo, hi = interval(v)
            finite = np.isfinite(v)
            rows.append({"quantity": quantity, "arm": arm,
                         "estimate": float(np.median(v[finite])) if finite.mean() > 0.5 else np.nan,
                         "lower": lo, "upper": hi,
                         "tau": tau if quantity in ("rmst", "survival") else np.nan,
                         "share_reached": float(finite.mean()),
                         # P(treated - reference > 0), over draws where both medians are reached
                         "prob_above_0": (float(np.mean(v[finite] > 0)) if arm == "difference"
                                          and finite.mean() > 0.5 else np.nan)})
    curves = []
    for a, arm in enumerate(arms):
        q = np.quantile(s[a], [0.5, 0.025, 0.975], axis=0)
        curves.append(pd.DataFrame({"arm": arm, "time": grid, "survival": q[0], "lower": q[1],
                                    "upper": q[2]}))
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)
