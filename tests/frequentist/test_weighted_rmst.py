"""Propensity-weighted Kaplan-Meier RMSTs, medians and their SEs (issue 23).

Point estimates against R (tests/reference/weighted_rmst_reference.R, R 4.2.2, survival 3.5.3:
glm PS, survfit(weights = w), survmean, survfit(influence = TRUE)); the SE that accounts for
the estimated PS against a 2,000-replicate bootstrap that refits the PS
(tests/reference/weighted_rmst_bootstrap.py). Datasets: survival::gbsg (686 patients, hormon)
and survival::colon deaths, Lev+5FU vs observation (594 complete cases); tau = 1825 days.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.frequentist.km import kaplan_meier, median_survival, survival_at
from bayeshcc.frequentist.propensity_influence import PropensityDesign, weight_jacobian
from bayeshcc.frequentist.rmst import restricted_mean, rmst_difference, rmst_influence

from .fixtures import REFERENCE, assert_r_equal

def read_dataset(csv) -> pd.DataFrame:
    """As tests/reference/weighted_rmst_bootstrap.py: paper_os joins its PS design csv."""
    if isinstance(csv, str):
        return pd.read_csv(REFERENCE / "data" / csv)
    design, outcome = (pd.read_csv(REFERENCE / "data" / c) for c in csv)
    return pd.concat([outcome, design.drop(columns=["id", "treat"])], axis=1)


R = json.loads((REFERENCE / "fixtures" / "weighted_rmst.json").read_text())
BOOT = json.loads((REFERENCE / "fixtures" / "weighted_rmst_bootstrap.json").read_text())
DATASETS = ("gbsg", "colon_death")     # the public datasets; paper_os is the bundled cohort
PS_SE = ("influence", "jackknife")
ESTIMANDS = ("ate", "att", "overlap")
CASES = [(d, e) for d in DATASETS for e in ESTIMANDS]


def _cohort(dataset, estimand):
    ref = R[dataset]
    d = read_dataset(ref["csv"])
    X = d[ref["covariates"]].astype(float)
    treated = d["group"].to_numpy(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        w = np.asarray(propensity_weights(ps.score, treated, estimand).weights)
    design = PropensityDesign.build(estimand, ps.score, X, treated, w)
    return d.time.to_numpy(float), d.event.to_numpy(float), treated, w, design, ps, ref


def _difference(dataset, estimand, scale=1.0, ps_se="auto"):
    time, event, treated, w, design, _, ref = _cohort(dataset, estimand)
    design = PropensityDesign(design.estimand, design.score, design.X, design.treated,
                              scale * design.weights)
    return rmst_difference(time, event, treated, ref["tau"], weights=scale * w,
                           propensity=design, ps_se=ps_se)


@pytest.mark.parametrize("dataset", DATASETS)
def test_ps_coefficients_equal_glm(dataset):
    """glm(group ~ covariates, family = binomial) coefficients."""
    *_, ps, ref = _cohort(dataset, "ate")
    assert_r_equal(ps.coefficients["coef"], ref["ps_coef"])


@pytest.mark.parametrize(("dataset", "estimand"), CASES)
def test_weighted_rmst_per_arm_and_difference_equal_survmean(dataset, estimand):
    """survmean(survfit(Surv(time, event) ~ 1, weights = w), rmean = 1825)'s rmean per arm,
    and their difference; the weights equal R's formula weights."""
    time, event, treated, w, _, _, ref = _cohort(dataset, estimand)
    r = ref["estimands"][estimand]
    assert_r_equal(w, r["weights"])
    result = rmst_difference(time, event, treated, ref["tau"], weights=w)
    assert_r_equal([result.treated.rmst, result.reference.rmst, result.difference],
                   [r["treated"]["rmean"], r["reference"]["rmean"], r["difference"]])


