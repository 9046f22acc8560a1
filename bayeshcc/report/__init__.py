"""The self-contained HTML report, built only from a results folder."""

from bayeshcc.report.build import build_report, write_report

__all__ = ["build_report", "write_report"]
