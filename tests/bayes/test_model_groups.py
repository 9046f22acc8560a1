"""The likelihood as an observed variable (issue 15): a fit's tree holds the groups ArviZ users
expect, computed by the model's own logp and generator, and PyMC's own tools work on the model."""

import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytest
from scipy import stats

from bayeshcc.bayes.calibration import calibrate
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.likelihood import piecewise_random, weibull_random
from bayeshcc.bayes.models import build_model, data_values
from bayeshcc.bayes.priors import BUILT_IN

FAST = dict(draws=200, tune=200, chains=2)
GROUPS = {"posterior", "sample_stats", "log_likelihood", "posterior_predictive", "observed_data",
          "constant_data", "log_prior"}


def _data(n=90, seed=5):
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n).astype(float)
    t = rng.weibull(1.3, n) * np.exp(-(np.log(0.5) - 0.4 * trt) / 1.3)
    c = rng.uniform(1, 4, n)
    return np.minimum(t, c), (t <= c).astype(float), trt, rng.normal(size=(n, 2))


@pytest.fixture(scope="module", params=["weibull", "piecewise"])
def fit(request):
    time, event, trt, _ = _data()
    return fit_survival_model(request.param, time, event, trt, prior=BUILT_IN["vague"],
                              seed=3, intervals=4, **FAST)


def test_tree_holds_every_group_with_the_datas_shape(fit):
    tree = fit.posterior
    assert GROUPS <= set(tree.children)
    n = fit.data.time.size
    assert dict(tree["log_likelihood"]["time"].sizes) == {"chain": 2, "draw": 200, "patient": n}
    assert dict(tree["posterior_predictive"]["time"].sizes) == {"chain": 2, "draw": 200,
                                                                "patient": n}
    np.testing.assert_array_equal(tree["observed_data"]["time"].values, fit.data.time)
    # ArviZ's Kaplan-Meier reads the event indicator under the observed variable's name
    np.testing.assert_array_equal(tree["constant_data"]["time"].values, fit.data.event)


