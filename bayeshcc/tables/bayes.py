"""Bayesian results tables: ``posterior_hr``, ``posterior_contrasts``, ``marginal_survival``,
``loo`` and ``prior_predictive``. Every row names its outcome, model, prior and adjustment and carries the
convergence flags, so an unreliable posterior is never shown as if it were fine."""

from __future__ import annotations

import dataclasses
import gc
import warnings
from typing import Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

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


# Patients per PSIS-LOO batch. arviz's ``loo`` holds several draws x patients arrays at once
# (the smoothed log weights, their sum with the log-likelihood, transposed copies): 95 MB each
# for 4 000 draws of 3 000 patients. PSIS is computed patient by patient, so batches of
# patients give the same pointwise values with copies of 500 patients (16 MB) only.
LOO_BATCH = 500
# A full cycle collection after LOO (see :func:`_collect_cycles`) costs about 0.1 s in a
# process holding PyMC and PyTensor graphs: 7 s of reproduce's 69 fits at 126 patients, where
# the arrays it frees are 2 MB. Below this many log-likelihood values (16 MB) Python's own
# collector is left to free them.
COLLECT_ABOVE = 2_000_000


def loo_result(tree, batch: int = LOO_BATCH):
    """PSIS-LOO of a posterior with a ``log_likelihood`` group (None without one), kept without
    its draws x patients smoothed log weights (:func:`loo_rows` and :func:`arviz.compare` read
    the pointwise elpd and Pareto k only), so the grid can keep it after the posterior is
    saved and dropped.

    Computed ``batch`` patients at a time (:data:`LOO_BATCH`) and combined: the pointwise elpd
    and Pareto k are those of one call (each patient's PSIS sees only its own column and the
    posterior's relative efficiency), and so are the totals (:func:`_combined`).
    """
    if "log_likelihood" not in tree.children:
        return None
    loglik = tree["log_likelihood"].to_dataset()
    obs = _observation_dims(loglik)
    if len(obs) != 1 or loglik.sizes[obs[0]] <= batch:  # one call: nothing to split
        result = _without_weights(_loo(tree))
        _collect_cycles(loglik)
        return result
    dim = obs[0]
    posterior = tree["posterior"].to_dataset()
    parts = [_batch_loo(posterior, loglik.isel({dim: slice(start, start + batch)}))
             for start in range(0, loglik.sizes[dim], batch)]
    _collect_cycles(loglik)
    return _combined(parts, dim)


def _batch_loo(posterior, loglik):
    """LOO of the patients of one batch (``loglik``: their columns of the log-likelihood)."""
    return _without_weights(_loo(xr.DataTree.from_dict({"posterior": posterior,
                                                        "log_likelihood": loglik})))


def _observation_dims(loglik) -> list[str]:
    """The non-sample dimensions of a ``log_likelihood`` group with one variable (none
    otherwise: arviz then needs ``var_name`` and LOO is computed in one call)."""
    if len(loglik.data_vars) != 1:
        return []
    (var,) = loglik.data_vars.values()
    return [d for d in var.dims if d not in ("chain", "draw")]


def _loo(tree):
    """:func:`arviz.loo` with the pointwise values, its Pareto k warnings silenced (the table
    reports the k)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo(tree, pointwise=True)


def _collect_cycles(loglik) -> None:
    """Free what :func:`arviz.loo` leaves in reference cycles. Its DataArrays cache their
    ``azstats`` accessor, which points back to them: the log-likelihood they view (draws x
    patients, 95 MB at 3 000 patients) would stay alive until Python's cycle collector next
    runs a full pass, in a grid several fits later. Only for log-likelihoods of at least
    :data:`COLLECT_ABOVE` values."""
    if sum(v.size for v in loglik.data_vars.values()) >= COLLECT_ABOVE:
        gc.collect()


def _without_weights(result):
    """``result`` without its smoothed log weights (draws x patients; nothing reads them)."""
    if getattr(result, "log_weights", None) is not None:
        result.log_weights = None
    return result


def _combined(parts: list, dim: str):
    """One LOO result from those of consecutive batches of patients: pointwise values
    concatenated, totals by arviz's own summary (elpd and its SE from the pointwise elpd, as
    :func:`arviz.loo` computes them; the effective number of parameters, a sum over patients,
    from the batches' sums)."""
    elpd_i = xr.concat([p.elpd_i for p in parts], dim=dim)
    pareto_k = xr.concat([p.pareto_k for p in parts], dim=dim)
    elpd, se, p_loo, _ = elpd_i.azstats.loo_summary(xr.DataArray([p.p for p in parts]))
    return dataclasses.replace(parts[0], elpd=elpd, se=se, p=p_loo,
                               n_data_points=sum(p.n_data_points for p in parts),
                               warning=any(p.warning for p in parts), elpd_i=elpd_i,
                               pareto_k=pareto_k)


