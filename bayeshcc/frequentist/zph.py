"""Test of proportional hazards from scaled Schoenfeld residuals, as R ``cox.zph`` (survival >= 3.0)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist._partial_likelihood import _sums, risk_sets
from bayeshcc.frequentist.cox import CoxFit
from bayeshcc.frequentist.km import kaplan_meier

TRANSFORMS = ("km", "identity", "rank", "log")


def _transform_times(time, event, transform):
    """g(t) before centring, as cox.zph: "km" is 1 - S(t-) of the unweighted KM of all rows."""
    if transform == "km":
        curve = kaplan_meier(time, event)
        idx = np.searchsorted(curve.time, time, side="left")  # number of curve times < t
        return 1.0 - np.concatenate([[1.0], curve.survival])[idx]
    if transform == "identity":
        return time.astype(float)
    if transform == "rank":
        return stats.rankdata(time)
    if transform == "log":
        return np.log(time)
    raise AnalysisError(f"transform must be one of {TRANSFORMS}, found {transform!r}")


def cox_zph(fit: CoxFit, transform="km", terms=None):
    """Score test of beta(t) = beta + theta g(t) for each term and globally, as R ``cox.zph``.

    At the fitted beta the model is augmented with the covariates x g(t), centred so that
    g has mean zero over the event times. With the information matrix I of (x, x g) and
    the score u of the added columns, each term's statistic is

    .. math:: T = (0, u_{term})^\\top\\, I_{(x,\\,x_{term} g)}^{-1}\\, (0, u_{term})

    on as many degrees of freedom as the term has columns; GLOBAL uses all columns.
    Ties and case weights are those of the fit; the robust variance is not used (as in R).

    Parameters
    ----------
    fit : CoxFit
        Result of :func:`bayeshcc.frequentist.cox.fit_cox`.
    transform : {"km", "identity", "rank", "log"}
        Time scale g(t) (R ``transform``).
    terms : dict of str to list of str, optional
        Groups of columns tested together (R ``terms = TRUE`` for a factor's dummy
        columns), e.g. ``{"child_pugh": ["child_pugh[B]", "child_pugh[C]"]}``. Columns not
        named in any group are tested on their own. Default: every column on its own
        (R ``terms = FALSE``).

    Returns
    -------
    pandas.DataFrame
        Columns term, chisq, df, p; one row per term then a ``GLOBAL`` row.
    """
    groups = _groups(fit.terms, terms)
    gtime = _transform_times(fit.time, fit.event, transform)
    gtime = gtime - gtime[fit.event == 1].mean()
    rs = risk_sets(fit.time, fit.event, fit.weights, fit.x, fit.ties)
    _, s0, s1, s2 = _sums(rs, fit.coef)
    mean = s1 / s0[:, None]
    cov = s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    g_sorted = gtime[rs.order]
    g_step = g_sorted[rs.step_start]
    w = rs.step_wt
    dead = rs.event == 1
    u2 = (rs.weights[dead, None] * g_sorted[dead, None] * rs.x[dead]).sum(axis=0) \
        - (w[:, None] * g_step[:, None] * mean).sum(axis=0)
    i11 = np.einsum("k,kij->ij", w, cov)
    i12 = np.einsum("k,kij->ij", w * g_step, cov)
    i22 = np.einsum("k,kij->ij", w * g_step**2, cov)
    imat = np.block([[i11, i12], [i12, i22]])
    p = fit.coef.size
    rows = []
    for name, cols in list(groups.items()) + [("GLOBAL", list(range(p)))]:
        kk = list(range(p)) + [p + j for j in cols]
        u = np.concatenate([np.zeros(p), u2[cols]])
        chisq = float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u))
        rows.append((name, chisq, len(cols), float(stats.chi2.sf(chisq, len(cols)))))
    return pd.DataFrame(rows, columns=["term", "chisq", "df", "p"])


def _groups(columns, terms):
    """Map each tested term to the positions of its columns."""
    index = {c: j for j, c in enumerate(columns)}
    terms = terms or {}
    unknown = sorted({c for cols in terms.values() for c in cols} - set(index))
    if unknown:
        raise AnalysisError(f"terms names columns {unknown} that are not in the fit ({list(columns)})")
    grouped = {c for cols in terms.values() for c in cols}
    out, seen = {}, set()
    for c in columns:
        if c in grouped:
            name = next(n for n, cols in terms.items() if c in cols)
            if name not in seen:
                out[name] = [index[k] for k in terms[name]]
                seen.add(name)
        else:
            out[c] = [index[c]]
    return out
