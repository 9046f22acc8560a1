"""Borrowing external evidence on the log hazard ratio: how much a prior borrows, how much of it
the posterior kept, and whether the cohort agrees with it.

Three summaries per fit (columns of ``posterior_hr.csv``, :func:`borrowing_columns`):

``prior_weight_posterior`` (robust mixture priors only)
    Posterior weight of the informative (external) component of a robust prior
    ``w N(mu_1, s_1^2) + (1 - w) N(0, s_v^2)`` (Schmidli et al. 2014). The component indicator z
    is independent of the data given the log HR, so
    :math:`P(z = 1 \\mid y) = E[P(z = 1 \\mid \\theta) \\mid y]` with
    :math:`P(z = 1 \\mid \\theta) = w \\phi_1(\\theta) / p(\\theta)`: the estimate is the mean of
    that probability over the posterior draws (:func:`posterior_component_weight`), valid for
    any likelihood (Weibull, piecewise, weighted; a sandwich-calibrated fit's calibrated draws
    are used, so there it is the weight under the calibrated posterior). For a normal likelihood
    it equals the conjugate update :math:`w m_1 / (w m_1 + (1 - w) m_2)`,
    :math:`m_k = N(\\hat\\theta; \\mu_k, \\sigma_k^2 + s^2)` (:func:`mixture_posterior_normal`;
    the tests check the two agree, and both against numerical integration).

``prior_ess_events`` (every prior)
    Prior effective sample size in events by the expected local-information ratio (ELIR,
    Neuenschwander, Weber, Schmidli & O'Hagan 2020, Biometrics 76:578):
    :math:`\\mathrm{ESS} = E_{p}[-\\partial^2_\\theta \\log p(\\theta)] / i_F`, with the unit
    (per-event) Fisher information of a log HR under 1:1 allocation :math:`i_F = 1/4` (a log HR
    from d events has variance about 4 / d). Integrating by parts,
    :math:`E_p[-\\partial^2 \\log p] = \\int p'(\\theta)^2 / p(\\theta)\\, d\\theta`, computed by
    quadrature (:func:`prior_ess_events`); a normal prior gives exactly :math:`4 / \\sigma^2`.
    ELIR is predictively consistent: the expected posterior ESS after n events is the prior ESS
    plus n (the tests check this for a robust mixture).

``prior_data_conflict_p`` (``external`` and ``robust`` priors)
    Box's (1980) prior-predictive p-value of the cohort's own log-HR estimate under the external
    evidence, i.e. the prior's informative component N(mu, sigma^2) as used (a power prior's
    discount included): :math:`p = 2\\Phi(-|\\hat\\theta - \\mu| / \\sqrt{\\sigma^2 + s^2})`.
    :math:`\\hat\\theta, s` are the likelihood's, not the prior-pulled posterior's
    (:func:`cohort_log_hr`): the maximum of the fit's (weighted) log-likelihood by Newton's
    method with the analytic scores and Hessian of :mod:`bayeshcc.bayes.calibration`; s is the
    sandwich SE :math:`(H^{-1} J H^{-1})^{1/2}` with the meat the fit's calibration uses
    (jackknife or delta method, the estimated PS accounted for, pairs clustered) for
    sandwich-calibrated weighted and matched fits, and the model-based :math:`(H^{-1})^{1/2}`
    otherwise (exact for unweighted fits; the Kish-normalised weights' information for
    ``kish`` and ``ps_bootstrap`` fits, the latter at the point-estimate PS).

The discount sweep (:func:`borrowing_sweep_table`, ``borrowing_sweep.csv``) refits the primary
model and adjustment with each ``external`` (power) prior at discounts a0 = 0, 0.25, 0.5, 0.75, 1
(a0 = 0: no external data, the vague N(0, 10) on the log HR), re-using the compiled model.

Why hand-written: R's RBesT implements robust mixtures, ELIR and conflict checks for its own
conjugate models, and no Python library does; here they must work on the MCMC draws of the
package's survival models and on the likelihood estimate its calibration already computes. The
formulas are a few lines each and are tested against numerical integration and a closed form.

References
----------
Schmidli H, Gsteiger S, Roychoudhury S, O'Hagan A, Spiegelhalter D, Neuenschwander B (2014).
Robust meta-analytic-predictive priors in clinical trials with historical control information.
Biometrics 70:1023-1032.
Neuenschwander B, Weber S, Schmidli H, O'Hagan A (2020). Predictively consistent prior effective
sample sizes. Biometrics 76:578-587.
Box GEP (1980). Sampling and Bayes' inference in scientific modelling and robustness. JRSS A
143:383-430.
Ibrahim JG, Chen M-H (2000). Power prior distributions for regression models. Statistical
Science 15:46-60.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import norm

from bayeshcc.bayes.priors import Prior
from bayeshcc.errors import AnalysisError

UNIT_VARIANCE = 4.0        # variance of a log HR from one event, 1:1 allocation (i_F = 1/4)
DISCOUNTS = (0.0, 0.25, 0.5, 0.75, 1.0)
NO_BORROWING_SD = 10.0     # a0 = 0: the vague prior's N(0, 10) on the log HR
NEWTON_STEPS = 100
BORROWING_COLUMNS = ("prior_weight_posterior", "prior_ess_events", "prior_data_conflict_p",
                     "cohort_log_hr", "cohort_log_hr_se")
SWEEP_COLUMNS = ["outcome", "model", "adjustment", "prior", "a0", "prior_log_hr_sd",
                 "prior_ess_events", "hr_median", "hr_lower", "hr_upper", "prob_hr_below_1",
                 "interval", "probability", "rhat_max", "ess_bulk_min", "divergences",
                 "reliable"]

Components = Sequence[tuple[float, float, float]]


# --- normal mixtures ---------------------------------------------------------------------------


def mixture_posterior_normal(components: Components, estimate: float,
                             se: float) -> tuple[tuple[float, float, float], ...]:
    """Conjugate posterior of a normal-mixture prior given a normal likelihood.

    With prior :math:`\\sum_k w_k N(\\mu_k, \\sigma_k^2)` and likelihood
    :math:`\\hat\\theta \\sim N(\\theta, s^2)` the posterior is the mixture with weights
    :math:`w_k' \\propto w_k N(\\hat\\theta; \\mu_k, \\sigma_k^2 + s^2)`, means
    :math:`(\\mu_k / \\sigma_k^2 + \\hat\\theta / s^2) / (1/\\sigma_k^2 + 1/s^2)` and variances
    :math:`1 / (1/\\sigma_k^2 + 1/s^2)`.

    Parameters
    ----------
    components : sequence of (weight, mean, sd)
        The prior (e.g. :meth:`bayeshcc.bayes.priors.Prior.components`).
    estimate, se : float
        The likelihood's estimate and standard error.

    Returns
    -------
    tuple of (weight, mean, sd)
        Posterior components, in the prior's order.

    Examples
    --------
    >>> mixture_posterior_normal([(1.0, 0.0, 1.0)], 1.0, 1.0)
    ((1.0, 0.5, 0.7071067811865476),)
    """
    w, mu, sd = (np.array(v, dtype=float) for v in zip(*components))
    log_m = np.log(w) + norm.logpdf(estimate, mu, np.sqrt(sd ** 2 + se ** 2))
    post_w = np.exp(log_m - logsumexp(log_m))
    precision = 1 / sd ** 2 + 1 / se ** 2
    post_mu = (mu / sd ** 2 + estimate / se ** 2) / precision
    return tuple((float(a), float(b), float(c))
                 for a, b, c in zip(post_w, post_mu, np.sqrt(1 / precision)))


def mixture_mean_sd(components: Components) -> tuple[float, float]:
    """Mean and SD of a normal mixture."""
    w, mu, sd = (np.array(v, dtype=float) for v in zip(*components))
    mean = float(w @ mu)
    return mean, float(math.sqrt(w @ (sd ** 2 + mu ** 2) - mean ** 2))


def mixture_cdf(components: Components, x: float) -> float:
    """P(theta < x) under a normal mixture."""
    return float(sum(w * norm.cdf(x, m, s) for w, m, s in components))


def _density_and_slope(components: Components, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.zeros_like(x)
    slope = np.zeros_like(x)
    for w, m, s in components:
        phi = w * norm.pdf(x, m, s)
        p += phi
        slope -= phi * (x - m) / s ** 2
    return p, slope


def elir_information(components: Components) -> float:
    """:math:`E_p[-\\partial^2 \\log p] = \\int p'^2 / p` of a normal mixture (quadrature; the
    exact :math:`1/\\sigma^2` for a single normal)."""
    if len(components) == 1:
        return 1.0 / float(components[0][2]) ** 2

    def integrand(x: float) -> float:
        p, slope = _density_and_slope(components, np.array([x]))
        return float(slope[0] ** 2 / p[0]) if p[0] > 0 else 0.0

    # split the line at each component's mean and +-1, 3 SDs, so quad steps over no peak
    total = 0.0
    centres = sorted(float(m) for _, m, _ in components)
    widest = max(float(s) for _, _, s in components)
    lo, hi = centres[0] - 40 * widest, centres[-1] + 40 * widest
    points = sorted({c + k * float(s) for c in centres for _, _, s in components
                     for k in (-3, -1, 0, 1, 3)} | {lo, hi})
    points = [q for q in points if lo <= q <= hi]
    for a, b in zip(points[:-1], points[1:]):
        total += integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return total


def prior_ess_events(prior: Prior | Components) -> float:
    """Prior effective sample size in events of the log-HR prior, by ELIR.

    ``ESS = 4 * E_p[-d^2 log p(theta) / d theta^2]`` (module docstring): the number of events
    whose log-HR estimate (variance 4 / events, 1:1 allocation) carries as much information.
    A normal prior with SD sigma has ``4 / sigma^2``.

    Parameters
    ----------
    prior : Prior or sequence of (weight, mean, sd)

    Returns
    -------
    float

    Examples
    --------
    >>> from bayeshcc.bayes.priors import BUILT_IN
    >>> round(prior_ess_events(BUILT_IN["skeptical"]), 1)   # 4 / 0.2168^2
    85.1
    """
    components = prior.components() if isinstance(prior, Prior) else prior
    return UNIT_VARIANCE * elir_information(components)


def posterior_component_weight(prior: Prior, log_hr: np.ndarray) -> float:
    """Posterior weight of a robust prior's informative component from posterior draws.

    The mean over the draws of :math:`w \\phi_1(\\theta) / p(\\theta)` (module docstring); NaN for
    a prior without a vague component.

    Parameters
    ----------
    prior : Prior
    log_hr : array
        Posterior draws of the log HR.

    Returns
    -------
    float
    """
    if not prior.is_mixture:
        return float("nan")
    x = np.asarray(log_hr, dtype=float).ravel()
    w, mu, sd = prior.components()[0]
    informative = math.log(w) + norm.logpdf(x, mu, sd)
    return float(np.mean(np.exp(informative - prior.logpdf(x))))


def conflict_p(prior: Prior, estimate: float, se: float) -> float:
    """Box's prior-predictive p-value of the cohort's log-HR estimate under the external
    evidence (the prior's informative component): ``2 Phi(-|est - mu| / sqrt(sigma^2 + se^2))``.

    NaN for priors that carry no external evidence (built-in and ``normal`` ones) or without an
    estimate.

    Examples
    --------
    >>> from bayeshcc.bayes.priors import external_prior
    >>> p = external_prior(0.45, 0.24, 0.83)
    >>> round(conflict_p(p, math.log(1.2), 0.1), 4)   # z = 0.9808 / 0.3319 = 2.955
    0.0031
    """
    if not prior.borrows or not (math.isfinite(estimate) and math.isfinite(se) and se > 0):
        return float("nan")
    z = abs(estimate - prior.log_hr_mean) / math.sqrt(prior.log_hr_sd ** 2 + se ** 2)
    return float(2 * norm.sf(z))


# --- the cohort's own estimate -----------------------------------------------------------------


def cohort_log_hr(fit, design=None) -> tuple[float, float]:
    """The cohort's own log-HR estimate and SE for a fit's model, data and weights.

    The maximum of the fit's (weighted) log-likelihood, by Newton's method (step halving) from
    the posterior mean with the analytic scores and Hessian of
    :func:`bayeshcc.bayes.calibration.scores_and_hessian`. SE: the sandwich
    :math:`H^{-1} J H^{-1}` of :func:`bayeshcc.bayes.calibration.likelihood_covariance` at the
    estimate when ``design`` is given (the fit's calibration), else :math:`H^{-1}`.

    Parameters
    ----------
    fit : BayesFit
        A Weibull or piecewise fit (not time-varying).
    design : CalibrationDesign, optional
        The calibration the fit's interval used.

    Returns
    -------
    (float, float)
        Estimate and SE of the log HR; NaN for a time-varying fit or when Newton's method does
        not converge.
    """
    from bayeshcc.bayes.calibration import (likelihood_covariance, parameter_names,
                                            scores_and_hessian, weighted_mle)

    if "log_hr_interval" in fit.posterior["posterior"]:
        return float("nan"), float("nan")
    d = fit.data
    names = parameter_names(fit)
    cuts = None if fit.cuts is None else np.asarray(fit.cuts, dtype=float) / d.time_scale
    try:
        theta = weighted_mle(fit, steps=NEWTON_STEPS)
    except AnalysisError:
        return float("nan"), float("nan")
    _, neg_h = scores_and_hessian(fit.model, theta, d.scaled_time, d.event, d.treated, d.X,
                                  cuts, weights=d.weights)
    inverse = np.linalg.inv(neg_h)
    if design is not None:
        inverse = likelihood_covariance(fit, design, theta)["covariance"]
    i = names.index("log_hr")
    return float(theta[i]), float(math.sqrt(inverse[i, i]))


def borrowing_columns(fit, design=None) -> dict:
    """The borrowing columns of a fit's ``posterior_hr.csv`` row (module docstring).

    Parameters
    ----------
    fit : BayesFit
    design : CalibrationDesign, optional
        The calibration of a weighted or matched fit (for the cohort's sandwich SE).

    Returns
    -------
    dict
        ``prior_weight_posterior`` (NaN unless robust), ``prior_ess_events``,
        ``prior_data_conflict_p``, ``cohort_log_hr`` and ``cohort_log_hr_se`` (NaN unless the
        prior is ``external`` or ``robust``).
    """
    prior = fit.prior
    out = {"prior_weight_posterior": posterior_component_weight(prior, fit.draws()["log_hr"]),
           "prior_ess_events": prior_ess_events(prior), "prior_data_conflict_p": float("nan"),
           "cohort_log_hr": float("nan"), "cohort_log_hr_se": float("nan")}
    if prior.borrows:
        try:
            estimate, se = cohort_log_hr(fit, design)
        except (np.linalg.LinAlgError, AnalysisError):  # e.g. a jackknife refit that failed
            estimate, se = float("nan"), float("nan")
        out.update(prior_data_conflict_p=conflict_p(prior, estimate, se), cohort_log_hr=estimate,
                   cohort_log_hr_se=se)
    return out


# --- the discount sweep ------------------------------------------------------------------------


def discounted(prior: Prior, a0: float) -> Prior:
    """A power prior at discount ``a0``: SD = SE / sqrt(a0) from the prior at its own discount;
    ``a0 = 0`` is the vague N(0, 10) on the log HR (no external data)."""
    from bayeshcc.bayes.priors import describe

    se = prior.log_hr_sd * math.sqrt(prior.discount)
    if a0 == 0:
        mean, sd = 0.0, NO_BORROWING_SD
    else:
        mean, sd = prior.log_hr_mean, se / math.sqrt(a0)
    return dataclasses.replace(prior, name=f"{prior.name}_a0_{a0:g}", log_hr_mean=mean,
                               log_hr_sd=sd, kind="external" if a0 else "normal",
                               discount=a0 if a0 else 1.0,
                               description=f"a0 = {a0:g}: " + describe(mean, sd))


def borrowing_sweep_table(cohort, populations) -> pd.DataFrame:
    """``borrowing_sweep.csv``: the primary model and adjustment refitted with each ``external``
    prior of ``[bayes] priors`` at the discounts :data:`DISCOUNTS`.

    Each fit uses the grid's seed of that (outcome, model, prior, adjustment), the grid's
    sampler settings and its calibration, so the row at the prior's own discount repeats the
    grid's fit. Empty (with its columns) when the spec has no primary analysis or no external
    prior.

    Parameters
    ----------
    cohort : Cohort
    populations : sequence of Population
        :func:`bayeshcc.adjust.cohort.adjust`'s populations.

    Returns
    -------
    DataFrame
        One row per outcome, prior and a0 (:data:`SWEEP_COLUMNS`).
    """
    from bayeshcc.bayes.calibration import calibrate, interval_words
    from bayeshcc.bayes.contrasts import hr_summary
    from bayeshcc.bayes.diagnostics import check_convergence
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.plan import (adjustment_covariates, calibration_for, fit_inputs,
                                     plan_fits, population_for)
    from bayeshcc.bayes.priors import resolve_prior

    spec, b = cohort.spec, cohort.spec.bayes
    primary = b.primary
    rows = []
    if primary is None:
        return pd.DataFrame(columns=SWEEP_COLUMNS)
    pop = population_for(primary.adjustment, populations)
    if pop is None:
        return pd.DataFrame(columns=SWEEP_COLUMNS)
    for name in b.priors:
        prior = resolve_prior(name, spec.priors, b.clinical_hr)
        if prior.kind != "external":
            continue
        for task in plan_fits(spec, models=[primary.model], priors=[name],
                              adjustments=[primary.adjustment]):
            inputs = fit_inputs(task, pop, adjustment_covariates(spec))
            calibration = calibration_for(task, pop, b.uncertainty)
            for a0 in DISCOUNTS:
                swept = discounted(prior, a0)
                try:
                    fit = fit_survival_model(task.model, **inputs, prior=swept, draws=b.draws,
                                             tune=b.tune, chains=b.chains, seed=task.seed,
                                             cutpoints=list(b.cutpoints) or None,
                                             intervals=b.intervals)
                except AnalysisError:
                    continue
                conv = check_convergence(fit.posterior)
                if calibration is not None:
                    fit = calibrate(fit, calibration)
                summary = hr_summary(fit, ())
                rows.append({"outcome": task.outcome, "model": task.model,
                             "adjustment": task.adjustment, "prior": name, "a0": a0,
                             "prior_log_hr_sd": swept.log_hr_sd,
                             "prior_ess_events": prior_ess_events(swept),
                             **{k: summary[k] for k in ("hr_median", "hr_lower", "hr_upper",
                                                        "prob_hr_below_1")},
                             **interval_words(calibration is not None),
                             "rhat_max": conv.rhat_max, "ess_bulk_min": conv.ess_bulk_min,
                             "divergences": conv.divergences, "reliable": conv.reliable})
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)
