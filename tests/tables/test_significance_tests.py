"""Two-group tests equal R's on the same counts (R 4.2.2 calls beside each number)."""

import json
from pathlib import Path

import numpy as np
import pytest

from bayeshcc.tables.tests import categorical_test, continuous_test, fisher_exact_k_by_2, mann_whitney_p

# wilcox.test(x, y) defaults, from tests/reference/tests_reference.R (R 4.2.2)
WILCOX = json.loads((Path(__file__).parents[1] / "reference" / "fixtures" / "tests_wilcox.json").read_text())

X = np.array([55, 63, 70, 48, 66, 59, 72, 61.0])
Y = np.array([60, 58, 75, 80, 69, 71, 77, 64, 62.0])


def test_small_expected_counts_use_fisher():
    # paper's ORR, 3/40 vs 5/86; fisher.test(matrix(c(3,5,37,81),2))$p.value
    result = categorical_test(np.array([[3, 5], [37, 81]]))
    assert result.test == "Fisher exact"
    assert result.p == pytest.approx(0.708004947314596, rel=1e-9)


def test_two_by_two_chi_square_has_yates_correction_as_r_default():
    # chisq.test(matrix(c(27,21,13,65),2))$p.value (R 4.2.2; correct = TRUE is the default;
    # without it, correct=FALSE, 3.56264121823556e-06)
    result = categorical_test(np.array([[27, 21], [13, 65]]))
    assert result.test == "chi-square (Yates)"
    assert result.p == pytest.approx(9.06555161957126e-06, rel=1e-9)


def test_larger_table_chi_square_has_no_correction_as_r():
    # chisq.test(matrix(c(20,10,12,25,18,30),3))$p.value (R 4.2.2, "Pearson's Chi-squared test":
    # R corrects 2 x 2 tables only)
    result = categorical_test(np.array([[20, 25], [10, 18], [12, 30]]))
    assert result.test == "chi-square"
    assert result.p == pytest.approx(0.305540047074175, rel=1e-9)


def test_three_by_two_fisher_is_exact_like_r():
    # fisher.test(matrix(c(2,8,5,1,20,30),2))$p.value  (scipy's k x c version is Monte Carlo)
    assert fisher_exact_k_by_2(np.array([[2, 8], [5, 1], [20, 30]])) == pytest.approx(
        0.0368090855618467, rel=1e-9)


def test_fisher_k_by_2_reduces_to_two_by_two():
    assert fisher_exact_k_by_2(np.array([[3, 5], [37, 81]])) == pytest.approx(0.708004947314596,
                                                                               rel=1e-9)


def test_t_test_is_students():
    # t.test(x, y, var.equal=TRUE)$p.value
    assert continuous_test(X, Y, normal=True).p == pytest.approx(0.101217320306925, rel=1e-9)


def test_mann_whitney_small_samples_without_ties_is_exact():
    # X, Y: 8 and 9 values, no ties. wilcox.test(x, y)$p.value (exact test);
    # the normal approximation, wilcox.test(x, y, exact=FALSE)$p.value, is 0.162936499844657
    result = continuous_test(X, Y, normal=False)
    assert result.test == "Mann-Whitney"
    assert result.p == pytest.approx(0.16717400246812, rel=1e-9)


@pytest.mark.parametrize("case", ["small_no_ties", "small_upper_tail", "centre"])
def test_mann_whitney_exact_below_50_without_ties(case):
    """Both samples < 50 and no ties: R's exact test (pwilcox)."""
    ref = WILCOX[case]
    assert ref["exact"]
    assert mann_whitney_p(ref["x"], ref["y"]) == pytest.approx(ref["p"], rel=1e-9)


@pytest.mark.parametrize("case", ["small_ties", "large_no_ties", "large_ties"])
def test_mann_whitney_normal_approximation_with_ties_or_50_values(case):
    """Ties (even in small samples) or a sample of >= 50: normal approximation with
    continuity and tie correction, as R's "Wilcoxon rank sum test with continuity correction"."""
    ref = WILCOX[case]
    assert not ref["exact"]
    assert mann_whitney_p(ref["x"], ref["y"]) == pytest.approx(ref["p"], rel=1e-9)


def test_single_level_has_no_test():
    assert np.isnan(categorical_test(np.array([[5, 7], [0, 0]])).p)
