"""The M-spline proportional-hazards family: a smooth, flexible baseline hazard.

.. math::

    h_0(t) = e^{\\text{log\\_rate}} \\sum_k c_k M_k(t), \\qquad
    H_0(t) = e^{\\text{log\\_rate}} \\sum_k c_k I_k(t), \\qquad
    c = B \\cdot \\mathrm{softmax}(\\log w + b),

as ``rstanarm::stan_surv`` (Brilleman et al. 2020, arXiv:2002.09633) and ``survextrap``
(Jackson 2023, BMC Medical Research Methodology 23:282) use by default. ``M_k`` are the cubic
M-splines of the knots (each a B-spline scaled to integrate to 1 over the boundary interval),
``I_k`` their integrals from 0 (I-splines, ``I_k(B) = 1``), as R's ``splines2::mSpline`` and
``iSpline`` with ``intercept = TRUE``.

**Basis.** Both are built from :class:`scipy.interpolate.BSpline` (the B-spline basis of the
clamped knot vector as one vector-valued spline, divided by ``(t_{k+4} - t_k) / 4``; the
I-splines are its :meth:`~scipy.interpolate.BSpline.antiderivative`), not hand-derived
recursions; ``tests/bayes/test_mspline.py`` checks them against ``splines2`` (fixture
written by ``tests/reference/mspline_reference.R``).

**Knots.** The boundary knots are 0 and ``B``, the largest observed time; the interior knots
are equally spaced quantiles of the event times, ``df - 4`` of them for ``df`` basis functions
(``rstanarm``'s ``get_iknots``: the cubic basis with its intercept counts 4 + interior knots).
The default ``df = 6`` is ``stan_surv``'s: 2 interior knots, at the tertiles of the event
times. A fit's ``intervals`` is ``df`` (:meth:`MSplineFamily.cutpoints`); given ``cutpoints``
are the interior knots followed by the boundary knot (the last cut point is where the hazard
becomes constant, as for the piecewise family). The family's ``cuts`` (in the data's unit) are
the interior knots and then ``B``; its ``n_intervals`` is ``len(cuts) + 1`` (the intervals
the knots make, the constant tail included) and it has ``n_intervals + 2`` basis functions.

**Beyond the boundary knot the hazard is held constant at its value at B**:
``h_0(t) = h_0(B)``, ``H_0(t) = H_0(B) + h_0(B) (t - B)`` for ``t > B``. Survival curves,
RMST or predictive draws past the largest observed time are that extrapolation, not a
property of the data; the fit's posterior records the knots and this rule in its attributes
(:meth:`MSplineFamily.describe`).

**Parameters and priors.** ``log_rate`` is the log of the mean baseline hazard over [0, B]
(``H_0(B) / B``), so it has the other families' prior ``N(log(events / exposure), 2)``
(:data:`~bayeshcc.bayes.families.base.BASELINE_SD`) and the Weibull's meaning for a constant
hazard. (With the coefficients written ``gamma = exp(log_scale) * simplex``,
``log_scale = log_rate + log B``.) The simplex of the coefficients is
``softmax(log w + b)``, ``w_k = (t_{k+4} - t_k) / 4`` (these coefficients, ``b = 0``, make the
hazard constant on [0, B]: the B-splines sum to 1), with ``b_0 = 0`` and the log-odds
``b_1, ..., b_{K-1}`` (``log_odds``) a random walk across the basis functions:
``b_k - b_{k-1} ~ N(0, sigma)``, ``sigma^2 ~ InvGamma(2, 0.18)``, with sigma integrated out
exactly as the piecewise family's walk (the K - 1 increments jointly multivariate t, 4 degrees
of freedom, scale 0.3; ``sigma`` is drawn after sampling from its conditional posterior).

Why this prior and not ``stan_surv``'s Dirichlet: (1) it is centred on a constant hazard (the
exponential model with the crude rate), as ``survextrap``'s prior on the same log-odds is
(``mspline_constant_coefs``), whereas a Dirichlet(1, ..., 1) puts its mean at equal
coefficients, a hazard that bends wherever the knots are dense; (2) the random walk shrinks
neighbouring coefficients towards each other, i.e. towards a smooth hazard (``survextrap``'s
``smooth_model = "random_walk"``), where the Dirichlet has no notion of neighbours; (3) with
the walk's SD integrated out there is no funnel (see :mod:`bayeshcc.bayes.families.piecewise`)
and the parameters are unconstrained (a Dirichlet needs the stick-breaking transform). The
softmax only sees differences of ``b``, so fixing ``b_0 = 0`` costs nothing.

**Time-varying effect.** With ``time_varying=True`` the log HR is interval-wise on the
intervals the knots make, ``[0, k_1), ..., [k_last, B), [B, inf)``, a random walk across them
as the piecewise family's (``log_hr_interval = log_hr + cumsum(tau u_j)``, ``tau ~
HalfNormal(0.25)``): the treated arm's cumulative hazard is
``sum_j exp(beta_j) (H_0(min(t, e_{j+1})) - H_0(e_j))_+``. The intervals' parts of ``H_0`` come
from the I-splines at each patient's time and at the interval starts (``interval``,
``edge_integrals``), no N x J x K array. No curve prior builds on this family.

**Calibration.** Weighted and matched PH fits are sandwich-calibrated
(:mod:`bayeshcc.bayes.calibration`) with the log-odds' random walk as the calibration's
penalty (:meth:`MSplineFamily.calibration_penalty`, "Penalised families" there): the
likelihood alone has no maximum when a basis function covers few events (on the bundled
cohort's ATE population one log-odds ran to -25.9 and the jackknife's refits diverged), so the
sandwich is evaluated at the penalised estimate and the calibrated precision is the walk's
curvature plus the robust information ``H J^-1 H``. Its 95 % HR intervals cover the marginal
log HR as the calibrated Weibull's do on the same simulated cohorts (``python -m
benchmarks.mspline_calibration``, ``docs/validation.md``). The time-varying model is not
calibrated (as the piecewise family's).

Hand-written here: the inversion of ``H_0`` for the event-time generator (a monotone piecewise
quartic: interpolation on a grid, then safeguarded Newton steps on the exact quartic of the
knot span, vectorised over draws and patients; scipy's ``PPoly.solve`` finds the roots of one
spline at a time, and ``PPoly.from_spline`` takes one scalar spline at a time).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.interpolate import BSpline
from scipy.special import gammaln, logsumexp

from bayeshcc.bayes.data import SurvivalData, exposure_matrix, quantile_cutpoints
from bayeshcc.bayes.families.base import BASELINE_SD
from bayeshcc.bayes.families.piecewise import TAU_SCALE, WALK_SCALE, WALK_SHAPE, walk_sd_draws
from bayeshcc.errors import AnalysisError

DEGREE = 3              # cubic M-splines
DEFAULT_DF = 6          # rstanarm::stan_surv's default number of basis functions
LOG2 = float(np.log(2.0))
_GRID = 1025           # points on [0, B] where H_0 is tabulated before Newton's steps
_NEWTON = 3            # from linear interpolation on the fine grid: to rounding in 2
_CHUNK = 200_000        # points per Newton block in the generator


# --- the basis -------------------------------------------------------------------------------

def knot_vector(cuts: np.ndarray) -> np.ndarray:
    """The clamped knot vector of ``cuts`` (interior knots, then the boundary knot ``B``):
    0 and ``B`` repeated ``DEGREE + 1`` times around the interior knots."""
    cuts = np.asarray(cuts, dtype=float)
    return np.concatenate([np.zeros(DEGREE + 1), cuts[:-1], np.full(DEGREE + 1, cuts[-1])])


def constant_weights(cuts: np.ndarray) -> np.ndarray:
    """``w_k = (t_{k+4} - t_k) / 4``: the coefficients whose M-spline is 1 on [0, B] (they sum
    to ``B``), i.e. each M-spline's B-spline scale."""
    t = knot_vector(cuts)
    k = t.size - DEGREE - 1
    return (t[DEGREE + 1:] - t[:k]) / (DEGREE + 1)


