"""The M-spline baseline hazard family (bayeshcc.bayes.families.mspline): its basis against
R's splines2, its likelihood against PyMC's and maximum likelihood, its generator against its
own cumulative hazard, recovery of a hump-shaped hazard that the Weibull misses, its
interval-wise log HR, and the refusal of what it cannot do yet (curve priors)."""

import json
import time as _time
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pymc as pm
import pytest
from scipy import integrate, optimize, stats

from bayeshcc.bayes.contrasts import marginal_survival
from bayeshcc.bayes.data import prepare
from bayeshcc.bayes.families import check_calibration, get_family
from bayeshcc.bayes.families.mspline import (MSPLINE, basis, coefficients, constant_weights,
                                             invert_cumulative, walk_logp)
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.models import build_model, data_values
from bayeshcc.bayes.priors import BUILT_IN
from bayeshcc.errors import AnalysisError

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "mspline_splines2.json"
FAST = dict(draws=300, tune=300, chains=2)


def _loglogistic(n, seed, scale=12.0, shape=3.0, hr=0.7, follow_up=36.0):
    """Proportional hazards with a log-logistic reference arm (hump-shaped hazard, peak at
    scale (shape - 1)^(1/shape)): S(t | trt) = S0(t)^(hr^trt), S0 = 1 / (1 + (t/scale)^shape);
    uniform censoring on (0, follow_up) plus administrative censoring at follow_up."""
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n).astype(float)
    s0 = rng.uniform(size=n) ** (1.0 / np.where(trt == 1, hr, 1.0))
    t = scale * (1.0 / s0 - 1.0) ** (1.0 / shape)
    c = np.minimum(rng.uniform(0.0, 2 * follow_up, n), follow_up)
    return np.minimum(t, c), (t <= c).astype(float), trt


def _loglogistic_survival(t, arm, scale=12.0, shape=3.0, hr=0.7):
    return (1.0 / (1.0 + (np.asarray(t) / scale) ** shape)) ** (hr ** arm)


