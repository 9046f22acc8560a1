"""The summary's per-arm numbers of one outcome: patients, events, median and restricted mean
survival per arm with their differences, and survival at the spec's landmarks.

Read from the results tables, never computed: ``survival.csv`` (patients and events of the
whole cohort), ``posterior_contrasts.csv`` (the analysis of the summary: medians, RMST and
their differences with the 95 % interval) and ``survival_landmarks.csv`` (Kaplan-Meier
survival at each landmark, in the population of the analysis's adjustment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from bayeshcc.labels import code_key
from bayeshcc.report.probability import probability


@dataclass(frozen=True)
class Glance:
    """A small table: one row per quantity, a column per arm and the difference.

    ``rmst``: whether a row gives the RMST difference (the summary's sentence on it is then
    left out)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str
    rmst: bool = False


def _arm_rows(frame: pd.DataFrame | None, codes: tuple[str, str], **match: Any) -> list:
    """The rows of ``frame`` for the treated and reference codes (None where missing)."""
    if frame is None or not len(frame) or "arm" not in frame.columns:
        return [None, None, None]
    mask = pd.Series(True, index=frame.index)
    for column, value in match.items():
        if column in frame.columns:
            mask &= frame[column].astype(str) == str(value)
    arms = frame.loc[mask, "arm"].map(code_key)
    out = []
    for code in codes + ("difference",):
        hit = frame.loc[mask][arms == code]
        out.append(hit.iloc[0] if len(hit) else None)
    return out


def _population(adjustment: Any, landmarks: pd.DataFrame | None) -> str:
    """The frequentist cohort of an adjustment: its own (matched, weighted), else the whole."""
    cohorts = set() if landmarks is None else set(landmarks["cohort"].astype(str))
    return str(adjustment) if str(adjustment) in cohorts else "unadjusted"


def at_a_glance(tables: Mapping[str, pd.DataFrame], row: pd.Series | None, outcome: Any,
                words, manifest: Mapping[str, Any]) -> Glance | None:
    """The per-arm numbers of ``outcome`` beside the summary's analysis ``row``.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results tables.
    row : pandas.Series or None
        The ``posterior_hr`` row the summary reports (its model, prior and adjustment pick the
        contrasts); None leaves the posterior rows out.
    outcome : str
    words : bayeshcc.report.wording.Wording
        Arm names and the shown unit.
    manifest : mapping
        ``manifest.json`` (unused keys are ignored).

    Returns
    -------
    Glance or None
        None when no table holds a number for the outcome.
    """
    from bayeshcc.report.sections import interval_name
    from bayeshcc.report.wording import ADJUSTMENT_NAMES, readable

    codes = (words.treated_code, words.reference_code)
    rows: list[tuple[str, ...]] = []
    counts = _arm_rows(tables.get("survival"), codes, cohort="unadjusted", outcome=outcome)
    if counts[0] is not None and counts[1] is not None:
        for what, column in (("Patients", "n"), ("Events", "events")):
            rows.append((what, *(f"{int(float(r[column]))}" if _number(r.get(column))
                                 else str(r.get(column)) for r in counts[:2]), ""))
    interval = "95% interval"
    if row is not None:
        match = {k: row[k] for k in ("model", "prior", "adjustment") if k in row.index}
        contrasts = tables.get("posterior_contrasts")
        for quantity in ("median", "rmst"):
            treated, reference, difference = _arm_rows(contrasts, codes, outcome=outcome,
                                                        quantity=quantity, **match)
            if treated is None or reference is None:
                continue
            if difference is not None:
                interval = f"95% {interval_name(difference)}"
            what = ("Median survival (model)" if quantity == "median" else
                    f"Restricted mean survival up to {words.horizon(treated.get('tau'))}")
            rows.append((what, words.duration(treated["estimate"]),
                         words.duration(reference["estimate"]), _difference(difference, words)))
    landmarks = tables.get("survival_landmarks")
    km_note = ""
    if landmarks is not None and len(landmarks):
        cohort = _population(row["adjustment"] if row is not None else "none", landmarks)
        mine = landmarks[(landmarks["cohort"].astype(str) == cohort)
                         & (landmarks["outcome"].astype(str) == str(outcome))]
        method = "Kaplan-Meier"
        if cohort != "unadjusted" and len(mine):
            km_note = f"Kaplan-Meier: the {ADJUSTMENT_NAMES.get(cohort, cohort)} cohort."
        for time in sorted(set(mine["time"].astype(float))):
            at = _arm_rows(mine[mine["time"].astype(float) == time], codes)
            if at[0] is None or at[1] is None:
                continue
            rows.append((f"Survival at {words.horizon(time)} ({method})",
                         *(probability(r["survival"]) for r in at[:2]), ""))
    if not rows:
        return None
    parts = ["Patients, events: whole cohort."] if rows[0][0] == "Patients" else []
    if row is not None:
        parts.append(f"Model: {readable(row['model'])}, {readable(row['prior'])} prior, "
                     f"{readable(row['adjustment'])} (standardised).")
    note = " ".join(parts + ([km_note] if km_note else []))
    return Glance(columns=("", words.treated, words.reference,
                           f"Difference, {words.treated} minus {words.reference} ({interval})"),
                  rows=tuple(rows), note=note,
                  rmst=any(r[0].startswith("Restricted mean") for r in rows))


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not pd.isna(value)


def _difference(row: pd.Series | None, words) -> str:
    if row is None or pd.isna(row.get("estimate")):
        return "not estimable" if row is not None else ""
    above = row.get("prob_above_0")
    chance = "" if above is None or pd.isna(above) else f"; P(> 0) {probability(above)}"
    return (f"{words.duration(row['estimate'])} ({words.amount(row['lower'])} to "
            f"{words.amount(row['upper'])}{chance})")


__all__ = ["Glance", "at_a_glance"]
