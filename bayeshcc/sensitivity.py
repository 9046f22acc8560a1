"""Sceptical-prior tipping point: how sceptical a prior it takes before the probability of
benefit falls below the decision threshold (a reverse-Bayes analysis). The E-values and the
confounding tipping point beside it in ``tipping_point.csv`` are
:func:`bayeshcc.tables.confounding.confounding_columns`'s.

For each outcome, the primary analysis (``[bayes] primary``: its model and adjustment, never the
unadjusted one) under the vague prior gives a normal approximation of the likelihood for the log
HR, mean ``m`` and SD ``s``.
With a sceptical prior N(0, tau^2) the posterior probability of benefit is
``Phi(-m tau / (s sqrt(tau^2 + s^2)))``; it equals the threshold ``q`` at

.. math:: \\tau^* = z_q s^2 / \\sqrt{m^2 - z_q^2 s^2}

(no tipping point when even the vague prior gives P(HR < 1) < q). The table also reports how
strong that prior is (its P(HR < 0.5)) and checks the approximation with a real fit at tau*
(``prob_hr_below_1_at_tipping``). For a weighted or matched primary analysis m and s are those
of the calibrated vague fit, and the check fit is calibrated as the grid's fits are
(:mod:`bayeshcc.bayes.calibration`): the calibration combines the prior with the calibrated
likelihood N(m, s^2), so the formula is the conjugate one the check fit follows (its
``probability`` column says "calibrated probability"). On the bundled cohort the check gives
0.952 for a threshold of 0.95 (Monte Carlo SE about 0.004); it gave 0.940 while the calibration kept the Kish-weighted
prior-data compromise, which the formula does not assume.
The vague-prior fit is the grid's own when the grid ran it at full length with the same
calibration (its draws are read back, not resampled); otherwise it is fitted here with the seed
the grid would give it, so the table's ``prob_hr_below_1_vague`` is the grid's vague row either way.
The tipping point is also given in events: a N(0, tau^2) prior on a log HR carries about
``4 / tau^2`` events' worth of information (a log HR from E events has variance about 4 / E,
Spiegelhalter et al. 1994), the number of events of null evidence it would take.

The fits run on the grid's executor (:mod:`bayeshcc.bayes.refits`; ``--workers``, a Dask
scheduler, or this process), each with the grid's seed of the analysis, so every executor gives
the same table. The check fit depends on the vague fit's m and s: the vague fits the grid did
not make run first (one batch over the outcomes), then the check fits, in one batch with the
power prior's discount sweep (:func:`bayeshcc.bayes.borrowing.borrowing_sweep_table`) when
:func:`sensitivity_tables` makes both tables. Both batches run on the same worker processes
(:class:`bayeshcc.executors.TaskRunner`), which start once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from bayeshcc.bayes.calibration import CalibrationDesign, interval_words
from bayeshcc.bayes.plan import (FitTask, adjustment_covariates, calibration_for, fit_inputs,
                                 plan_fits, population_for)
from bayeshcc.bayes.priors import BUILT_IN, Prior
from bayeshcc.bayes.refits import Refit, RefitResult, run_refits
from bayeshcc.cohort import Cohort
from bayeshcc.errors import AnalysisError
from bayeshcc.estimands import hr_estimand
from bayeshcc.executors import TaskRunner

COLUMNS = ["outcome", "model", "adjustment", "estimand", "threshold", "prob_hr_below_1_vague",
           "tipping_prior_sd", "tipping_prior_events", "tipping_prior_prob_hr_below_0_5",
           "prob_hr_below_1_at_tipping", "probability", "note"]


def tipping_sd(mean: float, sd: float, threshold: float) -> float:
    """Prior SD tau* at which P(HR < 1) equals ``threshold`` (NaN if there is none)."""
    z = norm.ppf(threshold)
    if mean >= 0 or mean ** 2 <= (z * sd) ** 2:
        return float("nan")
    return float(z * sd ** 2 / math.sqrt(mean ** 2 - (z * sd) ** 2))


def tipping_point_table(cohort: Cohort, populations, hr_table: pd.DataFrame,
                        grid_log_hr: Callable[[FitTask], np.ndarray | None] | None = None,
                        workers: int | None = None, scheduler: str | None = None,
                        progress=None) -> pd.DataFrame:
    """One row per outcome for the primary analysis (see module docstring); empty without one.

    Parameters
    ----------
    cohort : Cohort
    populations : sequence of Population
        The adjusted populations (:func:`bayeshcc.adjust.cohort.adjust`).
    hr_table : DataFrame or None
        ``posterior_hr`` (not read; kept for the callers).
    grid_log_hr : callable, optional
        ``grid_log_hr(task)``: the log-HR draws the grid saved for ``task`` when they are what
        this table would sample (else None).
    workers : int, optional
        Fit on this many local worker processes (default: in this process).
    scheduler : str, optional
        ... or on the Dask cluster of this scheduler.
    progress : ProgressReporter, optional
        Told of each finished fit (:class:`bayeshcc.progress.Progress`).

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, one row per outcome whose primary population was built.

    Raises
    ------
    AnalysisError
        A fit cannot be made (e.g. no events).
    """
    return _tables(cohort, populations, grid_log_hr, {"workers": workers, "scheduler": scheduler,
                                                      "progress": progress}, sweep=False)[0]


def sensitivity_tables(cohort: Cohort, populations, hr_table: pd.DataFrame,
                       grid_log_hr: Callable[[FitTask], np.ndarray | None] | None = None,
                       workers: int | None = None, scheduler: str | None = None,
                       progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``tipping_point.csv`` (:func:`tipping_point_table`) and ``borrowing_sweep.csv``
    (:func:`bayeshcc.bayes.borrowing.borrowing_sweep_table`), the sweep's fits in one batch
    with the tipping point's check fits, so that the executor's workers share them.

    The parameters are :func:`tipping_point_table`'s; each table is the one its own function
    gives.

    Returns
    -------
    (DataFrame, DataFrame)
        The tipping point and the discount sweep.

    Raises
    ------
    AnalysisError
        A tipping-point fit cannot be made, or the primary model cannot be calibrated.
    """
    return _tables(cohort, populations, grid_log_hr, {"workers": workers, "scheduler": scheduler,
                                                      "progress": progress}, sweep=True)


