"""fit_propensity equals R glm(treat ~ ., family = binomial) (fixtures from the MatchIt 4.7.2 script)."""
import numpy as np
import pandas as pd
import pytest
from adjust_reference import RTOL, load

from bayeshcc.adjust import fit_propensity
from bayeshcc.errors import AnalysisError, AnalysisWarning


def test_reference_datasets_are_present():
    """lalonde (MatchIt), colon and lung (survival) and two tied-logit datasets were exported by
    the R script with MatchIt 4.7.2."""
    for name in ("lalonde", "colon", "colon_all_arms", "lung_female", "ties", "ties_categorical"):
        version = tuple(int(v) for v in load(name).r["matchit_version"].split("."))
        assert version >= (4, 7, 2)


@pytest.mark.parametrize("column", ["coef", "se", "z", "p"])
def test_coefficients_equal_r_glm(ref, column):
    """summary(glm(treat ~ ., family = binomial))$coefficients, column by column."""
    table = ref.fit.coefficients
    assert list(table["term"]) == ["(Intercept)", *ref.X.columns] == ref.r["glm"]["term"]
    np.testing.assert_allclose(table[column], ref.r["glm"][column], rtol=RTOL)


def test_score_and_logit_equal_r(ref):
    """fitted(fit) and fit$linear.predictors; IRLS stops at R's iteration (fit$iter)."""
    np.testing.assert_allclose(ref.fit.score, ref.r["score"], rtol=RTOL)
    np.testing.assert_allclose(ref.fit.logit, ref.r["logit"], rtol=RTOL, atol=1e-12)
    assert ref.fit.iterations == ref.r["glm"]["iter"]


def test_poor_overlap_warns_with_counts():
    """lalonde: 3 treated and 155 control units have PS < 0.05 (counted from R's fitted values)."""
    d = load("lalonde")
    score = np.array(d.r["score"])
    expected = f"< 0.05 for {np.sum(d.treated & (score < 0.05))} treated and {np.sum(~d.treated & (score < 0.05))} reference"
    assert expected == "< 0.05 for 3 treated and 155 reference"
    with pytest.warns(AnalysisWarning, match=expected):
        fit_propensity(d.X, d.treated)


def test_inputs_are_not_mutated():
    d = load("colon")
    X, treated = d.X.copy(), d.treated.copy()
    fit_propensity(X, treated)
    pd.testing.assert_frame_equal(X, d.X)
    np.testing.assert_array_equal(treated, d.treated)


def test_perfect_separation_names_the_covariate():
    """A covariate above 50 only in the treated arm makes the PS 0/1: error naming it."""
    rng = np.random.default_rng(1)
    treated = np.arange(40) < 20
    X = pd.DataFrame({"age": rng.normal(60, 5, 40), "dose": np.where(treated, 60.0, 40.0) + rng.random(40)})
    with pytest.raises(AnalysisError, match="covariate dose .*perfectly separates"):
        fit_propensity(X, treated)


def test_quasi_separation_warns_naming_the_covariate():
    """child_pugh_class[B] = 1 only among treated units: quasi-complete separation."""
    rng = np.random.default_rng(2)
    treated = np.arange(60) < 30
    cp_b = np.where(treated & (np.arange(60) < 5), 1.0, 0.0)
    X = pd.DataFrame({"age": rng.normal(60, 5, 60), "child_pugh_class[B]": cp_b})
    with pytest.warns(AnalysisWarning) as record:
        fit = fit_propensity(X, treated)
    assert any(m.startswith("quasi-complete separation by child_pugh_class[B]") for m in fit.warnings)
    assert {str(w.message) for w in record} == set(fit.warnings)


def test_aliased_covariate_is_an_error():
    d = load("ties")
    X = d.X.assign(x3=d.X["x1"] + d.X["x2"])
    with pytest.raises(AnalysisError, match="'x3' is constant or a linear combination"):
        fit_propensity(X, d.treated)


