"""Simulation-based calibration of both models and both compiled structures, every parameter.

The full study (500 replications per model and structure) is `python -m benchmarks.sbc` and
its result is docs/sbc.md; here a smaller version (fixed seeds, so the verdict is reproducible)
and a check that the verdict can fail: ranks of posteriors 20 % too narrow or too wide must be
rejected (the issue: 80 replications in 5 bins passed 77 % of the time with such posteriors).
"""

import numpy as np
import pytest

from bayeshcc.bayes.sbc import SbcTask, rank_check, sbc_ranks
from bayeshcc.executors import derive_seed, run_tasks


def _synthetic_ranks(scale: float, replications: int = 500, seed: int = 3) -> np.ndarray:
    """Ranks of truths among 99 draws of a normal posterior whose SD is ``scale`` x the right one."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=replications)
    draws = rng.normal(size=(replications, 99)) * scale
    return (draws < truth[:, None]).sum(axis=1)


def test_calibrated_ranks_pass():
    check = rank_check(_synthetic_ranks(1.0))
    assert check.calibrated and 0.86 <= check.coverage_90 <= 0.94


@pytest.mark.parametrize("scale", [0.8, 1.2])
def test_posteriors_20_percent_off_are_rejected_at_500_replications(scale):
    check = rank_check(_synthetic_ranks(scale))
    assert not check.calibrated
    assert check.dispersion_p < 0.01


def test_ranks_shifted_by_a_biased_posterior_leave_the_band():
    ranks = np.clip(_synthetic_ranks(1.0) + 12, 0, 99)   # posterior shifted ~0.3 SD too low
    assert rank_check(ranks).outside_band


def _ranks(model: str, structure: str, replications: int) -> dict[str, np.ndarray]:
    tasks = [SbcTask(model, r, derive_seed(2024, ("sbc", model, structure, r)), structure)
             for r in range(replications)]
    results = [r for r in run_tasks(sbc_ranks, tasks) if r is not None]
    assert len(results) >= 0.9 * replications
    return {name: np.array([r[name] for r in results]) for name in results[0]}


@pytest.mark.slow
@pytest.mark.parametrize("model, structure, replications", [
    ("weibull", "unweighted", 200),
    ("weibull", "covariates", 200),
    ("piecewise", "unweighted", 120),
])
def test_every_parameter_is_calibrated(model, structure, replications):
    """Every parameter within the simultaneous 99 % ECDF band and no dispersion signal at
    p < 0.001 (stricter than one parameter's 95 % / 0.01 because 4-7 parameters are judged)."""
    ranks = _ranks(model, structure, replications)
    expected = {"weibull": {"log_hr", "log_rate", "log_shape"},
                "piecewise": {"log_hr", "alpha_first", "sigma", "alpha[1]", "alpha[2]",
                              "alpha[3]"}}[model]
    if structure == "covariates":
        expected |= {"beta[0]", "beta[1]"}
    assert set(ranks) == expected
    for name, r in ranks.items():
        check = rank_check(r, prob=0.99, alpha=0.001)
        print(f"SBC {model}/{structure} {name}: {check}")
        assert check.calibrated, (name, check)
        assert 0.82 <= check.coverage_90 <= 0.98, (name, check)
