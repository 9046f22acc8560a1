"""Public functions of the reconstruction: from digitised curves to patients and back."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bayeshcc.errors import CohortError
from bayeshcc.reconstruct.digitized import (
    clean_at_risk,
    clean_curve,
    clean_events,
    load_at_risk,
    load_curve,
    load_events,
)
from bayeshcc.reconstruct.guyot import reconstruct_arm
from bayeshcc.reconstruct.quality import quality_table


@dataclass(frozen=True, eq=False)
class Reconstruction:
    """Reconstructed individual patient data and how well they fit the figure.

    Attributes
    ----------
    ipd : pandas.DataFrame
        ``arm,time,event``: one row per patient, event 1 / censored 0, arms as text.
    quality : pandas.DataFrame
        Per arm: ``n_patients``, ``n_events``, ``rmse``, ``max_abs_diff`` (reconstructed
        Kaplan-Meier curve against the cleaned digitised points) and ``median``.
    notes : tuple of str
        What the cleaning changed and where the reconstruction could not match the inputs.
    digitized : pandas.DataFrame
        The cleaned digitised points ``arm,time,survival``.
    at_risk : pandas.DataFrame
        The checked numbers at risk ``arm,time,n_risk``.
    """

    ipd: pd.DataFrame
    quality: pd.DataFrame
    notes: tuple[str, ...]
    digitized: pd.DataFrame
    at_risk: pd.DataFrame


def _check_arms(curve_arms: list[str], other_arms: list[str], other: str,
                curve_source: str) -> None:
    for arm in curve_arms:
        if arm not in other_arms:
            raise CohortError(f"{other}: column 'arm' has no row for arm {arm} (found: "
                              f"{', '.join(other_arms)}); add its rows or spell the arm as "
                              f"in {curve_source}")
    for arm in other_arms:
        if arm not in curve_arms:
            raise CohortError(f"{curve_source}: column 'arm' has no point for arm {arm} "
                              f"named in {other} (found: {', '.join(curve_arms)}); digitise "
                              f"its curve or spell the arm as in {other}")


def _points_for(t: np.ndarray, s: np.ndarray, t_risk: np.ndarray, arm: str,
                source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Extend the curve flat to the last at-risk time and add a point at each tick."""
    notes = []
    if t_risk[-1] > t[-1]:
        notes.append(f"{source}: arm {arm}: curve extended flat from its last point "
                     f"(time {t[-1]:g}) to the last at-risk time {t_risk[-1]:g}")
        t, s = np.append(t, t_risk[-1]), np.append(s, s[-1])
    missing = t_risk[~np.isin(t_risk, t)]
    if missing.size:
        pos = np.searchsorted(t, missing, side="right")
        value = s[pos - 1]
        t, s = np.insert(t, pos, missing), np.insert(s, pos, value)
    return t, s, notes


