"""The ArviZ groups of a fit besides its posterior: ``log_likelihood``, ``posterior_predictive``,
``observed_data``, ``constant_data`` and ``log_prior``.

Everything is evaluated with the model's own code, vectorised over draws:

- the pointwise log-likelihood and the event-time generator are the observed variable's
  ``logp`` and ``random`` of :mod:`bayeshcc.bayes.likelihood` (the functions the PyMC model's
  ``pm.CustomDist`` uses), compiled once per model type (numba, as the sampler) for a chunk of
  draws at a time (the one-draw graph vectorised over draws by PyTensor); the only thing
  assembled here is each patient's linear predictor from the posterior's parameters, because a
  calibrated posterior (:mod:`bayeshcc.bayes.calibration`) keeps ``alpha`` but not the random
  walk's increments it came from, so the PyMC graph's own inputs cannot be used for it;
- the log prior density of each free variable (the ``log_prior`` group that ArviZ's
  power-scaling sensitivity check ``psense`` reads, Kallioinen et al. 2023) is the PyMC
  model's ``logp`` of its free variables, compiled once per structure (vectorised over draws
  the same way). A calibrated posterior has no ``log_prior`` group: its draws are not a
  posterior of that prior.

Posterior predictive draws are latent event times in the data's time unit (uncensored: the
observed data's Kaplan-Meier estimates their survival curve, which is what
``arviz_plots.plot_ppc_censored`` compares), and ``constant_data["time"]`` holds the observed
event indicator under the observed variable's name, as ArviZ's Kaplan-Meier expects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from bayeshcc.bayes.families import get_family

# Pointwise values (log-likelihood, predictive draws) are draws x N floats each: kept up to
# 20 million values (160 MB); large registries get no LOO / predictive groups rather than
# gigabytes of memory.
MAX_POINTWISE_VALUES = 20_000_000

# draws x N values per call of the batched log-likelihood and log prior: at N = 3 000 chunks
# of 250 000 values were 3x slower than the per-draw calls, chunks of 65 536 2x faster
_CHUNK = 65_536

_LIKELIHOOD: dict[tuple, Any] = {}
_PRIOR: dict[tuple, Any] = {}


def _likelihood_function(model: str, time_varying: bool, batched: bool = True):
    """Compiled (numba) function: parameters and data -> (pointwise log-likelihood, linear
    predictor). ``batched``: the parameters have a leading axis of draws and so have the
    outputs (draws x N): the same graph vectorised over draws
    (:func:`pytensor.graph.replace.vectorize_graph`), with the covariate term :math:`X\\beta`
    of all draws one matrix product (vectorised, the matrix-vector product would be a loop
    over draws). Otherwise one draw per call. The family supplies the graph
    (:meth:`bayeshcc.bayes.families.base.Family.likelihood_graph`). Cached per model type."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.replace import vectorize_graph

    key = (model, time_varying, batched)
    if key in _LIKELIHOOD:
        return _LIKELIHOOD[key]
    beta, X, trt = pt.vector("beta"), pt.matrix("X"), pt.vector("trt")
    event, w, t_obs = pt.vector("event"), pt.vector("w"), pt.vector("t_obs")
    xb = pt.dot(X, beta)
    params, data, outputs = get_family(model).likelihood_graph(
        {"beta": beta, "X": X, "trt": trt, "event": event, "w": w, "t_obs": t_obs, "xb": xb},
        time_varying)
    if batched:
        draws = {p: pt.tensor(f"{p.name}_draws", shape=(None, *p.type.shape), dtype=p.dtype)
                 for p in params}
        outputs = vectorize_graph(outputs, {**draws, xb: pt.dot(draws[beta], X.T)})
        params = [draws[p] for p in params]
    fn = pytensor.function([*params, *data], outputs, mode="NUMBA", on_unused_input="ignore")
    _LIKELIHOOD[key] = fn
    return fn


def _parameters(fit, draws: dict) -> list[np.ndarray]:
    """Per-draw parameter arrays in the order of :func:`_likelihood_function`'s inputs."""
    n_draws = draws["log_hr"].shape[0]
    k = fit.data.X.shape[1]
    beta = draws["beta"] if k else np.zeros((n_draws, 0))
    return get_family(fit.model).likelihood_parameters(draws, beta)


