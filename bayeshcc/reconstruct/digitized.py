"""Reading and cleaning the inputs of a Kaplan-Meier reconstruction.

Three tables describe a published figure:

- CURVE ``arm,time,survival``: points digitised from the plotted curves (for example with
  WebPlotDigitizer), in any order and with the noise a digitiser leaves;
- AT_RISK ``arm,time,n_risk``: the numbers at risk printed under the figure;
- EVENTS ``arm,events`` (optional): the total number of events per arm.

The cleaning rules for CURVE, applied in this order and reported in the notes:

1. survival given in percent (largest value > 1.5) is divided by 100;
2. times below 0 by no more than ``tolerance`` x (largest time) are set to 0, larger
   negative times are an error;
3. survival within ``tolerance`` of [0, 1] is clipped into [0, 1], farther is an error;
4. exact duplicate points are dropped;
5. points are sorted by time (and, at equal times, from the top of a drop to its bottom);
6. survival is made non-increasing by a running minimum;
7. the point (0, 1) is added when absent (a point at time 0 within ``tolerance`` of 1 is
   read as 1).

Arm labels are read as text in all three tables so that ``1`` in one file matches ``1`` in
another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bayeshcc.errors import CohortError

CURVE_COLUMNS = ("arm", "time", "survival")
AT_RISK_COLUMNS = ("arm", "time", "n_risk")
EVENTS_COLUMNS = ("arm", "events")


@dataclass(frozen=True)
class Table:
    """A validated input table and the name used for it in messages.

    Attributes
    ----------
    frame : pandas.DataFrame
        The required columns (``arm`` as text, the rest as floats) plus ``_row``, the
        position of each row in the source as the messages name it.
    source : str
        The file path, or ``"curve"`` / ``"at_risk"`` / ``"events"`` for a DataFrame.
    from_file : bool
        Whether rows are named by file line (header is line 1) or by DataFrame row.
    """

    frame: pd.DataFrame
    source: str
    from_file: bool

    def where(self, row: int) -> str:
        """Name a row of the source as the user sees it (``line 7`` or ``row 5``)."""
        return f"line {row + 2}" if self.from_file else f"row {row}"


def _read_csv(path: str | Path, columns: tuple[str, ...], what: str) -> Table:
    path = Path(path)
    if not path.is_file():
        raise CohortError(f"{path}: file not found; give the path of the {what} CSV")
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CohortError(f"{path}: cannot be read as CSV ({reason}); save the {what} "
                          f"as comma-separated text with the header {','.join(columns)}") from None
    return _validate(frame, columns, str(path), from_file=True)


def _validate(frame: pd.DataFrame, columns: tuple[str, ...], source: str,
              from_file: bool) -> Table:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{source}: expected a pandas DataFrame or a CSV path, "
                        f"got {type(frame).__name__}")
    renamed = {c: str(c).strip().lower() for c in frame.columns}
    frame = frame.rename(columns=renamed)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise CohortError(f"{source}: column '{missing[0]}' is missing (found: {found}); "
                          f"the header must be {','.join(columns)}")
    table = Table(frame.reset_index(drop=True), source, from_file)
    if len(frame) == 0:
        raise CohortError(f"{source}: no rows; give at least one row of "
                          f"{','.join(columns)}")
    out = pd.DataFrame({"_row": np.arange(len(frame))})
    arm = table.frame["arm"]
    for i, value in enumerate(arm):
        if pd.isna(value) or str(value).strip() == "":
            raise CohortError(f"{source}: column 'arm' {table.where(i)} is empty; "
                              f"write the arm label on every row")
    out["arm"] = [_arm_label(v) for v in arm]
    for column in columns[1:]:
        raw = table.frame[column]
        values = pd.to_numeric(raw.astype(str).str.strip().replace("", "nan"),
                               errors="coerce").astype(float)
        bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
        if bad.size:
            i = int(bad[0])
            raise CohortError(f"{source}: column '{column}' {table.where(i)} holds "
                              f"{str(raw.iloc[i])!r}, not a finite number; write a number "
                              f"(decimal point, no units or thousands separators)")
        out[column] = values.to_numpy()
    return Table(out, source, from_file)


def _arm_label(value: object) -> str:
    """Arm label as text; integral floats (``1.0``) read as ``1``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    match = re.fullmatch(r"(-?\d+)\.0*", text)
    return match.group(1) if match else text


def _as_table(data: str | Path | pd.DataFrame, columns: tuple[str, ...], name: str,
              what: str) -> Table:
    if isinstance(data, pd.DataFrame):
        return _validate(data, columns, name, from_file=False)
    return _read_csv(data, columns, what)


def read_curve_csv(path: str | Path) -> pd.DataFrame:
    """Read digitised Kaplan-Meier points ``arm,time,survival`` from a CSV file.

    Parameters
    ----------
    path : str or Path
        CSV file with a header ``arm,time,survival`` (case and spaces ignored), one row
        per digitised point, as WebPlotDigitizer exports them with an added arm column.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm`` (text), ``time`` and ``survival`` (floats), uncleaned.

    Raises
    ------
    bayeshcc.errors.CohortError
        Missing column, empty arm or non-numeric value (the message names file, column
        and line).

    Examples
    --------
    >>> curve = read_curve_csv("figure2a_os.csv")  # doctest: +SKIP
    """
    return _read_csv(path, CURVE_COLUMNS, "curve").frame.drop(columns="_row")


