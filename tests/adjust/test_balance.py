"""balance_table equals MatchIt 4.7.2 summary(m, un = TRUE) ("Std. Mean Diff.", "Var. Ratio")
and MatchIt's bal1var(s.d.denom = "treated") with propensity weights."""
import numpy as np
import pandas as pd
import pytest
from adjust_reference import RTOL, load, r_array

from bayeshcc.adjust import balance_table, match_nearest, propensity_weights


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), r_array(expected), rtol=RTOL, atol=1e-12)


def _matched(ref):
    """MatchIt's pairs from R's logits (ours agree to 1e-10; see test_matching.py)."""
    logit = np.array([float(v) for v in ref.r["logit_17g"]])
    return match_nearest(logit, ref.treated, ref.ids, caliper=0.2).weights


def test_unadjusted_and_matched_equal_summary_matchit(ref):
    """summary(matchit(..., caliper = 0.2))$sum.all / $sum.matched, covariate rows."""
    table = balance_table(ref.X, ref.treated, matched_weights=_matched(ref))
    s = ref.r["summary"]
    rows = [s["term"].index(c) for c in ref.X.columns]
    _close(table["smd_unadjusted"], [s["smd_unadjusted"][i] for i in rows])
    _close(table["smd_matched"], [s["smd_matched"][i] for i in rows])
    _close(table["variance_ratio_unadjusted"], [s["var_ratio_unadjusted"][i] for i in rows])
    _close(table["variance_ratio_matched"], [s["var_ratio_matched"][i] for i in rows])


@pytest.mark.filterwarnings("ignore::bayeshcc.errors.AnalysisWarning")
@pytest.mark.parametrize("case", ["ate", "att", "overlap"])
def test_weighted_equal_r(ref, case):
    """bal1var(x, treat, ww = w, s.d.denom = "treated") with w by WeightIt's formula."""
    w = propensity_weights(ref.fit.score, ref.treated, case).weights
    table = balance_table(ref.X, ref.treated, weights=w)
    rows = ref.r["weighted_balance"][case]  # one record per covariate, in X's column order
    _close(table["smd_weighted"], [row["smd"] for row in rows])
    _close(table["variance_ratio_weighted"], [row.get("var_ratio") for row in rows])


def test_denominator_is_treated_sd_in_full_sample():
    """SMD of lalonde age: (mean_t - mean_c) / sd(age[treat == 1]); binary: sqrt(p(1-p))."""
    d = load("lalonde")
    table = balance_table(d.X, d.treated).set_index("covariate")
    age, married = d.X["age"].to_numpy(), d.X["married"].to_numpy()
    t = d.treated
    expected_age = (age[t].mean() - age[~t].mean()) / age[t].std(ddof=1)
    p = married[t].mean()
    expected_married = (p - married[~t].mean()) / np.sqrt(p * (1 - p))
    assert table.loc["age", "smd_unadjusted"] == pytest.approx(expected_age, rel=1e-12)
    assert table.loc["married", "smd_unadjusted"] == pytest.approx(expected_married, rel=1e-12)
    assert np.isnan(table.loc["married", "variance_ratio_unadjusted"])


def test_columns_and_missing_adjustments():
    d = load("ties")
    table = balance_table(d.X, d.treated)
    assert list(table.columns) == ["covariate", "smd_unadjusted", "smd_matched", "smd_weighted",
                                   "variance_ratio_unadjusted", "variance_ratio_matched",
                                   "variance_ratio_weighted"]
    assert table["smd_matched"].isna().all() and table["smd_weighted"].isna().all()


def test_all_ones_weights_equal_unadjusted():
    d = load("colon")
    table = balance_table(d.X, d.treated, weights=np.ones(len(d.X)))
    np.testing.assert_allclose(table["smd_weighted"], table["smd_unadjusted"], rtol=1e-12)


def test_inputs_are_not_mutated():
    d = load("colon")
    X, w = d.X.copy(), _matched(d)
    w_copy = w.copy()
    balance_table(X, d.treated, matched_weights=w)
    pd.testing.assert_frame_equal(X, d.X)
    np.testing.assert_array_equal(w, w_copy)
