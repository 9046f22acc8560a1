"""Bayesian figures: marginal survival bands, the posterior-predictive check against the
observed Kaplan-Meier curve (both read the ``marginal_survival`` and ``km_curves`` tables), and
posterior densities of the hazard ratio (draws loaded from ``posterior/*.nc``)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.figures.km import ARM_COLOURS, ARM_LINES
from bayeshcc.figures.style import hr_axis, new_axes, series_style

HR_GRID = (0.1, 3.0)


def plot_marginal_survival(curves: pd.DataFrame, arms: Sequence[str], title: str = "",
                           km: pd.DataFrame | None = None, time_label: str = "Time", ax=None,
                           names: Sequence[str] | None = None, time_scale: float = 1.0):
    """Posterior median survival per arm with its 95 % band; with ``km``, the observed
    Kaplan-Meier steps on top (a posterior-predictive check).

    Parameters
    ----------
    curves : pandas.DataFrame
        Rows of one fit from ``marginal_survival.csv`` (arm, time, survival, lower, upper).
    arms : sequence of str
        Arms in legend order, as the tables' ``arm`` column writes them.
    names : sequence of str, optional
        Their names in the legend (default: ``arms``).
    time_scale : float
        Factor from the tables' unit of time to the axis's.
    title, time_label : str
        Axes title and x-axis label.
    km : pandas.DataFrame, optional
        Rows of ``km_curves.csv`` for the same outcome, drawn dashed.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when absent.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(7, 4.5)
    names = [str(n) for n in (names or arms)]
    for i, arm in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        c = curves[curves["arm"].astype(str) == str(arm)].sort_values("time")
        time = time_scale * c["time"].to_numpy(float)
        ax.plot(time, c["survival"], color=colour, ls=ARM_LINES[i % len(ARM_LINES)], lw=1.8,
                label=f"{names[i]} (model)")
        ax.fill_between(time, c["lower"], c["upper"], color=colour, alpha=0.2, lw=0)
        if km is not None:
            k = km[km["arm"].astype(str) == str(arm)].sort_values("time")
            ax.step(np.concatenate([[0.0], time_scale * k["time"].to_numpy(float)]),
                    np.concatenate([[1.0], k["survival"]]),
                    where="post", color=colour, ls=(0, (1, 1)), lw=1.2,
                    label=f"{names[i]} (Kaplan-Meier)")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(time_label)
    ax.set_ylabel("Survival probability")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def _density(log_hr, grid: np.ndarray) -> np.ndarray:
    from scipy.stats import gaussian_kde

    return gaussian_kde(np.asarray(log_hr, dtype=float))(grid)


