"""Sandwich-calibrated pseudo-posteriors for weighted and matched fits.

A weighted fit samples the pseudo-posterior of :math:`\\sum_i w_i \\ell_i(\\theta)` with the
weights normalised to the Kish effective sample size (:mod:`bayeshcc.bayes.data`); a matched
fit treats the two members of a pair as independent. Neither posterior's spread is the
sampling variability of its estimator: the Kish rule is a heuristic, the propensity score (PS)
is estimated, and pair members share their covariates. This module maps the posterior draws to
the posterior that the prior would give with the *calibrated* likelihood: a normal likelihood
centred where the weighted likelihood is, with the robust (sandwich) covariance S of the
weighted estimator (Williams & Savitsky 2021). The prior is combined with S, not with the Kish
information: an informative prior pulls a calibrated fit as far as the calibrated evidence
lets it, and its draws keep their non-Gaussian shape. The meat of the sandwich is the
delta-method one below (``method="sandwich"``) or a leave-one-cluster-out jackknife
(``method="jackknife"``); the default ``"auto"`` takes the jackknife up to 5 000 patients,
where small samples and extreme weights make the delta method too narrow (see "Small samples"
below and ``docs/validation.md``).

Use (:func:`design_for_population` builds the design from a pipeline population)::

    fit = fit_survival_model("weibull", time, event, treated, weights=w.weights)
    calibrated = calibrate(fit, calibration_design("ate", ps, X, w))       # weighted
    calibrated = calibrate(fit_m, calibration_design("matched", match=m))  # matched

Maths
-----
Let :math:`\\theta` be the likelihood's parameters in linear-predictor form (Weibull:
``log_rate, log_shape, log_hr, beta``; piecewise exponential: ``alpha_1..J, log_hr, beta``)
and :math:`w_i` the weights the fit used.

*The calibrated likelihood.* :math:`\\hat\\theta` is the weighted maximum-likelihood estimate
(:func:`weighted_mle`: Newton's method from the posterior mean). With
:math:`s_i = \\nabla \\ell_i(\\hat\\theta)` (patient i's log-likelihood gradient, analytic: see
:func:`scores_and_hessian`) and :math:`H = -\\sum_i w_i \\nabla^2 \\ell_i(\\hat\\theta)`, the
influence of patient i on the weighted estimating equation
:math:`\\sum_i w_i(\\gamma) s_i(\\theta) = 0`, stacked with the logistic PS score equation
:math:`\\sum_i g_i(\\gamma) = 0`, :math:`g_i = x_i (t_i - e_i)`, is

.. math:: \\varphi_i = w_i s_i + D I_\\gamma^{-1} g_i, \\qquad
          D = \\sum_i s_i \\, \\partial w_i / \\partial \\gamma^\\top, \\qquad
          I_\\gamma = \\sum_i e_i (1 - e_i) x_i x_i^\\top,

with :math:`\\partial w / \\partial \\gamma = e(1-e) x \\, \\partial w / \\partial e`:
ATE :math:`w = t/e + (1-t)/(1-e)`, ATT :math:`w = t + (1-t) e / (1-e)`, overlap
:math:`w = t(1-e) + (1-t) e`. A stabilised weight is the formula times a constant per arm and
a trimmed weight is 0 (held fixed): both enter as the ratio of the weight given to the formula
weight. A matched fit has no PS term (the matched set is held fixed) and its influences are
summed within each matched pair (Abadie & Spiess 2022 show that pair-clustered standard errors
are valid for matching without replacement). The meat is

.. math:: J = \\frac{G}{G - 1} \\sum_{c=1}^{G} (\\Phi_c - \\bar\\Phi)(\\Phi_c - \\bar\\Phi)^\\top,
          \\qquad \\Phi_c = \\sum_{i \\in c} \\varphi_i

over G clusters (patients when there are none; with frequency weights, the copies); the factor
G / (G - 1) is the usual small-sample correction. The calibrated likelihood is
:math:`N(\\theta; c, S)`, :math:`S = H^{-1} J H^{-1}` (:func:`likelihood_covariance`; made
positive definite by clipping its eigenvalues at 1e-10 times the largest), its centre c below.

*The draws' Gaussian form.* With m and :math:`\\Sigma` the draws' mean and covariance, and
:math:`\\bar g`, :math:`\\bar H` the weighted log-likelihood's gradient and negative Hessian
averaged over the draws (thinned evenly beyond :data:`SCORE_BUDGET` patients x draws), a Gaussian pseudo-posterior is :math:`N(\\mu_0, P^{-1}) \\times
N(c, H_K^{-1})` (the prior's effective normal form times the Kish-weighted likelihood's), so
that :math:`\\Sigma^{-1} = P + H_K`. Integration by parts gives
:math:`\\bar g = -E[\\nabla \\log p(\\theta)]`, which is exactly :math:`P(m - \\mu_0)` for a
normal prior, whatever the likelihood's shape: hence the likelihood's centre
:math:`c = m + \\bar H^{-1} \\bar g` (m the mean of the same draws; for a Gaussian likelihood,
:math:`\\bar g = H_K (c - m)` holds draw by draw, so c carries none of the Monte Carlo error of
m: it is a control-variate estimate). P and its linear term :math:`P\\mu_0` are known where the
prior is a fixed normal independent of the rest: the log HR, the covariate coefficients and the
Weibull baseline (``log_rate``, ``log_shape``; :mod:`bayeshcc.bayes.models`); those rows and
columns are set from it (no cross terms). The other rows (the piecewise random walk's
``alpha``, a curve prior's commensurate baseline, :mod:`bayeshcc.bayes.commensurate`) are read
from the draws, :math:`P = \\Sigma^{-1} - \\bar H` and :math:`P\\mu_0 = P m - \\bar g`, so any
prior on them acts through its effect on the pseudo-posterior. (Reading every row from the
draws was measured too: :math:`\\Sigma^{-1}` and :math:`\\bar H` differ by a few per cent for
non-Gaussian draws, e.g. 7.5 against the true 4 on ``log_shape``, and through S's correlations
that moved the log-HR SD by up to 4 %.)

*The target.* Replacing the Kish likelihood by the calibrated one gives

.. math:: \\Lambda = P + S^{-1}, \\qquad
          m^* = \\Lambda^{-1} (P \\mu_0 + S^{-1} c),

the conjugate combination of the prior with :math:`N(c, S)` (:math:`\\Lambda` made positive
definite by eigenvalue clipping as S; the posterior's attrs record when either needed it, and
the tables' ``calibration_clipped`` column shows it). Each draw is mapped by

.. math:: \\theta^{adj} = m^* + L_{V} L_\\Sigma^{-1} (\\theta - m), \\qquad V = \\Lambda^{-1}

(Cholesky factors), so the draws have mean :math:`m^*` and covariance V and keep their shape.
Under a vague prior :math:`\\Lambda \\approx S^{-1}` and :math:`m^* \\approx c \\approx m`: the posterior
mean with the sandwich covariance (the former :math:`\\Sigma + \\Sigma (J - H) \\Sigma` agrees to
first order; on the bundled cohort the vague log-HR SDs moved by -0.7 to +1.1 % and the
means by at most 0.04 SD). V does not
change when every weight is multiplied by a constant (H scales as c, J as c^2, S not at all),
and the Kish normalisation of the weights makes the pseudo-posterior itself scale-free. A
post-hoc map was chosen over a curvature-adjusted likelihood
:math:`\\ell_w(\\theta^* + C(\\theta - \\theta^*))` sampled afresh (Ribatet, Cooley & Davison
2012), which needs :math:`\\hat\\theta` and the jackknife before sampling: on the bundled cohort
the map puts every normal-prior row within 0.03 posterior SD of its conjugate target and its SD
within 0.1 % (``benchmarks/calibrated_priors.py``; the piecewise model's within 0.04 SD and
2 %); the former map was up to 0.34 SD off.

*Mixture priors.* A robust prior :math:`\\sum_k w_k N(\\mu_k, \\sigma_k^2)` on the log HR
(:mod:`bayeshcc.bayes.priors`) makes the pseudo-posterior a mixture whose component weights
depend on the likelihood's information, which one linear map cannot change. Each draw is given
a component k with probability its responsibility
:math:`r_k = w_k N(\\theta_{hr}; \\mu_k, \\sigma_k^2) / p(\\theta_{hr})` (so that the draws of
component k are that component's pseudo-posterior); each component's Gaussian form and target
are as above with the responsibility-weighted moments, or, for a component with fewer than
:data:`MIXTURE_MIN_ESS` effective draws, derived from the best-read component by swapping the
log-HR prior. The calibrated component weights are the pseudo-posterior's times the ratio of
the component's marginal likelihoods, :math:`N(\\mu_k; a^*, \\sigma_k^2 + v^*) /
N(\\mu_k; a_K, \\sigma_k^2 + v_K)`, with (a, v) the log HR's likelihood mean and variance
(calibrated and Kish) read off the best-read component. A draw keeps its component with
probability :math:`\\min(1, \\pi^*_k / \\pi_k)`, else takes one of the components that gained
weight (a maximal coupling, random numbers seeded by the fit's seed), and is mapped to that
component's target with its standardised residual :math:`L_{\\Sigma_k}^{-1}(\\theta - m_k)`.

The draws are written back into the posterior (``log_hr``, ``log_rate``, ``log_shape``,
``shape``, ``beta``, ``alpha``, ``alpha_first``); the piecewise random walk's ``sigma`` is
dropped, since it would no longer match ``alpha``. Every contrast of
:mod:`bayeshcc.bayes.contrasts` (HR, marginal survival, median, RMST) then uses the calibrated
draws unchanged. The ``sample_stats`` group is kept (the convergence gate still sees the
sampler's own diagnostics) and the ``log_likelihood`` group is recomputed from the calibrated
draws.

Small samples: the jackknife meat
---------------------------------
The sandwich above (``method="sandwich"``) is a first-order (delta-method) formula and, like
every HC0-type sandwich, it is too small when a few patients carry much of the information:
ATE weights of 20 and more in a cohort of 126 (the bundled cohort: the calibrated SD of the log
HR was 19 % below the bootstrap SE), or PS near 0 and 1 (the validation study,
``docs/validation.md``). ``method="jackknife"`` replaces the meat by the leave-one-cluster-out
jackknife of the whole two-step estimator: for each patient (or matched pair) c the PS model is
refitted without c, the weights are recomputed from that PS, and the weighted outcome equation
is re-solved without c (Newton's method from the full-data values, vectorised over blocks of
leave-outs, :func:`jackknife_covariance`). With
:math:`V_J = \\frac{G-1}{G}\\sum_c (\\theta_{(-c)} - \\bar\\theta)(\\theta_{(-c)} -
\\bar\\theta)^\\top` the meat is :math:`J = H V_J H`, so that the calibrated likelihood's
covariance is :math:`S = V_J` (and V is :math:`V_J` under a vague prior). The jackknife follows
the non-linearity of 1/e that the delta method drops (Efron & Stein 1981: its variance
estimate is biased upwards, not downwards). It costs O(N G p^2) per Newton step;
``method="auto"`` uses it while N x G <= 25 million (5 000 unclustered patients) and the
sandwich above that, where the two agree.

The time-varying models (a random walk of interval log HRs) are not calibrated: their
interval effects are shrunk by a hierarchical prior whose precision is not a fixed matrix, so
:math:`\\Sigma^{-1} - \\bar H` is not a prior precision the calibration could keep.

Penalised families
------------------
The M-spline family's likelihood alone often has no maximum: a basis function over few events
lets the log-odds of its coefficient go to minus infinity (bundled cohort, ATE weights: the
unpenalised Newton iterations took ``log_odds[3]`` to -25.9, the likelihood's Hessian had an
eigenvalue of 4e-13 there and the jackknife's leave-one-out refits diverged). What makes that
fit's baseline well defined is its smoothing prior, the random walk on the log-odds. A family
that declares such a prior (:class:`~bayeshcc.bayes.families.base.CalibrationPenalty`) has it
treated as a penalty of the likelihood, as penalised-likelihood (P-spline, GAM) inference
does: :math:`\\hat\\theta` maximises :math:`\\sum_i w_i \\ell_i(\\theta) + \\log
p_{pen}(\\theta)` (:func:`weighted_mle`), the jackknife's refits maximise the same without
each cluster, and the calibrated likelihood is the penalised one, with precision

.. math:: S^{-1} = P_{pen}(\\hat\\theta) + H J^{-1} H, \\qquad
          P_{pen} = -\\nabla^2 \\log p_{pen},

H and J the likelihood's negative Hessian and meat at :math:`\\hat\\theta` (the jackknife's
meat is :math:`J = H_{pen} V_J H_{pen}`, :math:`H_{pen} = H + P_{pen}`, since :math:`V_J`
estimates :math:`H_{pen}^{-1} J H_{pen}^{-1}`). H may be singular: it is never inverted. This
is the robust form of the Bayesian covariance of a penalised fit: with J = H (a correct model,
unit weights) the calibrated covariance is :math:`(H + P_{pen})^{-1}`, Wood's (2017, ch. 6)
:math:`V_\\beta = (X^\\top W X + S_\\lambda)^{-1}`, not the frequentist covariance of the
penalised estimator :math:`V_e = V_\\beta X^\\top W X V_\\beta` (here
:math:`H_{pen}^{-1} J H_{pen}^{-1}`). :math:`V_\\beta` accounts for the smoothing bias as
well as the variance and its intervals cover at close to the nominal rate where
:math:`V_e`'s are too narrow (Nychka 1988; Marra & Wood 2012). On the bundled cohort the two
differ little for the log HR (SD 0.223 and 0.234 with the delta-method meat, 0.249 and 0.265
with the jackknife's) and much for the spline's log-odds (0.17-0.33 against 0.03-0.14).

The penalty is part of the likelihood, so the prior combined with it is the fixed normals only
(``log_rate``, the log HR, the coefficients): no row of P is read from the draws, and the
likelihood's centre is the control variate :math:`c = m + \\bar H_{pen}^{-1} \\bar g_{pen}`
of the penalised likelihood (its gradient and negative Hessian averaged over the draws), so
that under a vague prior the calibrated mean is the draws' mean, as for the other families.
The piecewise family's walk is not a penalty in this sense (its likelihood has a maximum
whenever every interval has a weighted event); its calibration is the one above. The coverage
of the M-spline family's calibrated intervals is measured in ``docs/validation.md``
(``python -m benchmarks.mspline_calibration``).

Why hand-written
----------------
No Python or R library calibrates MCMC draws of a weighted survival pseudo-posterior: R's
``csSampling`` (Williams & Savitsky) does it for Stan models with survey designs, without a
propensity-score stage; ``survey`` and ``sandwich`` give frequentist sandwich SEs only. The
scores and Hessians of both models are a few lines in their family modules (tested against
numerical derivatives of :mod:`bayeshcc.bayes.hazards` and against PyTensor's automatic
derivatives of the models' own likelihood graphs, which calibrate a family that has no
hand-derived ones: :mod:`bayeshcc.bayes.families.derivatives`). No library combines a prior with a sandwich
likelihood either (``csSampling`` keeps the posterior's mean and rescales around it, which is
what this module did before and what put informative priors' centres up to 0.34 posterior SD
off their conjugate target on the bundled cohort); the Gaussian algebra above is a few lines.

References
----------
Williams MR, Savitsky TD (2021). Uncertainty estimation for pseudo-Bayesian inference under
complex sampling. Bayesian Analysis 16:1-26.
Lunceford JK, Davidian M (2004). Stratification and weighting via the propensity score in
estimation of causal treatment effects. Statistics in Medicine 23:2937-2960.
Abadie A, Spiess J (2022). Robust post-matching inference. Journal of the American Statistical
Association 117:983-995.
Ribatet M, Cooley D, Davison AC (2012). Bayesian inference from composite likelihoods, with
an application to spatial extremes. Statistica Sinica 22:813-845.
Efron B, Stein C (1981). The jackknife estimate of variance. Annals of Statistics 9:586-596.
Wood SN (2017). Generalized Additive Models: An Introduction with R, 2nd ed. Chapman and
Hall/CRC.
Nychka D (1988). Bayesian confidence intervals for smoothing splines. Journal of the American
Statistical Association 83:1134-1143.
Marra G, Wood SN (2012). Coverage properties of confidence intervals for generalized additive
model components. Scandinavian Journal of Statistics 39:53-74.
Stefanski LA, Boos DD (2002). The calculus of M-estimation. The American Statistician
56:29-38.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from bayeshcc.adjust.weights import formula_weights, weight_gradient
from bayeshcc.bayes.data import kish_normalised
from bayeshcc.bayes.families import derivatives, get_family
from bayeshcc.bayes.families.base import CalibrationPenalty
from bayeshcc.bayes.families.derivatives import weighted_outer
from bayeshcc.bayes.fit import BayesFit
from bayeshcc.errors import AnalysisError
from bayeshcc.vocab import PROPENSITY, WEIGHTED

METHODS = ("sandwich", "jackknife", "auto")
JACKKNIFE_STEPS = 6              # most Newton steps of each leave-one-cluster-out refit
JACKKNIFE_TOL = 1e-10            # ... which stops once a block's steps are below this (relative)
JACKKNIFE_MAX = 25_000_000       # rows x clusters above which "auto" uses the sandwich
_BLOCK = 2_000_000               # rows x clusters per block of leave-outs
ESTIMANDS = (None,) + PROPENSITY
EIGEN_FLOOR = 1e-10
ATTR_METHOD = "calibration"
ATTR_SD_RATIO = "calibration_sd_ratio_log_hr"
ATTR_CLIPPED = "calibration_clipped"   # 1 when a precision needed eigenvalue clipping


CALIBRATED_INTERVAL = "calibrated interval"
CALIBRATED_PROBABILITY = "calibrated probability"


def interval_words(calibrated: bool) -> dict[str, str]:
    """What a table row's interval and probabilities are called.

    Parameters
    ----------
    calibrated : bool
        Whether the row's draws were mapped by :func:`calibrate`.

    Returns
    -------
    dict
        ``interval`` (``"calibrated interval"`` or ``"credible interval"``) and ``probability``
        (``"calibrated probability"`` or ``"posterior probability"``).

    Examples
    --------
    >>> interval_words(True)["interval"]
    'calibrated interval'
    """
    if calibrated:
        return {"interval": CALIBRATED_INTERVAL, "probability": CALIBRATED_PROBABILITY}
    return {"interval": "credible interval", "probability": "posterior probability"}


@dataclass(frozen=True)
class CalibrationDesign:
    """What the sandwich needs besides the fit: how the weights and pairs came about.

    Attributes
    ----------
    method : ``"sandwich"`` (delta-method meat), ``"jackknife"`` (leave-one-cluster-out
        jackknife meat, PS refitted per leave-out) or ``"auto"`` (jackknife up to N x clusters
        = 25 million, sandwich above); see the module docstring.
    estimand : None (weights, if any, held fixed: sampling weights, or see ``frequency``), ``"ate"``,
        ``"att"``, ``"overlap"`` (PS weights, estimated PS accounted for) or ``"matched"``.
    ps_X : N x q PS design matrix, intercept column first (PS estimands only).
    ps_score : N propensity scores e_i of the fitted PS model (PS estimands only).
    raw_weights : N weights as :func:`bayeshcc.adjust.weights.propensity_weights` gave them
        (stabilised or trimmed as used); for ``matched``, the matching weights or None.
    clusters : N cluster labels (matched-pair subclass, or patients' ids when a patient
        contributes several rows); influences are summed within each. None: every row alone.
    frequency : bool
        With ``estimand=None`` (delta-method meat; ``"auto"`` means ``"sandwich"`` here): ``raw_weights`` are whole-number counts of identical patients,
        each copy an independent patient (as duplicated rows), instead of sampling or analysis
        weights where a row is one patient standing for w others. The meat is then
        :math:`\\sum_i w_i (s_i - \\bar s)(s_i - \\bar s)^\\top` over the
        :math:`G = \\sum_i w_i` copies.
    """

    method: str = "auto"
    estimand: str | None = None
    ps_X: np.ndarray | None = None
    ps_score: np.ndarray | None = None
    raw_weights: np.ndarray | None = None
    clusters: np.ndarray | None = None
    frequency: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise AnalysisError(f"calibration method must be one of {METHODS}; got {self.method!r}")
        if self.estimand not in ESTIMANDS:
            raise AnalysisError(f"estimand must be one of {ESTIMANDS}; got {self.estimand!r}")
        if self.estimand in WEIGHTED and (
                self.ps_X is None or self.ps_score is None or self.raw_weights is None):
            raise AnalysisError(f"a {self.estimand} calibration needs ps_X, ps_score and "
                                "raw_weights (see calibration_design)")
        if self.frequency and self.method == "jackknife":
            raise AnalysisError("frequency weights are calibrated by the sandwich only (method "
                                "'sandwich' or 'auto')")
        if self.frequency:
            w = None if self.raw_weights is None else np.asarray(self.raw_weights, dtype=float)
            if (self.estimand is not None or self.clusters is not None or w is None
                    or np.any(w != np.round(w)) or np.any(w < 0)):
                raise AnalysisError("frequency weights need estimand=None, no clusters and "
                                    "whole-number raw_weights")


def calibration_design(estimand: str | None, propensity=None, ps_covariates=None, weights=None,
                       match=None, ids=None, clusters=None,
                       method: str = "auto") -> CalibrationDesign:
    """A :class:`CalibrationDesign` from the outputs of :mod:`bayeshcc.adjust`.

    Parameters
    ----------
    estimand : {None, "ate", "att", "overlap", "matched"}
    propensity : PropensityFit, optional
        :func:`bayeshcc.adjust.propensity.fit_propensity` result (PS estimands).
    ps_covariates : DataFrame or array, optional
        The covariates the PS model was fitted on (all N patients; the intercept is added).
    weights : WeightResult or array_like, optional
        :func:`bayeshcc.adjust.weights.propensity_weights` result or the weights themselves.
    match : MatchResult, optional
        :func:`bayeshcc.adjust.matching.match_nearest` result (``matched``): the clusters are
        its subclasses, in the order of the matched patients (``match.matched`` rows).
    ids : array_like, optional
        The ids given to ``match_nearest`` (default 0, ..., N - 1).
    clusters : array_like, optional
        Cluster labels of the fitted rows, instead of ``match``'s subclasses.
    method : {"auto", "jackknife", "sandwich"}
        See :class:`CalibrationDesign`.

    Returns
    -------
    CalibrationDesign

    Examples
    --------
    >>> ps = fit_propensity(X, treated)  # doctest: +SKIP
    >>> w = propensity_weights(ps.score, treated, "ate")  # doctest: +SKIP
    >>> design = calibration_design("ate", ps, X, w)  # doctest: +SKIP
    >>> m = match_nearest(ps.logit, treated, ids)  # doctest: +SKIP
    >>> design = calibration_design("matched", match=m, ids=ids)  # doctest: +SKIP
    """
    raw = getattr(weights, "weights", weights)
    raw = None if raw is None else np.asarray(raw, dtype=float)
    if estimand == "matched":
        if clusters is None and match is not None:
            clusters = matched_clusters(match, ids)
        if match is not None:
            w = np.asarray(match.weights, dtype=float)[np.asarray(match.matched, dtype=bool)]
            raw = None if np.allclose(w, 1.0) else w
        return CalibrationDesign(method, "matched", raw_weights=raw, clusters=clusters)
    if estimand is None:
        return CalibrationDesign(method, raw_weights=raw, clusters=clusters)
    if propensity is None or ps_covariates is None or raw is None:
        raise AnalysisError(f"a {estimand} calibration needs the PS fit, its covariates and the "
                            "weights")
    return _weighted_design(estimand, ps_covariates, propensity.score, raw, clusters, method)


def _weighted_design(estimand: str, ps_covariates, score, weights, clusters,
                     method: str) -> CalibrationDesign:
    """The design of a PS-weighted fit: intercept added to the PS covariates."""
    x = np.asarray(ps_covariates, dtype=float)
    x = x.reshape(len(x), -1)
    return CalibrationDesign(method, estimand, ps_X=np.column_stack([np.ones(len(x)), x]),
                             ps_score=np.asarray(score, dtype=float),
                             raw_weights=np.asarray(weights, dtype=float), clusters=clusters)


def design_for_population(population, ps_covariates=None,
                          method: str = "auto") -> CalibrationDesign:
    """The design of a fit to a :class:`bayeshcc.populations.Population`, in one call.

    ``ate`` / ``att`` / ``overlap``: the propensity score and PS covariates the population
    carries (:func:`bayeshcc.adjust.cohort.adjust` stores them), or, when ``ps_covariates`` is
    given, the PS model ``treated ~ ps_covariates`` refitted (its warnings were raised where the
    weights were built and are not repeated); ``population.weights`` are the weights it gave
    (stabilised or trimmed as the spec asked: both are read from the weights). ``matched``: ``population.clusters`` (the
    matched sets; None with replacement) and ``population.weights``. Any other population
    (``unadjusted``): weights held fixed, each patient alone.

    Parameters
    ----------
    population : Population
        Needs ``name``, ``weights``, ``clusters`` and ``cohort.treated``.
    ps_covariates : DataFrame, optional
        The PS design matrix of the whole cohort (``bayeshcc.design.design_matrix(cohort,
        spec.propensity.covariates)``); required for weighted populations that do not carry
        their propensity score.
    method : {"auto", "jackknife", "sandwich"}

    Returns
    -------
    CalibrationDesign

    Examples
    --------
    >>> X = design_matrix(cohort, cohort.spec.propensity.covariates)  # doctest: +SKIP
    >>> calibrated = calibrate(fit, design_for_population(population, X))  # doctest: +SKIP
    """
    import warnings

    from bayeshcc.adjust.propensity import fit_propensity

    name = population.name
    weights = None if population.weights is None else np.asarray(population.weights, float)
    if name == "matched":
        return CalibrationDesign(method, "matched", raw_weights=weights,
                                 clusters=population.clusters)
    if name not in WEIGHTED:
        return CalibrationDesign(method, raw_weights=weights)
    if ps_covariates is None and population.ps_score is not None:
        return _weighted_design(name, population.ps_covariates, population.ps_score, weights,
                                None, method)
    if ps_covariates is None:
        raise AnalysisError(f"the {name} calibration needs the PS covariates (design matrix)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # raised once already where the weights were built
        ps = fit_propensity(ps_covariates, np.asarray(population.cohort.treated, dtype=bool))
    return calibration_design(name, ps, ps_covariates, weights, method=method)


def matched_clusters(match, ids=None) -> np.ndarray | None:
    """Matched-set label of each matched patient, in input order (None with replacement, where
    a control sits in several sets and pairs are not clusters)."""
    pairs = match.pairs
    if not pairs["subclass"].notna().all():
        return None
    mask = np.asarray(match.matched, dtype=bool)
    ids = np.arange(mask.size) if ids is None else np.asarray(ids)
    subclass = dict(zip(pairs["treated_id"], pairs["subclass"].astype(int)))
    subclass.update(zip(pairs["reference_id"], pairs["subclass"].astype(int)))
    return np.array([subclass[i] for i in ids[mask]])


# ---------------------------------------------------------------------------------------------
# Parameters, scores and Hessians


def _family(fit: BayesFit):
    return get_family(fit.model)


def _penalty(fit: BayesFit):
    """The family's :meth:`~bayeshcc.bayes.families.base.CalibrationPenalty.calibration_penalty`
    as a function of (B, p) parameter vectors, giving (B,), (B, p), (B, p, p) (zeros outside the
    baseline); None for a family without one (module docstring, "Penalised families")."""
    family = _family(fit)
    if not isinstance(family, CalibrationPenalty):
        return None
    nb = len(family.baseline_parameter_names(_intervals(fit)))

    def penalty(thetas):
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        value, g, h = family.calibration_penalty(thetas[:, :nb])
        p = thetas.shape[1]
        grad, info = np.zeros((len(thetas), p)), np.zeros((len(thetas), p, p))
        grad[:, :nb], info[:, :nb, :nb] = g, h
        return value, grad, info

    return penalty


def _intervals(fit: BayesFit) -> int:
    return 1 if fit.cuts is None else len(fit.cuts) + 1


def parameter_names(fit: BayesFit) -> list[str]:
    """Names of theta's components, in the order of :func:`parameter_draws`: the family's
    baseline parameters, ``log_hr``, ``beta[j]``
    (:func:`bayeshcc.bayes.families.derivatives.parameter_names`)."""
    return derivatives.parameter_names(_family(fit), fit.data.X.shape[1], _intervals(fit))


def parameter_draws(fit: BayesFit) -> np.ndarray:
    """theta per draw: array (chain, draw, p) in :func:`parameter_names` order (the family's
    :attr:`~bayeshcc.bayes.families.base.Family.baseline_variables`, ``log_hr``, ``beta``)."""
    post = fit.posterior["posterior"]
    k = fit.data.X.shape[1]
    parts = []
    for name in (*_family(fit).baseline_variables, "log_hr"):
        v = np.asarray(post[name].values, dtype=float)
        parts.append(v if v.ndim == 3 else v[..., None])
    if k:
        parts.append(np.asarray(post["beta"].values, dtype=float))
    return np.concatenate(parts, axis=-1)


def scores_and_hessian(model: str, theta, t, event, treated, X, cuts=None,
                       weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-patient gradients of the UNWEIGHTED log-likelihood terms, and the negative Hessian of
    the weighted sum, at ``theta``.

    The term of patient i is :math:`\\ell_i = d_i \\log h(t_i) - H(t_i)`. The family's
    formulas (the Weibull and piecewise ones are in their modules,
    :meth:`bayeshcc.bayes.families.weibull.WeibullFamily.scores_and_hessian` and
    :meth:`bayeshcc.bayes.families.piecewise.PiecewiseFamily.scores_and_hessian`), or, for a
    family without them, automatic derivatives of its log-likelihood
    (:func:`bayeshcc.bayes.families.derivatives.scores_and_hessian`).

    Parameters
    ----------
    model : str
        A family's name (``"weibull"``, ``"piecewise"``).
    theta : array (p,), in :func:`parameter_names` order.
    t, event, treated : arrays (N,); time in the model's scaled unit.
    X : array (N, K), the standardised covariates the model saw.
    cuts : interior cut points in the scaled unit (piecewise).
    weights : array (N,), optional (default ones), for the Hessian.

    Returns
    -------
    scores : array (N, p)
    neg_hessian : array (p, p), :math:`-\\sum_i w_i \\nabla^2 \\ell_i`.
    """
    return derivatives.scores_and_hessian(get_family(model), theta, t, event, treated, X, cuts,
                                          weights)


