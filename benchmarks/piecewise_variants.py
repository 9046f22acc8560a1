"""Issue #17: piecewise-exponential parameterisations against the Weibull, per effective draw.

``python -m benchmarks.piecewise_variants [--only NAME ...] [--repeats R] [--outcomes ...]
[--intervals J]``; ``python -m benchmarks --only piecewise_variants`` runs the Weibull, the
package's piecewise model and the one it replaced.

One run fits the bundled cohort (N = 126; OS and PFS, lenvatinib vs sorafenib, unadjusted,
``weakly_informative`` prior, 6 intervals) with the Weibull and each piecewise candidate, as the
pipeline does: the compiled model carries the ``COVARIATE_BLOCK`` zero covariate columns, is
compiled once, and the timed fits re-use it (``with_data``), 4 chains x 1000 warm-up / 1000
draws, after one untimed warm fit. ``--outcomes sim:N:SEED`` fits instead the weighted cohort
with 8 covariates of ``benchmarks.fits`` (its scaling benchmark). Per candidate and outcome it
reports bulk ESS of ``log_hr`` per second of sampling and per 1000 gradient evaluations (warm-up
included), their ratios to the Weibull's in the same run, divergences, fits failing the
convergence gate, and leapfrog steps per draw. Machine speed varies, so only the ratios are
meant to be compared; the per-gradient ratio does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

# name -> options of the piecewise model: walk ("package": bayeshcc's own model and sampler
# settings; "noncentred" / "centred": sigma * z_j / N(0, sigma) increments; "independent":
# alpha_j ~ N(centre, 2); "mvt": increments multivariate t, sigma integrated out; "levels" /
# "levels_mvt": the levels alpha are the parameters, with a N(0, sigma) / multivariate t walk
# prior on their differences), sigma prior, target_accept, adaptation, intervals.
# "former" is what the package did before issue #17 for N < 1000, "former_large_n" for N >= 1000.
VARIANTS = {
    "package": dict(walk="package"),
    "former": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.99),
    "ta0.95": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.95),
    "ta0.9": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.9),
    "centred_ta0.9": dict(walk="centred", sigma=("halfnormal", 0.5), target_accept=0.9),
    "centred_ta0.99": dict(walk="centred", sigma=("halfnormal", 0.5), target_accept=0.99),
    "gamma2_ta0.9": dict(walk="noncentred", sigma=("gamma", 2.0, 0.2), target_accept=0.9),
    "lognormal_ta0.9": dict(walk="noncentred", sigma=("lognormal", np.log(0.3), 0.6),
                            target_accept=0.9),
    "independent_ta0.9": dict(walk="independent", target_accept=0.9),
    "mvt_ta0.9": dict(walk="mvt", target_accept=0.9),
    "levels_centred_ta0.9": dict(walk="levels", sigma=("halfnormal", 0.5), target_accept=0.9),
    "levels_mvt_ta0.9": dict(walk="levels_mvt", target_accept=0.9),
    "levels_mvt_ta0.8": dict(walk="levels_mvt", target_accept=0.8),
    "levels_mvt_lowrank_ta0.9": dict(walk="levels_mvt", target_accept=0.9,
                                     adaptation="low_rank"),
    "former_large_n": dict(walk="centred", sigma=("halfnormal", 0.5),
                                   target_accept=0.99, adaptation="low_rank"),
    "lowrank_ta0.9": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.9,
                          adaptation="low_rank"),
    "intervals4": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.99,
                       intervals=4),
    "intervals4_ta0.9": dict(walk="noncentred", sigma=("halfnormal", 0.5), target_accept=0.9,
                             intervals=4),
}


def cohort(outcome: str):
    """(time, event, treated) of the bundled cohort for ``os`` or ``pfs``."""
    from bayeshcc.datasets import load_paper_cohort

    df = load_paper_cohort()
    return (df[f"{outcome}_months"].to_numpy(float), df[f"{outcome}_event"].to_numpy(float),
            (df["arm"] == "lenvatinib").to_numpy(float))


def _values(model: str, outcome: str, intervals: int):
    """``outcome``: ``os`` / ``pfs`` of the bundled cohort, or ``sim:N:SEED``, the weighted
    cohort with 8 covariates of ``benchmarks.fits`` (its scaling benchmark)."""
    from bayeshcc.bayes.data import prepare
    from bayeshcc.bayes.families import get_family
    from bayeshcc.bayes.fit import _pad_covariates, compiled_columns
    from bayeshcc.bayes.models import data_values
    from bayeshcc.bayes.priors import BUILT_IN

    prior = BUILT_IN["weakly_informative"]
    if outcome.startswith(("sim:", "fits:")):
        from benchmarks.fits import _simulate

        kind, n, seed = outcome.split(":")
        time_, event, trt, X, w = _simulate(int(n), seed=int(seed))
        if kind == "sim":
            data = prepare(time_, event, trt, X, tuple(f"x{i}" for i in range(8)), w, None)
        else:  # as benchmark fits: weighted, no covariates
            data = prepare(time_, event, trt, None, (), w, None)
    else:
        data = prepare(*cohort(outcome), None, (), None, None)
    cuts = get_family(model).cutpoints(None, data, intervals)
    return _pad_covariates(data_values(model, data, prior, cuts), data, prior,
                           compiled_columns(data.X.shape[1]))


def _sigma(spec):
    import pymc as pm

    kind, *args = spec
    if kind == "halfnormal":
        return pm.HalfNormal("sigma", args[0])
    if kind == "gamma":  # (shape, scale)
        return pm.Gamma("sigma", alpha=args[0], beta=1.0 / args[1])
    if kind == "lognormal":
        return pm.LogNormal("sigma", args[0], args[1])
    raise ValueError(kind)


def variant_model(options: dict, values: dict, n_covariates: int, n_intervals: int):
    """The piecewise model of ``bayeshcc.bayes.models.build_model`` with another baseline
    parameterisation (the likelihood and the other priors are the same)."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayeshcc.bayes.likelihood import make_piecewise_logp, piecewise_random

    walk = options["walk"]
    with pm.Model() as m:
        d = {k: pm.Data(k, v) for k, v in values.items()}
        log_hr = pm.Normal("log_hr", d["log_hr_mu"], d["log_hr_sd"])
        beta = pm.Normal("beta", 0.0, d["coef_sd"], shape=n_covariates)
        xb = pt.dot(d["X"], beta)
        first = pm.Normal("alpha_first", d["rate_center"], d["rate_sd"])
        if walk in ("levels", "levels_mvt"):  # the levels are the parameters
            rest = pm.Flat("alpha_rest", shape=n_intervals - 1)
            alpha = pm.Deterministic("alpha", pt.concatenate([pt.stack([first]), rest]))
            steps = alpha[1:] - alpha[:-1]
            if walk == "levels":
                sigma = _sigma(options["sigma"])
                pm.Potential("walk", pm.logp(pm.Normal.dist(0.0, sigma), steps).sum())
            else:  # multivariate t: sigma^2 ~ InvGamma(2, 2 * 0.3^2) integrated out
                nu, s2, p = 4.0, 0.3 ** 2, n_intervals - 1
                pm.Potential("walk", -(nu + p) / 2 * pt.log1p(pt.sum(steps ** 2) / (nu * s2)))
        elif walk == "independent":
            rest = pm.Normal("alpha_rest", d["rate_center"], d["rate_sd"], shape=n_intervals - 1)
            alpha = pm.Deterministic("alpha", pt.concatenate([pt.stack([first]), rest]))
        else:
            if walk == "mvt":  # sigma^2 ~ InvGamma(2, 2 * 0.3^2) integrated out
                a, b = 2.0, 2.0 * 0.3 ** 2
                increments = pm.MvStudentT("alpha_steps", nu=2 * a, mu=np.zeros(n_intervals - 1),
                                           scale=(b / a) * np.eye(n_intervals - 1))
            else:
                sigma = _sigma(options["sigma"])
                if walk == "centred":
                    increments = pm.Normal("alpha_steps", 0.0, sigma, shape=n_intervals - 1)
                else:
                    increments = sigma * pm.Normal("alpha_steps", 0.0, 1.0,
                                                   shape=n_intervals - 1)
            alpha = pm.Deterministic("alpha", first + pt.concatenate(
                [pt.zeros(1), pt.cumsum(increments)]))
        pm.CustomDist("time", alpha, pt.stack([log_hr]), d["trt"], xb, d["exposure"],
                      d["interval"], d["edges"], d["event"], d["w"],
                      logp=make_piecewise_logp(False), random=piecewise_random,
                      signature="(j),(h),(n),(n),(n,j),(n,j),(c),(n),(n)->(n)",
                      observed=d["t_obs"])
    return m


def _compile(model: str, options: dict | None, values: dict):
    import nutpie

    from bayeshcc.bayes.models import build_model

    n_covariates = values["X"].shape[1]
    if model == "weibull":
        pm_model = build_model("weibull", values, n_covariates)
        start = {"log_hr": 0.0, "log_rate": 0.0}
    elif options["walk"] == "package":
        j = values["exposure"].shape[1]
        pm_model = build_model("piecewise", values, n_covariates, j)
        start = {"log_hr": 0.0, "alpha": np.zeros(j)}
    else:
        pm_model = variant_model(options, values, n_covariates, values["exposure"].shape[1])
        start = {"log_hr": 0.0, "alpha_first": 0.0}
    return nutpie.compile_pymc_model(pm_model, freeze_model=False, initial_points=start)


def _sample(compiled, values: dict, seed: int, target_accept: float, adaptation: str):
    import arviz as az
    import nutpie
    from threadpoolctl import threadpool_limits

    known = {var.name for var in compiled.shared_var_keys}
    compiled = compiled.with_data(**{k: v for k, v in values.items() if k in known})
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        tree = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, cores=4, seed=seed,
                             progress_bar=False, save_warmup=True, target_accept=target_accept,
                             adaptation=adaptation)
    seconds = time.perf_counter() - start
    stats = tree["sample_stats"]
    ess = float(np.asarray(az.ess(tree, var_names=["log_hr"], method="bulk")["log_hr"]))
    gradients = sum(int(np.asarray(tree[group]["n_steps"].values).sum())
                    for group in ("warmup_sample_stats", "sample_stats"))
    from bayeshcc.bayes.diagnostics import check_convergence

    return {"sample_s": seconds, "ess_bulk": ess, "gradients": gradients,
            "reliable": bool(check_convergence(tree).reliable),
            "divergences": int(np.asarray(stats["diverging"].values).sum()),
            "steps_per_draw": float(np.asarray(stats["n_steps"].values).mean())}


