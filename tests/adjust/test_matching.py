"""match_nearest gives MatchIt 4.5.5's pairs: matchit(treat ~ ..., method = "nearest",
distance = "glm", link = "linear.logit", ...) on the same data."""
import numpy as np
import pandas as pd
import pytest
from adjust_reference import RTOL, load, r_array

from bayeshcc.adjust import match_nearest
from bayeshcc.errors import AnalysisError

SETTINGS = {
    "caliper_0.2": {"caliper": 0.2},                 # caliper = 0.2, std.caliper = TRUE
    "caliper_0.1": {"caliper": 0.1},
    "no_caliper": {"caliper": None},
    "ratio_2": {"caliper": 0.2, "ratio": 2},
    "replace": {"caliper": 0.2, "replace": True},
}


def _pairs(frame):
    return set(zip(frame["treated_id"].tolist(), frame["reference_id"].tolist()))


def _r_logit(ref):
    """R's fit$linear.predictors to the last bit (printed with %.17g)."""
    return np.array([float(v) for v in ref.r["logit_17g"]])


@pytest.mark.parametrize("setting", SETTINGS)
def test_pairs_equal_matchit(ref, setting):
    """Given MatchIt's distances, the same set of (treated id, control id) as m$match.matrix."""
    result = match_nearest(_r_logit(ref), ref.treated, ref.ids, **SETTINGS[setting])
    expected = ref.r["matches"][setting]
    assert _pairs(result.pairs) == set(zip(expected["treated_id"], expected["reference_id"]))


@pytest.mark.parametrize("setting", SETTINGS)
def test_pairs_from_python_fit_equal_matchit_up_to_exact_ties(ref, setting):
    """End to end (our glm fit): identical pairs, except where a treated unit has two
    controls at distances equal in exact arithmetic (covariate steps that cancel), which
    the last bits of the logit decide in R as here. Found: lalonde id 71 (controls 585 and
    577, ages 37/17 and educ 8/10 around 27/9) and colon id 117, both with replace = TRUE."""
    result = match_nearest(ref.fit.logit, ref.treated, ref.ids, **SETTINGS[setting])
    expected = ref.r["matches"][setting]
    ours, theirs = _pairs(result.pairs), set(zip(expected["treated_id"], expected["reference_id"]))
    logit = dict(zip(ref.ids, ref.fit.logit))
    differing = {a for a, _ in ours ^ theirs}
    assert len(differing) <= 1
    for a in differing:
        gaps = {abs(logit[a] - logit[b]) for t, b in ours ^ theirs if t == a}
        assert max(gaps) - min(gaps) < 1e-12


@pytest.mark.parametrize("setting", SETTINGS)
def test_weights_equal_matchit(ref, setting):
    """m$weights (controls rescaled to the number of matched controls)."""
    result = match_nearest(_r_logit(ref), ref.treated, ref.ids, **SETTINGS[setting])
    np.testing.assert_allclose(result.weights, ref.r["matches"][setting]["weights"], rtol=RTOL)


@pytest.mark.parametrize("setting", ["caliper_0.2", "no_caliper", "ratio_2"])
def test_subclass_equals_matchit(ref, setting):
    """m$subclass of each matched unit (MatchIt numbers subclasses by treated row as a string)."""
    result = match_nearest(ref.fit.logit, ref.treated, ref.ids, **SETTINGS[setting])
    r_subclass = dict(zip(ref.ids, r_array(ref.r["matches"][setting]["subclass"])))
    for row in result.pairs.itertuples():
        assert row.subclass == r_subclass[row.treated_id] == r_subclass[row.reference_id]


def test_caliper_and_distances():
    """Caliper = 0.2 x sd(logit); every pair's |logit difference| lies within it."""
    d = load("lalonde")
    result = match_nearest(d.fit.logit, d.treated, d.ids, caliper=0.2)
    assert result.caliper == pytest.approx(0.2 * d.r["caliper_sd_logit"], rel=RTOL)
    logit = dict(zip(d.ids, d.fit.logit))
    gaps = [abs(logit[a] - logit[b]) for a, b in _pairs(result.pairs)]
    assert max(gaps) <= result.caliper
    np.testing.assert_allclose(
        result.pairs["distance"],
        [abs(logit[a] - logit[b]) for a, b in zip(result.pairs["treated_id"], result.pairs["reference_id"])])


def test_tie_goes_to_lower_score_side():
    """Controls at logit 0 and 2 are equally near the treated unit at 1: the lower one wins."""
    result = match_nearest([2.0, 1.0, 0.0], [False, True, False], ["hi", "t", "lo"], caliper=None)
    assert _pairs(result.pairs) == {("t", "lo")}


def test_largest_score_matched_first():
    """Treated at 1.0 (largest) takes the control at 0.9; the one at 0.8 gets 0.5."""
    result = match_nearest([0.8, 1.0, 0.9, 0.5], [True, True, False, False], [1, 2, 3, 4], caliper=None)
    assert _pairs(result.pairs) == {(2, 3), (1, 4)}


def test_no_pair_within_caliper_is_a_clear_error():
    with pytest.raises(AnalysisError, match="no treated unit has a reference unit within the caliper"):
        match_nearest([0.0, 0.1, 5.0, 5.1], [True, True, False, False], [1, 2, 3, 4], caliper=0.01)


def test_inputs_are_not_mutated():
    d = load("colon")
    logit, treated, ids = d.fit.logit.copy(), d.treated.copy(), d.ids.copy()
    match_nearest(logit, treated, ids)
    np.testing.assert_array_equal(logit, d.fit.logit)
    np.testing.assert_array_equal(treated, d.treated)
    np.testing.assert_array_equal(ids, d.ids)


def test_duplicated_ids_are_an_error():
    with pytest.raises(AnalysisError, match="ids must be unique"):
        match_nearest([0.0, 0.1], [True, False], [1, 1])


def test_pairs_table_columns():
    d = load("ties")
    pairs = match_nearest(d.fit.logit, d.treated, d.ids).pairs
    assert list(pairs.columns) == ["treated_id", "reference_id", "distance", "subclass"]
    assert isinstance(pairs, pd.DataFrame) and not pairs.empty


def test_without_replacement_each_control_is_used_once(ref):
    """replace = FALSE, ratio = 2: no control appears twice; each treated unit has <= 2."""
    pairs = match_nearest(ref.fit.logit, ref.treated, ref.ids, caliper=0.2, ratio=2).pairs
    assert pairs["reference_id"].is_unique
    assert pairs.groupby("treated_id").size().max() <= 2
