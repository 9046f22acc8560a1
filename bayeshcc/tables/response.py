"""Table 2: best overall response (RECIST 1.1) per arm, objective response and disease control.

ORR = (CR + PR) / n and DCR = (CR + PR + SD) / n, with n the patients in the arm (patients
without an evaluable response count in n and in none of the levels, as papers report them);
the p-value for each rate comes from the 2 x 2 table (chi-square or Fisher's exact by the
expected-count rule, :mod:`bayeshcc.tables.tests`); the row of a single level has the p of the
whole level-by-arm table.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.populations import Population
from bayeshcc.spec import ResponseSpec
from bayeshcc.tables.tests import categorical_test

COLUMNS = ["cohort", "measure", "n_treated", "pct_treated", "n_reference", "pct_reference",
           "total_treated", "total_reference", "test", "p"]

RATES = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}


def _row(pop: str, measure: str, hit: pd.Series, treated: np.ndarray, test) -> dict:
    nt, nr = int(hit[treated].sum()), int(hit[~treated].sum())
    tt, tr = int(treated.sum()), int((~treated).sum())
    return dict(cohort=pop, measure=measure, n_treated=nt, pct_treated=nt / tt, n_reference=nr,
                pct_reference=nr / tr, total_treated=tt, total_reference=tr,
                test=test.test, p=test.p)


def response_table(populations: Sequence[Population], spec: ResponseSpec) -> pd.DataFrame:
    """Table 2 for each unweighted population: one row per level, then ORR and DCR."""
    rows = []
    for pop in populations:
        if pop.is_weighted:
            continue
        response = pop.cohort.data[spec.column].astype("string")
        treated = pop.cohort.treated
        by_level = np.array([[(response[treated] == lvl).sum(), (response[~treated] == lvl).sum()]
                             for lvl in spec.levels])
        overall = categorical_test(by_level)
        for level in spec.levels:
            rows.append(_row(pop.name, level, (response == level).fillna(False), treated, overall))
        for rate, levels in RATES.items():
            hit = response.isin(levels).fillna(False)
            table = np.array([[hit[treated].sum(), hit[~treated].sum()],
                              [(~hit[treated]).sum(), (~hit[~treated]).sum()]])
            rows.append(_row(pop.name, rate, hit, treated, categorical_test(table)))
    return pd.DataFrame(rows, columns=COLUMNS)