def test_single_arm_is_an_error():
    d = load("ties")
    with pytest.raises(AnalysisError, match="single arm"):
        fit_propensity(d.X, np.ones(len(d.X), dtype=bool))


def test_separation_by_a_combination_names_a_covariate():
    """Neither a nor b alone separates the arms, a + b > 1 does: AnalysisError (R glm only warns
    "fitted probabilities numerically 0 or 1 occurred")."""
    a = np.array([0.2, 0.9, 0.6, 0.1, 0.5, 0.8, 0.3, 0.7, 0.4, 0.95])
    b = np.array([0.9, 0.3, 0.6, 0.2, 0.3, 0.1, 0.5, 0.1, 0.4, 0.3])
    treated = a + b > 1
    assert not (a[treated].min() > a[~treated].max() or b[treated].min() > b[~treated].max())
    with pytest.raises(AnalysisError, match="together separate the arms completely.*coefficient: '[ab]'"):
        fit_propensity(pd.DataFrame({"a": a, "b": b}), treated)


def _weighted_example(n=120, seed=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.normal(60, 10, n), "stage[II]": rng.integers(0, 2, n).astype(float)})
    treated = rng.random(n) < 1 / (1 + np.exp(-(0.05 * (X["age"] - 60) + 0.5 * X["stage[II]"] - 0.2)))
    return X, treated


def test_unit_sample_weights_equal_the_unweighted_fit_exactly():
    """All-ones prior weights take the same IRLS path as no weights (R glm(weights = rep(1, n)))."""
    X, treated = _weighted_example()
    a, b = fit_propensity(X, treated), fit_propensity(X, treated, sample_weights=np.ones(len(X)))
    np.testing.assert_array_equal(a.coefficients["coef"], b.coefficients["coef"])
    np.testing.assert_array_equal(a.coefficients["se"], b.coefficients["se"])
    assert a.iterations == b.iterations


def test_integer_sample_weights_equal_duplicated_rows():
    """glm(..., weights = k) equals glm on the rows repeated k times (coefficients and SEs), to
    the IRLS stopping rule: the two start from different mu (R: (k y + 1/2) / (k + 1)) and R's
    epsilon = 1e-8 on the relative deviance change leaves ~1e-5 relative in the estimates."""
    X, treated = _weighted_example()
    k = np.random.default_rng(5).integers(1, 4, len(X))
    weighted = fit_propensity(X, treated, sample_weights=k)
    rows = np.repeat(np.arange(len(X)), k)
    duplicated = fit_propensity(X.iloc[rows].reset_index(drop=True), treated[rows])
    for column in ("coef", "se"):
        np.testing.assert_allclose(weighted.coefficients[column], duplicated.coefficients[column],
                                   rtol=1e-4)


def test_fractional_sample_weights_maximise_the_weighted_likelihood():
    """Dirichlet-type weights: the IRLS solution is the maximiser of sum_i a_i log p(t_i | x_i)
    (checked against scipy.optimize.minimize, BFGS, on the same objective)."""
    from scipy import optimize, special

    X, treated = _weighted_example()
    a = len(X) * np.random.default_rng(8).dirichlet(np.ones(len(X)))
    fit = fit_propensity(X, treated, sample_weights=a)
    design = np.column_stack([np.ones(len(X)), X.to_numpy()])
    y = treated.astype(float)

    def negloglik(beta):
        eta = design @ beta
        return -np.sum(a * (y * eta - np.logaddexp(0, eta)))

    def grad(beta):
        return -design.T @ (a * (y - special.expit(design @ beta)))

    best = optimize.minimize(negloglik, np.zeros(3), jac=grad, method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.coefficients["coef"], best.x, rtol=1e-5)


@pytest.mark.parametrize("bad", [np.zeros(120), np.full(120, np.nan), np.ones(119)])
def test_bad_sample_weights_are_rejected(bad):
    X, treated = _weighted_example()
    with pytest.raises(AnalysisError, match="sample_weights must be positive and finite"):
        fit_propensity(X, treated, sample_weights=bad)
