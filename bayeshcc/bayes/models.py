"""PyMC models. Each supplies its parameters to the observed variable ``time``, whose censored
log-likelihood and event-time generator are written once in :mod:`bayeshcc.bayes.likelihood`.

Weibull proportional hazards (time in units of ``time_scale``)::

    h(t | x) = k t^(k-1) exp(log_rate + beta_trt * trt + x' beta),   H(t | x) = t^k exp(...)

Mappings: R ``survreg(dist = "weibull")`` is the AFT form with ``scale = 1/k``; its coefficients
``a`` map to PH ones by ``beta = -a / scale`` (so HR = exp(-a_trt / scale)). lifelines'
``WeibullFitter`` uses ``rho_ = k`` and ``lambda_`` with H(t) = (t / lambda_)^rho_, so
``lambda_ = exp(-log_rate / k)`` (in units of ``time_scale``). scipy's ``weibull_min(c=k,
scale=lambda_)``.

Priors on the baseline: ``log k ~ N(0, 0.5)``; ``log_rate ~ N(log(events / exposure), 2)``.
The log HR's prior is a two-component normal mixture (:mod:`bayeshcc.bayes.priors`): the
robust prior's informative and vague components, or a normal prior's two identical halves.

Piecewise exponential: log baseline hazard ``alpha_j`` per interval, a Gaussian random walk
``alpha_j - alpha_{j-1} ~ N(0, sigma)`` with ``alpha_1 ~ N(log(events / exposure), 2)`` and
``sigma^2 ~ InvGamma(2, 0.18)`` (median sigma 0.33, as the former ``HalfNormal(0.5)``, but no
prior mass at sigma = 0). The sampled parameters are the levels ``alpha`` themselves, with sigma
integrated out: the J - 1 increments are jointly multivariate Student-t, 4 degrees of freedom,
scale 0.3 (:func:`walk_logp`). ``sigma`` is then drawn after sampling from its exact conditional
posterior ``sigma^2 | alpha ~ InvGamma(2 + (J-1)/2, 0.18 + |diff(alpha)|^2 / 2)``
(:func:`walk_sd_draws`), so the posterior still reports the joint (alpha, sigma).

Why (issue #17; ``python -m benchmarks.piecewise_variants``, 4 chains x 1000/1000, a re-used
compiled model, ratios to the Weibull in the same run): with sigma a sampled parameter the walk
has a funnel at small sigma (non-centred ``sigma * z_j``, the form used before) or, in the
increments' coordinates, a cumulative-sum correlation that a diagonal mass matrix cannot undo;
NUTS needed ``target_accept = 0.99`` and 25-40 leapfrog steps per draw on the bundled cohort
(N = 126, 6 intervals) against the Weibull's 6.4, for 0.13-0.16 of its min bulk ESS/s of the
log HR. Lower targets (0.9, 0.95), a Gamma or log-normal sigma prior, centring, 4 intervals
reached 0.13-0.31, with divergences in 9 of the 10 such fits at target 0.9. The levels with sigma integrated out have neither
problem: 6.9 steps per draw at ``target_accept = 0.9``, no divergences, and with nutpie's
low-rank mass matrix (which picks up the log HR's correlation with the levels) 0.91-1.04 of the
Weibull's ESS/s on the bundled cohort (0.43-0.45 with the diagonal one), 1.97 of its ESS per
gradient at N = 2 000 with 10 intervals and 8 covariates (the former centred walk: 0.33), and
at N = 20 000 0.91 of its ESS/s, 2.0 per gradient (former: 0.09 and 0.35).
Independent ``alpha_j ~ N(centre, 2)`` sampled as well, but is no smoothing prior.

With ``time_varying=True`` the log HR is itself a random walk across intervals,
``beta_j = beta_{j-1} + tau * u_j``, ``tau ~ HalfNormal(0.25)`` (non-centred).

Data and prior hyper-parameters are ``pm.Data``, so one compiled model serves every outcome,
adjustment and prior with the same structure (model, number of covariates, intervals).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import gammaln

from bayeshcc.bayes.data import SurvivalData, exposure_matrix
from bayeshcc.bayes.likelihood import (make_piecewise_logp, piecewise_random, weibull_logp,
                                       weibull_random)
from bayeshcc.bayes.priors import Prior

# Baseline priors shared by every prior set (see the module docstring).
LOG_SHAPE_SD = 0.5      # Weibull: log k ~ N(0, 0.5)
BASELINE_SD = 2.0       # log_rate / alpha_1 ~ N(log(events / exposure), 2)
WALK_SHAPE = 2.0        # piecewise random-walk variance sigma^2 ~ InvGamma(2, 0.18)
WALK_SCALE = 0.18
TAU_SCALE = 0.25        # time-varying log HR random-walk SD ~ HalfNormal(0.25)


def rate_center(data: SurvivalData) -> float:
    """log(events / total time) in scaled time: where the baseline prior is centred."""
    return float(np.log(data.event.sum() / data.scaled_time.sum()))


def walk_logp(value, mean, spread):
    """Log prior density of the piecewise levels ``alpha`` (last axis J): ``alpha_1 ~ N(mean_1,
    spread)`` and the increments multivariate t (``2 WALK_SHAPE`` degrees of freedom, scale
    ``sqrt(WALK_SCALE / WALK_SHAPE)``), the random walk with ``sigma^2 ~ InvGamma(WALK_SHAPE,
    WALK_SCALE)`` integrated out. ``mean`` (J) is every level's prior mean, the baseline centre
    repeated (its J entries fix the number of levels)."""
    steps = value[..., 1:] - value[..., :-1]
    spread = pt.cast(spread, "float64")  # a Python float would become a float32 constant
    nu, scale2 = 2 * WALK_SHAPE, WALK_SCALE / WALK_SHAPE
    levels = value.type.shape[-1]  # static in the models: the constant is then exact
    p = value.shape[-1] - 1 if levels is None else levels - 1
    lgamma = pt.gammaln if levels is None else gammaln
    log_first = (-0.5 * ((value[..., 0] - mean[..., 0]) / spread) ** 2 - pt.log(spread)
                 - 0.5 * np.log(2 * np.pi))
    constant = (lgamma((nu + p) / 2) - gammaln(nu / 2)
                - p / 2 * np.log(nu * np.pi * scale2))
    return (log_first + constant
            - (nu + p) / 2 * pt.log1p(pt.sum(steps ** 2, axis=-1) / (nu * scale2)))


def walk_random(mean, spread, rng=None, size=None):
    """Draws of the levels ``alpha`` from their prior (sigma drawn, then the walk); ``mean``
    (..., J) as in :func:`walk_logp`, ``size`` the batch shape."""
    rng = rng if rng is not None else np.random.default_rng()
    mean, spread = np.asarray(mean, dtype=float), np.asarray(spread, dtype=float)
    shape = np.broadcast_shapes(mean.shape[:-1], spread.shape) if size is None else tuple(
        np.atleast_1d(size))
    j = mean.shape[-1]
    sigma = np.sqrt(WALK_SCALE / rng.gamma(WALK_SHAPE, 1.0, shape))
    steps = sigma[..., None] * rng.normal(size=shape + (j - 1,))
    first = rng.normal(mean[..., 0], spread, shape)
    return first[..., None] + np.concatenate([np.zeros(shape + (1,)), np.cumsum(steps, axis=-1)],
                                             axis=-1)


def walk_sd_draws(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """sigma drawn from its conditional posterior given the levels ``alpha`` (last axis J):
    ``sigma^2 | alpha ~ InvGamma(WALK_SHAPE + (J-1)/2, WALK_SCALE + |diff(alpha)|^2 / 2)``
    (the data enter only through alpha), so (alpha, sigma) are draws of the joint posterior."""
    steps = np.diff(alpha, axis=-1)
    shape = WALK_SHAPE + steps.shape[-1] / 2
    rate = WALK_SCALE + 0.5 * np.sum(steps ** 2, axis=-1)
    return np.sqrt(rate / rng.gamma(shape, 1.0, rate.shape))


def data_values(model: str, data: SurvivalData, prior: Prior, cuts: np.ndarray | None,
                baseline: tuple[float, float] | None = None) -> dict:
    """Values of every ``pm.Data`` of a model for one fit.

    ``baseline`` = (mean, sd) of the log-rate prior; default (log(events / exposure), 2).
    """
    center, spread = baseline if baseline is not None else (rate_center(data), BASELINE_SD)
    values = {"t_obs": data.scaled_time, "event": data.event, "trt": data.treated,
              "w": data.weights,
              "rate_center": center, "rate_sd": spread, **prior.mixture_values()}
    if data.X.shape[1]:  # a model without covariates has no X in its graph
        values.update(X=data.X, coef_sd=prior.coef_sd)
    if model == "weibull":
        values["log_t"] = np.log(data.scaled_time)  # data: no logarithm per evaluation
    else:
        edges = np.asarray(cuts, dtype=float) / data.time_scale
        exposure, onehot = exposure_matrix(data.scaled_time, edges)
        values.update(exposure=exposure, interval=onehot, edges=edges)
    return values


def treatment_and_covariates(d: dict, n_covariates: int):
    """``log_hr`` and the covariates' linear predictor ``X @ beta`` (0 without covariates), in a
    model being built from the ``pm.Data`` ``d``; shared by every model (also
    :mod:`bayeshcc.bayes.commensurate`).

    The log-HR prior is a two-component normal mixture (a normal prior: two identical
    components), so robust and normal priors share one compiled model
    (:meth:`bayeshcc.bayes.priors.Prior.mixture_values`); ``beta ~ N(0, coef_sd)``.
    """
    log_hr = pm.NormalMixture("log_hr", d["log_hr_weights"], d["log_hr_means"], d["log_hr_sds"])
    xb = 0.0
    if n_covariates:
        beta = pm.Normal("beta", 0.0, d["coef_sd"], shape=n_covariates)
        xb = pt.dot(d["X"], beta)
    return log_hr, xb


def build_model(model: str, values: dict, n_covariates: int, n_intervals: int = 1,
                time_varying: bool = False) -> pm.Model:
    """The PyMC model of one structure, with ``values`` as initial data.

    Piecewise: the levels ``alpha`` are the parameters, with the random-walk prior of
    :func:`walk_logp` (sigma integrated out; see the module docstring); ``alpha_first`` is
    ``alpha[0]``, kept under its name.
    """
    with pm.Model() as m:
        d = {k: pm.Data(k, v) for k, v in values.items()}
        log_hr, xb = treatment_and_covariates(d, n_covariates)
        if model == "weibull":
            log_shape = pm.Normal("log_shape", 0.0, LOG_SHAPE_SD)
            log_rate = pm.Normal("log_rate", d["rate_center"], d["rate_sd"])
            pm.Deterministic("shape", pt.exp(log_shape))
            lp = log_rate + log_hr * d["trt"] + xb
            pm.CustomDist("time", log_shape, lp, d["log_t"], d["event"], d["w"],
                          logp=weibull_logp, random=weibull_random,
                          signature="(),(n),(n),(n),(n)->(n)", observed=d["t_obs"])
        else:
            level_mean = pt.fill(pt.zeros(n_intervals), d["rate_center"])
            alpha = pm.CustomDist("alpha", level_mean, d["rate_sd"], logp=walk_logp,
                                  random=walk_random, signature="(j),()->(j)")
            pm.Deterministic("alpha_first", alpha[0])
            if time_varying:
                tau = pm.HalfNormal("tau", TAU_SCALE)
                moves = pm.Normal("log_hr_steps", 0.0, 1.0, shape=n_intervals - 1)
                log_hr_j = pm.Deterministic("log_hr_interval", log_hr + pt.concatenate(
                    [pt.zeros(1), pt.cumsum(tau * moves)]))
            else:
                log_hr_j = pt.stack([log_hr])
            if not n_covariates:
                xb = pt.zeros_like(d["trt"])
            pm.CustomDist("time", alpha, log_hr_j, d["trt"], xb, d["exposure"], d["interval"],
                          d["edges"], d["event"], d["w"],
                          logp=make_piecewise_logp(time_varying), random=piecewise_random,
                          signature="(j),(h),(n),(n),(n,j),(n,j),(c),(n),(n)->(n)",
                          observed=d["t_obs"])
    return m
