"""Benchmarks 2, 4 and 6: per-fit compile and sampling time, min bulk ESS/s of the log HR,
first fit vs a fit re-using the compiled model, scaling with N, and the gradient floor."""

from __future__ import annotations

import resource
import time

import arviz as az
import numpy as np


def _simulate(n: int, k: int = 8, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    trt = (rng.uniform(size=n) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
    lp = np.log(0.1) - 0.5 * trt + X @ np.linspace(0.3, -0.3, k)
    t = (-np.log(rng.uniform(size=n)) * np.exp(-lp)) ** (1 / 1.2)
    c = rng.uniform(2, 20, n)
    ps = 1 / (1 + np.exp(-X[:, 0]))
    w = np.where(trt == 1, 1 / ps, 1 / (1 - ps))
    return np.minimum(t, c), (t <= c).astype(float), trt, X, w


def _ess_per_s(fit) -> float:
    ess = float(np.asarray(az.ess(fit.posterior, var_names=["log_hr"], method="bulk")["log_hr"]))
    return ess / fit.timings["sample_s"]


def bench_fits() -> list[dict]:
    """First fit (compiles) vs second fit with new data (re-uses the compiled model)."""
    from bayeshcc.bayes import fit as fit_mod

    rows = []
    for model in ("weibull", "piecewise"):
        fit_mod._COMPILED.clear()
        for label, seed in (("first", 1), ("reuse", 2)):
            time_, event, trt, X, w = _simulate(126, seed=seed)
            start = time.perf_counter()
            fit = fit_mod.fit_survival_model(model, time_, event, trt, weights=w, seed=seed,
                                             intervals=10)
            rows.append({"model": model, "fit": label, "wall_s": time.perf_counter() - start,
                         "compile_s": fit.timings["compile_s"], "sample_s": fit.timings["sample_s"],
                         "ess_bulk_per_s_log_hr": _ess_per_s(fit)})
    return rows


def bench_scaling(sizes=(126, 2_000, 20_000, 200_000)) -> list[dict]:
    """Weighted Weibull PH and piecewise (10 intervals), 8 covariates, at growing N."""
    from bayeshcc.bayes.fit import fit_survival_model

    rows = []
    for n in sizes:
        time_, event, trt, X, w = _simulate(n)
        for model in ("weibull", "piecewise"):
            start = time.perf_counter()
            fit = fit_survival_model(model, time_, event, trt, X=X, covariate_names=tuple(
                f"x{i}" for i in range(8)), weights=w, seed=3, intervals=10)
            rows.append({"model": model, "n": n, "wall_s": time.perf_counter() - start,
                         "sample_s": fit.timings["sample_s"],
                         "ess_bulk_per_s_log_hr": _ess_per_s(fit),
                         "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            print("   ", rows[-1], flush=True)
    return rows


def bench_gradient_floor() -> list[dict]:
    """One log-density + gradient evaluation vs the sampler's wall time per gradient."""

    from bayeshcc.bayes.data import prepare
    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.models import build_model, data_values
    from bayeshcc.bayes.priors import BUILT_IN

    rows = []
    for n in (126, 20_000):
        time_, event, trt, X, w = _simulate(n)
        fit = fit_survival_model("weibull", time_, event, trt, weights=w, seed=4)
        steps = int(np.asarray(fit.posterior["sample_stats"]["n_steps"].values).sum())
        data = prepare(time_, event, trt, weights=w)
        model = build_model("weibull", data_values("weibull", data, BUILT_IN["weakly_informative"], None), 0)
        logp, dlogp = model.compile_logp(), model.compile_dlogp()
        point = model.initial_point()
        reps = 2000 if n < 1000 else 200
        start = time.perf_counter()
        for _ in range(reps):
            logp(point)
            dlogp(point)
        per_eval = (time.perf_counter() - start) / reps
        import os

        # n_steps counts post-warmup steps; warm-up (tune = draws) takes about as many again.
        # Chains run in parallel on min(chains, cores) cores: CPU-seconds per gradient.
        cores = min(4, os.cpu_count() or 1)
        sampler_per_grad = fit.timings["sample_s"] * cores / max(2 * steps, 1)
        rows.append({"n": n, "logp_grad_us": per_eval * 1e6, "sampler_per_grad_us": sampler_per_grad * 1e6,
                     "ratio": sampler_per_grad / per_eval, "gradient_evaluations": steps})
    return rows