def run(names=None, repeats: int = 2, outcomes=("os", "pfs"),
        intervals: int | None = None) -> list[dict]:
    """Weibull and piecewise candidates on the bundled cohort, side by side (see module doc).

    Each (candidate, outcome) is fitted ``repeats`` times with seeds 1.. on the re-used compiled
    model after one untimed warm fit; ESS and seconds are summed over the repeats.
    """
    from bayeshcc.bayes import fit as fit_mod

    candidates = [("weibull", None)] + [("piecewise", n) for n in (names or VARIANTS)]
    rows = []
    for model, name in candidates:
        options = {} if name is None else VARIANTS[name]
        j = intervals or options.get("intervals", 6)
        compiled = None
        for outcome in outcomes:
            values = _values(model, outcome, j)
            target_accept = options.get("target_accept", fit_mod.target_accept(model))
            adaptation = options.get("adaptation", fit_mod.adaptation(model))
            if compiled is None:
                compiled = _compile(model, options, values)
                _sample(compiled, values, 0, target_accept, adaptation)  # warm, untimed
            fits = [_sample(compiled, values, seed, target_accept, adaptation)
                    for seed in range(1, repeats + 1)]
            row = {"model": model, "variant": name or "weibull", "outcome": outcome,
                   "sample_s": sum(f["sample_s"] for f in fits),
                   "min_ess_bulk_log_hr": min(f["ess_bulk"] for f in fits),
                   "ess_bulk_per_s_log_hr": (sum(f["ess_bulk"] for f in fits)
                                             / sum(f["sample_s"] for f in fits)),
                   "ess_per_1k_gradients": (1000 * sum(f["ess_bulk"] for f in fits)
                                            / sum(f["gradients"] for f in fits)),
                   "divergences": sum(f["divergences"] for f in fits),
                   "unreliable_fits": sum(not f["reliable"] for f in fits),
                   "steps_per_draw": float(np.mean([f["steps_per_draw"] for f in fits]))}
            rows.append(row)
    weibull = {r["outcome"]: r["ess_bulk_per_s_log_hr"] for r in rows if r["model"] == "weibull"}
    per_gradient = {r["outcome"]: r["ess_per_1k_gradients"] for r in rows
                    if r["model"] == "weibull"}
    for r in rows:
        r["ratio_to_weibull"] = r["ess_bulk_per_s_log_hr"] / weibull[r["outcome"]]
        r["gradient_ratio_to_weibull"] = r["ess_per_1k_gradients"] / per_gradient[r["outcome"]]
    return rows


def bench_piecewise_variants() -> list[dict]:
    """``python -m benchmarks`` entry: the Weibull, the package's piecewise model and the one it
    replaced, on the bundled cohort (see the module docstring)."""
    return run(["package", "former"], repeats=2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.piecewise_variants",
                                     description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(VARIANTS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--outcomes", nargs="*", default=["os", "pfs"],
                        help="os, pfs, sim:N:SEED (weighted, 8 covariates) or fits:N:SEED "
                             "(weighted, as benchmark fits)")
    parser.add_argument("--intervals", type=int, help="for every candidate (default 6)")
    args = parser.parse_args(argv)
    rows = run(args.only, args.repeats, args.outcomes, args.intervals)
    for r in rows:
        print(f"{r['variant']:>20} {r['outcome']:>4}  ESS/s {r['ess_bulk_per_s_log_hr']:8.0f}  "
              f"ratio {r['ratio_to_weibull']:.3f}  per-gradient ratio "
              f"{r['gradient_ratio_to_weibull']:.3f}  min ESS {r['min_ess_bulk_log_hr']:6.0f}  "
              f"div {r['divergences']:3d}  unreliable {r['unreliable_fits']}  steps/draw {r['steps_per_draw']:5.1f}  "
              f"s {r['sample_s']:.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
