"""Nonparametric bootstrap SEs of the ate and matched Weibull log HR (issue 13's fixture).

How to run (from the repository root; about a minute)::

    PYTHONPATH=. python tests/reference/bootstrap_reference.py

Writes ``tests/reference/fixtures/bootstrap_se.json``. For each dataset below the estimators are
the frequentist twins of the package's default weighted and matched Bayesian fits:

- ``ate``: logistic PS on the dataset's covariates (:func:`bayeshcc.adjust.fit_propensity`),
  unstabilised, untrimmed ATE weights 1/e and 1/(1-e)
  (:func:`bayeshcc.adjust.propensity_weights`), and the treatment log HR of a weighted Weibull
  PH fit with the treatment only, maximised by ``scipy.optimize`` (BFGS, analytic gradient).
  Each bootstrap replicate resamples patients with replacement and REFITS the PS, so the SE
  includes the PS estimation (R: ``boot::boot`` around ``glm`` + ``survreg(weights = w)``).
- ``matched``: 1:1 nearest-neighbour matching without replacement on the logit PS, caliper
  0.2 SD (:func:`bayeshcc.adjust.match_nearest`, MatchIt's rule), and the unweighted Weibull
  PH log HR on the matched patients. Each replicate resamples the matched PAIRS with
  replacement (Abadie & Spiess 2022: the pair bootstrap is valid for matching without
  replacement).

B = 2000 replicates, seed 20261130 (numpy ``default_rng``). Replicates whose PS fit fails
(complete separation in a resample) are skipped and counted.

Datasets (tests/reference/data, written by survival_reference.R / matchit_reference.R):

- ``lung``: survival::lung, treated = female (``group``), PS covariates age, ph_ecog (N = 227).
- ``veteran``: survival::veteran, treated = test chemotherapy (``group``), PS covariates karno,
  age, celltype dummies (N = 137).
- ``paper_os``: the bundled synthetic cohort, overall survival (paper_os.csv), PS covariates of
  bayeshcc/studies/hcc2024/paper.toml (paper_cohort.csv: age, sex, tumour size and number, extrahepatic and
  lymph-node metastasis, Child-Pugh class; N = 126).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
FIXTURE = ROOT / "fixtures" / "bootstrap_se.json"
REPLICATES = 2000
SEED = 20261130
CALIPER = 0.2


def load(name: str):
    """(PS covariates DataFrame, treated bool array, time, event) of a reference dataset."""
    if name == "lung":
        d = pd.read_csv(DATA / "lung.csv")
        X = d[["age", "ph_ecog"]].astype(float)
    elif name == "veteran":
        d = pd.read_csv(DATA / "veteran.csv")
        X = d[["karno", "age", "celltype[smallcell]", "celltype[adeno]",
               "celltype[large]"]].astype(float)
    elif name == "paper_os":
        design = pd.read_csv(DATA / "paper_cohort.csv")
        d = pd.read_csv(DATA / "paper_os.csv")
        if not (design["treat"].to_numpy() == d["group"].to_numpy().astype(int)).all():
            raise ValueError("paper_cohort.csv and paper_os.csv rows do not line up")
        X = design.drop(columns=["id", "treat"]).astype(float)
    else:
        raise KeyError(name)
    return (X.reset_index(drop=True), d["group"].to_numpy().astype(bool),
            d["time"].to_numpy(float), d["event"].to_numpy(float))


DATASETS = ("lung", "veteran", "paper_os")


def weibull_log_hr(time, event, treated, weights=None) -> float:
    """Treatment log HR of a (weighted) Weibull PH maximum-likelihood fit, treatment only."""
    t = np.asarray(time, float) / np.mean(time)
    d = np.asarray(event, float)
    z = np.asarray(treated, float)
    w = np.ones(t.size) if weights is None else np.asarray(weights, float)
    log_t = np.log(t)

    def negloglik(p):
        log_rate, log_shape, log_hr = p
        k = np.exp(log_shape)
        lp = log_rate + log_hr * z
        cum = np.exp(lp + k * log_t)
        ll = w * (d * (log_shape + (k - 1) * log_t + lp) - cum)
        r = w * (d - cum)
        grad = np.array([r.sum(), np.sum(w * (d * (1 + k * log_t) - cum * k * log_t)),
                         np.sum(r * z)])
        return -ll.sum(), -grad

    start = [np.log(np.sum(w * d) / np.sum(w * t)), 0.0, 0.0]
    res = optimize.minimize(negloglik, start, jac=True, method="BFGS",
                            options={"gtol": 1e-8})
    return float(res.x[2])


def ate_estimate(X, treated, time, event) -> float:
    """PS refitted, ATE weights, weighted Weibull log HR."""
    from bayeshcc.adjust import fit_propensity, propensity_weights

    ps = fit_propensity(X, treated)
    w = propensity_weights(ps.score, treated, "ate").weights
    return weibull_log_hr(time, event, treated, w)


def matched_pairs(X, treated) -> np.ndarray:
    """P x 2 row indices (treated, reference) of the 1:1 caliper-0.2 match."""
    from bayeshcc.adjust import fit_propensity, match_nearest

    ps = fit_propensity(X, treated)
    m = match_nearest(ps.logit, treated, np.arange(len(X)), caliper=CALIPER)
    return m.pairs[["treated_id", "reference_id"]].to_numpy(int)


def reference(name: str, replicates: int = REPLICATES, seed: int = SEED) -> dict:
    """Point estimates and bootstrap SEs of one dataset."""
    X, treated, time, event = load(name)
    rng = np.random.default_rng([seed, DATASETS.index(name)])
    n = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ate = ate_estimate(X, treated, time, event)
        pairs = matched_pairs(X, treated)
        rows = pairs.ravel()
        matched = weibull_log_hr(time[rows], event[rows], treated[rows])
        boot_ate, failed = [], 0
        for _ in range(replicates):
            i = rng.integers(0, n, n)
            try:
                boot_ate.append(ate_estimate(X.iloc[i].reset_index(drop=True), treated[i],
                                             time[i], event[i]))
            except Exception:  # noqa: BLE001 - separation in a resample: skip and count
                failed += 1
        boot_matched = []
        for _ in range(replicates):
            r = pairs[rng.integers(0, len(pairs), len(pairs))].ravel()
            boot_matched.append(weibull_log_hr(time[r], event[r], treated[r]))
    return {"n": n, "events": int(event.sum()), "treated": int(treated.sum()),
            "pairs": len(pairs),
            "ate": {"log_hr": ate, "bootstrap_se": float(np.std(boot_ate, ddof=1)),
                    "replicates": len(boot_ate), "failed": failed},
            "matched": {"log_hr": matched, "bootstrap_se": float(np.std(boot_matched, ddof=1)),
                        "replicates": len(boot_matched), "failed": 0}}


def main() -> int:
    out = {"description": __doc__.split("\n\n")[0], "replicates": REPLICATES, "seed": SEED,
           "caliper": CALIPER, "datasets": {name: reference(name) for name in DATASETS}}
    FIXTURE.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["datasets"], indent=1))
    print(f"written {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
