"""Reconstructed Kaplan-Meier curves drawn over the digitised points (draws only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.reconstruct.quality import km_steps


def plot_reconstruction(reconstruction, digitized: pd.DataFrame | None = None, ax=None):
    """Overlay each arm's reconstructed Kaplan-Meier steps on its digitised points.

    Parameters
    ----------
    reconstruction : Reconstruction
        From :func:`bayeshcc.reconstruct.reconstruct_ipd`.
    digitized : pandas.DataFrame, optional
        Points ``arm,time,survival`` to show; default the cleaned points of
        ``reconstruction``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure (no pyplot, Agg-rendered) if None.

    Returns
    -------
    matplotlib.axes.Axes
        One step line per arm labelled ``"<arm> reconstructed"`` and one set of markers
        per arm labelled ``"<arm> digitised"``.

    Examples
    --------
    >>> ax = plot_reconstruction(rec)  # doctest: +SKIP
    >>> ax.figure.savefig("reconstruction.png")  # doctest: +SKIP
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6.4, 4.4)).subplots()
    points = reconstruction.digitized if digitized is None else digitized
    ipd = reconstruction.ipd
    for i, arm in enumerate(dict.fromkeys(ipd["arm"])):
        color = f"C{i}"
        patients = ipd.loc[ipd["arm"] == arm]
        times, surv = km_steps(patients["time"].to_numpy(), patients["event"].to_numpy())
        end = float(patients["time"].max())
        x = np.concatenate([[0.0], times, [max(end, times[-1] if times.size else 0.0)]])
        y = np.concatenate([[1.0], surv, [surv[-1] if surv.size else 1.0]])
        ax.step(x, y, where="post", color=color, label=f"{arm} reconstructed")
        mine = points.loc[points["arm"].astype(str) == str(arm)]
        ax.plot(mine["time"], mine["survival"], linestyle="none", marker="o", markersize=3,
                markerfacecolor="none", color=color, alpha=0.7, label=f"{arm} digitised")
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival probability")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False)
    return ax
