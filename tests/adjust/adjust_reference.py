"""Reference data and R fixtures (tests/reference/matchit_reference.R, MatchIt 4.7.2)."""
import json
import warnings
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from bayeshcc.adjust import fit_propensity

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
DATASETS = sorted(p.stem.removeprefix("matchit_") for p in (REFERENCE / "fixtures").glob("matchit_*.json"))
RTOL = 1e-6

@lru_cache(maxsize=None)
def load(name: str) -> SimpleNamespace:
    """Design matrix, treatment, ids, R fixture and the Python propensity fit of one dataset."""
    fixture = json.loads((REFERENCE / "fixtures" / f"matchit_{name}.json").read_text())
    data = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    X = data.drop(columns=["id", "treat"])
    treated = data["treat"].to_numpy() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_propensity(X, treated)
    return SimpleNamespace(X=X, treated=treated, ids=data["id"].to_numpy(), r=fixture, fit=fit)

def r_array(values) -> np.ndarray:
    """A JSON list from R (null = NA) as a float array."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
