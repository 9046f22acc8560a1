"""Simulation-based calibration (Talts et al. 2018) of the survival models.

Each replication draws parameters from the prior, simulates a cohort from them (administrative
censoring at ``follow_up``), fits the model, and records the rank of the true log HR among
``L`` thinned posterior draws. Ranks are uniform on 0..L when the sampler and model are right.
The baseline prior is fixed (``baseline_prior``, unit time scale) so that the prior does not
depend on the simulated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.priors import BUILT_IN

BASELINE = (np.log(0.3), 0.5)
CUTS = np.array([1.0, 2.0, 3.0])


@dataclass(frozen=True)
class SbcTask:
    """One SBC replication (picklable, so executors can run replications in parallel)."""

    model: str
    replication: int
    seed: int
    n: int = 120
    follow_up: float = 5.0
    ranks_of: int = 99
    draws: int = 400
    chains: int = 2

    @property
    def label(self) -> str:
        return f"sbc/{self.model}/{self.replication}"


def _simulate(task: SbcTask, rng: np.random.Generator) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    prior = BUILT_IN["weakly_informative"]
    log_hr = rng.normal(prior.log_hr_mean, prior.log_hr_sd)
    trt = rng.integers(0, 2, task.n).astype(float)
    u = rng.uniform(size=task.n)
    if task.model == "weibull":
        shape = np.exp(rng.normal(0, 0.5))
        log_rate = rng.normal(*BASELINE)
        t = (-np.log(u) * np.exp(-(log_rate + log_hr * trt))) ** (1 / shape)
    else:
        sigma = abs(rng.normal(0, 0.5))
        alpha = rng.normal(*BASELINE) + np.concatenate([[0], np.cumsum(sigma * rng.normal(size=CUTS.size))])
        edges = np.concatenate([[0.0], CUTS, [np.inf]])
        target = -np.log(u)
        t = np.empty(task.n)
        for i in range(task.n):  # invert the piecewise-linear cumulative hazard
            rates = np.exp(alpha + log_hr * trt[i])
            cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges[:-1]))])
            j = np.searchsorted(cum, target[i], side="right") - 1
            t[i] = edges[j] + (target[i] - cum[j]) / rates[j]
    time = np.minimum(t, task.follow_up)
    return log_hr, np.maximum(time, 1e-6), (t <= task.follow_up).astype(float), trt


def sbc_rank(task: SbcTask) -> int | None:
    """Rank of the true log HR among ``ranks_of`` thinned posterior draws (None: no events)."""
    rng = np.random.default_rng(task.seed)
    truth, time, event, trt = _simulate(task, rng)
    if event.sum() == 0 or len(set(trt)) < 2:
        return None
    fit = fit_survival_model(task.model, time, event, trt, draws=task.draws, tune=task.draws,
                             chains=task.chains, seed=task.seed, time_scale=1.0,
                             baseline_prior=BASELINE,
                             cutpoints=CUTS if task.model == "piecewise" else None)
    draws = fit.draws(task.ranks_of)["log_hr"]
    return int(np.sum(draws < truth))
