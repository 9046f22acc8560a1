"""Bootstrap SEs of the propensity-weighted Kaplan-Meier RMST difference, PS refitted (issue 23).

How to run (from the repository root; about two minutes)::

    PYTHONPATH=. python tests/reference/weighted_rmst_bootstrap.py

Writes ``tests/reference/fixtures/weighted_rmst_bootstrap.json``. For each dataset of
``weighted_rmst_reference.R`` (gbsg, colon_death, paper_os; PS covariates and tau as there) and each
estimand (ate, att, overlap; unstabilised, untrimmed): each replicate resamples patients with
replacement, REFITS the logistic PS (:func:`bayeshcc.adjust.fit_propensity`), recomputes the
weights (:func:`bayeshcc.adjust.propensity_weights`) and the weighted Kaplan-Meier RMST of each
arm up to the fixed tau (:func:`bayeshcc.frequentist.rmst.restricted_mean`, whose point
estimates equal R's, tests/frequentist/test_weighted_rmst.py). R: ``boot::boot`` around
``glm`` + ``survfit(weights = w)`` + ``survmean``.

B = 2000 replicates, seed 20261203 (numpy ``default_rng``). Replicates whose PS fit fails
(separation) or where an arm is empty are skipped and counted. The fixture holds the SD of the
replicates (ddof = 1) of the difference and of each arm's RMST.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.rmst import restricted_mean

ROOT = Path(__file__).resolve().parent
REFERENCE = json.loads((ROOT / "fixtures" / "weighted_rmst.json").read_text())
FIXTURE = ROOT / "fixtures" / "weighted_rmst_bootstrap.json"
REPLICATES = 2000
SEED = 20261203
ESTIMANDS = ("ate", "att", "overlap")


def read_dataset(csv) -> pd.DataFrame:
    """One csv, or (paper_os) the PS design csv beside the outcome csv, rows aligned."""
    if isinstance(csv, str):
        return pd.read_csv(ROOT / "data" / csv)
    design, outcome = (pd.read_csv(ROOT / "data" / c) for c in csv)
    if not (design["treat"].to_numpy() == outcome["group"].to_numpy().astype(int)).all():
        raise ValueError(f"{csv} rows do not line up")
    return pd.concat([outcome, design.drop(columns=["id", "treat"])], axis=1)


def load(name: str):
    """(PS covariates, treated, time, event, tau) of a dataset of weighted_rmst.json."""
    ref = REFERENCE[name]
    d = read_dataset(ref["csv"])
    return (d[ref["covariates"]].astype(float), d["group"].to_numpy(bool),
            d["time"].to_numpy(float), d["event"].to_numpy(float), float(ref["tau"]))


def estimates(X, treated, time, event, tau) -> dict:
    """{estimand: (treated RMST, reference RMST)} with the PS fitted on these rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        out = {}
        for estimand in ESTIMANDS:
            w = np.asarray(propensity_weights(ps.score, treated, estimand).weights)
            out[estimand] = tuple(restricted_mean(time[g], event[g], tau, w[g]).rmst
                                  for g in (treated, ~treated))
    return out


def bootstrap(name: str, rng) -> dict:
    X, treated, time, event, tau = load(name)
    n = len(time)
    draws = {e: [] for e in ESTIMANDS}
    skipped = 0
    for _ in range(REPLICATES):
        i = rng.integers(n, size=n)
        if treated[i].all() or not treated[i].any():
            skipped += 1
            continue
        try:
            est = estimates(X.iloc[i].reset_index(drop=True), treated[i], time[i], event[i], tau)
        except AnalysisError:
            skipped += 1
            continue
        for e in ESTIMANDS:
            draws[e].append(est[e])
    out = {"n": n, "tau": tau, "replicates": REPLICATES, "skipped": skipped}
    for e in ESTIMANDS:
        a = np.array(draws[e])
        out[e] = {"se_difference": float(np.std(a[:, 0] - a[:, 1], ddof=1)),
                  "se_treated": float(np.std(a[:, 0], ddof=1)),
                  "se_reference": float(np.std(a[:, 1], ddof=1))}
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    result = {"seed": SEED, "replicates": REPLICATES}
    for name in ("gbsg", "colon_death", "paper_os"):
        result[name] = bootstrap(name, rng)
        print(name, {e: round(result[name][e]["se_difference"], 3) for e in ESTIMANDS})
    FIXTURE.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", FIXTURE)


if __name__ == "__main__":
    main()
