"""ArviZ rank and trace plots of a saved posterior (reads ``posterior/*.nc``; computes nothing)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def diagnostic_plots(posterior_path: str | Path, rank_path: str | Path, trace_path: str | Path,
                     var_names=("log_hr",)) -> None:
    """Write ArviZ's rank plot and trace plot of ``var_names`` to PNG files."""
    import arviz as az
    import matplotlib.pyplot as plt

    tree = az.from_netcdf(posterior_path)
    names = [v for v in var_names if v in tree["posterior"].data_vars]
    az.plot_rank(tree, var_names=names, backend="matplotlib").savefig(rank_path)
    az.plot_trace_dist(tree, var_names=names, backend="matplotlib").savefig(trace_path)
    plt.close("all")
