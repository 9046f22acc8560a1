"""Refits of the primary analysis under other priors, as jobs for the grid's executors.

The sceptical-prior tipping point (:func:`bayeshcc.sensitivity.tipping_point_table`) and the
power prior's discount sweep (:func:`bayeshcc.bayes.borrowing.borrowing_sweep_table`) refit one
analysis of the grid with priors the grid does not have. Each refit is a :class:`Refit`: the
arrays, prior, sampler settings, seed and calibration of one fit, picklable, so that
:func:`run_refits` can hand a batch of them to :func:`bayeshcc.executors.run_tasks` (or a
:class:`~bayeshcc.executors.TaskRunner`, for dependent batches) and run them in this process, on local worker processes (``--workers``) or on a Dask cluster
(``--scheduler``) as the grid's fits are. The seed is part of the job (the grid's seed of the
analysis refitted), so every executor gives the same draws.

A worker sends back only what the tables read (:class:`RefitResult`: the log-HR draws, the
sampler's diagnostics and the HR summary), not the posterior.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bayeshcc.bayes.calibration import CalibrationDesign
from bayeshcc.bayes.diagnostics import Convergence
from bayeshcc.bayes.priors import Prior
from bayeshcc.errors import AnalysisError


@dataclass(frozen=True)
class Refit:
    """One fit of :func:`bayeshcc.bayes.fit.fit_survival_model`, calibrated when asked.

    Attributes
    ----------
    label : str
        Names the refit in the progress display and in errors, e.g.
        ``"tipping/pfs/weibull/overlap"``.
    model : str
        ``"weibull"``, ``"piecewise"`` or ``"mspline"``.
    inputs : dict
        The data arguments (:func:`bayeshcc.bayes.plan.fit_inputs`).
    prior : Prior
    draws, tune, chains, seed : int
        Sampler settings; the seed is the grid's seed of the analysis refitted.
    cutpoints : sequence of float or None
        As :func:`~bayeshcc.bayes.fit.fit_survival_model` takes them.
    intervals : int
    calibration : CalibrationDesign, optional
        Set: the posterior is sandwich-calibrated as the grid's fit of the analysis is
        (:func:`bayeshcc.bayes.calibration.calibrate`).
    model_groups : bool
        Passed to :func:`~bayeshcc.bayes.fit.fit_survival_model` (False when only the log HR is
        read).
    """

    label: str
    model: str
    inputs: dict
    prior: Prior
    draws: int
    tune: int
    chains: int
    seed: int
    cutpoints: tuple[float, ...] | list[float] | None
    intervals: int
    calibration: CalibrationDesign | None = None
    model_groups: bool = True


@dataclass(frozen=True)
class RefitResult:
    """What a table reads of a refit.

    Attributes
    ----------
    label : str
        The :class:`Refit`'s.
    log_hr : ndarray or None
        Posterior draws of the log HR, chains stacked (``BayesFit.draws()["log_hr"]``),
        calibrated when the refit was; None when the model could not be fitted.
    convergence : Convergence or None
        :func:`bayeshcc.bayes.diagnostics.check_convergence` of the draws as sampled.
    summary : dict
        :func:`bayeshcc.bayes.contrasts.hr_summary` of the (calibrated) fit.
    error : str
        Why the model could not be fitted (an :class:`~bayeshcc.errors.AnalysisError` of the
        fit, e.g. no events); empty otherwise.
    """

    label: str
    log_hr: np.ndarray | None
    convergence: Convergence | None
    summary: dict
    error: str = ""


def run_refit(job: Refit) -> RefitResult:
    """Fit ``job`` and summarise it (module-level: pickled by reference for the executors).

    Parameters
    ----------
    job : Refit

    Returns
    -------
    RefitResult
        With ``error`` set, and nothing else, when the fit raised
        :class:`~bayeshcc.errors.AnalysisError`; an error of the calibration is raised.
    """
    from bayeshcc.bayes.calibration import calibrate
    from bayeshcc.bayes.contrasts import hr_summary
    from bayeshcc.bayes.diagnostics import check_convergence
    from bayeshcc.bayes.fit import fit_survival_model

    try:
        fit = fit_survival_model(job.model, **job.inputs, prior=job.prior, draws=job.draws,
                                 tune=job.tune, chains=job.chains, seed=job.seed,
                                 cutpoints=job.cutpoints, intervals=job.intervals,
                                 model_groups=job.model_groups)
    except AnalysisError as exc:
        return RefitResult(job.label, None, None, {}, error=str(exc))
    convergence = check_convergence(fit.posterior)
    if job.calibration is not None:
        fit = calibrate(fit, job.calibration)
    return RefitResult(job.label, fit.draws()["log_hr"], convergence, hr_summary(fit, ()))


def run_refits(jobs: Sequence[Refit], workers: int | None = None, scheduler: str | None = None,
               progress=None, runner=None) -> list[RefitResult]:
    """Run the refits on the chosen executor, as :func:`bayeshcc.bayes.grid.run_grid` runs the
    grid.

    Parameters
    ----------
    jobs : sequence of Refit
    workers : int, optional
        Local worker processes (default: in this process, one after another).
    scheduler : str, optional
        Address of a Dask scheduler; exclusive with ``workers``.
    progress : ProgressReporter, optional
        E.g. :class:`bayeshcc.progress.Progress`; not told anything when there are no jobs.
    runner : bayeshcc.executors.TaskRunner, optional
        Run on this runner's executor instead (its worker processes kept for its next batch);
        ``workers`` and ``scheduler`` are then not given.

    Returns
    -------
    list of RefitResult
        In job order, whichever executor ran them.

    Raises
    ------
    bayeshcc.executors.ExecutorError
        A refit raised something other than the fit's :class:`~bayeshcc.errors.AnalysisError`,
        or the scheduler cannot be reached.
    """
    from bayeshcc.executors import run_tasks

    jobs = list(jobs)
    if not jobs:
        return []
    if runner is not None:
        if workers is not None or scheduler is not None:
            raise ValueError("give a runner or workers= / scheduler=, not both")
        return runner.map(run_refit, jobs, progress=progress)
    return run_tasks(run_refit, jobs, workers=workers, scheduler=scheduler, progress=progress)


__all__ = ["Refit", "RefitResult", "run_refit", "run_refits"]
