"""Kaplan-Meier figure with confidence bands, censoring marks and a numbers-at-risk table.

Reads the ``km_curves`` table (cohort, outcome, arm, time, n_risk, n_event, n_censor, survival,
lower, upper) and the ``km_at_risk`` table (cohort, outcome, arm, time, n_risk); computes nothing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.figures.style import LINE_STYLES, OKABE_ITO

ARM_COLOURS = OKABE_ITO[:4]
ARM_LINES = LINE_STYLES[:4]


def _steps(curve: pd.DataFrame, column: str, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Step-function coordinates starting at (0, 1), times multiplied by ``scale``."""
    times = np.concatenate([[0.0], scale * curve["time"].to_numpy(float)])
    values = np.concatenate([[1.0], curve[column].to_numpy(float)])
    return times, values


def plot_km(curves: pd.DataFrame, at_risk: pd.DataFrame, arms: Sequence[str], title: str = "",
            time_label: str = "Time", ax=None, risk_ax=None, names: Sequence[str] | None = None,
            time_scale: float = 1.0, weighted: bool = False):
    """Draw Kaplan-Meier curves of one cohort and outcome with a numbers-at-risk table.

    Parameters
    ----------
    curves, at_risk : pandas.DataFrame
        Rows of one cohort and outcome from ``km_curves.csv`` and ``km_at_risk.csv``.
    arms : sequence of str
        Arms in legend order (treated first), as the tables' ``arm`` column writes them.
    names : sequence of str, optional
        The arms' names in the legend and the risk table (default: ``arms``).
    time_scale : float
        Factor from the tables' unit of time to the axis's (e.g. days to years: 1 / 365.25).
    weighted : bool
        The numbers at risk are sums of weights: the risk table says so.
    ax, risk_ax : matplotlib Axes, optional
        Where to draw the curves and the risk table; a new figure is made when absent.

    Returns
    -------
    tuple of (Axes, Axes)
        The curve axes and the risk-table axes.
    """
    if ax is None or risk_ax is None:
        from bayeshcc.figures.style import new_axes

        ax, risk_ax = new_axes(7, 5.2, nrows=2, ncols=1, sharex=True,
                               gridspec_kw={"height_ratios": [4, 1.1], "hspace": 0.08})
    names = [str(n) for n in (names or arms)]
    for i, arm in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        curve = curves[curves["arm"].astype(str) == str(arm)].sort_values("time")
        t, s = _steps(curve, "survival", time_scale)
        ax.step(t, s, where="post", color=colour, ls=ARM_LINES[i % len(ARM_LINES)],
                label=names[i], lw=1.8)
        _, lo = _steps(curve, "lower", time_scale)
        _, hi = _steps(curve, "upper", time_scale)
        ax.fill_between(t, np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0), step="post",
                        color=colour, alpha=0.15, lw=0)
        censored = curve[curve["n_censor"] > 0]
        ax.plot(time_scale * censored["time"], censored["survival"], "|", color=colour, ms=7,
                mew=1.2)
        risk = at_risk[at_risk["arm"].astype(str) == str(arm)]
        for time, n in zip(risk["time"], risk["n_risk"]):
            risk_ax.text(time_scale * time, len(arms) - 1 - i, f"{n:.0f}", ha="center", va="center",
                         color=colour, fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Survival probability")
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper right")
    ax.grid(alpha=0.3)
    risk_ax.set_yticks(range(len(arms)), names[::-1], fontsize=8)
    risk_ax.set_ylim(-0.6, len(arms) - 0.4)
    risk_ax.set_xlabel(time_label)
    risk_ax.set_title("Number at risk (weighted: sum of weights)" if weighted else
                      "Number at risk", fontsize=8, loc="left", pad=2)
    risk_ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        risk_ax.spines[side].set_visible(False)
    return ax, risk_ax
