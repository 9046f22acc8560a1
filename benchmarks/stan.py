"""Benchmark 5: bayeshcc (nutpie) vs brms (rstan) on the same weighted Weibull PH model.

Data: ``benchmarks.fits._simulate`` (8 covariates, inverse-probability weights) at N = 126 and
2 000. Both sides see the same numbers: bayeshcc takes the raw arrays and prepares them itself
(time / mean time, standardised covariates, weights normalised to sum to the Kish ESS); brms is
given those prepared arrays (:func:`bayeshcc.bayes.data.prepare`), so both likelihoods are
identical up to parametrisation.

Model correspondence: bayeshcc is Weibull PH, h(t) = k t^(k-1) exp(log_rate + beta trt + x'b);
brms's ``weibull`` family is AFT with a log link on the mean, so the PH log HR is
``-shape * b_trt`` per draw (see ``benchmarks/brms_weibull.R``).

Priors: both "vague", and not identical. bayeshcc ``vague``: log HR ~ N(0, 10), coefficients
~ N(0, 10) on the PH scale, log k ~ N(0, 0.5), log_rate ~ N(log(events / exposure), 2). brms:
b ~ N(0, 10) on the AFT scale (a PH-scale SD of about 10 k), shape ~ lognormal(0, 0.5) (the
same as log k ~ N(0, 0.5)), Intercept ~ N(-log(events / exposure), 2) (mirrors the log-rate
prior exactly only at k = 1; brms centres the predictors). Vague in different
parametrisations is not the same prior: a flat prior on the 9 AFT coefficients a_j = -beta_j / k
is, on the PH scale, a flat prior times k^-9 (the Jacobian of beta = -k a), which pulls the
shape down and, through its posterior correlation with the log HR, moves the HR at small N.
Both medians are therefore also shown beside the weighted maximum-likelihood HR
(:func:`weighted_weibull_mle`, = R ``survreg``) and the shape medians beside each other; the
difference shrinks with N as the likelihood dominates.

Timing: each tool fits each N in a fresh process (imports, compilation and sampling included);
"time to first posterior" is that process's wall time as seen from here. ESS/s is the min bulk
ESS of the log HR (the only quantity compared; brms's from ``posterior::ess_bulk``, checked
against ArviZ on the same draws) divided by the sampling wall time, as in
:mod:`benchmarks.fits`. Same chains (4, run in parallel by both), draws and warm-up
(1000 / 1000) and target acceptance (0.9, bayeshcc's Weibull setting).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = (126, 2_000)
CHAINS, DRAWS, WARMUP = 4, 1000, 1000
TARGET_ACCEPT = 0.9  # bayeshcc.bayes.fit.TARGET_ACCEPT["weibull"]
SEED = 11
R_TIMEOUT_S = 1200
R_SCRIPT = Path(__file__).with_name("brms_weibull.R")


def brms_available() -> tuple[bool, str]:
    """Whether ``Rscript`` is on PATH and brms and posterior load; else why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False, "Rscript is not on PATH"
    check = subprocess.run([rscript, "-e", 'quit(status = as.integer(!all(vapply(c("brms", '
                            '"posterior", "jsonlite"), requireNamespace, logical(1), '
                            'quietly = TRUE))))'], capture_output=True, timeout=120)
    if check.returncode != 0:
        return False, ("R packages brms, posterior or jsonlite are missing (Debian: apt-get "
                       "install r-cran-brms r-cran-posterior)")
    return True, rscript


def write_data(folder: Path, n: int, seed: int = 1) -> tuple[Path, Path]:
    """The simulated data twice: raw (for bayeshcc) and as bayeshcc's sampler sees it (for brms)."""
    import pandas as pd

    from bayeshcc.bayes.data import prepare
    from benchmarks.fits import _simulate

    time_, event, trt, X, w = _simulate(n, seed=seed)
    raw = pd.DataFrame({"time": time_, "event": event, "trt": trt, "w": w}
                       | {f"x{i}": X[:, i] for i in range(X.shape[1])})
    d = prepare(time_, event, trt, X, tuple(f"x{i}" for i in range(X.shape[1])), w)
    prepared = pd.DataFrame({"y": d.scaled_time, "event": d.event.astype(int),
                             "trt": d.treated.astype(int), "w": d.weights}
                            | {f"z{i}": d.X[:, i] for i in range(d.X.shape[1])})
    paths = folder / f"raw_{n}.csv", folder / f"prepared_{n}.csv"
    raw.to_csv(paths[0], index=False, float_format="%.17g")
    prepared.to_csv(paths[1], index=False, float_format="%.17g")
    return paths


def weighted_weibull_mle(prepared: Path) -> float:
    """HR of the weighted Weibull PH maximum-likelihood fit of the prepared data: the anchor
    both vague-prior posterior medians should be near.

    .. math:: \\ell = \\sum_i w_i \\{d_i (\\log k + (k - 1) \\log t_i + \\eta_i)
              - t_i^k e^{\\eta_i}\\}, \\quad \\eta_i = \\lambda + \\beta\\,trt_i + z_i' b

    R: ``survreg(Surv(y, event) ~ trt + ..., weights = w, dist = "weibull")``, HR =
    ``exp(-coef["trt"] / fit$scale)``.
    """
    import pandas as pd
    from scipy.optimize import minimize

    d = pd.read_csv(prepared)
    y, event, trt, w = (d[c].to_numpy(float) for c in ("y", "event", "trt", "w"))
    Z = d[[c for c in d.columns if c.startswith("z")]].to_numpy(float)

    def nll(p):
        log_k, lam, beta, b = p[0], p[1], p[2], p[3:]
        eta = lam + beta * trt + Z @ b
        return -np.sum(w * (event * (log_k + (np.exp(log_k) - 1) * np.log(y) + eta)
                            - np.exp(eta + np.exp(log_k) * np.log(y))))

    return float(np.exp(minimize(nll, np.zeros(3 + Z.shape[1]), method="BFGS").x[2]))


