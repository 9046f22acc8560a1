"""Covariate balance: standardized mean differences and variance ratios as MatchIt ``summary()``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.errors import AnalysisError

_TINY = np.sqrt(np.finfo(float).eps)


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    """MatchIt ``wvar``: p(1-p) for 0/1 variables, else the reliability-weighted variance."""
    w = w / w.sum()
    m = np.sum(w * x)
    if binary:
        return float(m * (1 - m))
    return float(np.sum(w * (x - m) ** 2) / (1 - np.sum(w ** 2)))


def _pooled_sd(x: np.ndarray, t: np.ndarray, binary: bool) -> float:
    """MatchIt ``pooled_sd(contribution = "proportional")``, the fallback denominator."""
    if binary:
        v = sum(x[m].sum() * (1 - x[m].sum() / m.sum()) / len(x) for m in (t, ~t))
    else:
        v = sum(np.sum((x[m] - x[m].mean()) ** 2) for m in (t, ~t)) / (len(x) - 2)
    return float(np.sqrt(v))


def standardized_mean_difference(x, treated, weights=None) -> tuple[float, float]:
    """Standardized mean difference and variance ratio of one covariate.

    .. math:: \\mathrm{SMD} = (\\bar x_{1,w} - \\bar x_{0,w}) / s_1

    with weighted means (weights = matching or propensity weights; none = unadjusted) and
    s_1 the SD of the treated group in the full, unweighted sample (sqrt(p(1-p)) for 0/1
    covariates), the same before and after adjustment. Variance ratio = weighted variance
    treated / reference (NaN for 0/1 covariates). R equivalent: MatchIt ``summary()``
    "Std. Mean Diff." and "Var. Ratio" (internal ``bal1var(s.d.denom = "treated")``); a mean
    difference below sqrt(machine eps) is returned unstandardised, as there.

    Returns
    -------
    (smd, variance_ratio)
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(treated).astype(bool)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    binary = bool(np.all((x == 0) | (x == 1)))
    w1, w0 = w[t], w[~t]
    if np.sum(w1 != 0) < 2 and np.sum(w0 != 0) < 2:
        return float("nan"), float("nan")
    diff = np.sum(w1 * x[t]) / w1.sum() - np.sum(w0 * x[~t]) / w0.sum()
    smd = float(diff)
    if abs(diff) > _TINY:
        sd = np.sqrt(_wvar(x[t], np.ones(t.sum()), binary))
        if not np.isfinite(sd) or sd < _TINY:
            sd = _pooled_sd(x, t, binary)
        smd = float(diff / sd)
    if binary:
        return smd, float("nan")
    keep1, keep0 = w1 != 0, w0 != 0
    ratio = _wvar(x[t][keep1], w1[keep1], False) / _wvar(x[~t][keep0], w0[keep0], False)
    return smd, float(ratio)


def balance_table(X: pd.DataFrame, treated, matched_weights=None, weights=None,
                  by_estimand=None) -> pd.DataFrame:
    """Balance of every covariate: unadjusted, after matching, after weighting.

    Parameters
    ----------
    X : numeric DataFrame of dummy-coded covariates (all units of the full sample).
    treated : boolean array.
    matched_weights : MatchIt-style matching weights (0 = unmatched), e.g. ``MatchResult.weights``.
    weights : propensity weights, e.g. ``WeightResult.weights`` (the ``smd_weighted`` columns).
    by_estimand : mapping of weighting estimand (``ate``, ``att``, ``overlap``) to its weights:
        one ``smd_<estimand>`` and ``variance_ratio_<estimand>`` column each, so that every
        weighted population's balance is shown.

    Returns
    -------
    DataFrame with columns covariate, smd_unadjusted, smd_matched, smd_weighted,
    variance_ratio_unadjusted, variance_ratio_matched, variance_ratio_weighted (NaN when the
    corresponding weights are not given or the covariate is 0/1), then smd_<estimand> and
    variance_ratio_<estimand> per estimand of ``by_estimand``.
    """
    t = np.asarray(treated).astype(bool)
    if t.shape != (len(X),):
        raise AnalysisError(f"treated must have one value per row of X ({len(X)}); got shape {t.shape}")
    by_estimand = dict(by_estimand or {})
    for name, w in (("matched_weights", matched_weights), ("weights", weights),
                    *((f"weights of {e}", w) for e, w in by_estimand.items())):
        if w is not None and (np.shape(w) != (len(X),) or np.any(np.asarray(w) < 0)):
            raise AnalysisError(f"{name} must be one non-negative value per row of X ({len(X)})")
    series = [("unadjusted", None), ("matched", matched_weights), ("weighted", weights),
              *by_estimand.items()]
    rows = []
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        row = {"covariate": col}
        for label, w in series:
            smd, vr = (np.nan, np.nan)
            if label == "unadjusted" or w is not None:
                smd, vr = standardized_mean_difference(x, t, w)
            row[f"smd_{label}"], row[f"variance_ratio_{label}"] = smd, vr
        rows.append(row)
    columns = ["covariate", "smd_unadjusted", "smd_matched", "smd_weighted",
               "variance_ratio_unadjusted", "variance_ratio_matched", "variance_ratio_weighted"]
    columns += [f"smd_{e}" for e in by_estimand] + [f"variance_ratio_{e}" for e in by_estimand]
    return pd.DataFrame(rows, columns=columns)
