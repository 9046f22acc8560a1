"""Fitting: one compiled model per structure, re-used with new data, priors and seeds.

The sampler is nutpie (NUTS, compiled with numba) on the PyMC model. A compiled model is cached
by its structure (model type, number of covariates, intervals, time-varying effect); a new fit
only swaps the ``pm.Data`` values (``CompiledModel.with_data``), so compilation is paid once per
structure in a process, and once per structure and machine when the on-disk cache
(:mod:`bayeshcc.bayes.compile_cache`, ``BAYESHCC_CACHE_DIR``) is on.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from bayeshcc.bayes.data import SurvivalData, prepare
from bayeshcc.bayes.families import FAMILIES, get_family
from bayeshcc.bayes.groups import add_model_groups
from bayeshcc.bayes.models import build_model, data_values
from bayeshcc.bayes.sampler import sample
from bayeshcc.bayes.priors import Prior
from bayeshcc.bayes.stopping import RULES, mark, sample_until_ess
from bayeshcc.errors import AnalysisError

_COMPILED: dict[tuple, Any] = {}
MODELS = tuple(FAMILIES)
# Each family's NUTS target acceptance (bayeshcc.bayes.families); the time-varying log HR's walk
# (tau * u_j, non-centred) has a funnel at small tau and keeps 0.99.
TARGET_ACCEPT = {name: family.target_accept for name, family in FAMILIES.items()}
TIME_VARYING_TARGET_ACCEPT = 0.99

# Compiled models carry covariates in blocks of this many columns; a fit with fewer fills the
# rest with zero columns, whose coefficients only see their prior and are dropped from the
# posterior. Unadjusted fits and covariate sets of 1-4 terms then share one compiled model per
# model type: ``reproduce`` compiles 2 models instead of 6 (numba compilation is ~6 s each).
COVARIATE_BLOCK = 4


ATTR_BASELINE_PRIOR = "baseline_prior"  # [mean, sd] of log_rate (Weibull) or alpha_1 (piecewise)


def compiled_columns(k: int) -> int:
    """Covariate columns of the compiled model that serves a fit with ``k`` covariates."""
    return COVARIATE_BLOCK * max(1, -(-k // COVARIATE_BLOCK))


def _pad_covariates(values: dict, data: SurvivalData, prior: Prior, columns: int) -> dict:
    """``values`` with ``X`` widened by zero columns to ``columns``."""
    n, k = data.X.shape
    return {**values, "X": np.hstack([data.X, np.zeros((n, columns - k))]),
            "coef_sd": prior.coef_sd}


def _drop_padding(tree, k: int):
    """The posterior without the coefficients of the zero columns."""
    posterior = tree["posterior"].to_dataset()
    posterior = (posterior.isel(beta_dim_0=slice(0, k)) if k
                 else posterior.drop_vars("beta").drop_dims("beta_dim_0"))
    tree["posterior"] = xr.DataTree(posterior)
    return tree


def adaptation(model: str) -> str:
    """nutpie's mass-matrix adaptation for a model (its family's, see TARGET_ACCEPT)."""
    return get_family(model).adaptation


def target_accept(model: str, time_varying: bool = False) -> float:
    """NUTS target acceptance of a fit (see TARGET_ACCEPT)."""
    return TIME_VARYING_TARGET_ACCEPT if time_varying else TARGET_ACCEPT[model]


@dataclass(frozen=True)
class BayesFit:
    """A fitted model: its posterior (an ArviZ DataTree) and what produced it."""

    model: str
    prior: Prior
    data: SurvivalData
    posterior: Any
    cuts: np.ndarray | None
    seed: int
    timings: dict = field(default_factory=dict)

    def draws(self, max_draws: int | None = None) -> dict[str, np.ndarray]:
        """Posterior draws per variable, chains stacked (first axis), optionally thinned."""
        post = self.posterior["posterior"]
        out = {}
        for name in post.data_vars:
            values = post[name].values
            out[name] = values.reshape((-1,) + values.shape[2:])
        n = out["log_hr"].shape[0]
        if max_draws and n > max_draws:
            keep = np.linspace(0, n - 1, max_draws).round().astype(int)
            out = {k: v[keep] for k, v in out.items()}
        return out


def _compiled(key: tuple, model: str, values: dict, k: int, j: int, time_varying: bool):
    from bayeshcc.bayes.nutpie_model import compile_pymc_cached

    if key not in _COMPILED:
        # Compiled from the first two patients and then given the data like any re-used model:
        # numba embeds the data a model is compiled with in its machine code (large arrays only
        # by address, which cannot be cached on disk), and the draws do not depend on it.
        n = len(values["event"])
        pm_model = build_model(model, {name: (value[:2] if np.ndim(value) and len(value) == n
                                              else value) for name, value in values.items()},
                               k, j, time_varying)
        # Start values that do not depend on the data the model was first compiled with: the
        # initial-point function is compiled once and does not see ``with_data`` updates, so a
        # data-dependent start would make draws depend on which fit compiled the model.
        start = {"log_hr": 0.0, **get_family(model).start_values(j)}
        compiled, source = compile_pymc_cached(key, pm_model, start)
        _COMPILED[key] = _with_data(compiled, values)
        return _COMPILED[key], source
    return _with_data(_COMPILED[key], values), "memory"


def _check_time_varying(model: str, prior, time_varying: bool) -> None:
    """Refuse a time-varying fit of a family with a constant log HR, or with a curve prior."""
    from bayeshcc.bayes.commensurate import CurvePrior

    if time_varying and not get_family(model).time_varying:
        with_it = [name for name, f in FAMILIES.items() if f.time_varying]
        raise AnalysisError(f"model {model!r} has a constant log HR: time_varying=True needs "
                            f"one of {with_it}")
    if time_varying and isinstance(prior, CurvePrior):
        raise AnalysisError(f"prior {prior.name!r} borrows the baseline from a curve: "
                            "the log HR is constant (no time-varying effect)")


def _structure(model: str, time, event, treated, X, covariate_names, weights, prior: Prior,
               cutpoints, intervals: int, time_varying: bool, time_scale, baseline_prior):
    """A fit's prepared data, cut points, model data (``pm.Data`` values, covariates padded to
    the compiled width) and the key of the compiled model that serves it, ``(model, covariate
    columns, intervals, time_varying)``. Shared by :func:`fit_survival_model` and
    :func:`compile_fit`, so warming a structure up compiles the one a fit then looks up."""
    data = prepare(time, event, treated, X, covariate_names, weights, time_scale)
    cuts = get_family(model).cutpoints(cutpoints, data, intervals)
    j = 1 if cuts is None else len(cuts) + 1
    columns = compiled_columns(data.X.shape[1])
    values = _pad_covariates(data_values(model, data, prior, cuts, baseline_prior), data, prior,
                             columns)
    return data, cuts, values, (model, columns, j, bool(time_varying))


@dataclass(frozen=True)
class Compiled:
    """What :func:`compile_fit` did for one compiled model: its ``key`` (the structure),
    where its machine code came from (``source``: ``"memory"``, ``"disk"``, ``"compiled"`` or
    ``"uncached"``, as a fit records it in ``timings["compile_cache"]``), and the seconds spent on
    the sampler's model and on the PyTensor functions of the fit's other groups."""

    key: tuple
    source: str
    model_s: float
    groups_s: float
    before: str = ""  # the cache's entry before (compile_cache.entry_state), "" if in memory


def compile_fit(model: str, time, event, treated, X=None, covariate_names=(), weights=None,
                prior: Prior | None = None, cutpoints=None, intervals: int = 6,
                time_varying: bool = False, time_scale: float | None = None,
                baseline_prior: tuple[float, float] | None = None,
                model_groups: bool = True) -> Compiled:
    """Compile everything :func:`fit_survival_model` with these arguments would compile, and
    sample nothing: the sampler's model of the fit's structure (kept in this process and in the
    on-disk cache, :mod:`bayeshcc.bayes.compile_cache`) and the functions of its log-likelihood,
    predictive and log-prior groups (:func:`bayeshcc.bayes.groups.add_model_groups`, run on a
    two-draw stand-in posterior, :func:`_stand_in_posterior`: numba compiles a PyTensor
    function at its first call, and PyTensor then keeps the code in its compile folder). Used
    by :mod:`bayeshcc.warmup`.

    The structure is derived by the code the fit uses (:func:`_structure`), so a fit with the
    same arguments finds it (``timings["compile_cache"]``: ``"memory"`` in this process,
    ``"disk"`` in another)."""
    from bayeshcc.bayes.commensurate import CurvePrior, compile_curve
    from bayeshcc.bayes.compile_cache import entry_state
    from bayeshcc.bayes.priors import BUILT_IN

    get_family(model)  # an unknown model is refused as a fit refuses it
    _check_time_varying(model, prior, time_varying)
    if isinstance(prior, CurvePrior):
        return compile_curve(model, time, event, treated, X, covariate_names, weights, prior,
                             cutpoints, intervals, time_scale)
    prior = prior or BUILT_IN["weakly_informative"]
    data, cuts, values, key = _structure(model, time, event, treated, X, covariate_names,
                                         weights, prior, cutpoints, intervals, time_varying,
                                         time_scale, baseline_prior)
    before = "" if key in _COMPILED else entry_state(key)
    start = _time.perf_counter()
    compiled, source = _compiled(key, model, values, key[1], key[2], time_varying)
    model_s = _time.perf_counter() - start
    start = _time.perf_counter()
    tree = get_family(model).complete_posterior(_stand_in_posterior(compiled,
                                                                    data.X.shape[1]), 0)
    stand_in = BayesFit(model, prior, data, tree, cuts, 0)
    with np.errstate(all="ignore"):  # the stand-in's values are not a posterior's
        add_model_groups(stand_in, structure=key if model_groups else None, values=values)
    return Compiled(key, source, model_s, _time.perf_counter() - start, before)


def _stand_in_posterior(compiled, k: int):
    """A posterior tree shaped as the sampler's for ``compiled`` (its traced variables, one
    chain of two draws, every value 0.5) without the padded covariates' coefficients: what
    :func:`compile_fit` runs the groups' functions on. Only the arrays' types and memory layout
    decide what numba compiles, and they are those of a sampled posterior."""
    names, _, shapes = compiled.shape_info
    variables, coords = {}, {"chain": [0], "draw": [0, 1]}
    for name, shape in zip(names, shapes):
        shape = tuple(int(s) for s in shape)
        dims = tuple(f"{name}_dim_{i}" for i in range(len(shape)))
        coords.update({dim: np.arange(size) for dim, size in zip(dims, shape)})
        variables[name] = (("chain", "draw") + dims, np.full((1, 2) + shape, 0.5))
    posterior = xr.Dataset(variables, coords=coords)
    return _drop_padding(xr.DataTree.from_dict({"posterior": posterior}), k)


def _with_data(compiled, values: dict):
    """``compiled`` with the data the log density reads: the observed times (and the piecewise
    cut points) enter it through arrays computed from them, and only the generator uses them."""
    known = {var.name for var in compiled.shared_var_keys}
    return compiled.with_data(**{k: v for k, v in values.items() if k in known})


def fit_survival_model(model: str, time, event, treated, X=None, covariate_names=(),
                       weights=None, prior: Prior | None = None, draws: int = 1000,
                       tune: int = 1000, chains: int = 4, seed: int = 1,
                       cutpoints=None, intervals: int = 6, time_varying: bool = False,
                       time_scale: float | None = None,
                       baseline_prior: tuple[float, float] | None = None,
                       draws_rule: str = "fixed", model_groups: bool = True) -> BayesFit:
    """Fit a Weibull PH, piecewise-exponential or M-spline PH model and return its posterior.

    Parameters
    ----------
    model : {"weibull", "piecewise", "mspline"}
    time, event, treated : array_like
        Follow-up (> 0), 1 = event, 1 = treated arm.
    X : array_like, optional
        Covariates (N x K), original scale; standardised internally.
    covariate_names : sequence of str
    weights : array_like, optional
        Analysis weights (normalised to sum to the Kish ESS, see :mod:`bayeshcc.bayes.data`).
    prior : Prior, default ``weakly_informative``
    draws, tune, chains, seed : int
        Sampler settings; the same seed gives identical draws.
    cutpoints : array_like, optional
        Piecewise interior cut points (original time unit); default: quantiles of event times
        for ``intervals`` intervals. M-spline: the interior knots followed by the boundary
        knot, beyond which the hazard is constant; default: ``intervals - 4`` interior knots
        at event-time quantiles and the largest time
        (:mod:`bayeshcc.bayes.families.mspline`).
    intervals : int
        Piecewise: the number of intervals; M-spline: the number of basis functions (df, at
        least 4; the default 6 is ``rstanarm::stan_surv``'s).
    time_varying : bool
        Piecewise and M-spline: interval-specific log HR (random walk; the M-spline's on the
        intervals of its knots).
    time_scale : float, optional
        Unit of the internal time axis (default: the mean follow-up).
    baseline_prior : (mean, sd), optional
        Prior of the log baseline rate in that unit (default: log(events / exposure), 2). Fixed
        values make the prior independent of the data, as simulation-based calibration needs.
    draws_rule : {"fixed", "until_ess"}
        ``until_ess``: stop before ``draws`` once R-hat and bulk and tail ESS pass the
        convergence gate (:mod:`bayeshcc.bayes.stopping`; the draws are then the first ones of
        the fixed run with the same seed). Recorded in the posterior's attrs.
    model_groups : bool
        Add the log-likelihood, predictive and data groups (:mod:`bayeshcc.bayes.groups`);
        False when the draws are about to be transformed (calibration adds them after).

    Returns
    -------
    BayesFit
        A curve prior (:class:`~bayeshcc.bayes.commensurate.CurvePrior`) is fitted by
        :func:`~bayeshcc.bayes.commensurate.fit_with_curve`: its baseline borrows from the
        external reference arm (its commensurate prior replaces ``baseline_prior``).
    """
    from bayeshcc.bayes.commensurate import CurvePrior, fit_with_curve
    from bayeshcc.bayes.priors import BUILT_IN

    family = get_family(model)
    if draws_rule not in RULES:
        raise AnalysisError(f"draws_rule must be one of {RULES}, got {draws_rule!r}")
    _check_time_varying(model, prior, time_varying)
    if isinstance(prior, CurvePrior):  # its commensurate prior replaces ``baseline_prior``
        return fit_with_curve(model, time, event, treated, X, covariate_names, weights, prior,
                              draws, tune, chains, seed, cutpoints, intervals, time_scale)
    prior = prior or BUILT_IN["weakly_informative"]
    data, cuts, values, key = _structure(model, time, event, treated, X, covariate_names,
                                         weights, prior, cutpoints, intervals, time_varying,
                                         time_scale, baseline_prior)
    _, columns, j, _ = key
    k = data.X.shape[1]
    start = _time.perf_counter()
    compiled, source = _compiled(key, model, values, columns, j, time_varying)
    fresh = source != "memory"
    compile_s = _time.perf_counter() - start
    start = _time.perf_counter()
    # nutpie runs one thread per chain; multi-threaded BLAS inside each log-density call would
    # oversubscribe the cores (N = 200 000 Weibull: 3.4x slower), so BLAS gets one thread.
    settings = dict(tune=tune, chains=chains, cores=chains, seed=int(seed),
                    target_accept=target_accept(model, time_varying),
                    adaptation=adaptation(model))
    with threadpool_limits(limits=1, user_api="blas"):
        if draws_rule == "until_ess":
            tree, _ = sample_until_ess(compiled, draws=draws, beta_columns=k, **settings)
        else:
            tree = sample(compiled, draws=draws, progress_bar=False, save_warmup=False,
                          **settings)
    sample_s = _time.perf_counter() - start
    tree = _drop_padding(tree, k)
    tree = family.complete_posterior(tree, seed)
    mark(tree, draws_rule, draws)
    # the baseline prior's centre and SD (log_rate or alpha_1), for the calibration's Gaussian
    # form of the prior (bayeshcc.bayes.calibration)
    tree["posterior"].attrs = {**tree["posterior"].attrs, ATTR_BASELINE_PRIOR: [
        float(values["rate_center"]), float(values["rate_sd"])], **family.describe(cuts)}
    fit = BayesFit(model, prior, data, tree, cuts, int(seed),
                   {"compile_s": compile_s if fresh else 0.0, "reuse": not fresh,
                    "with_data_s": 0.0 if fresh else compile_s, "sample_s": sample_s,
                    # machine code: "memory" (this process), "disk" (loaded from the cache),
                    # "compiled" (and cached) or "uncached" (cache off or not writable)
                    "compile_cache": source})
    if model_groups:
        add_model_groups(fit, structure=key, values=values)
    return fit


def _add_log_likelihood(fit: BayesFit) -> None:
    """Recompute the groups that depend on the draws (``log_likelihood``,
    ``posterior_predictive``) after the draws were transformed (calibration); ``log_prior`` is
    dropped (:mod:`bayeshcc.bayes.groups`)."""
    add_model_groups(fit)
