"""The sceptical-prior validation (benchmarks/validation_priors.py, docs/validation.md): its
conjugate target, its summary, and one of its cohorts, where the calibrated sceptical posterior
sits on the conjugate target and the uncalibrated (Kish) one does not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.validation_priors import conjugate, run_cohort, summarise


def test_conjugate_target_is_the_precision_weighted_combination():
    # log HR likelihood N(-0.5, 0.1^2), prior N(0, 0.2168^2) (BUILT_IN["skeptical"])
    t = conjugate(-0.5, 0.1, 0.0, 0.2168)
    precision = 1 / 0.1**2 + 1 / 0.2168**2                 # 100 + 21.275
    assert t["sd"] == pytest.approx(precision ** -0.5, rel=1e-12)
    assert t["mean"] == pytest.approx(-0.5 * 100 / precision, rel=1e-12)   # -0.41228
    assert t["upper"] - t["mean"] == pytest.approx(1.959963984540054 * t["sd"], rel=1e-12)


def _rows(method, lower, upper, mean, sd, target=(-0.4, 0.1, -0.596, -0.204)):
    return pd.DataFrame({"scenario": "good_overlap", "adjustment": "ate", "method": method,
                         "cohort": range(len(lower)), "lower": lower, "upper": upper,
                         "est": mean, "mean": mean, "sd": sd, "target_mean": target[0],
                         "target_sd": target[1], "target_lower": target[2],
                         "target_upper": target[3]})


def test_summary_counts_coverage_and_agreement_with_the_conjugate_interval():
    truth = {"good_overlap": {"ate": {"log_hr": -0.45}}}
    # four cohorts: the fitted interval covers -0.45 in three, the target covers it in all four
    rows = _rows("jackknife", [-0.6, -0.6, -0.6, -0.44], [-0.2, -0.2, -0.2, -0.1],
                 [-0.4, -0.4, -0.4, -0.27], [0.1, 0.1, 0.1, 0.1])
    s = summarise(rows, truth).iloc[0]
    assert s["coverage"] == 0.75
    assert s["agreement"] == 0.75
    assert s["mean_error_sd"] == pytest.approx((0 + 0 + 0 + 1.3) / 4)
    assert s["largest_error_sd"] == pytest.approx(1.3)
    assert s["coverage_low"] < 0.75 < s["coverage_high"]       # Clopper-Pearson, 3 of 4


@pytest.fixture(scope="module")
def one_cohort():
    rows = pd.DataFrame(run_cohort("good_overlap", 0, 20261130, n=500))
    return rows.set_index(["adjustment", "method"])


@pytest.mark.parametrize("adjustment", ["ate", "att", "overlap", "matched"])
def test_calibrated_sceptical_posterior_sits_on_the_conjugate_target(one_cohort, adjustment):
    # measured (2026-12-04): within 0.006 target SD, SD ratio 1.000, in every adjustment
    row = one_cohort.loc[(adjustment, "jackknife")]
    assert abs(row["mean"] - row["target_mean"]) / row["target_sd"] < 0.05
    assert row["sd"] / row["target_sd"] == pytest.approx(1.0, abs=0.05)


def test_uncalibrated_sceptical_posterior_misses_the_target_under_att_weights(one_cohort):
    # the Kish pseudo-posterior combines the prior with the wrong likelihood: measured +0.26
    # target SD off and 10 % too wide in this cohort (the calibrated one: 0.003 SD and 1.000)
    row = one_cohort.loc[("att", "kish")]
    assert abs(row["mean"] - row["target_mean"]) / row["target_sd"] > 0.1
    assert not math.isclose(row["sd"], row["target_sd"], rel_tol=0.03)