def _bayeshcc_child(data: str, out: str, seed: int) -> None:
    """Fit the weighted Weibull PH model with the vague prior; write timings and log HR draws."""
    import pandas as pd

    from bayeshcc.bayes.fit import fit_survival_model
    from bayeshcc.bayes.priors import BUILT_IN

    d = pd.read_csv(data)
    xs = [c for c in d.columns if c.startswith("x")]
    fit = fit_survival_model("weibull", d["time"], d["event"], d["trt"], X=d[xs].to_numpy(),
                             covariate_names=tuple(xs), weights=d["w"], prior=BUILT_IN["vague"],
                             draws=DRAWS, tune=WARMUP, chains=CHAINS, seed=seed)
    post = fit.posterior["posterior"]
    divergences = int(np.asarray(fit.posterior["sample_stats"]["diverging"].values).sum())
    Path(out).write_text(json.dumps({**fit.timings, "divergences": divergences,
                                     "shape_median": float(np.median(post["shape"].values)),
                                     "log_hr": post["log_hr"].values.tolist()}))


def _run(cmd: list[str], timeout: float) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()[-2000:]}")
    return time.perf_counter() - start


def summarise_draws(log_hr: np.ndarray) -> dict:
    """Median and 95 % interval of the HR; bulk ESS, R-hat and Monte Carlo SE of the median of
    the log HR (chains x draws)."""
    import arviz as az

    hr = np.exp(log_hr.ravel())
    lo, med, hi = np.quantile(hr, [0.025, 0.5, 0.975])
    return {"hr_median": float(med), "hr_lower": float(lo), "hr_upper": float(hi),
            "ess_bulk": float(az.ess(log_hr, method="bulk")), "rhat": float(az.rhat(log_hr)),
            "mcse_log_median": float(az.mcse(log_hr, method="median"))}


def compare(n: int, rscript: str, folder: Path) -> dict:
    """Fit N simulated patients with both tools, each in a fresh process; one table row."""
    raw, prepared = write_data(folder, n)
    ours_json, brms_json = folder / f"bayeshcc_{n}.json", folder / f"brms_{n}.json"
    code = f"from benchmarks.stan import _bayeshcc_child; _bayeshcc_child({str(raw)!r}, " \
           f"{str(ours_json)!r}, {SEED})"
    ours_wall = _run([sys.executable, "-c", code], R_TIMEOUT_S)
    brms_wall = _run([rscript, str(R_SCRIPT), str(prepared), str(brms_json), str(SEED),
                      str(CHAINS), str(DRAWS), str(WARMUP), str(TARGET_ACCEPT)], R_TIMEOUT_S)
    ours, theirs = json.loads(ours_json.read_text()), json.loads(brms_json.read_text())
    a = summarise_draws(np.asarray(ours["log_hr"]))
    b = summarise_draws(np.asarray(theirs["log_hr"]))
    ours_rate = a["ess_bulk"] / ours["sample_s"]
    brms_rate = theirs["ess_bulk_log_hr"] / theirs["sample_s"]
    se = np.hypot(*(np.log(s["hr_upper"] / s["hr_lower"]) / 3.92 for s in (a, b)))
    return {"n": n,
            "bayeshcc_first_posterior_s": ours_wall, "brms_first_posterior_s": brms_wall,
            "time_ratio_brms_over_bayeshcc": brms_wall / ours_wall,
            "bayeshcc_compile_s": ours["compile_s"], "brms_compile_s": theirs["compile_s"],
            "bayeshcc_sample_s": ours["sample_s"], "brms_sample_s": theirs["sample_s"],
            "bayeshcc_ess_bulk": a["ess_bulk"], "brms_ess_bulk": theirs["ess_bulk_log_hr"],
            "brms_ess_bulk_arviz": b["ess_bulk"],
            "bayeshcc_ess_per_s": ours_rate, "brms_ess_per_s": brms_rate,
            "ess_per_s_ratio_bayeshcc_over_brms": ours_rate / brms_rate,
            "bayeshcc_hr_median": a["hr_median"], "brms_hr_median": b["hr_median"],
            "weighted_mle_hr": weighted_weibull_mle(prepared),
            "bayeshcc_shape_median": ours["shape_median"], "brms_shape_median": theirs["shape_median"],
            "bayeshcc_hr_95": f"{a['hr_lower']:.3f}-{a['hr_upper']:.3f}",
            "brms_hr_95": f"{b['hr_lower']:.3f}-{b['hr_upper']:.3f}",
            "hr_median_rel_diff": b["hr_median"] / a["hr_median"] - 1,
            # difference of the log medians in units of the posterior SD (both combined)
            "log_median_diff_in_sd": float(np.log(b["hr_median"] / a["hr_median"]) / se),
            # ... and in units of its Monte Carlo SE: |z| < 2 is agreement within sampling noise
            "log_median_diff_mcse_z": float(np.log(b["hr_median"] / a["hr_median"])
                                            / np.hypot(a["mcse_log_median"], b["mcse_log_median"])),
            "bayeshcc_divergences": ours["divergences"], "brms_divergences": theirs["divergences"],
            "rhat_max": max(a["rhat"], b["rhat"])}


def bench_stan(sizes=SIZES) -> list[dict]:
    """bayeshcc vs brms at each N; no rows (and one message) when R or brms is absent."""
    ok, detail = brms_available()
    if not ok:
        print(f"   skipped: brms comparison needs R with brms ({detail})", flush=True)
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows.append(compare(n, detail, Path(tmp)))
    return rows
