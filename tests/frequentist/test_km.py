"""Kaplan–Meier curves against R survfit (fixtures from tests/reference/survival_reference.R)."""

import numpy as np
import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.km import kaplan_meier, median_survival, survival_at

from .fixtures import DATASETS, arm_rows, arr, assert_r_equal, load

CASES = [(ds, i) for ds in DATASETS for i in range(len(load(ds)[0]["km"]))]


def _curve(dataset, index):
    fixture, data = load(dataset)
    ref = fixture["km"][index]
    rows = arm_rows(data, ref["arm"])
    weights = None if ref["weights"] is None else rows[ref["weights"]].to_numpy()
    curve = kaplan_meier(rows.time.to_numpy(), rows.event.to_numpy(), weights, ref["conf_type"])
    return curve, ref


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_km_table_equals_survfit(dataset, index):
    """survfit(Surv(time, event) ~ 1, weights=w, conf.type=...): time, n.risk, n.event,
    n.censor, surv, std.err, lower, upper (std.err / surv when R stores it on the S scale)."""
    curve, ref = _curve(dataset, index)
    table = ref["table"]
    assert_r_equal(curve.time, table["time"])
    assert_r_equal(curve.n_risk, table["n_risk"])
    assert_r_equal(curve.n_event, table["n_event"])
    assert_r_equal(curve.n_censor, table["n_censor"])
    assert_r_equal(curve.survival, table["surv"])
    se = arr(table["std_err"])
    if not table["logse"]:
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(se == 0, 0.0, se / arr(table["surv"]))
    assert_r_equal(curve.std_err, se)
    assert_r_equal(curve.lower, table["lower"])
    assert_r_equal(curve.upper, table["upper"])


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_median_equals_quantile_survfit(dataset, index):
    """quantile(fit, 0.5): median and CI; NA (not reached) is NaN."""
    curve, ref = _curve(dataset, index)
    m = median_survival(curve)
    q = ref["median"]
    assert_r_equal([m.median, m.lower, m.upper], [q["quantile"], q["lower"], q["upper"]])


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_landmarks_equal_summary_times(dataset, index):
    """summary(fit, times = landmarks): surv, lower, upper."""
    curve, ref = _curve(dataset, index)
    lm = survival_at(curve, ref["landmarks"]["times"])
    assert_r_equal(lm.survival, ref["landmarks"]["surv"])
    assert_r_equal(lm.lower, ref["landmarks"]["lower"])
    assert_r_equal(lm.upper, ref["landmarks"]["upper"])


def test_median_flat_at_half_takes_midpoint():
    """R: quantile(survfit(Surv(c(1,2,3,4), c(1,1,1,1)) ~ 1), 0.5) is 2.5 (S = 0.5 on [2, 3))."""
    curve = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert median_survival(curve).median == pytest.approx(2.5)


def test_median_flat_at_half_to_the_end_uses_last_time():
    """R: quantile(survfit(Surv(c(1,2,5,6), c(1,1,0,0)) ~ 1), 0.5) is (2 + 6) / 2 = 4
    (print.survfit shows 2 there: it uses the start of the flat part)."""
    curve = kaplan_meier([1, 2, 5, 6], [1, 1, 0, 0])
    assert median_survival(curve).median == pytest.approx(4.0)


def _log_band_median(dataset, arm):
    fixture, data = load(dataset)
    ref = next(k for k in fixture["km"] if k["arm"] == arm and k["weights"] is None
               and k["conf_type"] == "log")
    rows = arm_rows(data, arm)
    return median_survival(kaplan_meier(rows.time, rows.event)), ref["median"]


def test_upper_limit_where_the_band_rises_back_above_half():
    """survival::gbsg, hormon = 0 (440 patients): the upper log band is 0.4992 from 1814 days
    and 0.541 at the end (3 at risk). R quantile(fit, 0.5)$upper and print(fit): 1814."""
    m, ref = _log_band_median("gbsg", "reference")
    assert ref["upper"] == 1814
    assert m.upper == 1814


def test_upper_limit_is_the_smallest_band_value_past_half_as_findq():
    """band_recross, group FALSE: the upper band dips to 0.4596 at 60 and rises to 0.4613 at 75
    without re-crossing 0.5. R's findq takes the smallest 1 - upper >= 0.5 over the whole
    band (approx() on the sorted values): quantile(fit, 0.5)$upper is 75 (print.survfit's
    first crossing would give 60)."""
    m, ref = _log_band_median("band_recross", "reference")
    assert ref["upper"] == 75
    assert m.upper == 75


def test_median_not_reached_is_nan():
    curve = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])
    assert np.isnan(median_survival(curve).median)


def test_landmark_before_first_time_is_one_and_after_last_is_nan():
    curve = kaplan_meier([2, 3, 4], [1, 1, 0])
    lm = survival_at(curve, [1.0, 5.0])
    assert lm.survival[0] == 1.0 and np.isnan(lm.survival[1])


def test_unknown_conf_type_is_refused():
    with pytest.raises(AnalysisError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type="logit")


def test_event_outside_zero_one_is_refused():
    with pytest.raises(AnalysisError, match="event must be 0"):
        kaplan_meier([1, 2], [1, 2])
