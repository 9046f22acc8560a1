"""Build ``report.html`` from a run's results (a folder, or a run in memory): tables and figures
are read, never computed.

The report is ordered as its readers ask: a one-screen summary of the primary analysis first
(probabilities, absolute effects, the per-arm numbers, robustness, caveats, and the posterior
density of the HR),
then the sensitivity grid at a glance, the study tables as a paper prints them, and an appendix
for statisticians (full posterior tables, diagnostics, propensity model, LOO, spec, versions).

Arms and coded levels are named by the spec's labels and times shown in its display unit
(:class:`~bayeshcc.report.wording.Wording`); the tables keep codes and the data's unit.

The page is self-contained (figures embedded as base64 palette PNG or SVG, inline CSS, no
scripts, no network), prints to A4 with a page break before each section, and every string from
the data or the spec is HTML-escaped by Jinja2's autoescaping. It holds aggregates only: no
table with one row per patient is shown. The two summary figures are drawn here from the
results (``sensitivity.csv`` and the primary analysis's ``posterior/*.nc``): plotting only.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from bayeshcc.report.numbers import p_value, significant
from bayeshcc.report.probability import probability
from bayeshcc.report.sections import (about_the_data, calibration_methods, clinical_thresholds,
                                      diagnostics_view, is_synthetic, primary_rows, summary,
                                      table_views, wide_baseline)
from bayeshcc.report.wording import Wording, readable
from bayeshcc.vocab import QUANTILE_NAMES

if TYPE_CHECKING:
    import numpy as np

PATIENT_LEVEL_TABLES = ("matches",)  # one row per patient (pair): only with include_patient_data
# count columns and the columns derived from them, for small-cell suppression
COUNT_COLUMNS = {"n_treated": ("pct_treated",), "n_reference": ("pct_reference",), "n": (),
                 "events": (), "n_event": (), "n_risk": ()}
SUMMARY_COLUMNS = ("summary_treated", "summary_reference")


def suppress_small_cells(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Replace counts in 1 .. min_cell-1 (and the percentages made from them) by ``<min_cell``.

    For sharing outside the analysis team: a small count can identify a patient.
    """
    frame = frame.copy()
    for column, derived in COUNT_COLUMNS.items():
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        small = (values > 0) & (values < min_cell)
        if small.any():
            frame[column] = frame[column].astype(object)
            frame.loc[small, column] = f"<{min_cell}"
            for other in derived:
                if other in frame:
                    frame[other] = frame[other].astype(object)
                    frame.loc[small, other] = "suppressed"
    for column in SUMMARY_COLUMNS:
        if column in frame:
            counts = pd.to_numeric(frame[column].astype(str).str.extract(r"^(\d+) \(")[0],
                                   errors="coerce")
            small = (counts > 0) & (counts < min_cell)
            frame.loc[small, column] = f"<{min_cell}"
    return frame


