"""Guyot's algorithm: individual patient data from one digitised Kaplan-Meier curve.

Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data:
reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
2012;12:9. This is a translation of the paper's R function (Additional file 1) with the
guards listed in :func:`reconstruct_arm`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class ArmIPD:
    """Reconstructed patients of one arm.

    Attributes
    ----------
    time, event : numpy.ndarray
        One entry per patient; ``event`` is 1 for an event, 0 for censoring.
    notes : tuple of str
        Where the reconstruction could not match the inputs exactly.
    """

    time: np.ndarray
    event: np.ndarray
    notes: tuple[str, ...]


def _round(x: float) -> int:
    """R's ``round`` (halves to even), as Guyot's code uses it."""
    return int(np.rint(x))


def _spread(t: np.ndarray, first: int, last: int, count: int) -> np.ndarray:
    """Censorings per bin when ``count`` are spread evenly over (t[first], t[last]).

    The censoring times are t[first] + j (t[last] - t[first]) / (count + 1), j = 1..count,
    counted in the bins (t[k], t[k+1]], k = first..last-1, as R ``hist(cen.t, breaks =
    t.S[first:last])$counts`` does.
    """
    bins = last - first
    if bins <= 0 or count <= 0:
        return np.zeros(max(bins, 0), dtype=int)
    a, b = t[first], t[last]
    times = a + np.arange(1, count + 1) * (b - a) / (count + 1)
    idx = np.searchsorted(t[first:last + 1], times, side="left") - 1
    return np.bincount(np.clip(idx, 0, bins - 1), minlength=bins)


def reconstruct_arm(t: np.ndarray, s: np.ndarray, t_risk: np.ndarray,
                    n_risk: np.ndarray, total_events: int | None = None) -> ArmIPD:
    """Reconstruct the patients of one arm from its curve and numbers at risk.

    Between consecutive at-risk times t_i and t_{i+1} the number censored c_i is first
    guessed as round(n_i S(t_{i+1}) / S(t_i) - n_{i+1}); the c_i censorings are spread
    evenly over the interval; at each digitised point k the events are

    .. math:: d_k = \\mathrm{round}\\bigl(\\hat n_k (1 - S_k / \\hat S_{last})\\bigr),
              \\quad \\hat S_k = \\hat S_{last} (1 - d_k / \\hat n_k),
              \\quad \\hat n_{k+1} = \\hat n_k - d_k - c_k,

    where ``last`` is the previous point with an event; c_i is then changed by
    \\hat n(t_{i+1}) - n_{i+1} and the interval recomputed until the number at risk at
    t_{i+1} matches. After the last at-risk time the censoring rate is the average of the
    earlier intervals; if ``total_events`` is given the number censored there is changed
    until the total number of events matches (if the earlier intervals already hold that
    many events, the last interval gets no events and no censoring). Patients still at
    risk at the end are censored at the last digitised time; censorings are placed at the
    midpoint between the two digitised points that bracket them. R equivalent: the
    function in Additional file 1 of Guyot et al. (2012); ``IPDfromKM::getIPD``.

    Guards added to the published code: events at a point are kept within [0, \\hat n_k];
    nothing happens at a point with nobody at risk; the number at risk never goes below 0;
    each adjustment loop stops after 1000 passes; and the number at risk at t_{i+1} is
    set to the value reached (so that the patient count stays exact) and a note says so.

    Parameters
    ----------
    t, s : numpy.ndarray
        Cleaned digitised points of the arm: t[0] = 0, s[0] = 1, t non-decreasing, s
        non-increasing, and a point at every at-risk time.
    t_risk, n_risk : numpy.ndarray
        At-risk times (t_risk[0] = 0, strictly increasing, none after t[-1]) and numbers.
    total_events : int, optional
        Total events reported for the arm.

    Returns
    -------
    ArmIPD
        n_risk[0] patients.
    """
    t = np.asarray(t, dtype=float)
    s = np.asarray(s, dtype=float)
    n_risk = np.asarray(n_risk, dtype=int).copy()
    n_t = t.size
    m = n_risk.size
    lower = np.searchsorted(t, np.asarray(t_risk, dtype=float), side="left")
    upper = np.append(lower[1:] - 1, n_t - 1)
    notes: list[str] = []

    n_cens = np.zeros(m, dtype=int)
    n_hat = np.full(n_t + 1, n_risk[0] + 1, dtype=int)
    cen = np.zeros(n_t, dtype=int)
    d = np.zeros(n_t, dtype=int)
    km = np.ones(n_t)
    last_i = np.zeros(m, dtype=int)

    def events_pass(i: int) -> int:
        n_hat[lower[i]] = n_risk[i]
        last = last_i[i]
        for k in range(lower[i], upper[i] + 1):
            if k == 0:
                d[k], km[k] = 0, 1.0
            elif n_hat[k] > 0 and km[last] > 0:
                d[k] = min(max(_round(n_hat[k] * (1 - s[k] / km[last])), 0), n_hat[k])
                km[k] = km[last] * (1 - d[k] / n_hat[k])
            else:
                d[k], km[k] = 0, km[last]
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if n_hat[k + 1] < 0:
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
            if d[k] != 0:
                last = k
        return last

    for i in range(m - 1):
        lo, up, nxt = lower[i], upper[i], lower[i + 1]
        ratio = s[nxt] / s[lo] if s[lo] > 0 else 0.0
        n_cens[i] = _round(n_risk[i] * ratio - n_risk[i + 1])
        last = last_i[i]
        for _ in range(MAX_ITERATIONS):
            if n_cens[i] <= 0:
                cen[lo:up + 1] = 0
                n_cens[i] = 0
            else:
                cen[lo:up + 1] = _spread(t, lo, nxt, n_cens[i])
            last = events_pass(i)
            diff = n_hat[nxt] - n_risk[i + 1]
            n_cens[i] += diff
            if not (diff > 0 or (diff < 0 and n_cens[i] > 0)):
                break
        if n_hat[nxt] != n_risk[i + 1]:
            notes.append(f"at time {t[nxt]:g} the reconstruction has {n_hat[nxt]} at risk "
                         f"against {n_risk[i + 1]} reported (the curve drops too much or "
                         f"too little for the numbers at risk); continued from "
                         f"{n_hat[nxt]}")
            n_risk[i + 1] = n_hat[nxt]
        last_i[i + 1] = last

    i = m - 1
    lo, up = lower[i], upper[i]
    if m > 1:
        span = t[upper[m - 2]] - t[lower[0]]
        rate = n_cens[:m - 1].sum() * (t[up] - t[lo]) / span if span > 0 else 0.0
        n_cens[i] = min(_round(rate), n_risk[i])
    if n_cens[i] <= 0 or up == lo:
        n_cens[i] = 0
    cen[lo:up] = _spread(t, lo, up, n_cens[i])
    events_pass(i)

    if total_events is not None:
        before = int(d[:upper[m - 2] + 1].sum()) if m > 1 else 0
        if m > 1 and before >= total_events:
            d[lo:up + 1] = 0
            cen[lo:up] = 0
            n_hat[lo + 1:up + 2] = n_risk[i]
            if before > total_events:
                notes.append(f"{before} events reconstructed before time {t[lo]:g}, more "
                             f"than the {total_events} reported in total")
        else:
            total = int(d[:up + 1].sum())
            for _ in range(MAX_ITERATIONS):
                if not (total > total_events or (total < total_events and n_cens[i] > 0)):
                    break
                if up == lo:
                    break
                n_cens[i] += total - total_events
                if n_cens[i] <= 0:
                    n_cens[i] = 0
                cen[lo:up] = _spread(t, lo, up, n_cens[i])
                events_pass(i)
                total = int(d[:up + 1].sum())
            if total != total_events:
                notes.append(f"{total} events reconstructed against {total_events} "
                             f"reported in total")

    remaining = int(n_hat[up + 1])
    time = np.concatenate([np.repeat(t, d), np.repeat((t[:-1] + t[1:]) / 2, cen[:-1]),
                           np.full(remaining, t[-1])])
    event = np.concatenate([np.ones(int(d.sum()), dtype=int),
                            np.zeros(int(cen[:-1].sum()) + remaining, dtype=int)])
    return ArmIPD(time, event, tuple(notes))
