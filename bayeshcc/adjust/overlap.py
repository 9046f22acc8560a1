"""Overlap of the propensity score: how far the arms' scores share support, what each weighting
estimand's weights do with it, and when the ATE weights are too extreme to be the default
primary analysis.

Three results, all aggregates (no row per patient):

- :func:`overlap_table` (``overlap.csv``): per weighting estimand and arm, the propensity-score
  quantiles of the arm, the patients with a score outside [0.05, 0.95], the largest weight, the
  Kish effective sample size (ESS) and the share of the arm in the matched cohort;
- :func:`ps_histogram` (``ps_histogram.csv``): patients per propensity-score bin and arm, what
  the mirrored histogram (:mod:`bayeshcc.figures.overlap`) draws;
- :func:`extreme_ate_weights`: the sentence saying why the ATE weights are extreme (a weight
  above 10, or an arm's ESS under half its size: the thresholds of
  :func:`bayeshcc.adjust.weights.propensity_weights`' warnings), or None. Under such weights
  the validation study's ATE intervals were biased and too narrow (docs/validation.md); overlap
  weights (Li, Morgan & Zaslavsky 2018, JASA 113:390) are bounded by 1 and give the smallest
  asymptotic variance among balancing weights, for the population in clinical equipoise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.adjust.weights import WeightResult

PS_BOUNDS = (0.05, 0.95)
QUANTILES = {"ps_min": 0.0, "ps_q05": 0.05, "ps_q25": 0.25, "ps_median": 0.5, "ps_q75": 0.75,
             "ps_q95": 0.95, "ps_max": 1.0}
MAX_WEIGHT = 10.0
MIN_ESS_SHARE = 0.5
COLUMNS = (["estimand", "arm", "n"] + list(QUANTILES)
           + ["n_ps_outside", "max_weight", "ess", "ess_share", "n_matched", "matched_share"])


def overlap_table(score, treated, weights: dict[str, WeightResult],
                  matched=None) -> pd.DataFrame:
    """``overlap.csv``: one row per weighting estimand and arm.

    Parameters
    ----------
    score : propensity score per patient.
    treated : boolean per patient.
    weights : the :class:`WeightResult` of each weighting estimand, by estimand.
    matched : boolean per patient, in the matched cohort (None: no matched cohort).

    Returns
    -------
    DataFrame with :data:`COLUMNS`: ``ps_*`` the arm's score quantiles (type 7, as R's
    ``quantile``) in the whole cohort, the same for every estimand; ``n_ps_outside`` the arm's
    patients with a score outside [0.05, 0.95]; ``max_weight`` and ``ess`` the estimand's
    largest weight and Kish ESS (sum w)^2 / sum w^2 in the arm, ``ess_share`` = ESS / n;
    ``n_matched`` and ``matched_share`` the arm's patients in the matched cohort (NaN without
    one).
    """
    e = np.asarray(score, dtype=float)
    t = np.asarray(treated).astype(bool)
    m = None if matched is None else np.asarray(matched).astype(bool)
    rows = []
    for estimand, w in weights.items():
        for arm, mask in (("treated", t), ("reference", ~t)):
            x = e[mask]
            row = {"estimand": estimand, "arm": arm, "n": int(mask.sum())}
            row.update({k: float(np.quantile(x, q)) for k, q in QUANTILES.items()})
            row["n_ps_outside"] = int(((x < PS_BOUNDS[0]) | (x > PS_BOUNDS[1])).sum())
            row["max_weight"] = float(w.max_weight[arm])
            row["ess"] = float(w.ess[arm])
            row["ess_share"] = row["ess"] / row["n"]
            row["n_matched"] = np.nan if m is None else int((m & mask).sum())
            row["matched_share"] = np.nan if m is None else row["n_matched"] / row["n"]
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def ps_histogram(score, treated, bins: int = 20) -> pd.DataFrame:
    """Patients per propensity-score bin and arm (``bins`` equal bins of [0, 1], the last one
    closed): columns arm, bin_lower, bin_upper, n."""
    e = np.asarray(score, dtype=float)
    t = np.asarray(treated).astype(bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for arm, mask in (("treated", t), ("reference", ~t)):
        counts, _ = np.histogram(e[mask], bins=edges)
        rows += [{"arm": arm, "bin_lower": float(lo), "bin_upper": float(hi), "n": int(n)}
                 for lo, hi, n in zip(edges[:-1], edges[1:], counts)]
    return pd.DataFrame(rows, columns=["arm", "bin_lower", "bin_upper", "n"])


def extreme_ate_weights(ate: WeightResult, treated) -> str | None:
    """Why the ATE weights are extreme, as the start of a sentence, or None when they are not
    (no weight above 10 and every arm's ESS at least half its size)."""
    t = np.asarray(treated).astype(bool)
    sizes = {"treated": int(t.sum()), "reference": int((~t).sum())}
    reasons = []
    for arm in ("treated", "reference"):
        if ate.max_weight[arm] > MAX_WEIGHT:
            reasons.append(f"the largest {arm} weight is {ate.max_weight[arm]:.1f} (above "
                           f"{MAX_WEIGHT:g})")
    for arm in ("treated", "reference"):
        if ate.ess[arm] < MIN_ESS_SHARE * sizes[arm]:
            reasons.append(f"the {arm} arm's effective sample size is {ate.ess[arm]:.1f} of "
                           f"{sizes[arm]} (under half)")
    if not reasons:
        return None
    return "The ATE weights are extreme: " + " and ".join(reasons)


def overlap_primary_sentence(reason: str) -> str:
    """The one sentence the summary (default switched) and the warning (explicit ATE primary)
    give."""
    return (f"{reason}, the regime where ATE intervals are biased and too narrow; without an "
            "explicit [bayes] primary the primary analysis therefore uses overlap weights (Li, "
            "Morgan & Zaslavsky 2018), which target the patients for whom either treatment was "
            "plausible and stay bounded.")
