"""Scores and Hessians of a family's log-likelihood, for the sandwich calibration.

The calibration (:mod:`bayeshcc.bayes.calibration`) needs, at a parameter vector
:math:`\\theta` (the family's baseline parameters, the log HR and the covariate coefficients,
in that order: :func:`parameter_names`), each patient's score :math:`s_i = \\nabla\\ell_i`
of the unweighted term :math:`\\ell_i = d_i \\log h(t_i) - H(t_i)` and the weighted negative
Hessian :math:`-\\sum_i w_i \\nabla^2 \\ell_i` (:func:`scores_and_hessian`), and the weighted
score sums and negative Hessians at B parameter vectors at once, each with its own weights
(:func:`batched_sums`: the jackknife's leave-one-out refits and the averages over posterior
draws).

A family that implements
:class:`~bayeshcc.bayes.families.base.AnalyticDerivatives` (hand-derived formulas, the Weibull
and piecewise families) is asked for them; any other family gets them here by PyTensor's
automatic differentiation of its own pointwise log-likelihood graph
(:meth:`~bayeshcc.bayes.families.base.Family.likelihood_graph` with the parameters of
:meth:`~bayeshcc.bayes.families.base.Family.symbolic_parameters`), so that a new family is
calibrated without deriving anything. The automatic derivatives are exact (no step size): they
agree with the analytic ones of both families to about 1e-15 relative
(``tests/bayes/test_derivatives.py``). Their cost (``python -m
benchmarks.calibration_derivatives``, N = 3 000 patients, 4 covariates, 6 intervals, 2 busy
cores, 2026-12-03): :func:`batched_sums` at B = 200 parameter vectors 4.5-6x the analytic
Weibull's time (0.03-0.07 s) and 3-18x the piecewise's (0.04-0.12 s); the N x p scores at one
vector 0.3-0.4x and 1.0-1.3x (forward mode); the whole leave-one-out jackknife 5.4x (20.6 s
against 3.8 s) and 11.8x (52.8 s against 4.5 s); compiling them 3-10 s per family and
structure, once per process. See :class:`~bayeshcc.bayes.families.base.AnalyticDerivatives`
for when a family should give its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayeshcc.bayes.data import SurvivalData
from bayeshcc.bayes.families.base import AnalyticDerivatives, Family

# compiled automatic derivatives per (family, kind, intervals, covariates)
_COMPILED: dict[tuple, Any] = {}


def parameter_names(family: Family, n_covariates: int, n_intervals: int) -> list[str]:
    """The names of :math:`\\theta`'s components: the family's baseline parameters
    (:meth:`~bayeshcc.bayes.families.base.Family.baseline_parameter_names`), ``log_hr``,
    ``beta[0]``, ..., ``beta[K-1]``."""
    beta = [f"beta[{j}]" for j in range(n_covariates)]
    return [*family.baseline_parameter_names(n_intervals), "log_hr", *beta]


def split_parameters(family: Family, theta: np.ndarray, n_intervals: int) -> dict:
    """Draws of the posterior variables from parameter vectors (last axis :math:`\\theta`):
    the family's baseline variables (:meth:`~bayeshcc.bayes.families.base.Family.baseline_draws`,
    derived ones included), ``log_hr`` and ``beta`` (last axis K)."""
    theta = np.asarray(theta, dtype=float)
    nb = len(family.baseline_parameter_names(n_intervals))
    return {**family.baseline_draws(theta[..., :nb]), "log_hr": theta[..., nb],
            "beta": theta[..., nb + 1:]}


def scores_and_hessian(family: Family, theta, t, event, treated, X, cuts=None,
                       weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-patient scores of the unweighted terms and the weighted negative Hessian at theta.

    Parameters
    ----------
    family : Family
    theta : array (p,), in :func:`parameter_names` order.
    t, event, treated : arrays (N,); time in the model's scaled unit.
    X : array (N, K), the standardised covariates the model saw.
    cuts : interior cut points in the scaled unit (families with intervals), else None.
    weights : array (N,), optional (default ones), for the Hessian.

    Returns
    -------
    scores : array (N, p), :math:`\\nabla \\ell_i(\\theta)`.
    neg_hessian : array (p, p), :math:`-\\sum_i w_i \\nabla^2 \\ell_i(\\theta)`.

    The family's own formulas when it has them (:class:`AnalyticDerivatives`), else
    :func:`autodiff_scores_and_hessian`.
    """
    if isinstance(family, AnalyticDerivatives):
        return family.scores_and_hessian(theta, t, event, treated, X, cuts, weights)
    return autodiff_scores_and_hessian(family, theta, t, event, treated, X, cuts, weights)


