"""Propensity-score adjustment: model, matching, weights and balance (R glm / MatchIt equivalents)."""
from bayeshcc.adjust.balance import balance_table, standardized_mean_difference
from bayeshcc.adjust.matching import MatchResult, match_nearest
from bayeshcc.adjust.propensity import PropensityFit, fit_propensity
from bayeshcc.adjust.weights import WeightResult, propensity_weights

__all__ = [
    "MatchResult", "PropensityFit", "WeightResult", "balance_table", "fit_propensity",
    "match_nearest", "propensity_weights", "standardized_mean_difference",
]
