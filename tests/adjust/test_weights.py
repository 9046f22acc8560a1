"""propensity_weights equals WeightIt's formulas (computed in R from glm's fitted values)."""
import numpy as np
import pytest
from adjust_reference import RTOL, load

from bayeshcc.adjust import propensity_weights
from bayeshcc.errors import AnalysisError, AnalysisWarning

CASES = {
    "ate": {"estimand": "ate"},
    "att": {"estimand": "att"},
    "overlap": {"estimand": "overlap"},
    "ate_stabilized": {"estimand": "ate", "stabilize": True},
    "ate_trim_0.1": {"estimand": "ate", "trim": 0.1},
}


@pytest.mark.filterwarnings("ignore::bayeshcc.errors.AnalysisWarning")
@pytest.mark.parametrize("case", CASES)
def test_weights_and_ess_equal_r(ref, case):
    """ifelse(z == 1, 1/e, 1/(1-e)) etc.; Kish ESS = sum(w)^2 / sum(w^2) per arm."""
    result = propensity_weights(ref.fit.score, ref.treated, **CASES[case])
    np.testing.assert_allclose(result.weights, ref.r["weights"][case], rtol=RTOL)
    r_ess = ref.r["ess"][case]  # c(treated, reference)
    assert [result.ess["treated"], result.ess["reference"]] == pytest.approx(r_ess, rel=RTOL)


def test_trim_counts_units_outside_bounds():
    """ate_trim_0.1: PS outside [0.1, 0.9] get weight 0."""
    d = load("lalonde")
    score = np.array(d.r["score"])
    with pytest.warns(AnalysisWarning):
        result = propensity_weights(d.fit.score, d.treated, trim=0.1)
    assert result.n_trimmed == np.sum((score < 0.1) | (score > 0.9)) > 0


def test_extreme_weights_warn_with_figures():
    """lalonde ATE: the largest treated weight is 1 / min(e of treated)."""
    d = load("lalonde")
    top = 1 / np.min(np.array(d.r["score"])[d.treated])
    with pytest.warns(AnalysisWarning) as record:
        result = propensity_weights(d.fit.score, d.treated, "ate")
    assert any(f"treated arm: max {top:.1f}" in str(w.message) for w in record)
    assert result.max_weight["treated"] == pytest.approx(top, rel=RTOL)


def test_no_warning_for_moderate_weights():
    score = np.array([0.4, 0.5, 0.6, 0.5])
    result = propensity_weights(score, [True, False, True, False], "overlap")
    assert result.warnings == ()


def test_stabilize_only_for_ate():
    with pytest.raises(AnalysisError, match="estimand='ate' only"):
        propensity_weights([0.5, 0.5], [True, False], "att", stabilize=True)


def test_unknown_estimand_is_an_error():
    with pytest.raises(AnalysisError, match="estimand must be one of"):
        propensity_weights([0.5, 0.5], [True, False], "atc")


def test_inputs_are_not_mutated():
    score, treated = np.array([0.3, 0.6, 0.5]), np.array([True, False, True])
    propensity_weights(score, treated, "att")
    np.testing.assert_array_equal(score, [0.3, 0.6, 0.5])
    np.testing.assert_array_equal(treated, [True, False, True])
