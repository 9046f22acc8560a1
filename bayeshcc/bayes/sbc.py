"""Simulation-based calibration (Talts et al. 2018) of the survival models, every parameter.

Each replication draws every parameter from the prior, simulates a cohort from them
(administrative censoring at ``follow_up``), fits the model with the pipeline's own
:func:`~bayeshcc.bayes.fit.fit_survival_model`, and records the rank of each true parameter
among ``L`` thinned posterior draws. Ranks are uniform on 0..L when the sampler and the model
are right. The baseline prior is fixed (``baseline_prior``, unit time scale) so that the prior
does not depend on the simulated data.

Structures (the compiled models the pipeline uses):

- ``unweighted``: treatment only (adjustments ``none`` and, with weights as data, ``ate`` /
  ``att`` / ``overlap`` / ``matched``: one compiled graph serves them all, the weights being
  data of the graph);
- ``covariates``: treatment plus two standardised covariates (adjustment ``covariates``).

A weighted pseudo-posterior is not the posterior of a generative model, so SBC does not apply
to it; its code path is the same compiled graph with other data (checked exactly by the
integer-weights-equal-duplicated-rows test) and its calibration is checked by the frequentist
coverage study (``python -m benchmarks.validation``, ``docs/validation.md``).

:func:`rank_check` judges a set of ranks: the ECDF of the (jittered) normalised ranks against
simultaneous 95 % bands (Säilynoja, Bürkner & Vehtari 2022, Statistics and Computing 32:32;
computed by ``arviz_stats.ecdf_utils.ecdf_pit``), and a two-sided test of their dispersion
(mean |u - 1/2| against 1/4), which catches posteriors too narrow or too wide. With 500
replications both reject a posterior whose SD is 20 % off in 98-100 % of simulated studies
(``tests/bayes/test_sbc.py`` checks the detector on such ranks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN

BASELINE = (np.log(0.3), 0.5)
CUTS = np.array([1.0, 2.0, 3.0])
STRUCTURES = ("unweighted", "covariates")
N_COVARIATES = {"unweighted": 0, "covariates": 2}


@dataclass(frozen=True)
class SbcTask:
    """One SBC replication (picklable, so executors can run replications in parallel)."""

    model: str
    replication: int
    seed: int
    structure: str = "unweighted"
    n: int = 120
    follow_up: float = 5.0
    ranks_of: int = 99
    draws: int = 400
    chains: int = 2

    @property
    def label(self) -> str:
        return f"sbc/{self.model}/{self.structure}/{self.replication}"


def _standardised(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Covariates already centred and scaled as :func:`bayeshcc.bayes.data.prepare` does (so its
    standardisation leaves them unchanged and the coefficients are those simulated)."""
    x = rng.normal(size=(n, k))
    return (x - x.mean(axis=0)) / x.std(axis=0)


def simulate(task: SbcTask, rng: np.random.Generator) -> tuple[dict, dict]:
    """True parameters drawn from the prior and a cohort simulated from them.

    Returns ``(truth, data)``: truth maps parameter names (``log_hr``, ``log_rate``,
    ``log_shape``, ``alpha_first``, ``sigma``, ``alpha[j]``, ``beta[k]``) to values; data holds
    ``time``, ``event``, ``treated`` and ``X``.
    """
    prior = BUILT_IN["weakly_informative"]
    k = N_COVARIATES[task.structure]
    truth = {"log_hr": rng.normal(prior.log_hr_mean, prior.log_hr_sd)}
    trt = rng.integers(0, 2, task.n).astype(float)
    X = _standardised(rng, task.n, k) if k else np.zeros((task.n, 0))
    beta = rng.normal(0.0, prior.coef_sd, size=k)
    truth.update({f"beta[{i}]": b for i, b in enumerate(beta)})
    xb = X @ beta
    target = -np.log(rng.uniform(size=task.n))
    baseline, t = get_family(task.model).simulate(rng, BASELINE, target, truth["log_hr"], trt,
                                                  xb, CUTS)
    truth.update(baseline)
    time = np.maximum(np.minimum(t, task.follow_up), 1e-6)
    return truth, {"time": time, "event": (t <= task.follow_up).astype(float), "treated": trt,
                   "X": X}


