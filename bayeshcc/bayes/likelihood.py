"""The censored (pseudo-)log-likelihood and its event-time generator, written once for every model.

.. math:: \\ell = \\sum_i w_i \\left( d_i \\log h(t_i \\mid x_i) - H(t_i \\mid x_i) \\right)

A model supplies its log hazard at the observed times and its cumulative hazard; weights ``w``
are analysis weights (ones when unweighted). In the PyMC models the likelihood is the observed
variable ``time`` (a ``pm.CustomDist`` with :func:`weibull_logp` / :func:`piecewise_logp` and
the generators :func:`weibull_random` / :func:`piecewise_random`), so PyMC and ArviZ see an
ordinary observed variable: ``pm.compute_log_likelihood``, ``pm.sample_prior_predictive`` and
``pm.sample_posterior_predictive`` work on it.

The log-densities take, besides the observed (scaled) times, arrays computed once from them
(``log_t``; the piecewise exposure and interval matrices), so that no logarithm or interval
search is repeated per evaluation. PyMC evaluates an observed variable's log-density only at its
observed value, where these arrays are exact. The generators draw **latent event times**
(uncensored), which is what the Kaplan-Meier of the observed, censored data estimates: ArviZ's
``plot_ppc_censored`` compares exactly those.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt


def censored_loglik(log_hazard, cumulative_hazard, event, weights):
    """Per-patient terms ``w * (d * log h - H)`` (PyTensor or NumPy arrays)."""
    return weights * (event * log_hazard - cumulative_hazard)


# --- Weibull PH: h(t) = k t^(k-1) exp(lp), H(t) = t^k exp(lp) -------------------------------

def weibull_logp(value, log_shape, lp, log_t, event, w):
    """Per-patient censored log-likelihood of the Weibull PH model (``log_t`` = log(value))."""
    shape = pt.exp(log_shape)
    return censored_loglik(log_shape + (shape - 1) * log_t + lp, pt.exp(lp + shape * log_t),
                           event, w)


def weibull_random(log_shape, lp, log_t=None, event=None, w=None, rng=None, size=None):
    """Latent event times: ``T = (E exp(-lp))^(1/k)``, E ~ Exp(1); leading axes broadcast."""
    rng = rng if rng is not None else np.random.default_rng()
    log_shape, lp = np.asarray(log_shape, dtype=float), np.asarray(lp, dtype=float)
    shape = np.broadcast_shapes(np.shape(log_shape), lp.shape) if size is None else size
    e = rng.exponential(size=shape)
    return (e * np.exp(-lp)) ** (1.0 / np.exp(log_shape))


# --- Piecewise exponential: log h = alpha_j + log_hr_j trt + xb on [c_{j-1}, c_j) ------------

def make_piecewise_logp(time_varying: bool):
    """The piecewise model's per-patient censored log-likelihood. ``exposure`` (N x J, time at
    risk per interval) and ``interval`` (N x J one-hot) are functions of the observed times
    (:func:`bayeshcc.bayes.data.exposure_matrix`); matrix-vector products keep the cost at
    O(N J) multiply-adds and O(J) exponentials (no N x J exponentials)."""

    def piecewise_logp(value, alpha, log_hr_j, trt, xb, exposure, interval, edges, event, w):
        base = pt.dot(exposure, pt.exp(alpha))  # reference-arm H(t) at x = 0
        if time_varying:
            log_h_trt = pt.dot(interval, log_hr_j)
            base_treated = pt.dot(exposure, pt.exp(alpha + log_hr_j))
        else:  # one log HR: exposure @ exp(alpha + b) = exp(b) * base, one product fewer
            log_h_trt = log_hr_j[0]
            base_treated = base * pt.exp(log_hr_j[0])
        log_h = pt.dot(interval, alpha) + trt * log_h_trt + xb
        cum_h = (base + trt * (base_treated - base)) * pt.exp(xb)
        return censored_loglik(log_h, cum_h, event, w)

    return piecewise_logp


def piecewise_random(alpha, log_hr_j, trt, xb, exposure=None, interval=None, edges=None,
                     event=None, w=None, rng=None, size=None):
    """Latent event times of the piecewise-exponential model by inverting H(t) = E, E ~ Exp(1).

    ``alpha`` and ``log_hr_j`` are (..., J), ``trt`` and ``xb`` (..., N), ``edges`` the J - 1
    interior cut points; leading (draw) axes broadcast.

    The rate factorises as :math:`e^{\\alpha_j + b_j t_i} e^{x_i\\beta}`, and with one log HR
    b as :math:`e^{\\alpha_j} e^{b t_i + x_i\\beta}`: a patient's cumulative hazard is a
    multiple of a baseline's (the reference arm's with one log HR; with interval log HRs one per
    arm, i.e. per distinct value of ``trt``), whose values at the J interval starts are
    computed once per draw. The interval reached is searched among those J values, without
    (..., N, J) arrays of rates; the exponentials drawn are the same (one per patient and draw,
    in the same order) as the direct inversion's.
    """
    rng = rng if rng is not None else np.random.default_rng()
    alpha, log_hr_j = np.asarray(alpha, dtype=float), np.asarray(log_hr_j, dtype=float)
    trt, xb = np.asarray(trt, dtype=float), np.asarray(xb, dtype=float)
    lower = np.concatenate([[0.0], np.asarray(edges, dtype=float)])        # J interval starts
    width = np.diff(np.concatenate([lower, [np.inf]]))                     # last one open
    finite = np.where(np.isfinite(width), width, 0.0)
    # the shape of (..., N): the (..., N, J) rates' without J, as drawn before
    shape = np.broadcast_shapes(alpha.shape[:-1] + (1,), log_hr_j.shape[:-1] + (1,), trt.shape,
                                xb.shape)
    target = rng.exponential(size=shape if size is None else size)
    if np.all(log_hr_j == log_hr_j[..., :1]):                              # one log HR
        return _invert_baseline(alpha, trt * log_hr_j[..., :1] + xb, target, lower, finite)
    times = None                                     # interval log HRs: a baseline per arm
    for arm in np.unique(trt):
        arm_times = _invert_baseline(alpha + arm * log_hr_j, xb, target, lower, finite)
        times = arm_times if times is None else np.where(trt == arm, arm_times, times)
    return times


def _invert_baseline(log_base, log_multiple, target, lower, finite):
    """Times at which ``exp(log_multiple)`` (..., N) times the cumulative hazard of the
    piecewise-constant baseline with log rates ``log_base`` (..., J) reaches ``target``."""
    base = np.exp(log_base)
    cum = np.concatenate([np.zeros(base.shape[:-1] + (1,)),
                          np.cumsum(base[..., :-1] * finite[:-1], axis=-1)], axis=-1)
    reached = target * np.exp(-np.asarray(log_multiple))                   # baseline's H(t)
    lead = np.broadcast_shapes(reached.shape[:-1], base.shape[:-1])
    reached = np.broadcast_to(reached, lead + reached.shape[-1:])
    j = np.zeros(reached.shape, dtype=np.intp)                             # interval reached
    for k in range(1, base.shape[-1]):
        j += cum[..., k:k + 1] <= reached
    base = np.broadcast_to(base, lead + base.shape[-1:])
    cum = np.broadcast_to(cum, lead + cum.shape[-1:])
    return (lower[j] + (reached - np.take_along_axis(cum, j, axis=-1))
            / np.take_along_axis(base, j, axis=-1))