def read_at_risk_csv(path: str | Path) -> pd.DataFrame:
    """Read the numbers at risk ``arm,time,n_risk`` printed under a Kaplan-Meier figure.

    Parameters
    ----------
    path : str or Path
        CSV file with a header ``arm,time,n_risk``; one row per arm and tick.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm`` (text), ``time`` and ``n_risk`` (floats), uncleaned.

    Examples
    --------
    >>> at_risk = read_at_risk_csv("figure2a_at_risk.csv")  # doctest: +SKIP
    """
    return _read_csv(path, AT_RISK_COLUMNS, "numbers-at-risk").frame.drop(columns="_row")


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """Read the total number of events per arm ``arm,events``.

    Parameters
    ----------
    path : str or Path
        CSV file with a header ``arm,events``; one row per arm.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm`` (text) and ``events`` (float), uncleaned.

    Examples
    --------
    >>> events = read_events_csv("figure2a_events.csv")  # doctest: +SKIP
    """
    return _read_csv(path, EVENTS_COLUMNS, "total-events").frame.drop(columns="_row")


def load_curve(data: str | Path | pd.DataFrame) -> Table:
    """Validate a CURVE table given as a path or a DataFrame (named ``curve``)."""
    return _as_table(data, CURVE_COLUMNS, "curve", "curve")


def load_at_risk(data: str | Path | pd.DataFrame) -> Table:
    """Validate an AT_RISK table given as a path or a DataFrame (named ``at_risk``)."""
    return _as_table(data, AT_RISK_COLUMNS, "at_risk", "numbers-at-risk")


def load_events(data: str | Path | pd.DataFrame) -> Table:
    """Validate an EVENTS table given as a path or a DataFrame (named ``events``)."""
    return _as_table(data, EVENTS_COLUMNS, "events", "total-events")