def reconstruct_ipd(curve: str | Path | pd.DataFrame, at_risk: str | Path | pd.DataFrame,
                    events: str | Path | pd.DataFrame | None = None,
                    tolerance: float = 0.02) -> Reconstruction:
    """Reconstruct individual patient data from digitised Kaplan-Meier curves.

    Guyot P, Ades AE, Ouwens MJNM, Welton NJ (2012), BMC Med Res Methodol 12:9; see
    :func:`bayeshcc.reconstruct.guyot.reconstruct_arm` for the algorithm and
    :mod:`bayeshcc.reconstruct.digitized` for the cleaning rules. A point is added on the
    curve at every at-risk time (the value of the digitised step there), and the curve
    is extended flat to the last at-risk time if it ends earlier.

    Parameters
    ----------
    curve : str, Path or pandas.DataFrame
        Digitised points ``arm,time,survival`` (survival as fraction or percent).
    at_risk : str, Path or pandas.DataFrame
        Numbers at risk ``arm,time,n_risk``; each arm needs a row at time 0.
    events : str, Path or pandas.DataFrame, optional
        Total events per arm ``arm,events``; improves the part after the last at-risk time.
    tolerance : float
        Digitising noise allowed outside [0, 1] (and below time 0, as a fraction of the
        largest time) before the input is refused.

    Returns
    -------
    Reconstruction
        ``ipd`` with exactly the number at risk at time 0 of patients per arm.

    Raises
    ------
    bayeshcc.errors.CohortError
        An input that cannot be used; the message names the file (or ``curve`` /
        ``at_risk`` / ``events``), the column, the row and the fix.

    Examples
    --------
    >>> rec = reconstruct_ipd("os_curve.csv", "os_at_risk.csv")  # doctest: +SKIP
    >>> rec.quality[["arm", "n_patients", "rmse", "median"]]  # doctest: +SKIP
    """
    curve_table = load_curve(curve)
    risk_table = load_at_risk(at_risk)
    digitized, clean_notes = clean_curve(curve_table, tolerance)
    risk = clean_at_risk(risk_table)
    arms = list(dict.fromkeys(digitized["arm"]))
    _check_arms(arms, list(dict.fromkeys(risk["arm"])), risk_table.source, curve_table.source)
    totals: dict[str, int] = {}
    if events is not None:
        events_table = load_events(events)
        ev = clean_events(events_table)
        _check_arms(arms, list(ev["arm"]), events_table.source, curve_table.source)
        totals = dict(zip(ev["arm"], ev["events"].astype(int)))
    notes = list(clean_notes)
    parts = []
    for arm in arms:
        points = digitized.loc[digitized["arm"] == arm]
        ticks = risk.loc[risk["arm"] == arm]
        t_risk = ticks["time"].to_numpy(dtype=float)
        n_risk = ticks["n_risk"].to_numpy(dtype=int)
        if arm in totals and totals[arm] > n_risk[0]:
            raise CohortError(f"events: arm {arm} has {totals[arm]} events but {n_risk[0]} "
                              f"patients at time 0; check the total events and the at-risk "
                              f"row at time 0")
        t, s, extra = _points_for(points["time"].to_numpy(), points["survival"].to_numpy(),
                                  t_risk, arm, curve_table.source)
        notes.extend(extra)
        result = reconstruct_arm(t, s, t_risk, n_risk, totals.get(arm))
        notes.extend(f"arm {arm}: {note}" for note in result.notes)
        parts.append(pd.DataFrame({"arm": arm, "time": result.time, "event": result.event}))
    ipd = pd.concat(parts, ignore_index=True)
    ipd = ipd.sort_values(["time", "event"], ascending=[True, False], kind="stable")
    ipd["_order"] = ipd["arm"].map({a: i for i, a in enumerate(arms)})
    ipd = ipd.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return Reconstruction(ipd, quality_table(ipd, digitized), tuple(notes), digitized, risk)


def _toml_value(label: object) -> str:
    if isinstance(label, bool):
        return json.dumps(str(label))
    if isinstance(label, (int, np.integer)):
        return str(int(label))
    text = str(label)
    if re.fullmatch(r"-?\d+", text):
        return str(int(text))
    return json.dumps(text)


