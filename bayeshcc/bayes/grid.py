"""The grid of Bayesian fits as independent jobs, runnable on any executor.

A :class:`FitJob` carries everything one fit needs (arrays, prior, sampler settings, seed), so
:func:`run_job` can run in this process, a local worker process, or on a Dask cluster and give
the same result: the seed is part of the job, derived from the spec's seed and the fit's key.

A job with a :class:`~bayeshcc.bayes.propagation.PropensityDesign` draws the propensity score
instead of plugging it in (``[bayes] ps_uncertainty = "bootstrap"``): its ``inputs`` are then the
whole cohort and :func:`~bayeshcc.bayes.propagation.fit_with_ps_uncertainty` rebuilds the
weighted or matched population per PS replicate and pools the posteriors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from bayeshcc.bayes.borrowing import borrowing_columns
from bayeshcc.bayes.calibration import (ATTR_CLIPPED, ATTR_METHOD, ATTR_SD_RATIO,
                                        CalibrationDesign, calibrate, interval_words)
from bayeshcc.bayes.diagnostics import check_convergence
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.groups import add_model_groups
from bayeshcc.bayes.plan import FitTask
from bayeshcc.bayes.priors import Prior
from bayeshcc.bayes.propagation import PropensityDesign, fit_with_ps_uncertainty
from bayeshcc.bayes.standardise import standardised
from bayeshcc.bayes.stopping import draws_columns
from bayeshcc.errors import AnalysisError


@dataclass(frozen=True)
class FitJob:
    """One fit with its data and settings."""

    task: FitTask
    inputs: dict
    prior: Prior
    draws: int
    tune: int
    chains: int
    cutpoints: tuple[float, ...]
    intervals: int
    tau: float
    arms: tuple[str, str]
    thresholds: tuple[float, ...]
    full: bool  # contrasts and the pointwise log-likelihood (first prior, primary prior)
    propensity: PropensityDesign | None = None  # set: PS uncertainty propagated (bootstrap)
    ps_replicates: int = 0
    uncertainty: str = "model"  # the table's ``uncertainty`` (bayes.plan.uncertainty_label)
    calibration: CalibrationDesign | None = None  # set: sandwich-calibrated posterior
    draws_rule: str = "fixed"  # "until_ess": stop once the gate passes (bayes.stopping)
    # set: marginal survival standardised over these weights (bayes.standardise)
    standardise: np.ndarray | None = None

    @property
    def label(self) -> str:
        return self.task.label


@dataclass(frozen=True)
class JobResult:
    """What a fit contributes to the tables, and its posterior."""

    task: FitTask
    hr: dict | None
    contrasts: pd.DataFrame | None
    curves: pd.DataFrame | None
    posterior: Any
    weighted: bool
    error: str = ""


def fit_job(job: FitJob):
    """The job's fit (calibrated when the job asks) and the sampler's diagnostics.

    Convergence is judged on the draws as sampled; calibration is a fixed affine map of them.
    Used by :func:`run_job` and by the Python API (:func:`bayeshcc.fit`).

    Returns
    -------
    (BayesFit, Convergence)

    Raises
    ------
    AnalysisError
        When the model cannot be fitted (e.g. no events).
    """
    settings = dict(prior=job.prior, draws=job.draws, tune=job.tune, chains=job.chains,
                    seed=job.task.seed, cutpoints=list(job.cutpoints) or None,
                    intervals=job.intervals)
    if job.propensity is not None:  # PS-bootstrap replicates keep the fixed length
        fit = fit_with_ps_uncertainty(job.task.model, job.inputs["time"], job.inputs["event"],
                                      job.propensity, replicates=job.ps_replicates,
                                      **settings).fit
    else:  # a calibrated fit gets its pointwise groups once, from the calibrated draws
        fit = fit_survival_model(job.task.model, **job.inputs, **settings,
                                 draws_rule=job.draws_rule,
                                 model_groups=job.calibration is None)
    conv = check_convergence(fit.posterior)
    if job.calibration is not None:
        fit = calibrate(fit, job.calibration)
        if job.propensity is None:
            add_model_groups(fit)
    if job.standardise is not None:
        fit = standardised(fit, job.standardise)
    return fit, conv


def compile_job(job: FitJob):
    """Compile what :func:`fit_job` would compile for ``job``, sampling nothing
    (:func:`bayeshcc.bayes.fit.compile_fit`; :mod:`bayeshcc.warmup`). The same arguments
    reach the same structure as the fit: the dispatch below is :func:`fit_job`'s.

    Returns
    -------
    bayeshcc.bayes.fit.Compiled
    """
    from bayeshcc.bayes.fit import compile_fit
    from bayeshcc.bayes.propagation import compile_with_ps_uncertainty

    settings = dict(prior=job.prior, cutpoints=list(job.cutpoints) or None,
                    intervals=job.intervals)
    if job.propensity is not None:
        return compile_with_ps_uncertainty(job.task.model, job.inputs["time"],
                                           job.inputs["event"], job.propensity, **settings)
    # a calibrated fit gets its pointwise groups after calibration, without a log prior
    return compile_fit(job.task.model, **job.inputs, **settings,
                       model_groups=job.calibration is None)


def is_weighted(fit) -> bool:
    """Whether a fit's likelihood is weighted (a pseudo-likelihood: no predictive LOO)."""
    return not np.allclose(fit.data.weights, fit.data.weights[0])


