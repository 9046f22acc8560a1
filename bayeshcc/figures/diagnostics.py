"""ArviZ rank and trace plots of a posterior (an ArviZ DataTree or a ``posterior/*.nc`` file;
computes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any


def diagnostic_plots(posterior: Any, rank_path: str | Path | IO[bytes],
                     trace_path: str | Path | IO[bytes], var_names=("log_hr",),
                     dpi: int = 72) -> None:
    """Write ArviZ's rank plot and trace plot of ``var_names`` as PNG images.

    ArviZ draws through pyplot; only the figures it made here are closed afterwards, and the
    backend is never switched (``savefig`` renders without a display).

    Parameters
    ----------
    posterior : xarray.DataTree, str or Path
        A posterior with a ``posterior`` group (``sample_stats`` too, for divergences), or a
        ``posterior/*.nc`` file.
    rank_path, trace_path : str, Path or binary file
        Where to write the rank and trace plots (PNG).
    var_names : sequence of str
        Variables to show (those absent from the posterior are skipped).
    dpi : int
        Resolution of the written images.
    """
    import arviz as az
    import matplotlib.pyplot as plt

    from bayeshcc.results import load_posterior

    before = set(plt.get_fignums())
    try:
        tree = load_posterior(posterior) if isinstance(posterior, (str, Path)) else posterior
        names = [v for v in var_names if v in tree["posterior"].data_vars]
        # the matplotlib figure itself: the plot collection's savefig takes file names only
        az.plot_rank(tree, var_names=names, backend="matplotlib").get_viz("figure").savefig(
            rank_path, dpi=dpi, format="png")
        az.plot_trace_dist(tree, var_names=names, backend="matplotlib").get_viz(
            "figure").savefig(trace_path, dpi=dpi, format="png")
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
