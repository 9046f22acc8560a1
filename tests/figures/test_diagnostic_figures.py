"""Rank and trace plots are readable at their own size (issue #26: they were 185 px high strips
shown as thumbnails): a panel per parameter titled by it, text of a readable size, the figure
growing with the parameters instead of shrinking them."""

from __future__ import annotations

import matplotlib.figure
import numpy as np
import pytest
import xarray as xr

from bayeshcc.figures import diagnostics
from bayeshcc.figures.diagnostics import diagnostic_plots


def _posterior(path, names):
    rng = np.random.default_rng(3)
    data = {n: (("chain", "draw"), rng.normal(size=(4, 200))) for n in names}
    xr.DataTree.from_dict({"posterior": xr.Dataset(data)}).to_netcdf(path)
    return path


@pytest.fixture
def saved(monkeypatch):
    """The figures ``diagnostic_plots`` saves, in order (rank, then trace)."""
    figures = []
    real = matplotlib.figure.Figure.savefig

    def keep(self, *args, **kwargs):
        figures.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    return figures


def test_every_rank_panel_is_titled_by_its_parameter_in_readable_text(tmp_path, saved):
    names = ("log_hr", "shape", "log_rate")
    diagnostic_plots(_posterior(tmp_path / "p.nc", names), tmp_path / "r.png", tmp_path / "t.png",
                     var_names=names + ("commensurate_sd",))       # absent: skipped
    rank = saved[0]
    titled = [ax for ax in rank.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == list(names)
    assert min(ax.title.get_fontsize() for ax in titled) >= diagnostics.FONT_SIZE
    ticks = [t for ax in titled for t in ax.get_xticklabels()]
    assert min(t.get_fontsize() for t in ticks) >= diagnostics.FONT_SIZE - 1 >= 11


def test_the_figures_grow_with_the_parameters_rather_than_shrink_the_panels(tmp_path, saved):
    for count in (2, 6):
        names = tuple(f"v{i}" for i in range(count))
        diagnostic_plots(_posterior(tmp_path / f"p{count}.nc", names), tmp_path / f"r{count}.png",
                         tmp_path / f"t{count}.png", var_names=names)
    small_rank, small_trace, large_rank, large_trace = (f.get_size_inches() for f in saved)
    assert small_rank[0] == large_rank[0] >= 10           # 720 px at the default 72 dpi
    # the height per row of panels stays: 3 rows of 2 rank panels, 6 rows of trace panels
    assert large_rank[1] == pytest.approx(3 * small_rank[1])
    assert large_trace[1] == pytest.approx(3 * small_trace[1])