def loo_rows(trees: dict[tuple, tuple]) -> pd.DataFrame:
    """PSIS-LOO per fit; models compared within outcome, prior and adjustment by
    :func:`arviz.compare` (``elpd_diff_from_best`` and its standard error ``elpd_diff_se``).
    ``trees`` maps a fit's key to (posterior or its :func:`loo_result`, weighted).

    LOO of a weighted pseudo-likelihood is not a valid predictive comparison: those rows say so.
    """
    rows, results = [], {}
    for key, (tree, weighted) in trees.items():
        result = loo_result(tree) if hasattr(tree, "children") else tree
        if result is None:
            continue
        results[key] = result
        k = np.asarray(result.pareto_k).ravel()
        rows.append({**dict(zip(KEY, key)), "elpd_loo": float(result.elpd),
                     "se": float(result.se), "p_loo": float(result.p),
                     "pareto_k_max": float(np.nanmax(k)), "n_pareto_k_above_0_7": int((k > 0.7).sum()),
                     "valid_predictive_comparison": not weighted,
                     "note": NOT_PREDICTIVE if weighted else ""})
    table = pd.DataFrame(rows)
    if len(table):
        best = table.groupby(["outcome", "prior", "adjustment"])["elpd_loo"].transform("max")
        table["elpd_diff_from_best"] = table["elpd_loo"] - best
        table["elpd_diff_se"] = [_difference_se(results, key) for key in
                                 table[KEY].itertuples(index=False, name=None)]
    return table


def _difference_se(results: dict, key: tuple) -> float:
    """SE of a fit's elpd difference from the best model of its (outcome, prior, adjustment),
    from :func:`arviz.compare` on the already computed LOO results (NaN for a lone model)."""
    outcome, model, prior, adjustment = key
    group = {k[1]: r for k, r in results.items()
             if (k[0], k[2], k[3]) == (outcome, prior, adjustment)}
    if len(group) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.compare(group, round_to="none")
    return float(table.loc[model, "dse"])


def prior_predictive_table(cohort) -> pd.DataFrame:
    """``prior_predictive.csv``: per outcome, model and prior of the spec, the prior quantiles of
    the HR and of each arm's median survival (:mod:`bayeshcc.bayes.prior_predictive`), with the
    baseline prior centred on the whole cohort's data as the unadjusted fit centres it."""
    from bayeshcc.bayes.prior_predictive import prior_predictive
    from bayeshcc.bayes.priors import prior_applies, resolve_prior
    from bayeshcc.errors import AnalysisError
    from bayeshcc.executors import derive_seed

    spec, b = cohort.spec, cohort.spec.bayes
    parts = []
    for out in spec.outcomes:
        for model in b.models:
            for name in b.priors:
                if not prior_applies(name, out.name, spec.priors):
                    continue
                try:
                    table = prior_predictive(
                        model, cohort.time(out.name), cohort.event(out.name),
                        cohort.treated.astype(float),
                        resolve_prior(name, spec.priors, b.clinical_hr),
                        cohort.arm_labels(), seed=derive_seed(b.seed, ("prior_predictive", out.name,
                                                                       model, name)),
                        cutpoints=list(b.cutpoints) or None, intervals=b.intervals)
                except AnalysisError:  # no events: the fit is skipped with its own warning
                    continue
                parts.append(table.assign(outcome=out.name, model=model, prior=name))
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return table[["outcome", "model", "prior"] + [c for c in table.columns
                                                  if c not in ("outcome", "model", "prior")]]
