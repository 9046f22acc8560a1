"""Forest plot of hazard ratios with intervals, on a log axis.

Reads rows with columns ``label``, ``hr``, ``hr_lower``, ``hr_upper`` (a Cox table or a posterior
summary); computes nothing.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def plot_forest(rows: pd.DataFrame, title: str = "", xlabel: str = "Hazard ratio (95% CI)",
                ax=None, colours=None):
    """One line per row: point estimate and interval, with a reference line at HR = 1.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.3))
    y = np.arange(len(rows))[::-1]
    colours = colours if colours is not None else ["#1b6ca8"] * len(rows)
    for yi, (_, row), colour in zip(y, rows.iterrows(), colours):
        ax.plot([row["hr_lower"], row["hr_upper"]], [yi, yi], color=colour, lw=1.6)
        ax.plot(row["hr"], yi, "s", color=colour, ms=6)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(y, rows["label"].astype(str))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax
