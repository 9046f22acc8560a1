"""Module-level task functions for the executor tests (processes import them by name)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.executors import derive_seed


@dataclass(frozen=True)
class Fit:
    """A stand-in for one cell of a sensitivity grid."""

    key: tuple[str, ...]
    base_seed: int = 20241


def simulate(task: Fit) -> tuple[tuple[str, ...], float, list[float]]:
    """A deterministic 'fit': a mean and three draws from the task's own seed."""
    rng = np.random.default_rng(derive_seed(task.base_seed, task.key))
    draws = rng.normal(size=1000)
    return task.key, float(draws.mean()), [float(x) for x in draws[:3]]


def fail_on_piecewise(task: Fit) -> str:
    """Raises for any task whose key names the piecewise model."""
    if "piecewise" in task.key:
        raise ValueError("design matrix is singular")
    return task.key[1]


GRID = [Fit(("os", model, prior, adj))
        for model in ("weibull", "piecewise")
        for prior in ("vague", "skeptical")
        for adj in ("none", "ate")]