def _figure_data(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure_order(name: str) -> tuple:
    """Figures by outcome, the unadjusted cohort first, then matched, then weighted ones."""
    cohort = 0 if name.endswith("_unadjusted") else 1 if name.endswith("_matched") else 2
    return (name.rsplit("_", 1)[0], cohort, name)


def svg_data(fig) -> str:
    """A matplotlib figure as an SVG ``data:`` URI (text kept as text, no timestamp)."""
    import io

    import matplotlib

    buffer = io.BytesIO()
    # rc_context restores every setting on exit: nothing global is left changed
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "bayeshcc"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def primary_density_figures(log_hr_of: Callable[[str], "np.ndarray | None"],
                            tables: dict[str, pd.DataFrame], manifest: dict) -> dict[str, str]:
    """The posterior density of the primary analysis's HR per outcome, as SVG data URIs.

    ``log_hr_of(name)`` gives the log-HR draws of posterior ``name``
    (``{outcome}_{model}_{prior}_{adjustment}``) of each primary row; an outcome whose draws
    are missing (None) gets no figure.
    """
    chosen = primary_rows(tables)
    if not len(chosen):
        return {}
    from bayeshcc.figures.posterior import plot_primary_hr_density

    thresholds = clinical_thresholds(tables["posterior_hr"], manifest)
    words = Wording.from_manifest(manifest)
    figures = {}
    for row in chosen.itertuples(index=False):
        log_hr = log_hr_of(f"{row.outcome}_{row.model}_{row.prior}_{row.adjustment}")
        if log_hr is None:
            continue
        label = manifest.get("spec", {}).get("outcomes", {}).get(row.outcome, {}).get(
            "label", row.outcome)
        ax = plot_primary_hr_density(
            log_hr, thresholds, title=f"{label}: posterior HR, primary analysis",
            label=f"{readable(row.model)} model, {readable(row.prior)} prior, "
                  f"{readable(row.adjustment)}",
            arms=(words.treated, words.reference))
        figures[str(row.outcome)] = svg_data(ax.figure)
    return figures


def primary_survival_figures(tables: dict[str, pd.DataFrame], manifest: dict) -> dict[str, str]:
    """The primary analysis's marginal survival per arm with 95 % bands, per outcome, as SVG
    data URIs: the curves behind the summary's absolute effects (``marginal_survival.csv``, the
    rows of the primary fit; standardised over the analysed population as that table is). An
    outcome without those rows gets no figure."""
    chosen, curves = primary_rows(tables), tables.get("marginal_survival")
    if not len(chosen) or curves is None or not len(curves):
        return {}
    from bayeshcc.figures.posterior import plot_marginal_survival
    from bayeshcc.units import convert

    words = Wording.from_manifest(manifest)
    scale = convert(1.0, words.data_unit, words.shown_unit) if words.converts else 1.0
    figures = {}
    for row in chosen.itertuples(index=False):
        mine = curves[(curves["outcome"].astype(str) == str(row.outcome))
                      & (curves["model"] == row.model) & (curves["prior"] == row.prior)
                      & (curves["adjustment"] == row.adjustment)]
        if mine.empty:
            continue
        label = manifest.get("spec", {}).get("outcomes", {}).get(row.outcome, {}).get(
            "label", row.outcome)
        arms = (words.treated_code, words.reference_code)
        ax = plot_marginal_survival(
            mine.assign(arm=mine["arm"].astype(str)), arms,
            title=f"{label}: survival per arm, primary analysis ({readable(row.model)} model, "
                  f"{readable(row.prior)} prior, {readable(row.adjustment)})",
            time_label=words.axis_label(), names=(words.treated, words.reference),
            time_scale=scale)
        figures[str(row.outcome)] = svg_data(ax.figure)
    return figures


def sensitivity_forest_figure(tables: dict[str, pd.DataFrame], manifest: dict) -> str | None:
    """Every analysis of the sensitivity grid in one forest plot, as an SVG data URI."""
    grid = tables.get("sensitivity", tables.get("posterior_hr"))
    if grid is None or not len(grid) or "hr_median" not in grid:
        return None
    from bayeshcc.figures.forest import plot_sensitivity_forest

    thresholds = clinical_thresholds(tables.get("posterior_hr", grid), manifest)
    primary = primary_rows(tables)
    labels = {name: out.get("label", name)
              for name, out in (manifest.get("spec", {}).get("outcomes") or {}).items()}
    fig = plot_sensitivity_forest(grid, primary=primary if len(primary) else None,
                                  threshold=min(thresholds) if thresholds else None,
                                  outcome_labels=labels)
    return svg_data(fig)


def _read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.stem: pd.read_csv(path, keep_default_na=True, na_values=["NA"])
            for path in sorted((folder / "tables").glob("*.csv"))}


def tables_from_csv(texts: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Tables from their CSV texts (``tables/NAME.csv`` of a run in memory, by name), parsed
    as :func:`build_report` reads them from a folder."""
    return {name: pd.read_csv(io.StringIO(texts[name]), keep_default_na=True, na_values=["NA"])
            for name in sorted(texts)}


def _is_p(column: str) -> bool:
    return column == "p" or column.endswith(("_p", ": p"))


def _two_decimals(column: str) -> bool:
    return column.endswith(("SMD", "smd")) or column.startswith("smd")


def format_value(value: Any, column: str = "") -> str:
    """Numbers as clinicians read them, never in ``e`` notation.

    p-values to 3 decimals (``< 0.001``), SMDs to 2 decimals, probabilities as
    :func:`~bayeshcc.report.probability.probability` prints them (never ``100.0%`` short of
    1), percentages of counts to one decimal, whole numbers as integers (a hazard ratio of 1 as
    ``1.00``), every other number (hazard ratios, coefficients, survival, quantiles) to 3
    significant digits however small or large (:func:`bayeshcc.report.numbers.significant`:
    ``0.000412``, ``3.31 × 10⁸``); only a p-value is ever shown as ``< 0.001``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA" if column.endswith(("upper", "median")) else ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    decimals = (_is_p(column) or _two_decimals(column)
                or column.startswith(("p", "prob", "hr")))
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e5 and not decimals):
        return f"{int(value)}"
    if isinstance(value, float):
        if _is_p(column):
            return p_value(value)
        if _two_decimals(column):
            return f"{value:.2f}"
        if column.startswith("prob"):
            return probability(value, decimals=1)
        if column.startswith("pct"):
            return f"{100 * value:.1f}%"
        return significant(value)
    return str(value)


ARM_HEADINGS = {"n_treated": ("n", 0), "pct_treated": ("%", 0),
                "summary_treated": ("summary", 0), "n_reference": ("n", 1),
                "pct_reference": ("%", 1), "summary_reference": ("summary", 1)}


def column_heading(column: str, arms: tuple[str, str] | None = None) -> str:
    """A table column's heading: quantile columns by their level (``q025`` as ``2.5%``,
    ``q500`` as ``50%``), a per-arm column by the arm's name (``n_treated`` as
    ``n, Hormonal therapy``) when ``arms`` are given, every other column by its name in the
    CSV."""
    if arms is not None and column in ARM_HEADINGS:
        what, arm = ARM_HEADINGS[column]
        return f"{what}, {arms[arm]}"
    return QUANTILE_NAMES.get(column, column)


