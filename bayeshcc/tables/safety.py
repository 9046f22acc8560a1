"""Table 5: treatment-related adverse events, any grade and grade 3-4, per arm with p-values.

Each count is the number of patients with at least one event of that type; the p-value comes
from the 2 x 2 table (chi-square or Fisher's exact by the expected-count rule). Safety is
reported on the whole cohort, as the paper's Table 5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.cohort import Cohort
from bayeshcc.tables.tests import categorical_test

COLUMNS = ["adverse_event", "grade", "n_treated", "pct_treated", "n_reference", "pct_reference",
           "test", "p"]


def safety_table(cohort: Cohort) -> pd.DataFrame:
    """One row per adverse-event type and grade band (``any`` and ``3-4``)."""
    treated = cohort.treated
    rows = []
    for ae in cohort.spec.safety:
        for grade, column in (("any", ae.any_grade), ("3-4", ae.grade_3_4)):
            if column is None:
                continue
            hit = cohort.data[column].to_numpy(int) == 1
            nt, nr = int(hit[treated].sum()), int(hit[~treated].sum())
            table = np.array([[nt, nr], [treated.sum() - nt, (~treated).sum() - nr]])
            test = categorical_test(table)
            rows.append(dict(adverse_event=ae.name, grade=grade, n_treated=nt,
                             pct_treated=nt / treated.sum(), n_reference=nr,
                             pct_reference=nr / (~treated).sum(), test=test.test, p=test.p))
    return pd.DataFrame(rows, columns=COLUMNS)
