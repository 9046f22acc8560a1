"""Table 1: baseline characteristics per arm, with a test p-value and a standardized difference.

Numeric covariates are summarised as mean (SD) with Student's t-test when both arms look normal,
otherwise as median [IQR] with the Mann-Whitney test; 0/1 covariates and categorical covariates
as n (%) with chi-square or Fisher's exact test (see :mod:`bayeshcc.tables.tests`). The
standardized mean difference here is Table 1's usual pooled one,
``(mean_t - mean_r) / sqrt((var_t + var_r) / 2)`` (per level for categorical covariates);
``balance.csv`` carries MatchIt's definition.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.design import levels_of
from bayeshcc.populations import Population
from bayeshcc.tables.tests import categorical_test, continuous_test, looks_normal

COLUMNS = ["cohort", "variable", "label", "level", "statistic", "summary_treated",
           "summary_reference", "value_treated", "value_reference", "n_treated", "n_reference",
           "test", "p", "smd"]


def pooled_smd(treated: np.ndarray, reference: np.ndarray) -> float:
    """(mean_t - mean_r) / sqrt((var_t + var_r) / 2), sample variances; NaN if both are 0."""
    spread = np.sqrt((np.var(treated, ddof=1) + np.var(reference, ddof=1)) / 2)
    return float((np.mean(treated) - np.mean(reference)) / spread) if spread > 0 else float("nan")


def _is_binary(values: pd.Series) -> bool:
    return set(values.dropna().unique()) <= {0, 1}


def _numeric_rows(pop: str, name: str, label: str, t: np.ndarray, r: np.ndarray) -> list[dict]:
    normal = looks_normal(t) and looks_normal(r)
    result = continuous_test(t, r, normal)
    if normal:
        stat, vt, vr = "mean (SD)", np.mean(t), np.mean(r)
        st, sr = (f"{np.mean(x):.1f} ({np.std(x, ddof=1):.1f})" for x in (t, r))
    else:
        stat, vt, vr = "median [IQR]", np.median(t), np.median(r)
        st, sr = (f"{np.median(x):.1f} [{np.percentile(x, 25):.1f}, {np.percentile(x, 75):.1f}]"
                  for x in (t, r))
    return [dict(cohort=pop, variable=name, label=label, level="", statistic=stat,
                 summary_treated=st, summary_reference=sr, value_treated=float(vt),
                 value_reference=float(vr), n_treated=len(t), n_reference=len(r),
                 test=result.test, p=result.p, smd=pooled_smd(t, r))]


def _count(x: np.ndarray) -> str:
    return f"{int(x.sum())} ({100 * x.mean():.1f}%)"


def _categorical_rows(pop: str, name: str, label: str, t: pd.Series, r: pd.Series,
                      levels: Sequence[str], binary: bool) -> list[dict]:
    t, r = t.astype(str), r.astype(str)
    table = np.array([[(t == lvl).sum(), (r == lvl).sum()] for lvl in levels])
    result = categorical_test(table)
    shown = levels[1:] if binary else levels
    rows = []
    for lvl in shown:
        xt, xr = (t == lvl).to_numpy(float), (r == lvl).to_numpy(float)
        rows.append(dict(cohort=pop, variable=name, label=label, level="" if binary else lvl,
                         statistic="n (%)", summary_treated=_count(xt), summary_reference=_count(xr),
                         value_treated=xt.mean(), value_reference=xr.mean(), n_treated=len(xt),
                         n_reference=len(xr), test=result.test, p=result.p,
                         smd=pooled_smd(xt, xr)))
    return rows


def baseline_table(populations: Sequence[Population], variables: Sequence[str]) -> pd.DataFrame:
    """Table 1 for each unweighted population (the whole and the matched cohort).

    Parameters
    ----------
    populations : sequence of Population
        Weighted populations are skipped (their balance is in ``balance.csv``).
    variables : sequence of str
        Covariates declared in the spec, in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``; one row per numeric or 0/1 variable, one per level otherwise.
    """
    rows: list[dict] = []
    for pop in populations:
        if pop.is_weighted:
            continue
        data, treated = pop.cohort.data, pop.cohort.treated
        for name in variables:
            cov = pop.cohort.spec.covariate(name)
            values = data[name]
            if cov.kind == "numeric" and not _is_binary(values):
                x = values.to_numpy(float)
                rows += _numeric_rows(pop.name, name, cov.label, x[treated], x[~treated])
                continue
            binary = cov.kind == "numeric"
            levels = ["0", "1"] if binary else levels_of(values, cov.reference)
            text = values.astype(int) if binary else values
            rows += _categorical_rows(pop.name, name, cov.label, text[treated], text[~treated],
                                      levels, binary)
    return pd.DataFrame(rows, columns=COLUMNS)