def build_report(folder: str | Path, include_patient_data: bool = False,
                 min_cell: int | None = None) -> str:
    """The report of a results folder as an HTML string.

    Sections, in the order readers ask: Summary (primary analysis per outcome, its only table
    the per-arm numbers),
    Sensitivity at a glance (forest of the grid, prior predictive check, tipping point), Study
    tables (wide Table 1, Tables 2-5, Kaplan-Meier figures), then the appendix: Posterior
    tables, Diagnostics, Propensity model and balance, Model comparison (LOO), Methods and
    limitations, Specification and versions.

    Parameters
    ----------
    folder : str or Path
        A results folder written by ``bayeshcc reproduce`` or ``analyze``.
    include_patient_data : bool
        Also show patient-level tables (matched pairs). Off by default: the report is meant to
        be shared.
    min_cell : int, optional
        Suppress counts below this number (see :func:`suppress_small_cells`).

    Returns
    -------
    str
        The self-contained HTML page.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    figures = {p.stem: p.read_bytes() for p in (folder / "figures").glob("*.png")}

    def log_hr_of(name: str):
        from bayeshcc.results import read_draws

        path = folder / "posterior" / f"{name}.nc"
        return read_draws(path) if path.exists() else None

    return render_report(_read_tables(folder), figures, manifest, log_hr_of,
                         include_patient_data=include_patient_data, min_cell=min_cell)


def render_report(tables: Mapping[str, pd.DataFrame], pngs: Mapping[str, bytes],
                  manifest: dict, log_hr_of: Callable[[str], "np.ndarray | None"],
                  include_patient_data: bool = False, min_cell: int | None = None) -> str:
    """The report of a run's results as an HTML string (:func:`build_report` of a folder, or
    a run in memory).

    Parameters
    ----------
    tables : dict of {str: DataFrame}
        The results tables by name, read as :func:`build_report` reads them (empty cells and
        ``NA`` missing).
    pngs : dict of {str: bytes}
        The ``figures/NAME.png`` images by name.
    manifest : dict
        The manifest as ``manifest.json`` holds it (JSON types only).
    log_hr_of : callable
        ``log_hr_of(name)``: the log-HR draws of posterior ``name``, or None.
    include_patient_data, min_cell
        As :func:`build_report`.

    Returns
    -------
    str
        The self-contained HTML page.
    """
    tables = dict(tables)
    if not include_patient_data:
        tables = {k: v for k, v in tables.items() if k not in PATIENT_LEVEL_TABLES}
    if min_cell is not None:
        tables = {k: suppress_small_cells(v, min_cell) for k, v in tables.items()}
    figures = {name: _figure_data(pngs[name]) for name in sorted(pngs, key=_figure_order)
               if name != "sensitivity_forest"}  # redrawn below, as SVG
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(files("bayeshcc") / "report" / "templates")),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = format_value
    env.filters["readable"] = readable
    env.tests["startingwith"] = lambda name, prefixes: str(name).startswith(tuple(prefixes))
    words = Wording.from_manifest(manifest)
    env.filters["heading"] = lambda column: column_heading(column, (words.treated,
                                                                    words.reference))
    template = env.get_template("report.html.j2")
    spec = manifest.get("spec", {})
    arms = (words.treated, words.reference)
    prior = tables.get("prior_predictive")
    if prior is not None and "quantity" in prior.columns:  # the HR rows, for section 2
        tables = {**tables, "prior_predictive_hr": prior[prior["quantity"] == "hr"]}
    views = table_views(tables, manifest)
    extra = {"diagnostics": diagnostics_view(tables),
             "baseline_wide": wide_baseline(tables.get("baseline"), arms, words)}
    views.update({k: v for k, v in extra.items() if v is not None})
    return template.render(manifest=manifest, views=views, summary=summary(tables, manifest),
                           about=about_the_data(manifest, tables), figures=figures,
                           calibration=calibration_methods(tables, manifest),
                           densities=primary_density_figures(log_hr_of, tables, manifest),
                           survival_curves=primary_survival_figures(tables, manifest),
                           forest=sensitivity_forest_figure(tables, manifest),
                           spec_text=json.dumps(spec, indent=2, sort_keys=False, default=str),
                           include_patient_data=include_patient_data, min_cell=min_cell,
                           synthetic=is_synthetic(manifest), words=words)


def write_report(folder: str | Path, include_patient_data: bool = False,
                 min_cell: int | None = None) -> Path:
    """Write ``report.html`` into the results folder (atomically) and return its path."""
    folder = Path(folder)
    html = build_report(folder, include_patient_data=include_patient_data, min_cell=min_cell)
    target = folder / "report.html"
    partial = folder / ".report.html.partial"
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target
