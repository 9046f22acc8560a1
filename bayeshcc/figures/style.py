"""One visual language for every figure: the Okabe-Ito colour-blind-safe palette, and a line
style as well as a colour for each model and each adjustment (so greyscale prints still tell
them apart)."""

from __future__ import annotations

from matplotlib.figure import Figure

from bayeshcc.vocab import ADJUSTMENTS

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000")
"""Okabe & Ito (2008) colours, ordered so the first ones are the most distinct."""

LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)), (0, (3, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

ADJUSTMENT_ORDER = ADJUSTMENTS
"""Known adjustments in a fixed order, so each keeps its colour from figure to figure."""


ADJUSTMENT_STYLES = {
    "none": {"color": "#000000", "linestyle": "-", "marker": "o"},
    "covariates": {"color": "#E69F00", "linestyle": "--", "marker": "s"},
    "ate": {"color": "#0072B2", "linestyle": "-.", "marker": "^"},
    "att": {"color": "#009E73", "linestyle": (0, (5, 1, 1, 1, 1, 1)), "marker": "v"},
    "overlap": {"color": "#CC79A7", "linestyle": (0, (10, 3)), "marker": "P"},
    "matched": {"color": "#D55E00", "linestyle": ":", "marker": "D"},
}
"""Each adjustment's colour, line style and marker, the same in every figure (all distinct)."""


def series_style(index: int) -> dict:
    """Colour, line style and marker of the ``index``-th series (cycling after eight)."""
    return {"color": OKABE_ITO[index % len(OKABE_ITO)],
            "linestyle": LINE_STYLES[index % len(LINE_STYLES)],
            "marker": MARKERS[index % len(MARKERS)]}


def adjustment_style(adjustment: str, others: tuple[str, ...] = ()) -> dict:
    """Colour, line style and marker of an adjustment (known ones keep a fixed style).

    Parameters
    ----------
    adjustment : str
        One of :data:`ADJUSTMENT_ORDER`, or another name.
    others : tuple of str
        The unknown adjustments of the same figure, in order; they follow the known ones.
    """
    if adjustment in ADJUSTMENT_STYLES:
        return dict(ADJUSTMENT_STYLES[adjustment])
    others = list(others)
    index = others.index(adjustment) if adjustment in others else len(others)
    return series_style(len(ADJUSTMENT_ORDER) + index)


def new_axes(width: float, height: float, **subplots):
    """A fresh :class:`~matplotlib.figure.Figure` (no pyplot) and its axes."""
    fig = Figure(figsize=(width, height), layout=None)
    return fig.subplots(**subplots)


HR_TICKS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


def hr_axis(ax) -> None:
    """A log-scaled hazard-ratio x axis labelled in plain decimals (0.5, 1, 2), not powers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(HR_TICKS))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
