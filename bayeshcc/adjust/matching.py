"""Nearest-neighbour matching on the logit propensity score, as R MatchIt ``method = "nearest"``."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.errors import AnalysisError


@dataclass(frozen=True)
class MatchResult:
    """Matched pairs and MatchIt's matching weights.

    Attributes
    ----------
    pairs : DataFrame with columns treated_id, reference_id, distance (|logit difference|),
        subclass (MatchIt's subclass; NA with replacement), one row per (treated, control) link.
    weights : per-unit matching weights in input order (MatchIt ``m$weights``): 1 for matched
        treated units, controls get the sum over their links of 1 / (number of controls of that
        treated unit), rescaled to sum to the number of matched controls; 0 if unmatched.
    matched : bool per unit, True when the unit is in the matched sample (weight > 0).
    caliper : the caliper in logit units (None without one).
    """

    pairs: pd.DataFrame
    weights: np.ndarray
    matched: np.ndarray
    caliper: float | None


def _nearest(order: np.ndarray, treat: np.ndarray, d: np.ndarray, avail: np.ndarray, ii: int,
             step: int, caliper: float | None, taken: set[int]) -> int:
    """Walk from sorted position ii in direction step to the first usable control (or -1)."""
    k = ii + step
    while 0 <= k < len(d):
        if treat[k] or not avail[k] or order[k] in taken:
            k += step
            continue
        if caliper is not None and abs(d[ii] - d[k]) > caliper:
            return -1
        return k
    return -1


def match_nearest(logit, treated, ids, caliper: float | None = 0.2, std_caliper: bool = True,
                  ratio: int = 1, replace: bool = False) -> MatchResult:
    """Greedy nearest-neighbour matching of treated to reference units on the logit PS.

    The rule is MatchIt 4.5.3+ ``matchit(..., method = "nearest", distance = "glm",
    link = "linear.logit", caliper, std.caliper, ratio, replace, m.order = "largest")``:
    units are stably sorted by logit; treated units are visited from the largest logit down
    (ties in data order; in data order when ``replace=True``, as MatchIt); each takes the
    nearest still-available control on either side, a tie going to the lower-logit side
    (compared in floating point as MatchIt does: when two distances are equal in exact
    arithmetic, e.g. covariate steps that cancel, the last bits of the logits decide, in R
    as here, so such a pair can differ from R's unless R's own logits are passed);
    the search on a side stops at the first available control beyond the caliper, which is
    ``caliper * SD(logit over all units)`` (n - 1 denominator) when ``std_caliper``. With
    ``ratio > 1`` every treated unit gets its first control before any gets its second.

    Parameters
    ----------
    logit : linear predictor of the propensity model, one per unit.
    treated : boolean array.
    ids : unit identifiers (unique), reported in ``pairs``.
    caliper : width in SDs of the logit (``std_caliper=True``) or in logit units; None for none.
    ratio : controls per treated unit.
    replace : whether a control may be matched to several treated units.

    Returns
    -------
    MatchResult

    Raises
    ------
    AnalysisError
        On bad inputs or when no treated unit has a control within the caliper.
    """
    d_in = np.asarray(logit, dtype=float)
    t_in = np.asarray(treated).astype(bool)
    id_in = np.asarray(ids)
    n = len(d_in)
    if t_in.shape != (n,) or id_in.shape != (n,):
        raise AnalysisError(f"logit, treated and ids must have the same length; got {n}, {t_in.size}, {id_in.size}")
    if not np.isfinite(d_in).all():
        raise AnalysisError("logit has missing or infinite values; fit the propensity model on complete rows")
    if len(pd.unique(id_in)) != n:
        raise AnalysisError("ids must be unique; found duplicated ids")
    if int(ratio) != ratio or ratio < 1:
        raise AnalysisError(f"ratio must be a positive integer; got {ratio}")
    if t_in.all() or not t_in.any():
        raise AnalysisError("treated has a single arm; matching needs both arms")
    width = None
    if caliper is not None:
        if not caliper > 0:
            raise AnalysisError(f"caliper must be positive or None; got {caliper}")
        width = float(caliper) * (float(np.std(d_in, ddof=1)) if std_caliper else 1.0)

    order = np.argsort(d_in, kind="stable")          # R order(distance)
    d, treat = d_in[order], t_in[order]
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    treated_rows = np.flatnonzero(t_in)               # data order of treated units
    n1 = len(treated_rows)
    if replace:
        visit = np.arange(n1)                          # MatchIt sets m.order = "data"
    else:
        visit = np.argsort(-d_in[treated_rows], kind="stable")  # order(decreasing = TRUE)
    reuse_max = np.iinfo(np.int32).max if replace else 1
    avail = np.ones(n, dtype=bool)
    used = np.zeros(n, dtype=int)
    links: list[list[int]] = [[] for _ in range(n1)]  # data rows of controls per treated
    done = False
    for r in range(int(ratio)):
        for i in visit:
            ii = pos[treated_rows[i]]
            if not avail[ii]:
                continue
            taken = set(links[i]) if r > 0 else set()
            k_left = _nearest(order, treat, d, avail, ii, -1, width, taken)
            k_right = _nearest(order, treat, d, avail, ii, +1, width, taken)
            if k_left >= 0 and k_right >= 0:
                # a tie goes to the lower-logit side (MatchIt's `<=`)
                k = k_left if abs(d[k_left] - d[ii]) <= abs(d[k_right] - d[ii]) else k_right
            elif k_left >= 0 or k_right >= 0:
                k = max(k_left, k_right)
            else:
                avail[ii] = False
                continue
            links[i].append(int(order[k]))
            used[ii] += 1
            if used[ii] >= ratio:
                avail[ii] = False
            used[k] += 1
            if used[k] >= reuse_max:
                avail[k] = False
            if (not avail[ii] and not avail[treat].any()) or (not avail[k] and not avail[~treat].any()):
                done = True
                break
        if done:
            break

    if not any(links):
        raise AnalysisError(f"no treated unit has a reference unit within the caliper "
                            f"({width:.4g} on the logit scale); widen `caliper` or set it to None")
    weights = np.zeros(n)
    for i, controls in enumerate(links):
        for c in controls:
            weights[c] += 1 / len(controls)
        if controls:
            weights[treated_rows[i]] = 1.0
    cw = weights[~t_in]
    weights[~t_in] = cw * np.sum(cw > 0) / cw.sum()

    subclass_of = {}
    if not replace:
        # MatchIt mm2subclass: factor levels of the treated row numbers sorted as strings
        labels = sorted((str(treated_rows[i] + 1) for i, c in enumerate(links) if c))
        subclass_of = {int(lab) - 1: s + 1 for s, lab in enumerate(labels)}
    rows = [(id_in[treated_rows[i]], id_in[c], abs(d_in[treated_rows[i]] - d_in[c]),
             subclass_of.get(treated_rows[i], pd.NA))
            for i, controls in enumerate(links) for c in controls]
    pairs = pd.DataFrame(rows, columns=["treated_id", "reference_id", "distance", "subclass"])
    pairs["subclass"] = pairs["subclass"].astype("Int64")
    return MatchResult(pairs=pairs, weights=weights, matched=weights > 0, caliper=width)
