"""Shared fixtures: a small valid cohort table and its spec, built fresh for each test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SMALL_SPEC = """
[data]
id = "pid"
treatment = "arm"
treated = "new"
reference = "old"

[outcomes.os]
time = "os_time"
event = "os_event"

[covariates]
age = "numeric"
stage = { type = "categorical", reference = "I" }

[propensity]
covariates = ["age", "stage"]

[cox]
covariates = ["age", "stage"]
"""


def make_small_frame(n: int = 40, seed: int = 7) -> pd.DataFrame:
    """A valid two-arm table with one outcome and two covariates."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "new", "old")
    return pd.DataFrame({
        "pid": [f"P{i:03d}" for i in range(1, n + 1)],
        "arm": arm,
        "os_time": np.round(rng.exponential(10, n) + 0.1, 2),
        "os_event": rng.integers(0, 2, n),
        "age": rng.integers(40, 80, n),
        "stage": rng.choice(["I", "II", "III"], n),
    })


@pytest.fixture
def small_frame() -> pd.DataFrame:
    return make_small_frame()


@pytest.fixture
def small_spec_text() -> str:
    return SMALL_SPEC


@pytest.fixture
def small_spec():
    from bayeshcc.spec import spec_from_text

    return spec_from_text(SMALL_SPEC)


@pytest.fixture
def small_files(tmp_path, small_frame):
    """The small table and spec written to files: (data path, spec path)."""
    data = tmp_path / "cohort.csv"
    small_frame.to_csv(data, index=False)
    spec = tmp_path / "spec.toml"
    spec.write_text(SMALL_SPEC)
    return data, spec