def spec_for_ipd(treated: object, reference: object, outcome: str = "reconstructed",
                 label: str | None = None) -> str:
    """TOML spec text that lets bayeshcc analyse a reconstructed IPD table as a cohort.

    Parameters
    ----------
    treated, reference : str or int
        Arm labels as in the IPD ``arm`` column. Labels that are whole numbers are written
        as TOML integers, since a CSV reader reads that column back as numbers.
    outcome : str
        Key of the outcome table (``[outcomes.<outcome>]``).
    label : str, optional
        Outcome label for reports.

    Returns
    -------
    str
        ``[data]`` (no ``id``: rows are patients) with ``treatment = "arm"`` and
        ``[outcomes.<outcome>]`` with ``time = "time"``, ``event = "event"``.

    Examples
    --------
    >>> print(spec_for_ipd("lenvatinib", "sorafenib"))  # doctest: +ELLIPSIS
    # Individual patient data reconstructed from published Kaplan-Meier curves ...
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", outcome):
        raise ValueError(f"outcome: {outcome!r} is not a bare TOML key; use letters, "
                         f"digits, '_' or '-'")
    if str(treated) == str(reference):
        raise ValueError(f"treated and reference are both {treated!r}; name two arms")
    text = label or "Reconstructed from published Kaplan-Meier curves"
    return (
        "# Individual patient data reconstructed from published Kaplan-Meier curves\n"
        "# (Guyot et al., BMC Med Res Methodol 2012;12:9). Rows are patients; no id column.\n"
        "[data]\n"
        'treatment = "arm"\n'
        f"treated = {_toml_value(treated)}\n"
        f"reference = {_toml_value(reference)}\n"
        "\n"
        f"[outcomes.{outcome}]\n"
        'time = "time"\n'
        'event = "event"\n'
        f"label = {json.dumps(text)}\n"
    )


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_reconstruct(curve_path: str | Path, at_risk_path: str | Path,
                    events_path: str | Path | None, out_path: str | Path,
                    spec_out: str | Path | None = None, plot_out: str | Path | None = None,
                    *, treated: object | None = None, reference: object | None = None,
                    force: bool = False, tolerance: float = 0.02) -> Reconstruction:
    """Reconstruct IPD from CSV files and write the IPD (and optionally spec and plot).

    Every file is written atomically (a temporary file in the same folder, then
    ``os.replace``).

    Parameters
    ----------
    curve_path, at_risk_path : str or Path
        CSV inputs (see :func:`reconstruct_ipd`).
    events_path : str or Path or None
        Total events per arm, or None.
    out_path : str or Path
        Where the IPD CSV ``arm,time,event`` goes.
    spec_out : str or Path, optional
        Where the TOML spec from :func:`spec_for_ipd` goes.
    plot_out : str or Path, optional
        Where a PNG of :func:`plot_reconstruction` goes.
    treated, reference : optional
        Arms for the spec; default: first and second arm of the curve file (two arms only).
    force : bool
        Overwrite existing output files.
    tolerance : float
        See :func:`reconstruct_ipd`.

    Returns
    -------
    Reconstruction

    Raises
    ------
    FileExistsError
        An output file exists and ``force`` is False.
    bayeshcc.errors.CohortError
        Bad input (see :func:`reconstruct_ipd`).
    """
    outputs = [Path(p) for p in (out_path, spec_out, plot_out) if p is not None]
    if not force:
        for path in outputs:
            if path.exists():
                raise FileExistsError(f"{path}: already exists; choose another output path "
                                      f"or pass force=True (--force) to overwrite it")
    rec = reconstruct_ipd(curve_path, at_risk_path, events_path, tolerance=tolerance)
    if spec_out is not None:
        arms = list(rec.quality["arm"])
        if treated is None or reference is None:
            if len(arms) != 2:
                raise CohortError(f"{curve_path}: column 'arm' holds {len(arms)} arms "
                                  f"({', '.join(arms)}); name the treated and reference arms "
                                  f"for the spec")
            treated = arms[0] if treated is None else treated
            reference = next(a for a in arms if a != str(treated)) if reference is None \
                else reference
        for name, arm in (("treated", treated), ("reference", reference)):
            if str(arm) not in arms:
                raise CohortError(f"{name}: arm {arm} is not in {curve_path} (arms: "
                                  f"{', '.join(arms)}); name one of them")
        spec = spec_for_ipd(treated, reference)
        _atomic_write(Path(spec_out), lambda tmp: Path(tmp).write_text(spec, encoding="utf-8"))
    _atomic_write(Path(out_path), lambda tmp: rec.ipd.to_csv(tmp, index=False))
    if plot_out is not None:
        from bayeshcc.reconstruct.plot import plot_reconstruction

        ax = plot_reconstruction(rec)
        _atomic_write(Path(plot_out), lambda tmp: ax.figure.savefig(tmp, dpi=150,
                                                                    format="png"))
    return rec
