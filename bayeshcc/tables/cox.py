"""Table 4: univariable and multivariable Cox models, PH checks and E-values.

Unadjusted cohort: a univariable model for treatment and for each ``[cox]`` covariate, then a
multivariable model with treatment and either every ``[cox]`` covariate or (``selection =
"univariable"``, the paper's practice) those whose univariable model has p below the threshold.
Matched and weighted cohorts: the treatment-only (marginal) model, with pair-clustered robust SE
(matched) or robust SE (weighted), as R ``coxph(..., cluster = pair)`` / ``robust = TRUE``.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.design import covariate_columns
from bayeshcc.errors import AnalysisError, AnalysisWarning
from bayeshcc.frequentist.cox import fit_cox
from bayeshcc.frequentist.evalue import evalue_hazard_ratio
from bayeshcc.frequentist.zph import cox_zph
from bayeshcc.populations import Population

TREATMENT = "treatment"
COX_COLUMNS = ["cohort", "outcome", "model", "term", "coef", "se", "hr", "hr_lower", "hr_upper",
               "p", "robust", "n", "events", "evalue", "evalue_ci"]
ZPH_COLUMNS = ["cohort", "outcome", "model", "term", "chisq", "df", "p"]


def _design(pop: Population, covariates: Sequence[str], treatment: bool) -> pd.DataFrame:
    parts = [pd.DataFrame({TREATMENT: pop.cohort.treated.astype(float)})] if treatment else []
    parts += [covariate_columns(pop.cohort.data, pop.cohort.spec.covariate(c)).reset_index(drop=True)
              for c in covariates]
    return pd.concat(parts, axis=1)


def _fit(pop: Population, outcome: str, covariates: Sequence[str], treatment: bool = True):
    X = _design(pop, covariates, treatment)
    robust = pop.weights is not None or pop.clusters is not None
    return fit_cox(pop.cohort.time(outcome), pop.cohort.event(outcome), X, weights=pop.weights,
                   cluster=pop.clusters, robust=robust, ties=pop.cohort.spec.cox.ties)


def _rows(fit, pop: Population, outcome: str, model: str, keep: Sequence[str] | None = None) -> list[dict]:
    table = fit.table
    rows = []
    for rec in table.to_dict("records"):
        if keep is not None and rec["term"] not in keep:
            continue
        row = {"cohort": pop.name, "outcome": outcome, "model": model, "term": rec["term"],
               "coef": rec["coef"], "se": rec["se"], "hr": rec["hr"], "hr_lower": rec["hr_lower"],
               "hr_upper": rec["hr_upper"], "p": rec["p"],
               "robust": bool(pop.weights is not None or pop.clusters is not None),
               "n": fit.n, "events": fit.n_events, "evalue": np.nan, "evalue_ci": np.nan}
        if rec["term"] == TREATMENT:
            ev = evalue_hazard_ratio(rec["hr"], rec["hr_lower"], rec["hr_upper"])
            row["evalue"], row["evalue_ci"] = ev.evalue, ev.evalue_ci
        rows.append(row)
    return rows


def _zph_rows(fit, pop: Population, outcome: str, model: str) -> list[dict]:
    try:
        zph = cox_zph(fit, transform="km")
    except AnalysisError as exc:
        warnings.warn(f"PH test skipped for {pop.name} {outcome} {model}: {exc}", AnalysisWarning,
                      stacklevel=2)
        return []
    return [{"cohort": pop.name, "outcome": outcome, "model": model, **rec}
            for rec in zph.to_dict("records")]


def selected_covariates(univariable: dict[str, float], spec) -> list[str]:
    """Covariates entering the multivariable model (spec order)."""
    if spec.cox.selection == "all":
        return list(spec.cox.covariates)
    return [c for c in spec.cox.covariates if univariable.get(c, 1.0) < spec.cox.p_threshold]


def cox_tables(populations: Sequence[Population]) -> dict[str, pd.DataFrame]:
    """``cox`` and ``cox_zph`` tables for every population and outcome (see module docstring)."""
    rows, zph_rows = [], []
    for pop in populations:
        spec = pop.cohort.spec
        for out in spec.outcomes:
            treatment_fit = _fit(pop, out.name, [])
            rows += _rows(treatment_fit, pop, out.name, "univariable")
            zph_rows += _zph_rows(treatment_fit, pop, out.name, "univariable")
            if pop.name != "unadjusted" or not spec.cox.covariates:
                continue
            univariable_p = {}
            for cov in spec.cox.covariates:
                try:
                    fit = _fit(pop, out.name, [cov], treatment=False)
                except AnalysisError as exc:
                    warnings.warn(f"univariable Cox for {cov!r} ({out.name}) not fitted: {exc}",
                                  AnalysisWarning, stacklevel=2)
                    continue
                rows += _rows(fit, pop, out.name, "univariable")
                univariable_p[cov] = float(fit.table["p"].min())
            chosen = selected_covariates(univariable_p, spec)
            fit = _fit(pop, out.name, chosen)
            rows += _rows(fit, pop, out.name, "multivariable")
            zph_rows += _zph_rows(fit, pop, out.name, "multivariable")
    return {"cox": pd.DataFrame(rows, columns=COX_COLUMNS),
            "cox_zph": pd.DataFrame(zph_rows, columns=ZPH_COLUMNS)}