def test_log_likelihood_equals_pymcs_compute_log_likelihood(fit):
    """The reference: PyMC evaluating the observed variable of the same model and data."""
    d = fit.data
    m = build_model(fit.model, data_values(fit.model, d, fit.prior, fit.cuts), 0,
                    1 if fit.cuts is None else len(fit.cuts) + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pm.compute_log_likelihood(fit.posterior, model=m, extend_inferencedata=False,
                                              progressbar=False)
    np.testing.assert_allclose(fit.posterior["log_likelihood"]["time"].values,
                               reference["time"].values, rtol=1e-9, atol=1e-12)


def test_log_prior_is_each_priors_density_at_the_draws(fit):
    """log_hr ~ N(0, 10) under the vague prior: scipy's normal log density at each draw."""
    draws = fit.posterior["posterior"]["log_hr"].values
    np.testing.assert_allclose(fit.posterior["log_prior"]["log_hr"].values,
                               stats.norm.logpdf(draws, 0, 10), rtol=1e-10)


def test_loo_runs_without_warnings(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = az.loo(fit.posterior)
    assert np.isfinite(result.elpd)


def test_power_scaling_prior_sensitivity_runs_on_the_saved_groups(fit):
    from arviz_stats import psense_summary

    summary = psense_summary(fit.posterior, var_names=["log_hr"])
    assert "log_hr" in str(summary)


def test_ppc_censored_plot_draws_from_the_tree(fit):
    from arviz_plots import plot_ppc_censored

    plot_ppc_censored(fit.posterior, num_samples=20, backend="matplotlib")


def test_calibrated_posterior_recomputes_loglik_and_drops_the_log_prior(fit):
    calibrated = calibrate(fit)
    assert "log_prior" not in calibrated.posterior.children
    assert {"log_likelihood", "posterior_predictive"} <= set(calibrated.posterior.children)


def test_weibull_generator_follows_the_weibull_distribution():
    """T = (E exp(-lp))^(1/k): scipy weibull_min(c=k, scale=exp(-lp/k)); KS p > 0.01."""
    log_shape, lp = np.log(1.4), -0.7
    t = weibull_random(np.full(20_000, log_shape), np.full(20_000, lp),
                       rng=np.random.default_rng(1))
    k = np.exp(log_shape)
    assert stats.kstest(t, stats.weibull_min(c=k, scale=np.exp(-lp / k)).cdf).pvalue > 0.01


def test_piecewise_generator_follows_its_cumulative_hazard():
    """P(T <= t) = 1 - exp(-H(t)), H piecewise linear with rates exp(alpha_j + b trt + xb)."""
    alpha, b, xb, edges = np.array([-1.0, -0.3, -1.5]), -0.5, 0.2, np.array([0.5, 2.0])
    n = 20_000
    t = piecewise_random(alpha, np.full(3, b), np.ones(n), np.full(n, xb), edges=edges,
                         rng=np.random.default_rng(2))  # one draw, n patients
    rates = np.exp(alpha + b + xb)

    def cdf(x):
        x = np.asarray(x)
        width = np.clip(np.minimum(x[..., None], np.r_[edges, np.inf]) - np.r_[0, edges], 0, None)
        return 1 - np.exp(-(width * rates).sum(axis=-1))

    assert stats.kstest(t, cdf).pvalue > 0.01


def _dense_piecewise_random(alpha, log_hr_j, trt, xb, edges, rng):
    """Reference: the generator as first written, a (..., N, J) array of rates, H at the
    interval starts per patient and the interval reached by counting."""
    lower = np.concatenate([[0.0], edges])
    finite = np.diff(np.concatenate([lower, [np.inf]]))[:-1]
    rate = np.exp(alpha[..., None, :] + trt[..., :, None] * log_hr_j[..., None, :]
                  + xb[..., :, None])
    cum_start = np.concatenate([np.zeros(rate.shape[:-1] + (1,)),
                                np.cumsum(rate[..., :-1] * finite, axis=-1)], axis=-1)
    target = rng.exponential(size=rate.shape[:-1])
    j = np.sum(cum_start <= target[..., None], axis=-1) - 1
    take = lambda a: np.take_along_axis(a, j[..., None], axis=-1)[..., 0]  # noqa: E731
    return lower[j] + (target - take(cum_start)) / take(rate)


@pytest.mark.parametrize("time_varying", [False, True])
def test_piecewise_generator_equals_the_dense_inversion_with_the_same_random_stream(
        time_varying):
    """Inverting a per-draw baseline (one per arm with interval log HRs) gives the times of
    the dense (draws x N x J) inversion from the same seed to rounding: 50 draws, 300
    patients, 5 intervals."""
    rng = np.random.default_rng(7)
    draws, n, j = 50, 300, 5
    edges = np.array([0.2, 0.5, 1.0, 1.8])
    alpha = rng.normal(-0.5, 0.4, (draws, j))
    log_hr_j = (rng.normal(-0.3, 0.3, (draws, j)) if time_varying
                else np.repeat(rng.normal(-0.3, 0.1, (draws, 1)), j, axis=1))
    trt, xb = rng.integers(0, 2, n).astype(float), rng.normal(0, 0.8, (draws, n))
    t = piecewise_random(alpha, log_hr_j, trt, xb, edges=edges, rng=np.random.default_rng(3))
    reference = _dense_piecewise_random(alpha, log_hr_j, trt, xb, edges,
                                        np.random.default_rng(3))
    assert t.shape == (draws, n)
    assert set(np.searchsorted(edges, t).ravel()) == set(range(j))  # every interval reached
    np.testing.assert_allclose(t, reference, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")  # numba object mode for the numpy generator
@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_pymc_prior_and_posterior_predictive_sampling_work_on_the_model(model):
    time, event, trt, _ = _data()
    from bayeshcc.bayes.data import prepare, quantile_cutpoints

    d = prepare(time, event, trt)
    cuts = quantile_cutpoints(d.time, d.event, 3) if model == "piecewise" else None
    m = build_model(model, data_values(model, d, BUILT_IN["weakly_informative"], cuts), 0,
                    1 if cuts is None else len(cuts) + 1)
    prior = pm.sample_prior_predictive(50, model=m, random_seed=1)
    assert prior["prior_predictive"]["time"].shape == (1, 50, time.size)
    assert np.all(prior["prior_predictive"]["time"].values > 0)


@pytest.mark.parametrize("fit", ["piecewise"], indirect=True)
def test_piecewise_log_prior_of_the_levels_is_one_term_per_draw(fit):
    """The levels alpha have one joint prior (the walk): log_prior holds walk_logp per draw."""
    import pytensor.tensor as pt

    from bayeshcc.bayes.families.base import BASELINE_SD
    from bayeshcc.bayes.families.piecewise import walk_logp

    alpha = fit.posterior["posterior"]["alpha"].values
    centre = float(np.log(fit.data.event.sum() / fit.data.scaled_time.sum()))
    expected = walk_logp(pt.as_tensor(alpha), pt.as_tensor(np.full(alpha.shape[-1], centre)),
                         BASELINE_SD).eval()
    np.testing.assert_allclose(fit.posterior["log_prior"]["alpha"].values, expected, rtol=1e-10)


@pytest.fixture(scope="module", params=[("weibull", False), ("piecewise", True)],
                ids=["weibull", "piecewise-time-varying"])
def covariate_fit(request):
    model, time_varying = request.param
    time, event, trt, X = _data()
    return fit_survival_model(model, time, event, trt, X=X, covariate_names=("x1", "x2"),
                              prior=BUILT_IN["weakly_informative"], seed=4, intervals=4,
                              time_varying=time_varying, **FAST)


def test_log_likelihood_of_draws_batched_equals_the_per_draw_function(covariate_fit,
                                                                      monkeypatch):
    """Reference: the same likelihood graph compiled for one draw and called per draw (as
    before the batching); two covariates, so X beta is the matrix product of all draws; in
    chunks of 7 draws (the last one shorter)."""
    from bayeshcc.bayes import groups
    from bayeshcc.bayes.groups import _likelihood_function, _parameters

    fit = covariate_fit
    monkeypatch.setattr(groups, "_CHUNK", 7 * fit.data.time.size)
    d = fit.data
    values = data_values(fit.model, d, fit.prior, fit.cuts)
    time_varying = "log_hr_interval" in fit.posterior["posterior"]
    fn = _likelihood_function(fit.model, time_varying, batched=False)
    params = _parameters(fit, fit.draws())
    data = ([values["t_obs"], values["log_t"], d.treated, d.X, d.event, d.weights]
            if fit.model == "weibull" else
            [values["t_obs"], d.treated, d.X, values["exposure"], values["interval"],
             values["edges"], d.event, d.weights])
    reference = np.array([fn(*[p[s] for p in params], *data)[0]
                          for s in range(params[0].shape[0])])
    np.testing.assert_allclose(groups.pointwise(fit)[0], reference, rtol=1e-12, atol=1e-12)


def test_log_prior_of_draws_batched_equals_the_per_draw_function(covariate_fit, monkeypatch):
    """Reference: the PyMC model's logp of its free variables compiled for one draw and called
    per draw; every free variable (the time-varying walk's tau and steps too); the batched
    terms in chunks of 7 draws."""
    from bayeshcc.bayes import groups
    from bayeshcc.bayes.fit import _pad_covariates, compiled_columns
    from bayeshcc.bayes.groups import _prior_function

    fit = covariate_fit
    post = fit.posterior["posterior"]
    columns = compiled_columns(fit.data.X.shape[1])
    values = _pad_covariates(data_values(fit.model, fit.data, fit.prior, fit.cuts), fit.data,
                             fit.prior, columns)
    j = 1 if fit.cuts is None else len(fit.cuts) + 1
    monkeypatch.setattr(groups, "_CHUNK", 7 * max(columns, j))   # widest variable: beta or alpha
    structure = (fit.model, columns, j, "log_hr_interval" in post)
    fn, m = _prior_function(structure, values, batched=False)
    names = [m.values_to_rvs[v].name for v in m.value_vars]
    group = groups.log_prior(fit, structure, values)
    assert set(group.data_vars) == set(names)
    for c, s in np.ndindex(post.sizes["chain"], post.sizes["draw"]):
        args = []
        for value, name in zip(m.value_vars, names):
            draw = post[name].values[c, s]
            if name == "beta":
                draw = np.r_[draw, np.zeros(columns - draw.size)]
            args.append(np.log(draw) if m.rvs_to_transforms.get(m.values_to_rvs[value])
                        else draw)
        for name, term in zip(names, fn(*args)):
            term = term[:2] if name == "beta" else term
            np.testing.assert_allclose(group[name].values[c, s], term, rtol=1e-12, atol=1e-12)


def test_constant_data_keeps_the_weights_as_given_and_as_the_likelihood_used_them():
    # issue #26: constant_data["weights"] held the Kish-normalised weights and nothing said so
    time, event, trt, _ = _data()
    w = np.where(trt == 1, 2.5, 1.25)  # ATE-like weights as a user computes them
    fit = fit_survival_model("weibull", time, event, trt, weights=w, prior=BUILT_IN["vague"],
                             seed=3, **FAST)
    data = fit.posterior["constant_data"]
    np.testing.assert_array_equal(data["weights_raw"].values, w)
    kish = w.sum() ** 2 / np.sum(w ** 2)  # the effective sample size they are rescaled to
    np.testing.assert_allclose(data["weights"].values.sum(), kish, rtol=1e-12)
    np.testing.assert_allclose(data["weights"].values / w, data["weights"].values[0] / w[0])
    assert "Kish" in data["weights"].attrs["description"]
    assert "as given" in data["weights_raw"].attrs["description"]
