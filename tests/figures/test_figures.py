"""Figures draw what the tables say: one curve per arm, one marker per covariate, one line per HR."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd

from bayeshcc.figures.balance import plot_love
from bayeshcc.figures.forest import plot_forest
from bayeshcc.figures.forest import plot_sensitivity_forest
from bayeshcc.figures.km import plot_km
from bayeshcc.figures.posterior import plot_hr_densities, plot_primary_hr_density


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


def _grid():
    rows = []
    for outcome in ("os", "pfs"):
        for adjustment in ("none", "ate", "matched"):
            for model in ("weibull", "piecewise"):
                rows.append({"outcome": outcome, "model": model, "prior": "wi",
                             "adjustment": adjustment, "hr_median": 0.6, "hr_lower": 0.4,
                             "hr_upper": 0.9, "reliable": model == "weibull",
                             "primary": adjustment == "ate" and model == "weibull"})
    return pd.DataFrame(rows)


def test_importing_bayeshcc_and_its_figures_leaves_the_matplotlib_backend_alone():
    code = ("import importlib, pkgutil, matplotlib\n"
            "before = matplotlib.get_backend()\n"
            "import bayeshcc, bayeshcc.figures\n"
            "for m in pkgutil.iter_modules(bayeshcc.figures.__path__):\n"
            "    importlib.import_module('bayeshcc.figures.' + m.name)\n"
            "import bayeshcc.report, bayeshcc.stages, bayeshcc.results\n"
            "print(before, matplotlib.get_backend())\n")
    env = dict(os.environ, MPLBACKEND="svg")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["svg", "svg"]


def test_no_figure_module_selects_a_backend():
    from pathlib import Path

    import bayeshcc

    sources = Path(bayeshcc.__file__).parent.rglob("*.py")
    assert not [p.name for p in sources if "matplotlib.use(" in p.read_text()]


def test_sensitivity_forest_gives_each_adjustment_its_own_colour_and_line_style():
    fig = plot_sensitivity_forest(_grid())
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "unadjusted", "ATE-weighted", "matched"]
    styles = {(h.get_color(), str(h.get_linestyle())) for h in legend.legend_handles}
    assert len(styles) == 3 and len({c for c, _ in styles}) == 3 and len({s for _, s in styles}) == 3


def test_sensitivity_forest_marks_the_primary_and_the_unreliable_fits():
    fig = plot_sensitivity_forest(_grid())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels.count("Weibull, wi (primary)") == 1
    assert labels.count("piecewise exponential, wi (unreliable)") == 3
    assert len(fig.axes) == 2  # one panel per outcome


def test_hr_densities_never_share_a_colour_and_line_style():
    rng = np.random.default_rng(1)
    draws = {f"fit {i}": rng.normal(-0.3, 0.2, 300) for i in range(6)}
    ax = plot_hr_densities(draws)
    styles = [(line.get_color(), str(line.get_linestyle())) for line in ax.get_lines()
              if not line.get_label().startswith("_")]
    assert len(styles) == 6 and len(set(styles)) == 6
    assert len({c for c, _ in styles}) == 6


def test_primary_density_shades_benefit_and_clinically_meaningful_regions():
    rng = np.random.default_rng(2)
    ax = plot_primary_hr_density(rng.normal(-0.4, 0.2, 500), thresholds=[0.8])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "HR < 1 (treated lowers the hazard)" in labels
    assert "HR < 0.8 (clinically meaningful)" in labels
    assert ax.get_xscale() == "log"


def test_figures_are_standalone_figure_objects_outside_pyplot():
    ax = plot_forest(pd.DataFrame({"label": ["t"], "hr": [0.5], "hr_lower": [0.3],
                                   "hr_upper": [0.8]}))
    assert ax.figure.canvas.manager is None  # pyplot would have given it a window manager


def test_every_adjustment_has_its_own_colour_line_style_and_marker():
    from bayeshcc.figures.style import ADJUSTMENT_ORDER, OKABE_ITO, adjustment_style

    styles = [adjustment_style(a) for a in ADJUSTMENT_ORDER]
    for key in ("color", "linestyle", "marker"):
        assert len({str(s[key]) for s in styles}) == len(ADJUSTMENT_ORDER)
    assert all(s["color"] in OKABE_ITO for s in styles)  # colour-blind-safe palette


def test_ps_histogram_mirrors_the_reference_arm_below_the_axis():
    from bayeshcc.figures.overlap import plot_ps_histogram

    hist = pd.DataFrame({"arm": ["treated"] * 2 + ["reference"] * 2,
                         "bin_lower": [0.0, 0.5] * 2, "bin_upper": [0.5, 1.0] * 2,
                         "n": [3, 5, 7, 1]})
    ax = plot_ps_histogram(hist, arms=("new", "old"))
    heights = [p.get_height() for p in ax.patches if hasattr(p, "get_height")
               and p.get_width() == 0.5]
    assert heights == [3, 5, -7, -1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["new (n = 8)", "old (n = 8)"]


def test_love_plot_draws_one_series_per_weighted_population():
    balance = pd.DataFrame({"covariate": ["age", "sex[male]"], "smd_unadjusted": [0.5, -0.2],
                            "smd_matched": [0.05, 0.01], "smd_weighted": [0.1, 0.2],
                            "smd_ate": [0.1, 0.2], "smd_overlap": [0.0, 0.0]})
    ax = plot_love(balance)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Unadjusted", "Matched", "ATE weights", "Overlap weights"]
