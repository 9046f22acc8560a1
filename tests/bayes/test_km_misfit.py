"""The KM-misfit statistic of ``model_fit.csv`` (issue #26): the largest gap between a model's
survival curve and the Kaplan-Meier curve, in Greenwood standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeshcc.bayes.km_misfit import (COLUMNS, THRESHOLD, greenwood_se, km_misfit_table,
                                      max_standardised_gap)
from bayeshcc.frequentist.km import kaplan_meier


def _km(seed: int = 1, n: int = 200, rate: float = 1.0):
    """One arm's KM curve of exponential times with uniform censoring, as ``km_curves``."""
    rng = np.random.default_rng(seed)
    t, c = rng.exponential(1 / rate, n), rng.uniform(0, 3, n)
    curve = kaplan_meier(np.minimum(t, c), (t <= c).astype(float))
    return pd.DataFrame({"time": curve.time, "n_risk": curve.n_risk, "n_event": curve.n_event,
                         "survival": curve.survival})


def test_greenwood_se_is_the_kaplan_meier_estimators():
    rng = np.random.default_rng(4)
    t, e = rng.exponential(size=60), (rng.uniform(size=60) < 0.7).astype(float)
    curve = kaplan_meier(t, e)
    se = greenwood_se(curve.n_risk, curve.n_event)
    alive = curve.survival > 0
    np.testing.assert_allclose(se[alive], curve.survival[alive] * curve.std_err[alive], rtol=1e-12)
    assert se[~alive].tolist() == [0.0] * int((~alive).sum())


def test_a_model_equal_to_the_kaplan_meier_curve_has_no_gap():
    km = _km()
    statistic, _ = max_standardised_gap(km, km["time"], km["survival"])
    assert statistic == pytest.approx(0.0, abs=1e-12)


def test_a_clearly_wrong_model_has_a_large_gap_where_the_curves_part():
    km = _km(rate=1.0)
    grid = np.linspace(0, 3, 301)
    right, _ = max_standardised_gap(km, grid, np.exp(-grid))
    wrong, at = max_standardised_gap(km, grid, np.exp(-3 * grid))      # three times the hazard
    assert right < THRESHOLD < wrong and wrong > 5 * right
    assert at in set(km.loc[km["n_event"] > 0, "time"])                # at an event time


def test_event_times_with_a_zero_se_are_skipped():
    # the last patient at risk dies: S = 0 and SE = 0 there; no division by zero
    km = pd.DataFrame({"time": [1.0, 2.0, 3.0], "n_risk": [3, 2, 1], "n_event": [1, 1, 1],
                       "survival": [2 / 3, 1 / 3, 0.0]})
    statistic, at = max_standardised_gap(km, [0.0, 4.0], [1.0, 0.2])
    assert np.isfinite(statistic) and at in (1.0, 2.0)


def _tables():
    """A ``marginal_survival`` with unadjusted Weibull (true) and 'wrong' fits and an adjusted
    fit, and the ``km_curves`` of their arms (the unadjusted cohort and a matched one)."""
    grid = np.linspace(0, 3, 301)
    curves, km = [], []
    for arm, rate, seed in (("A", 1.0, 1), ("B", 0.5, 2)):
        for model, factor in (("weibull", 1.0), ("wrong", 3.0)):
            for adjustment in ("none", "ate"):
                curves.append(pd.DataFrame({"arm": arm, "time": grid,
                                            "survival": np.exp(-rate * factor * grid),
                                            "outcome": "os", "model": model, "prior": "vague",
                                            "adjustment": adjustment}))
        for cohort in ("unadjusted", "matched"):
            km.append(_km(seed, rate=rate).assign(cohort=cohort, outcome="os", arm=arm))
    return pd.concat(curves, ignore_index=True), pd.concat(km, ignore_index=True)


def test_the_table_has_one_row_per_unadjusted_fit_and_arm():
    curves, km = _tables()
    table = km_misfit_table(curves, km)
    assert list(table.columns) == COLUMNS
    assert sorted(zip(table["model"], table["arm"])) == [("weibull", "A"), ("weibull", "B"),
                                                         ("wrong", "A"), ("wrong", "B")]
    flagged = dict(zip(zip(table["model"], table["arm"]), table["misfit"]))
    assert flagged == {("weibull", "A"): False, ("weibull", "B"): False,
                       ("wrong", "A"): True, ("wrong", "B"): True}


def test_without_kaplan_meier_curves_the_table_is_empty_with_its_columns():
    curves, _ = _tables()
    table = km_misfit_table(curves, None)
    assert table.empty and list(table.columns) == COLUMNS