def plot_hr_densities(draws_by_label: dict, title: str = "", ax=None, styles: dict | None = None,
                      arms: Sequence[str] = ("treated", "reference")):
    """Posterior densities of the hazard ratio (log axis), one line per fit.

    Every line has its own colour *and* line style (Okabe-Ito palette), named in the legend.

    Parameters
    ----------
    draws_by_label : dict
        Legend label -> draws of the log HR (loaded from ``posterior/*.nc``).
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when absent.
    styles : dict, optional
        Legend label -> ``{"color", "linestyle"}``; by default the i-th label gets the i-th style.
    arms : (str, str)
        The treated and reference arms' names, for the axis.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(7, 4.2)
    grid = np.linspace(np.log(HR_GRID[0]), np.log(HR_GRID[1]), 400)
    for i, (label, log_hr) in enumerate(draws_by_label.items()):
        style = (styles or {}).get(label) or series_style(i)
        ax.plot(np.exp(grid), _density(log_hr, grid), lw=1.6, label=label,
                color=style["color"], ls=style["linestyle"])
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    hr_axis(ax)
    ax.set_xlabel(f"Hazard ratio ({arms[0]} vs {arms[1]})")
    ax.set_ylabel("Posterior density (log-HR scale)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_primary_hr_density(log_hr, thresholds: Sequence[float] = (), title: str = "",
                            label: str = "posterior", ax=None,
                            arms: Sequence[str] = ("treated", "reference")):
    """The posterior density of one analysis's hazard ratio with the benefit regions shaded.

    The region HR < 1 is shaded lightly, and HR < each clinically meaningful threshold more
    darkly (hatched), so the shaded areas are the probabilities the summary states.

    Parameters
    ----------
    log_hr : array-like
        Posterior draws of the log hazard ratio (from ``posterior/*.nc``).
    thresholds : sequence of float
        Clinically meaningful hazard ratios (the spec's ``[bayes] thresholds``).
    title, label : str
        Axes title and the density's legend label.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when absent.
    arms : (str, str)
        The treated and reference arms' names, for the axis and the legend.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(5.2, 3.3)
    log_hr = np.asarray(log_hr, dtype=float).ravel()
    low = min(np.log(HR_GRID[0]), float(np.quantile(log_hr, 0.001)))
    high = max(np.log(1.5), float(np.quantile(log_hr, 0.999)))
    grid = np.linspace(low, high, 400)
    density = _density(log_hr, grid)
    hr = np.exp(grid)
    ax.plot(hr, density, color="#0072B2", lw=1.8, label=label)
    ax.fill_between(hr, density, where=hr <= 1.0, color="#56B4E9", alpha=0.35, lw=0,
                    label=f"HR < 1 ({arms[0]} lowers the hazard)")
    for i, threshold in enumerate(sorted(thresholds)):
        ax.fill_between(hr, density, where=hr <= threshold, facecolor="none",
                        edgecolor=("#D55E00", "#009E73", "#CC79A7")[i % 3],
                        hatch=("///", "\\\\\\", "xx")[i % 3], lw=0,
                        label=f"HR < {threshold:g} (clinically meaningful)")
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    hr_axis(ax)
    ax.set_xlim(np.exp(low), np.exp(high))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"Hazard ratio ({arms[0]} vs {arms[1]})")
    ax.set_ylabel("Posterior density")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    return ax


def plot_hr_interval(log_hr, lower: float, upper: float, title: str = "", ax=None,
                     arms: Sequence[str] = ("treated", "reference")):
    """The posterior density of one fit's hazard ratio, its 95 % interval shaded and its
    median marked (:meth:`bayeshcc.fitted.Fit.plot_hazard_ratio`).

    Parameters
    ----------
    log_hr : array-like
        Posterior draws of the log hazard ratio.
    lower, upper : float
        The interval's limits on the HR scale (as :meth:`~bayeshcc.fitted.Fit.hazard_ratio`
        gives them).
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when absent.
    arms : (str, str)
        The treated and reference arms' names, for the axis.

    Returns
    -------
    matplotlib Axes
        Three lines: the density, the median and the reference HR = 1.
    """
    if ax is None:
        ax = new_axes(5.2, 3.3)
    log_hr = np.asarray(log_hr, dtype=float).ravel()
    low = min(np.log(0.5), float(np.quantile(log_hr, 0.001)))
    high = max(np.log(1.5), float(np.quantile(log_hr, 0.999)))
    grid = np.linspace(low, high, 400)
    density = _density(log_hr, grid)
    hr = np.exp(grid)
    median = float(np.exp(np.median(log_hr)))
    ax.plot(hr, density, color="#0072B2", lw=1.8, label="posterior density")
    ax.fill_between(hr, density, where=(hr >= lower) & (hr <= upper), color="#56B4E9",
                    alpha=0.35, lw=0, label=f"95 % interval {lower:.3g} to {upper:.3g}")
    ax.axvline(median, color="#0072B2", ls=":", lw=1.2, label=f"median {median:.3g}")
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    hr_axis(ax)
    ax.set_xlim(np.exp(low), np.exp(high))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"Hazard ratio ({arms[0]} vs {arms[1]})")
    ax.set_ylabel("Posterior density (log-HR scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=7)
    return ax
