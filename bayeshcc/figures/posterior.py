"""Bayesian figures: marginal survival bands, and the posterior-predictive check against the
observed Kaplan-Meier curve. Both read the ``marginal_survival`` and ``km_curves`` tables."""

from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bayeshcc.figures.km import ARM_COLOURS  # noqa: E402


def plot_marginal_survival(curves: pd.DataFrame, arms: Sequence[str], title: str = "",
                           km: pd.DataFrame | None = None, time_label: str = "Time", ax=None):
    """Posterior median survival per arm with its 95 % band; with ``km``, the observed
    Kaplan-Meier steps on top (a posterior-predictive check).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for i, arm in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        c = curves[curves["arm"].astype(str) == str(arm)].sort_values("time")
        ax.plot(c["time"], c["survival"], color=colour, lw=1.8, label=f"{arm} (model)")
        ax.fill_between(c["time"], c["lower"], c["upper"], color=colour, alpha=0.2, lw=0)
        if km is not None:
            k = km[km["arm"].astype(str) == str(arm)].sort_values("time")
            ax.step(np.concatenate([[0.0], k["time"]]), np.concatenate([[1.0], k["survival"]]),
                    where="post", color=colour, ls="--", lw=1.2, label=f"{arm} (Kaplan-Meier)")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(time_label)
    ax.set_ylabel("Survival probability")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_hr_densities(draws_by_label: dict, title: str = "", ax=None):
    """Posterior densities of the hazard ratio (log axis), one line per fit; reads draws that
    were loaded from ``posterior/*.nc``.

    Returns
    -------
    matplotlib Axes
    """
    from scipy.stats import gaussian_kde

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    grid = np.linspace(np.log(0.1), np.log(3.0), 400)
    for i, (label, log_hr) in enumerate(draws_by_label.items()):
        density = gaussian_kde(np.asarray(log_hr))(grid)
        ax.plot(np.exp(grid), density, lw=1.6, label=label,
                color=ARM_COLOURS[i % len(ARM_COLOURS)] if i < len(ARM_COLOURS) else None)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("Hazard ratio (treated vs reference)")
    ax.set_ylabel("Posterior density (log-HR scale)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax
