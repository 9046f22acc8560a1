"""Loading of the R reference fixtures written by tests/reference/survival_reference.R."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
DATASETS = sorted(p.stem.removeprefix("survival_") for p in (REFERENCE / "fixtures").glob("survival_*.json"))


def load(dataset):
    """Return (fixture dict, data frame) of one reference dataset."""
    fixture = json.loads((REFERENCE / "fixtures" / f"survival_{dataset}.json").read_text())
    data = pd.read_csv(REFERENCE / "data" / fixture["csv"])
    return fixture, data


def arr(values):
    """JSON list (null = R NA) -> float array with NaN."""
    return np.array([np.nan if v is None else v for v in np.atleast_1d(values)], dtype=float)


def assert_r_equal(actual, expected, rtol=1e-6, atol=1e-10):
    """Equal to R at 1e-6 relative (1e-10 absolute near 0); R NA equals NaN or +-inf."""
    actual = np.asarray(actual, dtype=float)
    actual = np.where(np.isfinite(actual), actual, np.nan)
    np.testing.assert_allclose(actual, arr(expected), rtol=rtol, atol=atol, equal_nan=True)


def arm_rows(data, arm):
    """Rows of one arm as named in the fixtures (all / treated / reference)."""
    return {"all": data, "treated": data[data.group], "reference": data[~data.group]}[arm]
