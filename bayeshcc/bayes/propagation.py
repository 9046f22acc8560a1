"""Propensity-score uncertainty carried into the Bayesian outcome fit (two-step Bayesian approach).

A weighted or matched fit that plugs in the estimated propensity score (PS) treats it as known.
Here the PS model's posterior is drawn instead and the outcome posterior is averaged over it,
as the two-step Bayesian propensity-score analysis of Kaplan & Chen (2012):

1. **Design stage.** B draws of the PS model's posterior by the Bayesian bootstrap (Rubin 1981):
   for replicate b the patients get weights g^(b) = N * (D_1, ..., D_N),
   D ~ Dirichlet(1, ..., 1), and the weighted logistic fit

   .. math:: \\hat\\beta^{(b)} = \\arg\\max_\\beta \\sum_i g_i^{(b)} \\log p(t_i \\mid x_i, \\beta)

   (:func:`bayeshcc.adjust.propensity.fit_propensity` with ``sample_weights``) gives a score
   e^(b)(x_i) for every patient.
2. **Outcome stage.** For each b the analysis population is rebuilt from e^(b) on the ORIGINAL
   data: the ate / att / overlap weights are recomputed, or the nearest-neighbour matching is
   redone on logit e^(b). The outcome model is fitted to it, and the B posteriors are pooled as
   an equal mixture,

   .. math:: p(\\Delta \\mid \\text{data}) \\approx \\frac{1}{B} \\sum_{b=1}^{B}
             p(\\Delta \\mid \\text{data}, e^{(b)}).

The Dirichlet weights enter the PS fit only, never the outcome likelihood: the outcome posterior
already carries the sampling variability of the outcome data, and weighting it by g^(b) as well
would count that variability twice (Liao & Zigler 2020 discuss this design-stage uncertainty).

Every replicate's fit uses the time unit, baseline-prior centre and piecewise cut points of the
population under the point-estimate PS, so the parameters of all replicates are on one scale and
can be pooled. The pooled posterior is an ArviZ DataTree whose ``chain`` dimension runs over
replicates x chains (replicate b's chains are ``b * chains, ..., b * chains + chains - 1``) with
the coordinate ``ps_replicate`` on ``chain``; :func:`bayeshcc.bayes.diagnostics.check_convergence`
sees it and checks each replicate alone (an R-hat across replicates would compare different
target posteriors), reporting the worst. The pooled tree has no ``log_likelihood`` group: the
matched replicates analyse different patients, and LOO of a mixture over designs is not defined.

What to expect: drawing the PS widens the intervals (by about 15 % in the simulation of
``tests/bayes/test_propagation_coverage.py``). It does not make them better calibrated by itself:
there the plug-in (``fixed``) IPW posterior already over-covers, because an estimated PS makes
the IPW estimate less variable than the true PS would (Lunceford & Davidian 2004) while the
weighted posterior does not narrow. Use the bootstrap to show how much the design stage adds,
not as a fix for under-coverage.

In R there is no packaged equivalent; the loop is ``for (b in 1:B) { g <- N * rdirichlet(1,
rep(1, N)); ps <- fitted(glm(t ~ x, binomial, weights = g)); ... }`` around the outcome fit.

References
----------
Rubin DB (1981). The Bayesian bootstrap. Annals of Statistics 9:130-134.
Kaplan D, Chen J (2012). A two-step Bayesian approach for propensity score analysis:
simulations and case study. Psychometrika 77:581-609.
Liao SX, Zigler CM (2020). Uncertainty in the design stage of two-stage Bayesian propensity
score analysis. Statistics in Medicine 39:2349-2366.
Lunceford JK, Davidian M (2004). Stratification and weighting via the propensity score in
estimation of causal treatment effects. Statistics in Medicine 23:2937-2960.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.adjust.matching import match_nearest
from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.bayes.data import prepare
from bayeshcc.bayes.diagnostics import (REPLICATE_COORD, Convergence, check_convergence,
                                        worst_convergence)
from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.families.base import BASELINE_SD, rate_center
from bayeshcc.bayes.fit import BayesFit, compile_fit, fit_survival_model
from bayeshcc.bayes.priors import Prior
from bayeshcc.errors import AnalysisError
from bayeshcc.executors import derive_seed
from bayeshcc.vocab import PROPENSITY

ADJUSTMENTS = PROPENSITY


@dataclass(frozen=True)
class PropensityDesign:
    """How the analysed population follows from a propensity score.

    Attributes
    ----------
    X : numeric DataFrame of dummy-coded PS covariates (all patients, original data).
    treated : boolean array, True for the treated arm.
    adjustment : ``"ate"``, ``"att"``, ``"overlap"`` (weights) or ``"matched"``.
    ids : unit ids for matching (default 0, ..., N - 1).
    stabilize, trim : as :func:`bayeshcc.adjust.weights.propensity_weights`.
    caliper, std_caliper, ratio, replace : as :func:`bayeshcc.adjust.matching.match_nearest`.
    """

    X: pd.DataFrame
    treated: np.ndarray
    adjustment: str
    ids: np.ndarray | None = None
    stabilize: bool = False
    trim: float | None = None
    caliper: float | None = 0.2
    std_caliper: bool = True
    ratio: int = 1
    replace: bool = False


@dataclass(frozen=True)
class AnalysedPopulation:
    """The patients one PS gives: a row mask of the original data and their weights."""

    rows: np.ndarray
    weights: np.ndarray | None


@dataclass(frozen=True)
class BootstrapPropensity:
    """B Bayesian-bootstrap draws of the PS model.

    Attributes
    ----------
    terms : coefficient names, ``(Intercept)`` first.
    coefficients : B x P coefficients, one row per replicate.
    score, logit : B x N propensity scores and linear predictors of the original patients.
    dirichlet : B x N patient weights N * Dirichlet(1, ..., 1) of each replicate's PS fit.
    warnings : the AnalysisWarnings of the replicates' PS fits (not re-raised), one line per
        kind: its first instance and how many replicates raised it.
    """

    terms: tuple[str, ...]
    coefficients: np.ndarray
    score: np.ndarray
    logit: np.ndarray
    dirichlet: np.ndarray
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class PropagatedFit:
    """A pooled outcome posterior over B PS replicates.

    Attributes
    ----------
    fit : the pooled :class:`~bayeshcc.bayes.fit.BayesFit` (``posterior`` chains = replicates x
        chains, coordinate ``ps_replicate``); its ``data`` is the population under the
        point-estimate PS, so :mod:`bayeshcc.bayes.contrasts` works on it unchanged.
    propensity : the PS replicates.
    analysed : number of patients analysed in each replicate (all N when weighting).
    convergence : the worst convergence over replicates (each replicate checked alone).
    warnings : the AnalysisWarnings of the replicates' PS fits, weights and matching (not
        re-raised: the fixed-PS analysis raises them once), one line per kind with its count.
    """

    fit: BayesFit
    propensity: BootstrapPropensity
    analysed: np.ndarray
    convergence: Convergence
    warnings: tuple[str, ...]


def _counted(messages: list[list[str]], replicates: int) -> tuple[str, ...]:
    """One line per kind of warning (its text with the figures blanked): the first instance and
    how many replicates raised that kind."""
    first: dict[str, str] = {}
    count: Counter = Counter()
    for replicate in messages:
        kinds = {}
        for m in replicate:
            kinds.setdefault(re.sub(r"\d+(\.\d+)?", "#", m), m)
        for kind, m in kinds.items():
            first.setdefault(kind, m)
            count[kind] += 1
    return tuple(f"{first[k]} (this kind in {count[k]} of {replicates} PS replicates)" for k in first)


def bayesian_bootstrap_propensity(X: pd.DataFrame, treated, replicates: int = 20,
                                  seed: int = 1) -> BootstrapPropensity:
    """Draw the PS model's posterior by the Bayesian bootstrap (Rubin 1981).

    Replicate b fits ``treated ~ X`` with patient weights g^(b) = N * Dirichlet(1, ..., 1)
    (:func:`~bayeshcc.adjust.propensity.fit_propensity` with ``sample_weights``); R:
    ``glm(t ~ x, family = binomial, weights = g)``.

    Parameters
    ----------
    X : numeric DataFrame of dummy-coded covariates.
    treated : boolean (or 0/1) array.
    replicates : int
        B >= 2.
    seed : int
        The same seed gives the same replicates.

    Returns
    -------
    BootstrapPropensity

    Examples
    --------
    >>> boot = bayesian_bootstrap_propensity(X, treated, replicates=20, seed=1)  # doctest: +SKIP
    >>> boot.score.shape  # doctest: +SKIP
    (20, 300)
    """
    if int(replicates) != replicates or replicates < 2:
        raise AnalysisError(f"replicates must be a whole number >= 2; got {replicates!r}")
    n = len(X)
    rng = np.random.default_rng(derive_seed(int(seed), ("ps_bootstrap",)))
    g = n * rng.dirichlet(np.ones(n), size=int(replicates))
    coefs, scores, logits, messages = [], [], [], []
    for b in range(int(replicates)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_propensity(X, treated, sample_weights=g[b])
        messages.append([str(w.message) for w in caught])
        coefs.append(fit.coefficients["coef"].to_numpy())
        scores.append(fit.score)
        logits.append(fit.logit)
    return BootstrapPropensity(tuple(fit.coefficients["term"]), np.array(coefs), np.array(scores),
                               np.array(logits), g, _counted(messages, int(replicates)))


def population_from_score(design: PropensityDesign, score, logit) -> AnalysedPopulation:
    """The analysed patients and weights under one PS (weights, or nearest-neighbour matching).

    Weighting keeps every patient with weight w(e) (see
    :func:`~bayeshcc.adjust.weights.propensity_weights`); matching keeps the matched patients
    with MatchIt's matching weights (None when all are 1).
    """
    treated = np.asarray(design.treated).astype(bool)
    if design.adjustment == "matched":
        ids = np.arange(treated.size) if design.ids is None else np.asarray(design.ids)
        result = match_nearest(logit, treated, ids, caliper=design.caliper,
                               std_caliper=design.std_caliper, ratio=design.ratio,
                               replace=design.replace)
        rows = np.asarray(result.matched, dtype=bool)
        w = np.asarray(result.weights, dtype=float)[rows]
        return AnalysedPopulation(rows, None if np.allclose(w, 1.0) else w)
    if design.adjustment not in ADJUSTMENTS:
        raise AnalysisError(f"adjustment must be one of {list(ADJUSTMENTS)} to propagate PS "
                            f"uncertainty; got {design.adjustment!r}")
    result = propensity_weights(score, treated, estimand=design.adjustment,
                                stabilize=design.stabilize, trim=design.trim)
    return AnalysedPopulation(np.ones(treated.size, dtype=bool), np.asarray(result.weights))


def pool_replicates(trees) -> xr.DataTree:
    """Stack replicate posteriors along ``chain`` and label each chain with its replicate.

    Inverse: :func:`bayeshcc.bayes.diagnostics.split_replicates`. Only the ``posterior`` and ``sample_stats`` groups are kept. Every tree must have the same
    number of draws.
    """
    groups = {}
    for group in ("posterior", "sample_stats"):
        parts = []
        for b, tree in enumerate(trees):
            ds = tree[group].to_dataset()
            parts.append(ds.assign_coords({REPLICATE_COORD: ("chain", np.full(ds.sizes["chain"], b))}))
        pooled = xr.concat(parts, dim="chain", combine_attrs="drop_conflicts")
        groups[group] = pooled.assign_coords(chain=np.arange(pooled.sizes["chain"]))
    return xr.DataTree.from_dict(groups)


def _point_population(model: str, time, event, design: PropensityDesign, cutpoints,
                      intervals: int):
    """The arrays, the population of the point-estimate PS, its prepared data and the cut
    points every replicate's fit shares (:func:`fit_with_ps_uncertainty`)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    treated = np.asarray(design.treated).astype(float)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")  # raised already where the fixed-PS analysis was built
        point = fit_propensity(design.X, design.treated)
        ref = population_from_score(design, point.score, point.logit)
    reference = prepare(time[ref.rows], event[ref.rows], treated[ref.rows], weights=ref.weights)
    cuts = get_family(model).cutpoints(cutpoints, reference, intervals)
    return time, event, treated, ref, reference, cuts


