"""Two-group significance tests as clinical papers report them, with the rule that picks one.

Categorical: Pearson chi-square, or Fisher's exact test when any expected count is below 5 (the
usual expected-count rule). A 2 x 2 table's chi-square has Yates' continuity correction, as R's
``chisq.test`` default (``correct = TRUE``: each |O - E| reduced by min(0.5, |O - E|); scipy's
``chi2_contingency(correction=True)`` is the same rule), and is named "chi-square (Yates)";
larger tables have none, in R as here.
Continuous: Student's t-test when both arms look normal (Shapiro-Wilk p >= 0.05 in each arm with
at least 3 values), otherwise the Mann-Whitney U test with R's ``wilcox.test(x, y)`` default
p-value: exact when both arms have fewer than 50 values and there are no ties, otherwise the normal
approximation with continuity and tie correction. The choice is written here because scipy's
``mannwhitneyu(method="auto")`` uses a different rule (exact below 8 values, and with ties too);
the two computations are scipy's, checked against R in tests/tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import gammaln

EXPECTED_MIN = 5.0
NORMALITY_ALPHA = 0.05
_MAX_TABLES = 5_000_000  # beyond this many tables, Fisher's test is not enumerated


@dataclass(frozen=True)
class TestResult:
    """A p-value and the name of the test that produced it."""

    test: str
    p: float


def categorical_test(table: np.ndarray) -> TestResult:
    """Test independence in a contingency table (rows: levels, columns: arms)."""
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return TestResult("none (one level)", float("nan"))
    expected = stats.contingency.expected_freq(table)
    if expected.min() < EXPECTED_MIN:
        if table.shape == (2, 2):
            return TestResult("Fisher exact", float(stats.fisher_exact(table.astype(int)).pvalue))
        if table.shape[1] == 2:
            p = fisher_exact_k_by_2(table.astype(int))
            if p is not None:
                return TestResult("Fisher exact", p)
        return TestResult("chi-square (small expected counts)", float(
            stats.chi2_contingency(table, correction=False).pvalue))
    if table.shape == (2, 2):
        return TestResult("chi-square (Yates)",
                          float(stats.chi2_contingency(table, correction=True).pvalue))
    return TestResult("chi-square", float(stats.chi2_contingency(table, correction=False).pvalue))


def looks_normal(values: np.ndarray) -> bool:
    """Shapiro-Wilk does not reject normality (or too few values to test)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 3 or np.ptp(values) == 0:
        return False
    return bool(stats.shapiro(values).pvalue >= NORMALITY_ALPHA)


def continuous_test(treated: np.ndarray, reference: np.ndarray, normal: bool) -> TestResult:
    """Student's t-test (``normal``) or Mann-Whitney U test between two arms."""
    if normal:
        return TestResult("t-test", float(stats.ttest_ind(treated, reference).pvalue))
    return TestResult("Mann-Whitney", mann_whitney_p(treated, reference))


WILCOX_EXACT_MAX = 50  # R's wilcox.test: exact only when both samples have fewer values


def mann_whitney_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p-value of R's ``wilcox.test(x, y)`` with its defaults.

    R drops non-finite values, then uses the exact distribution of W when both samples have
    fewer than 50 values and no value is tied (``pwilcox``), and otherwise the normal
    approximation with continuity correction and the tie-corrected variance
    ``n_x n_y / 12 * (n + 1 - sum(t^3 - t) / (n (n - 1)))``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    both = np.concatenate([x, y])
    exact = (len(x) < WILCOX_EXACT_MAX and len(y) < WILCOX_EXACT_MAX
             and len(np.unique(both)) == len(both))
    return float(stats.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True,
                                    method="exact" if exact else "asymptotic").pvalue)


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    return gammaln(np.add(n, 1)) - gammaln(np.add(k, 1)) - gammaln(np.subtract(n, k) + 1)


def fisher_exact_k_by_2(table: np.ndarray) -> float | None:
    """Exact Fisher test of a k x 2 table by enumerating every table with its margins.

    Equal to R's ``fisher.test`` (tables no more probable than the observed one, with R's
    relative tolerance 1e-7). scipy's k x c version is Monte Carlo, hence not reproducible.
    Returns None when there are more than ``_MAX_TABLES`` tables to enumerate.
    """
    table = np.asarray(table, dtype=int)
    rows, first = table.sum(axis=1), int(table[:, 0].sum())
    remaining = np.concatenate([np.cumsum(rows[::-1])[::-1][1:], [0]])
    sums, logp = np.array([0]), np.array([0.0])
    for size, left in zip(rows, remaining):
        take = np.arange(size + 1)
        sums = (sums[:, None] + take[None, :]).ravel()
        logp = (logp[:, None] + _log_choose(size, take)[None, :]).ravel()
        keep = (sums <= first) & (sums + left >= first)
        sums, logp = sums[keep], logp[keep]
        if len(sums) > _MAX_TABLES:
            return None
    observed = float(_log_choose(rows, table[:, 0]).sum())
    total = _log_choose(rows.sum(), first)
    probs = np.exp(logp - total)
    return float(min(1.0, probs[logp <= observed + np.log1p(1e-7)].sum()))