def clean_curve(table: Table, tolerance: float = 0.02) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Apply the cleaning rules of this module to digitised points.

    Parameters
    ----------
    table : Table
        From :func:`load_curve`.
    tolerance : float
        How far outside [0, 1] survival (and below 0 time, as a fraction of the largest
        time) may lie and still be taken as digitising noise.

    Returns
    -------
    (pandas.DataFrame, tuple of str)
        The cleaned points ``arm,time,survival`` (arms in order of first appearance, each
        starting at (0, 1), time non-decreasing, survival non-increasing) and the notes
        saying what the cleaning changed.
    """
    notes: list[str] = []
    frame = table.frame.copy()
    src = table.source
    if frame["survival"].max() > 1.5:
        frame["survival"] = frame["survival"] / 100.0
        notes.append(f"{src}: survival read as percent (largest value "
                     f"{frame['survival'].max() * 100:g} > 1.5) and divided by 100")
    t_max = max(float(frame["time"].max()), 0.0)
    negative = frame["time"] < 0
    far = frame["time"] < -tolerance * t_max if t_max > 0 else negative
    if far.any():
        i = int(frame.loc[far, "_row"].iloc[0])
        raise CohortError(f"{src}: column 'time' {table.where(i)} is "
                          f"{frame.loc[far, 'time'].iloc[0]:g}, below 0; times are "
                          f"measured from 0, re-digitise with the x axis calibrated at 0")
    if negative.any():
        notes.append(f"{src}: {int(negative.sum())} slightly negative time(s) set to 0")
        frame.loc[negative, "time"] = 0.0
    s = frame["survival"]
    outside = (s < -tolerance) | (s > 1 + tolerance)
    if outside.any():
        i = int(frame.loc[outside, "_row"].iloc[0])
        raise CohortError(f"{src}: column 'survival' {table.where(i)} is "
                          f"{s[outside].iloc[0]:g}, outside [0, 1] by more than the "
                          f"tolerance {tolerance:g}; re-digitise with the y axis calibrated "
                          f"at 0 and 1 (or raise tolerance)")
    clipped = (s < 0) | (s > 1)
    if clipped.any():
        notes.append(f"{src}: {int(clipped.sum())} survival value(s) within {tolerance:g} "
                     f"of [0, 1] clipped into [0, 1]")
        frame["survival"] = s.clip(0.0, 1.0)
    arms = list(dict.fromkeys(frame["arm"]))
    parts = []
    for arm in arms:
        part = frame.loc[frame["arm"] == arm, ["time", "survival"]]
        n_before = len(part)
        part = part.drop_duplicates()
        if len(part) < n_before:
            notes.append(f"{src}: arm {arm}: {n_before - len(part)} duplicate point(s) dropped")
        order = np.lexsort((-part["survival"].to_numpy(), part["time"].to_numpy()))
        time = part["time"].to_numpy()[order]
        surv = part["survival"].to_numpy()[order]
        at_zero = (time == 0) & (surv >= 1 - tolerance)
        surv = np.where(at_zero, 1.0, surv)
        if not (time.size and time[0] == 0 and surv[0] == 1.0):
            time = np.concatenate([[0.0], time])
            surv = np.concatenate([[1.0], surv])
            notes.append(f"{src}: arm {arm}: point (0, 1) added")
        running = np.minimum.accumulate(surv)
        lowered = int(np.sum(running < surv))
        if lowered:
            notes.append(f"{src}: arm {arm}: {lowered} point(s) above an earlier point "
                         f"lowered to keep survival non-increasing")
        keep = np.ones(time.size, dtype=bool)
        keep[1:] = (np.diff(time) != 0) | (np.diff(running) != 0)
        parts.append(pd.DataFrame({"arm": arm, "time": time[keep], "survival": running[keep]}))
    return pd.concat(parts, ignore_index=True), tuple(notes)


def clean_at_risk(table: Table) -> pd.DataFrame:
    """Check and sort the numbers at risk.

    Rules: times are >= 0 and the numbers at risk whole and >= 0; every arm has a row at
    time 0 with at least one patient; rows repeating a (time, n_risk) pair are dropped;
    the same time with two different numbers, or a number that increases over time, is
    an error.

    Returns
    -------
    pandas.DataFrame
        ``arm,time,n_risk`` sorted by arm (first appearance) and time; ``n_risk`` integer.
    """
    frame = table.frame
    src = table.source
    for column, what in (("time", "a time"), ("n_risk", "a number at risk")):
        bad = frame[column] < 0
        if bad.any():
            i = int(frame.loc[bad, "_row"].iloc[0])
            raise CohortError(f"{src}: column '{column}' {table.where(i)} is "
                              f"{frame.loc[bad, column].iloc[0]:g}, below 0; write {what} >= 0")
    whole = np.isclose(frame["n_risk"], np.round(frame["n_risk"]), rtol=0, atol=1e-9)
    if not whole.all():
        i = int(frame.loc[~whole, "_row"].iloc[0])
        raise CohortError(f"{src}: column 'n_risk' {table.where(i)} is "
                          f"{frame.loc[~whole, 'n_risk'].iloc[0]:g}, not a whole number; "
                          f"copy the number of patients at risk as printed")
    parts = []
    for arm in dict.fromkeys(frame["arm"]):
        part = frame.loc[frame["arm"] == arm].sort_values(["time", "_row"], kind="stable")
        part = part.drop_duplicates(subset=["time", "n_risk"])
        clash = part["time"].duplicated(keep=False)
        if clash.any():
            i = int(part.loc[clash, "_row"].iloc[1])
            raise CohortError(f"{src}: arm {arm} has two numbers at risk at time "
                              f"{part.loc[clash, 'time'].iloc[0]:g} ({table.where(i)}); keep "
                              f"one row per arm and time")
        if part["time"].iloc[0] != 0:
            raise CohortError(f"{src}: arm {arm} has no number at risk at time 0; add the "
                              f"row {arm},0,<patients randomised to the arm>")
        if part["n_risk"].iloc[0] < 1:
            i = int(part["_row"].iloc[0])
            raise CohortError(f"{src}: column 'n_risk' {table.where(i)} is 0 at time 0 for "
                              f"arm {arm}; the arm needs at least one patient")
        rises = np.flatnonzero(np.diff(part["n_risk"].to_numpy()) > 0)
        if rises.size:
            j = int(rises[0]) + 1
            i = int(part["_row"].iloc[j])
            raise CohortError(f"{src}: column 'n_risk' {table.where(i)} rises from "
                              f"{part['n_risk'].iloc[j - 1]:g} to {part['n_risk'].iloc[j]:g} "
                              f"(arm {arm}, time {part['time'].iloc[j]:g}); numbers at risk "
                              f"cannot increase over time: check the arm and time of each row")
        parts.append(part[["arm", "time", "n_risk"]])
    out = pd.concat(parts, ignore_index=True)
    out["n_risk"] = np.round(out["n_risk"]).astype(int)
    return out


def clean_events(table: Table) -> pd.DataFrame:
    """Check the total events per arm: one row per arm, a whole number >= 0.

    Returns
    -------
    pandas.DataFrame
        ``arm,events`` with ``events`` integer.
    """
    frame = table.frame
    src = table.source
    bad = (frame["events"] < 0) | ~np.isclose(frame["events"], np.round(frame["events"]),
                                              rtol=0, atol=1e-9)
    if bad.any():
        i = int(frame.loc[bad, "_row"].iloc[0])
        raise CohortError(f"{src}: column 'events' {table.where(i)} is "
                          f"{frame.loc[bad, 'events'].iloc[0]:g}; write the total number of "
                          f"events as a whole number >= 0")
    dup = frame["arm"].duplicated()
    if dup.any():
        i = int(frame.loc[dup, "_row"].iloc[0])
        raise CohortError(f"{src}: arm {frame.loc[dup, 'arm'].iloc[0]} appears twice "
                          f"({table.where(i)}); keep one row per arm")
    out = frame[["arm", "events"]].copy()
    out["events"] = np.round(out["events"]).astype(int)
    return out.reset_index(drop=True)
