"""Frequentist survival analyses, numerically equal to R's `survival` package (3.5)."""

from bayeshcc.frequentist.cox import CoxFit, fit_cox
from bayeshcc.frequentist.evalue import EValue, evalue_hazard_ratio
from bayeshcc.frequentist.km import (KaplanMeierCurve, MedianEstimate, kaplan_meier,
                                     median_survival, survival_at)
from bayeshcc.frequentist.logrank import LogRankResult, logrank_test, weighted_logrank_test
from bayeshcc.frequentist.propensity_influence import PropensityDesign
from bayeshcc.frequentist.rmst import RestrictedMean, RmstDifference, restricted_mean, rmst_difference
from bayeshcc.frequentist.zph import cox_zph

__all__ = [
    "CoxFit", "EValue", "KaplanMeierCurve", "LogRankResult", "MedianEstimate", "PropensityDesign",
    "RestrictedMean",
    "RmstDifference", "cox_zph", "evalue_hazard_ratio", "fit_cox", "kaplan_meier",
    "logrank_test", "median_survival", "restricted_mean", "rmst_difference", "survival_at",
    "weighted_logrank_test",
]
