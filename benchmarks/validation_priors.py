"""``python -m benchmarks.validation_priors``: coverage of calibrated weighted and matched fits
under an informative (sceptical) prior, against the conjugate analysis of the same cohorts.

With an informative prior a 95 % posterior interval does not cover a fixed truth 95 % of the
time: the prior pulls it. What the calibration must get right is *which* pull: the prior
combined with the calibrated likelihood of the log HR, not with the Kish-weighted
pseudo-likelihood. Each simulated cohort of :mod:`benchmarks.validation` (same scenarios,
truths, PS model, weights, matching and sampler) gets, per adjustment:

- a vague-prior Weibull fit, calibrated with the jackknife meat (the pipeline's default at
  N = 500): its log-HR draws' mean m and SD s are the calibrated likelihood N(m, s^2);
- a sceptical-prior fit (``BUILT_IN["skeptical"]``: log HR ~ N(0, 0.2168), P(HR < 0.7) = 5 %),
  reported as sampled (``kish``: the Kish-weighted pseudo-posterior, no calibration) and
  calibrated with the same jackknife meat (``jackknife``);
- the conjugate target N(mu_c, v_c), 1/v_c = 1/s^2 + 1/tau^2, mu_c = v_c (m/s^2 + mu_0/tau^2),
  and its 95 % interval (``conjugate``).

Per scenario, adjustment and method: coverage of the true marginal log HR with its two-sided
95 % binomial interval (``scipy.stats.binomtest``), the mean posterior SD, the bias, and, for
the two fitted methods, the per-cohort agreement with the conjugate target: the mean and the
largest |mean - mu_c| / sqrt(v_c), the mean SD / sqrt(v_c), and the share of cohorts in which
the fitted interval and the conjugate interval agree on covering the truth. The calibration
passes when its coverage is inside the conjugate row's binomial interval and the two agree on
nearly every cohort; the Kish rows show what the test detects when the prior meets the wrong
likelihood.

Raw rows go to ``<out>.jsonl`` as cohorts finish; the summary to ``<out>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from benchmarks.validation import (
    ADJUSTMENTS,
    SAMPLER,
    SCENARIOS,
    N,
    analysed_population,
    run_tasks,
    simulate,
)

PRIOR = "skeptical"
METHODS = ("conjugate", "kish", "jackknife")
Z = norm.ppf(0.975)


def _moments(draws: np.ndarray) -> dict:
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return {"est": float(np.median(draws)), "mean": float(np.mean(draws)),
            "sd": float(np.std(draws, ddof=1)), "lower": float(lo), "upper": float(hi)}


def conjugate(m: float, s: float, mu0: float, tau: float) -> dict:
    """The normal prior N(mu0, tau^2) combined with the likelihood N(m, s^2) of the log HR."""
    precision = 1 / s**2 + 1 / tau**2
    mean = (m / s**2 + mu0 / tau**2) / precision
    sd = precision ** -0.5
    return {"est": mean, "mean": mean, "sd": sd, "lower": mean - Z * sd, "upper": mean + Z * sd}


def run_cohort(scenario: str, cohort: int, seed: int, n: int = N) -> list[dict]:
    """Every adjustment x method of one simulated cohort (module docstring): one row each."""
    from bayeshcc.adjust import fit_propensity
    from bayeshcc.bayes.calibration import calibrate
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.priors import BUILT_IN
    from bayeshcc.executors import derive_seed

    s = SCENARIOS[scenario]
    base = derive_seed(seed, ("validation", scenario, cohort))   # the cohorts of validation.py
    X, treated, time_, event = simulate(s, n, base)
    prior = BUILT_IN[PRIOR]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # extreme-weight and overlap warnings are expected
        ps = fit_propensity(X, treated)
        for adjustment in ADJUSTMENTS:
            start = time.perf_counter()
            rows_, weights, design = analysed_population(adjustment, ps, X, treated)
            design = replace(design, method="jackknife")

            vague, sceptical = (
                fit_survival_model("weibull", time_[rows_], event[rows_],
                                   treated[rows_].astype(float), weights=weights, prior=p,
                                   seed=derive_seed(base, (tag, adjustment)), **SAMPLER)
                for p, tag in ((BUILT_IN["vague"], "fit"), (prior, "sceptical-fit")))
            vague = calibrate(vague, design).draws()["log_hr"]
            target = conjugate(float(np.mean(vague)), float(np.std(vague, ddof=1)),
                               prior.log_hr_mean, prior.log_hr_sd)
            results = {"conjugate": target,
                       "kish": _moments(sceptical.draws()["log_hr"]),
                       "jackknife": _moments(calibrate(sceptical, design).draws()["log_hr"])}
            for method, r in results.items():
                rows.append({"scenario": scenario, "cohort": cohort, "adjustment": adjustment,
                             "method": method, "n_analysed": int(rows_.sum()),
                             "target_mean": target["mean"], "target_sd": target["sd"],
                             "target_lower": target["lower"], "target_upper": target["upper"],
                             **r})
            rows[-1]["seconds"] = time.perf_counter() - start
    return rows


def summarise(rows: pd.DataFrame, truths: dict) -> pd.DataFrame:
    """Coverage with its binomial interval, SD, bias and agreement with the conjugate target."""
    out = []
    for (scenario, adjustment, method), g in rows.groupby(["scenario", "adjustment", "method"],
                                                          sort=False):
        truth = truths[scenario][adjustment]["log_hr"]
        covers = (g["lower"] < truth) & (truth < g["upper"])
        target_covers = (g["target_lower"] < truth) & (truth < g["target_upper"])
        ci = binomtest(int(covers.sum()), len(g)).proportion_ci(0.95)
        error = (g["mean"] - g["target_mean"]) / g["target_sd"]
        out.append({"scenario": scenario, "adjustment": adjustment, "method": method,
                    "cohorts": len(g), "truth": truth, "coverage": float(covers.mean()),
                    "coverage_low": float(ci.low), "coverage_high": float(ci.high),
                    "mean_sd": float(g["sd"].mean()), "bias": float(g["est"].mean() - truth),
                    "mean_error_sd": float(error.mean()),
                    "largest_error_sd": float(error.abs().max()),
                    "sd_ratio": float((g["sd"] / g["target_sd"]).mean()),
                    "agreement": float((covers == target_covers).mean())})
    out = pd.DataFrame(out)
    order = {"scenario": list(SCENARIOS), "adjustment": list(ADJUSTMENTS), "method": list(METHODS)}
    keys = [out[c].map({v: i for i, v in enumerate(vals)}) for c, vals in order.items()]
    return out.iloc[np.lexsort(keys[::-1])].reset_index(drop=True)


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (coverage in %, its 95 % binomial interval in brackets)."""
    lines = [("| scenario | adjustment | method | R | coverage (95 % binomial CI) | mean SD | bias "
              "| mean / largest error (target SDs) | SD / target SD | agrees with conjugate |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        fitted = r.method != "conjugate"
        error = f"{r.mean_error_sd:+.3f} / {r.largest_error_sd:.3f}" if fitted else ""
        ratio = f"{r.sd_ratio:.3f}" if fitted else ""
        agree = f"{100 * r.agreement:.1f} %" if fitted else ""
        lines.append(f"| {r.scenario} | {r.adjustment} | {r.method} | {r.cohorts} | "
                     f"{100 * r.coverage:.1f} ({100 * r.coverage_low:.1f}-"
                     f"{100 * r.coverage_high:.1f}) | {r.mean_sd:.3f} | {r.bias:+.3f} | "
                     f"{error} | {ratio} | {agree} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.validation_priors",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cohorts", type=int, default=300, help="cohorts per scenario")
    parser.add_argument("--scenarios", nargs="*", choices=sorted(SCENARIOS),
                        default=list(SCENARIOS))
    parser.add_argument("--n", type=int, default=N, help="patients per cohort")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--truths-from", default="benchmarks/validation_truths.json")
    parser.add_argument("--out", default="benchmarks/validation_priors",
                        help="path stem: <out>.jsonl (raw rows), <out>.json (summary)")
    parser.add_argument("--summarise", action="store_true",
                        help="only rebuild the summary from <out>.jsonl")
    args = parser.parse_args(argv)
    raw_path, summary_path = Path(f"{args.out}.jsonl"), Path(f"{args.out}.json")
    truths = json.loads(Path(args.truths_from).read_text())["truths"]
    start = time.perf_counter()
    if not args.summarise:
        tasks = [(name, c, args.seed, args.n) for c in range(args.cohorts)
                 for name in args.scenarios]
        run_tasks(run_cohort, tasks, args.workers, raw_path, start)
    rows = pd.read_json(raw_path, lines=True)
    summary = summarise(rows, truths)
    seconds = time.perf_counter() - start
    if args.summarise and summary_path.exists():   # keep the timing of the run that simulated
        seconds = json.loads(summary_path.read_text())["settings"].get("seconds", seconds)
    settings = {"cohorts": int(rows["cohort"].nunique()), "n": args.n, "seed": args.seed,
                "sampler": SAMPLER, "prior": PRIOR, "calibration": "jackknife",
                "scenarios": sorted(rows["scenario"].unique()), "seconds": seconds,
                "cpus": os.cpu_count()}
    summary_path.write_text(json.dumps({"settings": settings, "truths": truths,
                                        "summary": summary.to_dict(orient="records")},
                                       indent=1) + "\n")
    print(markdown_table(summary))
    print(f"written {summary_path}, {raw_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
