"""Robust mixture priors, prior effective sample size and prior-data conflict, without sampling.

The reference numbers come from independent computations written here: numerical integration
of prior x likelihood on the real line (scipy ``quad``), Gauss-Hermite expectations, and the
formulas of Schmidli et al. (2014, Biometrics 70:1023) and Neuenschwander et al. (2020,
Biometrics 76:578) worked by hand.
"""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from bayeshcc.bayes.borrowing import (conflict_p, discounted, mixture_cdf, mixture_mean_sd,
                                      mixture_posterior_normal, posterior_component_weight,
                                      prior_ess_events)
from bayeshcc.bayes.priors import BUILT_IN, Prior, external_prior, prior_from_mapping, robust_prior
from bayeshcc.errors import SpecError

# Persano et al. OS HR 0.45 (0.24-0.83): SE = (log 0.83 - log 0.24) / 3.92 = 0.31653
PERSANO = dict(hr=0.45, lower=0.24, upper=0.83)
ROBUST = robust_prior(**PERSANO, weight=0.8, vague_sd=2.0)


def _quadrature_posterior(prior: Prior, estimate: float, se: float) -> dict:
    """Posterior summaries by integrating prior density x normal likelihood over the line."""
    lik = lambda x: norm.pdf(estimate, x, se)  # noqa: E731
    dens = lambda x: float(np.exp(prior.logpdf(x))) * lik(x)  # noqa: E731
    w, mu, sd = prior.components()[0]
    inf = lambda x: w * norm.pdf(x, mu, sd) * lik(x)  # noqa: E731
    opts = dict(points=[mu, 0.0, estimate], limit=400, epsabs=1e-14, epsrel=1e-12)

    def quad(f):
        return integrate.quad(f, -30, 30, **opts)[0]

    z = quad(dens)
    mean = quad(lambda x: x * dens(x)) / z
    var = quad(lambda x: (x - mean) ** 2 * dens(x)) / z
    below = integrate.quad(dens, -30, 0, points=[mu], limit=400, epsabs=1e-14)[0] / z
    return {"mean": mean, "sd": math.sqrt(var), "prob_below_0": below, "weight": quad(inf) / z,
            "z": z, "density": lambda x: dens(x) / z}


@pytest.mark.parametrize("estimate, se", [
    (math.log(1.2), 0.15),   # the cohort disagrees with HR 0.45
    (math.log(0.55), 0.20),  # the cohort agrees
    (0.0, 0.5),              # weak data
])
def test_robust_posterior_for_a_normal_likelihood_matches_numerical_integration(estimate, se):
    """Closed-form conjugate mixture update == quadrature of prior x likelihood: posterior mean,
    SD, P(log HR < 0) and posterior weight of the informative component."""
    exact = _quadrature_posterior(ROBUST, estimate, se)
    post = mixture_posterior_normal(ROBUST.components(), estimate, se)
    mean, sd = mixture_mean_sd(post)
    assert mean == pytest.approx(exact["mean"], abs=1e-9)
    assert sd == pytest.approx(exact["sd"], abs=1e-9)
    assert mixture_cdf(post, 0.0) == pytest.approx(exact["prob_below_0"], abs=1e-9)
    assert post[0][0] == pytest.approx(exact["weight"], abs=1e-9)


def test_posterior_weight_closed_form_by_hand():
    """w' = w m1 / (w m1 + (1 - w) m2), m_k = N(est; mu_k, sd_k^2 + se^2). For est = log 1.2,
    se = 0.15: m1 = N(0.18232; -0.79851, 0.35028^2) = exp(-2.80017^2 / 2) / (2.50663 x 0.35028)
    = 0.022587, m2 = N(0.18232; 0, 2.00562^2) = 0.19809;
    w' = 0.8 x 0.022587 / (0.8 x 0.022587 + 0.2 x 0.19809) = 0.31323."""
    m1 = norm.pdf(math.log(1.2), math.log(0.45), math.hypot(ROBUST.log_hr_sd, 0.15))
    m2 = norm.pdf(math.log(1.2), 0.0, math.hypot(2.0, 0.15))
    assert m1 == pytest.approx(0.022587, abs=1e-6) and m2 == pytest.approx(0.19809, abs=1e-5)
    post = mixture_posterior_normal(ROBUST.components(), math.log(1.2), 0.15)
    assert post[0][0] == pytest.approx(0.8 * m1 / (0.8 * m1 + 0.2 * m2), rel=1e-12)
    assert post[0][0] == pytest.approx(0.31323, abs=1e-5)


