"""The reference study: second-line lenvatinib vs sorafenib after atezolizumab+bevacizumab
failure in advanced hepatocellular carcinoma (Clin Mol Hepatol 2024;30:345-359).

Its analysis spec (``paper.toml``), its published figures (``targets.toml``, a copy of the
project's ``shared/paper/targets.toml``), the synthetic cohort calibrated to them
(``paper_cohort.csv``, see ``README.md`` here: simulated, not patient data), the cohort's
generator (:mod:`bayeshcc.studies.hcc2024.generator`, not imported here so that
``python -m bayeshcc.studies.hcc2024.generator`` runs cleanly) and the table of published
figures beside the reproduction's (:mod:`bayeshcc.studies.hcc2024.comparison`).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["cohort_path", "load_cohort", "load_targets", "spec_path"]


def _file(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(name)))


def spec_path() -> Path:
    """Path of the study's analysis spec (``paper.toml``)."""
    return _file("paper.toml")


def cohort_path() -> Path:
    """Path of the bundled synthetic cohort (``paper_cohort.csv``; not patient data)."""
    return _file("paper_cohort.csv")


def load_cohort() -> pd.DataFrame:
    """The bundled synthetic cohort: 126 rows (40 lenvatinib, 86 sorafenib), columns
    documented in this folder's ``README.md``. Synthetic data, not patient data."""
    with resources.files(__name__).joinpath("paper_cohort.csv").open("rb") as fh:
        return pd.read_csv(fh)


def load_targets() -> dict[str, Any]:
    """The published figures of the study (``targets.toml``)."""
    return tomllib.loads(resources.files(__name__).joinpath("targets.toml").read_text("utf-8"))
