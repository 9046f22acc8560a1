"""Forest plots of hazard ratios with intervals, on a log axis.

Read rows with columns ``label``, ``hr``, ``hr_lower``, ``hr_upper`` (a Cox table or a posterior
summary), or the whole ``sensitivity.csv`` grid; compute nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.figures.style import ADJUSTMENT_ORDER, adjustment_style, hr_axis, new_axes
from bayeshcc.vocab import readable


def plot_forest(rows: pd.DataFrame, title: str = "", xlabel: str = "Hazard ratio (95% CI)",
                ax=None, colours=None):
    """One line per row: point estimate and interval, with a reference line at HR = 1.

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns ``label``, ``hr``, ``hr_lower``, ``hr_upper``; the first row is drawn on top.
    title, xlabel : str
        Axes title and x-axis label.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when absent.
    colours : sequence of str, optional
        One colour per row (Okabe-Ito blue by default).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(7, 0.35 * len(rows) + 1.3)
    y = np.arange(len(rows))[::-1]
    colours = colours if colours is not None else ["#0072B2"] * len(rows)
    for yi, (_, row), colour in zip(y, rows.iterrows(), colours):
        ax.plot([row["hr_lower"], row["hr_upper"]], [yi, yi], color=colour, lw=1.6)
        ax.plot(row["hr"], yi, "s", color=colour, ms=6)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    hr_axis(ax)
    ax.set_yticks(y, rows["label"].astype(str))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax


def _adjustment_order(adjustments) -> list[str]:
    present = list(dict.fromkeys(adjustments))
    known = [a for a in ADJUSTMENT_ORDER if a in present]
    return known + [a for a in present if a not in ADJUSTMENT_ORDER]


def plot_sensitivity_forest(grid: pd.DataFrame, primary: pd.DataFrame | None = None,
                            threshold: float | None = None, title: str = "",
                            outcome_labels: dict | None = None):
    """Every analysis of the sensitivity grid, one panel per outcome, grouped by adjustment.

    Each adjustment has its own colour, line style and marker (legend); within a group the rows
    are model x prior. The primary analysis is marked with a star and "(primary)" in its label;
    a fit that failed its convergence checks (``reliable`` false) is drawn hollow and labelled
    "(unreliable)".

    Parameters
    ----------
    grid : pandas.DataFrame
        ``sensitivity.csv``: outcome, model, prior, adjustment, hr_median, hr_lower, hr_upper
        and optionally reliable, primary.
    primary : pandas.DataFrame, optional
        The primary rows (overrides the ``primary`` column).
    threshold : float, optional
        A clinically meaningful HR, drawn as a dotted line.
    title : str
        Figure title.
    outcome_labels : dict, optional
        Outcome -> its name, for the panel titles (default: the outcome's key).

    Returns
    -------
    matplotlib Figure
    """
    outcomes = list(dict.fromkeys(grid["outcome"]))
    outcome_labels = outcome_labels or {}
    order = _adjustment_order(grid["adjustment"])
    unknown = tuple(a for a in order if a not in ADJUSTMENT_ORDER)
    height = max(len(grid[grid["outcome"] == o]) for o in outcomes) * 0.19 + 1.6
    axes = new_axes(4.2 * len(outcomes), height, nrows=1, ncols=len(outcomes), squeeze=False)[0]
    key = ["outcome", "model", "prior", "adjustment"]
    marked = set()
    if primary is not None and len(primary):
        marked = set(map(tuple, primary[key].astype(str).to_numpy()))
    elif "primary" in grid:
        flag = grid["primary"].astype(str).str.lower() == "true"
        marked = set(map(tuple, grid.loc[flag, key].astype(str).to_numpy()))
    handles = {}
    for ax, outcome in zip(axes, outcomes):
        rows = grid[grid["outcome"] == outcome].copy()
        rows["_order"] = rows["adjustment"].map({a: i for i, a in enumerate(order)})
        rows = rows.sort_values(["_order", "model", "prior"], kind="stable")
        y = np.arange(len(rows))[::-1]
        labels = []
        for yi, row in zip(y, rows.itertuples(index=False)):
            style = adjustment_style(row.adjustment, unknown)
            reliable = str(getattr(row, "reliable", True)).lower() != "false"
            is_primary = tuple(str(v) for v in (row.outcome, row.model, row.prior,
                                                row.adjustment)) in marked
            line, = ax.plot([row.hr_lower, row.hr_upper], [yi, yi], color=style["color"],
                            ls=style["linestyle"], lw=1.5)
            ax.plot(row.hr_median, yi, marker="*" if is_primary else style["marker"],
                    ms=11 if is_primary else 5, color=style["color"],
                    markerfacecolor=style["color"] if reliable else "white", ls="none")
            handles.setdefault(row.adjustment, line)
            labels.append(f"{readable(row.model)}, {readable(row.prior)}"
                          + (" (primary)" if is_primary else "")
                          + ("" if reliable else " (unreliable)"))
        ax.axvline(1.0, color="grey", ls="--", lw=1)
        if threshold is not None:
            ax.axvline(threshold, color="grey", ls=":", lw=1)
        hr_axis(ax)
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_title(str(outcome_labels.get(outcome, outcome)), fontsize=10)
        ax.set_xlabel("Hazard ratio (95% credible interval)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    fig = axes[0].figure
    fig.legend(list(handles.values()), [readable(a) for a in handles],
               loc="lower center", ncol=min(len(handles), 4), frameon=False, fontsize=8,
               bbox_to_anchor=(0.5, 0.0))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(bottom=0.6 / height + 0.08, wspace=1.5, left=0.25, right=0.98,
                        top=1 - 0.5 / height)
    return fig
