"""Build ``report.html`` from a results folder: tables and figures are read, never computed.

The page is self-contained (figures embedded as base64 PNG, inline CSS, no scripts, no network)
and every string from the data or the spec is HTML-escaped by Jinja2's autoescaping. It holds
aggregates only: no table with one row per patient is shown.
"""

from __future__ import annotations

import base64
import json
import math
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from bayeshcc.report.sections import bayes_statements, table_views

PATIENT_LEVEL_TABLES = ("matches",)  # one row per patient (pair): only with include_patient_data


def _figure_data(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in sorted((folder / "tables").glob("*.csv")):
        tables[path.stem] = pd.read_csv(path, keep_default_na=True, na_values=["NA"])
    return tables


def format_value(value: Any, column: str = "") -> str:
    """Numbers as clinicians read them: p-values as < 0.001, others to 3 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA" if column.endswith(("upper", "median")) else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6
                                     and not column.startswith(("p", "prob"))):
        return f"{int(value)}"
    if isinstance(value, float):
        if column == "p" or column.endswith("_p"):
            return "< 0.001" if value < 0.001 else f"{value:.3f}"
        if column.startswith("pct") or column.startswith("prob"):
            return f"{100 * value:.1f}%"
        return f"{value:.3g}"
    return str(value)


def build_report(folder: str | Path, include_patient_data: bool = False) -> str:
    """The report of a results folder as an HTML string.

    Parameters
    ----------
    folder : str or Path
        A results folder written by ``bayeshcc reproduce`` or ``analyze``.
    include_patient_data : bool
        Also show patient-level tables (matched pairs). Off by default: the report is meant to
        be shared.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tables = _read_tables(folder)
    if not include_patient_data:
        tables = {k: v for k, v in tables.items() if k not in PATIENT_LEVEL_TABLES}
    figures = {p.stem: _figure_data(p) for p in sorted((folder / "figures").glob("*.png"))}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(files("bayeshcc") / "report" / "templates")),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = format_value
    template = env.get_template("report.html.j2")
    return template.render(manifest=manifest, views=table_views(tables, manifest),
                           statements=bayes_statements(tables, manifest), figures=figures,
                           include_patient_data=include_patient_data)


def write_report(folder: str | Path, include_patient_data: bool = False) -> Path:
    """Write ``report.html`` into the results folder (atomically) and return its path."""
    folder = Path(folder)
    html = build_report(folder, include_patient_data=include_patient_data)
    target = folder / "report.html"
    partial = folder / ".report.html.partial"
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target
