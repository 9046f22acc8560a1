"""Cox models against R coxph (fixtures from tests/reference/survival_reference.R)."""

import numpy as np
import pandas as pd
import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.cox import fit_cox
from bayeshcc.frequentist.logrank import weighted_logrank_test

from .fixtures import DATASETS, assert_r_equal, load

CASES = [(ds, i) for ds in DATASETS for i in range(len(load(ds)[0]["cox"]))]


def fit_like_r(dataset, index):
    """The Python call matching one fixture model."""
    fixture, data = load(dataset)
    ref = dict(fixture["cox"][index])
    ref["terms"] = [str(t) for t in np.atleast_1d(ref["terms"])]  # R's auto_unbox of one term
    fit = fit_cox(data.time.to_numpy(), data.event.to_numpy(), data[ref["terms"]].astype(float),
                  weights=None if ref["weights"] is None else data[ref["weights"]].to_numpy(),
                  cluster=data.cl.to_numpy() if ref["cluster"] else None,
                  robust=ref["robust"] and not ref["cluster"], ties=ref["ties"])
    return fit, ref, data


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_coefficients_and_se_equal_coxph(dataset, index):
    """coxph(Surv(time, event) ~ terms, ties=, weights=, robust=/cluster=): coef, se,
    naive se, robust se, z, p, exp(confint)."""
    fit, ref, _ = fit_like_r(dataset, index)
    t = fit.table
    assert list(t.term) == ref["terms"]
    assert_r_equal(t.coef, ref["coef"])
    assert_r_equal(t.se, ref["se"])
    assert_r_equal(t.naive_se, ref["naive_se"])
    assert_r_equal(t.robust_se, ref["robust_se"])
    assert_r_equal(t.z, ref["z"])
    assert_r_equal(t.p, ref["p"])
    assert_r_equal(t.hr_lower, ref["hr_lower"])
    assert_r_equal(t.hr_upper, ref["hr_upper"])


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_loglik_and_global_tests_equal_coxph(dataset, index):
    """fit$loglik, summary(fit)$logtest / $sctest / $robscore, fit$wald.test; n, nevent, iter."""
    fit, ref, _ = fit_like_r(dataset, index)
    assert_r_equal(fit.loglik, ref["loglik"])
    assert_r_equal([fit.lr_test.chisq, fit.lr_test.df, fit.lr_test.p], ref["lr"])
    assert_r_equal([fit.wald_test.chisq, fit.wald_test.df, fit.wald_test.p], ref["wald"])
    assert_r_equal([fit.score_test.chisq, fit.score_test.df, fit.score_test.p], ref["score"])
    if ref.get("robust_score") is not None:
        rs = fit.robust_score_test
        assert_r_equal([rs.chisq, rs.df, rs.p], ref["robust_score"])
    assert (fit.n, fit.n_events, fit.iterations) == (ref["n"], ref["n_events"], ref["iter"])


@pytest.mark.parametrize("wname", ["w_int", "w_frac"])
def test_weighted_logrank_equals_coxph_robust_score(wname):
    """summary(coxph(Surv(time, event) ~ group, weights = w, robust = TRUE))$robscore (veteran)."""
    fixture, data = load("veteran")
    ref = next(m for m in fixture["cox"] if m["name"] == f"univariable {wname}")
    result = weighted_logrank_test(data.time, data.event, data.group, data[wname])
    assert_r_equal([result.chisq, result.p], [ref["robust_score"][0], ref["robust_score"][2]])


@pytest.mark.parametrize(("name", "wname"), [("univariable cluster", None),
                                             ("univariable cluster w_frac", "w_frac")])
def test_clustered_logrank_equals_coxph_cluster_robust_score(name, wname):
    """summary(coxph(Surv(time, event) ~ group, weights = w, cluster = cl))$robscore (retinopathy)."""
    fixture, data = load("retinopathy")
    ref = next(m for m in fixture["cox"] if m["name"] == name)
    w = np.ones(len(data)) if wname is None else data[wname]
    result = weighted_logrank_test(data.time, data.event, data.group, w, cluster=data.cl)
    assert_r_equal([result.chisq, result.p], [ref["robust_score"][0], ref["robust_score"][2]])


def test_all_ones_weights_equal_unweighted_coefficients():
    _, data = load("lung")
    X = data[["group", "age", "ph_ecog"]].astype(float)
    plain = fit_cox(data.time, data.event, X)
    ones = fit_cox(data.time, data.event, X, weights=np.ones(len(data)))
    np.testing.assert_allclose(ones.coef, plain.coef, rtol=1e-10)
    np.testing.assert_allclose(ones.table.naive_se, plain.table.naive_se, rtol=1e-10)


def test_integer_weights_equal_duplicated_rows():
    """Statsmodels' test_weights2 idea: weight 3 = the row three times (coef and naive SE).

    Holds for Breslow ties only: duplicating rows creates new ties, which Efron (here as in
    R coxph) handles differently from one weighted death."""
    _, data = load("veteran")
    X = data[["group", "karno"]].astype(float)
    weighted = fit_cox(data.time, data.event, X, weights=data.w_int, ties="breslow")
    rep = data.loc[data.index.repeat(data.w_int.astype(int))]
    dup = fit_cox(rep.time, rep.event, rep[["group", "karno"]].astype(float), ties="breslow")
    np.testing.assert_allclose(weighted.coef, dup.coef, rtol=1e-8)
    np.testing.assert_allclose(weighted.table.naive_se, dup.table.naive_se, rtol=1e-8)


def test_no_events_is_refused():
    with pytest.raises(AnalysisError, match="no events"):
        fit_cox([1, 2, 3], [0, 0, 0], pd.DataFrame({"treatment": [0.0, 1.0, 1.0]}))


def test_constant_column_is_named():
    X = pd.DataFrame({"treatment": [0.0, 1.0, 0.0, 1.0], "age": [60.0] * 4})
    with pytest.raises(AnalysisError, match="'age' has one value"):
        fit_cox([1, 2, 3, 4], [1, 1, 0, 1], X)


def test_monotone_likelihood_names_the_term():
    """No treated patient has an event, so the treatment coefficient drifts to -inf
    (R coxph warns "Loglik converged before variable 1; coefficient may be infinite")."""
    time = np.arange(1.0, 13.0)
    treated = np.tile([0.0, 1.0], 6)
    event = 1 - treated
    X = pd.DataFrame({"treatment": treated, "age": [61.0, 55, 70, 48, 66, 59, 52, 73, 64, 57, 69, 50]})
    with pytest.raises(AnalysisError, match="treatment"):
        fit_cox(time, event, X)
