"""The rows one fit contributes to the Bayesian tables (``posterior_hr``,
``posterior_contrasts``, ``marginal_survival``): made where the fit runs (a worker process), so
that only these rows, not the draws, travel back to the run.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from bayeshcc.bayes.commensurate import CurvePrior, borrowing_columns
from bayeshcc.bayes.contrasts import hr_summary, survival_contrasts
from bayeshcc.bayes.diagnostics import Convergence, check_convergence
from bayeshcc.bayes.fit import BayesFit
from bayeshcc.bayes.plan import FitTask
from bayeshcc.estimands import contrast_estimand, hr_estimand

KEY = ["outcome", "model", "prior", "adjustment"]
NOT_PREDICTIVE = "weighted pseudo-likelihood: not a valid predictive comparison"
HR_COLUMNS = KEY + ["estimand", "hr_median", "hr_lower", "hr_upper", "prob_hr_below_1", "rhat_max",
                    "ess_bulk_min", "divergences", "reliable"]


def fit_rows(task: FitTask, fit: BayesFit, tau: float, arms: Sequence[str],
             thresholds: Sequence[float], with_contrasts: bool = True,
             conv: Convergence | None = None
             ) -> tuple[dict, pd.DataFrame | None, pd.DataFrame | None, Convergence]:
    """The rows one fit contributes to each table (contrasts only when asked: sensitivity fits
    report the hazard ratio alone). ``conv``: the sampler's diagnostics when ``fit`` holds
    transformed draws (calibrated); default: checked on ``fit``'s own posterior."""
    conv = conv or check_convergence(fit.posterior)
    key = dict(zip(KEY, task.key))
    flags = dict(rhat_max=conv.rhat_max, ess_bulk_min=conv.ess_bulk_min,
                 ess_tail_min=conv.ess_tail_min, divergences=conv.divergences,
                 ebfmi_min=conv.ebfmi_min, reliable=conv.reliable)
    d = fit.data
    hr = {**key, "estimand": hr_estimand(task.adjustment, task.outcome_covariates),
          **hr_summary(fit, thresholds), **flags, "convergence": conv.message,
          "prior_description": fit.prior.description, "n": int(d.time.size),
          "events": int(d.event.sum()), "covariates": ";".join(d.covariate_names),
          "seed": task.seed}
    if isinstance(fit.prior, CurvePrior):  # how much the baseline borrowed from the curve
        hr.update(borrowing_columns(fit))
    if not with_contrasts:
        return hr, None, None, conv
    contrasts, curves = survival_contrasts(fit, tau, arms)
    contrasts = contrasts.assign(**key, estimand=contrast_estimand(task.adjustment,
                                                                    task.outcome_covariates),
                                 reliable=conv.reliable)
    curves = curves.assign(**key, reliable=conv.reliable)
    return hr, contrasts, curves, conv


def is_primary(primary, row: dict) -> bool:
    """Whether a ``posterior_hr`` row is the spec's primary analysis (``BayesSpec.primary``)."""
    return primary is not None and (row["model"], row["adjustment"], row["prior"]) == (
        primary.model, primary.adjustment, primary.prior)


__all__ = ["KEY", "NOT_PREDICTIVE", "HR_COLUMNS", "fit_rows", "is_primary"]