def compile_with_ps_uncertainty(model: str, time, event, design: PropensityDesign,
                                prior: Prior | None = None, cutpoints=None, intervals: int = 6):
    """Compile what :func:`fit_with_ps_uncertainty` would compile, sampling nothing: every
    replicate's fit has the structure of the point-estimate population's (no covariates, the
    shared cut points), so that one is compiled (:func:`bayeshcc.bayes.fit.compile_fit`).

    Returns
    -------
    bayeshcc.bayes.fit.Compiled
    """
    time, event, treated, ref, reference, cuts = _point_population(model, time, event, design,
                                                                   cutpoints, intervals)
    rows = ref.rows
    return compile_fit(model, time[rows], event[rows], treated[rows], weights=ref.weights,
                       prior=prior, cutpoints=cuts, time_scale=reference.time_scale,
                       baseline_prior=(rate_center(reference), BASELINE_SD))


def fit_with_ps_uncertainty(model: str, time, event, design: PropensityDesign,
                            replicates: int = 20, prior: Prior | None = None, draws: int = 1000,
                            tune: int = 1000, chains: int = 4, seed: int = 1, cutpoints=None,
                            intervals: int = 6) -> PropagatedFit:
    """Fit the outcome model over B Bayesian-bootstrap PS replicates and pool the posteriors.

    See the module docstring for the method (Kaplan & Chen 2012, two-step Bayesian PS
    analysis). Replicate b's outcome fit has seed ``derive_seed(seed, ("ps_replicate", b))``;
    the same seed gives identical pooled draws.

    Parameters
    ----------
    model : {"weibull", "piecewise", "mspline"}
    time, event : array_like
        Outcome of every patient of the original data (the PS design's rows).
    design : PropensityDesign
        PS covariates, arms and the adjustment (``ate``, ``att``, ``overlap`` or ``matched``).
    replicates : int
        B, the number of PS draws (>= 2); runtime is about B fixed-PS fits.
    prior, draws, tune, chains, cutpoints, intervals
        As :func:`bayeshcc.bayes.fit.fit_survival_model`, per replicate (the pooled posterior
        has B x chains chains of ``draws`` draws).
    seed : int

    Returns
    -------
    PropagatedFit

    Raises
    ------
    AnalysisError
        When a replicate's matching finds no pair or its outcome fit cannot be run (the message
        names the replicate).

    Examples
    --------
    >>> design = PropensityDesign(X, treated, "ate")  # doctest: +SKIP
    >>> pooled = fit_with_ps_uncertainty("weibull", time, event, design, replicates=20)  # doctest: +SKIP
    >>> hr_summary(pooled.fit)["hr_lower"]  # doctest: +SKIP
    """
    time, event, treated, ref, reference, cuts = _point_population(model, time, event, design,
                                                                   cutpoints, intervals)
    common = dict(prior=prior, draws=draws, tune=tune, chains=chains, cutpoints=cuts,
                  time_scale=reference.time_scale,
                  baseline_prior=(rate_center(reference), BASELINE_SD))
    boot = bayesian_bootstrap_propensity(design.X, design.treated, replicates, seed)
    trees, analysed, checks, messages = [], [], [], []
    for b in range(int(replicates)):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pop = population_from_score(design, boot.score[b], boot.logit[b])
            messages.append([str(w.message) for w in caught])
            rows = pop.rows
            fit = fit_survival_model(model, time[rows], event[rows], treated[rows],
                                     weights=pop.weights, seed=derive_seed(int(seed), ("ps_replicate", b)),
                                     **common)
        except AnalysisError as exc:
            raise AnalysisError(f"PS replicate {b + 1} of {replicates}: {exc}") from exc
        trees.append(fit.posterior)
        analysed.append(int(rows.sum()))
        checks.append(check_convergence(fit.posterior))
    pooled = BayesFit(model, fit.prior, reference, pool_replicates(trees), cuts, int(seed),
                      {"replicates": int(replicates)})
    return PropagatedFit(pooled, boot, np.array(analysed), worst_convergence(checks),
                         boot.warnings + _counted(messages, int(replicates)))

