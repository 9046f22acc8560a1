"""``python -m benchmarks.km_misfit_threshold``: the KM-misfit statistic when the model is true.

Chooses :data:`bayeshcc.bayes.km_misfit.THRESHOLD`, the cut-off above which ``model_fit.csv``
flags a fit. The truth is a Weibull PH model fitted to the bundled cohort's overall survival
(the pipeline's unadjusted Weibull fit under the weakly informative prior; its posterior
medians of ``log_rate``, ``log_shape`` and ``log_hr``). Each simulated cohort has the bundled
cohort's arm sizes times ``--scale``; event times come from the true model, censoring times
from each arm's reverse Kaplan-Meier (censoring) distribution of the bundled cohort, with the
mass beyond its last time at the arm's largest follow-up (administrative censoring). Every
cohort is fitted as the pipeline fits it (:func:`bayeshcc.bayes.fit.fit_survival_model` with
the spec's draws, tune and chains, curves by :func:`bayeshcc.bayes.contrasts.survival_contrasts`
with the spec's RMST horizon), and the statistic of
:func:`bayeshcc.bayes.km_misfit.max_standardised_gap` is computed per arm, from the posterior
median curve as the pipeline's table has it and, for comparison, from the posterior mean.

Rows are appended to ``<out>.jsonl`` as cohorts finish; ``<out>.json`` gets, per cohort size,
the 95th percentile of the statistic over cohorts and arms with a bootstrap 95 % interval
(cohorts resampled), that of the larger of a cohort's two arms, and the shares of arms and of
cohorts (either arm) above :data:`~bayeshcc.bayes.km_misfit.THRESHOLD`.

Run as ``python -m benchmarks.km_misfit_threshold --cohorts 1000 --scales 1 5 --workers 2``
(21 minutes on 2 cores). ``--truth lognormal --out benchmarks/km_misfit_power`` simulates
from a model the Weibull is wrong for instead (:func:`truth`): the shares flagged are then the
statistic's power.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUTCOME = "os"
PRIOR = "weakly_informative"
#: ``--truth lognormal``: the SD of log T, a hazard that peaks early and then falls (the shape a
#: Weibull cannot follow), each arm's median kept at the Weibull truth's.
LOGNORMAL_SIGMA = 1.0


def _setting():
    """The spec, the bundled cohort's OS data and its arms (treated first)."""
    from bayeshcc.cohort import Cohort
    from bayeshcc.spec import load_spec
    from bayeshcc.studies import hcc2024

    cohort = Cohort.from_file(hcc2024.cohort_path(), load_spec(hcc2024.spec_path()))
    return (cohort.spec, cohort.time(OUTCOME), cohort.event(OUTCOME),
            np.asarray(cohort.treated, dtype=bool), cohort.arm_labels())


def _fit(spec, time_, event, treated, seed: int):
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.priors import resolve_prior

    b = spec.bayes
    return fit_survival_model("weibull", time_, event, treated.astype(float),
                              prior=resolve_prior(PRIOR, spec.priors, b.clinical_hr),
                              draws=b.draws, tune=b.tune, chains=b.chains, seed=seed)


def truth(family: str = "weibull") -> dict:
    """The true model: posterior medians of the Weibull fit to the bundled cohort's OS, the
    time scale they are in, and each arm's size, censoring distribution and largest time.

    ``family="lognormal"`` keeps all that but draws the event times from a log-normal with
    SD :data:`LOGNORMAL_SIGMA` on the log scale and each arm's Weibull median: a model the
    fitted Weibull is wrong for (the statistic's power, not its threshold)."""
    from bayeshcc.frequentist.km import kaplan_meier

    spec, time_, event, treated, _ = _setting()
    fit = _fit(spec, time_, event, treated, seed=spec.bayes.seed)
    draws = fit.draws()
    out = {name: float(np.median(draws[name])) for name in ("log_rate", "log_shape", "log_hr")}
    out["time_scale"] = float(fit.data.time_scale)
    out["family"] = family
    for arm, mask in (("treated", treated), ("reference", ~treated)):
        censoring = kaplan_meier(time_[mask], 1.0 - event[mask])   # reverse KM
        out[arm] = {"n": int(mask.sum()), "times": censoring.time.tolist(),
                    "survival": censoring.survival.tolist(),
                    "max_time": float(time_[mask].max())}
    return out


def _censoring(rng, arm: dict, n: int) -> np.ndarray:
    """Censoring times from an arm's reverse KM: the first time its survival falls to or
    below a uniform draw; the arm's largest follow-up when it never does."""
    u = rng.uniform(size=n)
    survival = np.asarray(arm["survival"])
    times = np.asarray(arm["times"])
    below = survival[None, :] <= u[:, None]
    hit = below.any(axis=1)
    first = np.argmax(below, axis=1)
    return np.where(hit, times[first], arm["max_time"])


def simulate(true: dict, scale: float, seed: int):
    """One cohort from the true model (:func:`truth`): times, events, treated (bool)."""
    rng = np.random.default_rng(seed)
    k = np.exp(true["log_shape"])
    parts = []
    for arm, trt in (("treated", 1.0), ("reference", 0.0)):
        n = int(round(true[arm]["n"] * scale))
        rate = np.exp(true["log_rate"] + true["log_hr"] * trt)
        if true.get("family", "weibull") == "lognormal":
            median = true["time_scale"] * (np.log(2.0) / rate) ** (1 / k)
            t = median * np.exp(LOGNORMAL_SIGMA * rng.standard_normal(size=n))
        else:
            t = true["time_scale"] * (rng.exponential(size=n) / rate) ** (1 / k)
        c = _censoring(rng, true[arm], n)
        parts.append((np.minimum(t, c), (t <= c).astype(float), np.full(n, trt > 0)))
    time_, event, treated = (np.concatenate(p) for p in zip(*parts))
    return np.maximum(time_, 1e-3), event, treated


def run_cohort(cohort: int, seed: int, scale: float, true: dict) -> list[dict]:
    """The statistic per arm of one simulated cohort's Weibull fit (median and mean curve)."""
    from bayeshcc.bayes.contrasts import GRID_POINTS, marginal_survival, survival_contrasts
    from bayeshcc.bayes.km_misfit import max_standardised_gap
    from bayeshcc.executors import derive_seed
    from bayeshcc.frequentist.km import kaplan_meier
    from bayeshcc.tables.rmst import default_tau

    spec, *_, arms = _setting()
    base = derive_seed(seed, ("km_misfit", scale, cohort))
    time_, event, treated = simulate(true, scale, base)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = _fit(spec, time_, event, treated, seed=derive_seed(base, ("fit",)))
    tau = spec.rmst_tau or default_tau(time_, treated)
    _, curves = survival_contrasts(fit, tau, arms)
    grid = np.union1d(np.linspace(0, max(float(time_.max()), tau), GRID_POINTS), [tau])
    mean = marginal_survival(fit, grid).mean(axis=1)             # arm x grid
    rows = []
    for a, (arm, mask) in enumerate(((arms[0], treated), (arms[1], ~treated))):
        c = kaplan_meier(time_[mask], event[mask])
        km = pd.DataFrame({"time": c.time, "n_risk": c.n_risk, "n_event": c.n_event,
                           "survival": c.survival})
        mine = curves[curves["arm"] == arm]
        statistic, at = max_standardised_gap(km, mine["time"], mine["survival"])
        from_mean, _ = max_standardised_gap(km, grid, mean[a])
        rows.append({"cohort": cohort, "scale": scale, "arm": arm, "n": int(mask.sum()),
                     "events": int(event[mask].sum()), "statistic": statistic,
                     "time_of_max_gap": at, "statistic_mean_curve": from_mean,
                     "seconds": time.perf_counter() - start})
    return rows


def summarise(rows: pd.DataFrame, threshold: float, boot: int = 2000, seed: int = 1) -> list:
    """Per scale: the 95th percentile of the statistic with a bootstrap interval (cohorts
    resampled), and the share of cohorts flagged at ``threshold`` in either arm."""
    rng = np.random.default_rng(seed)
    out = []
    for scale, g in rows.groupby("scale"):
        wide = g.pivot(index="cohort", columns="arm", values="statistic")
        values = wide.to_numpy()
        q = float(np.nanquantile(values, 0.95))
        picks = rng.integers(0, len(values), size=(boot, len(values)))
        qs = [np.nanquantile(values[p], 0.95) for p in picks]
        out.append({"scale": float(scale), "cohorts": int(len(wide)),
                    "events_per_arm": g.groupby("arm")["events"].mean().round(1).to_dict(),
                    "q95": q, "q95_lower": float(np.quantile(qs, 0.025)),
                    "q95_upper": float(np.quantile(qs, 0.975)),
                    "q95_mean_curve": float(np.nanquantile(
                        g["statistic_mean_curve"].to_numpy(), 0.95)),
                    "max_abs_median_vs_mean": float(np.nanmax(np.abs(
                        g["statistic"] - g["statistic_mean_curve"]))),
                    "per_arm_q95": g.groupby("arm")["statistic"].quantile(0.95).to_dict(),
                    "q95_larger_arm": float(np.nanquantile(np.nanmax(values, axis=1), 0.95)),
                    "share_flagged_arm": float(np.mean(values > threshold)),
                    "share_flagged_either_arm": float(np.mean(np.nanmax(values, axis=1)
                                                              > threshold)),
                    "threshold": threshold})
    return out


def main(argv=None) -> int:
    from bayeshcc.bayes.km_misfit import THRESHOLD

    from benchmarks.validation import run_tasks

    parser = argparse.ArgumentParser(prog="python -m benchmarks.km_misfit_threshold",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cohorts", type=int, default=400)
    parser.add_argument("--scales", type=float, nargs="*", default=[1.0],
                        help="cohort sizes as multiples of the bundled cohort's arms")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--truth", choices=("weibull", "lognormal"), default="weibull",
                        help="weibull: the fitted model is true (the threshold); lognormal: it "
                             "is wrong (how often the statistic flags it)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/km_misfit_threshold",
                        help="path stem: <out>.jsonl (raw rows), <out>.json (summary)")
    parser.add_argument("--summarise", action="store_true",
                        help="only rebuild the summary from <out>.jsonl")
    args = parser.parse_args(argv)
    raw_path, summary_path = Path(f"{args.out}.jsonl"), Path(f"{args.out}.json")
    start = time.perf_counter()
    true = truth(args.truth)
    print(f"truth ({time.perf_counter() - start:.0f} s): "
          f"{ {k: v for k, v in true.items() if not isinstance(v, dict)} }", flush=True)
    if not args.summarise:
        tasks = [(c, args.seed, s, true) for s in args.scales for c in range(args.cohorts)]
        run_tasks(run_cohort, tasks, args.workers, raw_path, start)
    rows = pd.read_json(raw_path, lines=True)
    summary = summarise(rows, THRESHOLD)
    seconds = time.perf_counter() - start
    if args.summarise and summary_path.exists():   # keep the timing of the run that simulated
        seconds = json.loads(summary_path.read_text())["settings"].get("seconds", seconds)
    settings = {"cohorts": args.cohorts, "scales": args.scales, "seed": args.seed,
                "outcome": OUTCOME, "prior": PRIOR, "seconds": seconds,
                "cpus": os.cpu_count(),
                "truth": {k: v for k, v in true.items() if not isinstance(v, dict)}}
    summary_path.write_text(json.dumps({"settings": settings, "summary": summary},
                                       indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"written {summary_path}, {raw_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
