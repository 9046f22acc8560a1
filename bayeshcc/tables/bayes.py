"""Bayesian results tables: ``posterior_hr``, ``posterior_contrasts``, ``marginal_survival``
and ``loo``. Every row names its outcome, model, prior and adjustment and carries the
convergence flags, so an unreliable posterior is never shown as if it were fine."""

from __future__ import annotations

import warnings
from typing import Sequence

import arviz as az
import numpy as np
import pandas as pd

from bayeshcc.bayes.contrasts import hr_summary, survival_contrasts
from bayeshcc.bayes.diagnostics import Convergence, check_convergence
from bayeshcc.bayes.fit import BayesFit
from bayeshcc.bayes.plan import FitTask

KEY = ["outcome", "model", "prior", "adjustment"]
HR_COLUMNS = KEY + ["hr_median", "hr_lower", "hr_upper", "prob_hr_below_1", "rhat_max",
                    "ess_bulk_min", "divergences", "reliable"]


def fit_rows(task: FitTask, fit: BayesFit, tau: float, arms: Sequence[str],
             thresholds: Sequence[float], with_contrasts: bool = True
             ) -> tuple[dict, pd.DataFrame | None, pd.DataFrame | None, Convergence]:
    """The rows one fit contributes to each table (contrasts only when asked: sensitivity fits
    report the hazard ratio alone)."""
    conv = check_convergence(fit.posterior)
    key = dict(zip(KEY, task.key))
    flags = dict(rhat_max=conv.rhat_max, ess_bulk_min=conv.ess_bulk_min,
                 ess_tail_min=conv.ess_tail_min, divergences=conv.divergences,
                 ebfmi_min=conv.ebfmi_min, reliable=conv.reliable)
    d = fit.data
    hr = {**key, **hr_summary(fit, thresholds), **flags, "convergence": conv.message,
          "prior_description": fit.prior.description, "n": int(d.time.size),
          "events": int(d.event.sum()), "covariates": ";".join(d.covariate_names),
          "seed": task.seed}
    if not with_contrasts:
        return hr, None, None, conv
    contrasts, curves = survival_contrasts(fit, tau, arms)
    contrasts = contrasts.assign(**key, reliable=conv.reliable)
    curves = curves.assign(**key, reliable=conv.reliable)
    return hr, contrasts, curves, conv


def loo_rows(trees: dict[tuple, tuple]) -> pd.DataFrame:
    """PSIS-LOO per fit; models compared within outcome, prior and adjustment.

    LOO of a weighted pseudo-likelihood is not a valid predictive comparison: those rows say so.
    """
    rows = []
    for key, (tree, weighted) in trees.items():
        if "log_likelihood" not in tree.children:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = az.loo(tree)
        k = np.asarray(result.pareto_k).ravel()
        rows.append({**dict(zip(KEY, key)), "elpd_loo": float(result.elpd),
                     "se": float(result.se), "p_loo": float(result.p),
                     "pareto_k_max": float(np.nanmax(k)), "n_pareto_k_above_0_7": int((k > 0.7).sum()),
                     "valid_predictive_comparison": not weighted,
                     "note": ("weighted pseudo-likelihood: not a valid predictive comparison"
                              if weighted else "")})
    table = pd.DataFrame(rows)
    if len(table):
        best = table.groupby(["outcome", "prior", "adjustment"])["elpd_loo"].transform("max")
        table["elpd_diff_from_best"] = table["elpd_loo"] - best
    return table
