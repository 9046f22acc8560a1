"""``python -m benchmarks.calibrated_priors [--out PATH]``: informative priors on calibrated
(weighted and matched) Weibull fits against their conjugate targets (issue #23, part 1).

For each cohort and adjustment the vague-prior fit is calibrated
(:func:`bayeshcc.bayes.calibration.calibrate`); the mean m and SD s of its log-HR draws are
the calibrated likelihood N(m, s^2) of the log HR. A normal prior N(mu, tau^2) then has the
conjugate target N((m / s^2 + mu / tau^2) / P, 1 / P), P = 1 / s^2 + 1 / tau^2; a robust
mixture prior has the analytic mixture posterior of
:func:`bayeshcc.bayes.borrowing.mixture_posterior_normal`. The calibrated draws of the same
prior's fit are compared with the target:

- normal priors (sceptical, enthusiastic, external with a0 = 0.5): (mean - target mean) /
  target SD and SD / target SD;
- robust mixtures, one that agrees with the cohort and one that conflicts with it: P(HR < 1),
  the median HR and the posterior weight of the informative component.

Cohorts: the bundled one (OS and PFS; ate, matched and overlap; the pipeline's populations
and calibration) and one simulated cohort of 500 patients (:func:`hazard_weighted_cohort`,
att), Weibull fits; and the bundled ate and matched populations with the piecewise model
(6 intervals; normal priors only). The same fits are also checked for the scale invariance of the weights, and the
sceptical-prior tipping point of the bundled cohort's primary analysis is refitted at its
prior. Rows are printed and written as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import norm

from bayeshcc.bayes.priors import BUILT_IN, Prior, external_prior, robust_prior

FIT = {"draws": 1000, "tune": 1000, "chains": 4}
# the bundled spec's external evidence (Persano et al.: OS HR 0.45, 0.24-0.83)
EXTERNAL = (0.45, 0.24, 0.83)


def normal_priors() -> dict[str, Prior]:
    """The three normal priors of the conjugate check."""
    return {"skeptical": BUILT_IN["skeptical"], "enthusiastic": BUILT_IN["enthusiastic"],
            "external_a0_0.5": external_prior(*EXTERNAL, discount=0.5)}


def robust_priors() -> dict[str, Prior]:
    """A robust mixture that agrees with the bundled cohort (Persano et al.'s HR 0.45) and one
    that conflicts with it (HR 2.5, 1.6-3.9: harm)."""
    return {"robust_agree": robust_prior(*EXTERNAL, weight=0.8, vague_sd=2.0),
            "robust_conflict": robust_prior(2.5, 1.6, 3.9, weight=0.8, vague_sd=2.0)}


def normal_target(m: float, s: float, prior: Prior) -> tuple[float, float]:
    """Mean and SD of N(mu, tau^2) x N(m, s^2) on the log HR."""
    precision = 1 / s ** 2 + 1 / prior.log_hr_sd ** 2
    return ((m / s ** 2 + prior.log_hr_mean / prior.log_hr_sd ** 2) / precision,
            math.sqrt(1 / precision))


def mixture_target(m: float, s: float, prior: Prior) -> dict:
    """P(HR < 1), median HR and informative weight of the mixture prior x N(m, s^2)."""
    from scipy.optimize import brentq

    from bayeshcc.bayes.borrowing import mixture_posterior_normal

    comps = mixture_posterior_normal(prior.components(), m, s)

    def cdf(x):
        return sum(w * norm.cdf(x, mu, sd) for w, mu, sd in comps)

    lo = min(mu - 10 * sd for _, mu, sd in comps)
    hi = max(mu + 10 * sd for _, mu, sd in comps)
    return {"prob_hr_below_1": cdf(0.0), "hr_median": math.exp(brentq(lambda x: cdf(x) - 0.5,
                                                                       lo, hi)),
            "prior_weight_posterior": comps[0][0]}


def draws_summary(log_hr: np.ndarray, prior: Prior) -> dict:
    """The same three numbers from draws."""
    from bayeshcc.bayes.borrowing import posterior_component_weight

    x = np.asarray(log_hr, dtype=float).ravel()
    return {"prob_hr_below_1": float(np.mean(x < 0)), "hr_median": float(np.exp(np.median(x))),
            "prior_weight_posterior": posterior_component_weight(prior, x)}


def hazard_weighted_cohort(n: int = 500, seed: int = 3):
    """A confounded cohort: x and z raise both the chance of treatment and the hazard, so the
    att weights e / (1 - e) of the reference arm follow the hazard. Conditional HR 0.6,
    Weibull shape 1.2. Returns (covariates x and z, treated, time, event)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-0.4 + 0.9 * x + 0.6 * z)))
    lp = np.log(0.1) + np.log(0.6) * treated + 0.8 * x + 0.5 * z
    t = (rng.exponential(size=n) / np.exp(lp)) ** (1 / 1.2)
    c = rng.uniform(2, 15, n)
    return (pd.DataFrame({"x": x, "z": z}), treated, np.minimum(t, c),
            (t <= c).astype(float))


def bundled_cases(outcomes=("os", "pfs"), adjustments=("ate", "matched", "overlap")):
    """(label, fit inputs, calibration design, seed) of the bundled cohort's weighted and
    matched populations, as the pipeline builds them."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.bayes.plan import calibration_for, fit_inputs, plan_fits, population_for
    from bayeshcc.cohort import Cohort
    from bayeshcc.datasets import load_paper_cohort
    from bayeshcc.pipeline import paper_spec_path
    from bayeshcc.spec import load_spec

    spec = load_spec(paper_spec_path())
    spec = dataclasses.replace(spec, bayes=dataclasses.replace(
        spec.bayes, adjustments=list(adjustments)))
    cohort = Cohort.from_dataframe(load_paper_cohort(), spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        populations = adjust(cohort).populations
    for outcome in outcomes:
        for adjustment in adjustments:
            task = plan_fits(spec, outcomes=[outcome], models=["weibull"], priors=["vague"],
                             adjustments=[adjustment])[0]
            pop = population_for(adjustment, populations)
            yield (f"bundled/{outcome}/{adjustment}", fit_inputs(task, pop, ()),
                   calibration_for(task, pop, "sandwich"), task.seed)


def simulated_case(n: int = 500, seed: int = 3):
    """(label, fit inputs, calibration design, seed) of :func:`hazard_weighted_cohort`, att."""
    from bayeshcc.adjust import fit_propensity, propensity_weights
    from bayeshcc.bayes.calibration import calibration_design

    X, treated, time, event = hazard_weighted_cohort(n, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = fit_propensity(X, treated)
    w = propensity_weights(ps.score, treated, "att")
    inputs = {"time": time, "event": event, "treated": treated.astype(float),
              "weights": np.asarray(w.weights)}
    return f"simulated_n{n}/att", inputs, calibration_design("att", ps, X, w), 11


def calibrated_log_hr(inputs: dict, design, seed: int, prior: Prior, model: str = "weibull",
                      **fit) -> np.ndarray:
    """The calibrated log-HR draws of a Weibull (or piecewise, 6 intervals) fit (chains x
    draws)."""
    from bayeshcc.bayes.calibration import calibrate
    from bayeshcc.bayes.fit import fit_survival_model

    result = fit_survival_model(model, **inputs, prior=prior, seed=seed, intervals=6,
                                **{**FIT, **fit})
    return calibrate(result, design).draws()["log_hr"]


def check_case(label, inputs, design, seed, model: str = "weibull", robust: bool = True,
               **fit) -> list[dict]:
    """Every prior of one case against its target (the robust ones if ``robust``)."""
    fit = {**fit, "model": model}
    label = label if model == "weibull" else f"{label}/{model}"
    vague = calibrated_log_hr(inputs, design, seed, BUILT_IN["vague"], **fit).ravel()
    m, s = float(vague.mean()), float(vague.std(ddof=1))
    rows = []
    for name, prior in normal_priors().items():
        x = calibrated_log_hr(inputs, design, seed, prior, **fit).ravel()
        tm, ts = normal_target(m, s, prior)
        rows.append({"case": label, "prior": name, "vague_mean": m, "vague_sd": s,
                     "hr_median": float(np.exp(np.median(x))), "target_hr": math.exp(tm),
                     "prob_hr_below_1": float(np.mean(x < 0)),
                     "target_prob_hr_below_1": float(norm.cdf(-tm / ts)),
                     "mean_error_sd": (float(x.mean()) - tm) / ts,
                     "sd_ratio": float(x.std(ddof=1)) / ts})
    for name, prior in (robust_priors() if robust else {}).items():
        x = calibrated_log_hr(inputs, design, seed, prior, **fit)
        got, want = draws_summary(x, prior), mixture_target(m, s, prior)
        rows.append({"case": label, "prior": name, "vague_mean": m, "vague_sd": s,
                     **{k: got[k] for k in got}, **{f"target_{k}": want[k] for k in want},
                     "max_abs_error": max(abs(got[k] - want[k]) for k in got)})
    return rows


def scale_invariance(label, inputs, design, seed, **fit) -> dict:
    """Largest relative change of the calibrated sceptical-prior draws when the raw weights
    (and the design's) are multiplied by 0.5, 2 and 3."""
    base = calibrated_log_hr(inputs, design, seed, BUILT_IN["skeptical"], **fit)
    out = {"case": label}
    for c in (0.5, 2.0, 3.0):
        scaled = dataclasses.replace(design, raw_weights=c * np.asarray(design.raw_weights))
        x = calibrated_log_hr({**inputs, "weights": c * np.asarray(inputs["weights"])}, scaled,
                              seed, BUILT_IN["skeptical"], **fit)
        out[f"max_rel_change_x{c:g}"] = float(np.max(np.abs(x - base) / np.abs(base)))
    return out


def tipping() -> list[dict]:
    """The bundled cohort's tipping-point table (primary: Weibull, ate)."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.cohort import Cohort
    from bayeshcc.datasets import load_paper_cohort
    from bayeshcc.pipeline import paper_spec_path
    from bayeshcc.sensitivity import tipping_point_table
    from bayeshcc.spec import load_spec

    cohort = Cohort.from_dataframe(load_paper_cohort(), load_spec(paper_spec_path()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        populations = adjust(cohort).populations
    table = tipping_point_table(cohort, populations, None, None)
    return table.drop(columns=["note"]).to_dict("records")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibrated_priors",
                                     description=__doc__)
    parser.add_argument("--out", default="benchmarks/calibrated_priors.json")
    args = parser.parse_args(argv)
    rows, invariance = [], []
    cases = [*bundled_cases(), simulated_case()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            for row in check_case(*case):
                rows.append(row)
                print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                  for k, v in row.items()}), flush=True)
            if case[2].raw_weights is not None:
                invariance.append(scale_invariance(*case))
                print(json.dumps(invariance[-1]), flush=True)
        for case in bundled_cases(adjustments=("ate", "matched")):
            for row in check_case(*case, model="piecewise", robust=False):
                rows.append(row)
                print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                  for k, v in row.items()}), flush=True)
        tip = tipping()
    print(json.dumps(tip, default=float))
    Path(args.out).write_text(json.dumps({"rows": rows, "scale_invariance": invariance,
                                          "tipping_point": tip}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
