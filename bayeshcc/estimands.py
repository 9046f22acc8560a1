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

POPULATION_IN_WORDS = {
    "none": "the patients as observed, without adjustment for confounding",
    "covariates": "a patient with the same baseline characteristics",
    "ate": "the whole cohort (average treatment effect, propensity-score weighting)",
    "att": "patients like those who received {treated} (effect on the treated, "
           "propensity-score weighting)",
    "overlap": "patients for whom either treatment was plausible (overlap weighting)",
    "matched": "the propensity-score matched patients",
}



def hr_estimand(adjustment: str) -> str:
    """The ``estimand`` column of ``posterior_hr.csv`` / ``sensitivity.csv`` for an adjustment."""
    return HR_ESTIMAND[adjustment]


def contrast_estimand(adjustment: str) -> str:
    """The ``estimand`` column of ``posterior_contrasts.csv`` for an adjustment."""
    return CONTRAST_ESTIMAND[adjustment]


def population_in_words(adjustment: str, treated: str = "the treated arm") -> str:
    """Whom the estimate is about, for the report's sentences."""
    return POPULATION_IN_WORDS[adjustment].format(treated=treated)


def is_causal(adjustment: str) -> bool:
    """Whether an adjustment's estimate may be worded as an effect ("lowers the hazard") rather
    than an association: every adjusted analysis, under no unmeasured confounding."""
    return adjustment in ADJUSTED
