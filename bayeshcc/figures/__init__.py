"""Figures: each function reads tidy tables (never raw data), draws, and returns what it drew.

No module here touches matplotlib's global state: nothing calls ``matplotlib.use`` or pyplot;
every figure is a :class:`matplotlib.figure.Figure` made directly (rendered by the Agg, SVG or
PDF canvas its ``savefig`` picks), so importing :mod:`bayeshcc` leaves the user's backend alone.
"""
