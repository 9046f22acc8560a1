"""Benchmarks 2, 4 and 6: per-fit compile and sampling time, min bulk ESS/s of the log HR,
first fit vs a fit re-using the compiled model, scaling with N, and the gradient floor."""

from __future__ import annotations

import os
import resource
import time
from contextlib import contextmanager

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


@contextmanager
def compile_cache_off():
    """Without the on-disk compiled-model cache: "first fit" then means a numba compile
    (benchmark ``compile_cache`` measures the cache itself)."""
    old = os.environ.get("BAYESHCC_CACHE_DIR")
    os.environ["BAYESHCC_CACHE_DIR"] = "off"
    try:
        yield
    finally:
        if old is None:
            del os.environ["BAYESHCC_CACHE_DIR"]
        else:
            os.environ["BAYESHCC_CACHE_DIR"] = old


def bench_fits() -> list[dict]:
    """First fit (compiles) vs second fit with new data (re-uses the compiled model)."""
    with compile_cache_off():
        return _bench_fits()


def _bench_fits() -> list[dict]:
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


def scaling_case(model: str, n: int) -> dict:
    """One weighted fit with 8 covariates (run in its own process by :func:`bench_scaling`)."""
    from bayeshcc.bayes.diagnostics import check_convergence
    from bayeshcc.bayes.fit import fit_survival_model

    time_, event, trt, X, w = _simulate(n)
    start = time.perf_counter()
    fit = fit_survival_model(model, time_, event, trt, X=X, covariate_names=tuple(
        f"x{i}" for i in range(8)), weights=w, seed=3, intervals=10)
    conv = check_convergence(fit.posterior)
    return {"model": model, "n": n, "wall_s": time.perf_counter() - start,
            "compile_s": fit.timings["compile_s"], "sample_s": fit.timings["sample_s"],
            "ess_bulk_per_s_log_hr": _ess_per_s(fit), "reliable": bool(conv.reliable),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def bench_scaling(sizes=(126, 2_000, 20_000, 200_000)) -> list[dict]:
    """Weighted Weibull PH and piecewise (10 intervals), 8 covariates, at growing N.

    Each case runs in a fresh process, so its peak RSS is its own and compile time is included
    in its wall time (reported apart as ``compile_s``).
    """
    import json
    import subprocess
    import sys

    rows = []
    for n in sizes:
        for model in ("weibull", "piecewise"):
            code = ("import json; from benchmarks.fits import scaling_case; "
                    f"print('ROW' + json.dumps(scaling_case({model!r}, {n})))")
            with compile_cache_off():  # compile_s stays a numba compile
                done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True)
            line = next(x for x in done.stdout.splitlines() if x.startswith("ROW"))
            rows.append(json.loads(line[3:]))
            print("   ", rows[-1], flush=True)
    return rows


def _compiled_logp_call(compiled):
    """nutpie's compiled (numba) log density + gradient as a ctypes call at the origin.

    This is the function the sampler calls once per leapfrog step; calling it from Python
    through ctypes adds about a microsecond, which is stated beside the figures.
    """
    import ctypes

    x, grad, logp = np.zeros(compiled.n_dim), np.zeros(compiled.n_dim), np.zeros(())
    pointer = ctypes.POINTER(ctypes.c_double)
    args = (compiled.n_dim, x.ctypes.data_as(pointer), grad.ctypes.data_as(pointer),
            logp.ctypes.data_as(pointer), ctypes.c_void_p(compiled.user_data.ctypes.data))
    # nutpie's C signature (int64(uint64, double*, double*, double*, void*)) at the callback's
    # address: a compiled numba cfunc and a callback loaded from the compile cache alike
    function = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, pointer, pointer, pointer,
                                ctypes.c_void_p)(compiled.compiled_logp_func.address)
    if function(*args) != 0:
        raise RuntimeError("the compiled log density failed at the origin")
    return lambda: function(*args), (x, grad, logp)


def bench_gradient_floor(sizes=(126, 2_000, 20_000)) -> list[dict]:
    """One log-density + gradient evaluation vs the sampler's CPU time per gradient.

    The floor is nutpie's compiled log density and gradient (the very function its NUTS loop
    calls), timed in a tight loop. The sampler's cost per gradient is its wall time times the
    cores it used, divided by the leapfrog steps of warm-up and sampling together (counted
    from the saved warm-up and posterior ``n_steps``).
    """
    import os

    import nutpie
    from threadpoolctl import threadpool_limits

    from bayeshcc.bayes import fit as fit_mod

    cores = min(4, os.cpu_count() or 1)
    rows = []
    for model in ("weibull", "piecewise"):
        for n in sizes:
            time_, event, trt, X, w = _simulate(n)
            fit_mod._COMPILED.clear()  # the cached model then holds exactly these data
            fit_mod.fit_survival_model(model, time_, event, trt, X=X, weights=w, seed=4,
                                       intervals=10, draws=100, tune=100, chains=1,
                                       covariate_names=tuple(f"x{i}" for i in range(8)))
            compiled = next(iter(fit_mod._COMPILED.values()))
            call, _keep_alive = _compiled_logp_call(compiled)
            reps = max(50, int(2e6 / n))
            with threadpool_limits(limits=1, user_api="blas"):  # as fit_survival_model samples
                start = time.perf_counter()
                for _ in range(reps):
                    call()
                per_eval = (time.perf_counter() - start) / reps
                start = time.perf_counter()
                tree = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, cores=4, seed=4,
                                     progress_bar=False, save_warmup=True,
                                     target_accept=fit_mod.TARGET_ACCEPT[model],
                                     adaptation=fit_mod.adaptation(model))
                wall = time.perf_counter() - start
            steps = sum(int(np.asarray(tree[group]["n_steps"].values).sum())
                        for group in ("warmup_sample_stats", "sample_stats"))
            sampler_per_grad = wall * cores / steps
            rows.append({"model": model, "n": n, "logp_grad_us": per_eval * 1e6,
                         "sampler_per_grad_us": sampler_per_grad * 1e6,
                         "ratio": sampler_per_grad / per_eval, "gradient_evaluations": steps,
                         "sample_wall_s": wall})
            print("   ", rows[-1], flush=True)
    return rows
