"""``python -m benchmarks.frequentist_rmst_coverage``: coverage of the weighted Kaplan-Meier RMST
difference's 95 % Wald interval (issue 23).

Cohorts, scenarios and truths are those of :mod:`benchmarks.validation` (N = 500; logistic PS on
x1, x2; Weibull PH event times; uniform censoring; the marginal 12-month RMST difference per
target population in ``benchmarks/validation_truths.json``). Per cohort: the PS is fitted
(:func:`bayeshcc.adjust.fit_propensity`), unstabilised untrimmed ate / att / overlap weights
are built (:func:`bayeshcc.adjust.propensity_weights`) and
:func:`bayeshcc.frequentist.rmst.rmst_difference` gives the difference with three SEs:

- ``jackknife_ps``: the leave-one-out jackknife with the PS refitted per leave-out (what
  ``rmst.csv`` reports for weighted cohorts up to 2 000 patients, ``se_method = "jackknife (PS
  refitted)"``), on the first ``--jackknife-cohorts`` cohorts of each scenario;
- ``influence_ps``: the influence function stacked with the PS score equations (``se_method =
  "influence (estimated PS)"``, used above 2 000 patients);
- ``robust_fixed``: the infinitesimal jackknife with the weights held fixed (R
  ``survfit(robust = TRUE)``);
- ``survmean_weighted``: survmean's Greenwood-type SE on weighted counts (what ``rmst.csv``
  reported before).

Reported: coverage in %, the two-sided 95 % binomial range of the coverage count when the true
coverage is 95 % (``scipy.stats.binom.interval``), mean SE against the empirical SD of the
estimates, and the bias. Writes ``benchmarks/frequentist_rmst_coverage.json``.

Command (about 25 minutes on one shared core)::

    PYTHONPATH=. nice -n 10 python -m benchmarks.frequentist_rmst_coverage --cohorts 1000 \
        --jackknife-cohorts 500
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
METHODS = ("jackknife_ps", "influence_ps", "robust_fixed", "survmean_weighted")
Z = stats.norm.ppf(0.975)


def one_cohort(scenario: str, cohort: int, n: int = N, jackknife: bool = True) -> dict:
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
            with_ps = rmst_difference(time, event, treated, TAU, weights=w, propensity=design,
                                      ps_se="influence")
            jack = (rmst_difference(time, event, treated, TAU, weights=w, propensity=design,
                                    ps_se="jackknife").se if jackknife else np.nan)
            fixed = rmst_difference(time, event, treated, TAU, weights=w)
            survmean = np.hypot(*(restricted_mean(time[g], event[g], TAU, w[g]).se
                                  for g in (treated, ~treated)))
            out[estimand] = (with_ps.difference, {"jackknife_ps": jack,
                                                  "influence_ps": with_ps.se,
                                                  "robust_fixed": fixed.se,
                                                  "survmean_weighted": float(survmean)})
    return out


def run(cohorts: int, jackknife_cohorts: int) -> dict:
    truths = json.loads(TRUTHS.read_text())["truths"]
    summary = []
    for scenario in SCENARIOS:
        rows = [one_cohort(scenario, r, jackknife=r < jackknife_cohorts) for r in range(cohorts)]
        for estimand in ESTIMANDS:
            truth = truths[scenario][estimand]["rmst_diff"]
            for method in METHODS:
                used = rows[:jackknife_cohorts] if method == "jackknife_ps" else rows
                m = len(used)
                est = np.array([row[estimand][0] for row in used])
                se = np.array([row[estimand][1][method] for row in used])
                covered = int(np.sum(np.abs(est - truth) <= Z * se))
                lo, hi = stats.binom.interval(0.95, m, 0.95)
                summary.append({"scenario": scenario, "estimand": estimand, "method": method,
                                "cohorts": m, "covered": covered,
                                "coverage": 100 * covered / m,
                                "binomial_range_at_95": [100 * lo / m, 100 * hi / m],
                                "mean_se": float(se.mean()), "empirical_sd": float(est.std(ddof=1)),
                                "bias": float(est.mean() - truth), "truth": truth})
                print(f"{scenario:15s} {estimand:8s} {method:18s} {m:5d} {100 * covered / m:5.1f} "
                      f"SE {se.mean():.3f} / SD {est.std(ddof=1):.3f} bias {est.mean() - truth:+.3f}",
                      flush=True)
    return {"seed": SEED, "n": N, "tau": TAU, "cohorts": cohorts,
            "jackknife_cohorts": jackknife_cohorts, "summary": summary}


def markdown(result: dict) -> str:
    lines = ["| scenario | estimand | method | R | coverage (95 % binomial range) | "
             "mean SE / emp. SD | bias |", "|---|---|---|---|---|---|---|"]
    for r in result["summary"]:
        lo, hi = r["binomial_range_at_95"]
        lines.append(f"| {r['scenario']} | {r['estimand']} | {r['method']} | {r['cohorts']} | "
                     f"{r['coverage']:.1f} ({lo:.1f}-{hi:.1f}) | "
                     f"{r['mean_se']:.3f} / {r['empirical_sd']:.3f} | {r['bias']:+.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=1000)
    parser.add_argument("--jackknife-cohorts", type=int, default=500)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = run(args.cohorts, min(args.jackknife_cohorts, args.cohorts))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
