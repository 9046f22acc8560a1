"""The piecewise-exponential family: a constant hazard on each interval between cut points.

Log baseline hazard ``alpha_j`` per interval, a Gaussian random walk
``alpha_j - alpha_{j-1} ~ N(0, sigma)`` with ``alpha_1 ~ N(log(events / exposure), 2)`` and
``sigma^2 ~ InvGamma(2, 0.18)`` (median sigma 0.33, as the former ``HalfNormal(0.5)``, but no
prior mass at sigma = 0). The sampled parameters are the levels ``alpha`` themselves, with sigma
integrated out: the J - 1 increments are jointly multivariate Student-t, 4 degrees of freedom,
scale 0.3 (:func:`walk_logp`). ``sigma`` is then drawn after sampling from its exact conditional
posterior ``sigma^2 | alpha ~ InvGamma(2 + (J-1)/2, 0.18 + |diff(alpha)|^2 / 2)``
(:func:`walk_sd_draws`), so the posterior still reports the joint (alpha, sigma).

Why: with sigma a sampled parameter the walk has a funnel at small sigma (non-centred
``sigma * z_j``) or, in the increments' coordinates, a cumulative-sum correlation that a
diagonal mass matrix cannot undo; NUTS then needed ``target_accept = 0.99`` and 25-40 leapfrog
steps per draw on the bundled cohort against the Weibull's 6.4. The levels with sigma
integrated out have neither problem: about 7 steps per draw at ``target_accept = 0.9``, no
divergences, and with nutpie's low-rank mass matrix (which picks up the log HR's correlation
with the levels) about the Weibull's ESS/s of the log HR (``python -m
benchmarks.piecewise_variants``; the measurements are in the benchmark pages of the docs).
Independent ``alpha_j ~ N(centre, 2)`` sampled as well, but is no smoothing prior.

With ``time_varying=True`` the log HR is itself a random walk across intervals,
``beta_j = beta_{j-1} + tau * u_j``, ``tau ~ HalfNormal(0.25)`` (non-centred).

With a curve prior (:mod:`bayeshcc.bayes.commensurate`) the external arm's levels
``alpha_ext`` on the cohort's cut points are a non-centred random walk
(``alpha_ext_first ~ N(log(events / exposure), 2)``, ``sigma_ext ~ HalfNormal(0.5)``: the
cohort model's walk before its SD was integrated out), which has a funnel at small
``sigma_ext``: those fits keep target acceptance 0.99.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.special import gammaln

from bayeshcc.bayes.data import SurvivalData, exposure_matrix, quantile_cutpoints
from bayeshcc.bayes.families.base import BASELINE_SD
from bayeshcc.bayes.families.derivatives import weighted_outer

WALK_SHAPE = 2.0        # random-walk variance sigma^2 ~ InvGamma(2, 0.18)
WALK_SCALE = 0.18
TAU_SCALE = 0.25        # time-varying log HR random-walk SD ~ HalfNormal(0.25)
EXTERNAL_SIGMA_SCALE = 0.5  # a curve prior's external walk: sigma_ext ~ HalfNormal(0.5)
LOG2 = float(np.log(2.0))


def walk_logp(value, mean, spread):
    """Log prior density of the piecewise levels ``alpha`` (last axis J): ``alpha_1 ~ N(mean_1,
    spread)`` and the increments multivariate t (``2 WALK_SHAPE`` degrees of freedom, scale
    ``sqrt(WALK_SCALE / WALK_SHAPE)``), the random walk with ``sigma^2 ~ InvGamma(WALK_SHAPE,
    WALK_SCALE)`` integrated out. ``mean`` (J) is every level's prior mean, the baseline centre
    repeated (its J entries fix the number of levels)."""
    import pytensor.tensor as pt

    steps = value[..., 1:] - value[..., :-1]
    spread = pt.cast(spread, "float64")  # a Python float would become a float32 constant
    nu, scale2 = 2 * WALK_SHAPE, WALK_SCALE / WALK_SHAPE
    levels = value.type.shape[-1]  # static in the models: the constant is then exact
    p = value.shape[-1] - 1 if levels is None else levels - 1
    lgamma = pt.gammaln if levels is None else gammaln
    log_first = (-0.5 * ((value[..., 0] - mean[..., 0]) / spread) ** 2 - pt.log(spread)
                 - 0.5 * np.log(2 * np.pi))
    constant = (lgamma((nu + p) / 2) - gammaln(nu / 2)
                - p / 2 * np.log(nu * np.pi * scale2))
    return (log_first + constant
            - (nu + p) / 2 * pt.log1p(pt.sum(steps ** 2, axis=-1) / (nu * scale2)))


def walk_random(mean, spread, rng=None, size=None):
    """Draws of the levels ``alpha`` from their prior (sigma drawn, then the walk); ``mean``
    (..., J) as in :func:`walk_logp`, ``size`` the batch shape."""
    rng = rng if rng is not None else np.random.default_rng()
    mean, spread = np.asarray(mean, dtype=float), np.asarray(spread, dtype=float)
    shape = np.broadcast_shapes(mean.shape[:-1], spread.shape) if size is None else tuple(
        np.atleast_1d(size))
    j = mean.shape[-1]
    sigma = np.sqrt(WALK_SCALE / rng.gamma(WALK_SHAPE, 1.0, shape))
    steps = sigma[..., None] * rng.normal(size=shape + (j - 1,))
    first = rng.normal(mean[..., 0], spread, shape)
    return first[..., None] + np.concatenate([np.zeros(shape + (1,)), np.cumsum(steps, axis=-1)],
                                             axis=-1)


def walk_sd_draws(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """sigma drawn from its conditional posterior given the levels ``alpha`` (last axis J):
    ``sigma^2 | alpha ~ InvGamma(WALK_SHAPE + (J-1)/2, WALK_SCALE + |diff(alpha)|^2 / 2)``
    (the data enter only through alpha), so (alpha, sigma) are draws of the joint posterior."""
    steps = np.diff(alpha, axis=-1)
    shape = WALK_SHAPE + steps.shape[-1] / 2
    rate = WALK_SCALE + 0.5 * np.sum(steps ** 2, axis=-1)
    return np.sqrt(rate / rng.gamma(shape, 1.0, rate.shape))


def interval_log_hr(draws: dict, n_intervals: int) -> np.ndarray:
    """The log HR of each interval per draw (draws x J): ``log_hr_interval`` of a time-varying
    fit, else ``log_hr`` repeated."""
    if "log_hr_interval" in draws:
        return draws["log_hr_interval"]
    return np.repeat(draws["log_hr"][:, None], n_intervals, axis=1)


class PiecewiseFamily:
    """The piecewise-exponential baseline (module docstring); an implementation of
    :class:`~bayeshcc.bayes.families.base.Family`."""

    name = "piecewise"
    title = "piecewise exponential"
    baseline_variables = ("alpha",)
    # The baseline walk has no funnel (sigma integrated out), so it samples at the Weibull's
    # target. nutpie's low-rank mass matrix captures the correlation of the log HR with the
    # levels alpha, which the diagonal one cannot (``python -m benchmarks.piecewise_variants``;
    # bulk ESS of the log HR per gradient evaluation, as a fraction of the Weibull's: N = 126
    # weighted, 10 intervals 1.83 vs 0.26; bundled cohort 1.44-1.49 vs 0.62-0.72; N = 2 000,
    # 10 intervals, 8 covariates 1.97 vs 0.65).
    target_accept = 0.9
    adaptation = "low_rank"
    curve_target_accept = 0.99
    diagnostic_variables = ("sigma", "alpha_first")
    time_varying = True
    patient_data = frozenset({"exposure", "interval", "exposure_ext", "interval_ext"})
    # sigma is drawn from its conditional posterior given alpha (walk_sd_draws): it would not
    # match the calibrated alpha
    calibration_drops = ("sigma",)
    calibrated = True       # docs/validation.md

    def __repr__(self) -> str:
        return "PiecewiseFamily()"

    # --- structure and data -------------------------------------------------------------

    def baseline_parameter_names(self, n_intervals: int) -> list[str]:
        """``alpha[0]``, ..., ``alpha[J-1]``."""
        return [f"alpha[{i}]" for i in range(n_intervals)]

    def cutpoints(self, cutpoints, data: SurvivalData, intervals: int) -> np.ndarray:
        """``cutpoints`` when given, else :func:`~bayeshcc.bayes.data.quantile_cutpoints` of
        ``data``'s event times for ``intervals`` intervals."""
        if cutpoints is not None and len(cutpoints):
            return np.asarray(cutpoints, dtype=float)
        return quantile_cutpoints(data.time, data.event, intervals)

    def data_values(self, data: SurvivalData, cuts: np.ndarray | None) -> dict[str, Any]:
        """``exposure`` (N x J time at risk per interval), ``interval`` (N x J one-hot) and
        ``edges`` (the scaled cut points)."""
        edges = np.asarray(cuts, dtype=float) / data.time_scale
        exposure, onehot = exposure_matrix(data.scaled_time, edges)
        return {"exposure": exposure, "interval": onehot, "edges": edges}

    # --- the PyMC graph -------------------------------------------------------------------

    def build_baseline(self, d: dict, log_hr, xb, n_covariates: int, n_intervals: int,
                       time_varying: bool) -> None:
        """The levels ``alpha`` with the random-walk prior of :func:`walk_logp` (sigma
        integrated out), ``alpha_first`` (``alpha[0]``, kept under its name), with
        ``time_varying`` ``tau``, ``log_hr_steps`` and ``log_hr_interval``, and the observed
        ``time``."""
        import pymc as pm
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import make_piecewise_logp, piecewise_random

        level_mean = pt.fill(pt.zeros(n_intervals), d["rate_center"])
        alpha = pm.CustomDist("alpha", level_mean, d["rate_sd"], logp=walk_logp,
                              random=walk_random, signature="(j),()->(j)")
        pm.Deterministic("alpha_first", alpha[0])
        if time_varying:
            tau = pm.HalfNormal("tau", TAU_SCALE)
            moves = pm.Normal("log_hr_steps", 0.0, 1.0, shape=n_intervals - 1)
            log_hr_j = pm.Deterministic("log_hr_interval", log_hr + pt.concatenate(
                [pt.zeros(1), pt.cumsum(tau * moves)]))
        else:
            log_hr_j = pt.stack([log_hr])
        if not n_covariates:
            xb = pt.zeros_like(d["trt"])
        pm.CustomDist("time", alpha, log_hr_j, d["trt"], xb, d["exposure"], d["interval"],
                      d["edges"], d["event"], d["w"],
                      logp=make_piecewise_logp(time_varying), random=piecewise_random,
                      signature="(j),(h),(n),(n),(n,j),(n,j),(c),(n),(n)->(n)",
                      observed=d["t_obs"])

    def start_values(self, n_intervals: int) -> dict[str, Any]:
        """``alpha = 0``."""
        return {"alpha": np.zeros(n_intervals)}

    def complete_posterior(self, tree, seed: int):
        """The posterior with ``sigma``, the random walk's SD, drawn from its conditional
        posterior given each draw of ``alpha`` (:func:`walk_sd_draws`)."""
        import xarray as xr

        posterior = tree["posterior"].to_dataset()
        alpha = posterior["alpha"]
        rng = np.random.default_rng([int(seed), 17])
        posterior["sigma"] = (alpha.dims[:2], walk_sd_draws(alpha.values, rng))
        tree["posterior"] = xr.DataTree(posterior)
        return tree

    def describe(self, cuts: np.ndarray | None) -> dict[str, Any]:
        """Nothing: the posterior's attributes are the fit's."""
        return {}

    # --- NumPy hazards (contrasts) --------------------------------------------------------

    def cumulative_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                          cuts: np.ndarray | None = None) -> np.ndarray:
        """``sum_j exp(alpha_j + log_hr_j trt) exposure_j(t) exp(xb)`` per draw (draws x N)."""
        alpha = draws["alpha"]                                     # draws x J
        beta = interval_log_hr(draws, alpha.shape[1])
        edges = np.concatenate([[0.0], cuts, [np.inf]])
        exposure = np.clip(np.minimum(np.asarray(t)[..., None], edges[1:]) - edges[:-1], 0, None)
        trt = np.broadcast_to(trt, np.broadcast_shapes(np.shape(trt), np.shape(t)))[:, None]
        exposure = np.broadcast_to(exposure, (trt.shape[0], alpha.shape[1]))
        # Two (draws x J) @ (J x N) products: no draws x N x J array of exponentials.
        base = np.exp(alpha) @ (exposure * (1 - trt)).T + np.exp(alpha + beta) @ (exposure * trt).T
        return base * np.exp(xb)

    def log_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                   cuts: np.ndarray | None = None) -> np.ndarray:
        """``alpha_j(t) + log_hr_j(t) trt + xb`` per draw (draws x N)."""
        alpha = draws["alpha"]
        beta = interval_log_hr(draws, alpha.shape[1])
        index = np.searchsorted(cuts, t, side="right")
        return alpha[:, index] + trt * beta[:, index] + xb

    # --- pointwise groups -----------------------------------------------------------------

    def likelihood_graph(self, inputs: dict, time_varying: bool) -> tuple[list, list, list]:
        """Parameters ``alpha, log_hr_j, beta``; data ``t_obs, trt, X, exposure, interval,
        edges, event, w``; outputs the log-likelihood and the covariates' part ``xb``."""
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import make_piecewise_logp

        beta, X, trt = inputs["beta"], inputs["X"], inputs["trt"]
        event, w, t_obs, xb = inputs["event"], inputs["w"], inputs["t_obs"], inputs["xb"]
        alpha, log_hr_j = pt.vector("alpha"), pt.vector("log_hr_j")
        exposure, interval, edges = pt.matrix("exposure"), pt.matrix("interval"), pt.vector("edges")
        logp = make_piecewise_logp(time_varying)
        params = [alpha, log_hr_j, beta]
        data = [t_obs, trt, X, exposure, interval, edges, event, w]
        return params, data, [logp(t_obs, alpha, log_hr_j, trt, xb, exposure, interval, edges,
                                   event, w), xb]

    def likelihood_parameters(self, draws: dict, beta: np.ndarray) -> list[np.ndarray]:
        """``[alpha, log_hr_j, beta]`` per draw (``log_hr_j``: :func:`interval_log_hr`)."""
        return [draws["alpha"], interval_log_hr(draws, draws["alpha"].shape[1]), beta]

    def likelihood_data(self, values: dict, data: SurvivalData, X: np.ndarray) -> list:
        """``[t_obs, trt, X, exposure, interval, edges, event, w]``."""
        return [values["t_obs"], data.treated, X, values["exposure"], values["interval"],
                values["edges"], data.event, data.weights]

    def predictive_times(self, draws: dict, linear: np.ndarray, data: SurvivalData,
                         cuts: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        """The piecewise generator in chunks of draws, filled in order (one random stream)."""
        from bayeshcc.bayes.likelihood import piecewise_random

        out = np.empty_like(linear)
        alpha = draws["alpha"]
        log_hr_j = interval_log_hr(draws, alpha.shape[1])
        edges = np.asarray(cuts, dtype=float) / data.time_scale
        step = max(1, 2_000_000 // (linear.shape[1] * alpha.shape[1]))
        for i in range(0, alpha.shape[0], step):
            out[i:i + step] = piecewise_random(alpha[i:i + step], log_hr_j[i:i + step],
                                               data.treated, linear[i:i + step],
                                               edges=edges, rng=rng)
        return out

    # --- prior predictive and SBC ---------------------------------------------------------

    def sample_prior(self, rate_centre: float, n_intervals: int, draws: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``alpha`` (draws x J) from the walk's prior (:func:`walk_random`)."""
        return {"alpha": walk_random(np.full(n_intervals, rate_centre), BASELINE_SD, rng, draws)}

    def median_survival(self, draws: dict, arm: float,
                        cuts: np.ndarray | None = None) -> np.ndarray:
        """The time where ``sum_j exp(alpha_j + arm log_hr) exposure_j(t)`` reaches log 2
        (exactly, interval by interval)."""
        rates = np.exp(draws["alpha"] + arm * draws["log_hr"][:, None])           # draws x J
        edges = np.concatenate([[0.0], np.asarray(cuts, dtype=float)])
        widths = np.diff(edges)
        at_edges = np.concatenate([np.zeros((rates.shape[0], 1)),
                                   np.cumsum(rates[:, :-1] * widths, axis=1)], axis=1)  # H(edge_j)
        j = np.sum(at_edges < LOG2, axis=1) - 1                                   # crossing interval
        rows = np.arange(rates.shape[0])
        return edges[j] + (LOG2 - at_edges[rows, j]) / rates[rows, j]

    def simulate(self, rng: np.random.Generator, baseline: tuple[float, float],
                 target: np.ndarray, log_hr: float, trt: np.ndarray, xb: np.ndarray,
                 cuts: np.ndarray | None) -> tuple[dict[str, float], np.ndarray]:
        """``sigma`` and the walk ``alpha`` from the prior (``alpha_first``, ``sigma``,
        ``alpha[j]`` for j > 0), and the times where each patient's piecewise-linear cumulative
        hazard reaches ``target``."""
        sigma = np.sqrt(WALK_SCALE / rng.gamma(WALK_SHAPE))
        steps = sigma * rng.normal(size=cuts.size)
        alpha = rng.normal(*baseline) + np.concatenate([[0.0], np.cumsum(steps)])
        truth = {"alpha_first": alpha[0], "sigma": sigma}
        truth.update({f"alpha[{j}]": a for j, a in enumerate(alpha) if j > 0})
        edges = np.concatenate([[0.0], cuts, [np.inf]])
        t = np.empty(trt.size)
        for i in range(trt.size):  # invert the piecewise-linear cumulative hazard
            rates = np.exp(alpha + log_hr * trt[i] + xb[i])
            cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges[:-1]))])
            j = np.searchsorted(cum, target[i], side="right") - 1
            t[i] = edges[j] + (target[i] - cum[j]) / rates[j]
        return truth, t

    # --- the curve prior ------------------------------------------------------------------

    def external_values(self, t: np.ndarray, data: SurvivalData, cuts: np.ndarray | None,
                        reference_events: np.ndarray) -> tuple[dict, np.ndarray]:
        """``exposure_ext``, ``interval_ext`` on the cohort's cut points; the cohort's weighted
        reference-arm events in each interval."""
        reference = data.treated == 0
        edges = np.asarray(cuts, dtype=float) / data.time_scale
        exposure, onehot = exposure_matrix(t, edges)
        events = reference_events @ exposure_matrix(data.scaled_time[reference], edges)[1]
        return {"exposure_ext": exposure, "interval_ext": onehot}, events

    def build_curve_baseline(self, d: dict, log_hr, xb, deviation: Callable[[int], Any],
                             n_covariates: int, n_intervals: int) -> None:
        """``alpha_ext_first``, ``sigma_ext``, ``alpha_ext_steps``, ``alpha_ext``; ``alpha``
        (the external levels plus the deviation); ``time`` and ``time_external``."""
        import pymc as pm
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import make_piecewise_logp, piecewise_random

        first = pm.Normal("alpha_ext_first", d["rate_center_ext"], BASELINE_SD)
        sigma = pm.HalfNormal("sigma_ext", EXTERNAL_SIGMA_SCALE)
        steps = sigma * pm.Normal("alpha_ext_steps", 0.0, 1.0, shape=n_intervals - 1)
        alpha_ext = pm.Deterministic("alpha_ext", first + pt.concatenate(
            [pt.zeros(1), pt.cumsum(steps)]))
        alpha = pm.Deterministic("alpha", alpha_ext + deviation(n_intervals))
        if not n_covariates:
            xb = pt.zeros_like(d["trt"])
        logp = make_piecewise_logp(False)
        pm.CustomDist("time", alpha, pt.stack([log_hr]), d["trt"], xb, d["exposure"],
                      d["interval"], d["edges"], d["event"], d["w"], logp=logp,
                      random=piecewise_random,
                      signature="(j),(h),(n),(n),(n,j),(n,j),(c),(n),(n)->(n)",
                      observed=d["t_obs"])
        zeros = pt.zeros_like(d["t_ext"])
        pm.CustomDist("time_external", alpha_ext, pt.zeros(1), zeros, zeros,
                      d["exposure_ext"], d["interval_ext"], d["edges"], d["event_ext"],
                      d["w_ext"], logp=logp, random=piecewise_random,
                      signature="(j),(h),(n),(n),(n,j),(n,j),(c),(n),(n)->(n)",
                      observed=d["t_ext"])

    def curve_start_values(self) -> dict[str, Any]:
        """``alpha_ext_first = 0``."""
        return {"alpha_ext_first": 0.0}

    # --- the sandwich calibration -------------------------------------------------------

    def baseline_draws(self, baseline: np.ndarray) -> dict[str, np.ndarray]:
        """``alpha`` (..., J) and ``alpha_first`` (its first level, under its name)."""
        return {"alpha": baseline, "alpha_first": baseline[..., 0]}

    def known_normal_prior(self, baseline_prior: tuple[float, float]) -> list[tuple[str, float,
                                                                                      float]]:
        """None: the levels' random walk is not a fixed normal prior (the calibration reads its
        precision from the draws)."""
        return []

    def symbolic_parameters(self, theta, n_intervals: int) -> list:
        """``[alpha, log_hr_j, beta] = [theta[:J], theta[J:J + 1], theta[J + 1:]]`` (the graph
        of a constant log HR reads ``log_hr_j[0]``)."""
        j = n_intervals
        return [theta[:j], theta[j:j + 1], theta[j + 1:]]

    def scores_and_hessian(self, theta, t, event, treated, X, cuts=None,
                           weights=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-patient scores and the weighted negative Hessian
        (:class:`~bayeshcc.bayes.families.base.AnalyticDerivatives`), ``theta = (alpha_1..J,
        log_hr, beta)``.

        With :math:`c_j = e^{\\alpha_j + \\text{log\\_hr}\\, t + x^\\top\\beta} E_j`
        (E_j the time at risk in interval j) and :math:`H = \\sum_j c_j`:
        :math:`\\partial\\ell/\\partial\\alpha_j = d\\,1[j(i) = j] - c_j`,
        :math:`\\partial\\ell/\\partial z = z (d - H)` for :math:`z = (t, x)`,
        :math:`\\partial^2\\ell/\\partial\\alpha_j\\partial\\alpha_l = -c_j \\delta_{jl}`,
        :math:`\\partial^2\\ell/\\partial\\alpha_j\\partial z = -c_j z`,
        :math:`\\partial^2\\ell/\\partial z\\partial z^\\top = -H z z^\\top`.
        """
        theta = np.asarray(theta, dtype=float)
        t, d, trt = (np.asarray(a, dtype=float) for a in (t, event, treated))
        X = np.asarray(X, dtype=float).reshape(t.size, -1)
        w = np.ones(t.size) if weights is None else np.asarray(weights, dtype=float)
        cuts = np.asarray(cuts, dtype=float)
        j = cuts.size + 1
        par = {"alpha": theta[:j], "log_hr": theta[j], "beta": theta[j + 1:]}
        exposure, onehot = exposure_matrix(t, cuts)
        z = np.column_stack([trt, X])
        c = exposure * np.exp(par["alpha"])[None, :] * np.exp(z @ np.concatenate(
            [[par["log_hr"]], par["beta"]]))[:, None]
        cum = c.sum(axis=1)
        scores = np.column_stack([d[:, None] * onehot - c, z * (d - cum)[:, None]])
        p = j + z.shape[1]
        neg_h = np.zeros((p, p))
        neg_h[:j, :j] = np.diag(w @ c)
        cross = (c * w[:, None]).T @ z
        neg_h[:j, j:] = cross
        neg_h[j:, :j] = cross.T
        neg_h[j:, j:] = (z * (w * cum)[:, None]).T @ z
        return scores, neg_h

    def batched_sums(self, thetas, W, t, event, treated, X,
                     cuts=None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted score sums and negative Hessians at B parameter vectors
        (:class:`~bayeshcc.bayes.families.base.AnalyticDerivatives`).

        :math:`c_{bnj} = a_{bj} E_{nj} r_{bn}` factorises (:math:`a = e^\\alpha`,
        :math:`r = e^{z^\\top (\\text{log\\_hr}, \\beta)}`), so every sum over patients is a
        matrix product with E (or E z): no B x N x J arrays (the formulas of
        :meth:`scores_and_hessian`).
        """
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        t, d, trt = (np.asarray(a, dtype=float) for a in (t, event, treated))
        X = np.asarray(X, dtype=float).reshape(t.size, -1)
        n = t.size
        cuts = np.asarray(cuts, dtype=float)
        j = cuts.size + 1
        exposure, onehot = exposure_matrix(t, cuts)
        z = np.column_stack([trt, X])
        m = z.shape[1]
        a = np.exp(thetas[:, :j])                                         # B x J
        r = np.exp(thetas[:, j:] @ z.T)                                   # B x N
        cum = r * (a @ exposure.T)                                        # H_i = sum_j c_bnj
        wr = W * r
        interval_sums = a * (wr @ exposure)                               # sum_n W c_bnj: B x J
        grad = np.concatenate([W @ (d[:, None] * onehot) - interval_sums, (W * (d - cum)) @ z],
                              axis=1)
        p = j + m
        neg = np.zeros((thetas.shape[0], p, p))
        idx = np.arange(j)
        neg[:, idx, idx] = interval_sums
        ez = (exposure[:, :, None] * z[:, None, :]).reshape(n, j * m)     # E_nj z_n: N x Jm
        block = a[:, :, None] * (wr @ ez).reshape(-1, j, m)               # sum_n W c_bnj z_n
        neg[:, :j, j:] = block
        neg[:, j:, :j] = block.transpose(0, 2, 1)
        neg[:, j:, j:] = weighted_outer(W * cum, z)
        return grad, neg


PIECEWISE = PiecewiseFamily()
