"""Which Bayesian fits a spec asks for, and the data each one sees.

One fit per outcome x model x prior x adjustment (docs/architecture.md names). ``none``: treatment only;
``covariates``: treatment plus a pre-specified covariate set (conditional HR; see
:func:`adjustment_covariates`);
``ate`` / ``att`` / ``overlap``: the weighted population; ``matched``: the matched patients.
Each fit's seed is derived from the spec's seed and its key, so it does not depend on the order
or the executor the fits run on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.bayes.calibration import CalibrationDesign, design_for_population
from bayeshcc.bayes.families import check_calibration
from bayeshcc.bayes.priors import prior_applies
from bayeshcc.bayes.propagation import PropensityDesign
from bayeshcc.design import covariate_columns, design_matrix
from bayeshcc.executors import derive_seed
from bayeshcc.populations import Population
from bayeshcc.vocab import PROPENSITY as PS_ADJUSTMENTS


@dataclass(frozen=True)
class FitTask:
    """One fit of the grid."""

    outcome: str
    model: str
    prior: str
    adjustment: str
    seed: int
    # the propensity covariates in the outcome model and survival standardised over the
    # estimand's target population ([bayes] outcome_covariates; PS adjustments only)
    outcome_covariates: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.outcome, self.model, self.prior, self.adjustment)

    @property
    def label(self) -> str:
        return "/".join(self.key)

    @property
    def name(self) -> str:
        return "_".join(self.key)


def plan_fits(spec, outcomes=None, models=None, priors=None, adjustments=None) -> list[FitTask]:
    """Every fit of the grid, in a stable order."""
    b = spec.bayes
    tasks = []
    for outcome in outcomes or [o.name for o in spec.outcomes]:
        for model in models or b.models:
            for prior in priors or b.priors:
                if not prior_applies(prior, outcome, spec.priors):
                    continue
                for adjustment in adjustments or b.adjustments:
                    key = (outcome, model, prior, adjustment)
                    tasks.append(FitTask(*key, seed=derive_seed(b.seed, key),
                                         outcome_covariates=(b.outcome_covariates and
                                                             adjustment in PS_ADJUSTMENTS)))
    return tasks


def adjustment_covariates(spec) -> list[str]:
    """Covariates of the ``covariates`` adjustment: a pre-specified set, never one chosen by the
    outcome's p-values (a posterior cannot see that selection, and screening can drop a
    confounder): ``[bayes] covariates``, else the propensity covariates, else the Cox covariates
    as listed (before any screening)."""
    return list(spec.bayes.covariates or spec.propensity.covariates or spec.cox.covariates)


def population_for(adjustment: str, populations: Sequence[Population]) -> Population | None:
    """The population an adjustment analyses (None when it was not built, e.g. no pairs)."""
    wanted = {"none": "unadjusted", "covariates": "unadjusted"}.get(adjustment, adjustment)
    return next((p for p in populations if p.name == wanted), None)


def fit_inputs(task: FitTask, pop: Population, covariates: Sequence[str]) -> dict:
    """Keyword arguments of :func:`bayeshcc.bayes.fit.fit_survival_model` for a task.

    ``covariates`` are the model's for the ``covariates`` adjustment; a PS-adjusted task with
    ``outcome_covariates`` has the propensity covariates of the spec instead."""
    cohort = pop.cohort
    X, names = None, ()
    if task.outcome_covariates:
        covariates = cohort.spec.propensity.covariates
    if (task.adjustment == "covariates" or task.outcome_covariates) and covariates:
        frame = pd.concat([covariate_columns(cohort.data, cohort.spec.covariate(c))
                           for c in covariates], axis=1)
        X, names = frame.to_numpy(float), tuple(frame.columns)
    return dict(time=cohort.time(task.outcome), event=cohort.event(task.outcome),
                treated=cohort.treated.astype(float), X=X, covariate_names=names,
                weights=None if pop.weights is None else np.asarray(pop.weights))


def standardisation_for(task: FitTask, pop: Population) -> np.ndarray | None:
    """The weights a task's marginal survival is standardised over
    (:func:`bayeshcc.bayes.standardise.target_weights`), or None when it is averaged with the
    analysis weights (every fit without ``outcome_covariates``)."""
    if not task.outcome_covariates:
        return None
    from bayeshcc.bayes.standardise import target_weights

    return target_weights(task.adjustment, pop)


def propensity_design(task: FitTask, cohort) -> PropensityDesign | None:
    """What a fit needs to draw the PS (``[bayes] uncertainty = "ps_bootstrap"``), or None.

    None unless the spec asks for the bootstrap, the adjustment uses a PS (ate, att, overlap,
    matched) and the spec has propensity covariates. The design repeats the spec's propensity
    settings (caliper, ratio, replacement, stabilisation, trimming) as
    :func:`bayeshcc.adjust.cohort.adjust` applies them.
    """
    spec = cohort.spec
    ps = spec.propensity
    if (spec.bayes.uncertainty != "ps_bootstrap" or task.adjustment not in PS_ADJUSTMENTS
            or not ps.covariates):
        return None
    return PropensityDesign(X=design_matrix(cohort, ps.covariates),
                            treated=np.asarray(cohort.treated, dtype=bool),
                            adjustment=task.adjustment, ids=np.asarray(cohort.ids),
                            stabilize=ps.stabilize, trim=ps.trim, caliper=ps.caliper,
                            ratio=ps.ratio, replace=ps.replace)



def uncertainty_label(adjustment: str, uncertainty: str) -> str:
    """The ``uncertainty`` column of a fit: how its interval was made. ``model`` for the
    unweighted ``none`` / ``covariates`` fits (the posterior as sampled); for PS adjustments the
    spec's method (``sandwich``, ``kish`` or ``ps_bootstrap``)."""
    return uncertainty if adjustment in PS_ADJUSTMENTS else "model"


def calibration_for(task: FitTask, pop: Population, uncertainty: str) -> CalibrationDesign | None:
    """The sandwich calibration of a weighted or matched fit (``[bayes] uncertainty =
    "sandwich"``, :func:`bayeshcc.bayes.calibration.design_for_population`), or None when its
    posterior is used as sampled. Weighted fits account for the estimated PS (stacked estimating
    equations); matched fits are clustered on matched sets (none with replacement).

    Raises
    ------
    AnalysisError
        The model's family cannot be calibrated yet
        (:func:`bayeshcc.bayes.families.check_calibration`): refused before any sampling.
    """
    if uncertainty != "sandwich" or task.adjustment not in PS_ADJUSTMENTS:
        return None
    if task.adjustment != "matched" and (pop.ps_score is None or pop.weights is None):
        return None
    check_calibration(task.model)
    return design_for_population(pop)
