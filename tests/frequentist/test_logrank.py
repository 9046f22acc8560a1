"""Log-rank tests against R survdiff (fixtures from tests/reference/survival_reference.R)."""

import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.logrank import logrank_test

from .fixtures import DATASETS, assert_r_equal, load


@pytest.mark.parametrize("dataset", DATASETS)
def test_logrank_equals_survdiff(dataset):
    """survdiff(Surv(time, event) ~ group): chisq, p, obs, exp (order FALSE, TRUE)."""
    fixture, data = load(dataset)
    ref = fixture["survdiff"]
    result = logrank_test(data.time.to_numpy(), data.event.to_numpy(), data.group.to_numpy())
    assert_r_equal(result.chisq, ref["chisq"])
    assert_r_equal(result.p, ref["p"])
    assert_r_equal(result.observed, ref["observed"])
    assert_r_equal(result.expected, ref["expected"])
    assert result.df == ref["df"] == 1


def test_logrank_one_arm_is_refused():
    with pytest.raises(AnalysisError, match="only one arm"):
        logrank_test([1, 2, 3], [1, 1, 0], [True, True, True])


def test_logrank_without_events_is_refused():
    with pytest.raises(AnalysisError, match="no events"):
        logrank_test([1, 2, 3], [0, 0, 0], [True, False, True])
