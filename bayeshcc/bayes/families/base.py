"""What the package needs from a baseline hazard model: the :class:`Family` protocol.

A family is the baseline hazard :math:`h_0(t)` of a proportional-hazards model

.. math:: h(t \\mid trt, x) = h_0(t) \\exp(\\text{log\\_hr} \\cdot trt + x'\\beta),

(or, where the family allows it, an interval-wise log HR), written once for each use:

- the PyMC graph of its baseline parameters and the observed variable ``time``
  (:func:`bayeshcc.bayes.models.build_model` builds the shared part: ``pm.Data``, the log HR and
  the coefficients), and the ``pm.Data`` values it reads;
- its log hazard and cumulative hazard in NumPy over posterior draws, for the contrasts;
- the pointwise log-likelihood graph and the event-time generator of the ``log_likelihood`` and
  ``posterior_predictive`` groups (:mod:`bayeshcc.bayes.groups`);
- its prior draws and median survival for the prior predictive check, and its simulator for
  simulation-based calibration;
- its start values and NUTS settings, and what it adds to the posterior after sampling;
- its part of the curve prior (:mod:`bayeshcc.bayes.commensurate`): the external arm's
  baseline, and the cohort's baseline as the external one plus a commensurate deviation;
- its part of the sandwich calibration (:mod:`bayeshcc.bayes.calibration`): its posterior
  variables from a parameter vector, which of its priors are fixed normals, and its likelihood
  graph's parameters as functions of a symbolic parameter vector, from which
  :mod:`bayeshcc.bayes.families.derivatives` differentiates the log-likelihood; optionally
  (:class:`AnalyticDerivatives`) its hand-derived scores and Hessians, which are faster.

The calibration's parameter vector :math:`\\theta` is, in this order, the baseline parameters
(:meth:`Family.baseline_parameter_names`: the posterior's :attr:`Family.baseline_variables`,
each flattened), ``log_hr`` and the covariate coefficients ``beta[0..K-1]``, all in
linear-predictor form.

The implementations are modules of :mod:`bayeshcc.bayes.families`, one per family, and the
registry there maps each model name to one. Nothing outside that package branches on a model's
name: it asks the family. A family's arithmetic is its own; the orders in which it creates
PyMC variables and draws random numbers fix the compiled models and the draws, so they are part
of its contract.

Times are in the model's scaled units (:attr:`bayeshcc.bayes.data.SurvivalData.scaled_time`)
unless said otherwise. ``cuts`` are a family's interior time points in the data's unit
(:meth:`Family.cutpoints`; None for a family without them).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from bayeshcc.bayes.data import SurvivalData

# The log baseline rate's prior, shared by the families: N(log(events / exposure), 2).
BASELINE_SD = 2.0


def rate_center(data: SurvivalData) -> float:
    """log(events / total time) in scaled time: where the baseline prior is centred."""
    return float(np.log(data.event.sum() / data.scaled_time.sum()))


@runtime_checkable
class Family(Protocol):
    """A baseline hazard model (module docstring).

    Attributes
    ----------
    name : str
        The model name of specs and the API (``bayes.models``, ``bh.fit(model=...)``).
    title : str
        Its name in words, for the report and figure titles (``Weibull``).
    baseline_variables : tuple of str
        The posterior variables of the baseline parameters, in linear-predictor form (log
        rates), in the order of :meth:`baseline_parameter_names`.
    target_accept : float
        NUTS target acceptance of its fits (a time-varying log HR has its own, see
        :func:`bayeshcc.bayes.fit.target_accept`).
    adaptation : str
        nutpie's mass-matrix adaptation (``"diag"`` or ``"low_rank"``).
    curve_target_accept : float
        NUTS target acceptance of its fits with a curve prior.
    diagnostic_variables : tuple of str
        The baseline's posterior variables shown in the rank and trace plots, after ``log_hr``.
    time_varying : bool
        Whether it has a time-varying (interval-wise) log HR; a fit that asks for one from a
        family without it is refused, never fitted with a constant HR.
    patient_data : frozenset of str
        Its ``pm.Data`` (cohort and external) with one row per patient: a model is compiled
        from two rows of each.
    calibration_drops : tuple of str
        Posterior variables that a calibrated posterior leaves out: functions of the sampled
        draws that the calibration's map of the baseline parameters would leave inconsistent
        with them (the piecewise random walk's ``sigma``); empty for most families.
    calibrated : bool
        Whether the sandwich calibration (:mod:`bayeshcc.bayes.calibration`) of its weighted and
        matched fits has been validated (coverage by simulation, ``docs/validation.md``);
        :func:`bayeshcc.bayes.families.check_calibration` refuses the others.
    """

    name: str
    title: str
    baseline_variables: tuple[str, ...]
    target_accept: float
    adaptation: str
    curve_target_accept: float
    diagnostic_variables: tuple[str, ...]
    time_varying: bool
    patient_data: frozenset[str]
    calibration_drops: tuple[str, ...]
    calibrated: bool

    # --- structure and data -------------------------------------------------------------

    def baseline_parameter_names(self, n_intervals: int) -> list[str]:
        """The baseline parameters one by one (``alpha[0]``, ...), as calibration names them."""

    def cutpoints(self, cutpoints, data: SurvivalData, intervals: int) -> np.ndarray | None:
        """A fit's interior time points (data's unit): ``cutpoints`` when the family uses
        them, else a default from ``data`` for ``intervals`` intervals; None when it has
        none."""

    def data_values(self, data: SurvivalData, cuts: np.ndarray | None) -> dict[str, Any]:
        """The family's own ``pm.Data`` values, beside the shared ones of
        :func:`bayeshcc.bayes.models.data_values` (and after them, in this order)."""

    # --- the PyMC graph -------------------------------------------------------------------

    def build_baseline(self, d: dict, log_hr, xb, n_covariates: int, n_intervals: int,
                       time_varying: bool) -> None:
        """Add the baseline parameters and the observed ``time`` to the model being built.

        Parameters
        ----------
        d : dict
            The model's ``pm.Data`` by name.
        log_hr, xb
            The log HR and the covariates' linear predictor (0 without covariates).
        n_covariates, n_intervals : int
            The structure of the compiled model.
        time_varying : bool
            An interval-wise log HR (families that support it).
        """

    def start_values(self, n_intervals: int) -> dict[str, Any]:
        """Start values of the baseline parameters, independent of the data."""

    def complete_posterior(self, tree, seed: int):
        """The posterior DataTree after sampling, with what the family derives from the draws
        (the tree unchanged when nothing)."""

    def describe(self, cuts: np.ndarray | None) -> dict[str, Any]:
        """What a fit's posterior records about the family's structure in its attributes
        (e.g. knots and the extrapolation rule; ``cuts`` in the data's unit); empty when
        nothing."""

    # --- NumPy hazards (contrasts) --------------------------------------------------------

    def cumulative_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                          cuts: np.ndarray | None = None) -> np.ndarray:
        """H(t_i | trt_i, x_i) for each draw (draws x N); ``cuts`` scaled."""

    def log_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                   cuts: np.ndarray | None = None) -> np.ndarray:
        """log h(t_i | trt_i, x_i) for each draw (draws x N); ``cuts`` scaled."""

    # --- pointwise groups -----------------------------------------------------------------

    def likelihood_graph(self, inputs: dict, time_varying: bool) -> tuple[list, list, list]:
        """The one-draw pointwise log-likelihood graph.

        Parameters
        ----------
        inputs : dict
            Shared symbolic inputs: ``beta``, ``X``, ``trt``, ``event``, ``w``, ``t_obs`` and
            ``xb`` (``X @ beta``).
        time_varying : bool

        Returns
        -------
        (parameters, data, outputs)
            Its parameter and data inputs, in the order of :meth:`likelihood_parameters` and
            :meth:`likelihood_data`, and the outputs (pointwise log-likelihood, each patient's
            linear predictor as :meth:`predictive_times` takes it).
        """

    def likelihood_parameters(self, draws: dict, beta: np.ndarray) -> list[np.ndarray]:
        """Per-draw parameter arrays in the order of :meth:`likelihood_graph`'s."""

    def likelihood_data(self, values: dict, data: SurvivalData, X: np.ndarray) -> list:
        """Data arrays in the order of :meth:`likelihood_graph`'s, from the fit's ``pm.Data``
        ``values``."""

    def predictive_times(self, draws: dict, linear: np.ndarray, data: SurvivalData,
                         cuts: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        """Latent event times (draws x N, scaled time) from the generator, given the linear
        predictor ``linear`` of :meth:`likelihood_graph`."""

    # --- prior predictive and SBC ---------------------------------------------------------

    def sample_prior(self, rate_centre: float, n_intervals: int, draws: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draws of the baseline parameters from their prior (after the log HR's)."""

    def median_survival(self, draws: dict, arm: float,
                        cuts: np.ndarray | None = None) -> np.ndarray:
        """Median survival per draw (scaled time) of arm 1 or 0 at x = 0."""

    def simulate(self, rng: np.random.Generator, baseline: tuple[float, float],
                 target: np.ndarray, log_hr: float, trt: np.ndarray, xb: np.ndarray,
                 cuts: np.ndarray | None) -> tuple[dict[str, float], np.ndarray]:
        """True baseline parameters from the prior (log rate ~ N(``baseline``)) and the latent
        event times at which the cumulative hazards reach ``target``; returns (truth, times)."""

    # --- the curve prior ------------------------------------------------------------------

    def external_values(self, t: np.ndarray, data: SurvivalData, cuts: np.ndarray | None,
                        reference_events: np.ndarray) -> tuple[dict, np.ndarray]:
        """The external arm's own ``pm.Data`` values (scaled times ``t``) and the weighted
        reference-arm events per baseline parameter (``reference_events``: each cohort
        reference patient's weight times event)."""

    def build_curve_baseline(self, d: dict, log_hr, xb, deviation: Callable[[int], Any],
                             n_covariates: int, n_intervals: int) -> None:
        """Add the external baseline, the cohort's as the external one plus
        ``deviation(size)``, and the observed ``time`` and ``time_external``."""

    def curve_start_values(self) -> dict[str, Any]:
        """Start values of a curve fit's external baseline, independent of the data."""

    # --- the sandwich calibration -------------------------------------------------------

    def baseline_draws(self, baseline: np.ndarray) -> dict[str, np.ndarray]:
        """The posterior variables of the baseline from values of its parameters.

        Parameters
        ----------
        baseline : array (..., n_baseline)
            Values of the baseline parameters (last axis in
            :meth:`baseline_parameter_names` order), e.g. calibrated draws (chain, draw, ...).

        Returns
        -------
        dict
            Each of :attr:`baseline_variables` (leading axes kept; a scalar variable without
            the last axis) and the variables derived from them (Weibull ``shape``); the
            calibration writes those the posterior has and the hazards read them.
        """

    def known_normal_prior(self, baseline_prior: tuple[float, float]) -> list[tuple[str, float,
                                                                                      float]]:
        """The baseline parameters whose priors are fixed normals independent of the others.

        Parameters
        ----------
        baseline_prior : (float, float)
            Mean and SD of the fit's log-rate prior as the fit recorded it.

        Returns
        -------
        list of (name, mean, sd)
            Names of :meth:`baseline_parameter_names`; the calibration sets these rows of the
            prior's precision instead of reading them from the draws. Empty when no baseline
            prior is of this kind (a random walk, whose precision the draws give).
        """

    def symbolic_parameters(self, theta, n_intervals: int) -> list:
        """The parameter inputs of :meth:`likelihood_graph` (``time_varying=False``), in its
        order, as PyTensor expressions of a symbolic parameter vector ``theta`` (p: the baseline
        parameters, ``log_hr``, ``beta``; module docstring).

        This is all :mod:`bayeshcc.bayes.families.derivatives` needs to differentiate the
        family's log-likelihood automatically: e.g. Weibull ``[theta[1], theta[0], theta[2],
        theta[3:]]`` (its graph takes ``log_shape`` first), piecewise ``[theta[:J],
        theta[J:J + 1], theta[J + 1:]]``. A scalar input may be given as a one-element vector.
        """


@runtime_checkable
class AnalyticDerivatives(Protocol):
    """Hand-derived scores and Hessians of a family's log-likelihood (optional).

    A family without them is calibrated with the automatic derivatives of
    :mod:`bayeshcc.bayes.families.derivatives`, which are exact but slower where it counts:
    :meth:`batched_sums`, called for blocks of leave-outs at every Newton step of the jackknife
    meat (used up to N x clusters = 25 million) and for the averages over posterior draws, took
    5-6x the Weibull formulas' time and 3-18x the piecewise ones' at N = 3 000, and the whole
    jackknife 5x and 12x (21 s and 53 s against 4 s; ``python -m
    benchmarks.calibration_derivatives``). Write them when a family is meant for cohorts of
    thousands calibrated by the jackknife; at N = 300 the automatic ones' jackknife took 0.3 s
    (Weibull) and 1.3 s (piecewise), after 3-10 s of compiling once per process. The formulas must agree with the automatic ones to rounding
    (``tests/bayes/test_derivatives.py`` checks every family that has them).

    Both methods take the parameter vector of the module docstring, times in the model's
    scaled unit, the standardised covariates ``X`` (N x K) and ``cuts`` in the scaled unit
    (None for a family without them).
    """

    def scores_and_hessian(self, theta, t, event, treated, X, cuts=None,
                           weights=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-patient scores :math:`\\nabla \\ell_i` (N x p) of the unweighted terms
        :math:`\\ell_i = d_i \\log h(t_i) - H(t_i)` and the negative Hessian of the weighted sum
        :math:`-\\sum_i w_i \\nabla^2 \\ell_i` (p x p; ``weights`` default ones), at one
        ``theta`` (p)."""

    def batched_sums(self, thetas, W, t, event, treated, X,
                     cuts=None) -> tuple[np.ndarray, np.ndarray]:
        """:math:`\\sum_i W_{bi} s_i(\\theta_b)` (B x p) and
        :math:`-\\sum_i W_{bi} \\nabla^2 \\ell_i(\\theta_b)` (B x p x p) for B parameter vectors
        ``thetas`` (B x p), each with its row of weights ``W`` (B x N; 0 = left out)."""


@runtime_checkable
class CalibrationPenalty(Protocol):
    """A log prior density that the calibration's estimator includes (optional).

    For a family whose likelihood alone may have no maximum (a spline coefficient that the
    data do not identify goes to minus infinity), the sandwich is evaluated at the maximum of
    the weighted log-likelihood plus this penalty, and the leave-one-out refits of the
    jackknife maximise the same (:mod:`bayeshcc.bayes.calibration`, "Penalised families").
    The penalty is the family's own smoothing prior; the fixed normal priors
    (:meth:`Family.known_normal_prior`) are not part of it.
    """

    def calibration_penalty(self, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
        """The log penalty, its gradient and its negative Hessian in the baseline parameters.

        Parameters
        ----------
        baseline : array (B, n_baseline)
            Values of the baseline parameters (:meth:`Family.baseline_parameter_names` order).

        Returns
        -------
        value : array (B,)
        gradient : array (B, n_baseline)
        neg_hessian : array (B, n_baseline, n_baseline)
        """
