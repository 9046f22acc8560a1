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
from bayeshcc.adjust.overlap import (extreme_ate_weights, overlap_primary_sentence,
                                     overlap_table, ps_histogram)
from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.cohort import Cohort
from bayeshcc.design import design_matrix
from bayeshcc.errors import AnalysisError, AnalysisWarning
from bayeshcc.populations import WEIGHTED, Population, unadjusted
from bayeshcc.spec import BayesSpec, with_overlap_primary


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
        Figures for the manifest (pairs, largest weights, effective sample sizes, and
        ``primary_overlap`` when the ATE weights are extreme; see :func:`adjust`).
    overlap : pandas.DataFrame or None
        ``overlap.csv`` (:func:`bayeshcc.adjust.overlap.overlap_table`).
    ps_histogram : pandas.DataFrame or None
        ``ps_histogram.csv`` (:func:`bayeshcc.adjust.overlap.ps_histogram`).
    bayes : BayesSpec or None
        The spec's ``[bayes]`` with the primary analysis moved to overlap weights, when
        :func:`adjust` made that default switch; None when the spec's stands.
    """

    populations: tuple[Population, ...]
    propensity: pd.DataFrame | None = None
    matches: pd.DataFrame | None = None
    balance: pd.DataFrame | None = None
    summary: dict | None = None
    overlap: pd.DataFrame | None = None
    ps_histogram: pd.DataFrame | None = None
    bayes: BayesSpec | None = None


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

    The weights of every weighting estimand are computed for ``overlap.csv``; only those the
    grid analyses (:func:`weighting_estimands`) become populations and warn. When the primary
    analysis is on ATE weights and these are extreme
    (:func:`bayeshcc.adjust.overlap.extreme_ate_weights`): a defaulted primary moves to
    overlap weights (``Adjustment.bayes``, overlap added to the grid if it was not there); an
    explicit ``[bayes] primary`` is kept, with the same sentence as an AnalysisWarning. The
    sentence is the summary's ``primary_overlap``.
    """
    spec = cohort.spec.propensity
    if not spec.covariates:
        return Adjustment(populations=(unadjusted(cohort),), summary={})
    X = design_matrix(cohort, spec.covariates)
    treated = cohort.treated
    fit = fit_propensity(X, treated)
    populations = [unadjusted(cohort)]
    summary: dict = {"propensity_covariates": list(X.columns)}
    matches, match_weights, matched = None, None, None
    try:
        result = match_nearest(fit.logit, treated, cohort.ids, caliper=spec.caliper,
                               ratio=spec.ratio, replace=spec.replace)
    except AnalysisError as exc:
        warnings.warn(f"no matched cohort: {exc}", AnalysisWarning, stacklevel=2)
    else:
        matches, match_weights = result.pairs, np.asarray(result.weights, dtype=float)
        matched = np.asarray(result.matched, dtype=bool)
        populations.append(_matched_population(cohort, result))
        summary["matched_treated"] = int(np.sum(result.matched & treated))
        summary["matched_reference"] = int(np.sum(result.matched & ~treated))
        summary["pairs"] = int(len(matches))
        summary["caliper_logit"] = result.caliper
    analysed = list(weighting_estimands(cohort))
    with warnings.catch_warnings():  # warned below for the estimands analysed only
        warnings.simplefilter("ignore", AnalysisWarning)
        weights = {e: propensity_weights(fit.score, treated, estimand=e, trim=spec.trim,
                                         stabilize=spec.stabilize and (e == "ate"
                                                                       or e in analysed))
                   for e in WEIGHTED}
    bayes, sentence = _overlap_primary(cohort.spec.bayes, weights["ate"], treated)
    if bayes is not None:
        summary["primary_overlap"] = {"sentence": sentence, "switched": True}
        if "overlap" not in analysed:
            analysed.append("overlap")
    elif sentence:
        summary["primary_overlap"] = {"sentence": sentence, "switched": False}
    by_estimand = {}
    for estimand in analysed:
        w = weights[estimand]
        for message in w.warnings:
            warnings.warn(message, AnalysisWarning, stacklevel=2)
        populations.append(Population(estimand, cohort, weights=np.asarray(w.weights),
                                      ps_score=np.asarray(fit.score, dtype=float),
                                      ps_covariates=X.to_numpy(dtype=float)))
        summary[f"weights_{estimand}"] = {"max_weight": w.max_weight, "ess": w.ess,
                                          "n_trimmed": w.n_trimmed}
        by_estimand[estimand] = np.asarray(w.weights)
    balance = balance_table(X, treated, matched_weights=match_weights,
                            weights=by_estimand[analysed[0]], by_estimand=by_estimand)
    return Adjustment(populations=tuple(populations), propensity=fit.coefficients,
                      matches=matches, balance=balance, summary=summary,
                      overlap=overlap_table(fit.score, treated, weights, matched),
                      ps_histogram=ps_histogram(fit.score, treated), bayes=bayes)


def _overlap_primary(bayes: BayesSpec, ate, treated) -> tuple[BayesSpec | None, str | None]:
    """The switched ``[bayes]`` (or None) and the sentence saying why (or None): see
    :func:`adjust`."""
    primary = bayes.primary
    if not bayes.enabled or primary is None or primary.adjustment != "ate":
        return None, None
    reason = extreme_ate_weights(ate, treated)
    if reason is None:
        return None, None
    sentence = overlap_primary_sentence(reason)
    if not primary.adjustment_given:
        return with_overlap_primary(bayes), sentence
    warnings.warn(f"{sentence} The spec's [bayes] primary names adjustment 'ate', which is kept "
                  "as given.", AnalysisWarning, stacklevel=3)
    return None, sentence
