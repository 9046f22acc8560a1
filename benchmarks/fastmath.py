"""Benchmark 13: sampling speed with PyTensor's numba ``fastmath`` on (its default) and off.

With fastmath on, LLVM may reassociate and contract floating-point operations, and how it does
depends on what is compiled together in the process: a ``reproduce`` whose PyTensor numba cache
starts empty gave draws that differ in the last bits from the same run with that cache warm
(and, through NUTS's discrete tree decisions, visibly different piecewise posteriors: 18 of 24
tables differ), while with fastmath off the two runs were equal in every table. This measures
what fastmath buys: the sampling time of the same fits in fresh processes, fastmath on / off,
alternated within each repeat (same load on the machine), with warm caches for both settings;
the ratio is within one repeat, then its median over the repeats.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import hashlib, json, sys
from benchmarks.fits import _simulate
from bayeshcc.bayes.fit import fit_survival_model
model, n = sys.argv[1], int(sys.argv[2])
t, e, trt, X, w = _simulate(n, seed=1)
fit = fit_survival_model(model, t, e, trt, X=X, weights=w, seed=7, intervals=10, draws=1000,
                         tune=1000, chains=2)
draws = fit.posterior["posterior"]["log_hr"].values
print("ROW" + json.dumps({"sample_s": fit.timings["sample_s"],
                          "draws_sha": hashlib.sha256(draws.tobytes()).hexdigest()[:12]}),
      flush=True)
"""

CASES = (("weibull", 3000), ("piecewise", 500))


def _child(model: str, n: int, fastmath: bool, pytensor_dir: Path, cache: Path) -> dict:
    env = {**os.environ, "BAYESHCC_CACHE_DIR": str(cache),
           "PYTENSOR_FLAGS": f"base_compiledir={pytensor_dir},numba__fastmath={fastmath}"}
    done = subprocess.run([sys.executable, "-c", CHILD, model, str(n)], env=env,
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    return json.loads(next(x for x in done.stdout.splitlines() if x.startswith("ROW"))[3:])


def bench_fastmath(repeats: int = 3) -> dict:
    """Sampling time fastmath off / on per case, and whether a fit's draws depend on it."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {f: (Path(tmp) / f"pt-{f}", Path(tmp) / f"bh-{f}") for f in (True, False)}
        for model, n in CASES:
            first = {f: _child(model, n, f, *folders[f]) for f in (True, False)}  # compiles
            ratios, times = [], {True: [], False: []}
            for _ in range(repeats):
                row = {f: _child(model, n, f, *folders[f]) for f in (True, False)}
                for f in (True, False):
                    times[f].append(row[f]["sample_s"])
                ratios.append(row[False]["sample_s"] / row[True]["sample_s"])
            out[f"{model}_{n}"] = {
                "sample_s_fastmath_on": times[True], "sample_s_fastmath_off": times[False],
                "ratio_off_over_on_median": statistics.median(ratios),
                "ratios": ratios,
                "draws_equal_on_vs_off": first[True]["draws_sha"] == first[False]["draws_sha"]}
    return out


if __name__ == "__main__":
    print(json.dumps(bench_fastmath(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
