"""Propensity-score weights for the ATE, ATT and overlap populations (WeightIt definitions)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from bayeshcc.errors import AnalysisError, AnalysisWarning
from bayeshcc.vocab import WEIGHTED

_ESTIMANDS = WEIGHTED
_MAX_WEIGHT = 10.0


@dataclass(frozen=True)
class WeightResult:
    """Propensity weights and their diagnostics.

    Attributes
    ----------
    weights : one weight per unit, input order (0 for trimmed units).
    estimand : "ate", "att" or "overlap".
    max_weight : {"treated": .., "reference": ..} largest weight per arm.
    ess : {"treated": .., "reference": ..} Kish effective sample size (sum w)^2 / sum w^2.
    n_trimmed : units given weight 0 by ``trim``.
    warnings : messages of the AnalysisWarnings raised.
    """

    weights: np.ndarray
    estimand: str
    max_weight: dict
    ess: dict
    n_trimmed: int
    warnings: tuple[str, ...]


def propensity_weights(score, treated, estimand: str = "ate", stabilize: bool = False,
                       trim: float | None = None) -> WeightResult:
    """Inverse-probability-type weights from a propensity score e.

    ============  ==================  ========================
    estimand      treated             reference
    ============  ==================  ========================
    ``"ate"``     1 / e               1 / (1 - e)
    ``"att"``     1                   e / (1 - e)
    ``"overlap"`` 1 - e               e
    ============  ==================  ========================

    As R ``WeightIt::weightit(..., method = "glm", estimand = "ATE" | "ATT" | "ATO")``,
    unstabilised by default. ``stabilize=True`` (ATE only, as WeightIt) multiplies each
    unit's weight by the proportion of units in its arm, P(T = t).

    Trimming rule (Crump et al. 2009): with ``trim = q`` (0 < q < 0.5) units whose propensity
    score lies outside [q, 1 - q] get weight 0; the others keep their formula weight.
    This changes the target population, which is reported as ``n_trimmed``.

    Parameters
    ----------
    score : propensity scores in (0, 1).
    treated : boolean array.
    estimand, stabilize, trim : see above.

    Returns
    -------
    WeightResult

    Warns
    -----
    AnalysisWarning
        When a weight exceeds 10 or an arm's effective sample size is under half its size,
        with the figures.
    """
    e = np.asarray(score, dtype=float)
    t = np.asarray(treated).astype(bool)
    if t.shape != e.shape or e.ndim != 1:
        raise AnalysisError(f"score and treated must be 1-d of the same length; got {e.shape} and {t.shape}")
    if estimand not in _ESTIMANDS:
        raise AnalysisError(f"estimand must be one of {list(_ESTIMANDS)}; got {estimand!r}")
    if not ((e > 0) & (e < 1)).all():
        raise AnalysisError("score must lie strictly between 0 and 1; check the propensity model for separation")
    if stabilize and estimand != "ate":
        raise AnalysisError(f"stabilize=True is defined for estimand='ate' only; got estimand={estimand!r}")
    if trim is not None and not 0 < trim < 0.5:
        raise AnalysisError(f"trim must be in (0, 0.5) or None; got {trim}")
    if estimand == "ate":
        w = np.where(t, 1 / e, 1 / (1 - e))
        if stabilize:
            w = w * np.where(t, t.mean(), 1 - t.mean())
    elif estimand == "att":
        w = np.where(t, 1.0, e / (1 - e))
    else:
        w = np.where(t, 1 - e, e)
    n_trimmed = 0
    if trim is not None:
        out = (e < trim) | (e > 1 - trim)
        n_trimmed = int(out.sum())
        w = np.where(out, 0.0, w)
    arms = {"treated": t, "reference": ~t}
    if any(w[m].sum() == 0 for m in arms.values()):
        raise AnalysisError(f"trim={trim} leaves an arm with no weight; use a smaller trim")
    max_weight = {a: float(w[m].max()) for a, m in arms.items()}
    ess = {a: float(w[m].sum() ** 2 / np.sum(w[m] ** 2)) for a, m in arms.items()}
    messages = []
    for a, m in arms.items():
        if max_weight[a] > _MAX_WEIGHT:
            messages.append(f"extreme {estimand} weights in the {a} arm: max {max_weight[a]:.1f}, "
                            f"{int((w[m] > _MAX_WEIGHT).sum())} of {int(m.sum())} units above {_MAX_WEIGHT:g}")
        if ess[a] < 0.5 * m.sum():
            messages.append(f"{estimand} weights leave an effective sample size of {ess[a]:.1f} "
                            f"of {int(m.sum())} {a} units")
    for message in messages:
        warnings.warn(message, AnalysisWarning, stacklevel=2)
    return WeightResult(weights=w, estimand=estimand, max_weight=max_weight, ess=ess,
                        n_trimmed=n_trimmed, warnings=tuple(messages))


def formula_weights(estimand: str, score, treated) -> np.ndarray:
    """The unstabilised, untrimmed weight formula of an estimand at propensity scores ``score``
    (broadcasting): ATE ``t/e + (1-t)/(1-e)``, ATT ``t + (1-t) e/(1-e)``, overlap
    ``t(1-e) + (1-t) e``, ``t`` the treated indicator as 0/1.

    A weight :func:`propensity_weights` gave is this formula times a constant per arm
    (stabilised) or 0 (trimmed): the ratio of the two is what estimators that re-evaluate the
    formula at another PS (jackknife refits, derivatives) hold fixed.
    """
    e, t = score, treated
    if estimand == "ate":
        return t / e + (1 - t) / (1 - e)
    if estimand == "att":
        return t + (1 - t) * e / (1 - e)
    return t * (1 - e) + (1 - t) * e


def weight_gradient(estimand: str, score, treated, X, raw_weights) -> np.ndarray:
    """d w_i / d gamma (N x q) of the PS weights, gamma the logistic PS coefficients.

    The formula weight's derivative in e times e(1-e) x_i, times the ratio of the weight given
    to the formula weight (a stabilising constant per arm; 0 for a trimmed patient); used by
    the influence functions of the weighted frequentist estimators
    (:mod:`bayeshcc.frequentist.propensity_influence`) and the Bayesian calibration
    (:mod:`bayeshcc.bayes.calibration`).

    Parameters
    ----------
    estimand : {"ate", "att", "overlap"}
    score : N propensity scores e_i.
    treated : N treated indicators.
    X : N x q PS design matrix (intercept column included).
    raw_weights : N weights as used.

    Returns
    -------
    numpy.ndarray
        N x q.
    """
    e = np.asarray(score, dtype=float)
    t = np.asarray(treated, dtype=float)
    if estimand == "ate":
        de = -t / e ** 2 + (1 - t) / (1 - e) ** 2
    elif estimand == "att":
        de = (1 - t) / (1 - e) ** 2
    elif estimand == "overlap":
        de = 1 - 2 * t
    else:
        raise AnalysisError(f"no PS weight formula for estimand {estimand!r}")
    ratio = np.asarray(raw_weights, dtype=float) / formula_weights(estimand, e, t)
    return (ratio * de * e * (1 - e))[:, None] * np.asarray(X, dtype=float)