def batched_sums(family: Family, thetas, W, t, event, treated, X,
                 cuts=None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted score sums and negative Hessians at B parameter vectors at once.

    Parameters
    ----------
    family : Family
    thetas : array (B, p)
    W : array (B, N), the weights of each of the B estimating equations (0 = left out).
    t, event, treated, X, cuts : as :func:`scores_and_hessian`.

    Returns
    -------
    grad : array (B, p), :math:`\\sum_i W_{bi} s_i(\\theta_b)`.
    neg_hessian : array (B, p, p), :math:`-\\sum_i W_{bi} \\nabla^2 \\ell_i(\\theta_b)`.

    The family's own formulas when it has them (:class:`AnalyticDerivatives`), else
    :func:`autodiff_batched_sums`.
    """
    if isinstance(family, AnalyticDerivatives):
        return family.batched_sums(thetas, W, t, event, treated, X, cuts)
    return autodiff_batched_sums(family, thetas, W, t, event, treated, X, cuts)


def without_analytic_derivatives(family: Family):
    """The family with its hand-derived derivatives hidden: every other attribute its own, so
    that :func:`scores_and_hessian` and :func:`batched_sums` (and the calibration, when
    registered in its place) use the automatic derivatives (to check a family's formulas or
    time them; ``tests/bayes/test_derivatives.py``)."""
    from types import SimpleNamespace

    hidden = {"scores_and_hessian", "batched_sums"}
    return SimpleNamespace(**{name: getattr(family, name) for name in dir(family)
                              if not name.startswith("_") and name not in hidden})


def loglik_terms(family: Family, theta, t, event, treated, X, cuts=None) -> np.ndarray:
    """Per-patient :math:`d_i \\log h - H` at one theta, from the family's NumPy hazards
    (:meth:`~bayeshcc.bayes.families.base.Family.log_hazard` and ``cumulative_hazard``: the
    likelihood the derivatives are tested against)."""
    from bayeshcc.bayes.hazards import linear_covariates

    theta = np.asarray(theta, dtype=float)
    X = np.asarray(X, dtype=float).reshape(np.size(t), -1)
    k = X.shape[1]
    j = 1 if cuts is None else np.size(cuts) + 1
    par = {key: np.asarray(v)[None, ...]
           for key, v in split_parameters(family, theta, j).items()}
    draws = {**par, "beta": par["beta"].reshape(1, k)}
    xb = linear_covariates(draws, X)
    return (event * family.log_hazard(draws, t, treated, xb, cuts)
            - family.cumulative_hazard(draws, t, treated, xb, cuts))[0]


# ---------------------------------------------------------------------------------------------
# Sums of weighted outer products (the analytic Hessians' building block)


def weighted_outer(W: np.ndarray, a: np.ndarray) -> np.ndarray:
    """:math:`\\sum_n W_{bn} a_n a_n^\\top` for each row b of W (B x p x p), as one matrix
    product with the N x p(p+1)/2 distinct outer products (BLAS; ``einsum("bn,np,nq->bpq")`` is
    a plain loop: it was 60 % of the jackknife's time at N = 3 000)."""
    p = a.shape[1]
    upper, lower = np.triu_indices(p)                      # the p(p+1)/2 distinct products
    return symmetric(W @ (a[:, upper] * a[:, lower]), p)


def symmetric(distinct: np.ndarray, p: int) -> np.ndarray:
    """B x p x p symmetric matrices from their p(p+1)/2 distinct entries per row (B x
    p(p+1)/2, in ``np.triu_indices(p)`` order)."""
    upper, lower = np.triu_indices(p)
    out = np.empty((distinct.shape[0], p, p))
    out[:, upper, lower] = distinct
    out[:, lower, upper] = distinct
    return out


# ---------------------------------------------------------------------------------------------
# Automatic derivatives of the family's pointwise log-likelihood graph


def _graph(family: Family, n_intervals: int, n_covariates: int):
    """The family's unweighted pointwise log-likelihood (N) as a PyTensor expression of one
    symbolic theta (p): (theta, the graph's other data inputs, the position of the weights
    ``w`` among its data inputs, the terms); ``w`` is replaced by ones."""
    import pytensor.tensor as pt
    from pytensor.graph.replace import graph_replace

    beta, X, trt = pt.vector("beta"), pt.matrix("X"), pt.vector("trt")
    event, w, t_obs = pt.vector("event"), pt.vector("w"), pt.vector("t_obs")
    # without covariates no X beta (a product with an empty beta fails once vectorised)
    xb = pt.dot(X, beta) if n_covariates else pt.zeros_like(t_obs)
    params, data, outputs = family.likelihood_graph(
        {"beta": beta, "X": X, "trt": trt, "event": event, "w": w, "t_obs": t_obs, "xb": xb},
        False)
    p = len(parameter_names(family, n_covariates, n_intervals))
    theta = pt.tensor("theta", shape=(p,), dtype="float64")
    values = family.symbolic_parameters(theta, n_intervals)
    replace = {param: value[0] if param.type.ndim == 0 and value.type.ndim == 1 else value
               for param, value in zip(params, values)}
    replace[w] = pt.ones_like(t_obs)
    terms = graph_replace(outputs[0], replace, strict=False)
    at = next(i for i, d in enumerate(data) if d is w)
    return theta, [d for i, d in enumerate(data) if i != at], at, terms


def _compiled(family: Family, kind: str, n_intervals: int, n_covariates: int):
    """Compiled automatic derivatives, cached per family and structure.

    ``kind="single"``: (theta, weights, data...) -> (scores N x p, negative Hessian p x p);
    ``kind="batched"``: (thetas B x p, W B x N, data...) -> (B x p, B x p x p), the one-theta
    gradient and Hessian of :math:`\\sum_i W_{bi} \\ell_i` vectorised over b
    (:func:`pytensor.graph.replace.vectorize_graph`)."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.gradient import grad, jacobian, pushforward
    from pytensor.graph.replace import vectorize_graph

    key = (family.name, kind, n_intervals, n_covariates)
    if key in _COMPILED:
        return _COMPILED[key]
    theta, data, at, terms = _graph(family, n_intervals, n_covariates)
    weights = pt.vector("weights")
    total = pt.dot(weights, terms)
    gradient = grad(total, theta)
    neg_hessian = -jacobian(gradient, theta, vectorize=True)
    if kind == "single":
        # the N x p scores as p forward-mode products J e_k (pushforward, vectorised over the
        # unit vectors): the reverse-mode jacobian of N outputs (N pullbacks) took 150 times
        # the analytic scores' time at N = 3 000, this 0.4 (Weibull) to 1.3 times (piecewise)
        tangent = pt.tensor("tangent", shape=(theta.type.shape[0],), dtype="float64")
        scores = vectorize_graph(pushforward(terms, theta, tangent),
                                 {tangent: pt.eye(theta.type.shape[0])}).T
        outputs = [scores, neg_hessian]
        inputs = [theta, weights]
    else:
        thetas, W = pt.matrix("thetas"), pt.matrix("W")
        outputs = vectorize_graph([gradient, neg_hessian], {theta: thetas, weights: W})
        inputs = [thetas, W]
    fn = pytensor.function([*inputs, *data], outputs, on_unused_input="ignore")
    _COMPILED[key] = fn, at
    return fn, at


def _data(family: Family, at: int, t, event, treated, X, cuts) -> list[np.ndarray]:
    """The graph's data inputs but the weights (position ``at``) from the arrays of one
    likelihood (:meth:`~bayeshcc.bayes.families.base.Family.likelihood_data` of a
    :class:`~bayeshcc.bayes.data.SurvivalData` in the scaled unit)."""
    t, d, trt = (np.asarray(a, dtype=float) for a in (t, event, treated))
    X = np.asarray(X, dtype=float).reshape(t.size, -1)
    k = X.shape[1]
    data = SurvivalData(t, d, trt, X, tuple(f"x{i}" for i in range(k)), np.zeros(k),
                        np.ones(k), np.ones(t.size), 1.0)
    cuts = None if cuts is None else np.asarray(cuts, dtype=float)
    values = {"t_obs": t, **family.data_values(data, cuts)}
    arrays = family.likelihood_data(values, data, X)
    return [np.ascontiguousarray(a, dtype=float) for i, a in enumerate(arrays) if i != at]


def _structure(t, X, cuts) -> tuple[int, int]:
    n = np.size(t)
    k = np.asarray(X, dtype=float).reshape(n, -1).shape[1]
    return (1 if cuts is None else np.size(cuts) + 1), k


def autodiff_scores_and_hessian(family: Family, theta, t, event, treated, X, cuts=None,
                                weights=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`scores_and_hessian` by PyTensor's automatic differentiation of the family's
    :meth:`~bayeshcc.bayes.families.base.Family.likelihood_graph` (exact derivatives, any
    family)."""
    j, k = _structure(t, X, cuts)
    fn, at = _compiled(family, "single", j, k)
    w = np.ones(np.size(t)) if weights is None else np.asarray(weights, dtype=float)
    scores, neg_h = fn(np.asarray(theta, dtype=float), w,
                       *_data(family, at, t, event, treated, X, cuts))
    return np.asarray(scores), np.asarray(neg_h)


def autodiff_batched_sums(family: Family, thetas, W, t, event, treated, X,
                          cuts=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`batched_sums` by PyTensor's automatic differentiation (any family)."""
    j, k = _structure(t, X, cuts)
    fn, at = _compiled(family, "batched", j, k)
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    W = np.ascontiguousarray(np.broadcast_to(np.asarray(W, dtype=float),
                                             (thetas.shape[0], np.size(t))))
    grad, neg = fn(thetas, W, *_data(family, at, t, event, treated, X, cuts))
    return np.asarray(grad), np.asarray(neg)
