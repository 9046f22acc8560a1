"""What each adjustment estimates, in the tables' words and in a reader's.

Hazard ratios from different adjustments are different quantities, not sensitivity versions of
one: a conditional HR (covariates in the model) differs from a marginal one even without any
confounding, because the HR is not collapsible (Greenland, Robins & Pearl 1999; Daniel, Zhang &
Farewell 2021, Biometrical Journal 63:528). Each table row therefore names its estimand:

=============  ===============================  ============================================
adjustment     estimand (HR)                    population the contrast is about
=============  ===============================  ============================================
none           crude marginal HR                the cohort as observed, arms as they differ
covariates     conditional HR                   a patient with given covariates
ate            marginal HR (ATE)                the whole cohort, everyone treated vs not
att            marginal HR (ATT)                patients like the treated ones
overlap        marginal HR (overlap)            patients in clinical equipoise (overlap weights)
matched        marginal HR (matched sample)     the matched patients (about ATT, within caliper)
=============  ===============================  ============================================

Survival, median and RMST differences (``posterior_contrasts.csv``) are standardised over the
analysed (weighted or matched) population, so they are marginal for every adjustment; for
``covariates`` they are the model's standardisation over the whole cohort (g-formula).

With ``[bayes] outcome_covariates = true`` a PS-adjusted fit has the propensity covariates in
its (weighted) outcome model: its HR is conditional on them, and its contrasts are the model's
survival standardised over the estimand's target population (:mod:`bayeshcc.bayes.standardise`);
:data:`HR_ESTIMAND_WITH_COVARIATES` and :data:`CONTRAST_ESTIMAND_WITH_COVARIATES` name them.
"""

from __future__ import annotations

from bayeshcc.vocab import ADJUSTED

HR_ESTIMAND = {
    "none": "crude marginal HR",
    "covariates": "conditional HR",
    "ate": "marginal HR (ATE)",
    "att": "marginal HR (ATT)",
    "overlap": "marginal HR (overlap)",
    "matched": "marginal HR (matched sample)",
}

CONTRAST_ESTIMAND = {
    "none": "crude marginal contrast",
    "covariates": "standardised contrast (whole cohort, outcome model)",
    "ate": "marginal contrast (ATE)",
    "att": "marginal contrast (ATT)",
    "overlap": "marginal contrast (overlap)",
    "matched": "marginal contrast (matched sample)",
}

HR_ESTIMAND_WITH_COVARIATES = {
    "ate": "conditional HR (ATE weights, covariates in the model)",
    "att": "conditional HR (ATT weights, covariates in the model)",
    "overlap": "conditional HR (overlap weights, covariates in the model)",
    "matched": "conditional HR (matched sample, covariates in the model)",
}

CONTRAST_ESTIMAND_WITH_COVARIATES = {
    "ate": "standardised contrast (ATE: whole cohort, weighted outcome model)",
    "att": "standardised contrast (ATT: the treated, weighted outcome model)",
    "overlap": "standardised contrast (overlap: e(1-e)-weighted cohort, weighted outcome model)",
    "matched": "standardised contrast (matched sample, outcome model)",
}

POPULATION_IN_WORDS = {
    "none": "the patients as observed, without adjustment for confounding",
    "covariates": "a patient with the same baseline characteristics",
    "ate": "the whole cohort (average treatment effect, propensity-score weighting)",
    "att": "patients like those who received {treated} (effect on the treated, "
           "propensity-score weighting)",
    "overlap": "patients for whom either treatment was plausible (overlap weighting)",
    "matched": "the propensity-score matched patients",
}



def hr_estimand(adjustment: str, outcome_covariates: bool = False) -> str:
    """The ``estimand`` column of ``posterior_hr.csv`` / ``sensitivity.csv`` for an adjustment
    (``outcome_covariates``: a PS-adjusted fit with the covariates in its outcome model)."""
    if outcome_covariates:
        return HR_ESTIMAND_WITH_COVARIATES[adjustment]
    return HR_ESTIMAND[adjustment]


def contrast_estimand(adjustment: str, outcome_covariates: bool = False) -> str:
    """The ``estimand`` column of ``posterior_contrasts.csv`` for an adjustment
    (``outcome_covariates``: standardised over the estimand's target population)."""
    if outcome_covariates:
        return CONTRAST_ESTIMAND_WITH_COVARIATES[adjustment]
    return CONTRAST_ESTIMAND[adjustment]


def population_in_words(adjustment: str, treated: str = "the treated arm") -> str:
    """Whom the estimate is about, for the report's sentences."""
    return POPULATION_IN_WORDS[adjustment].format(treated=treated)


def is_causal(adjustment: str) -> bool:
    """Whether an adjustment's estimate may be worded as an effect ("lowers the hazard") rather
    than an association: every adjusted analysis, under no unmeasured confounding."""
    return adjustment in ADJUSTED
