"""The PyMC model of one fit: the parts every family shares, and the family's own.

Each model has ``pm.Data`` for the data and the prior's hyper-parameters, the log HR with a
two-component normal mixture prior (:mod:`bayeshcc.bayes.priors`: the robust prior's
informative and vague components, or a normal prior's two identical halves), the covariates'
coefficients ``beta ~ N(0, coef_sd)``, and then the baseline hazard and the observed variable
``time`` of its family (:mod:`bayeshcc.bayes.families`), whose censored log-likelihood and
event-time generator are written once in :mod:`bayeshcc.bayes.likelihood`. The baseline's log
rate is centred at log(events / exposure) with SD 2 (``rate_center``, ``rate_sd``).

Data and prior hyper-parameters are ``pm.Data``, so one compiled model serves every outcome,
adjustment and prior with the same structure (model, number of covariates, intervals).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeshcc.bayes.data import SurvivalData
from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.families.base import BASELINE_SD, rate_center
from bayeshcc.bayes.priors import Prior

__all__ = ["BASELINE_SD", "build_model", "data_values", "rate_center",
           "treatment_and_covariates"]


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
    values.update(get_family(model).data_values(data, cuts))
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

    Parameters
    ----------
    model : str
        A family's name (:data:`bayeshcc.bayes.families.FAMILIES`).
    values : dict
        The ``pm.Data`` values (:func:`data_values`), created in this order.
    n_covariates, n_intervals : int
        The structure: covariate columns and the family's intervals.
    time_varying : bool
        An interval-wise log HR (families that support it).

    Returns
    -------
    pymc.Model
        ``log_hr``, ``beta`` (with covariates), then the family's variables
        (:meth:`bayeshcc.bayes.families.base.Family.build_baseline`).
    """
    with pm.Model() as m:
        d = {k: pm.Data(k, v) for k, v in values.items()}
        log_hr, xb = treatment_and_covariates(d, n_covariates)
        get_family(model).build_baseline(d, log_hr, xb, n_covariates, n_intervals,
                                         time_varying)
    return m
