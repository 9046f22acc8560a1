"""Simulation-based calibration of both models (slow: about a minute per model on 2 cores)."""

import numpy as np
import pytest
from scipy import stats

from bayeshcc.bayes.sbc import SbcTask, sbc_rank
from bayeshcc.executors import derive_seed, run_tasks

REPLICATIONS = 80
BINS = 5


@pytest.mark.slow
@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_ranks_of_true_log_hr_are_uniform(model):
    tasks = [SbcTask(model, r, derive_seed(2024, ("sbc", model, r))) for r in range(REPLICATIONS)]
    ranks = np.array([r for r in run_tasks(sbc_rank, tasks) if r is not None])
    assert len(ranks) >= 0.9 * REPLICATIONS
    counts = np.histogram(ranks, bins=BINS, range=(0, 100))[0]
    p = stats.chisquare(counts).pvalue
    print(f"SBC {model}: {len(ranks)} ranks, bin counts {counts.tolist()}, chi-square p = {p:.3f}")
    assert p > 0.001, counts
    # central 90 % posterior intervals cover the truth at about the nominal rate
    coverage = np.mean((ranks >= 5) & (ranks <= 94))
    assert 0.78 <= coverage <= 0.99, coverage