def batched_sums(model: str, thetas, W, t, event, treated, X, cuts=None):
    """Weighted score sums and negative Hessians at B parameter vectors at once (the family's
    formulas, performance-tuned for the jackknife, or automatic derivatives:
    :func:`bayeshcc.bayes.families.derivatives.batched_sums`).

    Parameters
    ----------
    thetas : array (B, p)
    W : array (B, N), the weights of each of the B estimating equations (0 = left out).
    t, event, treated, X, cuts : as :func:`scores_and_hessian`.

    Returns
    -------
    grad : array (B, p), :math:`\\sum_i W_{bi} s_i(\\theta_b)`.
    neg_hessian : array (B, p, p), :math:`-\\sum_i W_{bi} \\nabla^2 \\ell_i(\\theta_b)`.
    """
    return derivatives.batched_sums(get_family(model), thetas, W, t, event, treated, X, cuts)


def loglik_terms(model: str, theta, t, event, treated, X, cuts=None) -> np.ndarray:
    """Per-patient :math:`d_i \\log h - H` at one theta, from :mod:`bayeshcc.bayes.hazards`
    (the NumPy likelihood the analytic scores are tested against;
    :func:`bayeshcc.bayes.families.derivatives.loglik_terms`)."""
    return derivatives.loglik_terms(get_family(model), theta, t, event, treated, X, cuts)


