"""Cohort: a validated, typed copy of a data table read through an analysis spec.

Every path into bayeshcc (CLI, Python API, notebooks) goes through :meth:`Cohort.from_file` or
:meth:`Cohort.from_dataframe`, so every check runs once and in one place. Each problem raises
one :class:`~bayeshcc.errors.CohortError` whose message names the column, the first offending
rows (by id) and the fix. The caller's DataFrame and files are never modified.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.errors import CohortError
from bayeshcc.spec import AnalysisSpec, OutcomeSpec

_SHOWN = 5  # how many offending rows a message lists
ID = "_bayeshcc_id"  # the column of ``Cohort.data`` holding patient ids


@dataclass(frozen=True)
class Cohort:
    """A validated analysis table.

    Attributes
    ----------
    data : pandas.DataFrame
        A private copy of the input plus a column ``ID`` (the patient ids), times as floats,
        events as 0/1 integers. Do not modify it.
    spec : AnalysisSpec
    source : str
        The file the data came from, or ``"<DataFrame>"``.
    sha256 : str or None
        Hash of the input file's bytes (None for a DataFrame).
    dropped_ids : tuple
        Ids of rows dropped for missing values (only with ``[data] missing = "drop"``).
    """

    data: pd.DataFrame
    spec: AnalysisSpec
    source: str
    sha256: str | None
    dropped_ids: tuple = ()

    # --- construction ------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, spec: AnalysisSpec) -> "Cohort":
        """Read a CSV, Parquet or Excel (.xlsx) file and validate it against ``spec``."""
        path = Path(path)
        table = read_table(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls.from_dataframe(table, spec, source=str(path), sha256=digest)

    @classmethod
    def from_dataframe(cls, frame: pd.DataFrame, spec: AnalysisSpec, source: str = "<DataFrame>",
                       sha256: str | None = None) -> "Cohort":
        """Validate a pandas DataFrame against ``spec`` (the frame itself is not modified)."""
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
        data, dropped = _validated(frame.copy(deep=True), spec, source)
        return cls(data=data, spec=spec, source=source, sha256=sha256, dropped_ids=dropped)

    # --- views -------------------------------------------------------------------------
    @property
    def ids(self) -> np.ndarray:
        """Patient ids (the spec's id column, or 1-based row numbers)."""
        return self.data[ID].to_numpy()

    @property
    def treated(self) -> np.ndarray:
        """Boolean array: True for the treated arm, False for the reference arm."""
        return (self.data[self.spec.data.treatment] == self.spec.data.treated).to_numpy()

    def arm_labels(self) -> tuple[str, str]:
        """The treated and reference levels as text, as written in the data."""
        return str(self.spec.data.treated), str(self.spec.data.reference)

    def outcome(self, name: str) -> OutcomeSpec:
        """The outcome declared as ``[outcomes.NAME]``."""
        for out in self.spec.outcomes:
            if out.name == name:
                return out
        raise CohortError(f"no outcome named {name!r}; the spec declares: "
                          + ", ".join(o.name for o in self.spec.outcomes))

    def time(self, outcome: str) -> np.ndarray:
        """Follow-up times (float) for an outcome."""
        return self.data[self.outcome(outcome).time].to_numpy(dtype=float)

    def event(self, outcome: str) -> np.ndarray:
        """Event indicators (int 0/1) for an outcome."""
        return self.data[self.outcome(outcome).event].to_numpy(dtype=int)

    def subset(self, mask: np.ndarray) -> "Cohort":
        """A cohort of the rows where ``mask`` is True (e.g. the matched patients)."""
        data = self.data.loc[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        return Cohort(data=data, spec=self.spec, source=self.source, sha256=self.sha256,
                      dropped_ids=self.dropped_ids)

    def __len__(self) -> int:
        return len(self.data)


# --- reading files ---------------------------------------------------------------------

def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel table, with one clear error when that is impossible."""
    path = Path(path)
    if not path.exists():
        raise CohortError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, engine="openpyxl")
    except pd.errors.EmptyDataError:
        raise CohortError(f"data file {path} is empty: it needs a header row and one row per "
                          "patient") from None
    except Exception as exc:  # every reader has its own error types; report them as one
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CohortError(f"cannot read {path} as {suffix[1:]}: {reason}") from None
    raise CohortError(f"unsupported data file type {suffix!r} for {path}; use .csv, .parquet or "
                      ".xlsx")


# --- validation --------------------------------------------------------------------------

def _validated(frame: pd.DataFrame, spec: AnalysisSpec, source: str) -> tuple[pd.DataFrame, tuple]:
    if frame.shape[0] == 0:
        raise CohortError(f"{source}: the table has no rows (only a header?); it needs one row "
                          "per patient")
    _check_columns(frame, spec, source)
    ids = _ids(frame, spec, source)
    frame[ID] = ids
    frame, dropped = _missing(frame, spec, source)
    _check_treatment(frame, spec, source)
    for out in spec.outcomes:
        frame[out.time] = _times(frame, out, source)
        frame[out.event] = _events(frame, out, source)
    for cov in spec.covariates:
        frame = _covariate(frame, cov, source)
    for column, labels in spec.data.levels.items():
        _check_level_labels(frame, column, labels, source)
    if spec.response is not None:
        _check_levels(frame, spec.response.column, spec.response.levels, source)
    for ae in spec.safety:
        for column in filter(None, (ae.any_grade, ae.grade_3_4)):
            frame[column] = _binary(frame, column, f"safety.{ae.name}", source)
    return frame.reset_index(drop=True), dropped


def _check_columns(frame: pd.DataFrame, spec: AnalysisSpec, source: str) -> None:
    present = set(map(str, frame.columns))
    for column in spec.columns():
        if column not in present:
            near = ", ".join(sorted(present)[:12]) + (", ..." if len(present) > 12 else "")
            raise CohortError(f"{source}: column {column!r} named in the spec is not in the "
                              f"data; the data has: {near}")


def _ids(frame: pd.DataFrame, spec: AnalysisSpec, source: str) -> pd.Series:
    if spec.data.id is None:
        return pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    ids = frame[spec.data.id]
    if ids.isna().any():
        rows = list(np.flatnonzero(ids.isna().to_numpy()) + 1)[:_SHOWN]
        raise CohortError(f"{source}: id column {spec.data.id!r} is missing at data rows {rows}; "
                          "every patient needs an id")
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        shown = list(dict.fromkeys(dup.tolist()))[:_SHOWN]
        raise CohortError(f"{source}: id column {spec.data.id!r} has duplicate ids {shown}; "
                          "each patient must appear once")
    return ids


def _show(value) -> str:
    """An id as text, quoted when it has blanks or unprintable characters (keeps messages one line)."""
    text = str(value)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def _row_ids(frame: pd.DataFrame, bad: pd.Series) -> str:
    shown = frame.loc[bad.to_numpy(), ID].tolist()
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(map(_show, shown[:_SHOWN])) + more


def _required_columns(spec: AnalysisSpec) -> list[str]:
    cols = [spec.data.treatment]
    for out in spec.outcomes:
        cols += [out.time, out.event]
    return cols + [c.name for c in spec.covariates]


def _missing(frame: pd.DataFrame, spec: AnalysisSpec, source: str) -> tuple[pd.DataFrame, tuple]:
    required = _required_columns(spec)
    missing = frame[required].isna()
    if not missing.to_numpy().any():
        return frame, ()
    if spec.data.missing == "drop":
        bad = missing.any(axis=1)
        dropped = tuple(frame.loc[bad, ID].tolist())
        kept = frame.loc[~bad]
        if kept.empty:
            raise CohortError(f"{source}: every row has a missing value in a required column; "
                              "nothing is left to analyse")
        return kept.copy(), dropped
    column = next(c for c in required if missing[c].any())
    raise CohortError(f"{source}: column {column!r} has missing values at rows with id "
                      f"{_row_ids(frame, missing[column])}; fill them in, or set "
                      "`missing = \"drop\"` in [data] to drop such rows (recorded in the manifest)")


def _check_treatment(frame: pd.DataFrame, spec: AnalysisSpec, source: str) -> None:
    column, levels = spec.data.treatment, (spec.data.treated, spec.data.reference)
    values = frame[column]
    as_text = values.astype(str)
    wanted = {str(v) for v in levels}
    other = ~as_text.isin(wanted)
    if other.any():
        found = sorted(set(as_text[other]))[:_SHOWN]
        raise CohortError(f"{source}: treatment column {column!r} has values {found} at rows "
                          f"with id {_row_ids(frame, other)}; only the declared levels "
                          f"{levels[0]!r} (treated) and {levels[1]!r} (reference) are allowed")
    # Compare as the spec writes them: a numeric column with levels given as numbers stays numeric.
    frame[column] = as_text.map({str(levels[0]): levels[0], str(levels[1]): levels[1]})
    for level in levels:
        if not (frame[column] == level).any():
            raise CohortError(f"{source}: treatment column {column!r} has no patient with level "
                              f"{level!r}; both arms need patients")


def _refuse_values(frame: pd.DataFrame, column: str, role: str, values: pd.Series, bad: pd.Series,
                   what: str, fix: str, source: str) -> None:
    """Raise the one-line error naming the column, the first bad values and their rows."""
    found = list(dict.fromkeys(map(str, values[bad])))[:3]
    raise CohortError(f"{source}: {role} column {column!r} has {what} {found} at rows with id "
                      f"{_row_ids(frame, bad)}; {fix}")


def _numeric(frame: pd.DataFrame, column: str, role: str, source: str) -> pd.Series:
    values = frame[column]
    if values.dtype == bool:
        raise CohortError(f"{source}: {role} column {column!r} is boolean; it must be numeric")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        _refuse_values(frame, column, role, values, bad, "non-numeric values", "it must hold numbers",
                       source)
    return numbers.astype(float)


def _times(frame: pd.DataFrame, out: OutcomeSpec, source: str) -> pd.Series:
    times = _numeric(frame, out.time, f"outcomes.{out.name}.time", source)
    bad = ~np.isfinite(times) | (times <= 0)
    if bad.any():
        raise CohortError(f"{source}: time column {out.time!r} (outcomes.{out.name}) has zero, "
                          f"negative or infinite times at rows with id {_row_ids(frame, bad)}; "
                          "follow-up times must be positive (an event on day 0 can be set to "
                          "half a day in the data's unit)")
    return times


def _binary(frame: pd.DataFrame, column: str, role: str, source: str) -> pd.Series:
    values = frame[column]
    if values.dtype == bool:
        return values.astype(int)
    as_bool = values.map(lambda v: {True: 1, False: 0}.get(v, v) if isinstance(v, bool) else v)
    numbers = pd.to_numeric(as_bool, errors="coerce")
    bad = ~numbers.isin([0, 1])
    if bad.any():
        _refuse_values(frame, column, role, values, bad, "values", "it must be 0/1 (or true/false)",
                       source)
    return numbers.astype(int)


def _events(frame: pd.DataFrame, out: OutcomeSpec, source: str) -> pd.Series:
    return _binary(frame, out.event, f"event (outcomes.{out.name})", source)


def _covariate(frame: pd.DataFrame, cov, source: str) -> pd.DataFrame:
    if cov.kind == "numeric":
        frame[cov.name] = _numeric(frame, cov.name, f"covariate (covariates.{cov.name})", source)
        return frame
    if cov.reference is not None:
        levels = set(frame[cov.name].astype(str))
        if str(cov.reference) not in levels:
            raise CohortError(f"{source}: covariates.{cov.name}.reference = {cov.reference!r} "
                              f"is not a value of column {cov.name!r}; its values are "
                              f"{sorted(levels)[:8]}")
    return frame


def _check_level_labels(frame: pd.DataFrame, column: str, labels, source: str) -> None:
    """``[data.levels] column``: every code it names is a value of the column."""
    from bayeshcc.labels import code_key

    present = {code_key(v) for v in frame[column].dropna()}
    for code in labels:
        if code not in present:
            raise CohortError(f"{source}: data.levels.{column} names code {code!r}, which column "
                              f"{column!r} does not hold; its values are {sorted(present)[:8]}")


def _check_levels(frame: pd.DataFrame, column: str, levels: Sequence[str], source: str) -> None:
    values = frame[column]
    bad = values.notna() & ~values.astype(str).isin(levels)
    if bad.any():
        found = sorted(set(values[bad].astype(str)))[:_SHOWN]
        raise CohortError(f"{source}: column {column!r} has values {found} at rows with id "
                          f"{_row_ids(frame, bad)}; allowed: {', '.join(levels)} (leave blank "
                          "when not evaluable)")
