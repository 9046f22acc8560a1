"""ArviZ rank and trace plots of a posterior (an ArviZ DataTree, or a ``posterior/*.nc`` file;
computes nothing).

The figures are sized to be read at their own size in the report (10 x 2.9 inches per row of
two rank panels, 10 x 2.5 inches per parameter of the trace plot, at 72 dpi: 720 px wide) with
13-point text, each panel titled by its parameter; the report shows them one per row, not as
thumbnails.
"""

from __future__ import annotations

from math import ceil
from pathlib import Path
from typing import IO, Any

#: Width of both figures (inches) and height per row of panels (rank, trace).
WIDTH, RANK_ROW, TRACE_ROW = 10.0, 2.9, 2.5
#: Rank panels side by side.
RANK_COLUMNS = 2
#: Text size (points; at the default 72 dpi, pixels) of ticks, labels and titles.
FONT_SIZE = 13
SAMPLE_DIMS = ("chain", "draw")


def panels(posterior, names) -> int:
    """Panels ArviZ draws for ``names``: one per scalar variable, one per element of a vector.

    Parameters
    ----------
    posterior : xarray.Dataset or DataTree node
        The posterior group.
    names : sequence of str

    Returns
    -------
    int
    """
    count = 0
    for name in names:
        sizes = [n for dim, n in posterior[name].sizes.items() if dim not in SAMPLE_DIMS]
        size = 1
        for n in sizes:
            size *= n
        count += size
    return count


def diagnostic_plots(posterior: Any, rank_path: str | Path | IO[bytes],
                     trace_path: str | Path | IO[bytes], var_names=("log_hr",),
                     dpi: int = 72) -> None:
    """Write ArviZ's rank plot and trace plot of ``var_names`` as PNG images.

    The rank plot has :data:`RANK_COLUMNS` panels a row, each titled by its parameter, with the
    Δ-ECDF axis labelled; the trace plot one row per parameter (density and trace). Text is
    :data:`FONT_SIZE` points. ArviZ draws through pyplot; only the figures it made here are
    closed afterwards, and the backend is never switched (``savefig`` renders without a
    display).

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
    style = {"font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 1,
             "axes.labelsize": FONT_SIZE, "xtick.labelsize": FONT_SIZE - 1,
             "ytick.labelsize": FONT_SIZE - 1}
    try:
        tree = load_posterior(posterior) if isinstance(posterior, (str, Path)) else posterior
        group = tree["posterior"]
        names = [v for v in var_names if v in group.data_vars]
        count = max(panels(group, names), 1)
        columns = min(RANK_COLUMNS, count)
        with plt.rc_context(style):
            rank = az.plot_rank(tree, var_names=names, backend="matplotlib", col_wrap=columns,
                                figure_kwargs={"figsize": (WIDTH, RANK_ROW * ceil(count / columns)),
                                               "layout": "constrained"},
                                visuals={"remove_axis": False})
            figure = rank.viz["figure"].item()
            for ax in figure.axes:
                spec = ax.get_subplotspec()
                if ax.has_data() and (spec is None or spec.is_first_col()):
                    ax.set_ylabel("Δ-ECDF")
            figure.suptitle("Rank plots: each chain's fractional ranks minus uniform "
                            "(near 0 when the chains agree)", fontsize=FONT_SIZE)
            # the matplotlib figures themselves: a plot collection's savefig takes file names only
            figure.savefig(rank_path, dpi=dpi, format="png")
            trace = az.plot_trace_dist(tree, var_names=names, backend="matplotlib",
                                       figure_kwargs={"figsize": (WIDTH, TRACE_ROW * count),
                                                      "layout": "constrained"})
            trace.viz["figure"].item().savefig(trace_path, dpi=dpi, format="png")
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
