"""The package's vocabulary, in one place: the names of adjustments, their groups, the ways of
making a weighted or matched fit's interval, the built-in priors and the populations.

Every other module takes these names from here, so that adding an adjustment is one entry here
plus its module in :mod:`bayeshcc.adjust` (what each adjustment estimates, in words, is
:mod:`bayeshcc.estimands`). The model families' names come from their registry,
:mod:`bayeshcc.bayes.families`.
"""

from __future__ import annotations

from typing import Any

ADJUSTMENTS = ("none", "covariates", "ate", "att", "overlap", "matched")
"""Every adjustment, in the order tables and figures list them: ``none`` (treatment only),
``covariates`` (conditional on a pre-specified set), ``ate`` / ``att`` / ``overlap``
(propensity weights for that estimand), ``matched`` (the matched cohort)."""

WEIGHTED = ("ate", "att", "overlap")
"""Adjustments by propensity-score weights (their name is the estimand's)."""

PROPENSITY = WEIGHTED + ("matched",)
"""Adjustments built on a propensity score: weighted or matched."""

ADJUSTED = ("covariates",) + PROPENSITY
"""Adjustments that address measured confounding (all but ``none``)."""

UNCERTAINTY = ("sandwich", "kish", "ps_bootstrap")
"""How a weighted or matched fit's interval is made (``[bayes] uncertainty``)."""

BUILT_IN_PRIORS = ("vague", "weakly_informative", "skeptical", "enthusiastic")
"""Priors every spec may name without defining them."""

POPULATIONS = ("unadjusted",) + ("matched",) + WEIGHTED
"""The ``cohort`` column of the frequentist tables: who a row describes."""

#: The model (baseline hazard family) names of specs and the API, in the registry's order
#: (:data:`bayeshcc.bayes.families.FAMILIES` has one family for each, tested).
MODELS = ("weibull", "piecewise", "mspline")

# --- the names in words, for titles, legends and the report ------------------------------------

#: Each model in words (its family's ``title``, tested).
MODEL_NAMES = {"weibull": "Weibull", "piecewise": "piecewise exponential",
               "mspline": "M-spline"}

PRIOR_NAMES = {"weakly_informative": "weakly informative", "vague": "vague",
               "skeptical": "sceptical", "enthusiastic": "enthusiastic"}
ADJUSTMENT_NAMES = {"none": "unadjusted", "covariates": "covariate-adjusted",
                    "ate": "ATE-weighted", "att": "ATT-weighted", "overlap": "overlap-weighted",
                    "matched": "matched"}
QUANTILE_NAMES = {"q025": "2.5%", "q250": "25%", "q500": "50%", "q750": "75%",
                  "q975": "97.5%"}


def readable(name: Any) -> str:
    """A model, prior or adjustment name as a reader reads it (``weakly_informative`` ->
    ``weakly informative``; a model by :data:`MODEL_NAMES`); a name of the spec's own (a
    prior ``[priors.NAME]``) as written."""
    text = str(name)
    for names in (MODEL_NAMES, PRIOR_NAMES, ADJUSTMENT_NAMES, QUANTILE_NAMES):
        if text in names:
            return names[text]
    return text


__all__ = ["ADJUSTED", "ADJUSTMENTS", "ADJUSTMENT_NAMES", "BUILT_IN_PRIORS", "MODELS",
           "MODEL_NAMES",
           "POPULATIONS", "PRIOR_NAMES", "PROPENSITY", "QUANTILE_NAMES", "UNCERTAINTY",
           "WEIGHTED", "readable"]