def _splines(cuts: np.ndarray) -> tuple[BSpline, BSpline]:
    """The M-splines and the I-splines of ``cuts`` as two vector-valued scipy splines."""
    t = knot_vector(cuts)
    m = BSpline(t, np.diag(1.0 / constant_weights(cuts)), DEGREE, extrapolate=False)
    return m, m.antiderivative()


def basis(t: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M-splines and I-splines at times ``t`` (each ``t.shape + (K,)``), held constant beyond
    the boundary knot ``B = cuts[-1]``: ``M(t) = M(B)``, ``I(t) = I(B) + M(B) (t - B)``.

    Parameters
    ----------
    t : array_like
        Times >= 0, in the unit of ``cuts``.
    cuts : array_like
        The interior knots followed by the boundary knot.
    """
    t = np.asarray(t, dtype=float)
    boundary = float(np.asarray(cuts)[-1])
    m, i = _splines(cuts)
    inside = np.clip(t, 0.0, boundary)
    M = np.nan_to_num(m(inside))
    I = np.nan_to_num(i(inside))
    beyond = np.clip(t - boundary, 0.0, None)[..., None]
    if np.any(beyond > 0):
        M_b = np.nan_to_num(m(np.array([boundary])))[0]
        I = I + beyond * M_b
    return M, I


def coefficients(log_odds: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``c = B softmax(log w + (0, log_odds))`` (..., K) per draw: the spline coefficients of
    the baseline hazard divided by ``exp(log_rate)`` (NumPy)."""
    log_w = np.log(constant_weights(cuts))
    b = np.asarray(log_odds, dtype=float)
    u = log_w + np.concatenate([np.zeros(b.shape[:-1] + (1,)), b], axis=-1)
    return float(np.asarray(cuts)[-1]) * np.exp(u - logsumexp(u, axis=-1, keepdims=True))


def _coefficients_graph(log_odds, widths):
    """:func:`coefficients` in PyTensor, from the constant-hazard weights ``widths`` (K)."""
    import pytensor.tensor as pt

    u = pt.log(widths) + pt.concatenate([pt.zeros(1), log_odds])
    return pt.sum(widths) * pt.special.softmax(u)


# --- the smoothing prior ---------------------------------------------------------------------

def walk_logp(value):
    """Log prior density of ``log_odds`` (last axis K - 1): the increments from ``b_0 = 0``
    jointly multivariate t (``2 WALK_SHAPE`` degrees of freedom, scale
    ``sqrt(WALK_SCALE / WALK_SHAPE)``): the random walk with ``sigma^2 ~ InvGamma(WALK_SHAPE,
    WALK_SCALE)`` integrated out, as :func:`bayeshcc.bayes.families.piecewise.walk_logp`."""
    import pytensor.tensor as pt

    first = value[..., :1]
    steps = pt.concatenate([first, value[..., 1:] - value[..., :-1]], axis=-1)
    nu, scale2 = 2 * WALK_SHAPE, WALK_SCALE / WALK_SHAPE
    p = value.type.shape[-1]
    constant = gammaln((nu + p) / 2) - gammaln(nu / 2) - p / 2 * np.log(nu * np.pi * scale2)
    return constant - (nu + p) / 2 * pt.log1p(pt.sum(steps ** 2, axis=-1) / (nu * scale2))


def walk_penalty(b: np.ndarray, leading: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                           np.ndarray]:
    """:func:`walk_logp` of rows ``b`` (B x m) in NumPy, with its gradient and negative Hessian.

    With the increments ``D b`` (``b_0 = 0`` first), ``q = |D b|^2 / (nu s^2)``:
    ``log p = const - (nu + m) / 2 log(1 + q)``, gradient ``-(nu + m) D'D b / (nu s^2 (1 + q))``,
    negative Hessian ``(nu + m) / (nu s^2) [D'D / (1 + q) - 2 g g' / (nu s^2 (1 + q)^2)]``,
    ``g = D'D b``. ``leading`` zero rows and columns are put first (parameters the walk does not
    involve).
    """
    b = np.atleast_2d(np.asarray(b, dtype=float))
    rows, m = b.shape
    nu, scale2 = 2 * WALK_SHAPE, WALK_SCALE / WALK_SHAPE
    diff = np.eye(m) - np.eye(m, k=-1)                    # (D b)_j = b_j - b_{j-1}, b_{-1} = 0
    dtd = diff.T @ diff
    steps = b @ diff.T
    q = np.sum(steps ** 2, axis=-1) / (nu * scale2)
    constant = gammaln((nu + m) / 2) - gammaln(nu / 2) - m / 2 * np.log(nu * np.pi * scale2)
    value = constant - (nu + m) / 2 * np.log1p(q)
    g = b @ dtd
    factor = (nu + m) / (nu * scale2)
    grad = -factor * g / (1 + q)[:, None]
    hess = factor * (dtd[None] / (1 + q)[:, None, None]
                     - 2 / (nu * scale2) * g[:, :, None] * g[:, None, :]
                     / ((1 + q) ** 2)[:, None, None])
    p = m + leading
    out_grad = np.zeros((rows, p))
    out_grad[:, leading:] = grad
    out_hess = np.zeros((rows, p, p))
    out_hess[:, leading:, leading:] = hess
    return value, out_grad, out_hess


def walk_random(size_of: int, rng: np.random.Generator, draws: int | tuple = ()) -> tuple[
        np.ndarray, np.ndarray]:
    """``sigma`` and ``log_odds`` (``draws + (size_of,)``) from their prior: sigma drawn, then
    the walk's ``size_of`` increments from ``b_0 = 0``."""
    shape = tuple(np.atleast_1d(draws)) if np.size(draws) else ()
    sigma = np.sqrt(WALK_SCALE / rng.gamma(WALK_SHAPE, 1.0, shape))
    steps = np.asarray(sigma)[..., None] * rng.normal(size=shape + (size_of,))
    return sigma, np.cumsum(steps, axis=-1)


def _walk_random_dist(anchor, rng=None, size=None):
    """The CustomDist generator of ``log_odds``: ``anchor`` (K - 1 zeros) fixes the length,
    ``size`` the batch shape."""
    rng = rng if rng is not None else np.random.default_rng()
    batch = () if size is None else tuple(np.atleast_1d(size))
    return walk_random(np.shape(anchor)[-1], rng, batch)[1]


# --- likelihood and generator ----------------------------------------------------------------

def mspline_logp(value, log_odds, lp, spline_basis, spline_integral, widths, knots, event, w):
    """Per-patient censored log-likelihood ``w (d log h - H)`` of the M-spline PH model;
    ``spline_basis`` and ``spline_integral`` (N x K) are :func:`basis` at the observed times,
    ``lp = log_rate + log_hr trt + x'beta``."""
    import pytensor.tensor as pt

    from bayeshcc.bayes.likelihood import censored_loglik

    c = _coefficients_graph(log_odds, widths)
    return censored_loglik(pt.log(pt.dot(spline_basis, c)) + lp,
                           pt.dot(spline_integral, c) * pt.exp(lp), event, w)


def interval_starts(cuts: np.ndarray) -> np.ndarray:
    """The starts of the intervals the knots make (0, the interior knots, ``B``): J of them,
    the last interval ``[B, inf)``."""
    return np.concatenate([[0.0], np.asarray(cuts, dtype=float)])


def interval_parts(c: np.ndarray, integral: np.ndarray, interval: np.ndarray,
                   edge_integrals: np.ndarray) -> np.ndarray:
    """Each interval's part of ``H_0(t) / exp(log_rate)`` (draws x N x J, NumPy): the whole of
    each interval passed (``E_{j+1} - E_j``), the part up to ``t`` of the interval ``t`` is in,
    0 after. ``c`` (draws x K), ``integral`` (N x K: I-splines at t), ``interval`` (N x J
    one-hot), ``edge_integrals`` (J x K: I-splines at the interval starts)."""
    at_edges = c @ edge_integrals.T                                       # draws x J
    whole = np.concatenate([np.diff(at_edges, axis=-1), np.zeros(at_edges.shape[:-1] + (1,))],
                           axis=-1)
    passed = 1.0 - np.cumsum(interval, axis=-1)                           # N x J
    partial = (c @ integral.T)[..., None] - at_edges[:, None, :]          # draws x N x J
    return passed * whole[:, None, :] + interval * partial


def span_polynomials(cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The I-splines as polynomials on the knot spans: the span starts ``u`` (0 and the
    interior knots) and the Taylor coefficients ``a[r, j, k] = I_k^{(r)}(u_j) / r!`` (r = 0..4,
    exact: each I-spline is a quartic on each span), from scipy's derivatives of the spline."""
    from math import factorial

    cuts = np.asarray(cuts, dtype=float)
    starts = np.concatenate([[0.0], cuts[:-1]])
    _, i = _splines(cuts)
    return starts, np.stack([i(starts, nu=r) / factorial(r) for r in range(DEGREE + 2)])


def make_mspline_logp(time_varying: bool):
    """The M-spline model's per-patient censored log-likelihood: :func:`mspline_logp` with one
    log HR; with interval log HRs ``log_hr_j`` (J) the treated arm's cumulative hazard sums
    ``exp(log_hr_j)`` times each interval's part of ``H_0`` (:func:`interval_parts`), and
    ``lp`` is then ``log_rate + x'beta`` without the treatment."""
    if not time_varying:
        return mspline_logp

    def mspline_tv_logp(value, log_odds, log_hr_j, lp, trt, spline_basis, spline_integral,
                        interval, edge_integrals, widths, knots, event, w):
        import pytensor.tensor as pt

        from bayeshcc.bayes.likelihood import censored_loglik

        c = _coefficients_graph(log_odds, widths)
        at_edges = pt.dot(edge_integrals, c)                              # J
        whole = pt.concatenate([at_edges[1:] - at_edges[:-1], pt.zeros(1)])
        passed = 1.0 - pt.cumsum(interval, axis=1)
        parts = (passed * whole[None, :]
                 + interval * (pt.dot(spline_integral, c)[:, None] - at_edges[None, :]))
        ratio = pt.exp(trt[:, None] * log_hr_j[None, :])
        log_h = pt.log(pt.dot(spline_basis, c)) + lp + trt * pt.dot(interval, log_hr_j)
        return censored_loglik(log_h, pt.sum(parts * ratio, axis=1) * pt.exp(lp), event, w)

    return mspline_tv_logp


def invert_time_varying(c: np.ndarray, log_hr_j: np.ndarray, reached: np.ndarray,
                        trt: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Times where ``sum_j exp(trt log_hr_j) (H_0(min(t, e_{j+1})) - H_0(e_j))_+`` (in units
    of ``exp(log_rate)``) reaches ``reached`` (draws x N): the interval reached from the
    cumulative values at the interval starts, then :func:`invert_cumulative` of ``H_0`` at
    ``H_0(e_j) + (reached - G(e_j)) exp(-log_hr_j)``."""
    c, log_hr_j = np.atleast_2d(c), np.atleast_2d(log_hr_j)
    reached = np.atleast_2d(reached)
    trt = np.broadcast_to(trt, reached.shape)
    _, starts_i = basis(interval_starts(cuts), cuts)
    h0 = c @ starts_i.T                                                    # draws x J
    rate = np.exp(trt[..., None] * log_hr_j[:, None, :])                  # draws x N x J
    steps = np.diff(h0, axis=-1)[:, None, :] * rate[..., :-1]
    g = np.concatenate([np.zeros(steps.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    j = np.sum(g[..., 1:] <= reached[..., None], axis=-1)                 # interval reached
    take = lambda a: np.take_along_axis(a, j[..., None], axis=-1)[..., 0]  # noqa: E731
    h0_at = np.take_along_axis(np.broadcast_to(h0[:, None, :], g.shape), j[..., None],
                               axis=-1)[..., 0]
    return invert_cumulative(c, h0_at + (reached - take(g)) / take(rate), cuts)


def invert_cumulative(c: np.ndarray, reached: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Times where ``sum_k c_k I_k(t)`` reaches ``reached`` (draws x N), for coefficients
    ``c`` (draws x K); exact beyond the boundary (linear there), else grid interpolation and
    safeguarded Newton steps (to rounding)."""
    cuts = np.asarray(cuts, dtype=float)
    boundary = float(cuts[-1])
    c, reached = np.atleast_2d(c), np.atleast_2d(reached)
    rows_of = max(c.shape[0], reached.shape[0])
    c = np.broadcast_to(c, (rows_of, c.shape[1]))
    reached = np.broadcast_to(reached, (rows_of, reached.shape[1]))
    m, i = _splines(cuts)
    grid = np.union1d(np.linspace(0.0, boundary, _GRID), cuts)
    table = c @ np.nan_to_num(i(grid)).T                     # draws x grid, ends at sum(c) = B
    tail = c @ np.nan_to_num(m(np.array([boundary])))[0]     # h_0(B) / exp(log_rate), per draw
    out = np.empty(reached.shape)
    top = table[:, -1:]
    past = reached >= top
    out[:] = boundary + (reached - top) / tail[:, None]
    rows, cols = np.nonzero(~past)
    if rows.size == 0:
        return out
    y = reached[rows, cols]
    # the grid cell of each value, all draws in one search: row d of the table (0 to B) is
    # shifted by d (B + 1), so the rows laid end to end increase
    shift = boundary + 1.0
    flat = (table + shift * np.arange(table.shape[0])[:, None]).ravel()
    cell = np.searchsorted(flat, y + shift * rows, side="right") - 1 - rows * grid.size
    cell = np.clip(cell, 0, grid.size - 2)
    lo, hi = grid[cell], grid[cell + 1]
    h_lo, h_hi = table[rows, cell], table[rows, cell + 1]
    x = lo + (y - h_lo) / np.where(h_hi > h_lo, h_hi - h_lo, 1.0) * (hi - lo)
    starts, taylor = span_polynomials(cuts)
    for start in range(0, rows.size, _CHUNK):      # x stays in its cell, inside [0, B]
        s = slice(start, start + _CHUNK)
        cs, xs, ys, ls, hs = c[rows[s]], x[s], y[s], lo[s], hi[s]
        span = np.clip(np.searchsorted(starts, xs, side="right") - 1, 0, starts.size - 1)
        a = np.einsum("rpk,pk->rp", taylor[:, span, :], cs)     # the draw's quartic there
        for _ in range(_NEWTON):
            dx = xs - starts[span]
            H = a[4]
            h = 4 * a[4]
            for r in (3, 2, 1):
                H = H * dx + a[r]
                h = h * dx + r * a[r]
            H = H * dx + a[0]
            xs = np.clip(xs - (H - ys) / np.where(h > 0, h, np.inf), ls, hs)
            span = np.clip(np.searchsorted(starts, xs, side="right") - 1, 0, starts.size - 1)
        x[s] = xs
    out[rows, cols] = x
    return out


def mspline_random(log_odds, lp, spline_basis=None, spline_integral=None, widths=None,
                   knots=None, event=None, w=None, rng=None, size=None):
    """Latent event times of the M-spline PH model (the CustomDist generator): ``H(T) = E``,
    E ~ Exp(1); ``log_odds`` (..., K - 1) and ``lp`` (..., N) broadcast on their leading
    axes, ``knots`` is the clamped knot vector (:func:`knot_vector`)."""
    rng = rng if rng is not None else np.random.default_rng()
    log_odds, lp = np.asarray(log_odds, dtype=float), np.asarray(lp, dtype=float)
    shape = np.broadcast_shapes(log_odds.shape[:-1] + (1,), lp.shape)
    if size is not None and np.size(size):      # ``size``: the batch shape (signature)
        shape = tuple(np.atleast_1d(size)) + shape[-1:]
    target = rng.exponential(size=shape)
    knots = np.asarray(knots, dtype=float)
    cuts = np.concatenate([knots[DEGREE + 1:-(DEGREE + 1)], knots[-1:]])
    lead = np.broadcast_shapes(log_odds.shape[:-1], target.shape[:-1])
    c = np.broadcast_to(coefficients(log_odds, cuts), lead + (log_odds.shape[-1] + 1,))
    reached = np.broadcast_to(target * np.exp(-lp), lead + target.shape[-1:])
    n = reached.shape[-1]
    return invert_cumulative(c.reshape(-1, c.shape[-1]), reached.reshape(-1, n),
                             cuts).reshape(lead + (n,))


def mspline_tv_random(log_odds, log_hr_j, lp, trt, spline_basis=None, spline_integral=None,
                      interval=None, edge_integrals=None, widths=None, knots=None, event=None,
                      w=None, rng=None, size=None):
    """Latent event times with interval log HRs (the time-varying CustomDist generator), one
    draw: ``log_odds`` (K - 1), ``log_hr_j`` (J), ``lp = log_rate + x'beta`` and ``trt`` (N)."""
    rng = rng if rng is not None else np.random.default_rng()
    lp = np.asarray(lp, dtype=float)
    shape = lp.shape if size is None or not np.size(size) else (
        tuple(np.atleast_1d(size)) + lp.shape[-1:])
    target = rng.exponential(size=shape)
    knots = np.asarray(knots, dtype=float)
    cuts = np.concatenate([knots[DEGREE + 1:-(DEGREE + 1)], knots[-1:]])
    c = coefficients(np.asarray(log_odds, dtype=float), cuts).reshape(1, -1)
    reached = (target * np.exp(-lp)).reshape(-1, lp.shape[-1])
    out = invert_time_varying(np.repeat(c, reached.shape[0], axis=0),
                              np.repeat(np.reshape(log_hr_j, (1, -1)), reached.shape[0], axis=0),
                              reached, np.asarray(trt, dtype=float), cuts)
    return out.reshape(shape)


class MSplineFamily:
    """The M-spline PH baseline (module docstring); an implementation of
    :class:`~bayeshcc.bayes.families.base.Family`."""

    name = "mspline"
    title = "M-spline"
    baseline_variables = ("log_rate", "log_odds")
    target_accept = 0.9
    adaptation = "low_rank"     # the log-odds are correlated with log_rate and each other
    curve_target_accept = 0.9
    diagnostic_variables = ("sigma", "log_rate")   # the rank and trace plots' baseline variables
    time_varying = True
    patient_data = frozenset({"spline_basis", "spline_integral", "interval"})
    # derived from the draws (sigma from log_odds' walk, simplex from the knots): a calibrated
    # posterior would leave them inconsistent with the calibrated log-odds
    calibration_drops = ("sigma", "simplex")
    calibrated = True       # docs/validation.md, "M-spline fits"

    def __repr__(self) -> str:
        return "MSplineFamily()"

    @staticmethod
    def n_basis(n_intervals: int) -> int:
        """Basis functions of a structure with ``n_intervals`` (``len(cuts) + 1``)."""
        return n_intervals + 2

    def describe(self, cuts: np.ndarray) -> dict[str, Any]:
        """What a fit's posterior records about its baseline: the knots (data's unit) and the
        extrapolation rule."""
        cuts = np.asarray(cuts, dtype=float)
        return {"mspline_knots": [0.0, *map(float, cuts)],
                "mspline_extrapolation": (f"hazard held constant beyond the boundary knot "
                                          f"t = {cuts[-1]:g} (the largest observed time "
                                          "unless cutpoints were given)")}

    # --- structure and data -------------------------------------------------------------

    def baseline_parameter_names(self, n_intervals: int) -> list[str]:
        """``log_rate``, ``log_odds[0]``, ..., ``log_odds[K-2]``."""
        return ["log_rate"] + [f"log_odds[{i}]" for i in range(self.n_basis(n_intervals) - 1)]

    def cutpoints(self, cutpoints, data: SurvivalData, intervals: int) -> np.ndarray:
        """The interior knots and the boundary knot (data's unit): ``cutpoints`` when given
        (the last one the boundary), else ``intervals - 4`` interior knots at equally spaced
        quantiles of the event times and the largest observed time (``intervals`` is the
        number of basis functions, ``df``; the default 6 is ``stan_surv``'s)."""
        if cutpoints is not None and len(cutpoints):
            cuts = np.asarray(cutpoints, dtype=float)
            if np.any(cuts <= 0) or np.any(np.diff(cuts) <= 0):
                raise AnalysisError(f"mspline cutpoints (interior knots, then the boundary) "
                                    f"must be positive and increasing, got {list(cuts)}")
            return cuts
        if intervals < DEGREE + 1:
            raise AnalysisError(f"model 'mspline': intervals is its number of cubic basis "
                                f"functions (df), at least {DEGREE + 1}; got {intervals}")
        boundary = float(np.max(data.time))
        interior = quantile_cutpoints(data.time, data.event, intervals - DEGREE)
        return np.concatenate([interior[interior < boundary], [boundary]])

    def data_values(self, data: SurvivalData, cuts: np.ndarray | None) -> dict[str, Any]:
        """``spline_basis`` and ``spline_integral`` (N x K, :func:`basis` at the scaled
        times), ``knot_widths`` (:func:`constant_weights`), ``knots`` (the scaled clamped
        knot vector, for the generator), and for an interval log HR ``interval`` (N x J
        one-hot of the knots' intervals) and ``edge_integrals`` (J x K, the I-splines at the
        interval starts)."""
        scaled = np.asarray(cuts, dtype=float) / data.time_scale
        M, I = basis(data.scaled_time, scaled)
        return {"spline_basis": M, "spline_integral": I,
                "knot_widths": constant_weights(scaled), "knots": knot_vector(scaled),
                "interval": exposure_matrix(data.scaled_time, scaled)[1],
                "edge_integrals": basis(interval_starts(scaled), scaled)[1]}

    # --- the PyMC graph -------------------------------------------------------------------

    def build_baseline(self, d: dict, log_hr, xb, n_covariates: int, n_intervals: int,
                       time_varying: bool) -> None:
        """``log_rate``, ``log_odds`` (the walk of :func:`walk_logp`), ``simplex``, with
        ``time_varying`` ``tau``, ``log_hr_steps`` and ``log_hr_interval`` (as the piecewise
        family's), and the observed ``time``."""
        import pymc as pm
        import pytensor.tensor as pt

        k = self.n_basis(n_intervals)
        log_rate = pm.Normal("log_rate", d["rate_center"], d["rate_sd"])
        log_odds = pm.CustomDist("log_odds", pt.zeros(k - 1),
                                 logp=lambda value, anchor: walk_logp(value - anchor),
                                 random=_walk_random_dist, signature="(m)->(m)")
        c = _coefficients_graph(log_odds, d["knot_widths"])
        pm.Deterministic("simplex", c / pt.sum(d["knot_widths"]))
        if time_varying:
            tau = pm.HalfNormal("tau", TAU_SCALE)
            moves = pm.Normal("log_hr_steps", 0.0, 1.0, shape=n_intervals - 1)
            log_hr_j = pm.Deterministic("log_hr_interval", log_hr + pt.concatenate(
                [pt.zeros(1), pt.cumsum(tau * moves)]))
            pm.CustomDist("time", log_odds, log_hr_j, log_rate + xb + pt.zeros_like(d["trt"]),
                          d["trt"], d["spline_basis"], d["spline_integral"], d["interval"],
                          d["edge_integrals"], d["knot_widths"], d["knots"], d["event"],
                          d["w"], logp=make_mspline_logp(True), random=mspline_tv_random,
                          signature="(m),(j),(n),(n),(n,k),(n,k),(n,j),(j,k),(k),(q),(n),(n)"
                                    "->(n)", observed=d["t_obs"])
            return
        lp = log_rate + log_hr * d["trt"] + xb
        pm.CustomDist("time", log_odds, lp, d["spline_basis"], d["spline_integral"],
                      d["knot_widths"], d["knots"], d["event"], d["w"],
                      logp=mspline_logp, random=mspline_random,
                      signature="(m),(n),(n,k),(n,k),(k),(q),(n),(n)->(n)",
                      observed=d["t_obs"])

    def start_values(self, n_intervals: int) -> dict[str, Any]:
        """``log_rate = 0``, ``log_odds = 0`` (a constant hazard)."""
        return {"log_rate": 0.0, "log_odds": np.zeros(self.n_basis(n_intervals) - 1)}

    def complete_posterior(self, tree, seed: int):
        """The posterior with ``sigma``, the walk's SD, drawn from its conditional posterior
        given each draw of ``log_odds`` (as the piecewise family's)."""
        import xarray as xr

        posterior = tree["posterior"].to_dataset()
        b = posterior["log_odds"].values
        levels = np.concatenate([np.zeros(b.shape[:-1] + (1,)), b], axis=-1)
        rng = np.random.default_rng([int(seed), 17])
        posterior["sigma"] = (posterior["log_odds"].dims[:2], walk_sd_draws(levels, rng))
        tree["posterior"] = xr.DataTree(posterior)
        return tree

    # --- NumPy hazards (contrasts) --------------------------------------------------------

    @staticmethod
    def _linear(draws: dict, trt, xb) -> np.ndarray:
        return draws["log_rate"][:, None] + draws["log_hr"][:, None] * trt + xb

    def cumulative_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                          cuts: np.ndarray | None = None) -> np.ndarray:
        """``exp(lp) sum_k c_k I_k(t)`` per draw (draws x N), constant hazard beyond ``B``;
        with ``log_hr_interval`` the treated arm's sums each interval's part times its HR."""
        c = coefficients(draws["log_odds"], cuts)
        t = np.atleast_1d(t)
        _, I = basis(t, cuts)
        if "log_hr_interval" not in draws:
            return np.exp(self._linear(draws, trt, xb)) * (c @ I.T)
        trt = np.broadcast_to(trt, t.shape)
        onehot = exposure_matrix(t, cuts)[1]
        parts = interval_parts(c, I, onehot, basis(interval_starts(cuts), cuts)[1])
        ratio = np.exp(trt[None, :, None] * draws["log_hr_interval"][:, None, :])
        return np.exp(draws["log_rate"][:, None] + xb) * np.sum(parts * ratio, axis=-1)

    def log_hazard(self, draws: dict, t: np.ndarray, trt: np.ndarray, xb: np.ndarray,
                   cuts: np.ndarray | None = None) -> np.ndarray:
        """``lp + log sum_k c_k M_k(t)`` per draw (draws x N), constant beyond ``B``; the log
        HR of ``t``'s interval with ``log_hr_interval``."""
        c = coefficients(draws["log_odds"], cuts)
        t = np.atleast_1d(t)
        M, _ = basis(t, cuts)
        if "log_hr_interval" not in draws:
            return self._linear(draws, trt, xb) + np.log(c @ M.T)
        beta = draws["log_hr_interval"][:, np.searchsorted(cuts, t, side="right")]
        return draws["log_rate"][:, None] + trt * beta + xb + np.log(c @ M.T)

    # --- pointwise groups -----------------------------------------------------------------

    def likelihood_graph(self, inputs: dict, time_varying: bool) -> tuple[list, list, list]:
        """Parameters ``log_rate, log_odds, log_hr_j, beta`` (``log_hr_j`` one log HR, or J);
        data ``t_obs, spline_basis, spline_integral, interval, edge_integrals, knot_widths,
        knots, trt, X, event, w``; outputs the log-likelihood and the linear predictor (with
        the treatment for one log HR, without it for interval log HRs)."""
        import pytensor.tensor as pt

        beta, X, trt = inputs["beta"], inputs["X"], inputs["trt"]
        event, w, t_obs, xb = inputs["event"], inputs["w"], inputs["t_obs"], inputs["xb"]
        log_rate, log_odds = pt.scalar("log_rate"), pt.vector("log_odds")
        log_hr_j = pt.vector("log_hr_j")
        M, I = pt.matrix("spline_basis"), pt.matrix("spline_integral")
        interval, edge_integrals = pt.matrix("interval"), pt.matrix("edge_integrals")
        widths, knots = pt.vector("knot_widths"), pt.vector("knots")
        params = [log_rate, log_odds, log_hr_j, beta]
        data = [t_obs, M, I, interval, edge_integrals, widths, knots, trt, X, event, w]
        if time_varying:
            lp = log_rate + xb
            logp = make_mspline_logp(True)(t_obs, log_odds, log_hr_j, lp, trt, M, I, interval,
                                           edge_integrals, widths, knots, event, w)
        else:
            lp = log_rate + log_hr_j[0] * trt + xb
            logp = mspline_logp(t_obs, log_odds, lp, M, I, widths, knots, event, w)
        return params, data, [logp, lp]

    def likelihood_parameters(self, draws: dict, beta: np.ndarray) -> list[np.ndarray]:
        """``[log_rate, log_odds, log_hr_j, beta]`` per draw (``log_hr_j``: ``log_hr`` as one
        entry, or ``log_hr_interval``)."""
        log_hr_j = draws.get("log_hr_interval", draws["log_hr"][:, None])
        return [draws["log_rate"], draws["log_odds"], log_hr_j, beta]

    def likelihood_data(self, values: dict, data: SurvivalData, X: np.ndarray) -> list:
        """``[t_obs, spline_basis, spline_integral, interval, edge_integrals, knot_widths,
        knots, trt, X, event, w]``."""
        return [values["t_obs"], values["spline_basis"], values["spline_integral"],
                values["interval"], values["edge_integrals"], values["knot_widths"],
                values["knots"], data.treated, X, data.event, data.weights]

    def predictive_times(self, draws: dict, linear: np.ndarray, data: SurvivalData,
                         cuts: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        """``H(T) = E``, E ~ Exp(1), in chunks of draws filled in order (one random stream)."""
        scaled = np.asarray(cuts, dtype=float) / data.time_scale
        c = coefficients(draws["log_odds"], scaled)
        out = np.empty_like(linear)
        step = max(1, 2_000_000 // linear.shape[1])
        for i in range(0, linear.shape[0], step):
            target = rng.exponential(size=linear[i:i + step].shape)
            reached = target * np.exp(-linear[i:i + step])
            if "log_hr_interval" in draws:   # ``linear`` without the treatment
                out[i:i + step] = invert_time_varying(
                    c[i:i + step], draws["log_hr_interval"][i:i + step], reached,
                    data.treated, scaled)
            else:
                out[i:i + step] = invert_cumulative(c[i:i + step], reached, scaled)
        return out

    # --- prior predictive and SBC ---------------------------------------------------------

    def sample_prior(self, rate_centre: float, n_intervals: int, draws: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``log_rate``, ``sigma`` and ``log_odds`` (draws x K - 1) from their priors."""
        out = {"log_rate": rng.normal(rate_centre, BASELINE_SD, draws)}
        out["sigma"], out["log_odds"] = walk_random(self.n_basis(n_intervals) - 1, rng, draws)
        return out

    def median_survival(self, draws: dict, arm: float,
                        cuts: np.ndarray | None = None) -> np.ndarray:
        """The time where ``exp(log_rate + arm log_hr) H_0(t)`` reaches log 2 (by
        :func:`invert_cumulative`)."""
        c = coefficients(draws["log_odds"], cuts)
        lp = draws["log_rate"] + arm * draws["log_hr"]
        return invert_cumulative(c, (LOG2 * np.exp(-lp))[:, None], cuts)[:, 0]

    def simulate(self, rng: np.random.Generator, baseline: tuple[float, float],
                 target: np.ndarray, log_hr: float, trt: np.ndarray, xb: np.ndarray,
                 cuts: np.ndarray | None) -> tuple[dict[str, float], np.ndarray]:
        """``log_rate`` ~ N(``baseline``), ``sigma`` and the walk ``log_odds`` from the prior on
        the knots ``cuts`` (interior, then boundary), and the times where each patient's
        cumulative hazard reaches ``target``."""
        log_rate = rng.normal(*baseline)
        k = knot_vector(cuts).size - DEGREE - 1
        sigma, b = walk_random(k - 1, rng)
        truth = {"log_rate": log_rate, "sigma": float(sigma)}
        truth.update({f"log_odds[{j}]": v for j, v in enumerate(b)})
        reached = np.asarray(target) * np.exp(-(log_rate + log_hr * trt + xb))
        return truth, invert_cumulative(coefficients(b, cuts)[None], reached[None], cuts)[0]

    # --- the curve prior ------------------------------------------------------------------

    def external_values(self, t: np.ndarray, data: SurvivalData, cuts: np.ndarray | None,
                        reference_events: np.ndarray) -> tuple[dict, np.ndarray]:
        """Not available: a curve prior needs the weibull or piecewise family."""
        raise AnalysisError("a curve prior is not available for model 'mspline' yet; use "
                            "model 'weibull' or 'piecewise' with a curve prior")

    def build_curve_baseline(self, d: dict, log_hr, xb, deviation: Callable[[int], Any],
                             n_covariates: int, n_intervals: int) -> None:
        """Not available (:meth:`external_values`)."""
        self.external_values(None, None, None, None)

    def curve_start_values(self) -> dict[str, Any]:
        """None: no curve prior (:meth:`external_values`)."""
        return {}

    # --- for the sandwich calibration ----------------------------------------------------

    def baseline_draws(self, baseline: np.ndarray) -> dict[str, np.ndarray]:
        """``log_rate`` and ``log_odds`` from (..., K) values of the baseline parameters."""
        baseline = np.asarray(baseline, dtype=float)
        return {"log_rate": baseline[..., 0], "log_odds": baseline[..., 1:]}

    def known_normal_prior(self, baseline_prior: tuple[float, float]) -> list[
            tuple[str, float, float]]:
        """``log_rate ~ N(baseline_prior)``; the log-odds' walk is not a fixed normal."""
        return [("log_rate", float(baseline_prior[0]), float(baseline_prior[1]))]

    def calibration_penalty(self, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
        """The log-odds' random-walk log prior (:func:`walk_logp`), its gradient and negative
        Hessian in ``(log_rate, log_odds)`` (B x K rows; ``log_rate``'s entries are 0): the
        penalty of the calibration's estimator
        (:class:`~bayeshcc.bayes.families.base.CalibrationPenalty`)."""
        return walk_penalty(np.asarray(baseline, dtype=float)[..., 1:], leading=1)

    def symbolic_parameters(self, theta, n_intervals: int) -> list:
        """``[log_rate, log_odds, log_hr_j, beta]`` of :meth:`likelihood_graph` (one log HR)
        from ``theta = (log_rate, log_odds[0..K-2], log_hr, beta)``."""
        k = self.n_basis(n_intervals)
        return [theta[0], theta[1:k], theta[k:k + 1], theta[k + 1:]]


MSPLINE = MSplineFamily()
