"""The grid of Bayesian fits as independent jobs, runnable on any executor.

A :class:`FitJob` carries everything one fit needs (arrays, prior, sampler settings, seed), so
:func:`run_job` can run in this process, a local worker process, or on a Dask cluster and give
the same result: the seed is part of the job, derived from the spec's seed and the fit's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.plan import FitTask
from bayeshcc.bayes.priors import Prior
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
    primary: bool  # the spec's first prior: full contrasts and the pointwise log-likelihood

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


def run_job(job: FitJob) -> JobResult:
    """Fit one model and summarise it (see :func:`bayeshcc.tables.bayes.fit_rows`)."""
    from bayeshcc.tables.bayes import fit_rows

    try:
        fit = fit_survival_model(job.task.model, **job.inputs, prior=job.prior, draws=job.draws,
                                 tune=job.tune, chains=job.chains, seed=job.task.seed,
                                 cutpoints=list(job.cutpoints) or None, intervals=job.intervals)
    except AnalysisError as exc:
        return JobResult(job.task, None, None, None, None, False, error=str(exc))
    hr, contrasts, curves, _ = fit_rows(job.task, fit, job.tau, job.arms, job.thresholds,
                                        job.primary)
    tree = fit.posterior
    if not job.primary and "log_likelihood" in tree.children:  # sensitivity fits: no LOO
        tree = tree.copy()
        del tree["log_likelihood"]
    weighted = not np.allclose(fit.data.weights, fit.data.weights[0])
    return JobResult(job.task, hr, contrasts, curves, tree, weighted)


def run_grid(jobs: Sequence[FitJob], workers: int | None = None, scheduler: str | None = None,
             progress=None) -> list[JobResult]:
    """Run the jobs on the chosen executor; results in job order."""
    from bayeshcc.executors import run_tasks

    return run_tasks(run_job, list(jobs), workers=workers, scheduler=scheduler, progress=progress)
