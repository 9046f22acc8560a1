"""``python -m benchmarks.mspline_calibration``: coverage of the sandwich-calibrated M-spline fit
of weighted (default ATE) or matched cohorts, against the calibrated Weibull fit of the same
cohorts (issue #25).

The cohorts are those of :mod:`benchmarks.validation` (:func:`benchmarks.validation.simulate`:
two confounders, a conditional Weibull PH outcome with shape 1.2 and HR 0.6, uniform censoring
at 6-30 months), with the fitted propensity score's weights or 1:1 matching
(:func:`benchmarks.validation.analysed_population`, ``--adjustment``), each analysed as the
pipeline's weighted and matched fits are: the treatment only, the vague prior, the weights
normalised to the Kish ESS, and :func:`bayeshcc.bayes.calibration.calibrate` with the PS
estimation stacked in (pairs clustered for ``matched``). Per cohort and model (``mspline``, 6
basis functions; ``weibull``) two meats: ``auto`` (what a fit gets: the leave-one-out
jackknife up to 5 000 patients) and ``sandwich`` (the delta method), and the weighted Cox
model's robust SE (:func:`bayeshcc.frequentist.cox.fit_cox`, as R ``coxph``; weights held
fixed) of the same rows.

The truth is the marginal log HR of the target population, as :mod:`benchmarks.validation`
defines it: the treatment coefficient of a PH model fitted to counterfactual records of the
same patients under both treatments, weighted by the target population's density. A
treatment-only PH model with a covariate-free baseline converges to the PH projection of the
(non-PH) marginal hazards, which depends a little on the baseline it assumes:
``log_hr_weibull`` is the Weibull projection (``benchmarks/validation_truths.json``, the Weibull
fit's target) and ``log_hr_cox`` the Cox projection (the Cox coefficient of
:data:`TRUTH_SIZE` counterfactual pairs), the limit of a flexible baseline and the M-spline
fit's target. Both are reported.

Reported per scenario, adjustment, model and meat: coverage of the 95 % equal-tailed interval
of the log HR (hence of the HR) with its Clopper-Pearson 95 % interval, the mean calibrated SD
against the empirical SD of the posterior medians and the mean Cox robust SE, and the bias.
Raw rows are appended to ``<out>.jsonl`` as cohorts finish (``--summarise`` rebuilds the
summary from them); the summary goes to ``<out>.json``. One process, one cohort at a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.validation import CENSOR, SCENARIOS, _covariates, _event_times

N = 500
SAMPLER = {"draws": 500, "tune": 500, "chains": 2}
MODELS = ("mspline", "weibull")
METHODS = ("auto", "sandwich")
TRUTH_SIZE = 500_000
TRUTHS_FILE = Path("benchmarks/validation_truths.json")


def cox_truth(scenario: str, adjustment: str = "ate", m: int = TRUTH_SIZE,
              seed: int = 1) -> float:
    """The Cox projection of a target population's marginal log HR: the coefficient of a Cox
    model fitted to ``m`` patients' counterfactual records under both treatments (same
    covariates and censoring time), each weighted by its target population's density as in
    :func:`benchmarks.validation.true_values` (ATE 1, ATT and matched e(x), overlap
    e(x)(1 - e(x)))."""
    from bayeshcc.frequentist.cox import fit_cox
    from benchmarks.validation import true_score

    s = SCENARIOS[scenario]
    rng = np.random.default_rng(seed)
    x1, x2 = _covariates(rng, m)
    c = rng.uniform(*CENSOR, m)
    t1 = _event_times(rng, s, np.ones(m), x1, x2)
    t0 = _event_times(rng, s, np.zeros(m), x1, x2)
    time_ = np.concatenate([np.minimum(t1, c), np.minimum(t0, c)])
    event = np.concatenate([t1 <= c, t0 <= c]).astype(float)
    trt = pd.DataFrame({"trt": np.repeat([1.0, 0.0], m)})
    e = true_score(s, x1, x2)
    density = {"ate": None, "att": e, "matched": e, "overlap": e * (1 - e)}[adjustment]
    weights = None if density is None else np.tile(density, 2)
    return float(fit_cox(time_, event, trt, weights=weights).table["coef"].iloc[0])


def truths(cells, m: int = TRUTH_SIZE) -> dict:
    """Both truths of each (scenario, adjustment) cell's target population, keyed
    ``"scenario/adjustment"`` (module docstring)."""
    weibull = json.loads(TRUTHS_FILE.read_text())["truths"]
    return {f"{name}/{adj}": {"log_hr_weibull": weibull[name][adj]["log_hr"],
                              "log_hr_cox": cox_truth(name, adj, m)} for name, adj in cells}


def _row(fit) -> dict:
    v = np.asarray(fit.posterior["posterior"]["log_hr"].values, dtype=float).ravel()
    lo, hi = np.quantile(v, [0.025, 0.975])
    return {"est": float(np.median(v)), "sd": float(np.std(v, ddof=1)), "lower": float(lo),
            "upper": float(hi), "finite": bool(np.all(np.isfinite(v)))}


def run_cohort(scenario: str, cohort: int, seed: int, n: int = N,
               adjustment: str = "ate") -> list[dict]:
    """Both models x both meats of one simulated cohort, and its weighted Cox fit (pair
    clusters for ``matched``)."""
    from bayeshcc.adjust import fit_propensity
    from bayeshcc.bayes.calibration import ATTR_CLIPPED, calibrate
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.priors import BUILT_IN
    from bayeshcc.executors import derive_seed
    from bayeshcc.frequentist.cox import fit_cox
    from benchmarks.validation import analysed_population, simulate

    base = derive_seed(seed, ("mspline_calibration", scenario, cohort))
    X, treated, time_, event = simulate(SCENARIOS[scenario], n, base)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # extreme-weight warnings are expected
        ps = fit_propensity(X, treated)
        rows_, weights, design = analysed_population(adjustment, ps, X, treated)
        time_, event, treated = time_[rows_], event[rows_], treated[rows_]
        cox = fit_cox(time_, event, pd.DataFrame({"trt": treated.astype(float)}),
                      weights=weights, cluster=design.clusters,
                      robust=True).table.iloc[0]
        for model in MODELS:
            start = time.perf_counter()
            fit = fit_survival_model(model, time_, event, treated.astype(float),
                                     weights=weights, prior=BUILT_IN["vague"],
                                     seed=derive_seed(base, ("fit", model)), model_groups=False,
                                     **SAMPLER)
            for method in METHODS:
                row = {"scenario": scenario, "adjustment": adjustment, "cohort": cohort,
                       "model": model, "method": method, "cox_est": float(cox["coef"]),
                       "cox_se": float(cox["se"])}
                try:
                    calibrated = calibrate(fit, dataclasses.replace(design, method=method))
                    row.update(_row(calibrated), clipped=int(
                        calibrated.posterior["posterior"].attrs[ATTR_CLIPPED]),
                        calibration=calibrated.posterior["posterior"].attrs["calibration"])
                except Exception as error:                           # noqa: BLE001
                    row.update(error=f"{type(error).__name__}: {error}")
                rows.append(row)
            raw = _row(fit)
            rows.append({"scenario": scenario, "adjustment": adjustment, "cohort": cohort,
                         "model": model, "method": "kish", "cox_est": float(cox["coef"]),
                         "cox_se": float(cox["se"]), **raw})
            rows[-1]["seconds"] = time.perf_counter() - start
    return rows


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    """The exact binomial 95 % interval of a proportion k / n."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return float(ci.low), float(ci.high)


def summarise(rows: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Coverage (Clopper-Pearson interval, and whether 95 % lies in it), SDs and bias per cell.

    The M-spline rows are scored against the Cox projection, the Weibull rows against the
    Weibull projection (their targets; module docstring); ``coverage_other`` is each against
    the other truth.
    """
    out = []
    for (scenario, adjustment, model, method), g in rows.groupby(
            ["scenario", "adjustment", "model", "method"], sort=False):
        failed = int(g["lower"].isna().sum()) if "lower" in g else len(g)
        g = g.dropna(subset=["lower"])
        own, other = (("log_hr_cox", "log_hr_weibull") if model == "mspline"
                      else ("log_hr_weibull", "log_hr_cox"))
        cell = truth[f"{scenario}/{adjustment}"]
        t = cell[own]
        k = int(((g["lower"] < t) & (t < g["upper"])).sum())
        lo, hi = clopper_pearson(k, len(g))
        t2 = cell[other]
        k2 = int(((g["lower"] < t2) & (t2 < g["upper"])).sum())
        out.append({"scenario": scenario, "adjustment": adjustment, "model": model,
                    "method": method,
                    "cohorts": len(g), "failed": failed, "truth": own, "truth_value": t,
                    "covered": k, "coverage": k / len(g), "coverage_lower": lo,
                    "coverage_upper": hi, "within_band": bool(lo <= 0.95 <= hi),
                    "coverage_other_truth": k2 / len(g),
                    "mean_sd": float(g["sd"].mean()),
                    "empirical_sd": float(g["est"].std(ddof=1)),
                    "mean_cox_robust_se": float(g["cox_se"].mean()),
                    "sd_over_cox_se_median": float((g["sd"] / g["cox_se"]).median()),
                    "bias": float(g["est"].mean() - t),
                    "clipped": int(g["clipped"].fillna(0).sum()) if "clipped" in g else 0})
    return pd.DataFrame(out)


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table."""
    lines = ["| scenario | adjustment | model | meat | cohorts | coverage (95 % CI) "
             "| mean SD / emp. SD | mean Cox robust SE | bias |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(f"| {r.scenario} | {r.adjustment} | {r.model} | {r.method} | {r.cohorts} "
                     f"| {100 * r.coverage:.1f} ({100 * r.coverage_lower:.1f}-"
                     f"{100 * r.coverage_upper:.1f}) | {r.mean_sd:.3f} / {r.empirical_sd:.3f} "
                     f"| {r.mean_cox_robust_se:.3f} | {r.bias:+.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mspline_calibration",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cohorts", type=int, default=200, help="cohorts per scenario")
    parser.add_argument("--first", type=int, default=0, help="index of the first cohort")
    parser.add_argument("--scenarios", nargs="*", choices=sorted(SCENARIOS),
                        default=["good_overlap"])
    parser.add_argument("--adjustment", default="ate", choices=("ate", "att", "overlap",
                                                                "matched"))
    parser.add_argument("--n", type=int, default=N, help="patients per cohort")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--truth-size", type=int, default=TRUTH_SIZE)
    parser.add_argument("--out", default="benchmarks/mspline_calibration",
                        help="path stem: <out>.jsonl (raw rows), <out>.json (summary)")
    parser.add_argument("--summarise", action="store_true",
                        help="only rebuild the summary from <out>.jsonl")
    parser.add_argument("--append", action="store_true",
                        help="append to <out>.jsonl instead of starting it afresh")
    args = parser.parse_args(argv)
    raw_path, summary_path = Path(f"{args.out}.jsonl"), Path(f"{args.out}.json")
    start = time.perf_counter()
    if not args.summarise:
        if not args.append:
            raw_path.write_text("")
        with raw_path.open("a") as sink:
            for c in range(args.first, args.first + args.cohorts):
                for name in args.scenarios:
                    for row in run_cohort(name, c, args.seed, args.n, args.adjustment):
                        sink.write(json.dumps(row) + "\n")
                    sink.flush()
                if (c + 1) % 10 == 0:
                    print(f"{c + 1 - args.first}/{args.cohorts} cohorts, "
                          f"{time.perf_counter() - start:.0f} s", flush=True)
    rows = pd.read_json(raw_path, lines=True)
    if "adjustment" not in rows:
        rows["adjustment"] = "ate"
    rows["adjustment"] = rows["adjustment"].fillna("ate")
    cells = list(dict.fromkeys(zip(rows["scenario"], rows["adjustment"])))
    scenarios = list(dict.fromkeys(rows["scenario"]))
    truth = truths(cells, args.truth_size)
    summary = summarise(rows, truth)
    seconds = time.perf_counter() - start
    if args.summarise and summary_path.exists():
        seconds = json.loads(summary_path.read_text())["settings"].get("seconds", seconds)
    settings = {"cohorts": {f"{k[0]}/{k[1]}": int(v) for k, v in rows.groupby(
                    ["scenario", "adjustment"])["cohort"].nunique().items()},
                "n": args.n, "seed": args.seed, "truth_size": args.truth_size,
                "sampler": SAMPLER, "prior": "vague", "mspline_df": 6,
                "scenarios": {k: dataclasses.asdict(SCENARIOS[k]) for k in scenarios},
                "seconds": seconds, "cpus": os.cpu_count()}
    summary_path.write_text(json.dumps({"settings": settings, "truths": truth,
                                        "summary": summary.to_dict(orient="records")},
                                       indent=1) + "\n")
    print(markdown_table(summary))
    print(f"written {summary_path}, {raw_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