# ---------------------------------------------------------------------------------------------
# Weights' dependence on the PS


# ---------------------------------------------------------------------------------------------
# The calibration


def _cluster_sums(phi: np.ndarray, clusters) -> np.ndarray:
    if clusters is None:
        return phi
    _, index = np.unique(np.asarray(clusters), return_inverse=True)
    out = np.zeros((index.max() + 1, phi.shape[1]))
    np.add.at(out, index, phi)
    return out


def _uses_jackknife(design: CalibrationDesign, n: int) -> bool:
    if design.frequency:
        return False
    groups = n if design.clusters is None else np.unique(np.asarray(design.clusters)).size
    if design.method == "auto":
        return n * groups <= JACKKNIFE_MAX
    return design.method == "jackknife"


def _converged(step: np.ndarray, value: np.ndarray) -> bool:
    """Whether a block's Newton step moved every component by at most
    :data:`JACKKNIFE_TOL` of its size (of 1 below 1): Newton converges quadratically from the
    full-data estimate, so the next step would be below rounding."""
    return bool(np.all(np.abs(step) <= JACKKNIFE_TOL * np.maximum(1.0, np.abs(value))))


def _newton(start: np.ndarray, score_and_information, steps: int) -> np.ndarray:
    """Newton's method for a block of estimating equations at once: ``start`` (B x p) moved by
    ``solve(information, score)`` (``score_and_information(x)`` gives B x p and B x p x p) at
    most ``steps`` times, fewer once :func:`_converged`."""
    x = start
    for _ in range(steps):
        grad, info = score_and_information(x)
        step = np.linalg.solve(info, grad[..., None])[..., 0]
        x = x + step
        if _converged(step, x):
            break
    return x


