"""``python -m benchmarks.frequentist_rmst_coverage``: coverage of the weighted Kaplan-Meier RMST
difference's 95 % Wald interval (issue 23).

Cohorts, scenarios and truths are those of :mod:`benchmarks.validation` (N = 500; logistic PS on
x1, x2; Weibull PH event times; uniform censoring; the marginal 12-month RMST difference per
target population in ``benchmarks/validation_truths.json``). Per cohort: the PS is fitted
(:func:`bayeshcc.adjust.fit_propensity`), unstabilised untrimmed ate / att / overlap weights
are built (:func:`bayeshcc.adjust.propensity_weights`) and
:func:`bayeshcc.frequentist.rmst.rmst_difference` gives the difference with three SEs:

- ``influence_ps``: the influence function stacked with the PS score equations (what
  ``rmst.csv`` reports for weighted cohorts, ``se_method = "influence (estimated PS)"``);
- ``robust_fixed``: the infinitesimal jackknife with the weights held fixed (R
  ``survfit(robust = TRUE)``);
- ``survmean_weighted``: survmean's Greenwood-type SE on weighted counts (what ``rmst.csv``
  reported before).

Reported: coverage in %, the two-sided 95 % binomial range of the coverage count when the true
coverage is 95 % (``scipy.stats.binom.interval``), mean SE against the empirical SD of the
estimates, and the bias. Writes ``benchmarks/frequentist_rmst_coverage.json``.

Command (about 2 minutes on one core)::

    PYTHONPATH=. nice -n 10 python -m benchmarks.frequentist_rmst_coverage --cohorts 1000
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from bayeshcc.adjust.propensity import fit_propensity
from bayeshcc.adjust.weights import propensity_weights
from bayeshcc.executors import derive_seed
from bayeshcc.frequentist.propensity_influence import PropensityDesign
from bayeshcc.frequentist.rmst import restricted_mean, rmst_difference
from benchmarks.validation import N, SCENARIOS, TAU, simulate

ROOT = Path(__file__).resolve().parent
TRUTHS = ROOT / "validation_truths.json"
OUT = ROOT / "frequentist_rmst_coverage.json"
SEED = 20261203
ESTIMANDS = ("ate", "att", "overlap")
METHODS = ("influence_ps", "robust_fixed", "survmean_weighted")
Z = stats.norm.ppf(0.975)


def one_cohort(scenario: str, cohort: int, n: int = N) -> dict:
    """{estimand: (difference, {method: se})} for one simulated cohort."""
    X, treated, time, event = simulate(SCENARIOS[scenario], n,
                                       derive_seed(SEED, ("rmst-coverage", scenario, cohort)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
        out = {}
        for estimand in ESTIMANDS:
            w = np.asarray(propensity_weights(ps.score, treated, estimand).weights)
            design = PropensityDesign.build(estimand, ps.score, X, treated, w)
            with_ps = rmst_difference(time, event, treated, TAU, weights=w, propensity=design)
            fixed = rmst_difference(time, event, treated, TAU, weights=w)
            survmean = np.hypot(*(restricted_mean(time[g], event[g], TAU, w[g]).se
                                  for g in (treated, ~treated)))
            out[estimand] = (with_ps.difference, {"influence_ps": with_ps.se,
                                                  "robust_fixed": fixed.se,
                                                  "survmean_weighted": float(survmean)})
    return out


def run(cohorts: int) -> dict:
    truths = json.loads(TRUTHS.read_text())["truths"]
    lo, hi = stats.binom.interval(0.95, cohorts, 0.95)
    summary = []
    for scenario in SCENARIOS:
        rows = [one_cohort(scenario, r) for r in range(cohorts)]
        for estimand in ESTIMANDS:
            truth = truths[scenario][estimand]["rmst_diff"]
            est = np.array([row[estimand][0] for row in rows])
            for method in METHODS:
                se = np.array([row[estimand][1][method] for row in rows])
                covered = int(np.sum(np.abs(est - truth) <= Z * se))
                summary.append({"scenario": scenario, "estimand": estimand, "method": method,
                                "cohorts": cohorts, "covered": covered,
                                "coverage": 100 * covered / cohorts,
                                "mean_se": float(se.mean()), "empirical_sd": float(est.std(ddof=1)),
                                "bias": float(est.mean() - truth), "truth": truth})
                print(f"{scenario:15s} {estimand:8s} {method:18s} {100 * covered / cohorts:5.1f} "
                      f"SE {se.mean():.3f} / SD {est.std(ddof=1):.3f} bias {est.mean() - truth:+.3f}",
                      flush=True)
    return {"seed": SEED, "n": N, "tau": TAU, "cohorts": cohorts,
            "binomial_range_at_95": [100 * lo / cohorts, 100 * hi / cohorts], "summary": summary}


def markdown(result: dict) -> str:
    lines = ["| scenario | estimand | method | coverage | mean SE / emp. SD | bias |",
             "|---|---|---|---|---|---|"]
    for r in result["summary"]:
        lines.append(f"| {r['scenario']} | {r['estimand']} | {r['method']} | {r['coverage']:.1f} | "
                     f"{r['mean_se']:.3f} / {r['empirical_sd']:.3f} | {r['bias']:+.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = run(args.cohorts)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
