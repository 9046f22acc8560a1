"""How well reconstructed patients reproduce the digitised curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

QUALITY_COLUMNS = ("arm", "n_patients", "n_events", "rmse", "max_abs_diff", "median")


def km_steps(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate at its event times.

    .. math:: \\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)

    with d_j events and n_j patients at risk (time >= t_j) at event time t_j; R
    ``survfit(Surv(time, event) ~ 1)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Distinct event times and the survival just after each.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=int)
    times = np.unique(time[event == 1])
    at_risk = time.size - np.searchsorted(np.sort(time), times, side="left")
    deaths = np.array([np.sum((time == u) & (event == 1)) for u in times], dtype=float)
    return times, np.cumprod(1 - deaths / at_risk)


def km_at(times: np.ndarray, surv: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Right-continuous Kaplan-Meier step function evaluated at ``x``."""
    idx = np.searchsorted(times, np.asarray(x, dtype=float), side="right") - 1
    return np.where(idx >= 0, surv[np.maximum(idx, 0)], 1.0)


def km_quantile(times: np.ndarray, surv: np.ndarray, p: float = 0.5) -> float:
    """Smallest time at which survival is at or below ``1 - p`` (NaN if never).

    For p = 0.5 this is the median as lifelines reports it; R ``survfit`` differs only
    when the curve is flat at exactly 0.5 (it then takes the midpoint of the flat part).
    """
    below = np.flatnonzero(surv <= 1 - p + 1e-12)
    return float(times[below[0]]) if below.size else float("nan")


def quality_table(ipd: pd.DataFrame, digitized: pd.DataFrame) -> pd.DataFrame:
    """Compare each arm's reconstructed Kaplan-Meier curve with its digitised points.

    Parameters
    ----------
    ipd : pandas.DataFrame
        ``arm,time,event``, one row per reconstructed patient.
    digitized : pandas.DataFrame
        Cleaned points ``arm,time,survival``.

    Returns
    -------
    pandas.DataFrame
        One row per arm: ``n_patients``, ``n_events``, ``rmse`` and ``max_abs_diff`` of
        the reconstructed curve at the digitised times against the digitised survival,
        and the reconstructed ``median`` (NaN when not reached).
    """
    rows = []
    for arm in dict.fromkeys(digitized["arm"]):
        patients = ipd.loc[ipd["arm"] == arm]
        points = digitized.loc[digitized["arm"] == arm]
        times, surv = km_steps(patients["time"].to_numpy(), patients["event"].to_numpy())
        diff = km_at(times, surv, points["time"].to_numpy()) - points["survival"].to_numpy()
        rows.append({"arm": arm, "n_patients": len(patients),
                     "n_events": int(patients["event"].sum()),
                     "rmse": float(np.sqrt(np.mean(diff ** 2))),
                     "max_abs_diff": float(np.max(np.abs(diff))),
                     "median": km_quantile(times, surv, 0.5)})
    return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))
