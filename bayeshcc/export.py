"""A shareable copy of a results folder: ``bayeshcc export DIR --out SHARE``.

A results folder of a real cohort holds patient-level data: every posterior file's
``observed_data`` and ``constant_data`` (times, events, treatment, weights), its pointwise
``log_likelihood`` and ``posterior_predictive`` draws, ``matches.csv`` (patient ids), the
Kaplan-Meier table's steps at each patient's event or censoring time, and small counts. The
exported folder keeps what a reader outside the analysis team needs and leaves the rest:

- **Tables.** Tables with one row per patient (:data:`PATIENT_LEVEL_TABLES`) are left out.
  ``km_curves.csv`` is given on a regular time grid (:data:`KM_GRID_POINTS` points) instead of
  at the observed times, without its event and censoring counts. Counts from 1 to
  ``min_count - 1``, and the percentages made from them, read ``<min_count`` / ``suppressed``
  (:func:`bayeshcc.report.build.suppress_small_cells`, as ``bayeshcc report --suppress-below``).
  Order statistics of patient values are individual patients' values: Kaplan-Meier medians and
  their limits, an RMST horizon set by the largest follow-up, the ends of a time grid, covariate
  medians and quartiles. Every number of a table that equals an observed time (the times of
  ``km_curves.csv``, where each patient's time is a step), and the covariate quantiles of
  ``baseline.csv``, are rounded to :data:`ORDER_STATISTIC_DIGITS` significant digits. With
  whole-number times below 1 000 (days, say) a rounded median can still equal a patient's time,
  as in any publication that reports it. Every other number is as in the results
  folder. A table this module does not know is left out (:data:`SHAREABLE_TABLES`), so a table
  added later is never shared by accident.
- **Posteriors.** Each posterior file without the groups and variables that have a ``patient``
  dimension (:data:`PATIENT_DIMENSION`): the draws of the parameters and the sampler's
  statistics stay.
- **Figures and report.** The figures (aggregates drawn as images) are copied; the report is
  built again from the original folder with the same count suppression.
- ``manifest.json`` without the input files' paths (their sha256 stay, to tie the share to
  the data), and ``SHARED.md`` listing what was left out or changed.

Statistical disclosure control has its own tools (R's sdcMicro for microdata, sdcTable for
tables, tau-Argus); none reads a survival analysis' results folder, so the rules above are
written here, on the report's own small-cell rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bayeshcc.errors import BayesHCCError

#: Tables with one row per patient or matched pair: never shared.
PATIENT_LEVEL_TABLES = ("matches",)

#: Tables shared, after the rounding of observed times and the count suppression.
SHAREABLE_TABLES = (
    "balance", "baseline", "borrowing_sweep", "cox", "cox_zph", "km_at_risk", "km_curves", "loo",
    "marginal_survival", "model_fit", "overlap", "paper_comparison", "posterior_contrasts",
    "posterior_hr", "prior_predictive", "propensity_model", "ps_histogram", "response", "rmst",
    "safety", "sensitivity", "survival", "survival_landmarks", "tipping_point")

#: Significant digits of a shared order statistic.
ORDER_STATISTIC_DIGITS = 3

#: The one dimension of per-patient values in the posterior files (bayeshcc.bayes.groups).
PATIENT_DIMENSION = "patient"

#: Points of the regular grid on which the shared Kaplan-Meier curves are given.
KM_GRID_POINTS = 101

#: The default smallest count shown.
MIN_COUNT = 5


class ExportError(BayesHCCError, ValueError):
    """The folder to export is not a results folder, or the destination cannot be written."""


def round_significant(values, digits: int = ORDER_STATISTIC_DIGITS):
    """``values`` rounded to ``digits`` significant digits (NaN and 0 kept).

    >>> round_significant(pd.Series([11.2537, 578.0, 0.04512]), 3).tolist()
    [11.3, 578.0, 0.0451]
    """
    x = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    out = x.copy()
    finite = np.isfinite(x) & (x != 0)
    magnitude = np.floor(np.log10(np.abs(x[finite])))
    scale = 10.0 ** (digits - 1 - magnitude)
    out[finite] = np.round(x[finite] * scale) / scale
    return out


def km_on_grid(km: pd.DataFrame, points: int = KM_GRID_POINTS) -> pd.DataFrame:
    """Kaplan-Meier curves on a regular grid from 0 to the largest time rounded up to two
    significant digits, instead of at the observed times.

    Each curve (one ``cohort``, ``outcome`` and ``arm``) is the right-continuous step function
    of its rows: at a grid time, the survival, limits and number at risk of the last step at or
    before it (the first row's number at risk before the first step). The event and censoring
    counts, which place patients on the time axis, are dropped.
    """
    keys = [c for c in ("cohort", "outcome", "arm") if c in km.columns]
    values = [c for c in ("survival", "lower", "upper") if c in km.columns]
    top = float(pd.to_numeric(km["time"]).max())
    end = float(np.ceil(round_significant([top], 2).iloc[0] * (1 + 1e-12)))
    if end < top:
        end = top
    grid = np.linspace(0.0, end, points)
    rows = []
    for key, curve in km.groupby(keys, sort=False):
        curve = curve.sort_values("time", kind="stable")
        times = curve["time"].to_numpy(dtype=float)
        step = np.searchsorted(times, grid, side="right") - 1   # last step at or before
        block = pd.DataFrame(dict(zip(keys, key if isinstance(key, tuple) else (key,))),
                             index=range(points))
        block["time"] = grid
        for column in values:
            v = curve[column].to_numpy(dtype=float)
            block[column] = np.where(step >= 0, v[np.clip(step, 0, None)], 1.0)
        if "n_risk" in curve:
            at_risk = curve["n_risk"].to_numpy(dtype=float)
            # at risk just after a step: the next row's number (the curve's last: 0 or beyond)
            after = np.append(at_risk[1:], np.nan)
            block["n_risk"] = np.where(step >= 0, after[np.clip(step, 0, None)], at_risk[0])
        rows.append(block)
    columns = keys + ["time", *(["n_risk"] if "n_risk" in km else []), *values]
    return pd.concat(rows, ignore_index=True)[columns]


def round_observed_times(frame: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """``frame`` with every number that equals one of ``times`` rounded to
    :data:`ORDER_STATISTIC_DIGITS` significant digits (a copy)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype.kind != "f":
            continue
        hit = np.isin(frame[column].to_numpy(), times)
        if hit.any():
            frame.loc[hit, column] = round_significant(frame.loc[hit, column]).to_numpy()
    return frame


def _shared_table(name: str, frame: pd.DataFrame, min_count: int,
                  times: np.ndarray | None = None) -> pd.DataFrame:
    from bayeshcc.report.build import suppress_small_cells

    if name == "km_curves":
        frame = km_on_grid(frame)
    elif times is not None:
        frame = round_observed_times(frame, times)
    if name == "baseline" and {"statistic", "value_treated", "value_reference"} <= set(frame):
        quantiles = frame["statistic"].astype(str).str.startswith("median")
        for column in ("value_treated", "value_reference"):
            frame[column] = frame[column].astype(float)
            frame.loc[quantiles, column] = round_significant(frame.loc[quantiles, column])
    return suppress_small_cells(frame, min_count)


def _shared_posterior(source: Path, target: Path) -> list[str]:
    """Copy a posterior file without its per-patient groups and variables; returns what was
    left out (``group`` or ``group/variable``)."""
    import xarray as xr

    from bayeshcc.interrupts import deferred

    left_out = []
    with deferred(), xr.open_datatree(source) as tree:
        kept = {}
        for name, node in tree.children.items():
            ds = node.to_dataset()
            patient = [v for v in ds.data_vars if PATIENT_DIMENSION in ds[v].dims]
            if len(patient) == len(ds.data_vars):
                left_out.append(name)
                continue
            left_out += [f"{name}/{v}" for v in patient]
            ds = ds.drop_vars(patient)
            if PATIENT_DIMENSION in ds.coords:
                ds = ds.drop_vars(PATIENT_DIMENSION)
            kept[f"/{name}"] = ds.load()
        xr.DataTree.from_dict(kept).to_netcdf(target)
    return left_out


def export_results(folder: str | Path, out: str | Path, min_count: int = MIN_COUNT,
                   force: bool = False) -> Path:
    """Write a shareable copy of a results folder (module docstring).

    Parameters
    ----------
    folder : str or Path
        A results folder written by ``bayeshcc analyze`` or ``reproduce``.
    out : str or Path
        The folder to write; written atomically, like a results folder.
    min_count : int
        The smallest count shown (default 5); counts from 1 to ``min_count - 1`` are suppressed.
    force : bool
        Replace ``out`` if it exists and is not empty.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ExportError
        ``folder`` is not a results folder, or ``min_count`` is below 2.
    """
    from bayeshcc.report.build import build_report
    from bayeshcc.results import check_destination, open_results

    folder = Path(folder)
    if not (folder / "manifest.json").is_file():
        raise ExportError(f"{folder} is not a bayeshcc results folder (no manifest.json)")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 2:
        raise ExportError(f"min_count must be an integer of at least 2, got {min_count!r}")
    if Path(out).resolve() == folder.resolve():
        raise ExportError("the shared copy must go to another folder than the results")
    check_destination(out, force)
    notes: list[str] = []
    km = folder / "tables" / "km_curves.csv"
    times = (pd.to_numeric(pd.read_csv(km)["time"], errors="coerce").dropna().unique()
             if km.is_file() else None)
    with open_results(out, force) as writer:
        for path in sorted((folder / "tables").glob("*.csv")):
            name = path.stem
            if name in PATIENT_LEVEL_TABLES or name not in SHAREABLE_TABLES:
                why = ("one row per patient" if name in PATIENT_LEVEL_TABLES
                       else "not known to be free of patient data")
                notes.append(f"- `tables/{path.name}`: left out ({why})")
                continue
            frame = pd.read_csv(path, keep_default_na=False, na_values=["NA"])
            writer.table(name, _shared_table(name, frame, min_count, times))
        notes.append(f"- counts from 1 to {min_count - 1} (and the percentages made from them) "
                     f"read `<{min_count}` / `suppressed`")
        notes.append("- `tables/km_curves.csv`: on a regular time grid, without event and "
                     "censoring counts")
        notes.append(f"- numbers equal to an observed time (Kaplan-Meier medians and limits, an "
                     f"RMST horizon set by the largest follow-up) and covariate medians and "
                     f"quartiles: rounded to {ORDER_STATISTIC_DIGITS} significant digits")
        for path in sorted((folder / "figures").glob("*.png")):
            writer.copy(path, "figures")
        for path in sorted((folder / "posterior").glob("*.nc")):
            left_out = _shared_posterior(path, writer.path("posterior", path.name))
            if left_out and not any("posterior files" in n for n in notes):
                notes.append(f"- posterior files: without their per-patient groups and "
                             f"variables ({', '.join(sorted(set(left_out)))})")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for entry in manifest.get("inputs", {}).values():  # where the files were: not shared
            if isinstance(entry, dict):
                entry.pop("path", None)
        manifest["shared"] = {"min_count": min_count, "from": "bayeshcc export"}
        writer.json("manifest.json", manifest)
        writer.text("report.html", build_report(folder, min_cell=min_count))
        writer.text("SHARED.md", "# A shared copy of a bayeshcc results folder\n\n"
                    "Made by `bayeshcc export` for readers outside the analysis team: it holds "
                    "no patient-level data. Compared with the results folder:\n\n"
                    + "\n".join(notes) + "\n")
    return Path(out)


__all__ = ["ExportError", "KM_GRID_POINTS", "MIN_COUNT", "round_observed_times",
           "PATIENT_LEVEL_TABLES", "SHAREABLE_TABLES", "export_results", "km_on_grid",
           "round_significant"]
