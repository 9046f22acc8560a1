"""The Weibull proportional-hazards family (time in units of ``time_scale``)::

    h(t | x) = k t^(k-1) exp(log_rate + beta_trt * trt + x' beta),   H(t | x) = t^k exp(...)

Mappings: R ``survreg(dist = "weibull")`` is the AFT form with ``scale = 1/k``; its coefficients
``a`` map to PH ones by ``beta = -a / scale`` (so HR = exp(-a_trt / scale)). lifelines'
``WeibullFitter`` uses ``rho_ = k`` and ``lambda_`` with H(t) = (t / lambda_)^rho_, so
``lambda_ = exp(-log_rate / k)`` (in units of ``time_scale``). scipy's ``weibull_min(c=k,
scale=lambda_)``.

Priors on the baseline: ``log k ~ N(0, 0.5)``; ``log_rate ~ N(log(events / exposure), 2)``.
The posterior has ``log_rate``, ``log_shape`` and ``shape`` (= k). The log HR is constant (a
time-varying effect needs the piecewise family).

With a curve prior (:mod:`bayeshcc.bayes.commensurate`) the external arm has its own
``log_rate_ext`` and ``log_shape_ext`` with the same priors (centred on the external data), and
the cohort's ``log_rate``, ``log_shape`` are the external ones plus the commensurate deviation.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bayeshcc.bayes.data import SurvivalData
from bayeshcc.bayes.families.base import BASELINE_SD
from bayeshcc.bayes.families.derivatives import symmetric

LOG_SHAPE_SD = 0.5      # log k ~ N(0, 0.5)
LOG2 = float(np.log(2.0))


class WeibullFamily:
    """The Weibull PH baseline (module docstring); an implementation of
    :class:`~bayeshcc.bayes.families.base.Family`."""

    name = "weibull"
    title = "Weibull"
    baseline_variables = ("log_rate", "log_shape")
    target_accept = 0.9
    adaptation = "diag"
    curve_target_accept = 0.9
    diagnostic_variables = ("shape", "log_rate")
    time_varying = False
    patient_data = frozenset({"log_t", "log_t_ext"})
    calibration_drops = ()
    calibrated = True       # docs/validation.md

    def __repr__(self) -> str:
        return "WeibullFamily()"

    # --- structure and data -------------------------------------------------------------

    def baseline_parameter_names(self, n_intervals: int) -> list[str]:
        """``["log_rate", "log_shape"]``."""
        return list(self.baseline_variables)

    def cutpoints(self, cutpoints, data: SurvivalData, intervals: int) -> None:
        """None: the Weibull baseline has no intervals."""
        return None

    def data_values(self, data: SurvivalData, cuts: np.ndarray | None) -> dict[str, Any]:
        """``log_t``: the log of the scaled times (data: no logarithm per evaluation)."""
        return {"log_t": np.log(data.scaled_time)}

    # --- the PyMC graph -------------------------------------------------------------------

    def build_baseline(self, d: dict, log_hr, xb, n_covariates: int, n_intervals: int,
                       time_varying: bool) -> None:
        """``log_shape``, ``log_rate``, ``shape`` and the observed ``time``."""
        import pymc as pm
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import weibull_logp, weibull_random

        log_shape = pm.Normal("log_shape", 0.0, LOG_SHAPE_SD)
        log_rate = pm.Normal("log_rate", d["rate_center"], d["rate_sd"])
        pm.Deterministic("shape", pt.exp(log_shape))
        lp = log_rate + log_hr * d["trt"] + xb
        pm.CustomDist("time", log_shape, lp, d["log_t"], d["event"], d["w"],
                      logp=weibull_logp, random=weibull_random,
                      signature="(),(n),(n),(n),(n)->(n)", observed=d["t_obs"])

    def start_values(self, n_intervals: int) -> dict[str, Any]:
        """``log_rate = 0``."""
        return {"log_rate": 0.0}

    def complete_posterior(self, tree, seed: int):
        """The tree unchanged."""
        return tree

    def describe(self, cuts: np.ndarray | None) -> dict[str, Any]:
        """Nothing: the posterior's attributes are the fit's."""
        return {}

    # --- NumPy hazards (contrasts) --------------------------------------------------------

    def cumulative_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                          cuts: np.ndarray | None = None) -> np.ndarray:
        """``t^k exp(log_rate + log_hr trt + xb)`` per draw (draws x N)."""
        shape = draws["shape"][:, None]
        lp = draws["log_rate"][:, None] + draws["log_hr"][:, None] * trt + xb
        return np.exp(lp) * np.power(t, shape)

    def log_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                   cuts: np.ndarray | None = None) -> np.ndarray:
        """``log k + (k - 1) log t + log_rate + log_hr trt + xb`` per draw (draws x N)."""
        shape = draws["shape"][:, None]
        lp = draws["log_rate"][:, None] + draws["log_hr"][:, None] * trt + xb
        return np.log(shape) + (shape - 1) * np.log(t) + lp

    # --- pointwise groups -----------------------------------------------------------------

    def likelihood_graph(self, inputs: dict, time_varying: bool) -> tuple[list, list, list]:
        """Parameters ``log_shape, log_rate, log_hr, beta``; data ``t_obs, log_t, trt, X,
        event, w``; outputs the log-likelihood and the full linear predictor."""
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import weibull_logp

        beta, X, trt = inputs["beta"], inputs["X"], inputs["trt"]
        event, w, t_obs, xb = inputs["event"], inputs["w"], inputs["t_obs"], inputs["xb"]
        log_shape, log_rate, log_hr = pt.scalar("log_shape"), pt.scalar("log_rate"), pt.scalar("log_hr")
        log_t = pt.vector("log_t")
        lp = log_rate + log_hr * trt + xb
        params = [log_shape, log_rate, log_hr, beta]
        data = [t_obs, log_t, trt, X, event, w]
        return params, data, [weibull_logp(t_obs, log_shape, lp, log_t, event, w), lp]

    def likelihood_parameters(self, draws: dict, beta: np.ndarray) -> list[np.ndarray]:
        """``[log_shape, log_rate, log_hr, beta]`` per draw."""
        return [draws["log_shape"], draws["log_rate"], draws["log_hr"], beta]

    def likelihood_data(self, values: dict, data: SurvivalData, X: np.ndarray) -> list:
        """``[t_obs, log_t, trt, X, event, w]``."""
        return [values["t_obs"], values["log_t"], data.treated, X, data.event, data.weights]

    def predictive_times(self, draws: dict, linear: np.ndarray, data: SurvivalData,
                         cuts: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        """``T = (E exp(-lp))^(1/k)`` in chunks of draws, filled in order (one random stream)."""
        from bayeshcc.bayes.likelihood import weibull_random

        out = np.empty_like(linear)
        log_shape = draws["log_shape"][:, None]
        step = max(1, 2_000_000 // linear.shape[1])
        for i in range(0, linear.shape[0], step):
            out[i:i + step] = weibull_random(log_shape[i:i + step], linear[i:i + step], rng=rng)
        return out

    # --- prior predictive and SBC ---------------------------------------------------------

    def sample_prior(self, rate_centre: float, n_intervals: int, draws: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``shape`` and ``log_rate`` from their priors."""
        out = {"shape": np.exp(rng.normal(0.0, LOG_SHAPE_SD, draws))}
        out["log_rate"] = rng.normal(rate_centre, BASELINE_SD, draws)
        return out

    def median_survival(self, draws: dict, arm: float,
                        cuts: np.ndarray | None = None) -> np.ndarray:
        """``(log 2 / exp(log_rate + arm log_hr))^(1/k)`` per draw."""
        lp = draws["log_rate"] + arm * draws["log_hr"]
        return np.exp((np.log(LOG2) - lp) / draws["shape"])

    def simulate(self, rng: np.random.Generator, baseline: tuple[float, float],
                 target: np.ndarray, log_hr: float, trt: np.ndarray, xb: np.ndarray,
                 cuts: np.ndarray | None) -> tuple[dict[str, float], np.ndarray]:
        """``log_shape``, ``log_rate`` from the prior, and ``T = (target e^{-lp})^(1/k)``."""
        log_shape = rng.normal(0.0, LOG_SHAPE_SD)
        log_rate = rng.normal(*baseline)
        t = (target * np.exp(-(log_rate + log_hr * trt + xb))) ** (1 / np.exp(log_shape))
        return {"log_shape": log_shape, "log_rate": log_rate}, t

    # --- the curve prior ------------------------------------------------------------------

    def external_values(self, t: np.ndarray, data: SurvivalData, cuts: np.ndarray | None,
                        reference_events: np.ndarray) -> tuple[dict, np.ndarray]:
        """``log_t_ext``; the reference-arm events, once for each of the two parameters."""
        return {"log_t_ext": np.log(t)}, np.full(2, reference_events.sum())

    def build_curve_baseline(self, d: dict, log_hr, xb, deviation: Callable[[int], Any],
                             n_covariates: int, n_intervals: int) -> None:
        """``log_shape_ext``, ``log_rate_ext``; ``log_rate``, ``log_shape`` (the external ones
        plus the deviation), ``shape``; ``time`` and ``time_external``."""
        import pymc as pm
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import weibull_logp, weibull_random

        log_shape_ext = pm.Normal("log_shape_ext", 0.0, LOG_SHAPE_SD)
        log_rate_ext = pm.Normal("log_rate_ext", d["rate_center_ext"], BASELINE_SD)
        delta = deviation(2)
        log_rate = pm.Deterministic("log_rate", log_rate_ext + delta[0])
        log_shape = pm.Deterministic("log_shape", log_shape_ext + delta[1])
        pm.Deterministic("shape", pt.exp(log_shape))
        lp = log_rate + log_hr * d["trt"] + xb
        pm.CustomDist("time", log_shape, lp, d["log_t"], d["event"], d["w"],
                      logp=weibull_logp, random=weibull_random,
                      signature="(),(n),(n),(n),(n)->(n)", observed=d["t_obs"])
        lp_ext = log_rate_ext + pt.zeros_like(d["t_ext"])
        pm.CustomDist("time_external", log_shape_ext, lp_ext, d["log_t_ext"],
                      d["event_ext"], d["w_ext"], logp=weibull_logp, random=weibull_random,
                      signature="(),(n),(n),(n),(n)->(n)", observed=d["t_ext"])

    def curve_start_values(self) -> dict[str, Any]:
        """``log_rate_ext = 0``."""
        return {"log_rate_ext": 0.0}

    # --- the sandwich calibration -------------------------------------------------------

    def baseline_draws(self, baseline: np.ndarray) -> dict[str, np.ndarray]:
        """``log_rate``, ``log_shape`` and ``shape`` (= k) from (..., 2) values."""
        return {"log_rate": baseline[..., 0], "log_shape": baseline[..., 1],
                "shape": np.exp(baseline[..., 1])}

    def known_normal_prior(self, baseline_prior: tuple[float, float]) -> list[tuple[str, float,
                                                                                      float]]:
        """``log_rate ~ N(baseline_prior)`` and ``log_shape ~ N(0, 0.5^2)``."""
        return [("log_rate", float(baseline_prior[0]), float(baseline_prior[1])),
                ("log_shape", 0.0, LOG_SHAPE_SD)]

    def symbolic_parameters(self, theta, n_intervals: int) -> list:
        """``[log_shape, log_rate, log_hr, beta] = [theta[1], theta[0], theta[2], theta[3:]]``."""
        return [theta[1], theta[0], theta[2], theta[3:]]

    def scores_and_hessian(self, theta, t, event, treated, X, cuts=None,
                           weights=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-patient scores and the weighted negative Hessian
        (:class:`~bayeshcc.bayes.families.base.AnalyticDerivatives`), ``theta = (log_rate,
        log_shape, log_hr, beta)``.

        With :math:`\\eta = \\text{log\\_rate} + \\text{log\\_hr}\\, t + x^\\top\\beta`,
        :math:`k = e^{\\text{log\\_shape}}`, :math:`\\Lambda = e^\\eta t^k` and
        :math:`u = k \\log t`: :math:`\\ell = d(\\log k + (k-1)\\log t + \\eta) - \\Lambda`, so
        :math:`\\partial\\ell/\\partial\\eta = d - \\Lambda`,
        :math:`\\partial\\ell/\\partial\\log k = d(1 + u) - \\Lambda u`,
        :math:`\\partial^2\\ell/\\partial\\eta^2 = -\\Lambda`,
        :math:`\\partial^2\\ell/\\partial\\eta\\,\\partial\\log k = -\\Lambda u`,
        :math:`\\partial^2\\ell/\\partial(\\log k)^2 = d u - \\Lambda u (1 + u)`.
        """
        theta = np.asarray(theta, dtype=float)
        t, d, trt = (np.asarray(a, dtype=float) for a in (t, event, treated))
        X = np.asarray(X, dtype=float).reshape(t.size, -1)
        w = np.ones(t.size) if weights is None else np.asarray(weights, dtype=float)
        par = {"log_rate": theta[0], "log_shape": theta[1], "log_hr": theta[2], "beta": theta[3:]}
        z = np.column_stack([np.ones(t.size), trt, X])            # rate, log_hr, beta
        shape = np.exp(par["log_shape"])
        lam = np.exp(par["log_rate"] + par["log_hr"] * trt + X @ par["beta"] + shape * np.log(t))
        u = shape * np.log(t)
        s_eta = d - lam
        s_shape = d * (1 + u) - lam * u
        scores = np.column_stack([s_eta, s_shape, s_eta * trt, s_eta[:, None] * X])
        # second derivatives in (eta-coefficients, log_shape) blocks
        a = np.column_stack([z[:, :1], np.zeros((t.size, 1)), z[:, 1:]])   # d eta / d theta
        b = np.zeros_like(a)
        b[:, 1] = 1.0                                                          # d log k / d theta
        neg_h = ((a * (w * lam)[:, None]).T @ a
                 + (a * (w * lam * u)[:, None]).T @ b + (b * (w * lam * u)[:, None]).T @ a
                 + (b * (w * (lam * u * (1 + u) - d * u))[:, None]).T @ b)
        return scores, neg_h

    def batched_sums(self, thetas, W, t, event, treated, X,
                     cuts=None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted score sums and negative Hessians at B parameter vectors
        (:class:`~bayeshcc.bayes.families.base.AnalyticDerivatives`).

        :math:`u_{bn} = k_b \\log t_n` factorises, so every sum over patients is a product of
        :math:`W \\Lambda` or :math:`W d` (B x N) with columns of N values: one matrix product
        each (the formulas of :meth:`scores_and_hessian`).
        """
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        t, d, trt = (np.asarray(a, dtype=float) for a in (t, event, treated))
        X = np.asarray(X, dtype=float).reshape(t.size, -1)
        n = t.size
        shape = np.exp(thetas[:, 1])                                  # k, per row
        log_t = np.log(t)
        a = np.column_stack([np.ones(n), np.zeros(n), trt, X])     # d eta / d theta
        p = a.shape[1]
        upper, lower = np.triu_indices(p)
        lam = thetas @ a.T                                            # eta (column 1 of a is 0)
        lam += shape[:, None] * log_t
        w_lam = W * np.exp(lam, out=lam)                              # W Lambda
        sums = w_lam @ np.column_stack([a, log_t[:, None] * a, log_t ** 2,
                                        a[:, upper] * a[:, lower]])
        lam_a, lam_log_a, lam_log2 = sums[:, :p], sums[:, p:2 * p], sums[:, 2 * p]
        d_a = (W * d) @ np.column_stack([a, log_t])                   # sum W d a, sum W d log t
        grad = d_a[:, :p] - lam_a
        # d l / d log k = d (1 + u) - Lambda u
        grad[:, 1] = d_a[:, 0] + shape * (d_a[:, p] - lam_log_a[:, 0])
        neg = symmetric(sums[:, 2 * p + 1:], p)                       # sum W Lambda a a'
        cross = shape[:, None] * lam_log_a                            # sum W Lambda u a
        neg[:, :, 1] += cross
        neg[:, 1, :] += cross
        neg[:, 1, 1] += shape * lam_log_a[:, 0] + shape ** 2 * lam_log2 - shape * d_a[:, p]
        return grad, neg


WEIBULL = WeibullFamily()
