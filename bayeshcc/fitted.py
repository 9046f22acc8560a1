"""A fitted model and its verbs: what :func:`bayeshcc.fit` returns and :func:`load_fit` reads.

A :class:`Fit` holds one Bayesian survival fit (its posterior and the data it saw), what
produced it (the task, the arms, the RMST horizon, the calibration) and the sampler's
diagnostics. Its methods answer the questions a statistician asks of a fit: the hazard ratio
(:meth:`Fit.hazard_ratio`), a table of the main quantities (:meth:`Fit.summary`), survival
standardised over the analysed patients (:meth:`Fit.survival_function`) or for given patient
profiles (:meth:`Fit.predict_survival`), RMST and medians, figures, and saving
(:meth:`Fit.to_netcdf`, read back by :func:`load_fit`).

Every number comes from the functions the pipeline's tables use
(:mod:`bayeshcc.bayes.contrasts`, :func:`bayeshcc.bayes.summaries.fit_rows`), so a fit's numbers
are those of its rows of ``posterior_hr.csv`` and ``posterior_contrasts.csv``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayeshcc.errors import AnalysisError, AnalysisWarning

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

    from bayeshcc.bayes.calibration import CalibrationDesign
    from bayeshcc.bayes.diagnostics import Convergence
    from bayeshcc.bayes.fit import BayesFit
    from bayeshcc.bayes.plan import FitTask
    from bayeshcc.design import ProfileDesign
    from bayeshcc.spec import AnalysisSpec

# The DataTree node of a file written by Fit.to_netcdf that holds what the posterior alone does
# not: the fit's data arrays, and its settings and summaries as JSON in the attribute ``fit``.
FIT_GROUP = "bayeshcc_fit"
FILE_FORMAT = 1


@dataclass(frozen=True, eq=False)
class Fit:
    """One Bayesian survival fit, with the verbs of a fitted model.

    Made by :func:`bayeshcc.fit` (or read back by :func:`load_fit`); not meant to be built by
    hand. Two fits are equal only when they are the same object.

    Attributes
    ----------
    bayes_fit : bayeshcc.bayes.fit.BayesFit
        The fitted model: posterior (calibrated when the adjustment is weighted or matched and
        ``uncertainty="sandwich"``), prior, model data and cut points.
    task : bayeshcc.bayes.plan.FitTask
        Outcome, model, prior, adjustment and the fit's own (derived) seed.
    arms : tuple
        Treated and reference levels as the treatment column holds them (e.g. ``1`` and
        ``0`` for an integer column, ``"new"`` and ``"old"`` for text).
    arm_names : (str, str)
        The arms as text, as the tables' ``arm`` column names them.
    tau : float
        RMST horizon used by :meth:`rmst` and :meth:`summary` when none is given.
    convergence : bayeshcc.bayes.diagnostics.Convergence
        Diagnostics of the draws as sampled.
    profiles : bayeshcc.design.ProfileDesign
        How a row of a new table is encoded as the analysed patients were
        (:meth:`predict_survival`).
    thresholds : tuple of float
        HR thresholds of :meth:`hazard_ratio` by default.
    weighted : bool
        Whether the likelihood is weighted (a pseudo-likelihood; LOO is not predictive).
    uncertainty : str
        How the interval was made: ``model``, ``sandwich``, ``kish`` or ``ps_bootstrap``.
    spec : bayeshcc.spec.AnalysisSpec or None
        The one-fit spec :func:`bayeshcc.fit` wrote (None for a fit read by :func:`load_fit`).
    calibration : bayeshcc.bayes.calibration.CalibrationDesign or None
        The sandwich calibration of a weighted or matched fit (None: used as sampled, or read
        by :func:`load_fit`, whose file keeps the summaries computed with it instead).
    borrowing : mapping or None
        The borrowing columns of :meth:`table_row` as saved by :meth:`to_netcdf` (None:
        computed from the fit and its calibration when first asked for).
    """

    bayes_fit: BayesFit
    task: FitTask
    arms: tuple[Any, Any]
    arm_names: tuple[str, str]
    tau: float
    convergence: Convergence
    profiles: ProfileDesign
    thresholds: tuple[float, ...] = ()
    weighted: bool = False
    uncertainty: str = "model"
    spec: AnalysisSpec | None = field(default=None, repr=False)
    calibration: CalibrationDesign | None = field(default=None, repr=False)
    borrowing: Mapping[str, float] | None = field(default=None, repr=False)

    # --- the posterior ---------------------------------------------------------------------
    @property
    def tree(self) -> xr.DataTree:
        """The posterior as an xarray DataTree (posterior, sample_stats, log_likelihood, ...)."""
        return self.bayes_fit.posterior

    @property
    def reliable(self) -> bool:
        """Whether the sampler's diagnostics pass (R-hat, ESS, divergences, E-BFMI)."""
        return bool(self.convergence.reliable)

    @property
    def calibrated(self) -> bool:
        """Whether the draws were mapped by the sandwich calibration (its intervals are then
        calibrated intervals, not credible intervals)."""
        from bayeshcc.bayes.calibration import ATTR_METHOD

        return ATTR_METHOD in self.tree["posterior"].attrs

    # --- the hazard ratio -------------------------------------------------------------------
    def hazard_ratio(self, thresholds: Sequence[float] | None = None) -> pd.Series:
        """The posterior hazard ratio, treated vs reference.

        Parameters
        ----------
        thresholds : sequence of float, optional
            HRs ``t`` for ``P(HR < t)``; default: the ``thresholds`` given to
            :func:`bayeshcc.fit`.

        Returns
        -------
        pandas.Series
            ``median``, ``lower``, ``upper`` (equal-tailed 95 %), ``prob_hr_below_1`` and
            ``prob_hr_below_<t>`` for each threshold: the numbers of the fit's
            ``posterior_hr.csv`` row, under the same names.
        """
        from bayeshcc.bayes.contrasts import hr_summary

        thresholds = self.thresholds if thresholds is None else tuple(thresholds)
        for t in thresholds:
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0:
                raise AnalysisError(f"hazard_ratio: thresholds must be positive hazard ratios, "
                                    f"got {t!r}")
        row = hr_summary(self.bayes_fit, thresholds)
        out = {"median": row["hr_median"], "lower": row["hr_lower"], "upper": row["hr_upper"],
               "prob_hr_below_1": row["prob_hr_below_1"]}
        for t in thresholds:
            out[f"prob_hr_below_{t:g}"] = row[f"prob_hr_below_{t:g}"]
        return pd.Series(out, name="hazard_ratio", dtype=float)

    # --- survival ---------------------------------------------------------------------------
    @staticmethod
    def _times(times: float | Sequence[float], verb: str) -> np.ndarray:
        grid = np.atleast_1d(np.asarray(times, dtype=float))
        if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise AnalysisError(f"{verb}: times must be finite and >= 0, got {times!r}")
        return grid

    def survival_function(self, times: float | Sequence[float]) -> pd.DataFrame:
        """Survival per arm standardised over the analysed population, and the difference.

        Each arm's curve averages every analysed patient's survival with the treatment set to
        that arm, weighted by the analysis weights (:mod:`bayeshcc.bayes.contrasts`), per
        posterior draw.

        Parameters
        ----------
        times : float or sequence of float
            Times (>= 0) in the data's unit.

        Returns
        -------
        pandas.DataFrame
            Columns ``time``, ``arm`` (the two :attr:`arm_names`, then ``difference``,
            treated minus reference), ``estimate``, ``lower``, ``upper`` (posterior median
            and equal-tailed 95 %) and ``prob_above_0`` (difference rows; NaN otherwise).
        """
        from bayeshcc.bayes.contrasts import interval, marginal_survival

        grid = self._times(times, "survival_function")
        s = marginal_survival(self.bayes_fit, grid)
        rows = []
        for g, t in enumerate(grid):
            values = (s[0, :, g], s[1, :, g], s[0, :, g] - s[1, :, g])
            for arm, v in zip(list(self.arm_names) + ["difference"], values):
                lo, hi = interval(v)
                rows.append({"time": float(t), "arm": arm, "estimate": float(np.median(v)),
                             "lower": lo, "upper": hi,
                             "prob_above_0": float(np.mean(v > 0)) if arm == "difference"
                             else np.nan})
        return pd.DataFrame(rows)

    def predict_survival(self, new_df: pd.DataFrame,
                         times: float | Sequence[float]) -> pd.DataFrame:
        """Survival curves of patient profiles: one per row of ``new_df``.

        Each row is encoded as the analysed patients were (:attr:`profiles`): its arm from the
        treatment column and, for a fit with covariates in the model, its covariates (a
        categorical one against the fitted patients' levels). A fit without covariates in the
        model (``adjustment`` ``none`` or a propensity-score adjustment) needs the treatment
        column only, and a profile's curve is then its arm's :meth:`survival_function`.

        Parameters
        ----------
        new_df : pandas.DataFrame
            One row per profile; the treatment column holds an arm (as in the fitted data, or
            its text), the covariate columns values of the fitted kind.
        times : float or sequence of float
            Times (>= 0) in the data's unit.

        Returns
        -------
        pandas.DataFrame
            Tidy: ``profile`` (the row's index label), ``time``, ``estimate``, ``lower``,
            ``upper`` (posterior median and equal-tailed 95 %), rows in ``new_df``'s order.

        Raises
        ------
        bayeshcc.errors.AnalysisError
            A needed column is missing (the message names it), or a value is not an arm, not a
            number or an unknown level.
        """
        from bayeshcc.bayes.contrasts import interval, profile_survival

        if not isinstance(new_df, pd.DataFrame):
            raise TypeError(f"predict_survival: new_df must be a pandas DataFrame, got "
                            f"{type(new_df).__name__}")
        if len(new_df) == 0:
            raise AnalysisError("predict_survival: new_df has no rows")
        grid = self._times(times, "predict_survival")
        if self.profiles.terms != tuple(self.bayes_fit.data.covariate_names):
            raise AnalysisError(f"predict_survival: the fit's design {self.profiles.terms} is not "
                                f"its model's {self.bayes_fit.data.covariate_names}")
        try:
            treated, X = self.profiles.encode(new_df)
        except AnalysisError as exc:
            raise AnalysisError(f"predict_survival: {exc}") from None
        s = profile_survival(self.bayes_fit, grid, treated, X)
        rows = []
        for p, label in enumerate(new_df.index):
            for g, t in enumerate(grid):
                lo, hi = interval(s[p, :, g])
                rows.append({"profile": label, "time": float(t),
                             "estimate": float(np.median(s[p, :, g])), "lower": lo, "upper": hi})
        return pd.DataFrame(rows)

    def _contrasts(self, quantity: str, tau: float | None = None) -> pd.DataFrame:
        from bayeshcc.bayes.contrasts import survival_contrasts

        tau = self.tau if tau is None else tau
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not tau > 0:
            raise AnalysisError(f"tau must be a positive time, got {tau!r}")
        table, _ = survival_contrasts(self.bayes_fit, float(tau), self.arm_names)
        if quantity:
            table = table[table["quantity"] == quantity]
        return table.reset_index(drop=True)

    def rmst(self, tau: float | None = None) -> pd.DataFrame:
        """Restricted mean survival time per arm and the difference.

        Parameters
        ----------
        tau : float, optional
            The horizon (default: the fit's :attr:`tau`).

        Returns
        -------
        pandas.DataFrame
            The ``rmst`` rows of ``posterior_contrasts.csv``: ``arm``, ``estimate``,
            ``lower``, ``upper``, ``prob_above_0``, ...
        """
        return self._contrasts("rmst", tau)

    def median(self) -> pd.DataFrame:
        """Median survival per arm and the difference.

        Returns
        -------
        pandas.DataFrame
            The ``median`` rows of ``posterior_contrasts.csv`` (NaN estimate when the median
            is not reached in most draws).
        """
        return self._contrasts("median")

    # --- tables -----------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The fit's main quantities, one row each.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``quantity``: ``hr`` (the hazard ratio), ``prob_hr_below_1`` and
            ``prob_hr_below_<t>`` for each of :attr:`thresholds`, then the treated minus
            reference differences of median survival (``median_difference``), of RMST up to
            :attr:`tau` (``rmst_difference``) and of survival at :attr:`tau`
            (``survival_difference``). Columns: ``label`` (in words), ``estimate``,
            ``lower``, ``upper`` (equal-tailed 95 %; NaN for probabilities), ``interval``
            (what the interval or probability is: credible or calibrated) and ``reliable``
            (the sampler's diagnostics pass). The numbers are those of the fit's rows of
            ``posterior_hr.csv`` and ``posterior_contrasts.csv``.
        """
        from bayeshcc.bayes.calibration import interval_words

        words = interval_words(self.calibrated)
        treated, reference = self.arm_names
        hr = self.hazard_ratio()
        rows = [("hr", f"Hazard ratio ({treated} vs {reference})", hr["median"], hr["lower"],
                 hr["upper"], f"95 % {words['interval']}")]
        for name in hr.index[3:]:
            t = name.removeprefix("prob_hr_below_")
            rows.append((name, f"P(HR < {t})", hr[name], np.nan, np.nan, words["probability"]))
        contrasts = self._contrasts("")
        difference = contrasts[contrasts["arm"] == "difference"].set_index("quantity")
        for quantity, label in (("median", "Median survival difference"),
                                ("rmst", f"RMST difference up to {self.tau:g}"),
                                ("survival", f"Survival difference at {self.tau:g}")):
            r = difference.loc[quantity]
            rows.append((f"{quantity}_difference", f"{label} ({treated} minus {reference})",
                         r["estimate"], r["lower"], r["upper"], f"95 % {words['interval']}"))
        table = pd.DataFrame(rows, columns=["quantity", "label", "estimate", "lower", "upper",
                                            "interval"])
        table["reliable"] = self.reliable
        return table.set_index("quantity")

    @cached_property
    def _borrowing(self) -> dict:
        from bayeshcc.bayes.borrowing import borrowing_columns

        if self.borrowing is not None:
            return dict(self.borrowing)
        return borrowing_columns(self.bayes_fit, self.calibration)

    def table_row(self) -> dict:
        """The fit's ``posterior_hr.csv`` row.

        Returns
        -------
        dict
            Key (outcome, model, prior, adjustment), estimand, HR median and interval,
            ``prob_hr_below_*``, convergence flags, n, events, seed, ``uncertainty`` and the
            borrowing columns of :mod:`bayeshcc.bayes.borrowing`.
        """
        from bayeshcc.bayes.summaries import fit_rows

        hr, _, _, _ = fit_rows(self.task, self.bayes_fit, self.tau, self.arm_names,
                               self.thresholds, with_contrasts=False, conv=self.convergence)
        hr["uncertainty"] = self.uncertainty
        hr.update(self._borrowing)
        return hr

    # --- figures ----------------------------------------------------------------------------
    def plot_survival(self, ax: Axes | None = None, km: bool = True) -> Axes:
        """The model's survival curve of each arm with its 95 % band
        (:meth:`survival_function` on a grid up to the last follow-up) and, with ``km``, the
        Kaplan-Meier curves of the analysed population on top (weighted by the analysis
        weights for a weighted fit).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default: a new pyplot figure.
        km : bool
            Draw the Kaplan-Meier curves.

        Returns
        -------
        matplotlib.axes.Axes
            Two model lines, and two Kaplan-Meier steps with ``km``.
        """
        from bayeshcc.figures.posterior import plot_marginal_survival

        if ax is None:
            ax = _new_axes()
        d = self.bayes_fit.data
        grid = np.linspace(0.0, float(d.time.max()), 101)
        table = self.survival_function(grid)
        curves = table[table["arm"] != "difference"].rename(columns={"estimate": "survival"})
        observed = None
        if km:
            from bayeshcc.frequentist.km import kaplan_meier

            weights = d.raw_weights if self.weighted else None
            parts = []
            for name, arm in zip(self.arm_names, (1.0, 0.0)):
                rows = d.treated == arm
                curve = kaplan_meier(d.time[rows], d.event[rows],
                                     None if weights is None else weights[rows])
                parts.append(pd.DataFrame({"arm": name, "time": curve.time,
                                           "survival": curve.survival}))
            observed = pd.concat(parts, ignore_index=True)
        title = self.task.label + (" (weighted Kaplan-Meier)" if km and self.weighted else "")
        return plot_marginal_survival(curves, self.arm_names, title=title, km=observed, ax=ax)

    def plot_hazard_ratio(self, ax: Axes | None = None) -> Axes:
        """The posterior density of the hazard ratio with its 95 % interval shaded and its
        median marked (:meth:`hazard_ratio`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default: a new pyplot figure.

        Returns
        -------
        matplotlib.axes.Axes
            Three lines: the density, the median and the reference HR = 1.
        """
        from bayeshcc.figures.posterior import plot_hr_interval

        if ax is None:
            ax = _new_axes()
        hr = self.hazard_ratio(())
        return plot_hr_interval(self.bayes_fit.draws()["log_hr"], hr["lower"], hr["upper"],
                                title=self.task.label, ax=ax, arms=self.arm_names)

    def plot_ppc(self, num_samples: int = 100, **kwargs):
        """Posterior predictive check for censored data: the Kaplan-Meier curve of the observed
        times against the Kaplan-Meier curves of event times drawn from the posterior predictive
        distribution (:func:`arviz_plots.plot_ppc_censored`, drawn with matplotlib).

        Drawn with ``extrapolation_factor=None`` unless given: ArviZ's default (1.2) drops the
        predicted times beyond 1.2 times the largest follow-up, so that where the model predicts
        long survival (22 % of the draws on a cohort with 5 years of follow-up) the predictive
        curves fall to 0 below the Kaplan-Meier curve although the model fits. For a weighted
        fit the observed curve is the unweighted sample's, the predictive one the weighted
        model's: a warning says so.

        Parameters
        ----------
        num_samples : int
            Predictive draws drawn as curves.
        **kwargs
            Passed to :func:`arviz_plots.plot_ppc_censored`.

        Returns
        -------
        arviz_plots.PlotCollection
        """
        from arviz_plots import plot_ppc_censored

        if "posterior_predictive" not in self.tree.children:
            raise AnalysisError("plot_ppc: this fit has no posterior_predictive group (it is "
                                "left out beyond bayeshcc.bayes.groups.MAX_POINTWISE_VALUES)")
        if self.weighted:
            warnings.warn("plot_ppc: a weighted fit's predictive curves are the weighted "
                          "model's, the observed Kaplan-Meier curve is the unweighted sample's",
                          AnalysisWarning, stacklevel=2)
        kwargs.setdefault("extrapolation_factor", None)
        kwargs.setdefault("backend", "matplotlib")
        return plot_ppc_censored(self.tree, num_samples=num_samples, **kwargs)

    # --- saving -----------------------------------------------------------------------------
    def to_netcdf(self, path: str | Path, force: bool = False) -> Path:
        """Save the fit to one netCDF file, read back by :func:`load_fit`.

        The file is the posterior DataTree plus a group ``bayeshcc_fit`` holding the model's
        data (times, events, arms, standardised covariates, weights) and, as JSON in its
        attribute ``fit``, the task, arms, horizon, thresholds, prior, diagnostics, profile
        design and the borrowing summaries computed with the calibration. It is written to a
        temporary file beside ``path`` and then renamed: an interrupted write leaves no
        partial file.

        Parameters
        ----------
        path : str or Path
            The file (``.nc``); its folder must exist.
        force : bool
            Replace an existing file.

        Returns
        -------
        Path

        Raises
        ------
        bayeshcc.results.ResultsExistError
            ``path`` exists and ``force`` is False (the file is left as it was).
        """
        import xarray as xr

        from bayeshcc.interrupts import deferred
        from bayeshcc.results import ResultsExistError

        path = Path(path)
        if path.is_dir():
            raise ResultsExistError(f"to_netcdf: {path} is a folder; give a file path")
        if path.exists() and not force:
            raise ResultsExistError(f"to_netcdf: {path} already exists; pass force=True to "
                                    "replace it, or choose another path")
        tree = self.tree.copy()
        tree[FIT_GROUP] = xr.DataTree(self._saved_arrays(), name=FIT_GROUP)
        fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                       dir=path.parent)
        os.close(fd)
        try:
            with deferred():  # an interrupt inside netCDF I/O would leave its file lock held
                tree.to_netcdf(partial, engine="netcdf4")
            if path.exists() and not force:  # it appeared while we were writing
                raise ResultsExistError(f"to_netcdf: {path} already exists; pass force=True "
                                        "to replace it")
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return path

    def _saved_arrays(self) -> xr.Dataset:
        """The ``bayeshcc_fit`` group: the model's data and the settings as JSON."""
        import xarray as xr

        from bayeshcc.bayes.commensurate import CurvePrior

        d = self.bayes_fit.data
        prior = self.bayes_fit.prior
        variables = {"time": ("patient", d.time), "event": ("patient", d.event),
                     "treated": ("patient", d.treated), "weights": ("patient", d.weights),
                     "X": (("patient", "term"), d.X), "x_mean": ("term", d.x_mean),
                     "x_sd": ("term", d.x_sd)}
        if d.raw_weights is not None:
            variables["raw_weights"] = ("patient", np.asarray(d.raw_weights, dtype=float))
        arrays = {f.name for f in dataclasses.fields(prior) if f.name.startswith("external_")}
        for name in arrays:
            variables[f"prior_{name}"] = ("external_patient", getattr(prior, name))
        meta = {
            "format": FILE_FORMAT,
            "task": dataclasses.asdict(self.task),
            "arms": list(self.arms), "arm_names": list(self.arm_names),
            "tau": self.tau, "thresholds": list(self.thresholds),
            "convergence": dataclasses.asdict(self.convergence),
            "weighted": self.weighted, "uncertainty": self.uncertainty,
            "model": self.bayes_fit.model, "seed": self.bayes_fit.seed,
            "cuts": None if self.bayes_fit.cuts is None else list(self.bayes_fit.cuts),
            "covariate_names": list(d.covariate_names), "time_scale": d.time_scale,
            "prior": {"class": "CurvePrior" if isinstance(prior, CurvePrior) else "Prior",
                      **{f.name: getattr(prior, f.name) for f in dataclasses.fields(prior)
                         if f.name not in arrays}},
            "profiles": self.profiles.to_dict(),
            "borrowing": self._borrowing,
        }
        return xr.Dataset(variables, attrs={"fit": json.dumps(meta, default=_plain)})

    # --- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        hr = self.hazard_ratio(())
        return (f"<bayeshcc Fit {self.task.label}: HR {hr['median']:.3g} "
                f"({hr['lower']:.3g} to {hr['upper']:.3g}), uncertainty={self.uncertainty}, "
                f"{'reliable' if self.reliable else 'NOT reliable'}>")

    def _repr_html_(self) -> str:
        """The :meth:`summary` table as HTML, titled with the fit's key (for notebooks)."""
        from html import escape

        status = "reliable" if self.reliable else "NOT reliable: " + self.convergence.message
        table = self.summary().to_html(float_format=lambda v: f"{v:.3g}", na_rep="",
                                       border=0)
        return (f"<p><b>bayeshcc Fit {escape(self.task.label)}</b> "
                f"(uncertainty={escape(self.uncertainty)}, {escape(status)})</p>{table}")


def _new_axes() -> Axes:
    """A new pyplot figure's axes (shown in notebooks as pyplot figures are)."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4.5))
    return ax


def _plain(value):
    """JSON form of NumPy scalars and arrays (json.dumps ``default``)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot save {type(value).__name__} as JSON")


def load_fit(path: str | Path) -> Fit:
    """Read a fit saved by :meth:`Fit.to_netcdf`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Fit
        With the same posterior, data and settings: :meth:`Fit.summary`,
        :meth:`Fit.table_row` and the other verbs give the numbers of the saved fit. Its
        ``spec`` and ``calibration`` are None (the borrowing summaries computed with the
        calibration are read from the file).

    Raises
    ------
    bayeshcc.errors.AnalysisError
        The file was not written by :meth:`Fit.to_netcdf` (e.g. a results folder's
        ``posterior/NAME.nc``, which holds the posterior alone).
    """
    from bayeshcc.bayes.commensurate import CurvePrior
    from bayeshcc.bayes.data import SurvivalData
    from bayeshcc.bayes.diagnostics import Convergence
    from bayeshcc.bayes.fit import BayesFit
    from bayeshcc.bayes.plan import FitTask
    from bayeshcc.bayes.priors import Prior
    from bayeshcc.design import ProfileDesign
    from bayeshcc.results import load_posterior

    path = Path(path)
    if not path.is_file():
        raise AnalysisError(f"load_fit: no file {path}")
    tree = load_posterior(path)
    if FIT_GROUP not in tree.children or "fit" not in tree[FIT_GROUP].attrs:
        raise AnalysisError(f"load_fit: {path} was not written by Fit.to_netcdf (it has no "
                            f"{FIT_GROUP!r} group); a results folder's posterior file holds the "
                            "posterior alone: read it with bayeshcc.results.load_posterior")
    saved = tree[FIT_GROUP].to_dataset()
    meta = json.loads(saved.attrs["fit"])
    if meta.get("format") != FILE_FORMAT:
        raise AnalysisError(f"load_fit: {path} has file format {meta.get('format')!r}; this "
                            f"bayeshcc reads format {FILE_FORMAT}")
    del tree[FIT_GROUP]
    values = {name: saved[name].values for name in saved.data_vars}
    data = SurvivalData(values["time"], values["event"], values["treated"], values["X"],
                        tuple(meta["covariate_names"]), values["x_mean"], values["x_sd"],
                        values["weights"], float(meta["time_scale"]), values.get("raw_weights"))
    fields = dict(meta["prior"])
    kind = fields.pop("class")
    if kind == "CurvePrior":
        fields.update({name.removeprefix("prior_"): value for name, value in values.items()
                       if name.startswith("prior_external_")})
        prior = CurvePrior(**fields)
    else:
        prior = Prior(**fields)
    cuts = None if meta["cuts"] is None else np.asarray(meta["cuts"], dtype=float)
    bayes_fit = BayesFit(meta["model"], prior, data, tree, cuts, int(meta["seed"]))
    convergence = Convergence(**{k: (float("nan") if v is None else v)
                                 for k, v in meta["convergence"].items()})
    return Fit(bayes_fit=bayes_fit, task=FitTask(**meta["task"]), arms=tuple(meta["arms"]),
               arm_names=tuple(meta["arm_names"]), tau=float(meta["tau"]),
               convergence=convergence, profiles=ProfileDesign.from_dict(meta["profiles"]),
               thresholds=tuple(float(t) for t in meta["thresholds"]),
               weighted=bool(meta["weighted"]), uncertainty=str(meta["uncertainty"]),
               borrowing={k: (float("nan") if v is None else float(v))
                          for k, v in meta["borrowing"].items()})


__all__ = ["Fit", "load_fit"]