def test_posterior_weight_from_draws_is_the_mean_component_probability():
    """The draw-based estimator (mean over posterior draws of P(informative | log HR)) has the
    conjugate weight as its expectation: exactly by quadrature, and within Monte Carlo error
    from 200 000 exact posterior draws."""
    estimate, se = math.log(1.2), 0.15
    exact = _quadrature_posterior(ROBUST, estimate, se)
    w, mu, sd = ROBUST.components()[0]
    responsibility = lambda x: w * norm.pdf(x, mu, sd) / math.exp(ROBUST.logpdf(x))  # noqa: E731
    expected = integrate.quad(lambda x: responsibility(x) * exact["density"](x), -30, 30,
                              points=[mu, 0.0, estimate], limit=400, epsabs=1e-14)[0]
    post = mixture_posterior_normal(ROBUST.components(), estimate, se)
    assert expected == pytest.approx(post[0][0], abs=1e-9)
    rng = np.random.default_rng(1)
    pick = rng.random(200_000) < post[0][0]
    draws = np.where(pick, rng.normal(post[0][1], post[0][2], pick.size),
                     rng.normal(post[1][1], post[1][2], pick.size))
    assert posterior_component_weight(ROBUST, draws) == pytest.approx(post[0][0], abs=0.005)


def test_posterior_weight_is_empty_for_a_prior_without_vague_component():
    assert math.isnan(posterior_component_weight(external_prior(**PERSANO), np.zeros(10)))


@pytest.mark.parametrize("prior", [BUILT_IN["vague"], BUILT_IN["skeptical"],
                                   external_prior(**PERSANO, discount=0.5)])
def test_ess_of_a_normal_prior_is_4_over_its_variance(prior):
    """A N(m, s^2) prior on the log HR carries 4 / s^2 events (Spiegelhalter et al. 1994)."""
    assert prior_ess_events(prior) == pytest.approx(4 / prior.log_hr_sd ** 2, rel=1e-12)


def test_ess_of_the_robust_persano_prior_is_below_its_informative_component():
    """The vague 20 % makes the prior worth fewer events than the external component alone
    (4 / 0.3165^2 = 39.9), yet more than 80 % of the vague component's 1 event."""
    ess = prior_ess_events(ROBUST)
    assert 1 < ess < 4 / ROBUST.log_hr_sd ** 2


def test_ess_by_elir_is_predictively_consistent():
    """Neuenschwander et al. (2020), section 3: with ELIR, the expected posterior ESS after n
    events equals the prior ESS plus n, the expectation over the prior predictive distribution
    of the estimate y (a log HR from n events: variance 4 / n), whose density is
    sum_k w_k N(y; mu_k, sd_k^2 + 4 / n). Expectation by quadrature over y; posteriors by the
    conjugate update."""
    n = 40
    se = math.sqrt(4 / n)

    def integrand(y):
        predictive = sum(w * norm.pdf(y, mu, math.hypot(sd, se))
                         for w, mu, sd in ROBUST.components())
        posterior = mixture_posterior_normal(ROBUST.components(), y, se)
        return predictive * prior_ess_events(posterior)

    expected = integrate.quad(integrand, -15, 15, points=[math.log(0.45), 0.0], limit=200)[0]
    assert expected == pytest.approx(prior_ess_events(ROBUST) + n, rel=1e-8)


def test_conflict_p_is_box_prior_predictive_p_by_hand():
    """External HR 0.45 (SE 0.31653), cohort log HR log(1.2) with SE 0.10:
    z = |0.18232 + 0.79851| / sqrt(0.31653^2 + 0.10^2) = 0.98083 / 0.33195 = 2.9548,
    p = 2 (1 - Phi(2.9548)) = 0.003129."""
    p = conflict_p(external_prior(**PERSANO), math.log(1.2), 0.10)
    assert p == pytest.approx(0.003129, abs=1e-6)


def test_conflict_p_of_a_robust_prior_uses_its_informative_component():
    assert conflict_p(ROBUST, math.log(1.2), 0.10) == pytest.approx(
        conflict_p(external_prior(**PERSANO), math.log(1.2), 0.10), rel=1e-12)


