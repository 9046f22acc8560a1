"""Model inputs: times rescaled, covariates standardised, weights normalised, intervals laid out.

Internally time is divided by ``time_scale`` (the mean follow-up) and each covariate is centred
and scaled to unit SD; the treatment indicator is left as 0/1 so its coefficient is the log HR.
Weights are normalised to sum to the Kish effective sample size (sum w)^2 / sum w^2, so a
weighted pseudo-likelihood carries no more information than that many patients.
``target_weights``, when set, are the weights marginal survival is averaged with instead
(:mod:`bayeshcc.bayes.standardise`): the likelihood's weights and the standardisation
population's are then two different things.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.errors import AnalysisError


@dataclass(frozen=True)
class SurvivalData:
    """Arrays for one fit (see module docstring)."""

    time: np.ndarray            # original unit
    event: np.ndarray           # 0/1 float
    treated: np.ndarray         # 0/1 float
    X: np.ndarray               # standardised covariates, N x K (K may be 0)
    covariate_names: tuple[str, ...]
    x_mean: np.ndarray
    x_sd: np.ndarray
    weights: np.ndarray         # normalised (sum = Kish ESS)
    time_scale: float
    raw_weights: np.ndarray | None = None  # as given (None: ones), before the normalisation
    # whom marginal survival is standardised over (None: the analysis weights); set by
    # bayeshcc.bayes.standardise.standardised for [bayes] outcome_covariates
    target_weights: np.ndarray | None = None

    @property
    def scaled_time(self) -> np.ndarray:
        return self.time / self.time_scale


def kish_normalised(weights: np.ndarray) -> np.ndarray:
    """Weights rescaled to sum to the Kish effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    return w * (w.sum() / np.sum(w ** 2))


def prepare(time, event, treated, X=None, covariate_names=(), weights=None,
            time_scale: float | None = None) -> SurvivalData:
    """Validate and transform inputs of one fit (``time_scale`` defaults to the mean time)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    treated = np.asarray(treated, dtype=float)
    n = time.size
    if n == 0 or event.size != n or treated.size != n:
        raise AnalysisError("time, event and treated must be non-empty arrays of one length")
    if np.any(~np.isfinite(time)) or np.any(time <= 0):
        raise AnalysisError("times must be positive and finite")
    if event.sum() == 0:
        raise AnalysisError("no events in the analysed patients: a survival model cannot be fitted")
    if len(set(treated.tolist())) < 2:
        raise AnalysisError("both arms must have patients to estimate a hazard ratio")
    X = np.zeros((n, 0)) if X is None else np.asarray(X, dtype=float).reshape(n, -1)
    mean, sd = X.mean(axis=0), X.std(axis=0)
    if np.any(sd == 0):
        bad = [covariate_names[i] for i in np.flatnonzero(sd == 0)]
        raise AnalysisError(f"covariate {bad[0]!r} has one value in the analysed patients")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise AnalysisError("weights must be finite, non-negative and not all zero")
    return SurvivalData(time, event, treated, (X - mean) / sd, tuple(covariate_names), mean, sd,
                        kish_normalised(w), float(time_scale or time.mean()), w)


def quantile_cutpoints(time: np.ndarray, event: np.ndarray, intervals: int) -> np.ndarray:
    """Interior cut points at equally spaced quantiles of the event times (J - 1 of them)."""
    times = np.sort(time[event > 0])
    cuts = np.unique(np.quantile(times, np.linspace(0, 1, intervals + 1)[1:-1]))
    return cuts[cuts > 0]


def exposure_matrix(time: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time at risk in each interval (N x J) and the one-hot interval of each time (N x J).

    Intervals are [0, c1), [c1, c2), ..., [c_{J-1}, inf). Memory is O(N x J) floats; there is no
    person-period expansion.
    """
    edges = np.concatenate([[0.0], cuts, [np.inf]])
    lower, upper = edges[:-1], edges[1:]
    exposure = np.clip(np.minimum(time[:, None], upper[None, :]) - lower[None, :], 0, None)
    index = np.searchsorted(cuts, time, side="right")
    onehot = np.zeros_like(exposure)
    onehot[np.arange(time.size), index] = 1.0
    return exposure, onehot
