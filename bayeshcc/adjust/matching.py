"""Nearest-neighbour matching on the logit propensity score, as R MatchIt ``method = "nearest"``.

Hand-written (no Python package reproduces MatchIt's greedy matcher unit for unit). The default
follows MatchIt 4.7.2's C++ matcher, ``nn_matchC_vec`` and ``find_control_vec`` in
``src/nn_matchC_vec.cpp`` and ``src/internal.cpp`` (the matcher was rewritten in 4.6.0), and its
subclass numbering ``mm2subclassC`` (changed in 4.7.0). ``algorithm="matchit-4.5.5"`` keeps the
previous port of MatchIt 4.5.5 (``find_left``/``find_right``), whose pairs differ from 4.7.2's
when a treated unit has two candidate controls at equal distances, and when ``replace=True`` with
``ratio > 1``. The differences, read from the two sources:

* Ties between the nearest control below and the nearest control above: 4.5.5 takes the lower
  one (``<=``); 4.7.2 walks outwards alternately (one sorted position down, one up, ...) and
  keeps the control met first, i.e. the one fewer sorted positions away (any unit, treated or
  already used, counts as a position), the lower one when equally far.
* ``ratio > 1`` without replacement: both versions give every treated unit its first control
  before any gets its second. In 4.7.2, round ``r > 1`` walks outwards from the farthest
  controls already matched to that treated unit (not from the treated unit itself), so the
  positions that break ties are counted from there.
* ``replace=True`` (MatchIt then matches in data order): 4.7.2 gives each treated unit all its
  ``ratio`` controls at once (up to ``ratio`` on each side, then the ``ratio`` nearest, chosen
  by ``std::partial_sort``, whose order among equal distances is reproduced here); 4.5.5 used
  rounds as without replacement.
* Subclasses (``replace=False``): 4.7.2 numbers them 1, 2, ... by the matched treated units'
  row order; 4.5.5 by their row numbers sorted as strings.

The caliper rule is the same in both: on each side the walk stops at the first usable control
beyond ``caliper * sd(logit)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.errors import AnalysisError

ALGORITHMS = ("matchit-4.7.2", "matchit-4.5.5")


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


# ---- libstdc++'s heap algorithms, for std::partial_sort's choice among equal distances ----

def _adjust_heap(a: list, hole: int, length: int, value, less) -> None:
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[child], a[child - 1]):
            child -= 1
        a[hole] = a[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[hole] = a[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[parent], value):
        a[hole] = a[parent]
        hole = parent
        parent = (hole - 1) // 2
    a[hole] = value


def _pop_heap(a: list, length: int, result: int, less) -> None:
    value = a[result]
    a[result] = a[0]
    _adjust_heap(a, 0, length, value, less)


def _partial_sort(a: list, middle: int, less) -> None:
    """std::partial_sort(a.begin(), a.begin() + middle, a.end(), less) as in libstdc++."""
    if middle >= 2:                                   # __make_heap
        parent = (middle - 2) // 2
        while True:
            _adjust_heap(a, parent, middle, a[parent], less)
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, len(a)):                   # __heap_select
        if less(a[i], a[0]):
            _pop_heap(a, middle, i, less)
    while middle > 1:                                 # __sort_heap
        middle -= 1
        _pop_heap(a, middle, middle, less)


# ---- MatchIt 4.7.2 -------------------------------------------------------------------------

def _find_control_472(t: int, r: int, prior: list[int], ratio: int, d: np.ndarray,
                      treat: np.ndarray, eligible: np.ndarray, by_pos: np.ndarray,
                      pos: np.ndarray, width: float) -> list[int]:
    """MatchIt 4.7.2 ``find_control_vec`` for one treated unit (data row ``t``): up to ``ratio``
    controls (data rows), nearest first. ``prior`` are its controls from earlier rounds."""
    n = len(d)
    ii = pos[t]
    if r > 1 and prior:
        starts = [pos[c] for c in prior] + [ii]
        iil, iir = min(starts), max(starts)
        if iil == ii:
            min_dist = abs(d[t] - d[by_pos[iir]])
        elif iir == ii:
            min_dist = abs(d[t] - d[by_pos[iil]])
        else:
            min_dist = max(abs(d[t] - d[by_pos[iil]]), abs(d[t] - d[by_pos[iir]]))
    else:
        iil = iir = ii
        min_dist = 0.0
    di = d[t]
    l_stop = r_stop = left = False
    n_left = n_right = 0
    found: list[int] = []
    found_dist: list[float] = []
    while not (l_stop and r_stop):
        left = False if l_stop else True if r_stop else not left
        if left:
            if iil <= 0 or n_left == ratio:
                l_stop = True
                continue
            iil -= 1
            iz = by_pos[iil]
        else:
            if iir >= n - 1 or n_right == ratio:
                r_stop = True
                continue
            iir += 1
            iz = by_pos[iir]
        if not eligible[iz] or treat[iz] or (r > 1 and iz in prior):
            continue
        dist_c = abs(di - d[iz])
        if dist_c > width or (len(found) >= ratio and sum(x < dist_c for x in found_dist) >= ratio):
            if left:
                l_stop = True
            else:
                r_stop = True
            continue
        if dist_c < min_dist:
            continue
        found.append(int(iz))
        found_dist.append(dist_c)
        if left:
            n_left += 1
            l_stop = n_left == ratio
        else:
            n_right += 1
            r_stop = n_right == ratio
    m = len(found)
    in_order = all(not found_dist[j + 1] < found_dist[j] for j in range(m - 1))
    if m <= 1 or (m <= ratio and in_order):
        return found
    idx = list(range(m))
    if m > ratio:
        _partial_sort(idx, ratio, lambda a, b: found_dist[a] < found_dist[b])
        idx = idx[:ratio]
    else:                                             # std::sort: insertion sort for <= 16
        idx.sort(key=lambda j: found_dist[j])
    return [found[j] for j in idx]


def _links_472(d: np.ndarray, treat: np.ndarray, width: float, ratio: int,
               replace: bool) -> list[list[int]]:
    """MatchIt 4.7.2 ``nn_matchC_vec``: the controls (data rows) of each treated unit."""
    n = len(d)
    by_pos = np.argsort(d, kind="stable")              # R order(distance)
    pos = np.empty(n, dtype=int)
    pos[by_pos] = np.arange(n)
    treated_rows = np.flatnonzero(treat)
    links: list[list[int]] = [[] for _ in treated_rows]
    eligible = np.ones(n, dtype=bool)
    if replace:                                        # reuse.max >= n1: m.order = "data"
        for i, t in enumerate(treated_rows):
            links[i] = _find_control_472(t, 1, [], ratio, d, treat, eligible, by_pos, pos, width)
        return links
    visit = np.argsort(-d[treated_rows], kind="stable")  # order(decreasing = TRUE)
    n_eligible_controls = int((~treat).sum())
    for r in range(1, ratio + 1):
        for i in visit:
            if n_eligible_controls == 0:
                break
            t = treated_rows[i]
            if not eligible[t]:
                continue
            k = _find_control_472(t, r, links[i], 1, d, treat, eligible, by_pos, pos, width)
            if not k:
                eligible[t] = False
                continue
            links[i].append(k[0])
            eligible[k[0]] = False                     # reuse.max = 1
            n_eligible_controls -= 1
            if len(links[i]) >= ratio:
                eligible[t] = False
    return links


# ---- MatchIt 4.5.5 -------------------------------------------------------------------------

def _nearest_455(order: np.ndarray, treat: np.ndarray, d: np.ndarray, avail: np.ndarray, ii: int,
                 step: int, caliper: float, taken: set[int]) -> int:
    """Walk from sorted position ii in direction step to the first usable control (or -1)."""
    k = ii + step
    while 0 <= k < len(d):
        if treat[k] or not avail[k] or order[k] in taken:
            k += step
            continue
        if abs(d[ii] - d[k]) > caliper:
            return -1
        return k
    return -1


def _links_455(d_in: np.ndarray, t_in: np.ndarray, width: float, ratio: int,
               replace: bool) -> list[list[int]]:
    """MatchIt 4.5.5 ``nn_matchC_vec`` (``find_left``/``find_right``)."""
    n = len(d_in)
    order = np.argsort(d_in, kind="stable")           # R order(distance)
    d, treat = d_in[order], t_in[order]
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    treated_rows = np.flatnonzero(t_in)
    n1 = len(treated_rows)
    visit = np.arange(n1) if replace else np.argsort(-d_in[treated_rows], kind="stable")
    reuse_max = np.iinfo(np.int32).max if replace else 1
    avail = np.ones(n, dtype=bool)
    used = np.zeros(n, dtype=int)
    links: list[list[int]] = [[] for _ in range(n1)]
    for r in range(ratio):
        for i in visit:
            ii = pos[treated_rows[i]]
            if not avail[ii]:
                continue
            taken = set(links[i]) if r > 0 else set()
            k_left = _nearest_455(order, treat, d, avail, ii, -1, width, taken)
            k_right = _nearest_455(order, treat, d, avail, ii, +1, width, taken)
            if k_left >= 0 and k_right >= 0:
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
                return links
    return links


def match_nearest(logit, treated, ids, caliper: float | None = 0.2, std_caliper: bool = True,
                  ratio: int = 1, replace: bool = False,
                  algorithm: str = "matchit-4.7.2") -> MatchResult:
    """Greedy nearest-neighbour matching of treated to reference units on the logit PS.

    The rule is MatchIt's ``matchit(..., method = "nearest", distance = "glm",
    link = "linear.logit", caliper, std.caliper, ratio, replace, m.order = "largest")``
    (version 4.7.2 by default): units are stably sorted by logit; treated units are visited
    from the largest logit down (ties in data order; in data order when ``replace=True``, as
    MatchIt); each takes the nearest usable control, found by walking outwards one sorted
    position at a time, alternately down and up, a tie in distance going to the control met
    first (see the module docstring for 4.5.5's rule). Distances are compared in floating point
    as MatchIt does: when two are equal in exact arithmetic (covariate steps that cancel) the
    last bits of the logits decide, in R as here, so such a pair can differ from R's unless R's
    own logits are passed. The walk on a side stops at the first usable control beyond the
    caliper, ``caliper * SD(logit over all units)`` (n - 1 denominator) when ``std_caliper``.
    With ``ratio > 1`` and no replacement every treated unit gets its first control before any
    gets its second.

    Parameters
    ----------
    logit : linear predictor of the propensity model, one per unit.
    treated : boolean array.
    ids : unit identifiers (unique), reported in ``pairs``.
    caliper : width in SDs of the logit (``std_caliper=True``) or in logit units; None for none.
    ratio : controls per treated unit.
    replace : whether a control may be matched to several treated units.
    algorithm : ``"matchit-4.7.2"`` (default) or ``"matchit-4.5.5"``.

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
    if algorithm not in ALGORITHMS:
        raise AnalysisError(f"algorithm must be one of {ALGORITHMS}; got {algorithm!r}")
    width = None
    if caliper is not None:
        if not caliper > 0:
            raise AnalysisError(f"caliper must be positive or None; got {caliper}")
        width = float(caliper) * (float(np.std(d_in, ddof=1)) if std_caliper else 1.0)

    run = _links_472 if algorithm == "matchit-4.7.2" else _links_455
    links = run(d_in, t_in, np.inf if width is None else width, int(ratio), bool(replace))
    treated_rows = np.flatnonzero(t_in)

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
        matched_rows = [int(treated_rows[i]) for i, c in enumerate(links) if c]
        if algorithm == "matchit-4.7.2":
            # mm2subclassC: 1, 2, ... in the matched treated units' row order
            subclass_of = {row: s + 1 for s, row in enumerate(matched_rows)}
        else:
            # 4.5.5 mm2subclass: factor levels of the treated row numbers sorted as strings
            labels = sorted(str(row + 1) for row in matched_rows)
            subclass_of = {int(lab) - 1: s + 1 for s, lab in enumerate(labels)}
    rows = [(id_in[treated_rows[i]], id_in[c], abs(d_in[treated_rows[i]] - d_in[c]),
             subclass_of.get(treated_rows[i], pd.NA))
            for i, controls in enumerate(links) for c in controls]
    pairs = pd.DataFrame(rows, columns=["treated_id", "reference_id", "distance", "subclass"])
    pairs["subclass"] = pairs["subclass"].astype("Int64")
    return MatchResult(pairs=pairs, weights=weights, matched=weights > 0, caliper=width)
