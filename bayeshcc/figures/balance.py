"""Love plot: absolute standardized mean differences before and after adjustment.

Reads ``balance.csv`` (covariate, smd_unadjusted, smd_matched, smd_weighted, and smd_<estimand>
per weighted population); computes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.figures.style import adjustment_style, new_axes

SERIES = {"smd_unadjusted": ("Unadjusted", "none"),
          "smd_matched": ("Matched", "matched"),
          "smd_weighted": ("Weighted", "ate")}
BY_ESTIMAND = {"smd_ate": ("ATE weights", "ate"), "smd_att": ("ATT weights", "att"),
               "smd_overlap": ("Overlap weights", "overlap")}
"""One series per weighted population; when ``balance.csv`` has them, they replace the
``smd_weighted`` series (the first of them)."""


def plot_love(balance: pd.DataFrame, threshold: float = 0.1, ax=None):
    """Dot plot of |SMD| per covariate for each adjustment present in ``balance``.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(6.5, 0.32 * len(balance) + 1.4)
    rows = np.arange(len(balance))[::-1]
    series = dict(SERIES)
    if any(c in balance for c in BY_ESTIMAND):
        del series["smd_weighted"]
        series.update(BY_ESTIMAND)
    for column, (label, adjustment) in series.items():
        if column in balance and balance[column].notna().any():
            style = adjustment_style(adjustment)
            ax.scatter(balance[column].abs(), rows, marker=style["marker"], color=style["color"],
                       label=label, zorder=3)
    ax.axvline(threshold, color="grey", ls="--", lw=1)
    ax.set_yticks(rows, balance["covariate"].astype(str))
    ax.set_xlabel("Absolute standardized mean difference")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax
