"""``python -m benchmarks.validation``: coverage of the weighted and matched Bayesian Weibull fits
with the plug-in (Kish) posterior, the sandwich calibration and the two-step PS bootstrap.

Cohorts are simulated with a known MARGINAL truth (see :func:`true_values`); every cohort gets a
fitted propensity score (PS), ate / att / overlap weights and 1:1 nearest-neighbour matching
(caliper 0.2 SD of the logit), and a Weibull PH fit with the treatment only (as the pipeline's
weighted and matched fits) under the vague prior. Uncertainty methods per fit:

- ``kish``: the posterior as sampled (weights normalised to the Kish ESS; pairs independent).
- ``sandwich``: :func:`bayeshcc.bayes.calibration.calibrate` with the PS estimation stacked in
  (weights) or pair clustering (matched).
- ``jackknife``: the same calibration with the meat from the leave-one-patient-out (weights;
  the PS refitted each time) or leave-one-pair-out (matched) jackknife.
- ``sandwich_naive``: the same calibration with the weights held fixed (no PS term) and, for
  matched, no pair clustering: shows what the PS term and the clustering each do.
- ``ps_bootstrap``: :func:`bayeshcc.bayes.propagation.fit_with_ps_uncertainty` (two-step
  Bayesian-bootstrap PS, Kaplan & Chen 2012), on the first ``--bootstrap-cohorts`` cohorts.

Reported per scenario, adjustment and method: 95 % equal-tailed interval coverage of the
marginal log HR and of the 12-month RMST difference (treated minus reference, from
:func:`bayeshcc.bayes.contrasts.marginal_survival`), its Monte Carlo SE sqrt(p(1-p)/R), the
mean posterior SD, the empirical SD of the posterior medians, and their bias.

Raw rows are appended to ``<out>.jsonl`` as cohorts finish (so an interrupted run keeps its
work; ``--summarise`` rebuilds the summary from them); the summary goes to ``<out>.json`` and
the coverage figure to ``--figure``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

TAU = 12.0                        # months: the RMST horizon
SHAPE = 1.2                       # Weibull shape of the event times
BASE_LOG_RATE = np.log(0.05)      # per month at x = 0
LOG_HR = np.log(0.6)              # CONDITIONAL log HR
CENSOR = (6.0, 30.0)              # uniform censoring, months
N = 500
SAMPLER = {"draws": 500, "tune": 500, "chains": 2}
REPLICATES = 10                   # PS draws of the two-step bootstrap
ADJUSTMENTS = ("ate", "att", "overlap", "matched")
METHODS = ("kish", "sandwich", "jackknife", "sandwich_naive", "ps_bootstrap")
RMST_GRID = np.linspace(0.0, TAU, 49)   # quarter-month steps
RMST_DRAWS = 200


@dataclass(frozen=True)
class Scenario:
    """PS model logit e = ps[0] + ps[1] x1 + ps[2] x2; log hazard adds out[0] x1 + out[1] x2."""

    name: str
    ps: tuple[float, float, float]
    out: tuple[float, float]
    description: str


SCENARIOS = {
    "good_overlap": Scenario("good_overlap", (-0.6, 0.5, 0.4), (0.5, 0.4),
                             "moderate confounding, PS mostly in 0.2-0.7"),
    "hazard_weights": Scenario("hazard_weights", (-0.8, 1.2, 0.4), (1.0, 0.4),
                               "x1 drives both treatment and hazard: large weights on "
                               "high- and low-risk patients"),
    "poor_overlap": Scenario("poor_overlap", (-1.2, 2.5, 0.8), (0.5, 0.4),
                             "strong confounding, PS near 0 and 1"),
}


def _covariates(rng, n):
    return rng.normal(size=n), rng.integers(0, 2, n).astype(float)


def true_score(s: Scenario, x1, x2) -> np.ndarray:
    """The true propensity score of the scenario."""
    return 1 / (1 + np.exp(-(s.ps[0] + s.ps[1] * x1 + s.ps[2] * x2)))


def _log_rate(s: Scenario, trt, x1, x2):
    return BASE_LOG_RATE + LOG_HR * trt + s.out[0] * x1 + s.out[1] * x2


def _event_times(rng, s, trt, x1, x2):
    return (rng.exponential(size=np.size(x1)) / np.exp(_log_rate(s, trt, x1, x2))) ** (1 / SHAPE)


def simulate(s: Scenario, n: int, seed: int):
    """One cohort: PS covariates (DataFrame), treated (bool), time, event."""
    rng = np.random.default_rng(seed)
    x1, x2 = _covariates(rng, n)
    treated = rng.random(n) < true_score(s, x1, x2)
    t = _event_times(rng, s, treated.astype(float), x1, x2)
    c = rng.uniform(*CENSOR, n)
    return (pd.DataFrame({"x1": x1, "x2": x2}), treated, np.minimum(t, c),
            (t <= c).astype(float))


def _weighted_weibull(time_, event, trt, w) -> np.ndarray:
    """(log_rate, log_shape, log_hr) of a weighted Weibull PH maximum-likelihood fit with the
    treatment only (time in months)."""
    from scipy import optimize

    log_t = np.log(time_)

    def negloglik(p):
        log_rate, log_shape, log_hr = p
        k, lp = np.exp(log_shape), log_rate + log_hr * trt
        cum = np.exp(lp + k * log_t)
        ll = w * (event * (log_shape + (k - 1) * log_t + lp) - cum)
        r = event - cum
        g = np.array([np.sum(w * r), np.sum(w * (event * (1 + k * log_t) - cum * k * log_t)),
                      np.sum(w * r * trt)])
        return -ll.sum(), -g

    start = [np.log(np.sum(w * event) / np.sum(w * time_)), 0.0, 0.0]
    return optimize.minimize(negloglik, start, jac=True, method="BFGS").x


def _weibull_rmst_difference(log_rate, log_shape, log_hr) -> float:
    """RMST(12) treated minus reference of a Weibull PH model (numerical integral)."""
    grid = np.linspace(0, TAU, 4801)
    k = np.exp(log_shape)
    area = [np.trapezoid(np.exp(-np.exp(log_rate + a * log_hr) * grid ** k), grid)
            for a in (1.0, 0.0)]
    return float(area[0] - area[1])


def true_values(s: Scenario, m: int = 1_000_000, seed: int = 1) -> dict:
    """Marginal truths per adjustment by counterfactual simulation of m patients.

    Every patient is observed under both treatments with the same covariates and censoring
    time; the marginal log HR is the treatment coefficient of a Weibull PH fit (the model the
    cohorts get) to the 2m counterfactual records, each weighted by its target population's
    density: ATE 1, ATT e(x) (the treated), overlap e(x)(1 - e(x)). The RMST difference is the
    same weighted mean of the exact conditional RMST(12 | x, 1) - RMST(12 | x, 0); its
    ``rmst_diff_weibull`` is the RMST difference of that counterfactual Weibull fit, the value a
    treatment-only Weibull model converges to (the marginal survival of a Weibull PH model with
    covariates is a mixture, not a Weibull, so the two differ). ``matched``
    takes the ATT truth: 1:1 matching of each treated patient to a control estimates the
    effect in the treated (MatchIt's ATT); the caliper drops the treated patients hardest to
    match, which shifts that estimand where overlap is poor (reported as bias).
    """
    rng = np.random.default_rng(seed)
    x1, x2 = _covariates(rng, m)
    c = rng.uniform(*CENSOR, m)
    t1 = _event_times(rng, s, np.ones(m), x1, x2)
    t0 = _event_times(rng, s, np.zeros(m), x1, x2)
    time_ = np.concatenate([np.minimum(t1, c), np.minimum(t0, c)])
    event = np.concatenate([t1 <= c, t0 <= c]).astype(float)
    trt = np.repeat([1.0, 0.0], m)
    e = true_score(s, x1, x2)
    density = {"ate": np.ones(m), "att": e, "overlap": e * (1 - e)}
    grid = np.linspace(0, TAU, 481)
    rmst = np.zeros(m)
    for a, sign in ((1.0, 1.0), (0.0, -1.0)):
        for lo in range(0, m, 50_000):
            sl = slice(lo, lo + 50_000)
            rate = np.exp(_log_rate(s, a, x1[sl], x2[sl]))
            surv = np.exp(-rate[:, None] * grid[None, :] ** SHAPE)
            rmst[sl] += sign * np.trapezoid(surv, grid, axis=1)
    out = {}
    for name, dens in density.items():
        params = _weighted_weibull(time_, event, trt, np.tile(dens, 2))
        out[name] = {"log_hr": float(params[2]),
                     "rmst_diff": float(np.sum(dens * rmst) / dens.sum()),
                     "rmst_diff_weibull": _weibull_rmst_difference(*params)}
    out["matched"] = dict(out["att"])
    return out


def _one_patient(fit):
    """The fit with its data cut to the first patient. The validation fits have the treatment
    only, so every patient's H(t | a) is the same and the marginal survival S_a(t) of
    :func:`bayeshcc.bayes.contrasts.marginal_survival` is identical on one patient (and N times
    cheaper)."""
    from dataclasses import replace

    d = fit.data
    if d.X.shape[1]:
        raise ValueError("only fits without covariates can be cut to one patient")
    one = replace(d, time=d.time[:1], event=d.event[:1], treated=d.treated[:1], X=d.X[:1],
                  weights=d.weights[:1])
    return replace(fit, data=one)


def _summaries(fit) -> dict:
    """Posterior median, SD and 95 % equal-tailed interval of the log HR and RMST difference."""
    from bayeshcc.bayes.contrasts import marginal_survival

    log_hr = fit.draws()["log_hr"]
    s = marginal_survival(_one_patient(fit), RMST_GRID, max_draws=RMST_DRAWS)
    area = np.trapezoid(s, RMST_GRID, axis=2)          # arm x draw
    diff = area[0] - area[1]
    row = {}
    for name, v in (("log_hr", log_hr), ("rmst_diff", diff)):
        lo, hi = np.quantile(v, [0.025, 0.975])
        row.update({f"{name}_est": float(np.median(v)), f"{name}_sd": float(np.std(v, ddof=1)),
                    f"{name}_lower": float(lo), f"{name}_upper": float(hi)})
    return row


def analysed_population(adjustment: str, ps, X, treated):
    """The rows a fit analyses, their weights (None: all 1) and the calibration design, for the
    PS fit ``ps``: 1:1 nearest-neighbour matching for ``matched``, else the PS weights."""
    from bayeshcc.adjust import match_nearest, propensity_weights
    from bayeshcc.bayes.calibration import calibration_design

    n = len(treated)
    if adjustment == "matched":
        m = match_nearest(ps.logit, treated, np.arange(n))
        rows = np.asarray(m.matched, dtype=bool)
        w = np.asarray(m.weights, dtype=float)[rows]
        return rows, (None if np.allclose(w, 1.0) else w), calibration_design("matched", match=m)
    wr = propensity_weights(ps.score, treated, adjustment)
    return np.ones(n, dtype=bool), wr.weights, calibration_design(adjustment, ps, X, wr)


def run_tasks(task, tasks: list, workers: int, raw_path: Path, start: float) -> None:
    """``task(*t)`` for every t of ``tasks`` on ``workers`` spawned processes; each result's rows
    appended to ``raw_path`` as JSON lines as it finishes (an interrupted run keeps its work)."""
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_text("")
    done = 0
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool, \
            raw_path.open("a") as sink:
        futures = [pool.submit(task, *t) for t in tasks]
        for fut in as_completed(futures):
            for row in fut.result():
                sink.write(json.dumps(row) + "\n")
            sink.flush()
            done += 1
            if done % 25 == 0 or done == len(tasks):
                print(f"{done}/{len(tasks)} cohorts, {time.perf_counter() - start:.0f} s",
                      flush=True)


def run_cohort(scenario: str, cohort: int, seed: int, n: int = N, bootstrap: bool = False,
               replicates: int = REPLICATES) -> list[dict]:
    """Every adjustment x method of one simulated cohort: one row each (see module docstring).

    ``bootstrap=True`` runs only the two-step PS bootstrap (same cohort, same PS fit).
    """
    from bayeshcc.adjust import fit_propensity
    from bayeshcc.bayes.calibration import CalibrationDesign, calibrate
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.priors import BUILT_IN
    from bayeshcc.bayes.propagation import PropensityDesign, fit_with_ps_uncertainty
    from bayeshcc.executors import derive_seed

    s = SCENARIOS[scenario]
    base = derive_seed(seed, ("validation", scenario, cohort))
    X, treated, time_, event = simulate(s, n, base)
    prior = BUILT_IN["vague"]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # extreme-weight and overlap warnings are expected
        ps = fit_propensity(X, treated)
        for adjustment in ADJUSTMENTS:
            start = time.perf_counter()
            rows_, weights, design = analysed_population(adjustment, ps, X, treated)
            if bootstrap:
                fits = {"ps_bootstrap": fit_with_ps_uncertainty(
                    "weibull", time_, event, PropensityDesign(X, treated, adjustment),
                    replicates=replicates, prior=prior,
                    seed=derive_seed(base, ("boot", adjustment)), **SAMPLER).fit}
            else:
                fit = fit_survival_model("weibull", time_[rows_], event[rows_],
                                         treated[rows_].astype(float), weights=weights,
                                         prior=prior, seed=derive_seed(base, ("fit", adjustment)),
                                         **SAMPLER)
                # the design's own method is "auto" (the jackknife at N = 500): the delta-method
                # row asks for the sandwich by name
                fits = {"kish": fit,
                        "sandwich": calibrate(fit, dataclasses.replace(design, method="sandwich")),
                        "jackknife": calibrate(fit, dataclasses.replace(design, method="jackknife")),
                        "sandwich_naive": calibrate(fit, CalibrationDesign(raw_weights=weights))}
            for method, f in fits.items():
                rows.append({"scenario": scenario, "cohort": cohort, "adjustment": adjustment,
                             "method": method, "n_analysed": int(rows_.sum()),
                             **_summaries(f)})
            rows[-1]["seconds"] = time.perf_counter() - start
    return rows


def summarise(rows: pd.DataFrame, truths: dict) -> pd.DataFrame:
    """Coverage (with MC SE), mean posterior SD, empirical SD and bias per cell."""
    out = []
    for (scenario, adjustment, method), g in rows.groupby(["scenario", "adjustment", "method"],
                                                          sort=False):
        row = {"scenario": scenario, "adjustment": adjustment, "method": method,
               "cohorts": len(g)}
        for q, column in (("log_hr", "log_hr"), ("rmst_diff", "rmst_diff"),
                          ("rmst_diff_weibull", "rmst_diff")):
            truth = truths[scenario][adjustment][q]
            cover = ((g[f"{column}_lower"] < truth) & (truth < g[f"{column}_upper"])).mean()
            row.update({f"{q}_truth": truth, f"{q}_coverage": float(cover),
                        f"{q}_mcse": float(np.sqrt(cover * (1 - cover) / len(g))),
                        f"{q}_mean_sd": float(g[f"{column}_sd"].mean()),
                        f"{q}_empirical_sd": float(g[f"{column}_est"].std(ddof=1)),
                        f"{q}_bias": float(g[f"{column}_est"].mean() - truth)})
        out.append(row)
    out = pd.DataFrame(out)
    order = {"scenario": list(SCENARIOS), "adjustment": list(ADJUSTMENTS), "method": list(METHODS)}
    keys = [out[c].map({v: i for i, v in enumerate(vals)}) for c, vals in order.items()]
    return out.iloc[np.lexsort(keys[::-1])].reset_index(drop=True)


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (coverage in %, MC SE in brackets)."""
    lines = [("| scenario | adjustment | method | R | log HR coverage | mean SD / emp. SD | bias "
              "| RMST diff coverage | mean SD / emp. SD | bias | RMST coverage of the Weibull "
              "projection | bias |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(
            f"| {r.scenario} | {r.adjustment} | {r.method} | {r.cohorts} "
            f"| {100 * r.log_hr_coverage:.1f} ({100 * r.log_hr_mcse:.1f}) "
            f"| {r.log_hr_mean_sd:.3f} / {r.log_hr_empirical_sd:.3f} | {r.log_hr_bias:+.3f} "
            f"| {100 * r.rmst_diff_coverage:.1f} ({100 * r.rmst_diff_mcse:.1f}) "
            f"| {r.rmst_diff_mean_sd:.3f} / {r.rmst_diff_empirical_sd:.3f} "
            f"| {r.rmst_diff_bias:+.3f} "
            f"| {100 * r.rmst_diff_weibull_coverage:.1f} ({100 * r.rmst_diff_weibull_mcse:.1f}) "
            f"| {r.rmst_diff_weibull_bias:+.3f} |")
    return "\n".join(lines)


def coverage_figure(summary: pd.DataFrame, path: str | Path) -> None:
    """Coverage with +-2 MC SE per scenario, adjustment and method; 93-97 % band shaded."""
    from matplotlib.figure import Figure

    scenarios = list(dict.fromkeys(summary["scenario"]))
    fig = Figure(figsize=(11, 3.2 * len(scenarios)), layout="constrained")
    axes = fig.subplots(len(scenarios), 2, squeeze=False, sharex=True)
    methods = [m for m in METHODS if m in set(summary["method"])]
    colours = dict(zip(METHODS, ("tab:grey", "tab:blue", "tab:red", "tab:orange", "tab:green")))
    for i, scenario in enumerate(scenarios):
        for j, (q, label) in enumerate((("log_hr", "marginal log HR"),
                                        ("rmst_diff", "12-month RMST difference"))):
            ax = axes[i, j]
            ax.axhspan(93, 97, color="0.9")
            ax.axhline(95, color="0.5", lw=0.8)
            for k, method in enumerate(methods):
                g = summary[(summary["scenario"] == scenario) & (summary["method"] == method)]
                x = np.array([ADJUSTMENTS.index(a) for a in g["adjustment"]]) + (k - (len(methods) - 1) / 2) * 0.13
                ax.errorbar(x, 100 * g[f"{q}_coverage"], yerr=200 * g[f"{q}_mcse"], fmt="o",
                            color=colours[method], label=method, ms=4, capsize=2)
            ax.set_xticks(range(len(ADJUSTMENTS)), ADJUSTMENTS)
            ax.set_ylim(60, 101)
            ax.set_ylabel("95 % interval coverage, %")
            ax.set_title(f"{scenario}: {label}", fontsize=10)
    axes[0, 0].legend(fontsize=8, loc="lower left")
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.validation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cohorts", type=int, default=500, help="cohorts per scenario")
    parser.add_argument("--bootstrap-cohorts", type=int, default=30,
                        help="of those, how many also get the two-step PS bootstrap")
    parser.add_argument("--replicates", type=int, default=REPLICATES,
                        help="PS draws per bootstrap fit")
    parser.add_argument("--scenarios", nargs="*", choices=sorted(SCENARIOS),
                        default=list(SCENARIOS))
    parser.add_argument("--n", type=int, default=N, help="patients per cohort")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--truth-size", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/validation",
                        help="path stem: <out>.jsonl (raw rows), <out>.json (summary)")
    parser.add_argument("--figure", default="docs/validation_coverage.png")
    parser.add_argument("--summarise", action="store_true",
                        help="only rebuild the summary and figure from <out>.jsonl")
    parser.add_argument("--truths-from", default=None,
                        help="take the truths from this summary JSON instead of simulating them")
    args = parser.parse_args(argv)
    raw_path, summary_path = Path(f"{args.out}.jsonl"), Path(f"{args.out}.json")
    start = time.perf_counter()
    if args.truths_from:
        truths = json.loads(Path(args.truths_from).read_text())["truths"]
    else:
        truths = {name: true_values(SCENARIOS[name], args.truth_size, seed=1)
                  for name in args.scenarios}
    print(f"truths ({time.perf_counter() - start:.0f} s): {json.dumps(truths)}", flush=True)
    if not args.summarise:
        # main cohorts first, the (slower) PS-bootstrap fits of the first cohorts last
        tasks = [(name, c, args.seed, args.n, False, args.replicates)
                 for c in range(args.cohorts) for name in args.scenarios]
        tasks += [(name, c, args.seed, args.n, True, args.replicates)
                  for c in range(args.bootstrap_cohorts) for name in args.scenarios]
        run_tasks(run_cohort, tasks, args.workers, raw_path, start)
    rows = pd.read_json(raw_path, lines=True)
    summary = summarise(rows, truths)
    seconds = time.perf_counter() - start
    if args.summarise and summary_path.exists():   # keep the timing of the run that simulated
        seconds = json.loads(summary_path.read_text())["settings"].get("seconds", seconds)
    settings = {"cohorts": args.cohorts, "bootstrap_cohorts": args.bootstrap_cohorts,
                "replicates": args.replicates, "n": args.n, "seed": args.seed,
                "truth_size": args.truth_size, "sampler": SAMPLER, "prior": "vague",
                "scenarios": {k: asdict(SCENARIOS[k]) for k in args.scenarios},
                "seconds": seconds, "cpus": os.cpu_count()}
    summary_path.write_text(json.dumps({"settings": settings, "truths": truths,
                                        "summary": summary.to_dict(orient="records")},
                                       indent=1) + "\n")
    Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
    coverage_figure(summary, args.figure)
    print(markdown_table(summary))
    print(f"written {summary_path}, {raw_path}, {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