def run_job(job: FitJob) -> JobResult:
    """Fit one model and summarise it (see :func:`bayeshcc.bayes.summaries.fit_rows`)."""
    from bayeshcc.bayes.summaries import fit_rows

    try:
        fit, conv = fit_job(job)
    except AnalysisError as exc:
        return JobResult(job.task, None, None, None, None, False, error=str(exc))
    hr, contrasts, curves, _ = fit_rows(job.task, fit, job.tau, job.arms, job.thresholds,
                                        job.full, conv=conv)
    ps = _uncertainty_columns(job, fit)
    hr.update(draws_columns(fit.posterior))
    hr.update(ps)
    # prior ESS, posterior weight of a robust prior's external component, prior-data conflict
    # (bayeshcc.bayes.borrowing); the cohort's own SE uses the fit's calibration
    hr.update(borrowing_columns(fit, job.calibration))
    if contrasts is not None:
        contrasts, curves = contrasts.assign(**ps), curves.assign(**ps)
    tree = fit.posterior
    if not job.full:  # sensitivity fits: no LOO, no predictive draws on disk
        drop_groups(tree, POINTWISE_GROUPS)
    return JobResult(job.task, hr, contrasts, curves, tree, is_weighted(fit))


# draws x patients each: saved for the fits with the first or the primary prior (``full``), whose
# LOO and predictive checks the tables and the report use; the other priors' fits keep their
# posterior, diagnostics, data and log prior (56 fits x 2 x 4 MB would be 450 MB for reproduce).
POINTWISE_GROUPS = ("log_likelihood", "posterior_predictive")


def _uncertainty_columns(job: FitJob, fit) -> dict:
    """Table columns saying how a fit's interval was made: ``uncertainty`` (``model``,
    ``sandwich``, ``kish`` or ``ps_bootstrap``), ``ps_replicates`` (PS draws pooled) and
    ``calibration_sd_ratio`` (calibrated / sampled posterior SD of the log HR; 1 when the
    posterior is used as sampled), ``calibration_clipped`` and ``interval`` / ``probability``
    (:func:`bayeshcc.bayes.calibration.interval_words`)."""
    attrs = fit.posterior["posterior"].attrs
    ratio = attrs.get(ATTR_SD_RATIO, 1.0)
    return {"uncertainty": job.uncertainty,
            # the meat the calibration used: "jackknife" (default up to N x clusters = 25e6)
            # or "sandwich" (delta method); empty when the posterior is used as sampled
            "calibration_meat": str(attrs.get(ATTR_METHOD, "")),
            "ps_replicates": job.ps_replicates if job.propensity is not None else 0,
            "calibration_sd_ratio": float(ratio),
            # whether the calibrated precision needed eigenvalue clipping to be positive definite
            "calibration_clipped": bool(attrs.get(ATTR_CLIPPED, 0)),
            **interval_words(ATTR_METHOD in attrs)}


def run_grid(jobs: Sequence[FitJob], workers: int | None = None, scheduler: str | None = None,
             progress=None, keep=None) -> list:
    """Run the jobs on the chosen executor; results in job order (``keep``: applied to each
    :class:`JobResult` as it arrives, see :func:`bayeshcc.executors.run_tasks`)."""
    from bayeshcc.executors import run_tasks

    return run_tasks(run_job, list(jobs), workers=workers, scheduler=scheduler, progress=progress,
                     keep=keep)


def drop_groups(tree, groups: Sequence[str]) -> None:
    """Delete the ``groups`` a posterior has, in place.

    A DataTree's nodes point to their parent and the parent to them: a posterior nothing
    refers to any more is a reference cycle, whose draws x patients arrays wait for Python's
    next full cycle collection, in a grid of fits several fits later. A deleted child node is
    freed at once. (With :func:`arviz.loo`'s cycles, see
    :func:`bayeshcc.tables.bayes.loo_result`, that delay took ``analyze`` of 3 000 patients
    to 1.5-1.7 GB instead of 0.9-1.0 GB.)
    """
    for group in groups:
        if group in tree.children:
            del tree[group]
