"""From a cohort to its adjusted populations: propensity model, matched cohort, weighted cohorts.

This module only wires the statistics of :mod:`bayeshcc.adjust` (``propensity``, ``matching``,
``weights``, ``balance``) to the cohort and the spec; it is the package's one entry point from a
cohort (``adjust(cohort)``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.adjust.balance import balance_table
from bayeshcc.adjust.matching import match_nearest
from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.cohort import Cohort
from bayeshcc.design import design_matrix
from bayeshcc.errors import AnalysisError, AnalysisWarning
from bayeshcc.populations import WEIGHTED, Population, unadjusted


@dataclass(frozen=True)
class Adjustment:
    """Everything the propensity step produced.

    Attributes
    ----------
    populations : tuple of Population
        ``unadjusted`` first, then ``matched`` (when pairs were found) and weighted ones.
    propensity : pandas.DataFrame or None
        Propensity-model coefficients.
    matches : pandas.DataFrame or None
        One row per matched pair (``treated_id``, ``reference_id``, ``distance``, ``subclass``).
    balance : pandas.DataFrame or None
        ``balance.csv``.
    summary : dict
        Figures for the manifest (pairs, largest weights, effective sample sizes).
    """

    populations: tuple[Population, ...]
    propensity: pd.DataFrame | None = None
    matches: pd.DataFrame | None = None
    balance: pd.DataFrame | None = None
    summary: dict | None = None


def weighting_estimands(cohort: Cohort) -> tuple[str, ...]:
    """Weighted populations to analyse: those the Bayesian adjustments name, else ATE."""
    named = tuple(a for a in cohort.spec.bayes.adjustments if a in WEIGHTED)
    return named or ("ate",)


def _matched_population(cohort: Cohort, result) -> Population:
    """The matched patients, with MatchIt's matching weights (None when all are 1) and the
    matched-set ids as clusters (none with replacement, where a control can sit in several sets).
    """
    mask = np.asarray(result.matched, dtype=bool)
    matched = cohort.subset(mask)
    w = np.asarray(result.weights, dtype=float)[mask]
    weights = None if np.allclose(w, 1.0) else w
    pairs = result.pairs
    clusters = None
    if pairs["subclass"].notna().all():
        subclass = dict(zip(pairs["treated_id"], pairs["subclass"]))
        subclass.update(zip(pairs["reference_id"], pairs["subclass"]))
        clusters = np.array([subclass[i] for i in matched.ids])
    return Population("matched", matched, weights=weights, clusters=clusters)


def adjust(cohort: Cohort) -> Adjustment:
    """Fit the propensity model of the spec and build matched and weighted populations.

    Without ``[propensity] covariates`` only the unadjusted population is returned. When no
    pair falls within the caliper, the matched population is left out with a warning.
    """
    spec = cohort.spec.propensity
    if not spec.covariates:
        return Adjustment(populations=(unadjusted(cohort),), summary={})
    X = design_matrix(cohort, spec.covariates)
    treated = cohort.treated
    fit = fit_propensity(X, treated)
    populations = [unadjusted(cohort)]
    summary: dict = {"propensity_covariates": list(X.columns)}
    matches, match_weights = None, None
    try:
        result = match_nearest(fit.logit, treated, cohort.ids, caliper=spec.caliper,
                               ratio=spec.ratio, replace=spec.replace)
    except AnalysisError as exc:
        warnings.warn(f"no matched cohort: {exc}", AnalysisWarning, stacklevel=2)
    else:
        matches, match_weights = result.pairs, np.asarray(result.weights, dtype=float)
        populations.append(_matched_population(cohort, result))
        summary["matched_treated"] = int(np.sum(result.matched & treated))
        summary["matched_reference"] = int(np.sum(result.matched & ~treated))
        summary["pairs"] = int(len(matches))
        summary["caliper_logit"] = result.caliper
    first_weights = None
    for estimand in weighting_estimands(cohort):
        w = propensity_weights(fit.score, treated, estimand=estimand, stabilize=spec.stabilize,
                               trim=spec.trim)
        populations.append(Population(estimand, cohort, weights=np.asarray(w.weights),
                                      ps_score=np.asarray(fit.score, dtype=float),
                                      ps_covariates=X.to_numpy(dtype=float)))
        summary[f"weights_{estimand}"] = {"max_weight": w.max_weight, "ess": w.ess,
                                          "n_trimmed": w.n_trimmed}
        if first_weights is None:
            first_weights = np.asarray(w.weights)
    balance = balance_table(X, treated, matched_weights=match_weights, weights=first_weights)
    return Adjustment(populations=tuple(populations), propensity=fit.coefficients,
                      matches=matches, balance=balance, summary=summary)
