"""RMST against R print(survfit(...), rmean = tau) (fixtures from tests/reference/survival_reference.R)."""

import numpy as np
import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.rmst import restricted_mean, rmst_difference

from .fixtures import DATASETS, arm_rows, assert_r_equal, load

CASES = [(ds, i) for ds in DATASETS for i, k in enumerate(load(ds)[0]["km"]) if k["conf_type"] == "log"]


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_rmst_equals_survmean(dataset, index):
    """survival:::survmean(survfit(Surv(time, event) ~ 1, weights = w), rmean = tau):
    rmean and se(rmean)."""
    fixture, data = load(dataset)
    ref = fixture["km"][index]
    rows = arm_rows(data, ref["arm"])
    w = None if ref["weights"] is None else rows[ref["weights"]]
    result = restricted_mean(rows.time, rows.event, ref["tau"], w)
    assert_r_equal([result.rmst, result.se], [ref["rmean"], ref["se_rmean"]])


def test_rmst_beyond_last_time_extends_last_survival():
    """S = 0.5 after t = 2 and follow-up ends at 3: area to 5 is 1 + 0.5 * 4 = 3."""
    result = restricted_mean([1, 2, 3], [0, 1, 0], tau=5)
    assert result.rmst == pytest.approx(1 * 1 + 1 * 1 + 0.5 * 3)


def test_rmst_difference_combines_arm_variances():
    _, data = load("lung")
    diff = rmst_difference(data.time, data.event, data.group, tau=365)
    t = restricted_mean(data.time[data.group], data.event[data.group], 365)
    r = restricted_mean(data.time[~data.group], data.event[~data.group], 365)
    assert diff.difference == pytest.approx(t.rmst - r.rmst, rel=1e-12)
    assert diff.se == pytest.approx(np.sqrt(t.se**2 + r.se**2), rel=1e-12)
    assert diff.lower == pytest.approx(diff.difference - 1.959963984540054 * diff.se, rel=1e-12)


def test_nonpositive_tau_is_refused():
    with pytest.raises(AnalysisError, match="tau"):
        restricted_mean([1, 2], [1, 0], tau=0)
