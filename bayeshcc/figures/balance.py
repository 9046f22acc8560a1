"""Love plot: absolute standardized mean differences before and after adjustment.

Reads ``balance.csv`` (covariate, smd_unadjusted, smd_matched, smd_weighted); computes nothing.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SERIES = {"smd_unadjusted": ("Unadjusted", "o", "#d1495b"),
          "smd_matched": ("Matched", "s", "#1b6ca8"),
          "smd_weighted": ("Weighted", "^", "#66a182")}


def plot_love(balance: pd.DataFrame, threshold: float = 0.1, ax=None):
    """Dot plot of |SMD| per covariate for each adjustment present in ``balance``.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.32 * len(balance) + 1.4))
    rows = np.arange(len(balance))[::-1]
    for column, (label, marker, colour) in SERIES.items():
        if column in balance and balance[column].notna().any():
            ax.scatter(balance[column].abs(), rows, marker=marker, color=colour, label=label, zorder=3)
    ax.axvline(threshold, color="grey", ls="--", lw=1)
    ax.set_yticks(rows, balance["covariate"].astype(str))
    ax.set_xlabel("Absolute standardized mean difference")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax
