"""Shared checks of the (time, event, group, weights) arrays every frequentist function takes."""

from __future__ import annotations

import numpy as np

from bayeshcc.errors import AnalysisError


def _as_float(values, name):
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name} must be numeric: {exc}") from None
    if np.isnan(arr).any():
        rows = np.flatnonzero(np.isnan(arr))[:5].tolist()
        raise AnalysisError(f"{name} has missing values (rows {rows}); drop or impute them first")
    return arr


def check_survival_inputs(time, event, weights=None):
    """Return float arrays (time, event, weights) after checking lengths and values."""
    time = _as_float(time, "time")
    event = _as_float(event, "event")
    if time.size == 0:
        raise AnalysisError("time is empty: there is nothing to analyse")
    if event.size != time.size:
        raise AnalysisError(f"event has {event.size} values but time has {time.size}")
    if not np.isin(event, (0.0, 1.0)).all():
        bad = np.unique(event[~np.isin(event, (0.0, 1.0))])[:5].tolist()
        raise AnalysisError(f"event must be 0 (censored) or 1 (event), found {bad}")
    if np.isinf(time).any() or (time < 0).any():
        raise AnalysisError("time must be finite and >= 0; found negative or infinite times")
    if weights is None:
        weights = np.ones(time.size)
    else:
        weights = _as_float(weights, "weights")
        if weights.size != time.size:
            raise AnalysisError(f"weights has {weights.size} values but time has {time.size}")
        if np.isinf(weights).any() or (weights < 0).any():
            raise AnalysisError("weights must be finite and >= 0")
    return time, event, weights


def check_group(group, n):
    """Return ``group`` as a boolean array of length n with both values present."""
    group = np.asarray(group).ravel()
    if group.size != n:
        raise AnalysisError(f"group has {group.size} values but time has {n}")
    if group.dtype != bool:
        values = np.unique(group)
        if not np.isin(values, (0, 1)).all():
            raise AnalysisError(f"group must be boolean (True = treated), found {values[:5].tolist()}")
        group = group.astype(bool)
    if group.all() or not group.any():
        raise AnalysisError("group has only one arm; a comparison needs treated and reference rows")
    return group
