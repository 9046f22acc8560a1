"""RMST against R print(survfit(...), rmean = tau) (fixtures from tests/reference/survival_reference.R)."""

import numpy as np
import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.rmst import restricted_mean, rmst_difference, rmst_influence

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


# ---- pair-clustered SE of the difference (matched cohorts) ----------------------------------
# retinopathy: 197 patients, one eye treated and one not (cluster cl = patient): a paired cohort.

def _retinopathy():
    return load("retinopathy")[1]


def _difference(rows, tau=48):
    t, r = rows[rows.group], rows[~rows.group]
    return restricted_mean(t.time, t.event, tau).rmst - restricted_mean(r.time, r.event, tau).rmst


@pytest.mark.parametrize("arm", ["treated", "reference"])
def test_influence_without_clusters_is_survmean_variance(arm):
    """sum(U_i^2) = se(rmean)^2 of survival:::survmean(survfit(...), rmean = 48) (R fixture)."""
    fixture, data = load("retinopathy")
    ref = next(k for k in fixture["km"] if k["arm"] == arm and k["weights"] is None
               and k["conf_type"] == "log")
    rows = arm_rows(data, arm)
    u = rmst_influence(rows.time, rows.event, ref["tau"])
    assert np.sqrt(np.sum(u ** 2)) == pytest.approx(ref["se_rmean"], rel=1e-9)


def test_influence_is_the_derivative_in_the_weight():
    """U_i = w_i dRMST/dw_i: against a finite difference of the weighted RMST (w_frac)."""
    rows = _retinopathy()
    rows = rows[rows.group]
    w = rows.w_frac.to_numpy()
    u = rmst_influence(rows.time, rows.event, 48, w)
    base = restricted_mean(rows.time, rows.event, 48, w).rmst
    for i in (0, 40, 90):
        bumped = w.copy()
        bumped[i] += 1e-6
        slope = (restricted_mean(rows.time, rows.event, 48, bumped).rmst - base) / 1e-6
        assert u[i] == pytest.approx(w[i] * slope, rel=1e-4, abs=1e-9)


def test_pair_clustered_se_equals_leave_one_pair_out_jackknife():
    """The jackknife over pairs, sqrt((C-1)/C sum (D_(-c) - mean)^2), computed directly from
    the RMSTs (1.48299), agrees with the influence-function SE (1.47887) to 0.3%."""
    rows = _retinopathy()
    pairs = rows.cl.unique()
    loo = np.array([_difference(rows[rows.cl != c]) for c in pairs])
    jackknife = np.sqrt((len(pairs) - 1) / len(pairs) * np.sum((loo - loo.mean()) ** 2))
    result = rmst_difference(rows.time, rows.event, rows.group, 48, clusters=rows.cl)
    assert result.se_method == "pair-clustered"
    assert result.se == pytest.approx(jackknife, rel=0.01)


def test_pair_bootstrap_agrees_with_pair_clustered_not_independent_se():
    """2000 resamples of whole pairs (seed 20263): the bootstrap SD lies within 4 Monte Carlo
    SDs (SE / sqrt(2B)) of the pair-clustered SE; the independent-arms SE (1.72) does not."""
    rows = _retinopathy()
    by_pair = [g.index.to_numpy() for _, g in rows.groupby("cl")]
    rng = np.random.default_rng(20263)
    draws = [_difference(rows.loc[np.concatenate([by_pair[k] for k in
                                                  rng.integers(len(by_pair), size=len(by_pair))])])
             for _ in range(2000)]
    boot = np.std(draws, ddof=1)
    paired = rmst_difference(rows.time, rows.event, rows.group, 48, clusters=rows.cl).se
    independent = rmst_difference(rows.time, rows.event, rows.group, 48).se
    mc_sd = paired / np.sqrt(2 * 2000)
    assert abs(boot - paired) < 4 * mc_sd
    assert abs(boot - independent) > 4 * mc_sd


def test_pair_clustered_difference_and_arms_unchanged():
    """Clusters change only the SE of the difference (and its interval and p)."""
    rows = _retinopathy()
    a = rmst_difference(rows.time, rows.event, rows.group, 48)
    b = rmst_difference(rows.time, rows.event, rows.group, 48, clusters=rows.cl)
    assert (a.difference, a.treated, a.reference) == (b.difference, b.treated, b.reference)
    assert a.se_method == "independent"
    assert b.lower == pytest.approx(b.difference - 1.959963984540054 * b.se, rel=1e-12)


def test_clusters_of_wrong_length_are_refused():
    with pytest.raises(AnalysisError, match="clusters has 1 values"):
        rmst_difference([1, 2], [1, 1], [True, False], tau=2, clusters=[1])