# leave-one-cluster-out PS coefficients of the last few designs: the fits of one population
# (both outcome models, every outcome) share them
_PS_REFITS: dict[str, np.ndarray] = {}
_PS_REFITS_KEPT = 4


def _leave_out_ps(x_ps: np.ndarray, score: np.ndarray, treated: np.ndarray,
                  index: np.ndarray, steps: int) -> np.ndarray:
    """The logistic PS coefficients refitted without each cluster (G x q; ``index``: each row's
    cluster 0..G-1), by Newton from the full-data coefficients (those of ``score``), vectorised
    over blocks of clusters and stopped as the outcome refits are (:func:`_converged`).
    Remembered for the last :data:`_PS_REFITS_KEPT` designs (keyed by their content)."""
    import hashlib

    from scipy.special import expit

    key = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes()
                                  for a in (x_ps, score, treated, index))
                         + repr((x_ps.shape, index.dtype, steps, JACKKNIFE_TOL)).encode()
                         ).hexdigest()
    if key in _PS_REFITS:
        return _PS_REFITS[key]
    n = x_ps.shape[0]
    groups = int(index.max()) + 1
    gamma = np.linalg.lstsq(x_ps, np.log(score / (1 - score)), rcond=None)[0]
    block = max(1, _BLOCK // n)
    out = np.empty((groups, gamma.size))
    for start in range(0, groups, block):
        cs = np.arange(start, min(start + block, groups))
        keep = (index[None, :] != cs[:, None]).astype(float)            # B x N
        treated_x = (keep * treated) @ x_ps

        def score_and_information(gam):
            eb = expit(gam @ x_ps.T)
            kept = keep * eb
            grad = treated_x - kept @ x_ps                            # sum keep (t - e) x
            kept *= 1 - eb
            return grad, weighted_outer(kept, x_ps)                   # sum keep e (1 - e) x x'

        out[cs] = _newton(np.tile(gamma, (cs.size, 1)), score_and_information, steps)
    _PS_REFITS[key] = out
    while len(_PS_REFITS) > _PS_REFITS_KEPT:
        del _PS_REFITS[next(iter(_PS_REFITS))]
    return out


def jackknife_covariance(fit: BayesFit, design: CalibrationDesign,
                         theta_hat: np.ndarray, steps: int = JACKKNIFE_STEPS) -> np.ndarray:
    """Leave-one-cluster-out jackknife covariance of the stacked (PS, outcome) estimator.

    For each cluster c (patient, or matched pair) the PS is refitted without c (Newton from
    gamma-hat), the weights recomputed from it (same estimand, same stabilising constants and
    trimmed set), and the weighted outcome equation solved without c (Newton from theta-hat),
    vectorised over blocks of clusters: at most ``steps`` Newton steps each, fewer once every
    step of the block is below :data:`JACKKNIFE_TOL` relative (from the full-data values
    Newton converges quadratically: 3 to 5 steps at N = 3 000, the last one below rounding).
    The PS refits depend on the design only: the next fits of the same population reuse them
    (:func:`_leave_out_ps`). Returns
    :math:`\\frac{G-1}{G} \\sum_c (\\theta_{(-c)} - \\bar\\theta)(\\theta_{(-c)} -
    \\bar\\theta)^\\top`.
    """
    from scipy.special import expit

    d = fit.data
    n = d.time.size
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    labels = np.arange(n) if design.clusters is None else np.asarray(design.clusters)
    _, index = np.unique(labels, return_inverse=True)
    groups = int(index.max()) + 1
    ps = design.estimand in WEIGHTED
    if ps:
        x_ps = np.asarray(design.ps_X, dtype=float)
        e = np.asarray(design.ps_score, dtype=float)
        gammas = _leave_out_ps(x_ps, e, np.asarray(d.treated, dtype=float), index, steps)
        raw = np.asarray(design.raw_weights, dtype=float)
        ratio = raw / formula_weights(design.estimand, e, d.treated)
    penalty = _penalty(fit)
    block = max(1, _BLOCK // n)                 # B x N arrays (batched_sums has no B x N x J)
    out = np.empty((groups, theta_hat.size))
    for start in range(0, groups, block):
        cs = np.arange(start, min(start + block, groups))
        keep = (index[None, :] != cs[:, None]).astype(float)            # B x N
        if ps:
            eb = np.clip(expit(gammas[cs] @ x_ps.T), 1e-12, 1 - 1e-12)
            weights = keep * ratio * formula_weights(design.estimand, eb, d.treated)
        else:
            weights = keep * d.weights
        def score_and_information(theta, weights=weights):
            grad, info = batched_sums(fit.model, theta, weights, d.scaled_time, d.event,
                                      d.treated, d.X, cuts)
            if penalty is not None:
                _, g, h = penalty(theta)
                grad, info = grad + g, info + h
            return grad, info

        out[cs] = _newton(np.tile(theta_hat, (cs.size, 1)), score_and_information, steps)
    if not np.all(np.isfinite(out)):
        raise AnalysisError("a leave-one-out refit of the jackknife did not converge; use "
                            "method='sandwich'")
    centred = out - out.mean(axis=0)
    return (groups - 1) / groups * centred.T @ centred


MLE_STEPS = 100                  # most Newton steps (with step halving) of the weighted MLE


def weighted_mle(fit: BayesFit, start: np.ndarray | None = None,
                 steps: int = MLE_STEPS) -> np.ndarray:
    """The maximum of the fit's weighted log-likelihood :math:`\\sum_i w_i \\ell_i(\\theta)`
    (no prior; plus the family's log penalty for a penalised family, module docstring), by
    Newton's method with step halving from ``start``.

    Parameters
    ----------
    fit : BayesFit
        A fit of a calibrated family (not time-varying).
    start : array (p,), optional
        Where Newton starts; default the posterior mean (one to four steps away).
    steps : int
        Most Newton steps.

    Returns
    -------
    array (p,), in :func:`parameter_names` order.

    Raises
    ------
    AnalysisError
        When the Hessian is singular or Newton's method has not converged (Newton decrement
        :math:`g^\\top H^{-1} g` above 1e-12) within ``steps``: e.g. an interval of the piecewise
        model without weighted events, where the MLE is at minus infinity.
    """
    d = fit.data
    cuts = None if fit.cuts is None else np.asarray(fit.cuts, dtype=float) / d.time_scale
    args = (d.scaled_time, d.event, d.treated, d.X, cuts)
    w = d.weights
    theta = (parameter_draws(fit).reshape(-1, len(parameter_names(fit))).mean(axis=0)
             if start is None else np.asarray(start, dtype=float).copy())

    penalty = _penalty(fit)

    def loglik(t):
        value = float(w @ loglik_terms(fit.model, t, *args))
        return value if penalty is None else value + float(penalty(t)[0][0])

    current = loglik(theta)
    for _ in range(steps):
        scores, neg_h = scores_and_hessian(fit.model, theta, *args, weights=w)
        grad = w @ scores
        if penalty is not None:
            _, g, h = penalty(theta)
            grad, neg_h = grad + g[0], neg_h + h[0]
        try:
            step = np.linalg.solve(neg_h, grad)
        except np.linalg.LinAlgError:
            break
        decrement = float(grad @ step)
        if np.isfinite(decrement) and decrement < 1e-12:
            return theta
        size = 1.0
        while size > 1e-8:
            trial = theta + size * step
            value = loglik(trial)
            if np.isfinite(value) and value >= current:
                theta, current = trial, value
                break
            size /= 2
        else:
            break
    raise AnalysisError("the weighted maximum-likelihood estimate the calibration needs was not "
                        "found (Newton's method did not converge); the fit cannot be calibrated")


def _draw_sums(fit: BayesFit, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted log-likelihood's gradient (D x p) and negative Hessian (D x p x p) at each
    draw, in blocks of draws (:func:`batched_sums`)."""
    d = fit.data
    n = d.time.size
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    block = max(1, _BLOCK // n)
    grads, infos = [], []
    for start in range(0, draws.shape[0], block):
        rows = draws[start:start + block]
        g, h = batched_sums(fit.model, rows, np.broadcast_to(d.weights, (rows.shape[0], n)),
                            d.scaled_time, d.event, d.treated, d.X, cuts)
        grads.append(g)
        infos.append(h)
    return np.concatenate(grads), np.concatenate(infos)


def _gaussian_target(mean: np.ndarray, sigma: np.ndarray, grad: np.ndarray, info: np.ndarray,
                     h_adj: np.ndarray, known: tuple, score_mean: np.ndarray,
                     penalised: bool = False) -> dict:
    """The calibrated Gaussian of one (component of a) pseudo-posterior (module docstring).

    ``mean`` and ``sigma``: the draws' mean and covariance; ``grad`` and ``info``: the weighted
    log-likelihood's gradient and negative Hessian averaged over the draws of
    :func:`_score_draws`, whose mean is ``score_mean``; ``h_adj``: the
    calibrated likelihood's precision S^-1; ``known``: (indices, precisions, means) of the
    parameters whose prior is a known normal independent of the others (log HR, covariate
    coefficients), whose rows of the prior's precision are set, not estimated.
    ``penalised``: a penalised family, whose likelihood is the penalised one (``grad``,
    ``info`` and ``h_adj`` include the penalty): the prior is then the known normals only
    (module docstring, "Penalised families").
    """
    sigma = (sigma + sigma.T) / 2
    sigma_inv = np.linalg.inv(sigma)
    index, prec, loc = known
    if not penalised:
        prior_prec = sigma_inv - info                   # the prior's effective precision
        prior_prec[index, :] = 0.0
        prior_prec[:, index] = 0.0
    else:
        prior_prec = np.zeros_like(sigma)               # the penalty is in the likelihood
    prior_prec[index, index] = prec
    info_draws = sigma_inv - prior_prec                 # the likelihood's, as the draws see it
    centre_lik = score_mean + np.linalg.solve(info, grad)
    prior_lin = prior_prec @ score_mean - grad          # prior precision x prior mean ...
    if penalised:
        prior_lin[:] = 0.0
    prior_lin[index] = prec * loc                       # ... known where the prior is
    precision, v, clipped = _clipped_inverse(prior_prec + h_adj)
    return {"mean": mean, "sigma": sigma, "gradient": grad, "information": info_draws,
            "likelihood_mean": centre_lik, "prior_precision": prior_prec,
            "prior_linear": prior_lin, "precision": precision,
            "centre": v @ (prior_lin + h_adj @ centre_lik), "covariance": v,
            "clipped": clipped}


def _known_prior(fit: BayesFit, names: list[str], log_hr: tuple[float, float]) -> tuple:
    """(indices, precisions, means) of the parameters whose priors are fixed independent
    normals: the log HR's N(log_hr), the covariate coefficients' N(0, coef_sd^2) and, for a
    fit whose baseline prior is recorded (not a curve prior's commensurate one), the family's
    (:meth:`~bayeshcc.bayes.families.base.Family.known_normal_prior`; Weibull: log_rate ~
    N(centre, sd^2) and log_shape ~ N(0, 0.5^2)). The piecewise random walk and the curve
    prior's baseline are not of this kind: their rows are read from the draws."""
    from bayeshcc.bayes.commensurate import CurvePrior
    from bayeshcc.bayes.fit import ATTR_BASELINE_PRIOR

    coef = float(fit.prior.coef_sd)
    index = [names.index("log_hr")]
    sd, loc = [log_hr[1]], [log_hr[0]]
    for i, name in enumerate(names):
        if name.startswith("beta["):
            index.append(i)
            sd.append(coef)
            loc.append(0.0)
    baseline = fit.posterior["posterior"].attrs.get(ATTR_BASELINE_PRIOR)
    if baseline is not None and not isinstance(fit.prior, CurvePrior):
        for name, mean, spread in _family(fit).known_normal_prior(baseline):
            index.append(names.index(name))
            sd.append(spread)
            loc.append(mean)
    return np.array(index), 1 / np.array(sd, dtype=float) ** 2, np.array(loc, dtype=float)


def _clipped_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """(a made positive definite, its inverse, whether that needed clipping): the symmetric
    part's eigenvalues clipped at :data:`EIGEN_FLOOR` times the largest."""
    a = (a + a.T) / 2
    values, vectors = np.linalg.eigh(a)
    floor = EIGEN_FLOOR * max(float(values.max()), 0.0)
    clipped = bool(values.min() < floor) or not floor > 0
    if not floor > 0:
        raise AnalysisError("the calibrated precision has no positive eigenvalue")
    values = np.clip(values, floor, None)
    return (vectors * values) @ vectors.T, (vectors / values) @ vectors.T, clipped


def likelihood_covariance(fit: BayesFit, design: CalibrationDesign,
                          start: np.ndarray | None = None) -> dict:
    """The calibrated likelihood of a fit: the weighted MLE and its sandwich covariance.

    Parameters
    ----------
    fit : BayesFit
    design : CalibrationDesign
    start : array (p,), optional
        Where Newton's method for the weighted MLE starts (default the posterior mean).

    Returns
    -------
    dict
        ``theta_hat`` (the weighted MLE, :func:`weighted_mle`), ``hessian``
        (:math:`H = -\\sum_i w_i \\nabla^2 \\ell_i(\\hat\\theta)`), ``meat`` (J: the delta-method
        meat, or :math:`H V_J H` with the jackknife covariance :math:`V_J`), ``covariance``
        (:math:`S = H^{-1} J H^{-1}`, made positive definite by eigenvalue clipping),
        ``clipped`` (whether that clipping was needed).

    Raises
    ------
    AnalysisError
        When the design's rows or weights are not the fit's, or the MLE is not found.
    """
    d = fit.data
    n = d.time.size
    w = d.weights
    if design.estimand in WEIGHTED:
        x_ps = np.asarray(design.ps_X, dtype=float)
        e = np.asarray(design.ps_score, dtype=float)
        raw = np.asarray(design.raw_weights, dtype=float)
        if x_ps.shape[0] != n or e.shape != (n,) or raw.shape != (n,):
            raise AnalysisError(f"the calibration design has {x_ps.shape[0]} rows; the fit has {n}")
        if not np.allclose(kish_normalised(raw), w, rtol=1e-8, atol=1e-12):
            raise AnalysisError("raw_weights are not the weights the fit was given")
    elif design.clusters is not None and np.asarray(design.clusters).shape != (n,):
        raise AnalysisError(f"clusters must have one label per fitted row ({n})")
    theta_hat = weighted_mle(fit, start)
    penalty = _penalty(fit)
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    scores, neg_h = scores_and_hessian(fit.model, theta_hat, d.scaled_time, d.event, d.treated,
                                       d.X, cuts, w)
    if design.frequency:
        counts = np.asarray(design.raw_weights, dtype=float)
        per_copy = scores * (w / np.where(counts > 0, counts, 1))[:, None]  # c * s_i
        groups = counts.sum()
        centred = per_copy - counts @ per_copy / groups
        meat = groups / max(groups - 1, 1) * (centred * counts[:, None]).T @ centred
    elif _uses_jackknife(design, n):
        v_jack = jackknife_covariance(fit, design, theta_hat)
        bread = neg_h if penalty is None else neg_h + penalty(theta_hat)[2][0]
        meat = bread @ v_jack @ bread
    else:
        phi = w[:, None] * scores
        if design.estimand in WEIGHTED:
            scale = w.sum() / raw.sum()                  # fitted weights = scale * raw weights
            dw = scale * weight_gradient(design.estimand, e, d.treated, x_ps, raw)
            info = (x_ps * (e * (1 - e))[:, None]).T @ x_ps
            g = x_ps * (d.treated - e)[:, None]
            D = scores.T @ dw                             # p x q
            phi = phi + g @ np.linalg.solve(info, D.T)
        sums = _cluster_sums(phi, design.clusters)
        groups = sums.shape[0]
        centred = sums - sums.mean(axis=0)
        meat = groups / max(groups - 1, 1) * centred.T @ centred
    if penalty is not None:
        # the penalised likelihood's calibrated precision, the penalty's curvature plus
        # H J^-1 H (module docstring, "Penalised families"); H alone may be (near) singular
        _, meat_inv, clipped = _clipped_inverse(meat)
        precision, covariance, clipped_p = _clipped_inverse(
            penalty(theta_hat)[2][0] + neg_h @ meat_inv @ neg_h)
        return {"theta_hat": theta_hat, "hessian": neg_h, "meat": meat,
                "covariance": covariance, "precision": precision,
                "clipped": clipped or clipped_p}
    h_inv = np.linalg.inv(neg_h)
    covariance, _, clipped = _clipped_inverse(h_inv @ meat @ h_inv)
    return {"theta_hat": theta_hat, "hessian": neg_h, "meat": meat, "covariance": covariance,
            "clipped": clipped}


MIXTURE_MIN_ESS = 200   # draws below which a mixture component's moments are derived, not read
SCORE_BUDGET = 20_000_000   # patients x draws at which the log-likelihood's scores are averaged
SCORE_MIN_DRAWS = 1000      # ... but at least this many draws (when there are so many)


def _score_draws(n_draws: int, n_patients: int) -> np.ndarray:
    """Indices of the draws whose scores are averaged: all while patients x draws is within
    :data:`SCORE_BUDGET` (every fit of the bundled cohort and of up to 5 000 patients at 4 000
    draws), else that budget's worth (at least :data:`SCORE_MIN_DRAWS`) evenly spaced. The
    averages enter through the control variate c = m + Hbar^-1 gbar, whose Monte Carlo error
    grows as the draws are thinned (bundled cohort, every draw vs 1 000: largest conjugate
    error 0.026 vs 0.034 SD for the Weibull model, 0.039 vs 0.066 for the piecewise); at
    N = 20 000 the scores of 4 000 draws took 5 s."""
    keep = max(SCORE_MIN_DRAWS, SCORE_BUDGET // max(n_patients, 1))
    if n_draws <= keep:
        return np.arange(n_draws)
    return np.unique(np.linspace(0, n_draws - 1, keep).round().astype(int))


def sandwich_covariance(fit: BayesFit, design: CalibrationDesign,
                        draws: np.ndarray | None = None) -> dict:
    """The pieces of the calibration of a fit's draws (see the module docstring).

    Parameters
    ----------
    fit : BayesFit
    design : CalibrationDesign
    draws : array (D, p), optional
        The pseudo-posterior draws of theta (default the fit's, :func:`parameter_draws`).

    Returns
    -------
    dict
        ``mean`` (m) and ``sigma`` (Sigma) of the draws; ``gradient`` and ``information``
        (the weighted log-likelihood's gradient and negative Hessian averaged over the draws);
        ``likelihood_mean`` (:math:`m + \\bar H^{-1} \\bar g`); the calibrated likelihood of
        :func:`likelihood_covariance` (``theta_hat``, ``hessian``, ``meat``,
        ``likelihood_covariance`` S); ``precision`` (Lambda), ``centre`` (m*) and
        ``covariance`` (V = Lambda^-1) of the calibrated draws; ``clipped`` (whether S or
        Lambda needed eigenvalue clipping to be positive definite); ``names``; for a robust
        mixture prior also ``components``: the same Gaussian pieces per component of the log-HR
        prior, with ``weight`` (in the pseudo-posterior), ``target_weight`` (after calibration),
        ``derived`` (moments derived from another component: too few draws of its own) and
        ``responsibility`` (D: each draw's probability of coming from that component).
    """
    names = parameter_names(fit)
    if draws is None:
        draws = parameter_draws(fit).reshape(-1, len(names))
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != len(names) or draws.shape[0] <= len(names):
        raise AnalysisError(f"the calibration needs more than {len(names)} draws of the "
                            f"{len(names)} parameters; got an array of shape {draws.shape}")
    likelihood = likelihood_covariance(fit, design, draws.mean(axis=0))
    sub = _score_draws(draws.shape[0], fit.data.time.size)
    grads, infos = _draw_sums(fit, draws[sub])
    penalised = "precision" in likelihood                              # a penalised family
    if penalised:
        h_adj = likelihood["precision"]
        _, g, h = _penalty(fit)(draws[sub])
        grads, infos = grads + g, infos + h            # the penalised likelihood's
    else:
        _, h_adj, _ = _clipped_inverse(likelihood["covariance"])      # S^-1 = H J^-1 H
    prior = fit.prior
    comps = prior.components() if hasattr(prior, "components") else ((1.0, 0.0, 10.0),)
    out = _gaussian_target(draws.mean(axis=0), np.atleast_2d(np.cov(draws, rowvar=False)),
                           grads.mean(axis=0), infos.mean(axis=0), h_adj,
                           _known_prior(fit, names, comps[0][1:]), draws[sub].mean(axis=0),
                           penalised)
    out.update(theta_hat=likelihood["theta_hat"], hessian=likelihood["hessian"],
               meat=likelihood["meat"], likelihood_covariance=likelihood["covariance"],
               clipped=out["clipped"] or likelihood["clipped"], names=names)
    if len(comps) > 1:
        out["components"] = _mixture_components(fit, draws, sub, grads, infos, h_adj, names,
                                                penalised)
        out["clipped"] = out["clipped"] or any(c["clipped"] for c in out["components"])
    return out


def _mixture_components(fit: BayesFit, draws: np.ndarray, sub: np.ndarray, grads: np.ndarray,
                        infos: np.ndarray, h_adj: np.ndarray, names: list[str],
                        penalised: bool = False) -> list[dict]:
    """The calibrated Gaussian of each component of a mixture prior on the log HR (module
    docstring, "Mixture priors")."""
    from scipy.special import logsumexp
    from scipy.stats import norm

    comps = fit.prior.components()
    h = names.index("log_hr")
    x = draws[:, h]
    log_r = np.stack([math.log(w) + norm.logpdf(x, mu, sd) for w, mu, sd in comps])
    r = np.exp(log_r - logsumexp(log_r, axis=0))                          # K x D
    ess = r.sum(axis=1) ** 2 / np.sum(r ** 2, axis=1)
    best = int(np.argmax(ess))
    e = np.zeros(draws.shape[1])
    e[h] = 1.0
    out = []
    for k, (w, mu, sd) in enumerate(comps):
        weights = r[k] / r[k].sum()
        if k == best or ess[k] >= MIXTURE_MIN_ESS:
            mean = weights @ draws
            centred = draws - mean
            sigma = (centred * weights[:, None]).T @ centred / (1 - np.sum(weights ** 2))
            scored = r[k, sub] / r[k, sub].sum()
            piece = _gaussian_target(mean, sigma, scored @ grads,
                                     np.tensordot(scored, infos, axes=1), h_adj,
                                     _known_prior(fit, names, (mu, sd)), scored @ draws[sub],
                                     penalised)
            piece["derived"] = False
        else:
            piece = None
        out.append(piece)
    ref, (_, mu_b, sd_b) = out[best], comps[best]
    for k, (w, mu, sd) in enumerate(comps):
        if out[k] is None:
            # the same Gaussians with the log-HR prior N(mu_b, sd_b^2) swapped for N(mu, sd^2)
            d_prec = 1 / sd ** 2 - 1 / sd_b ** 2
            d_lin = mu / sd ** 2 - mu_b / sd_b ** 2
            sigma_inv = np.linalg.inv(ref["sigma"]) + d_prec * np.outer(e, e)
            sigma = np.linalg.inv(sigma_inv)
            mean = sigma @ (np.linalg.solve(ref["sigma"], ref["mean"]) + d_lin * e)
            precision, v, clipped = _clipped_inverse(ref["precision"] + d_prec * np.outer(e, e))
            centre = v @ (ref["precision"] @ ref["centre"] + d_lin * e)
            out[k] = {"mean": mean, "sigma": sigma, "precision": precision, "centre": centre,
                      "covariance": v, "clipped": clipped, "derived": True}
    # the log HR's likelihood (other parameters' priors included), Kish and calibrated: the
    # best-read component's log-HR marginal less its prior; each component's weight moves by
    # the ratio of its marginal likelihoods under the two
    def marginal(mean_h, var_h):
        var = 1 / (1 / var_h - 1 / sd_b ** 2)
        if not var > 0:
            raise AnalysisError("the robust mixture's components cannot be calibrated: a "
                                "component's posterior is wider than its prior")
        return var * (mean_h / var_h - mu_b / sd_b ** 2), var

    a_k, v_k = marginal(ref["mean"][h], ref["sigma"][h, h])
    a_c, v_c = marginal(ref["centre"][h], ref["covariance"][h, h])
    weight = r.mean(axis=1)
    log_target = np.log(weight) + np.array(
        [norm.logpdf(mu, a_c, math.sqrt(sd ** 2 + v_c)) - norm.logpdf(mu, a_k,
                                                                       math.sqrt(sd ** 2 + v_k))
         for _, mu, sd in comps])
    target = np.exp(log_target - logsumexp(log_target))
    for k, piece in enumerate(out):
        piece.update(weight=float(weight[k]), target_weight=float(target[k]),
                     responsibility=r[k])
    return out


def _map_mixture(flat: np.ndarray, components: list[dict], seed: int) -> np.ndarray:
    """Each draw mapped to the calibrated mixture: a component drawn from its responsibilities
    (so that the draws of one component are that component's pseudo-posterior), standardised
    by that component's mean and covariance, moved to a component of the calibrated weights
    (kept with probability min(1, target / weight), else drawn from the weights gained: a
    maximal coupling), and mapped to that component's calibrated centre and covariance."""
    rng = np.random.default_rng([int(seed), 23])
    r = np.stack([c["responsibility"] for c in components])              # K x D
    cum = np.cumsum(r, axis=0)
    label = np.minimum((rng.random(flat.shape[0])[None, :] > cum).sum(axis=0), len(r) - 1)
    weight = np.array([c["weight"] for c in components])
    target = np.array([c["target_weight"] for c in components])
    keep = rng.random(flat.shape[0]) < np.minimum(1.0, target / weight)[label]
    gain = np.clip(target - weight, 0, None)
    new = label.copy()
    moved = ~keep
    if moved.any() and gain.sum() > 0:
        new[moved] = rng.choice(len(components), size=int(moved.sum()), p=gain / gain.sum())
    out = np.empty_like(flat)
    p = flat.shape[1]
    for k, c in enumerate(components):
        l_sigma = np.linalg.cholesky(c["sigma"] + 1e-14 * np.trace(c["sigma"]) * np.eye(p))
        mine = label == k
        u = np.linalg.solve(l_sigma, (flat[mine] - c["mean"]).T).T
        for j, target_c in enumerate(components):
            rows = np.flatnonzero(mine)[new[mine] == j]
            if rows.size:
                l_v = np.linalg.cholesky(target_c["covariance"])
                out[rows] = target_c["centre"] + u[new[mine] == j] @ l_v.T
    return out


def calibrate(fit: BayesFit, design: CalibrationDesign | None = None) -> BayesFit:
    """The fit with its posterior draws mapped to the sandwich-calibrated covariance.

    Parameters
    ----------
    fit : BayesFit
        A fit of a calibrated family (not time-varying), of
        :func:`bayeshcc.bayes.fit.fit_survival_model`, weighted or not.
    design : CalibrationDesign, optional
        Default: weights held fixed, every row its own cluster.

    Returns
    -------
    BayesFit
        Same model, data, prior and seed; posterior draws calibrated (see the module
        docstring), ``sample_stats`` kept, ``log_likelihood`` recomputed. The posterior's attrs
        record ``calibration`` (the meat used: ``"sandwich"`` or ``"jackknife"``) and
        ``calibration_sd_ratio_log_hr`` (calibrated / raw posterior SD of the log HR).

    Raises
    ------
    AnalysisError
        For a time-varying fit, a pooled PS-bootstrap posterior, or a design whose
        rows or weights do not match the fit.

    Examples
    --------
    >>> fit = fit_survival_model("weibull", time, event, treated, weights=w.weights)  # doctest: +SKIP
    >>> calibrated = calibrate(fit, calibration_design("ate", ps, X, w))  # doctest: +SKIP
    >>> hr_summary(calibrated)  # doctest: +SKIP
    """
    from bayeshcc.bayes.diagnostics import REPLICATE_COORD
    from bayeshcc.bayes.fit import _add_log_likelihood

    design = design or CalibrationDesign()
    post = fit.posterior["posterior"].to_dataset()
    if "log_hr_interval" in post:
        raise AnalysisError("a time-varying model is not calibrated: its interval log HRs "
                            "are shrunk by a hierarchical prior (see "
                            "bayeshcc.bayes.calibration)")
    if REPLICATE_COORD in post.coords:
        raise AnalysisError("a posterior pooled over PS replicates cannot be sandwich-calibrated; "
                            "calibrate the fixed-PS fit instead")
    names = parameter_names(fit)
    theta = parameter_draws(fit)
    shape = theta.shape
    flat = theta.reshape(-1, shape[-1])
    pieces = sandwich_covariance(fit, design, flat)
    if "components" in pieces:
        adjusted = _map_mixture(flat, pieces["components"], fit.seed).reshape(shape)
    else:
        mean, centre = pieces["mean"], pieces["centre"]
        sigma, v = pieces["sigma"], pieces["covariance"]
        l_sigma = np.linalg.cholesky(sigma + 1e-14 * np.trace(sigma) * np.eye(len(names)))
        l_v = np.linalg.cholesky(v)
        transform = l_v @ np.linalg.solve(l_sigma, np.eye(len(names)))
        adjusted = (centre + (flat - mean) @ transform.T).reshape(shape)
    new = post.copy()
    hr_index = names.index("log_hr")
    k = fit.data.X.shape[1]

    def put(name, values):
        new[name] = (post[name].dims, values)

    family = _family(fit)
    for name, values in family.baseline_draws(adjusted[..., :hr_index]).items():
        if name in post:  # e.g. a curve prior's piecewise fit has no alpha_first
            put(name, values)
    if family.calibration_drops:
        new = new.drop_vars([v for v in family.calibration_drops if v in new])
        new = new.drop_dims([dim for dim in new.dims if dim not in
                             {dd for var in new.data_vars.values() for dd in var.dims}])
    put("log_hr", adjusted[..., hr_index])
    if k:
        put("beta", adjusted[..., hr_index + 1:])
    raw_sd = float(np.std(flat[:, hr_index], ddof=1))
    new_sd = float(np.std(adjusted[..., hr_index], ddof=1))
    used = "jackknife" if _uses_jackknife(design, fit.data.time.size) else "sandwich"
    new.attrs = {**post.attrs, ATTR_METHOD: used,
                 ATTR_SD_RATIO: new_sd / raw_sd if raw_sd > 0 else float("nan"),
                 ATTR_CLIPPED: int(pieces["clipped"])}
    groups = {"posterior": new}
    for group in fit.posterior.children:
        if group not in ("posterior", "log_likelihood"):
            groups[group] = fit.posterior[group].to_dataset()
    tree = xr.DataTree.from_dict(groups)
    out = dataclasses.replace(fit, posterior=tree,
                              timings={**fit.timings, ATTR_METHOD: used})
    if "log_likelihood" in fit.posterior.children:
        _add_log_likelihood(out)
    return out