@pytest.mark.parametrize(("dataset", "estimand"), CASES)
def test_fixed_weight_influence_equals_survfit_robust(dataset, estimand):
    """sqrt(sum U_i^2), U_i = w_i dRMST/dw_i, equals R's survfit(..., weights = w,
    influence = TRUE)$influence.surv integrated to tau, per arm."""
    time, event, treated, w, _, _, ref = _cohort(dataset, estimand)
    r = ref["estimands"][estimand]
    for g, arm in ((treated, "treated"), (~treated, "reference")):
        u = rmst_influence(time[g], event[g], ref["tau"], w[g])
        assert np.sqrt(np.sum(u ** 2)) == pytest.approx(r[arm]["se_rmean_ij"], rel=1e-8)


@pytest.mark.parametrize(("dataset", "estimand"), CASES)
def test_weighted_median_and_landmarks_equal_survfit_robust(dataset, estimand):
    """quantile(fit, 0.5) and summary(fit, times = c(365, 730, 1825)) of the robust weighted
    survfit (influence = TRUE makes R robust even for the ATT treated arm's unit weights)."""
    time, event, treated, w, _, _, ref = _cohort(dataset, estimand)
    r = ref["estimands"][estimand]
    for g, arm in ((treated, "treated"), (~treated, "reference")):
        curve = kaplan_meier(time[g], event[g], w[g], robust=True)
        m, q = median_survival(curve), r[arm]["median"]
        assert_r_equal([m.median, m.lower, m.upper], [q["quantile"], q["lower"], q["upper"]])
        at = survival_at(curve, r[arm]["landmarks"]["times"])
        assert_r_equal([at.survival, at.lower, at.upper],
                       [r[arm]["landmarks"][k] for k in ("surv", "lower", "upper")])


@pytest.mark.parametrize("ps_se", PS_SE)
@pytest.mark.parametrize(("dataset", "estimand"), CASES)
def test_difference_se_within_15_percent_of_ps_refitting_bootstrap(dataset, estimand, ps_se):
    """Both SEs that account for the estimated PS against the SD of 2,000 bootstrap replicates
    that refit the PS (fixture). ATE: gbsg influence 49.7, jackknife 51.2, bootstrap 50.1
    days; colon influence 44.5, jackknife 45.9, bootstrap 45.8."""
    result = _difference(dataset, estimand, ps_se=ps_se)
    boot = BOOT[dataset][estimand]["se_difference"]
    assert result.se == pytest.approx(boot, rel=0.15)


@pytest.mark.parametrize("ps_se", PS_SE)
@pytest.mark.parametrize(("dataset", "estimand"), CASES)
def test_per_arm_se_within_15_percent_of_ps_refitting_bootstrap(dataset, estimand, ps_se):
    result = _difference(dataset, estimand, ps_se=ps_se)
    assert result.treated.se == pytest.approx(BOOT[dataset][estimand]["se_treated"], rel=0.15)
    assert result.reference.se == pytest.approx(BOOT[dataset][estimand]["se_reference"], rel=0.15)


def test_auto_uses_the_jackknife_up_to_2000_patients():
    assert _difference("gbsg", "ate").se_method == "jackknife (PS refitted)"
    assert _difference("gbsg", "ate", ps_se="influence").se_method == "influence (estimated PS)"


def test_bundled_cohort_influence_is_narrower_than_the_jackknife():
    """paper_os (126 patients, largest ATE weight 23), ATE OS RMST difference to 12 months,
    against the PS-refitting bootstrap (0.888 months, fixture): the influence function gives
    0.778 (12 % below, too narrow), the jackknife 0.985 (11 % above, conservative), as the
    Bayesian calibration's delta method and jackknife (docs/validation.md)."""
    boot = BOOT["paper_os"]["ate"]["se_difference"]
    influence = _difference("paper_os", "ate", ps_se="influence").se
    jackknife = _difference("paper_os", "ate").se
    assert influence == pytest.approx(0.877 * boot, rel=0.01)
    assert jackknife == pytest.approx(1.110 * boot, rel=0.01)


