"""ArviZ rank and trace plots of a saved posterior (reads ``posterior/*.nc``; computes nothing)."""

from __future__ import annotations

from pathlib import Path


def diagnostic_plots(posterior_path: str | Path, rank_path: str | Path, trace_path: str | Path,
                     var_names=("log_hr",), dpi: int = 72) -> None:
    """Write ArviZ's rank plot and trace plot of ``var_names`` to image files.

    ArviZ draws through pyplot; only the figures it made here are closed afterwards, and the
    backend is never switched (``savefig`` renders without a display).

    Parameters
    ----------
    posterior_path : str or Path
        A ``posterior/*.nc`` file.
    rank_path, trace_path : str or Path
        Where to write the rank and trace plots.
    var_names : sequence of str
        Variables to show (those absent from the posterior are skipped).
    dpi : int
        Resolution of the written images.
    """
    import arviz as az

    from bayeshcc.results import load_posterior
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        tree = load_posterior(posterior_path)
        names = [v for v in var_names if v in tree["posterior"].data_vars]
        az.plot_rank(tree, var_names=names, backend="matplotlib").savefig(rank_path, dpi=dpi)
        az.plot_trace_dist(tree, var_names=names, backend="matplotlib").savefig(trace_path, dpi=dpi)
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
