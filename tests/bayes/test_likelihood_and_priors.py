"""The likelihood, data preparation and priors, checked without sampling."""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc.bayes.data import exposure_matrix, kish_normalised, prepare
from bayeshcc.bayes.hazards import cumulative_hazard, log_hazard
from bayeshcc.bayes.likelihood import censored_loglik
from bayeshcc.bayes.priors import BUILT_IN, built_in_priors, external_prior, prior_from_mapping
from bayeshcc.errors import AnalysisError, SpecError

T = np.array([0.3, 1.0, 2.5, 4.0, 7.5])
D = np.array([1, 0, 1, 1, 0])


def _weibull_draws(shape, log_rate, log_hr=0.0):
    return {"shape": np.array([shape]), "log_rate": np.array([log_rate]),
            "log_hr": np.array([log_hr])}


@pytest.mark.parametrize("shape, log_rate", [(0.7, -1.0), (1.0, 0.0), (1.6, -2.3)])
def test_weibull_loglik_equals_scipy_logpdf_and_logsf(shape, log_rate):
    """d log f + (1 - d) log S with scipy.stats.weibull_min(c=k, scale=exp(-log_rate / k))."""
    draws = _weibull_draws(shape, log_rate)
    zeros = np.zeros(T.size)
    ll = censored_loglik(log_hazard("weibull", draws, T, zeros, zeros[None]),
                         cumulative_hazard("weibull", draws, T, zeros, zeros[None]), D, 1.0)
    dist = stats.weibull_min(c=shape, scale=math.exp(-log_rate / shape))
    expected = np.where(D == 1, dist.logpdf(T), dist.logsf(T))
    np.testing.assert_allclose(ll[0], expected, rtol=1e-12)


def test_piecewise_with_one_rate_equals_scipy_exponential():
    draws = {"alpha": np.array([[-1.2, -1.2, -1.2]]), "log_hr": np.array([0.0])}
    cuts = np.array([1.0, 3.0])
    zeros = np.zeros(T.size)
    ll = censored_loglik(log_hazard("piecewise", draws, T, zeros, zeros[None], cuts),
                         cumulative_hazard("piecewise", draws, T, zeros, zeros[None], cuts), D, 1.0)
    dist = stats.expon(scale=math.exp(1.2))
    np.testing.assert_allclose(ll[0], np.where(D == 1, dist.logpdf(T), dist.logsf(T)), rtol=1e-12)


def test_piecewise_cumulative_hazard_sums_rate_times_exposure():
    draws = {"alpha": np.log([[0.1, 0.5, 2.0]]), "log_hr": np.array([0.0])}
    H = cumulative_hazard("piecewise", draws, np.array([4.0]), np.zeros(1), np.zeros((1, 1)),
                          np.array([1.0, 3.0]))
    assert H[0, 0] == pytest.approx(0.1 * 1 + 0.5 * 2 + 2.0 * 1)


def test_piecewise_cumulative_hazard_of_treated_with_time_varying_hr_and_covariates():
    """H(4 | treated, x'b = 0.3) = exp(0.3) * sum_j exp(alpha_j + beta_j) * exposure_j, with
    exposures 1, 2, 1 in [0, 1), [1, 3), [3, inf); a reference patient uses exp(alpha_j)."""
    alpha, beta = np.log([0.1, 0.5, 2.0]), np.array([-0.5, 0.0, 0.4])
    draws = {"alpha": alpha[None], "log_hr": np.array([0.0]), "log_hr_interval": beta[None]}
    H = cumulative_hazard("piecewise", draws, np.array([4.0, 4.0]), np.array([1.0, 0.0]),
                          np.array([[0.3, 0.3]]), np.array([1.0, 3.0]))
    exposure = np.array([1.0, 2.0, 1.0])
    assert H[0, 0] == pytest.approx(math.exp(0.3) * np.sum(np.exp(alpha + beta) * exposure))
    assert H[0, 1] == pytest.approx(math.exp(0.3) * np.sum(np.exp(alpha) * exposure))