def test_paper_os_point_estimates_equal_survmean():
    """The bundled cohort's ATE RMSTs equal R's survmean (weighted_rmst.json)."""
    time, event, treated, w, _, _, ref = _cohort("paper_os", "ate")
    r = ref["estimands"]["ate"]
    result = rmst_difference(time, event, treated, ref["tau"], weights=w)
    assert_r_equal([result.treated.rmst, result.reference.rmst],
                   [r["treated"]["rmean"], r["reference"]["rmean"]])


def test_leave_one_out_weights_equal_a_full_refit():
    """Row i of leave_one_out_weights is the weights of fit_propensity without patient i
    (Newton to convergence from the full fit), for a few i (colon ATE)."""
    from bayeshcc.frequentist.propensity_influence import leave_one_out_weights
    time, event, treated, w, design, _, ref = _cohort("colon_death", "ate")
    W = leave_one_out_weights(design)
    for i in (0, 17, 300):
        rest = np.delete(np.arange(time.size), i)
        ps = fit_propensity(pd.DataFrame(design.X[rest, 1:]), treated[rest])
        expected = propensity_weights(ps.score, treated[rest], "ate").weights
        np.testing.assert_allclose(W[i, rest], expected, rtol=1e-9)
        assert W[i, i] == 0.0


def test_restricted_means_rows_equal_restricted_mean():
    from bayeshcc.frequentist.rmst import restricted_means
    time, event, treated, w, *_, ref = _cohort("gbsg", "att")
    rows = np.vstack([w, 0.5 * w, np.where(np.arange(w.size) % 3 == 0, 0.0, w)])
    expected = [restricted_mean(time, event, ref["tau"], r).rmst for r in rows]
    np.testing.assert_allclose(restricted_means(time, event, ref["tau"], rows), expected,
                               rtol=1e-12)


@pytest.mark.parametrize(("dataset", "estimand", "ps_se"),
                         [(d, e, "influence") for d, e in CASES]
                         + [(d, "ate", "jackknife") for d in DATASETS])
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_se_unchanged_when_weights_are_multiplied_by_a_constant(dataset, estimand, scale, ps_se):
    base = _difference(dataset, estimand, ps_se=ps_se)
    scaled = _difference(dataset, estimand, scale, ps_se=ps_se)
    np.testing.assert_allclose(
        [scaled.difference, scaled.se, scaled.treated.se, scaled.reference.se],
        [base.difference, base.se, base.treated.se, base.reference.se], rtol=1e-10)


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_weights_held_fixed_se_unchanged_by_scale(scale):
    """Weights without a PS design (se_method "robust") are scale-invariant too."""
    time, event, treated, w, *_ , ref = _cohort("gbsg", "ate")
    base = rmst_difference(time, event, treated, ref["tau"], weights=w)
    scaled = rmst_difference(time, event, treated, ref["tau"], weights=scale * w)
    assert base.se_method == "robust"
    assert scaled.se == pytest.approx(base.se, rel=1e-10)
    assert base.se == pytest.approx(ref["estimands"]["ate"]["difference_se_ij"], rel=1e-8)


def test_survmean_se_on_weighted_counts_is_what_shrank():
    """The defect fixed: survmean's Greenwood-type SE on weighted counts (R's print(fit,
    rmean =) with weights) scales as 1/sqrt(c); on gbsg ATE it is 33.5 days (R: sqrt(se_t^2 +
    se_r^2) of the fixture) where the PS-refitting bootstrap gives 50.1."""
    time, event, treated, w, *_, ref = _cohort("gbsg", "ate")
    r = ref["estimands"]["ate"]
    old = np.hypot(r["treated"]["se_rmean_survmean"], r["reference"]["se_rmean_survmean"])
    assert old == pytest.approx(33.549, abs=1e-3)
    halved = restricted_mean(time[treated], event[treated], ref["tau"], 0.5 * w[treated]).se
    full = restricted_mean(time[treated], event[treated], ref["tau"], w[treated]).se
    assert halved == pytest.approx(full * np.sqrt(2), rel=1e-3)


