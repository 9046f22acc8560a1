"""Cox partial likelihood (Efron or Breslow ties, case weights) and its score residuals.

The arithmetic follows R survival's ``coxfit6`` and ``coxscore2``: each distinct event
time with ``nd`` deaths is split into ``nd`` Efron sub-steps k = 0..nd-1 in which the
dying subjects carry a fraction ``1 - k/nd`` of their risk; every sub-step has weight
``deadwt / nd`` (the mean case weight of the deaths). Breslow has one sub-step of weight
``deadwt`` with all deaths fully at risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RiskSets:
    """Data sorted by time, with the Efron/Breslow sub-steps of every event time."""

    time: np.ndarray       # sorted times
    event: np.ndarray      # sorted event indicators
    weights: np.ndarray    # sorted case weights
    x: np.ndarray          # sorted covariates (n, p), centred
    order: np.ndarray      # original row of each sorted row
    first: np.ndarray      # per sorted row: first sorted row with the same time
    step_time: np.ndarray  # per sub-step: index of its distinct event time
    step_frac: np.ndarray  # per sub-step: k / nd (0 for Breslow)
    step_wt: np.ndarray    # per sub-step: deadwt / nd (deadwt for Breslow)
    step_start: np.ndarray  # per sub-step: first sorted row of its time


def risk_sets(time, event, weights, x, ties):
    """Sort the data and lay out the sub-steps of each distinct event time."""
    order = np.argsort(time, kind="stable")
    time, event, weights, x = time[order], event[order], weights[order], x[order]
    x = x - np.average(x, axis=0, weights=weights) if weights.sum() > 0 else x
    first = np.searchsorted(time, time, side="left")
    ev_rows = np.flatnonzero(event == 1)
    ev_start, counts = np.unique(first[ev_rows], return_counts=True)
    deadwt = np.bincount(np.searchsorted(ev_start, first[ev_rows]),
                         weights=weights[ev_rows], minlength=ev_start.size)
    if ties == "efron":
        reps = counts
        k = np.concatenate([np.arange(c) for c in counts]) if counts.size else np.zeros(0)
        frac = k / np.repeat(counts, counts)
        wt = np.repeat(deadwt / counts, counts)
    else:
        reps = np.ones_like(counts)
        frac = np.zeros(counts.size)
        wt = deadwt
    step_time = np.repeat(np.arange(ev_start.size), reps)
    return RiskSets(time, event, weights, x, order, first, step_time, frac, wt,
                    np.repeat(ev_start, reps))


def _sums(rs, beta):
    """Risk-set sums S0, S1, S2 and the deaths' sums A0, A1, A2 per sub-step."""
    eta = rs.x @ beta
    r = rs.weights * np.exp(eta)
    xr = rs.x * r[:, None]
    xxr = rs.x[:, :, None] * xr[:, None, :]

    def tail(values):  # sum over rows with time >= the sub-step's time
        c = np.cumsum(values[::-1], axis=0)[::-1]
        return c[rs.step_start]

    dead = rs.event[:, None]

    def deaths(values):  # sum over the deaths at the sub-step's time
        block = np.zeros((rs.time.size + 1,) + values.shape[1:])
        block[1:] = np.cumsum(values * dead.reshape((-1,) + (1,) * (values.ndim - 1)), axis=0)
        end = np.searchsorted(rs.time, rs.time[rs.step_start], side="right")
        return block[end] - block[rs.step_start]

    f = rs.step_frac
    s0 = tail(r) - f * deaths(r)
    s1 = tail(xr) - f[:, None] * deaths(xr)
    s2 = tail(xxr) - f[:, None, None] * deaths(xxr)
    return eta, s0, s1, s2


def loglik_score_information(rs, beta):
    """Log partial likelihood, score vector and information matrix at ``beta``."""
    eta, s0, s1, s2 = _sums(rs, beta)
    w = rs.step_wt
    dead = rs.event == 1
    mean = s1 / s0[:, None]
    loglik = np.sum(rs.weights[dead] * eta[dead]) - np.sum(w * np.log(s0))
    score = (rs.weights[dead, None] * rs.x[dead]).sum(axis=0) - (w[:, None] * mean).sum(axis=0)
    info = np.einsum("k,kij->ij", w, s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :])
    return float(loglik), score, info


def score_residuals(rs, beta):
    """Unweighted score residuals in the original row order (R ``residuals(fit, "score")``).

    .. math:: L_i = \\delta_i (x_i - \\bar x_i) - \\sum_{k:\\, t_k \\le t_i} c_{ik}\\,
              e^{\\eta_i} (x_i - \\bar x_k)\\, w_k / S_{0k}

    where c_ik = 1 - k/nd for a subject dying at the sub-step's time (Efron) and 1 otherwise,
    and the event term uses the mean of x-bar over its time's sub-steps.
    """
    eta, s0, s1, _ = _sums(rs, beta)
    risk = np.exp(eta)
    mean = s1 / s0[:, None]
    haz = rs.step_wt / s0
    n_times = rs.step_time.max() + 1 if rs.step_time.size else 0
    dlam = np.bincount(rs.step_time, weights=haz, minlength=n_times)
    dmx = np.stack([np.bincount(rs.step_time, weights=haz * mean[:, j], minlength=n_times)
                    for j in range(mean.shape[1])], axis=1) if n_times else np.zeros((0, mean.shape[1]))
    # cumulative over distinct event times up to and including each row's time
    time_of_event = rs.time[np.unique(rs.step_start)]
    upto = np.searchsorted(time_of_event, rs.time, side="right")
    cum_lam = np.concatenate([[0.0], np.cumsum(dlam)])[upto]
    cum_mx = np.vstack([np.zeros((1, mean.shape[1])), np.cumsum(dmx, axis=0)])[upto]
    resid = -risk[:, None] * (rs.x * cum_lam[:, None] - cum_mx)
    dead = np.flatnonzero(rs.event == 1)
    if dead.size:
        t_idx = np.searchsorted(time_of_event, rs.time[dead])
        nsub = np.bincount(rs.step_time, minlength=n_times)
        xbar_event = np.stack([np.bincount(rs.step_time, weights=mean[:, j], minlength=n_times)
                               for j in range(mean.shape[1])], axis=1) / nsub[:, None]
        # a dying subject is at risk only for the fraction (1 - k/nd) of each sub-step
        frac_lam = np.bincount(rs.step_time, weights=haz * rs.step_frac, minlength=n_times)
        frac_mx = np.stack([np.bincount(rs.step_time, weights=haz * rs.step_frac * mean[:, j],
                                        minlength=n_times) for j in range(mean.shape[1])], axis=1)
        correction = risk[dead, None] * (rs.x[dead] * frac_lam[t_idx, None] - frac_mx[t_idx])
        resid[dead] += correction + rs.x[dead] - xbar_event[t_idx]
    out = np.empty_like(resid)
    out[rs.order] = resid
    return out
