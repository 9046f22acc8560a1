"""How much the conclusions lean on external evidence: the discount sweep of each power prior
(``borrowing_sweep.csv``, :func:`bayeshcc.bayes.borrowing.borrowing_sweep_table`)."""

from __future__ import annotations

import pandas as pd

from bayeshcc.figures.style import HR_TICKS, new_axes, series_style


def plot_borrowing_sweep(sweep: pd.DataFrame, title: str = "", axes=None):
    """P(HR < 1) and the posterior HR (median, 95 % interval) against the discount a0.

    One series per outcome and prior, in the table's order; a hollow marker is a fit that did
    not pass the convergence checks.

    Parameters
    ----------
    sweep : pandas.DataFrame
        ``borrowing_sweep.csv`` (outcome, prior, a0, hr_median, hr_lower, hr_upper,
        prob_hr_below_1, reliable).
    title : str
        Figure title.
    axes : pair of matplotlib Axes, optional
        Where to draw (P(HR < 1), HR); a new figure when absent.

    Returns
    -------
    matplotlib Figure
        Two panels: left P(HR < 1), right the HR on a log axis.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    left, right = new_axes(10, 4, ncols=2) if axes is None else axes
    groups = list(sweep.groupby(["outcome", "prior"], sort=False))
    for i, ((outcome, prior), rows) in enumerate(groups):
        rows = rows.sort_values("a0")
        style = series_style(i)
        label = f"{outcome}, {prior}"
        reliable = rows["reliable"].astype(str).str.lower().isin(("true", "1"))
        shift = (i - (len(groups) - 1) / 2) * 0.012  # series side by side, not on top
        x = rows["a0"].astype(float) + shift
        for ax, y in ((left, rows["prob_hr_below_1"]), (right, rows["hr_median"])):
            ax.plot(x, y, color=style["color"], linestyle=style["linestyle"], lw=1.4,
                    label=label)
            ax.scatter(x[reliable], y[reliable], color=style["color"], marker=style["marker"],
                       zorder=3)
            ax.scatter(x[~reliable], y[~reliable], facecolors="white",
                       edgecolors=style["color"], marker=style["marker"], zorder=3)
        right.vlines(x, rows["hr_lower"], rows["hr_upper"], color=style["color"], lw=1.2)
    left.set_ylim(0, 1.02)
    left.set_ylabel("P(HR < 1)")
    right.set_yscale("log")
    right.yaxis.set_major_locator(FixedLocator(HR_TICKS))
    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    right.yaxis.set_minor_locator(NullLocator())
    right.axhline(1.0, color="grey", lw=0.8)
    right.set_ylabel("Posterior HR (median, 95% interval)")
    for ax in (left, right):
        ax.set_xlabel("Discount a0 (0: no external data, 1: external data in full)")
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.grid(alpha=0.3)
    left.legend(frameon=False, fontsize=8)
    fig = left.figure
    if title:
        fig.suptitle(title)
    if axes is None:
        fig.tight_layout()
    return fig