def test_ps_term_is_the_derivative_in_the_ps_coefficients():
    """D = d(difference)/d(gamma) = sum_i d(difference)/dw_i dw_i/dgamma: against a central
    finite difference of the weights recomputed from gamma +- h (gbsg ATE, each coefficient)."""
    from scipy.special import expit

    from bayeshcc.frequentist.rmst import _signed_derivative
    time, event, treated, w, design, ps, ref = _cohort("gbsg", "ate")
    tau = ref["tau"]
    gamma = ps.coefficients["coef"].to_numpy()
    analytic = _signed_derivative(time, event, treated, tau, w) @ weight_jacobian(design)

    def diff_at(g):
        e = expit(design.X @ g)
        ww = np.where(treated, 1 / e, 1 / (1 - e))
        return rmst_difference(time, event, treated, tau, weights=ww).difference

    for j in range(len(gamma)):
        h = 1e-6 * max(1.0, abs(gamma[j])) / max(1.0, np.abs(design.X[:, j]).max())
        step = np.zeros_like(gamma)
        step[j] = h
        numeric = (diff_at(gamma + step) - diff_at(gamma - step)) / (2 * h)
        assert analytic[j] == pytest.approx(numeric, rel=1e-4, abs=1e-6 * abs(analytic).max())


def test_unit_weights_keep_survmean_se():
    """Unit weights are no weights: se_method "independent", R's survmean SEs."""
    time, event, treated, *_ , ref = _cohort("gbsg", "ate")
    a = rmst_difference(time, event, treated, ref["tau"])
    b = rmst_difference(time, event, treated, ref["tau"], weights=np.ones(time.size))
    assert (a.se_method, b.se_method) == ("independent", "independent")
    assert a.se == b.se


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_weighted_km_bands_unchanged_when_weights_are_multiplied(scale):
    """robust=True (the tables' choice for weighted cohorts): the median CI and landmark limits
    do not move when the weights are scaled (gbsg ATE, reference arm)."""
    time, event, treated, w, *_ = _cohort("gbsg", "ate")
    g = ~treated
    base = kaplan_meier(time[g], event[g], w[g], robust=True)
    scaled = kaplan_meier(time[g], event[g], scale * w[g], robust=True)
    np.testing.assert_allclose([scaled.lower, scaled.upper], [base.lower, base.upper],
                               rtol=1e-10)
    assert median_survival(scaled) == median_survival(base)


def test_r_default_greenwood_on_integer_weights_is_not_scale_invariant():
    """Why robust=True: with R's default rule, weights 2 (integers) switch to Greenwood on
    weighted counts, which halves the variance of weights 1 (unit weights: Greenwood too)."""
    time, event, treated, *_ = _cohort("gbsg", "ate")
    g = treated
    ones = kaplan_meier(time[g], event[g], np.ones(g.sum()))
    twos = kaplan_meier(time[g], event[g], 2 * np.ones(g.sum()))
    assert not ones.robust and not twos.robust
    np.testing.assert_allclose(twos.std_err, ones.std_err / np.sqrt(2), rtol=1e-12)
    robust = kaplan_meier(time[g], event[g], 2 * np.ones(g.sum()), robust=True)
    np.testing.assert_allclose(robust.std_err,
                               kaplan_meier(time[g], event[g], robust=True).std_err, rtol=1e-10)


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_weighted_logrank_unchanged_when_weights_are_multiplied(scale):
    """The weighted log-rank (robust score test of coxph(weights = w, robust = TRUE)) has no
    scale defect: (sum U_i)^2 / sum U_i^2 with U_i proportional to w_i."""
    from bayeshcc.frequentist.logrank import weighted_logrank_test
    time, event, treated, w, *_ = _cohort("gbsg", "ate")
    base = weighted_logrank_test(time, event, treated, w)
    scaled = weighted_logrank_test(time, event, treated, scale * w)
    assert scaled.chisq == pytest.approx(base.chisq, rel=1e-10)