def test_conflict_p_is_empty_for_priors_without_external_evidence():
    assert math.isnan(conflict_p(BUILT_IN["skeptical"], 0.3, 0.1))
    assert math.isnan(conflict_p(prior_from_mapping("n", {"log_hr_sd": 0.5}), 0.3, 0.1))


def test_discount_sweep_priors_rescale_the_external_se():
    """a0 = 1: SE 0.31653; a0 = 0.25: SE / 0.5; a0 = 0: the vague N(0, 10), from a prior
    defined with discount 0.5."""
    half = external_prior(**PERSANO, discount=0.5)
    assert discounted(half, 1.0).log_hr_sd == pytest.approx(0.31653, abs=1e-5)
    assert discounted(half, 0.25).log_hr_sd == pytest.approx(2 * 0.31653, abs=1e-5)
    assert discounted(half, 0.5).log_hr_sd == pytest.approx(half.log_hr_sd, rel=1e-12)
    none = discounted(half, 0.0)
    assert (none.log_hr_mean, none.log_hr_sd, none.borrows) == (0.0, 10.0, False)


def test_robust_prior_from_the_spec_table():
    prior = prior_from_mapping("persano_robust", {"type": "robust", **PERSANO, "weight": 0.8,
                                                  "outcomes": ["os"]})
    informative, vague = prior.components()
    assert informative == pytest.approx((0.8, math.log(0.45), 0.31653), abs=1e-5)
    assert vague == pytest.approx((0.2, 0.0, 2.0), abs=1e-12)
    assert prior.kind == "robust" and prior.borrows
    # the description's probabilities are the mixture's: P(HR > 1) = 0.8 Phi(-0.79851 / 0.31653)
    # + 0.2 x 0.5 = 0.8 x 0.005821 + 0.1 = 0.10466
    assert prior.description.endswith("P(HR > 1) = 10.5 %")


def test_mixture_prior_draws_follow_its_distribution():
    rng = np.random.default_rng(3)
    draws = ROBUST.sample(rng, 100_000)
    for x in (-1.5, -0.8, 0.0, 1.0):
        assert np.mean(draws < x) == pytest.approx(float(ROBUST.cdf(x)), abs=0.005)


def test_normal_prior_draws_are_unchanged():
    """A normal prior samples as rng.normal did before mixtures existed (same seeds, same
    prior predictive tables)."""
    prior = BUILT_IN["skeptical"]
    a = prior.sample(np.random.default_rng(5), 10)
    b = np.random.default_rng(5).normal(prior.log_hr_mean, prior.log_hr_sd, 10)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("table, message", [
    ({"hr": 0.5, "lower": 0.6, "upper": 0.9}, r"need 0 < lower < hr < upper"),
    ({"hr": 0.5, "lower": 0.3, "upper": 0.45}, r"need 0 < lower < hr < upper"),
    ({**PERSANO, "weight": 1.0}, r"weight must be in \(0, 1\)"),
    ({**PERSANO, "weight": 0.0}, r"weight must be in \(0, 1\)"),
    ({**PERSANO, "weight": -0.2}, r"weight must be in \(0, 1\)"),
    ({**PERSANO, "vague_sd": 0.0}, r"vague_sd must be positive"),
    ({**PERSANO, "vague_sd": -1.0}, r"vague_sd must be positive"),
    ({**PERSANO, "discount": 1.5}, r"discount must be in \(0, 1\]"),
    ({**PERSANO, "wieght": 0.8}, r"unknown key 'wieght' in \[priors.mine\]"),
    ({"lower": 0.24, "upper": 0.83}, r"\[priors.mine\] needs 'hr'"),
    ({**PERSANO, "weight": "high"}, r"\[priors.mine\] weight must be a number, got 'high'"),
])
def test_bad_robust_prior_definitions_are_named(table, message):
    with pytest.raises(SpecError, match=message):
        prior_from_mapping("mine", {"type": "robust", **table})


def test_robust_only_keys_are_refused_on_other_prior_types():
    with pytest.raises(SpecError, match=r"key 'weight' is only for type = \"robust\""):
        prior_from_mapping("mine", {"type": "external", **PERSANO, "weight": 0.8})
