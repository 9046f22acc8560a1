"""Borrowing from a published Kaplan-Meier curve: a commensurate prior on the reference arm's
baseline hazard.

A ``[priors.NAME] type = "curve"`` prior brings in individual patient data reconstructed from a
published Kaplan-Meier curve of the reference treatment (``bayeshcc reconstruct``, Guyot et al.
2012) and lets the cohort's reference-arm baseline hazard borrow from it as much as the two
agree (Hobbs, Carlin, Mandrekar & Sargent 2011, Biometrics 67:1047; Hobbs, Sargent & Carlin
2012, Bayesian Analysis 7:639). The treatment effect is estimated from the cohort alone.

Model
-----
The external arm has its own baseline parameters :math:`\\theta_0` of the same family as the
cohort's model, fitted to its reconstructed patients through a power prior (Ibrahim & Chen
2000) with discount :math:`a_0 \\in (0, 1]` (``discount``, default 0.5): each external patient's
log-likelihood counts :math:`a_0` times, which widens what the curve says to acknowledge
reconstruction error (digitising, the Guyot algorithm's censoring guesses) before any
commensurability question is asked.

- Weibull: :math:`\\theta_0 = (\\log\\lambda_0, \\log k_0)` (``log_rate_ext``, ``log_shape_ext``),
  priors ``log_shape_ext ~ N(0, 0.5)``, ``log_rate_ext ~ N(log(events / exposure), 2)`` of the
  external data, as the cohort model's own baseline priors (:mod:`bayeshcc.bayes.families.weibull`).
- Piecewise exponential: :math:`\\theta_0 = (\\alpha_{0,1}, \\dots, \\alpha_{0,J})`
  (``alpha_ext``) on the cohort's cut points, a non-centred Gaussian random walk
  (``alpha_ext_first ~ N(log(events / exposure), 2)``, ``sigma_ext ~ HalfNormal(0.5)``: the
  cohort model's walk before its SD was integrated out, :mod:`bayeshcc.bayes.families.piecewise`).

The cohort's baseline parameters :math:`\\theta` (``log_rate``, ``log_shape``; or ``alpha``) get
the commensurate prior

.. math:: \\theta_m \\mid \\theta_{0,m}, \\eta \\sim N(\\theta_{0,m}, \\eta), \\qquad
          \\log \\eta \\sim N(\\log 0.22, 1.6),

with one commensurability SD :math:`\\eta` (``commensurate_sd``, the inverse square root of
Hobbs et al.'s precision :math:`\\tau`) shared by the baseline parameters. The cohort
likelihood is the usual one (the fit's weights and covariates, the log HR ``log_hr`` and
coefficients ``beta`` with the prior's Normal priors); the treatment effect is not borrowed.
Small :math:`\\eta` means the cohort's baseline is pulled onto the external one
(commensurate); large :math:`\\eta` leaves it to the cohort's own data.

Why a log-normal on :math:`\\eta`: with a single external source the data see :math:`\\eta` only
through the distance between the two baselines, so a prior that is flat near zero on the SD
scale (half-normal, half-Cauchy) cannot favour strong borrowing when the two agree: every
:math:`\\eta` below the estimation error fits equally well and the prior's mass there is small.
Hobbs et al. (2012) use a spike-and-slab prior on :math:`\\tau` for this reason. The log-normal
is its smooth, unbounded analogue: roughly equal weight per decade from near-complete pooling
(:math:`\\eta = 0.01`: the log baseline within about 0.02 of the external one) to none
(:math:`\\eta = 5`, vaguer than the cohort model's own N(., 2) baseline prior); its 95 % prior
interval is [0.01, 5]. Agreement then lets the posterior sit at small :math:`\\eta`, conflict
pushes it up to the size of the disagreement, and the sampler needs no bounds or mixture.

Sampling: the deviation :math:`\\delta = \\theta - \\theta_0 \\sim N(0, \\eta)` is partially
non-centred (Papaspiliopoulos, Roberts & Skold 2007, Statistical Science 22:59):
:math:`\\delta = \\eta^{1-c} u`, :math:`u \\sim N(0, \\eta^{c})` (``commensurate_u``) with
:math:`c = \\eta^2 / (\\eta^2 + s^2)` and :math:`s` = 1 / sqrt(the cohort's weighted
reference-arm events; in each interval for the piecewise model), the order of the cohort's
standard error of the parameter. For every
:math:`\\eta` the map from :math:`u` to :math:`\\delta` is linear and :math:`u` has the implied
prior, so the model is exactly the one above. Small :math:`\\eta` (agreement) gives the
non-centred form and large :math:`\\eta` (conflict) the centred one. In simulations (Weibull,
target acceptance 0.9, three seeds each) a plain non-centred :math:`\\delta = \\eta z` met a
curved ridge when the two data sets disagreed (up to R-hat 1.33 and 258 divergences) and the
centred form a funnel when they agreed (57-92 divergences); the partial form had none in
either, nor did the piecewise model (target acceptance 0.99).

Assumptions: the external arm received the same reference treatment, times are in the cohort's
time unit, and the baselines are exchangeable up to :math:`\\eta` (with covariates, the cohort's
baseline is that of a patient at the covariates' means, the external one is marginal:
:math:`\\eta` absorbs the difference). The external population may differ; that is what
estimating :math:`\\eta` is for. The fit returns an ordinary
:class:`~bayeshcc.bayes.fit.BayesFit`: ``log_hr``, ``log_rate``/``log_shape``/``shape`` or
``alpha`` are the cohort's, so tables, contrasts and LOO (cohort patients only) work unchanged;
the posterior adds ``commensurate_sd``, ``commensurate_u`` and the external parameters, and the
``log_prior`` group holds every free variable's prior density, external ones included.

In a spec: ``[priors.NAME] type = "curve"`` (:func:`curve_prior`); the grid fits it like any
prior (:func:`bayeshcc.bayes.fit.fit_survival_model` hands a :class:`CurvePrior` to
:func:`fit_with_curve`), and ``posterior_hr.csv`` gains ``commensurate_sd``
(:func:`borrowing_columns`). ``prior_predictive.csv`` shows the prior's log HR with the default
baseline prior, not the borrowed one.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

# PyMC and the models are imported where a model is built: reading a spec with a curve prior
# (bayeshcc.spec) loads this module and should not load PyMC.
from bayeshcc.bayes.data import SurvivalData, prepare
from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.priors import CLINICAL_HR, Prior, built_in_priors, describe
from bayeshcc.errors import AnalysisError, SpecError
from bayeshcc.external_ipd import read_external_arm

# log(commensurate_sd) ~ N(ETA_LOG_MEAN, ETA_LOG_SD): 95 % prior interval [0.01, 5].
ETA_LOWER, ETA_UPPER = 0.01, 5.0
ETA_LOG_MEAN = 0.5 * (math.log(ETA_LOWER) + math.log(ETA_UPPER))
ETA_LOG_SD = (math.log(ETA_UPPER) - math.log(ETA_LOWER)) / (2 * 1.959963984540054)
DEFAULT_DISCOUNT = 0.5
DEFAULT_LOG_HR = "weakly_informative"

# pm.Data with one row per patient (cohort or external) besides the family's own
# (Family.patient_data): cut to two rows to compile a model
PER_PATIENT = frozenset({"t_obs", "event", "trt", "w", "X", "t_ext", "event_ext", "w_ext"})
CURVE_KEYS = frozenset({"type", "ipd", "arm", "outcomes", "discount", "log_hr", "log_hr_mean",
                        "log_hr_sd", "coef_sd", "description"})


@dataclass(frozen=True)
class CurvePrior(Prior):
    """A :class:`~bayeshcc.bayes.priors.Prior` on the log HR plus external reference-arm data
    that the baseline hazard borrows from through a commensurate prior (module docstring).

    Attributes
    ----------
    ipd : str
        The reconstructed IPD file the data came from ("" when given as arrays).
    arm : str
        The arm of that file borrowed from.
    discount : float
        Power-prior exponent :math:`a_0 \\in (0, 1]` on the external likelihood.
    external_time, external_event : numpy.ndarray
        The external patients' times (the cohort's time unit, > 0) and event indicators.
    """

    ipd: str = ""
    arm: str = ""
    discount: float = DEFAULT_DISCOUNT
    external_time: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                      repr=False)
    external_event: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                       repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0 < self.discount <= 1):
            raise SpecError(f"priors.{self.name}.discount must be in (0, 1], got "
                            f"{self.discount}")
        t = np.asarray(self.external_time, dtype=float)
        d = np.asarray(self.external_event, dtype=float)
        if t.size == 0 or t.shape != d.shape:
            raise SpecError(f"prior {self.name!r}: external times and events must be non-empty "
                            "arrays of one length")
        if not np.all(np.isfinite(t)) or np.any(t <= 0):
            raise SpecError(f"prior {self.name!r}: external times must be positive and finite")
        if not np.all(np.isin(d, (0.0, 1.0))) or d.sum() == 0:
            raise SpecError(f"prior {self.name!r}: external events must be 0/1 with at least "
                            "one event")
        object.__setattr__(self, "external_time", t)
        object.__setattr__(self, "external_event", d)


def curve_prior(name: str, table: Mapping[str, Any], clinical_hr: float = CLINICAL_HR,
                reference: Any = None) -> CurvePrior:
    """The curve prior of a spec's ``[priors.NAME]`` table (``type = "curve"``).

    Parameters
    ----------
    name : str
        The prior's name.
    table : mapping
        ``ipd`` (reconstructed IPD CSV; relative paths are resolved by
        :func:`bayeshcc.external_ipd.absolute_ipd`
        when the spec is read), ``arm`` (the arm borrowed from: the spec's reference arm),
        ``discount`` (default 0.5), ``outcomes``, and the log HR prior: ``log_hr`` (a built-in
        prior's name, default ``weakly_informative``) or ``log_hr_mean`` / ``log_hr_sd``;
        ``coef_sd`` (default 1), ``description``.
    clinical_hr : float
        For the description's tail probabilities.
    reference : str or int, optional
        The spec's ``[data] reference``; when given, ``arm`` must be it.

    Returns
    -------
    CurvePrior

    Raises
    ------
    SpecError
        A missing or unknown key, an arm that is not the reference arm or not in the file, a
        missing or unreadable file, or a discount outside (0, 1]; the message names the key.
    """
    unknown = sorted(set(table) - CURVE_KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in [priors.{name}] (type = \"curve\"); "
                        f"valid keys are: {', '.join(sorted(CURVE_KEYS))}")
    for key in ("ipd", "arm"):
        if key not in table:
            raise SpecError(f"[priors.{name}] (type = \"curve\") needs {key!r}: "
                            + ("the reconstructed IPD file (arm,time,event)" if key == "ipd"
                               else "the arm of that file to borrow from (the reference arm)"))
    arm = str(table["arm"])
    if reference is not None and arm != str(reference):
        raise SpecError(f"priors.{name}.arm = {arm!r} is not the spec's reference arm; a curve "
                        f"prior borrows the reference arm's baseline hazard: valid arm: "
                        f"{str(reference)!r} (data.reference)")
    try:
        discount = float(table.get("discount", DEFAULT_DISCOUNT))
    except (TypeError, ValueError):
        raise SpecError(f"priors.{name}.discount must be a number in (0, 1], got "
                        f"{table['discount']!r}") from None
    if not (0 < discount <= 1):
        raise SpecError(f"priors.{name}.discount must be in (0, 1], got {discount:g}")
    if "log_hr" in table and ("log_hr_mean" in table or "log_hr_sd" in table):
        raise SpecError(f"[priors.{name}]: give either 'log_hr' (a built-in prior) or "
                        "'log_hr_mean' / 'log_hr_sd', not both")
    if "log_hr_mean" in table or "log_hr_sd" in table:
        mean, sd = float(table.get("log_hr_mean", 0.0)), float(table.get("log_hr_sd", 1.0))
        effect = describe(mean, sd, clinical_hr) if sd > 0 else ""
    else:
        built_in = built_in_priors(clinical_hr)
        choice = str(table.get("log_hr", DEFAULT_LOG_HR))
        if choice not in built_in:
            raise SpecError(f"priors.{name}.log_hr = {choice!r} is not a built-in prior: "
                            f"{', '.join(built_in)}")
        mean, sd = built_in[choice].log_hr_mean, built_in[choice].log_hr_sd
        effect = f"{choice}: {built_in[choice].description}"
    path = Path(str(table["ipd"])).expanduser()
    time, event = read_external_arm(name, path, arm)
    text = str(table.get("description", ""))
    summary = (f"baseline hazard of arm {arm} borrowed from {path.name} ({time.size} patients, "
               f"{int(event.sum())} events) by a commensurate prior, discount {discount:g}; "
               f"{effect}")
    return CurvePrior(name, mean, sd, float(table.get("coef_sd", 1.0)),
                      f"{text}: {summary}" if text else summary, ipd=str(path), arm=arm,
                      discount=discount, external_time=time, external_event=event)


# --- the model -------------------------------------------------------------------------------

def external_values(model: str, prior: CurvePrior, data: SurvivalData,
                    cuts: np.ndarray | None) -> dict:
    """The ``pm.Data`` values of the external arm, in the cohort's scaled time, and the scales
    ``s`` of the partial non-centring, one per baseline parameter: 1 / sqrt(the cohort's
    weighted reference-arm events; per interval for the piecewise model), the order of the
    cohort's standard error of that parameter."""
    t = prior.external_time / data.time_scale
    d = prior.external_event
    reference = data.treated == 0
    w_events = data.weights[reference] * data.event[reference]
    values = {"t_ext": t, "event_ext": d, "w_ext": np.full(t.size, prior.discount),
              "rate_center_ext": float(np.log(d.sum() / t.sum()))}
    own, events = get_family(model).external_values(t, data, cuts, w_events)
    values.update(own)
    values["deviation_scale"] = 1.0 / np.sqrt(np.maximum(events, 1.0))
    return values


def _deviation(eta, scale, size: int):
    """The cohort's baseline minus the external one, ~ N(0, eta) per parameter, partially
    non-centred (module docstring): ``eta^(1 - c) u`` with ``u ~ N(0, eta^c)``,
    ``c = eta^2 / (eta^2 + scale^2)``."""
    import pymc as pm

    c = eta ** 2 / (eta ** 2 + scale ** 2)
    u = pm.Normal("commensurate_u", 0.0, eta ** c, shape=size)
    return eta ** (1 - c) * u


def build_curve_model(model: str, values: dict, n_covariates: int,
                      n_intervals: int = 1):
    """The PyMC model of a fit with a curve prior (module docstring), ``values`` as initial data.

    Parameters
    ----------
    model : str
        A family's name (:data:`bayeshcc.bayes.families.FAMILIES`); the family builds its
        part (:meth:`~bayeshcc.bayes.families.base.Family.build_curve_baseline`).
    values : dict
        The cohort's ``pm.Data`` values (:func:`bayeshcc.bayes.models.data_values`, without
        ``rate_center`` / ``rate_sd``) and the external ones (:func:`external_values`).
    n_covariates : int
    n_intervals : int
        Piecewise only.

    Returns
    -------
    pymc.Model
    """
    import pymc as pm
    import pytensor.tensor as pt

    from bayeshcc.bayes.models import treatment_and_covariates

    with pm.Model() as m:
        d = {k: pm.Data(k, v) for k, v in values.items()}
        log_hr, xb = treatment_and_covariates(d, n_covariates)
        log_eta = pm.Normal("log_commensurate_sd", ETA_LOG_MEAN, ETA_LOG_SD)
        eta = pm.Deterministic("commensurate_sd", pt.exp(log_eta))
        get_family(model).build_curve_baseline(
            d, log_hr, xb, lambda size: _deviation(eta, d["deviation_scale"], size),
            n_covariates, n_intervals)
    return m


def _compiled(key: tuple, model: str, values: dict, k: int, j: int):
    """The compiled model of ``key`` with ``values`` as data, from the process's cache of
    compiled models (shared with :mod:`bayeshcc.bayes.fit`) or compiled (and cached on disk)."""
    from bayeshcc.bayes.fit import _COMPILED, _with_data
    from bayeshcc.bayes.nutpie_model import compile_pymc_cached

    if key in _COMPILED:
        return _with_data(_COMPILED[key], values), "memory"
    # As bayeshcc.bayes.fit: compiled from two patients of each data set, then given the data,
    # with start values that do not depend on the data it was compiled with.
    family = get_family(model)
    per_patient = PER_PATIENT | family.patient_data
    small = {name: (value[:2] if name in per_patient else value) for name, value in values.items()}
    pm_model = build_curve_model(model, small, k, j)
    start = {"log_hr": 0.0, **family.curve_start_values()}
    compiled, source = compile_pymc_cached(key, pm_model, start)
    _COMPILED[key] = compiled
    return _with_data(compiled, values), source


def _curve_structure(model: str, time, event, treated, X, covariate_names, weights, prior,
                     cutpoints, intervals: int, time_scale):
    """A curve fit's prepared data, cut points, the cohort's model data, the model data with
    the external arm's, and its compiled model's key ``("curve", model, columns, intervals)``:
    shared by :func:`fit_with_curve` and :func:`compile_curve`."""
    from bayeshcc.bayes.fit import _pad_covariates, compiled_columns
    from bayeshcc.bayes.models import data_values

    if not isinstance(prior, CurvePrior):
        raise AnalysisError("fit_with_curve needs a CurvePrior (a [priors.NAME] type = \"curve\")")
    data = prepare(time, event, treated, X, covariate_names, weights, time_scale)
    cuts = get_family(model).cutpoints(cutpoints, data, intervals)
    j = 1 if cuts is None else len(cuts) + 1
    columns = compiled_columns(data.X.shape[1])
    cohort = _pad_covariates(data_values(model, data, prior, cuts), data, prior, columns)
    values = {name: value for name, value in cohort.items()
              if name not in ("rate_center", "rate_sd")}
    values.update(external_values(model, prior, data, cuts))
    return data, cuts, cohort, values, ("curve", model, columns, j)


def compile_curve(model: str, time, event, treated, X=None, covariate_names=(), weights=None,
                  prior: CurvePrior | None = None, cutpoints=None, intervals: int = 6,
                  time_scale: float | None = None):
    """Compile what :func:`fit_with_curve` with these arguments would compile, sampling
    nothing: its sampler's model, and the functions of its groups and its log prior, run on a
    stand-in posterior (:func:`bayeshcc.bayes.fit.compile_fit` for curve priors).

    Returns
    -------
    bayeshcc.bayes.fit.Compiled
    """
    import numpy as np

    from bayeshcc.bayes.compile_cache import entry_state
    from bayeshcc.bayes.fit import _COMPILED, BayesFit, Compiled, _stand_in_posterior
    from bayeshcc.bayes.groups import add_model_groups

    data, cuts, cohort, values, key = _curve_structure(model, time, event, treated, X,
                                                       covariate_names, weights, prior,
                                                       cutpoints, intervals, time_scale)
    _, _, columns, j = key
    before = "" if key in _COMPILED else entry_state(key)
    start = _time.perf_counter()
    compiled, source = _compiled(key, model, values, columns, j)
    model_s = _time.perf_counter() - start
    start = _time.perf_counter()
    stand_in = BayesFit(model, prior, data, _stand_in_posterior(compiled, data.X.shape[1]),
                        cuts, 0)
    with np.errstate(all="ignore"):  # the stand-in's values are not a posterior's
        add_model_groups(stand_in, values=cohort)
        log_prior(stand_in, key, values)
    return Compiled(key, source, model_s, _time.perf_counter() - start, before)


def fit_with_curve(model: str, time, event, treated, X=None, covariate_names=(), weights=None,
                   prior: CurvePrior | None = None, draws: int = 1000, tune: int = 1000,
                   chains: int = 4, seed: int = 1, cutpoints=None, intervals: int = 6,
                   time_scale: float | None = None):
    """Fit a Weibull PH or piecewise-exponential model whose reference-arm baseline hazard
    borrows from external data through a commensurate prior (module docstring).

    Parameters
    ----------
    model : {"weibull", "piecewise"}
    time, event, treated, X, covariate_names, weights
        The cohort, as :func:`bayeshcc.bayes.fit.fit_survival_model` takes it.
    prior : CurvePrior
        The log HR prior and the external reference-arm data.
    draws, tune, chains, seed, cutpoints, intervals, time_scale
        As :func:`bayeshcc.bayes.fit.fit_survival_model`; the piecewise cut points (default:
        quantiles of the cohort's event times) serve both data sets.

    Returns
    -------
    BayesFit
        With ``log_hr``, the cohort's baseline (``log_rate``, ``log_shape``, ``shape`` or
        ``alpha``), ``commensurate_sd`` and the external parameters in the posterior; its
        ``log_likelihood`` and ``posterior_predictive`` groups are the cohort's patients.

    Raises
    ------
    AnalysisError
        An unknown model, a prior that is not a :class:`CurvePrior`, or data that cannot be
        fitted (as :func:`bayeshcc.bayes.fit.fit_survival_model`).
    """
    import xarray as xr
    from threadpoolctl import threadpool_limits

    from bayeshcc.bayes.sampler import sample

    from bayeshcc.bayes.fit import BayesFit, _drop_padding
    from bayeshcc.bayes.groups import add_model_groups

    family = get_family(model)
    data, cuts, cohort, values, key = _curve_structure(model, time, event, treated, X,
                                                       covariate_names, weights, prior,
                                                       cutpoints, intervals, time_scale)
    _, _, columns, j = key
    k = data.X.shape[1]
    start = _time.perf_counter()
    compiled, source = _compiled(key, model, values, columns, j)
    fresh = source != "memory"
    compile_s = _time.perf_counter() - start
    start = _time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        tree = sample(compiled, draws=draws, tune=tune, chains=chains, cores=chains,
                      seed=int(seed), progress_bar=False, save_warmup=False,
                      target_accept=family.curve_target_accept)
    sample_s = _time.perf_counter() - start
    tree = _drop_padding(tree, k)
    fit = BayesFit(model, prior, data, tree, cuts, int(seed),
                   {"compile_s": compile_s if fresh else 0.0, "reuse": not fresh,
                    "with_data_s": 0.0 if fresh else compile_s, "sample_s": sample_s,
                    "compile_cache": source})
    add_model_groups(fit, values=cohort)
    prior_group = log_prior(fit, key, values)
    if prior_group is not None:
        fit.posterior["log_prior"] = xr.DataTree(prior_group)
    return fit


_PRIOR: dict[tuple, Any] = {}
HYPER = ("log_hr_weights", "log_hr_means", "log_hr_sds", "coef_sd", "rate_center_ext",
         "deviation_scale")


def _prior_terms(key: tuple, values: dict):
    """The compiled log prior terms of a curve model's free variables and the model, once per
    structure."""
    import pytensor

    _, model, columns, j = key
    if key not in _PRIOR:
        m = build_curve_model(model, values, columns, j)
        terms = m.logp(vars=m.free_RVs, sum=False, jacobian=False)
        _PRIOR[key] = (pytensor.function(m.value_vars, terms, mode="NUMBA",
                                         on_unused_input="ignore"), m)
    return _PRIOR[key]


def log_prior(fit, key: tuple, values: dict):
    """The ``log_prior`` group of a curve fit: the log prior density of each free variable per
    draw, by the PyMC model's own ``logp`` (compiled once per structure), as
    :func:`bayeshcc.bayes.groups.log_prior` gives it for the other fits; None when the posterior
    lacks a free variable (e.g. after calibration).

    Returns
    -------
    xarray.Dataset or None
    """
    import pymc as pm
    import xarray as xr

    columns = key[2]
    fn, m = _prior_terms(key, values)
    pm.set_data({name: values[name] for name in HYPER if name in values}, model=m)
    post = fit.posterior["posterior"]
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    k = fit.data.X.shape[1]
    names, args = [], []
    for value in m.value_vars:
        rv = m.values_to_rvs[value]
        if rv.name == "beta":  # padded columns: their coefficients only see the prior
            draws = post["beta"].values if k else np.zeros((n_chain, n_draw, 0))
            draws = np.concatenate([draws, np.zeros((n_chain, n_draw, columns - k))], axis=-1)
        elif rv.name in post:
            draws = post[rv.name].values
        else:
            return None
        if m.rvs_to_transforms.get(rv) is not None:
            draws = np.log(draws)  # the only transform here: the HalfNormal scale (log)
        names.append(rv.name)
        args.append(draws)
    out = {name: np.empty((n_chain, n_draw) + np.shape(a)[2:]) for name, a in zip(names, args)}
    for c in range(n_chain):
        for s in range(n_draw):
            for name, term in zip(names, fn(*[a[c, s] for a in args])):
                out[name][c, s] = term
    if "beta" in out:
        out["beta"] = out["beta"][..., :k]
        if not k:
            del out["beta"]
    coords = {"chain": post.chain.values, "draw": post.draw.values}
    return xr.Dataset({name: (("chain", "draw") + tuple(f"{name}_dim_{i}"
                                                      for i in range(v.ndim - 2)), v)
                       for name, v in out.items()}, coords=coords)


def borrowing_columns(fit) -> dict:
    """``posterior_hr`` columns saying how much a fit borrowed: ``commensurate_sd``, the
    posterior median of the commensurability SD (small: the cohort's baseline follows the
    external curve; about the size of the baselines' disagreement or larger: little borrowed);
    NaN for a fit without a curve prior."""
    post = fit.posterior["posterior"]
    if "commensurate_sd" not in post:
        return {"commensurate_sd": float("nan")}
    return {"commensurate_sd": float(np.median(post["commensurate_sd"].values))}
