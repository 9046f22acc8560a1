"""Figures draw what the tables say: one curve per arm, one marker per covariate, one line per HR."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from bayeshcc.figures.balance import plot_love
from bayeshcc.figures.forest import plot_forest
from bayeshcc.figures.km import plot_km


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _curves():
    return pd.DataFrame({
        "arm": ["A", "A", "A", "B", "B"],
        "time": [1.0, 2.0, 3.0, 1.5, 2.5],
        "n_risk": [10, 8, 5, 10, 6], "n_event": [1, 1, 0, 2, 1], "n_censor": [1, 2, 5, 2, 5],
        "survival": [0.9, 0.7875, 0.7875, 0.8, 0.6667],
        "lower": [0.7, 0.55, 0.55, 0.6, 0.4], "upper": [1.0, 1.0, 1.0, 1.0, 1.0],
    })


def test_km_plot_draws_one_step_curve_per_arm_and_the_risk_numbers():
    at_risk = pd.DataFrame({"arm": ["A", "A", "B", "B"], "time": [0, 2, 0, 2], "n_risk": [10, 8, 10, 6]})
    ax, risk_ax = plot_km(_curves(), at_risk, arms=["A", "B"], title="OS")
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["A", "B"]
    steps = ax.get_lines()[0]
    assert steps.get_xdata()[0] == 0 and steps.get_ydata()[0] == 1.0  # curves start at S(0) = 1
    assert sorted(t.get_text() for t in risk_ax.texts) == sorted(["10", "8", "10", "6"])
    assert ax.get_title() == "OS"


def test_love_plot_has_one_marker_per_covariate_per_adjustment():
    balance = pd.DataFrame({"covariate": ["age", "sex[male]", "stage[II]"],
                            "smd_unadjusted": [0.5, -0.2, 0.3], "smd_matched": [0.05, 0.01, -0.02],
                            "smd_weighted": [np.nan] * 3})
    ax = plot_love(balance)
    offsets = [c.get_offsets() for c in ax.collections]
    assert len(offsets) == 2 and all(len(o) == 3 for o in offsets)  # weighted is all NaN: not drawn
    np.testing.assert_allclose(sorted(offsets[0][:, 0]), [0.2, 0.3, 0.5])  # absolute SMDs


def test_forest_plot_draws_interval_and_point_per_row_on_log_axis():
    rows = pd.DataFrame({"label": ["treatment", "age"], "hr": [0.5, 1.1],
                         "hr_lower": [0.3, 0.9], "hr_upper": [0.8, 1.3]})
    ax = plot_forest(rows)
    assert ax.get_xscale() == "log"
    shown = {tick: label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels())}
    assert shown == {1: "treatment", 0: "age"}  # first row on top
    points = [line for line in ax.get_lines() if line.get_marker() == "s"]
    assert sorted(p.get_xdata()[0] for p in points) == [0.5, 1.1]
