"""Bundled data sets.

``load_paper_cohort()`` returns the synthetic 126-patient cohort calibrated to the published
aggregates of the reference study: it is simulated, not patient data. It belongs to the study
(:mod:`bayeshcc.studies.hcc2024`, whose ``README.md`` documents it and whose ``generator``
module makes it); this module is where users find it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bayeshcc.studies import hcc2024

__all__ = ["PAPER_COHORT_CSV", "load_paper_cohort", "paper_cohort_path"]


def paper_cohort_path() -> Path:
    """Path of the shipped ``paper_cohort.csv`` (synthetic cohort, not patient data)."""
    return hcc2024.cohort_path()


PAPER_COHORT_CSV = paper_cohort_path()


def load_paper_cohort() -> pd.DataFrame:
    """Read the bundled synthetic cohort calibrated to the reference study.

    Returns
    -------
    pandas.DataFrame
        126 rows (40 lenvatinib, 86 sorafenib); columns documented in
        ``bayeshcc/studies/hcc2024/README.md``. Synthetic data, not patient data.

    Examples
    --------
    >>> from bayeshcc.datasets import load_paper_cohort
    >>> load_paper_cohort()["arm"].value_counts().to_dict()
    {'sorafenib': 86, 'lenvatinib': 40}
    """
    return hcc2024.load_cohort()
