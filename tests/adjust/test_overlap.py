"""Overlap diagnostics and the overlap-weights default primary (issue 23, part 4)."""

import warnings

import numpy as np
import pytest

from bayeshcc.adjust.cohort import adjust
from bayeshcc.adjust.overlap import (extreme_ate_weights, overlap_table, ps_histogram)
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.cohort import Cohort
from bayeshcc.datasets import paper_cohort_path
from bayeshcc.errors import AnalysisWarning
from bayeshcc.pipeline import paper_spec_path
from bayeshcc.spec import load_spec, spec_from_text
from tests.conftest import SMALL_SPEC, make_small_frame

# four treated and four reference patients; ATE weights 1/e and 1/(1 - e)
SCORE = np.array([0.02, 0.4, 0.5, 0.8, 0.1, 0.2, 0.5, 0.97])
TREATED = np.array([True] * 4 + [False] * 4)


def _weights(estimand):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return propensity_weights(SCORE, TREATED, estimand=estimand)


def test_overlap_table_per_estimand_and_arm():
    matched = np.array([False, True, True, True, True, True, True, False])
    table = overlap_table(SCORE, TREATED, {"ate": _weights("ate")}, matched).set_index("arm")
    treated, reference = table.loc["treated"], table.loc["reference"]
    assert treated["max_weight"] == pytest.approx(1 / 0.02)              # 50
    w = 1 / SCORE[:4]
    assert treated["ess"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())  # Kish: 1.69
    assert treated["ess_share"] == pytest.approx(treated["ess"] / 4)
    assert reference["max_weight"] == pytest.approx(1 / 0.03)            # 1 / (1 - 0.97)
    assert (treated["n_ps_outside"], reference["n_ps_outside"]) == (1, 1)  # 0.02; 0.97
    assert treated["ps_median"] == pytest.approx(0.45)                   # R quantile type 7
    assert (treated["ps_min"], treated["ps_max"]) == (0.02, 0.8)
    assert (treated["n_matched"], treated["matched_share"]) == (3, 0.75)


def test_ps_histogram_counts_every_patient_once_per_arm():
    hist = ps_histogram(SCORE, TREATED, bins=10)
    assert hist.groupby("arm")["n"].sum().to_dict() == {"reference": 4, "treated": 4}
    top = hist[(hist["arm"] == "reference") & (hist["bin_lower"] == 0.9)]
    assert int(top["n"].iloc[0]) == 1                                    # 0.97 in [0.9, 1]


def test_ate_weights_are_extreme_above_10_or_under_half_the_arm():
    assert "the largest treated weight is 50.0 (above 10)" in extreme_ate_weights(
        _weights("ate"), TREATED)
    mild = propensity_weights(np.full(8, 0.5), TREATED, estimand="ate")
    assert extreme_ate_weights(mild, TREATED) is None


# --- the default primary: the bundled cohort's ATE weights are extreme -------------------------

def _paper_cohort(text_edit=None):
    path = paper_spec_path()
    spec = load_spec(path) if text_edit is None else spec_from_text(text_edit(path.read_text()))
    return Cohort.from_file(paper_cohort_path(), spec)


def _adjust(cohort):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AnalysisWarning)
        result = adjust(cohort)
    return result, [str(w.message) for w in caught if issubclass(w.category, AnalysisWarning)]


def test_bundled_cohort_has_a_largest_ate_weight_of_23_and_a_treated_ess_of_18():
    # issue 23: "largest ATE weight is about 23, treated ESS about 18 of 40"
    result, _ = _adjust(_paper_cohort())
    ate = result.overlap[result.overlap["estimand"] == "ate"].set_index("arm")
    assert ate.loc["treated", "max_weight"] == pytest.approx(23.4, abs=0.05)
    assert ate.loc["treated", "ess"] == pytest.approx(18.0, abs=0.05)
    assert ate.loc["treated", "n"] == 40


def test_extreme_ate_weights_move_a_defaulted_primary_to_overlap_weights():
    cohort = _paper_cohort()     # paper.toml: adjustments none, covariates, ate, matched; no primary
    assert cohort.spec.bayes.primary.adjustment == "ate"
    result, messages = _adjust(cohort)
    assert result.bayes.primary.adjustment == "overlap"
    assert "overlap" in result.bayes.adjustments                 # added to the grid
    assert "overlap" in [p.name for p in result.populations]
    sentence = result.summary["primary_overlap"]["sentence"]
    assert sentence.startswith("The ATE weights are extreme: the largest treated weight is 23.4")
    assert "uses overlap weights (Li, Morgan & Zaslavsky 2018)" in sentence
    assert not any("is kept as given" in m for m in messages)


def test_an_explicit_ate_primary_is_obeyed_with_the_same_sentence_as_a_warning():
    cohort = _paper_cohort(lambda text: text.replace(
        "[bayes]\n", '[bayes]\nprimary = { adjustment = "ate" }\n', 1))
    result, messages = _adjust(cohort)
    assert result.bayes is None                                  # the spec's primary stands
    sentence = result.summary["primary_overlap"]["sentence"]
    assert result.summary["primary_overlap"]["switched"] is False
    assert [m for m in messages if sentence in m] == [
        f"{sentence} The spec's [bayes] primary names adjustment 'ate', which is kept as given."]


def test_mild_ate_weights_keep_the_ate_primary():
    # arms alternate, independent of the covariates: weights near 2, no switch and no sentence
    spec = spec_from_text(SMALL_SPEC + '\n[bayes]\nadjustments = ["none", "ate"]\n')
    result, _ = _adjust(Cohort.from_dataframe(make_small_frame(200), spec))
    assert result.bayes is None and "primary_overlap" not in result.summary
    assert [p.name for p in result.populations] == ["unadjusted", "matched", "ate"]


def test_balance_covers_every_weighted_population():
    result, _ = _adjust(_paper_cohort())
    assert {"smd_ate", "smd_overlap", "variance_ratio_ate", "variance_ratio_overlap"} <= set(
        result.balance.columns)
    # overlap weights balance the means of the propensity covariates exactly (Li et al. 2018)
    assert result.balance["smd_overlap"].abs().max() < 1e-8
    assert (result.balance["smd_weighted"] == result.balance["smd_ate"]).all()
