"""Bundled data sets.

``load_paper_cohort()`` returns the synthetic 126-patient cohort calibrated to the published
aggregates of the reference study (see ``README.md`` here): it is simulated, not patient data.
Its generator is ``bayeshcc.datasets.generator`` (not imported here, so that
``python -m bayeshcc.datasets.generator`` runs cleanly).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["PAPER_COHORT_CSV", "load_paper_cohort", "paper_cohort_path"]


def paper_cohort_path() -> Path:
    """Path of the shipped ``paper_cohort.csv`` (synthetic cohort, not patient data)."""
    return Path(str(resources.files("bayeshcc.datasets").joinpath("paper_cohort.csv")))


PAPER_COHORT_CSV = paper_cohort_path()


def load_paper_cohort() -> pd.DataFrame:
    """Read the bundled synthetic cohort calibrated to the reference study.

    Returns
    -------
    pandas.DataFrame
        126 rows (40 lenvatinib, 86 sorafenib); columns documented in
        ``bayeshcc/datasets/README.md``. Synthetic data, not patient data.

    Examples
    --------
    >>> from bayeshcc.datasets import load_paper_cohort
    >>> load_paper_cohort()["arm"].value_counts().to_dict()
    {'sorafenib': 86, 'lenvatinib': 40}
    """
    with resources.files("bayeshcc.datasets").joinpath("paper_cohort.csv").open("rb") as fh:
        return pd.read_csv(fh)
