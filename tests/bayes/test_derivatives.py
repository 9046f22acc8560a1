"""The calibration's scores and Hessians (bayeshcc.bayes.families.derivatives): a family's
hand-derived ones equal the automatic derivatives of its own log-likelihood graph, and a family
without hand-derived ones is calibrated with the automatic ones."""

import numpy as np
import pytest

from bayeshcc.bayes.families import FAMILIES, derivatives, get_family
from bayeshcc.bayes.families.base import AnalyticDerivatives, Family

CUTS = np.array([0.4, 0.9, 1.6])          # scaled, for families with intervals
ANALYTIC = [name for name, family in FAMILIES.items()
            if isinstance(family, AnalyticDerivatives)]


def _cohort(seed: int, n: int = 60, k: int = 2):
    rng = np.random.default_rng(seed)
    t = rng.exponential(size=n) + 0.01
    d = (rng.random(n) < 0.7).astype(float)
    trt = (rng.random(n) < 0.5).astype(float)
    return rng, t, d, trt, rng.normal(size=(n, k))


def _theta(family, rng, k: int = 2):
    return rng.normal(0, 0.4, len(derivatives.parameter_names(family, k, CUTS.size + 1)))


def _cuts(family):
    """CUTS for a family with intervals, None for one without."""
    return family.cutpoints(CUTS, None, CUTS.size + 1)


def _relative(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_the_weibull_and_piecewise_families_have_hand_derived_derivatives():
    assert ANALYTIC == ["weibull", "piecewise"]
    stripped = derivatives.without_analytic_derivatives(get_family("weibull"))
    assert isinstance(stripped, Family) and not isinstance(stripped, AnalyticDerivatives)


@pytest.mark.parametrize("name", ANALYTIC)
@pytest.mark.parametrize("seed, k", [(1, 2), (2, 2), (3, 0)])
def test_hand_derived_scores_and_hessian_equal_the_automatic_ones(name, seed, k):
    """At random theta and weights, with and without covariates: agreement to 1e-10 relative
    (measured: about 1e-15)."""
    family = get_family(name)
    rng, t, d, trt, X = _cohort(seed, k=k)
    theta, w, cuts = _theta(family, rng, k), rng.uniform(0, 2, t.size), _cuts(family)
    scores, neg_h = family.scores_and_hessian(theta, t, d, trt, X, cuts, w)
    auto_scores, auto_neg_h = derivatives.autodiff_scores_and_hessian(family, theta, t, d, trt,
                                                                      X, cuts, w)
    assert _relative(auto_scores, scores) < 1e-10
    assert _relative(auto_neg_h, neg_h) < 1e-10


@pytest.mark.parametrize("name", ANALYTIC)
@pytest.mark.parametrize("k", [2, 0])
def test_hand_derived_batched_sums_equal_the_automatic_ones(name, k):
    family = get_family(name)
    rng, t, d, trt, X = _cohort(4, k=k)
    cuts = _cuts(family)
    thetas = _theta(family, rng, k) + rng.normal(0, 0.1, (5, len(_theta(family, rng, k))))
    W = rng.uniform(0, 2, (5, t.size))
    W[:, 3] = 0.0                                          # a left-out patient
    grad, neg = family.batched_sums(thetas, W, t, d, trt, X, cuts)
    auto_grad, auto_neg = derivatives.autodiff_batched_sums(family, thetas, W, t, d, trt, X, cuts)
    assert _relative(auto_grad, grad) < 1e-10
    assert _relative(auto_neg, neg) < 1e-10


@pytest.mark.parametrize("name", list(FAMILIES))
def test_automatic_scores_are_the_numerical_derivatives_of_the_numpy_likelihood(name):
    """Every family: the automatic derivatives of its likelihood graph (with
    symbolic_parameters) are those of its NumPy hazards (central differences, step 1e-6), so
    the graph's parameters are theta's; a family without hand-derived scores relies on this."""
    family = get_family(name)
    rng, t, d, trt, X = _cohort(5)
    theta, w, cuts = _theta(family, rng), rng.uniform(0.5, 2, t.size), _cuts(family)
    scores, neg_h = derivatives.autodiff_scores_and_hessian(family, theta, t, d, trt, X, cuts, w)
    eps = 1e-6
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = eps
        up = derivatives.loglik_terms(family, theta + step, t, d, trt, X, cuts)
        down = derivatives.loglik_terms(family, theta - step, t, d, trt, X, cuts)
        np.testing.assert_allclose(scores[:, j], (up - down) / (2 * eps), atol=1e-6)
        up_s, _ = derivatives.autodiff_scores_and_hessian(family, theta + step, t, d, trt, X,
                                                          cuts)
        down_s, _ = derivatives.autodiff_scores_and_hessian(family, theta - step, t, d, trt, X,
                                                            cuts)
        np.testing.assert_allclose(neg_h[:, j], -w @ (up_s - down_s) / (2 * eps), atol=1e-6)


@pytest.mark.parametrize("name", ANALYTIC)
def test_a_family_without_hand_derived_derivatives_is_served_the_automatic_ones(name):
    family = get_family(name)
    stripped = derivatives.without_analytic_derivatives(family)
    rng, t, d, trt, X = _cohort(6)
    theta, cuts = _theta(family, rng), _cuts(family)
    W = rng.uniform(0, 2, (2, t.size))
    for mine, theirs in zip(derivatives.batched_sums(stripped, theta[None] + 0 * W[:, :1], W, t,
                                                     d, trt, X, cuts),
                            family.batched_sums(theta[None] + 0 * W[:, :1], W, t, d, trt, X,
                                                cuts)):
        assert _relative(mine, theirs) < 1e-10


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_the_jackknife_of_a_family_without_hand_derived_derivatives_is_the_same(model,
                                                                               monkeypatch):
    """The whole leave-one-out jackknife (ATE, PS refitted per leave-out, N = 300) with the
    automatic derivatives equals the one with the hand-derived ones to 1e-9 relative."""
    from bayeshcc.bayes import calibration
    from bayeshcc.bayes.families import FAMILIES as registry
    from tests.bayes.test_calibration import _ate_without_sampling

    fit, design, theta_hat = _ate_without_sampling(model)
    analytic = calibration.jackknife_covariance(fit, design, theta_hat)
    monkeypatch.setitem(registry, model, derivatives.without_analytic_derivatives(registry[model]))
    automatic = calibration.jackknife_covariance(fit, design, theta_hat)
    np.testing.assert_allclose(automatic, analytic, rtol=1e-9,
                               atol=1e-9 * np.abs(analytic).max())
