"""Mirrored propensity-score histogram: the treated arm above the axis, the reference arm below.

Reads ``ps_histogram.csv`` (arm, bin_lower, bin_upper, n: patients per score bin); computes
nothing. Bins outside [0.05, 0.95] are shaded, the range where weights become extreme.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bayeshcc.figures.style import OKABE_ITO, new_axes

BOUNDS = (0.05, 0.95)


def plot_ps_histogram(histogram: pd.DataFrame, arms: tuple[str, str] = ("treated", "reference"),
                      title: str = "Propensity score by arm", ax=None):
    """Bars of ``n`` per bin, the treated arm up and the reference arm mirrored down.

    Parameters
    ----------
    histogram : ``ps_histogram.csv``.
    arms : labels of the treated and reference arms, for the legend.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(6.5, 3.6)
    for arm, sign, colour, label in (("treated", 1, OKABE_ITO[0], arms[0]),
                                     ("reference", -1, OKABE_ITO[1], arms[1])):
        rows = histogram[histogram["arm"] == arm]
        ax.bar(rows["bin_lower"], sign * rows["n"], width=rows["bin_upper"] - rows["bin_lower"],
               align="edge", color=colour, edgecolor="white", linewidth=0.5,
               label=f"{label} (n = {int(rows['n'].sum())})")
    for lo, hi in ((0.0, BOUNDS[0]), (BOUNDS[1], 1.0)):
        ax.axvspan(lo, hi, color="grey", alpha=0.15, lw=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlim(0, 1)
    top = max(1, int(histogram["n"].max())) if len(histogram) else 1
    ax.set_ylim(-1.25 * top, 1.25 * top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):g}"))
    ax.set_xlabel("Propensity score (probability of the treated arm)")
    ax.set_ylabel("Patients")
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper center")
    return ax