def test_exposure_matrix_is_time_at_risk_per_interval():
    exposure, onehot = exposure_matrix(np.array([0.5, 2.0, 5.0]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(exposure, [[0.5, 0, 0], [1, 1, 0], [1, 2, 2]])
    np.testing.assert_array_equal(onehot.argmax(axis=1), [0, 1, 2])


def test_integer_weights_equal_duplicated_rows():
    draws = _weibull_draws(1.3, -0.5, log_hr=-0.4)
    trt = np.array([0, 1, 0, 1, 1.0])
    w = np.array([1, 3, 2, 1, 2.0])
    zeros = np.zeros((1, T.size))
    weighted = censored_loglik(log_hazard("weibull", draws, T, trt, zeros),
                               cumulative_hazard("weibull", draws, T, trt, zeros), D, w).sum()
    rep = np.repeat(np.arange(T.size), w.astype(int))
    z = np.zeros((1, rep.size))
    duplicated = censored_loglik(log_hazard("weibull", draws, T[rep], trt[rep], z),
                                 cumulative_hazard("weibull", draws, T[rep], trt[rep], z), D[rep], 1.0).sum()
    assert weighted == pytest.approx(duplicated, rel=1e-12)


def test_weights_are_normalised_to_kish_effective_sample_size():
    w = np.array([1.0, 2.0, 3.0, 6.0])
    assert kish_normalised(w).sum() == pytest.approx(w.sum() ** 2 / np.sum(w ** 2))
    assert kish_normalised(np.ones(7)).sum() == pytest.approx(7)


def test_covariates_are_standardised_and_constant_ones_refused():
    data = prepare(T, D, [0, 1, 0, 1, 1], X=np.array([[1.0], [2], [3], [4], [5]]), covariate_names=("age",))
    assert data.X.mean() == pytest.approx(0) and data.X.std() == pytest.approx(1)
    with pytest.raises(AnalysisError, match="covariate 'age' has one value"):
        prepare(T, D, [0, 1, 0, 1, 1], X=np.ones((5, 1)), covariate_names=("age",))


def test_no_events_is_a_clear_error():
    with pytest.raises(AnalysisError, match="no events"):
        prepare(T, np.zeros(5), [0, 1, 0, 1, 1])


@pytest.mark.parametrize("clinical_hr", [0.7, 0.8, 0.5])
def test_skeptical_prior_puts_5_percent_below_the_clinical_hr(clinical_hr):
    """Spiegelhalter, Freedman & Parmar (1994): P(HR < clinical_hr) = 5 % under the sceptic."""
    prior = built_in_priors(clinical_hr)["skeptical"]
    assert prior.log_hr_mean == 0.0
    assert prior.prob_hr_below(clinical_hr) == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize("clinical_hr", [0.7, 0.8, 0.5])
def test_enthusiastic_prior_is_centred_on_the_clinical_hr_with_5_percent_above_1(clinical_hr):
    prior = built_in_priors(clinical_hr)["enthusiastic"]
    assert prior.log_hr_mean == pytest.approx(math.log(clinical_hr))
    assert 1 - prior.prob_hr_below(1.0) == pytest.approx(0.05, abs=1e-12)


def test_default_clinical_hr_0_7_gives_sd_0_217():
    # -log(0.7) / qnorm(0.95) = 0.35667 / 1.64485 = 0.21684 (R: -log(0.7) / qnorm(0.95))
    assert BUILT_IN["skeptical"].log_hr_sd == pytest.approx(0.21684, abs=1e-5)


def test_prior_descriptions_state_computed_tail_probabilities():
    assert BUILT_IN["skeptical"].description == (
        "log HR ~ N(0, 0.217): P(HR < 0.7) = 5.0 %, P(HR > 1) = 50.0 %")
    assert BUILT_IN["enthusiastic"].description == (
        "log HR ~ N(-0.357, 0.217): P(HR < 0.7) = 50.0 %, P(HR > 1) = 5.0 %")
    persano = external_prior(0.45, 0.24, 0.83, discount=0.5)
    # log HR ~ N(log 0.45, 0.4476): P(HR > 1) = pnorm(log(0.45) / 0.4476) = 0.0371
    assert persano.description.endswith("P(HR > 1) = 3.7 %")


def test_external_prior_from_persano_hr_and_ci_with_discount():
    """Persano et al. OS HR 0.45 (0.24-0.83): SE = (log .83 - log .24) / 3.92 = 0.3165."""
    full = external_prior(0.45, 0.24, 0.83, discount=1.0)
    half = external_prior(0.45, 0.24, 0.83, discount=0.5)
    assert full.log_hr_mean == pytest.approx(math.log(0.45))
    assert full.log_hr_sd == pytest.approx(0.31653, abs=1e-5)
    assert half.log_hr_sd == pytest.approx(full.log_hr_sd * math.sqrt(2))


@pytest.mark.parametrize("table, message", [
    ({"type": "external", "hr": 0.5, "lower": 0.3, "upper": 0.9, "discount": 0}, "discount must be in"),
    ({"type": "external", "hr": 0.5, "lower": 0.6, "upper": 0.9}, "need 0 < lower < hr < upper"),
    ({"type": "normal", "mean": 0}, "unknown key 'mean'"),
    ({"type": "cauchy", "log_hr_sd": 1}, "is not one of: curve, external, normal, robust"),
])
def test_bad_prior_definitions_are_named(table, message):
    with pytest.raises(SpecError, match=message):
        prior_from_mapping("mine", table)


def test_piecewise_walk_prior_is_a_normal_first_level_and_multivariate_t_increments():
    """walk_logp = N(alpha_1 | centre, sd) + multivariate t_4(diff(alpha) | 0, 0.3^2 I), the
    Gaussian walk with sigma^2 ~ InvGamma(2, 0.18) integrated out (scipy's densities)."""
    import pytensor.tensor as pt

    from bayeshcc.bayes.families.piecewise import WALK_SCALE, WALK_SHAPE, walk_logp

    rng = np.random.default_rng(1)
    for alpha in rng.normal(-1.0, 0.8, size=(4, 6)):
        got = walk_logp(pt.as_tensor(alpha), pt.as_tensor(np.full(6, -1.2)), 2.0).eval()
        scale2 = WALK_SCALE / WALK_SHAPE
        expected = (stats.norm(-1.2, 2.0).logpdf(alpha[0])
                    + stats.multivariate_t(np.zeros(5), scale2 * np.eye(5),
                                           df=2 * WALK_SHAPE).logpdf(np.diff(alpha)))
        assert got == pytest.approx(expected, rel=1e-12)


def test_piecewise_walk_draws_and_conditional_sigma_agree_with_the_prior():
    """Prior draws of the levels have t_4 increments of scale 0.3, and sigma drawn from its
    conditional given those levels has the InvGamma(2, 0.18) prior's distribution again (a
    Gibbs step leaves the joint prior invariant): walk_random, walk_logp and walk_sd_draws
    describe one model."""
    from bayeshcc.bayes.families.piecewise import WALK_SCALE, WALK_SHAPE, walk_random, walk_sd_draws

    rng = np.random.default_rng(7)
    alpha = walk_random(np.full(6, 0.5), 2.0, rng, 20_000)
    assert alpha.shape == (20_000, 6)
    scale = np.sqrt(WALK_SCALE / WALK_SHAPE)
    assert stats.kstest(np.diff(alpha)[:, 2] / scale, stats.t(2 * WALK_SHAPE).cdf).pvalue > 0.01
    assert stats.kstest(alpha[:, 0], stats.norm(0.5, 2.0).cdf).pvalue > 0.01
    sigma = walk_sd_draws(alpha, rng)
    assert stats.kstest(sigma ** 2, stats.invgamma(WALK_SHAPE, scale=WALK_SCALE).cdf).pvalue > 0.01