@dataclass
class _Outcome:
    """The primary analysis of one outcome, as the tipping point refits it."""

    task: FitTask           # its vague-prior fit of the grid (seed included)
    inputs: dict
    calibration: CalibrationDesign | None
    log_hr: np.ndarray | None = None  # the vague fit's draws


def _refit(cohort: Cohort, item: _Outcome, prior: Prior, name: str) -> Refit:
    """The primary analysis's fit under ``prior``, its interval made as the grid's (only the
    log HR is read)."""
    b, task = cohort.spec.bayes, item.task
    return Refit(f"{task.outcome}/{task.model}/{name}/{task.adjustment}", task.model,
                 item.inputs, prior, b.draws, b.tune, b.chains, task.seed,
                 b.cutpoints or None, b.intervals, item.calibration, model_groups=False)


def _log_hr(result: RefitResult) -> np.ndarray:
    if result.error:
        raise AnalysisError(result.error)
    return result.log_hr


def _tables(cohort: Cohort, populations, grid_log_hr, executor: dict,
            sweep: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    from bayeshcc.bayes.borrowing import sweep_refits, sweep_table

    spec, b = cohort.spec, cohort.spec.bayes
    items = []
    if b.primary is not None:
        model, adjustment = b.primary.model, b.primary.adjustment
        for out in spec.outcomes:
            task = plan_fits(spec, outcomes=[out.name], models=[model], priors=["vague"],
                             adjustments=[adjustment])[0]
            pop = population_for(adjustment, populations)
            if pop is None:
                continue
            item = _Outcome(task, fit_inputs(task, pop, adjustment_covariates(spec)),
                            calibration_for(task, pop, b.uncertainty))
            item.log_hr = None if grid_log_hr is None else grid_log_hr(task)
            items.append(item)
    progress = executor["progress"]
    # one set of worker processes for both batches (started with the first one needed)
    with TaskRunner(executor["workers"], executor["scheduler"]) as runner:
        # the vague fits the grid did not make: their m and s say which check fits to make
        missing = [item for item in items if item.log_hr is None]
        vague = run_refits([_refit(cohort, item, BUILT_IN["vague"], "vague")
                            for item in missing], progress=progress, runner=runner)
        for item, result in zip(missing, vague, strict=True):
            item.log_hr = _log_hr(result)
        rows, checks = [], []
        for item in items:
            row = _row(cohort, item)
            tau = row["tipping_prior_sd"]
            if math.isfinite(tau):
                checks.append((row, _refit(cohort, item, Prior("tipping", 0.0, tau, 1.0),
                                           f"tipping_sd_{tau:.3f}")))
            rows.append(row)
        planned = sweep_refits(cohort, populations) if sweep else []
        results = run_refits([job for _, job in checks] + [job for _, job in planned],
                             progress=progress, runner=runner)
    for (row, _), result in zip(checks, results[:len(checks)], strict=True):
        tau = row["tipping_prior_sd"]
        row["tipping_prior_prob_hr_below_0_5"] = float(norm.cdf(math.log(0.5) / tau))
        row["prob_hr_below_1_at_tipping"] = float(np.mean(_log_hr(result) < 0))
        row["note"] = (f"a sceptical prior N(0, {tau:.3f}) on the log HR, or any stronger one, "
                       f"brings P(HR < 1) below {b.decision_threshold:g}")
    tipping = pd.DataFrame(rows, columns=COLUMNS)
    return tipping, sweep_table(planned, results[len(checks):]) if sweep else None


def _row(cohort: Cohort, item: _Outcome) -> dict:
    """An outcome's row from its vague fit: the check fit's columns are NaN, and its note is
    the one without a tipping point (or with one at the threshold) until the check is made."""
    b, task = cohort.spec.bayes, item.task
    log_hr = item.log_hr
    m, s = float(log_hr.mean()), float(log_hr.std())
    tau = tipping_sd(m, s, b.decision_threshold)
    row = {"outcome": task.outcome, "model": task.model, "adjustment": task.adjustment,
           "estimand": hr_estimand(task.adjustment), "threshold": b.decision_threshold,
           "prob_hr_below_1_vague": float(np.mean(log_hr < 0)),
           "tipping_prior_sd": tau, "tipping_prior_events": 4 / tau ** 2,
           "tipping_prior_prob_hr_below_0_5": np.nan,
           "prob_hr_below_1_at_tipping": np.nan,
           "probability": interval_words(item.calibration is not None)["probability"],
           "note": ""}
    if math.isnan(tau) and row["prob_hr_below_1_vague"] < b.decision_threshold:
        row["note"] = ("no tipping point: P(HR < 1) is below the threshold even with a vague "
                       "prior")
    elif math.isnan(tau):  # at the threshold: the normal approximation is just below it
        row.update(tipping_prior_sd=math.inf, tipping_prior_events=0.0,
                   note=("P(HR < 1) is at the threshold with a vague prior: any sceptical "
                         "prior, however weak, brings it below"))
    return row
