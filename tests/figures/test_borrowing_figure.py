"""The discount-sweep figure draws what ``borrowing_sweep.csv`` says."""

import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from bayeshcc.figures.borrowing import plot_borrowing_sweep

A0 = [0.0, 0.25, 0.5, 0.75, 1.0]


def _sweep() -> pd.DataFrame:
    rows = []
    for outcome, prior in (("os", "persano_half"), ("os", "other_trial")):
        for i, a0 in enumerate(A0):
            rows.append({"outcome": outcome, "prior": prior, "a0": a0,
                         "hr_median": 0.62 - 0.02 * i, "hr_lower": 0.35, "hr_upper": 1.05 - 0.05 * i,
                         "prob_hr_below_1": 0.95 + 0.01 * i, "reliable": i != 2})
    return pd.DataFrame(rows)


def test_sweep_figure_has_one_series_per_prior_in_both_panels():
    fig = plot_borrowing_sweep(_sweep())
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()] == ["os, persano_half", "os, other_trial"]
    assert left.get_ylabel() == "P(HR < 1)" and right.get_yscale() == "log"
    # P(HR < 1) at each a0, and each interval as a vertical segment (5 per prior)
    assert list(left.get_lines()[0].get_ydata()) == [0.95, 0.96, 0.97, 0.98, 0.99]
    segments = [c for c in right.collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in segments) == 10
    assert segments[0].get_segments()[0][:, 1].tolist() == [0.35, 1.05]


def test_unreliable_fits_are_drawn_hollow():
    fig = plot_borrowing_sweep(_sweep())
    left = fig.axes[0]
    hollow = [c for c in left.collections if len(c.get_offsets())
              and (c.get_facecolors()[:, :3] == 1).all()]
    assert sum(len(c.get_offsets()) for c in hollow) == 2  # a0 = 0.5 of both priors