# --- the basis ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["tertiles", "uneven", "no_interior"])
def test_basis_equals_splines2_msplines_and_isplines(case):
    """Reference: splines2 0.4.7 mSpline / iSpline(intercept = TRUE, degree = 3), fixture of
    tests/reference/mspline_reference.R."""
    ref = json.loads(FIXTURE.read_text())[case]
    cuts = np.r_[ref["knots"], ref["boundary"]]
    M, I = basis(np.array(ref["x"], dtype=float), cuts)
    np.testing.assert_allclose(M, np.array(ref["mspline"]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(I, np.array(ref["ispline"]), rtol=1e-12, atol=1e-12)


def test_each_mspline_integrates_to_one_over_the_boundary_interval():
    """Independent check: adaptive quadrature (scipy.integrate.quad) of each M_k over [0, B]."""
    cuts = np.array([0.3, 1.1, 1.4, 2.5])
    for k in range(constant_weights(cuts).size):
        value, _ = integrate.quad(lambda x: basis(np.array([x]), cuts)[0][0, k], 0, 2.5,
                                  points=cuts[:-1], limit=200)
        assert value == pytest.approx(1.0, abs=1e-10)


def test_each_ispline_is_one_at_the_boundary_and_the_integral_of_its_mspline():
    cuts = np.array([0.3, 1.1, 1.4, 2.5])
    M, I = basis(np.array([2.5]), cuts)
    np.testing.assert_allclose(I[0], 1.0, rtol=1e-13)
    x = np.linspace(0, 2.5, 4001)
    integral = integrate.cumulative_simpson(basis(x, cuts)[0], x=x, axis=0, initial=0)
    np.testing.assert_allclose(basis(x, cuts)[1], integral, atol=1e-8)


def test_beyond_the_boundary_the_hazard_is_held_constant_and_its_integral_grows_linearly():
    cuts = np.array([1.0, 2.0, 3.0])
    M, I = basis(np.array([3.0, 4.0, 10.0]), cuts)
    np.testing.assert_array_equal(M[1], M[0])
    np.testing.assert_array_equal(M[2], M[0])
    np.testing.assert_allclose(I[2] - I[0], 7.0 * M[0], rtol=1e-13)
    assert MSPLINE.describe(cuts)["mspline_extrapolation"].startswith(
        "hazard held constant beyond the boundary knot t = 3")


def test_zero_log_odds_give_a_constant_hazard_equal_to_exp_log_rate():
    """The prior's centre: c = w (B-splines sum to 1), so h_0 = exp(log_rate) on [0, B] and
    beyond, and exp(log_rate) is the mean hazard over [0, B]."""
    cuts = np.array([0.4, 0.9, 2.0])
    draws = {"log_rate": np.array([-0.5]), "log_hr": np.array([0.0]),
             "log_odds": np.zeros((1, 5))}
    t = np.array([0.0, 0.1, 0.4, 1.5, 2.0, 5.0])
    log_h = MSPLINE.log_hazard(draws, t, np.zeros(6), np.zeros((1, 6)), cuts)
    np.testing.assert_allclose(log_h, -0.5, atol=1e-12)
    H = MSPLINE.cumulative_hazard(draws, t, np.zeros(6), np.zeros((1, 6)), cuts)
    np.testing.assert_allclose(H[0], np.exp(-0.5) * t, rtol=1e-12)


def test_default_knots_are_stan_survs_two_interior_knots_at_event_tertiles():
    """rstanarm::stan_surv: df = 6 cubic basis functions, df - 4 = 2 interior knots at the
    1/3 and 2/3 quantiles of the event times (R's quantile type 7 = numpy's default), the
    boundary at the largest observed time."""
    time, event, trt = _loglogistic(200, 1)
    d = prepare(time, event, trt)
    cuts = MSPLINE.cutpoints(None, d, 6)
    np.testing.assert_allclose(cuts, np.r_[np.quantile(time[event > 0], [1 / 3, 2 / 3]),
                                           time.max()])
    assert len(MSPLINE.baseline_parameter_names(len(cuts) + 1)) == 6   # log_rate + 5 log-odds


def test_fewer_than_four_basis_functions_are_refused_naming_intervals():
    time, event, trt = _loglogistic(50, 1)
    with pytest.raises(AnalysisError, match=r"'mspline': intervals .* at least 4; got 3"):
        MSPLINE.cutpoints(None, prepare(time, event, trt), 3)


# --- the generator --------------------------------------------------------------------------

def test_inverting_the_cumulative_hazard_returns_the_time_it_came_from():
    """Round trip to rounding, inside and beyond the boundary (draws x patients)."""
    rng = np.random.default_rng(0)
    cuts = np.array([1.0, 2.0, 3.0])
    c = coefficients(rng.normal(0, 1, (4, 5)), cuts)
    t = rng.uniform(0, 8, (4, 500))
    _, I = basis(t.ravel(), cuts)
    reached = np.einsum("pk,pk->p", I, np.repeat(c, 500, axis=0)).reshape(4, 500)
    np.testing.assert_allclose(invert_cumulative(c, reached, cuts), t, rtol=1e-10, atol=1e-12)


def test_median_of_a_constant_hazard_is_log2_over_the_rate():
    cuts = np.array([1.0, 2.0, 3.0])
    draws = {"log_rate": np.array([np.log(0.4), np.log(0.1)]), "log_hr": np.zeros(2),
             "log_odds": np.zeros((2, 5))}
    np.testing.assert_allclose(MSPLINE.median_survival(draws, 0.0, cuts),
                               np.log(2) / np.array([0.4, 0.1]), rtol=1e-12)


def test_simulated_times_follow_the_models_survival_function():
    """SBC's simulator: P(T > t) = exp(-H(t)) of the drawn truth; KS p > 0.01, 20 000 times."""
    rng = np.random.default_rng(4)
    cuts = np.array([1.0, 2.0, 3.0])
    n = 20_000
    target = rng.exponential(size=n)
    truth, t = MSPLINE.simulate(rng, (np.log(0.3), 0.5), target, -0.4, np.ones(n),
                                np.zeros(n), cuts)
    draws = {"log_rate": np.array([truth["log_rate"]]), "log_hr": np.array([-0.4]),
             "log_odds": np.array([[truth[f"log_odds[{j}]"] for j in range(5)]])}

    def cdf(x):
        x = np.atleast_1d(x)
        return 1 - np.exp(-MSPLINE.cumulative_hazard(draws, x, np.ones(x.size),
                                                     np.zeros((1, x.size)), cuts)[0])

    assert stats.kstest(t, cdf).pvalue > 0.01


# --- fits -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fit():
    time, event, trt = _loglogistic(300, 2)
    return fit_survival_model("mspline", time, event, trt, prior=BUILT_IN["vague"], seed=3,
                              **FAST)


def test_log_likelihood_group_equals_pymcs_compute_log_likelihood(fit):
    """Reference: PyMC evaluating the observed variable of the same model and data."""
    m = build_model("mspline", data_values("mspline", fit.data, fit.prior, fit.cuts), 0,
                    len(fit.cuts) + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pm.compute_log_likelihood(fit.posterior, model=m, extend_inferencedata=False,
                                              progressbar=False)
    np.testing.assert_allclose(fit.posterior["log_likelihood"]["time"].values,
                               reference["time"].values, rtol=1e-9, atol=1e-12)


def test_log_likelihood_group_sums_to_the_censored_log_density_of_the_numpy_hazards(fit):
    """Pointwise sum check against the family's NumPy hazards (the contrasts' code):
    sum_i d_i log h(t_i) - H(t_i) per draw."""
    d = fit.data
    draws = fit.draws()
    cuts = fit.cuts / d.time_scale
    xb = np.zeros((1, d.time.size))
    log_h = MSPLINE.log_hazard(draws, d.scaled_time, d.treated, xb, cuts)
    H = MSPLINE.cumulative_hazard(draws, d.scaled_time, d.treated, xb, cuts)
    expected = (d.event * log_h - H).sum(axis=1)
    pointwise = fit.posterior["log_likelihood"]["time"].values.reshape(expected.size, -1)
    np.testing.assert_allclose(pointwise.sum(axis=1), expected, rtol=1e-10)


def test_posterior_predictive_times_follow_the_fitted_survival_curve(fit):
    """Share of predictive times beyond t, averaged over draws, against the model's survival
    averaged over patients and draws (Monte Carlo SE about 0.002 with 600 x 300 times)."""
    d = fit.data
    times = fit.posterior["posterior_predictive"]["time"].values.reshape(600, -1)
    draws = fit.draws()
    cuts = fit.cuts / d.time_scale
    for t in (3.0, 10.0, 20.0):
        H = MSPLINE.cumulative_hazard(draws, np.full(d.time.size, t / d.time_scale), d.treated,
                                      np.zeros((1, d.time.size)), cuts)
        assert np.mean(times > t) == pytest.approx(np.exp(-H).mean(), abs=0.01)


def test_log_prior_of_the_log_odds_is_the_walk_density_at_the_draws(fit):
    import pytensor.tensor as pt

    b = fit.posterior["posterior"]["log_odds"].values
    np.testing.assert_allclose(fit.posterior["log_prior"]["log_odds"].values,
                               walk_logp(pt.as_tensor(b)).eval(), rtol=1e-10)


def test_loo_runs_without_warnings(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(az.loo(fit.posterior).elpd)


def test_power_scaling_and_the_censored_ppc_plot_run_on_the_saved_groups(fit):
    from arviz_plots import plot_ppc_censored
    from arviz_stats import psense_summary

    assert "log_hr" in str(psense_summary(fit.posterior, var_names=["log_hr"]))
    plot_ppc_censored(fit.posterior, num_samples=20, backend="matplotlib")


def test_posterior_records_the_knots_and_the_extrapolation_rule(fit):
    attrs = fit.posterior["posterior"].attrs
    np.testing.assert_allclose(attrs["mspline_knots"], np.r_[0.0, fit.cuts])
    assert f"t = {fit.data.time.max():g}" in attrs["mspline_extrapolation"]


def test_sigma_is_drawn_after_sampling_and_the_simplex_sums_to_one(fit):
    post = fit.posterior["posterior"]
    assert np.all(post["sigma"].values > 0)
    np.testing.assert_allclose(post["simplex"].values.sum(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")  # numba object mode for the numpy generator
def test_pymc_prior_predictive_sampling_works_on_the_model():
    time, event, trt = _loglogistic(80, 3)
    d = prepare(time, event, trt)
    cuts = MSPLINE.cutpoints(None, d, 6)
    m = build_model("mspline", data_values("mspline", d, BUILT_IN["weakly_informative"], cuts),
                    0, len(cuts) + 1)
    prior = pm.sample_prior_predictive(50, model=m, random_seed=1)
    assert prior["prior_predictive"]["time"].shape == (1, 50, time.size)
    assert np.all(prior["prior_predictive"]["time"].values > 0)
    assert prior["prior"]["log_odds"].shape == (1, 50, 5)


def _negative_loglik(theta, d, cuts):
    draws = {"log_rate": theta[:1], "log_odds": theta[None, 1:-1], "log_hr": theta[-1:]}
    xb = np.zeros((1, d.time.size))
    log_h = MSPLINE.log_hazard(draws, d.scaled_time, d.treated, xb, cuts)[0]
    H = MSPLINE.cumulative_hazard(draws, d.scaled_time, d.treated, xb, cuts)[0]
    return -np.sum(d.event * log_h - H)


@pytest.mark.slow
def test_vague_prior_posterior_agrees_with_maximum_likelihood():
    """Reference: scipy.optimize (BFGS) on the same M-spline log-likelihood (NumPy hazards),
    N = 800 from a Gompertz PH model (hazard 0.05 exp(0.1 t), positive at 0, so the maximum
    has every coefficient away from 0); the posterior mean log HR within 0.1 posterior SD of
    the MLE."""
    rng = np.random.default_rng(8)
    n = 800
    trt = rng.integers(0, 2, n).astype(float)
    e = rng.exponential(size=n) * np.exp(0.4 * trt)          # true log HR -0.4
    t = np.log1p(0.1 * e / 0.05) / 0.1
    c = rng.uniform(2, 12, n)
    time, event = np.minimum(t, c), (t <= c).astype(float)
    fit = fit_survival_model("mspline", time, event, trt, prior=BUILT_IN["vague"], seed=5,
                             draws=1000, tune=500, chains=2)
    d = fit.data
    cuts = fit.cuts / d.time_scale
    mle = optimize.minimize(_negative_loglik, np.zeros(7), args=(d, cuts), method="BFGS")
    assert mle.success
    log_hr = fit.draws()["log_hr"]
    print(f"posterior mean {log_hr.mean():.4f} (SD {log_hr.std():.4f}), MLE {mle.x[-1]:.4f}")
    assert abs(log_hr.mean() - mle.x[-1]) < 0.1 * log_hr.std()


@pytest.mark.slow
def test_recovers_a_hump_shaped_hazard_that_the_weibull_misses():
    """N = 2 000, log-logistic reference arm (shape 3: the hazard rises, peaks at 15.1 and
    falls), true HR 0.7 (PH). The M-spline's 95 % interval holds log 0.7 and its marginal S(t)
    of each arm at 6, 12 and 24 is within 0.03 of the truth; the Weibull's is further off
    (measured in the same run, printed)."""
    time, event, trt = _loglogistic(2000, 11)
    grid = np.array([6.0, 12.0, 24.0])
    errors, seconds = {}, {}
    for model in ("mspline", "weibull"):
        start = _time.perf_counter()
        fit = fit_survival_model(model, time, event, trt, seed=7, draws=500, tune=500, chains=2)
        seconds[model] = _time.perf_counter() - start
        s = np.median(marginal_survival(fit, grid), axis=1)            # arm 0 = treated
        truth = np.stack([_loglogistic_survival(grid, 1.0), _loglogistic_survival(grid, 0.0)])
        errors[model] = float(np.abs(s - truth).max())
        if model == "mspline":
            lo, hi = np.quantile(fit.draws()["log_hr"], [0.025, 0.975])
            assert lo < np.log(0.7) < hi
    print(f"max |S(t) - truth|: {errors}; seconds per fit (compile included): {seconds}")
    assert errors["mspline"] < 0.03
    assert errors["weibull"] > 2 * errors["mspline"]


# --- an interval-wise log HR ----------------------------------------------------------------

def _tv_draws(rng, n_draws=3):
    return {"log_rate": rng.normal(-1, 0.2, n_draws), "log_odds": rng.normal(0, 0.5, (n_draws, 5)),
            "log_hr": np.full(n_draws, -0.3)}


def test_equal_interval_log_hrs_give_the_proportional_hazards_model():
    rng = np.random.default_rng(0)
    cuts, t = np.array([1.0, 2.0, 3.0]), np.linspace(0.01, 6, 50)
    draws = _tv_draws(rng)
    varying = {**draws, "log_hr_interval": np.full((3, 4), -0.3)}
    args = (t, np.ones(50), np.zeros((1, 50)), cuts)
    np.testing.assert_allclose(MSPLINE.cumulative_hazard(varying, *args),
                               MSPLINE.cumulative_hazard(draws, *args), rtol=1e-13)
    np.testing.assert_allclose(MSPLINE.log_hazard(varying, *args),
                               MSPLINE.log_hazard(draws, *args), rtol=1e-13)


def test_interval_log_hrs_cumulative_hazard_is_the_integral_of_the_hazard():
    """Central differences of H against h, inside each interval and beyond the boundary."""
    rng = np.random.default_rng(1)
    cuts, t = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.5, 4.0])
    draws = {**_tv_draws(rng), "log_hr_interval": rng.normal(-0.3, 0.5, (3, 4))}
    args = (np.ones(4), np.zeros((1, 4)), cuts)
    slope = (MSPLINE.cumulative_hazard(draws, t + 1e-6, *args)
             - MSPLINE.cumulative_hazard(draws, t - 1e-6, *args)) / 2e-6
    np.testing.assert_allclose(slope, np.exp(MSPLINE.log_hazard(draws, t, *args)), rtol=1e-8)


def test_interval_log_hrs_inversion_returns_the_time_it_came_from():
    from bayeshcc.bayes.families.mspline import invert_time_varying

    rng = np.random.default_rng(2)
    cuts, n = np.array([1.0, 2.0, 3.0]), 2000
    draws = {**_tv_draws(rng), "log_hr_interval": rng.normal(-0.3, 0.5, (3, 4))}
    trt, t = rng.integers(0, 2, n).astype(float), rng.uniform(0, 6, (3, n))
    reached = np.stack([MSPLINE.cumulative_hazard({k: v[d:d + 1] for k, v in draws.items()},
                                                  t[d], trt, np.zeros((1, n)), cuts)[0]
                        / np.exp(draws["log_rate"][d]) for d in range(3)])
    back = invert_time_varying(coefficients(draws["log_odds"], cuts), draws["log_hr_interval"],
                               reached, trt, cuts)
    np.testing.assert_allclose(back, t, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def varying_fit():
    time, event, trt = _loglogistic(300, 4)
    X = np.random.default_rng(4).normal(size=(300, 1))
    return fit_survival_model("mspline", time, event, trt, X=X, covariate_names=("x",),
                              time_varying=True, seed=3, **FAST)


def test_time_varying_fit_has_one_log_hr_per_interval_of_the_knots(varying_fit):
    post = varying_fit.posterior["posterior"]
    assert post["log_hr_interval"].shape[-1] == len(varying_fit.cuts) + 1
    np.testing.assert_allclose(post["log_hr_interval"].values[..., 0], post["log_hr"].values)


def test_time_varying_log_likelihood_equals_pymc_and_the_numpy_hazards(varying_fit):
    fit = varying_fit
    d = fit.data
    m = build_model("mspline", data_values("mspline", d, fit.prior, fit.cuts), 1,
                    len(fit.cuts) + 1, True)      # one covariate column: no padding
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pm.compute_log_likelihood(fit.posterior, model=m, extend_inferencedata=False,
                                              progressbar=False)
    pointwise = fit.posterior["log_likelihood"]["time"].values
    np.testing.assert_allclose(pointwise, reference["time"].values, rtol=1e-9, atol=1e-12)
    draws = fit.draws()
    xb = draws["beta"] @ d.X.T
    cuts = fit.cuts / d.time_scale
    expected = (d.event * MSPLINE.log_hazard(draws, d.scaled_time, d.treated, xb, cuts)
                - MSPLINE.cumulative_hazard(draws, d.scaled_time, d.treated, xb, cuts))
    np.testing.assert_allclose(pointwise.reshape(expected.shape), expected, rtol=1e-9)


def test_time_varying_predictive_times_follow_the_fitted_survival_curve(varying_fit):
    fit = varying_fit
    d = fit.data
    times = fit.posterior["posterior_predictive"]["time"].values.reshape(600, -1)
    draws = fit.draws()
    xb = draws["beta"] @ d.X.T
    for t in (3.0, 10.0, 20.0):
        H = MSPLINE.cumulative_hazard(draws, np.full(d.time.size, t / d.time_scale),
                                      d.treated, xb, fit.cuts / d.time_scale)
        assert np.mean(times > t) == pytest.approx(np.exp(-H).mean(), abs=0.01)


def _changing_hr(n, seed, change=12.0, early=0.5, scale=12.0, shape=3.0, follow_up=36.0):
    """Log-logistic reference arm (as :func:`_loglogistic`); the treated arm's HR is ``early``
    before ``change`` and 1 after: H_1(t) = early H_0(min(t, c)) + (H_0(t) - H_0(c))_+."""
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n).astype(float)
    e = rng.exponential(size=n)
    h0_change = np.log1p((change / scale) ** shape)
    h0 = np.where((trt == 1) & (e < early * h0_change), e / early,
                  np.where(trt == 1, e - early * h0_change + h0_change, e))
    t = scale * np.expm1(h0) ** (1.0 / shape)
    c = np.minimum(rng.uniform(0.0, 2 * follow_up, n), follow_up)
    return np.minimum(t, c), (t <= c).astype(float), trt


def _changing_hr_survival(t, arm, change=12.0, early=0.5, scale=12.0, shape=3.0):
    h0 = np.log1p((np.asarray(t) / scale) ** shape)
    h0_change = np.log1p((change / scale) ** shape)
    treated = np.where(t < change, early * h0, early * h0_change + h0 - h0_change)
    return np.exp(-(treated if arm else h0))


@pytest.mark.slow
def test_interval_log_hrs_recover_an_effect_that_wanes():
    """N = 2 000, log-logistic reference arm, HR 0.5 before 12 and 1 after. The time-varying
    fit's log HR of the first interval is below its last finite interval's, and its marginal
    S(t) of each arm at 6, 12 and 24 is closer to the truth than the PH fit's. Measured (seed
    12): interval log HRs -0.62, -0.19, -0.18, -0.19 on knots 10.2, 15.1, 36 (truth -0.69
    before 12, 0 after: the walk's tau ~ HalfNormal(0.25) pulls the later intervals towards
    the first), max |S(t) - truth| 0.044 against the PH fit's 0.065."""
    time, event, trt = _changing_hr(2000, 12)
    grid = np.array([6.0, 12.0, 24.0])
    truth = np.stack([_changing_hr_survival(grid, 1), _changing_hr_survival(grid, 0)])
    errors = {}
    for varying in (True, False):
        fit = fit_survival_model("mspline", time, event, trt, seed=7, draws=500, tune=500,
                                 chains=2, time_varying=varying)
        s = np.median(marginal_survival(fit, grid), axis=1)
        errors[varying] = float(np.abs(s - truth).max())
        if varying:
            beta = np.median(fit.draws()["log_hr_interval"], axis=0)
            print(f"interval log HRs {np.round(beta, 3)} at knots {np.round(fit.cuts, 2)}")
            assert beta[0] < beta[-2]
    print(f"max |S(t) - truth|: time-varying {errors[True]:.4f}, PH {errors[False]:.4f}")
    assert errors[True] < errors[False]


# --- calibration, and what it cannot do yet (curve priors) --------------------------------

def test_a_family_not_marked_calibrated_is_refused_with_what_to_use_instead(monkeypatch):
    """The M-spline family is calibrated (tests/bayes/test_mspline_calibration.py); a family
    without the ``calibrated`` mark is still refused, naming the alternatives."""
    from types import SimpleNamespace

    from bayeshcc.bayes import families

    monkeypatch.setitem(families.FAMILIES, "uncalibrated", SimpleNamespace(name="uncalibrated"))
    with pytest.raises(AnalysisError, match=r"calibration of uncalibrated fits is not available "
                                            r"yet; use \[bayes\] uncertainty = \"kish\""):
        check_calibration("uncalibrated")
    for name in ("weibull", "piecewise", "mspline"):    # the families the calibration knows
        check_calibration(name)


def test_its_parameter_vector_maps_to_the_likelihood_graphs_inputs():
    """The calibration's layout (baseline_parameter_names, then log_hr, beta) read back by
    symbolic_parameters and baseline_draws gives likelihood_parameters' arrays."""
    import pytensor.tensor as pt

    n_intervals = 4
    names = MSPLINE.baseline_parameter_names(n_intervals)
    theta = np.arange(len(names) + 3, dtype=float) / 10        # baseline, log_hr, 2 betas
    symbolic = [p.eval() for p in MSPLINE.symbolic_parameters(pt.as_tensor(theta), n_intervals)]
    draws = {**MSPLINE.baseline_draws(theta[None, :len(names)]),
             "log_hr": theta[None, len(names)]}
    numeric = MSPLINE.likelihood_parameters(draws, theta[None, len(names) + 1:])
    for s_, n_ in zip(symbolic, numeric):
        np.testing.assert_array_equal(np.atleast_1d(s_), np.ravel(n_))


def test_a_curve_prior_on_an_mspline_fit_is_refused():
    with pytest.raises(AnalysisError, match="curve prior is not available for model 'mspline'"):
        get_family("mspline").external_values(None, None, None, None)


# --- through the spec and the Python API ----------------------------------------------------

def test_a_spec_accepts_the_mspline_model(small_spec_text):
    from bayeshcc.spec import spec_from_text

    spec = spec_from_text(small_spec_text + '\n[bayes]\nmodels = ["weibull", "mspline"]\n')
    assert spec.bayes.models == ("weibull", "mspline")


@pytest.mark.parametrize("adjustment", ["none", "covariates"])
def test_api_fit_gives_the_hazard_ratio_survival_median_rmst_and_loo(small_frame, adjustment):
    import bayeshcc as bh
    from bayeshcc.errors import AnalysisWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)    # short chains: "not reliable"
        fit = bh.fit(small_frame, "os_time", "os_event", "arm", "new", model="mspline",
                     adjustment=adjustment, covariates=["age"], draws=150, tune=150,
                     chains=2, tau=10)
    assert 0 < fit.hazard_ratio()["median"] < 10
    survival = fit.survival_function([3, 8])
    assert (survival.loc[survival["arm"] != "difference", "estimate"].between(0, 1)).all()
    assert set(fit.rmst()["arm"]) == set(fit.median()["arm"]) == {"new", "old", "difference"}
    assert fit.tree["posterior"].attrs["mspline_extrapolation"].startswith("hazard held")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isfinite(az.loo(fit.tree).elpd)
