"""Design matrices: covariates of a cohort as numeric columns named as model terms.

Numeric covariates keep their column name; a categorical covariate becomes one 0/1 column per
non-reference level, named ``column[level]`` (R's treatment contrasts, e.g. ``ecog[2]``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.cohort import Cohort
from bayeshcc.errors import AnalysisError
from bayeshcc.spec import CovariateSpec


def levels_of(values: pd.Series, reference=None) -> list[str]:
    """The levels of a categorical column as text, the reference level first.

    Without a declared reference the first level in sorted order is the reference (numerically
    sorted when every level is a number, as R sorts factor levels of a numeric column).
    """
    text = values.astype(str)
    unique = list(dict.fromkeys(text))
    try:
        unique.sort(key=float)
    except ValueError:
        unique.sort()
    if reference is not None:
        unique.remove(str(reference))
        unique.insert(0, str(reference))
    return unique


def covariate_columns(data: pd.DataFrame, cov: CovariateSpec) -> pd.DataFrame:
    """The design columns of one covariate (see module docstring)."""
    values = data[cov.name]
    if cov.kind == "numeric":
        column = values.astype(float)
        if column.nunique() < 2:
            raise AnalysisError(f"covariate {cov.name!r} has a single value ({column.iloc[0]:g}) "
                                "in the analysed patients; drop it from the model")
        return pd.DataFrame({cov.name: column.to_numpy()}, index=data.index)
    levels = levels_of(values, cov.reference)
    if len(levels) < 2:
        raise AnalysisError(f"categorical covariate {cov.name!r} has a single level "
                            f"({levels[0]!r}) in the analysed patients; drop it from the model")
    text = values.astype(str)
    return pd.DataFrame({f"{cov.name}[{lvl}]": (text == lvl).astype(float).to_numpy()
                         for lvl in levels[1:]}, index=data.index)


def design_matrix(cohort: Cohort, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric design matrix of the named covariates (no intercept, no treatment column).

    Parameters
    ----------
    cohort : Cohort
    covariates : sequence of str
        Column names declared under ``[covariates]`` in the spec.

    Returns
    -------
    pandas.DataFrame
        One row per patient (cohort order), one column per term.
    """
    parts = [covariate_columns(cohort.data, cohort.spec.covariate(name)) for name in covariates]
    if not parts:
        return pd.DataFrame(index=cohort.data.index)
    return pd.concat(parts, axis=1)


def treatment_indicator(cohort: Cohort) -> np.ndarray:
    """1.0 for the treated arm, 0.0 for the reference arm."""
    return cohort.treated.astype(float)