def pointwise(fit, values: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-likelihood (draws x N) and each draw's linear predictor (draws x N; as the
    family's generator takes it, e.g. the covariate part only for the piecewise model).
    ``values``: the fit's model data (:func:`bayeshcc.bayes.models.data_values`), rebuilt from
    the fit when not given."""
    from bayeshcc.bayes.models import data_values

    d = fit.data
    if values is None:
        values = data_values(fit.model, d, fit.prior, fit.cuts)
    time_varying = "log_hr_interval" in fit.posterior["posterior"]
    fn = _likelihood_function(fit.model, time_varying)
    draws = fit.draws()
    params = _parameters(fit, draws)
    X = d.X if d.X.shape[1] else np.zeros((d.time.size, 0))
    data = get_family(fit.model).likelihood_data(values, d, X)
    n_draws = params[0].shape[0]
    loglik = np.empty((n_draws, d.time.size))
    linear = np.empty((n_draws, d.time.size))
    # C-contiguous arrays only: numba compiles the function again for each new memory layout
    # (a calibrated posterior's parameters are strided views)
    data = [np.ascontiguousarray(a, dtype=float) for a in data]
    step = max(1, _CHUNK // d.time.size)     # draws per call: the graph's temporaries are chunks
    # X beta of a chunk is a small matrix product: threaded BLAS waited for busy cores (12 ms a
    # call instead of 0.3 ms at N = 3 000 with the other core loaded)
    with threadpool_limits(limits=1, user_api="blas"):
        for i in range(0, n_draws, step):
            loglik[i:i + step], linear[i:i + step] = fn(
                *[np.ascontiguousarray(p[i:i + step], dtype=float) for p in params], *data)
    return loglik, linear


def predictive_times(fit, linear: np.ndarray, seed: int) -> np.ndarray:
    """Latent event times (draws x N, data's time unit) from the model's generator."""
    rng = np.random.default_rng(seed)
    draws = fit.draws()
    # in chunks of draws, filled in order: the same random stream as one call, without the
    # generator's draws x N (x J) temporaries for every draw at once
    out = get_family(fit.model).predictive_times(draws, linear, fit.data, fit.cuts, rng)
    out *= fit.data.time_scale
    return out


def _prior_function(structure: tuple, values: dict, batched: bool = True):
    """Compiled log prior density of each free variable (PyMC model's own logp), per structure;
    returns (function, model). ``batched``: every value variable has a leading axis of draws,
    and so has every term (the model's logp graph vectorised over draws,
    :func:`pytensor.graph.replace.vectorize_graph`); otherwise one draw per call."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.replace import vectorize_graph

    from bayeshcc.bayes.models import build_model

    key = (*structure, batched)
    if key not in _PRIOR:
        model, k, j, time_varying = structure
        m = build_model(model, values, k, j, time_varying)
        terms = m.logp(vars=m.free_RVs, sum=False, jacobian=False)
        inputs = m.value_vars
        if batched:
            inputs = [pt.tensor(f"{v.name}_draws", shape=(None, *v.type.shape), dtype=v.dtype)
                      for v in m.value_vars]
            terms = vectorize_graph(terms, dict(zip(m.value_vars, inputs)))
        fn = pytensor.function(inputs, terms, mode="NUMBA", on_unused_input="ignore")
        _PRIOR[key] = (fn, m)
    return _PRIOR[key]


def log_prior(fit, structure: tuple, values: dict) -> xr.Dataset | None:
    """``log_prior`` group: log prior density of each free variable per draw (None when the
    posterior lacks a free variable, e.g. after calibration)."""
    import pymc as pm

    fn, m = _prior_function(structure, values)
    post = fit.posterior["posterior"]
    hyper = {k: values[k] for k in ("log_hr_weights", "log_hr_means", "log_hr_sds",
                                     "rate_center", "rate_sd", "coef_sd") if k in values}
    pm.set_data(hyper, model=m)
    k_true = fit.data.X.shape[1]
    args = []
    for value in m.value_vars:
        rv = m.values_to_rvs[value]
        if rv.name not in post:
            if rv.name == "beta" and k_true == 0:
                args.append(None)
                continue
            return None
        draws = post[rv.name].values
        if rv.name == "beta":  # padded columns: their coefficients only see the prior
            width = value.type.shape[-1] or values["X"].shape[1]
            pad = np.zeros(draws.shape[:2] + (width - draws.shape[-1],))
            draws = np.concatenate([draws, pad], axis=-1)
        transform = m.rvs_to_transforms.get(rv)
        if transform is not None:
            draws = np.log(draws)  # the only transform here: HalfNormal scales (log)
        args.append(draws)
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    if any(a is None for a in args):
        width = values["X"].shape[1]
        args = [np.zeros((n_chain, n_draw, width)) if a is None else a for a in args]
    names = [m.values_to_rvs[v].name for v in m.value_vars]
    # a term's shape is its variable's batch shape: a vector-support prior (alpha) has one term;
    # in chunks of draws over chains and draws flattened
    flat = [np.ascontiguousarray(a, dtype=float).reshape((n_chain * n_draw,) + a.shape[2:])
            for a in args]                             # one memory layout: one numba compile
    step = max(1, _CHUNK // max(a[0].size for a in flat))
    chunks = [fn(*[a[i:i + step] for a in flat]) for i in range(0, n_chain * n_draw, step)]
    out = {name: np.concatenate([c[t] for c in chunks]).reshape(
               (n_chain, n_draw) + np.shape(chunks[0][t])[1:]) for t, name in enumerate(names)}
    if "beta" in out:
        out["beta"] = out["beta"][..., :k_true]
        if not k_true:
            del out["beta"]
    coords = {"chain": post.chain.values, "draw": post.draw.values}
    return xr.Dataset({name: (("chain", "draw") + tuple(f"{name}_dim_{i}" for i in range(v.ndim - 2)),
                              v) for name, v in out.items()}, coords=coords)


WEIGHTS_DESCRIPTION = ("the weights the likelihood used: weights_raw rescaled to sum to their "
                       "Kish effective sample size (sum w)^2 / sum w^2")
RAW_WEIGHTS_DESCRIPTION = ("the weights as given to the fit (ATE, ATT or overlap weights, "
                           "frequency weights; 1 when unweighted)")


def add_model_groups(fit, structure: tuple | None = None, values: dict | None = None,
                     predictive_seed: int | None = None) -> None:
    """Add ``log_likelihood``, ``posterior_predictive``, ``observed_data``, ``constant_data``
    (and ``log_prior`` when ``structure`` and ``values`` are given and the posterior has every
    free variable) to ``fit.posterior`` in place. Pointwise groups are left out beyond
    :data:`MAX_POINTWISE_VALUES`."""
    post = fit.posterior["posterior"]
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    d = fit.data
    coords = {"chain": post.chain.values, "draw": post.draw.values}
    dims = ("chain", "draw", "patient")
    for group in ("log_likelihood", "posterior_predictive", "log_prior"):
        if group in fit.posterior.children:
            del fit.posterior[group]
    fit.posterior["observed_data"] = xr.DataTree(xr.Dataset({"time": (("patient",), d.time)}))
    raw = d.weights if d.raw_weights is None else d.raw_weights
    fit.posterior["constant_data"] = xr.DataTree(xr.Dataset({
        "time": (("patient",), d.event), "treated": (("patient",), d.treated),
        "weights": (("patient",), d.weights, {"description": WEIGHTS_DESCRIPTION}),
        "weights_raw": (("patient",), np.asarray(raw, dtype=float),
                        {"description": RAW_WEIGHTS_DESCRIPTION})}))
    if n_chain * n_draw * d.time.size <= MAX_POINTWISE_VALUES:
        loglik, linear = pointwise(fit, values)
        fit.posterior["log_likelihood"] = xr.DataTree(xr.Dataset(
            {"time": (dims, loglik.reshape(n_chain, n_draw, -1))}, coords=coords))
        times = predictive_times(fit, linear, fit.seed if predictive_seed is None
                                 else predictive_seed)
        fit.posterior["posterior_predictive"] = xr.DataTree(xr.Dataset(
            {"time": (dims, times.reshape(n_chain, n_draw, -1))}, coords=coords))
    if structure is not None and values is not None:
        prior = log_prior(fit, structure, values)
        if prior is not None:
            fit.posterior["log_prior"] = xr.DataTree(prior)
