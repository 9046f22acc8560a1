"""Properties that hold for any data: monotone KM, weights as frequencies, symmetry of arms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayeshcc.frequentist.km import kaplan_meier
from bayeshcc.frequentist.logrank import logrank_test, weighted_logrank_test
from bayeshcc.frequentist.rmst import restricted_mean

from .fixtures import load

cohorts = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 15), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(1, 4), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(cohorts)
def test_km_never_increases_and_stays_in_unit_interval(cohort):
    time, event, _ = map(np.array, cohort)
    curve = kaplan_meier(time.astype(float), event)
    assert np.all(np.diff(curve.survival) <= 0)
    assert np.all((curve.survival >= 0) & (curve.survival <= 1))
    ok = ~np.isnan(curve.lower)
    assert np.all(curve.lower[ok] <= curve.survival[ok] + 1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(cohorts)
def test_integer_weights_equal_duplicated_rows_km(cohort):
    """KM, its Greenwood SE and RMST with weight k equal those with the row repeated k times."""
    time, event, w = map(np.array, cohort)
    weighted = kaplan_meier(time, event, weights=w)
    dup = kaplan_meier(np.repeat(time, w), np.repeat(event, w))
    np.testing.assert_allclose(weighted.survival, dup.survival, rtol=1e-12)
    np.testing.assert_allclose(weighted.std_err, dup.std_err, rtol=1e-10)
    np.testing.assert_allclose(weighted.n_risk, dup.n_risk, rtol=1e-12)
    a = restricted_mean(time, event, 10, weights=w)
    b = restricted_mean(np.repeat(time, w), np.repeat(event, w), 10)
    assert a.rmst == pytest.approx(b.rmst, rel=1e-12) and a.se == pytest.approx(b.se, rel=1e-10)


@pytest.mark.parametrize("dataset", ["lung", "veteran", "lung_ties"])
def test_all_ones_weights_equal_unweighted_km(dataset):
    _, data = load(dataset)
    plain = kaplan_meier(data.time, data.event)
    ones = kaplan_meier(data.time, data.event, weights=np.ones(len(data)))
    for field in ("survival", "std_err", "lower", "upper", "n_risk"):
        np.testing.assert_allclose(getattr(ones, field), getattr(plain, field), rtol=1e-12)


def test_logrank_is_symmetric_in_the_arms():
    _, data = load("ovarian")
    a = logrank_test(data.time, data.event, data.group)
    b = logrank_test(data.time, data.event, ~data.group)
    assert a.chisq == pytest.approx(b.chisq, rel=1e-12)
    assert a.observed[0] == b.observed[1]


def test_weighted_logrank_scale_invariant_in_weights():
    """Multiplying every weight by a constant changes neither the statistic nor the p-value."""
    _, data = load("veteran")
    a = weighted_logrank_test(data.time, data.event, data.group, data.w_frac)
    b = weighted_logrank_test(data.time, data.event, data.group, 7.5 * data.w_frac)
    assert a.chisq == pytest.approx(b.chisq, rel=1e-10)