def _posterior_values(draws: dict, name: str) -> np.ndarray:
    if "[" not in name:
        return draws[name]
    base, index = name[:-1].split("[")
    return draws[base][:, int(index)]


def sbc_ranks(task: SbcTask) -> dict[str, int] | None:
    """Rank of each true parameter among ``ranks_of`` thinned posterior draws (None when the
    simulated cohort has no events or one arm only)."""
    rng = np.random.default_rng(task.seed)
    truth, data = simulate(task, rng)
    if data["event"].sum() == 0 or len(set(data["treated"])) < 2:
        return None
    k = data["X"].shape[1]
    fit = fit_survival_model(task.model, data["time"], data["event"], data["treated"],
                             X=data["X"] if k else None,
                             covariate_names=tuple(f"x{i}" for i in range(k)),
                             draws=task.draws, tune=task.draws, chains=task.chains,
                             seed=task.seed, time_scale=1.0, baseline_prior=BASELINE,
                             cutpoints=CUTS)  # a family without intervals ignores them
    draws = fit.draws(task.ranks_of)
    return {name: int(np.sum(_posterior_values(draws, name) < value))
            for name, value in truth.items()}


def sbc_rank(task: SbcTask) -> int | None:
    """Rank of the true log HR alone (see :func:`sbc_ranks`)."""
    ranks = sbc_ranks(task)
    return None if ranks is None else ranks["log_hr"]


@dataclass(frozen=True)
class RankCheck:
    """Verdict on one parameter's SBC ranks (see :func:`rank_check`)."""

    replications: int
    outside_band: bool        # ECDF leaves the simultaneous 95 % band somewhere
    dispersion_p: float       # two-sided p of mean |u - 1/2| = 1/4
    coverage_90: float        # share of truths inside the central 90 % of the draws

    alpha: float = 0.01       # the dispersion test's level

    @property
    def calibrated(self) -> bool:
        """In the band and no evidence (p >= alpha) of too narrow or too wide posteriors."""
        return not self.outside_band and self.dispersion_p >= self.alpha


def normalised_ranks(ranks, ranks_of: int = 99, seed: int = 0) -> np.ndarray:
    """Ranks 0..L jittered to continuous values in (0, 1): uniform when calibrated."""
    ranks = np.asarray(ranks, dtype=float)
    return (ranks + np.random.default_rng(seed).uniform(size=ranks.size)) / (ranks_of + 1)


def ecdf_band(u: np.ndarray, prob: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          np.ndarray]:
    """ECDF of ``u`` with simultaneous ``prob`` bands for a uniform sample of its size
    (``arviz_stats.ecdf_utils.ecdf_pit``; fixed seed): (x, ecdf, lower, upper)."""
    from arviz_stats.ecdf_utils import ecdf_pit

    return ecdf_pit(np.asarray(u), prob, 1000, rng=np.random.default_rng(214))


def rank_check(ranks, ranks_of: int = 99, prob: float = 0.95, alpha: float = 0.01) -> RankCheck:
    """Judge SBC ranks of one parameter (module docstring): simultaneous ``prob`` ECDF band and
    the dispersion test at level ``alpha`` (stricter values when many parameters are judged)."""
    from scipy import stats

    ranks = np.asarray(ranks)
    u = normalised_ranks(ranks, ranks_of)
    _, ecdf, lower, upper = ecdf_band(u, prob)
    a = np.abs(u - 0.5)  # Uniform(0, 1/2) under calibration: mean 1/4, variance 1/48
    z = (a.mean() - 0.25) / np.sqrt(1 / 48 / a.size)
    low, high = round(0.05 * (ranks_of + 1)), round(0.95 * (ranks_of + 1))
    return RankCheck(int(ranks.size), bool(np.any(ecdf < lower) or np.any(ecdf > upper)),
                     float(2 * stats.norm.sf(abs(z))),
                     float(np.mean((ranks >= low) & (ranks < high))), alpha)
