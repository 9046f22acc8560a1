"""The self-contained HTML report, built only from a run's results (a folder or in memory)."""

from bayeshcc.report.build import build_report, render_report, tables_from_csv, write_report

__all__ = ["build_report", "render_report", "tables_from_csv", "write_report"]
