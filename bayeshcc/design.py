"""Design matrices: covariates of a cohort as numeric columns named as model terms.

Numeric covariates keep their column name; a categorical covariate becomes one 0/1 column per
non-reference level, named ``column[level]`` (R's treatment contrasts, e.g. ``ecog[2]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

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


@dataclass(frozen=True)
class ProfileDesign:
    """How the rows of a new table become a fit's treatment indicator and covariate terms.

    The encoder of a fitted cohort, kept with the fit so that a patient profile (a row with the
    treatment column and the model's covariates) is encoded as the analysed patients were:
    numeric covariates as numbers, a categorical covariate as one 0/1 column per non-reference
    level of the analysed patients (:func:`covariate_columns`).

    Attributes
    ----------
    treatment : str
        The treatment column.
    arms : tuple
        The treated and reference levels as the data hold them (e.g. ``1`` and ``0``).
    covariates : tuple of (str, str, tuple of str)
        The model's covariates in design order: name, kind (``"numeric"`` or
        ``"categorical"``) and, for a categorical one, its levels as text, reference first
        (empty for a numeric one). Empty for a fit without covariates in the model.
    """

    treatment: str
    arms: tuple[Any, Any]
    covariates: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a profile needs: the treatment column, then the covariates."""
        return (self.treatment,) + tuple(name for name, _, _ in self.covariates)

    @property
    def terms(self) -> tuple[str, ...]:
        """The design's column names, as :func:`covariate_columns` names them."""
        out: list[str] = []
        for name, kind, levels in self.covariates:
            out += [name] if kind == "numeric" else [f"{name}[{lvl}]" for lvl in levels[1:]]
        return tuple(out)

    def encode(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The treatment indicator and covariate terms of each row of ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per profile, with :attr:`columns` (other columns are ignored).

        Returns
        -------
        treated : numpy.ndarray
            1.0 for the treated arm, 0.0 for the reference arm (one per row).
        X : numpy.ndarray
            Rows x :attr:`terms`, on the original scale (not standardised).

        Raises
        ------
        AnalysisError
            A column is missing, or a value is not an arm, not a number or not a level the
            fitted patients had; the message names the column.
        """
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise AnalysisError(f"column {missing[0]!r} is not in the table of profiles; the fit "
                                "needs the columns: " + ", ".join(self.columns))
        treated = np.empty(len(frame))
        names = [str(a) for a in self.arms]
        for i, value in enumerate(frame[self.treatment]):
            if _same(value, self.arms[0]) or str(value) == names[0]:
                treated[i] = 1.0
            elif _same(value, self.arms[1]) or str(value) == names[1]:
                treated[i] = 0.0
            else:
                raise AnalysisError(f"column {self.treatment!r}: {value!r} is not one of the "
                                    f"fit's arms {list(self.arms)}")
        parts = []
        for name, kind, levels in self.covariates:
            values = frame[name]
            if kind == "numeric":
                numbers = pd.to_numeric(values, errors="coerce")
                bad = values[numbers.isna()]
                if len(bad):
                    raise AnalysisError(f"covariate column {name!r}: {bad.iloc[0]!r} is not a "
                                        "number")
                parts.append(numbers.to_numpy(float)[:, None])
                continue
            text = values.astype(str)
            unknown = [v for v in dict.fromkeys(text) if v not in levels]
            if unknown:
                raise AnalysisError(f"covariate column {name!r}: level {unknown[0]!r} is not one "
                                    f"of the fitted patients' levels {list(levels)}")
            parts.append(np.column_stack([(text == lvl).to_numpy(float) for lvl in levels[1:]]))
        X = np.hstack(parts) if parts else np.zeros((len(frame), 0))
        return treated, X

    def to_dict(self) -> dict:
        """A JSON-ready form (:meth:`from_dict` reads it back)."""
        return {"treatment": self.treatment, "arms": list(self.arms),
                "covariates": [[name, kind, list(levels)] for name, kind, levels in self.covariates]}

    @classmethod
    def from_dict(cls, data: dict) -> ProfileDesign:
        """The design written by :meth:`to_dict`."""
        return cls(str(data["treatment"]), tuple(data["arms"]),
                   tuple((str(n), str(k), tuple(str(v) for v in lv))
                         for n, k, lv in data["covariates"]))


def _same(value, level) -> bool:
    """Whether a table's value is the level (no error for values of another type)."""
    try:
        return bool(value == level)
    except (TypeError, ValueError):
        return False


def profile_design(cohort: Cohort, covariates: Sequence[str] = ()) -> ProfileDesign:
    """The :class:`ProfileDesign` of a fit of ``cohort`` (its analysed patients) with the
    named covariates in the model (none: the treatment alone)."""
    spec = cohort.spec
    parts = []
    for name in covariates:
        cov = spec.covariate(name)
        levels = (() if cov.kind == "numeric"
                  else tuple(levels_of(cohort.data[name], cov.reference)))
        parts.append((name, cov.kind, levels))
    return ProfileDesign(spec.data.treatment, (spec.data.treated, spec.data.reference),
                         tuple(parts))
