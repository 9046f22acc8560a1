"""The calibration's automatic derivatives against the families' hand-derived ones.

``python -m benchmarks.calibration_derivatives [--n N] [--b B] [--repeats R]``; ``python -m
benchmarks --only calibration_derivatives``.

A family without :class:`~bayeshcc.bayes.families.base.AnalyticDerivatives` is calibrated with
the PyTensor automatic derivatives of :mod:`bayeshcc.bayes.families.derivatives`. For the
Weibull and the piecewise family (6 intervals), on a simulated cohort of N patients with 4
covariates, this measures both ways of :func:`~bayeshcc.bayes.families.derivatives.batched_sums`
at B parameter vectors with B rows of weights (one block of the jackknife's leave-one-out
refits, or of the averages over posterior draws) and of
:func:`~bayeshcc.bayes.families.derivatives.scores_and_hessian` at one vector: the best of R
timed calls after one untimed call (the automatic derivatives' compilation is timed apart,
``compile_s``), the ratio automatic / analytic, and the largest difference relative to the
largest analytic value. A last row per family times what the ratio costs a calibration: the
whole leave-one-out jackknife (:func:`bayeshcc.bayes.calibration.jackknife_covariance`, weights
held fixed, N leave-outs), once with the family's formulas and once with the family registered
without them (:func:`~bayeshcc.bayes.families.derivatives.without_analytic_derivatives`).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

N, B, REPEATS, COVARIATES, INTERVALS = 3000, 200, 5, 4, 6


def _cohort(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = rng.exponential(size=n) + 0.01
    d = (rng.random(n) < 0.7).astype(float)
    trt = (rng.random(n) < 0.5).astype(float)
    return rng, t, d, trt, rng.normal(size=(n, COVARIATES))


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _relative(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(a)))


def bench_calibration_derivatives(n: int = N, b: int = B, repeats: int = REPEATS) -> list[dict]:
    """One row per family and function (module docstring)."""
    from bayeshcc.bayes.families import derivatives, get_family

    rng, t, d, trt, X = _cohort(n)
    cuts = np.quantile(t, np.linspace(0, 1, INTERVALS + 1)[1:-1])
    rows = []
    for name in ("weibull", "piecewise"):
        family = get_family(name)
        c = cuts if name == "piecewise" else None
        p = len(derivatives.parameter_names(family, COVARIATES, INTERVALS))
        theta = rng.normal(0, 0.2, p)
        thetas = theta + rng.normal(0, 0.05, (b, p))
        W = rng.uniform(0, 2, (b, n))
        w = W[0]
        start = time.perf_counter()
        derivatives.autodiff_batched_sums(family, thetas[:1], W[:1], t, d, trt, X, c)
        derivatives.autodiff_scores_and_hessian(family, theta, t, d, trt, X, c, w)
        compile_s = time.perf_counter() - start
        cases = {
            "batched_sums": (lambda: family.batched_sums(thetas, W, t, d, trt, X, c),
                             lambda: derivatives.autodiff_batched_sums(family, thetas, W, t, d,
                                                                       trt, X, c)),
            "scores_and_hessian": (lambda: family.scores_and_hessian(theta, t, d, trt, X, c, w),
                                   lambda: derivatives.autodiff_scores_and_hessian(
                                       family, theta, t, d, trt, X, c, w)),
        }
        for function, (analytic, automatic) in cases.items():
            exact, auto = analytic(), automatic()
            error = max(_relative(x, y) for x, y in zip(exact, auto))
            analytic_s, automatic_s = _best(analytic, repeats), _best(automatic, repeats)
            rows.append({"family": name, "function": function, "n": n,
                         "b": b if function == "batched_sums" else 1, "p": p,
                         "analytic_s": analytic_s, "automatic_s": automatic_s,
                         "ratio": automatic_s / analytic_s, "relative_difference": error,
                         "compile_s": compile_s})
        rows.append(_jackknife(name, t, d, trt, X, c, w, theta))
    return rows


def _jackknife(name, t, d, trt, X, cuts, w, theta) -> dict:
    """The jackknife's time with the family's own derivatives and with the automatic ones."""
    from types import SimpleNamespace

    from bayeshcc.bayes import calibration
    from bayeshcc.bayes.data import prepare
    from bayeshcc.bayes.families import FAMILIES, derivatives

    data = prepare(t, d, trt, X, tuple(f"x{i}" for i in range(X.shape[1])), w, time_scale=1.0)
    fit = SimpleNamespace(model=name, data=data, cuts=cuts)
    design = calibration.CalibrationDesign("jackknife")
    theta = theta.copy()
    for _ in range(30):                                   # the weighted MLE, where it starts
        grad, neg = FAMILIES[name].batched_sums(theta, data.weights[None], data.scaled_time,
                                                data.event, data.treated, data.X, cuts)
        theta = theta + np.linalg.solve(neg[0], grad[0])
    family = FAMILIES[name]
    start = time.perf_counter()
    analytic = calibration.jackknife_covariance(fit, design, theta)
    analytic_s = time.perf_counter() - start
    FAMILIES[name] = derivatives.without_analytic_derivatives(family)
    try:
        start = time.perf_counter()
        automatic = calibration.jackknife_covariance(fit, design, theta)
        automatic_s = time.perf_counter() - start
    finally:
        FAMILIES[name] = family
    return {"family": name, "function": "jackknife_covariance", "n": t.size, "b": t.size,
            "p": theta.size, "analytic_s": analytic_s, "automatic_s": automatic_s,
            "ratio": automatic_s / analytic_s,
            "relative_difference": _relative(analytic, automatic), "compile_s": 0.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=N)
    parser.add_argument("--b", type=int, default=B)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    for row in bench_calibration_derivatives(args.n, args.b, args.repeats):
        print(", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
