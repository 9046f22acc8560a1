"""Benchmark 7: time to the first posterior in a fresh process, cold vs warm compiled-model cache.

Each repeat uses new, empty cache folders and runs three fresh processes of the same fit, in
this order:

* ``cold``: no cache at all (PyTensor's numba cache in a new folder, ``BAYESHCC_CACHE_DIR=off``):
  the first fit ever on a machine;
* ``pytensor_cache``: PyTensor's numba cache warm (it is on by default), no bayeshcc cache: what
  a second ``bayeshcc analyze`` paid before the on-disk cache; it writes the bayeshcc cache;
* ``warm``: both caches warm: a second ``analyze`` now.

Time to first posterior is measured by the parent from starting the interpreter to the child
printing its result (imports included); ``compile_s`` is the child's own compile (or load) time.
Ratios are within one repeat (same load on the machine), then their median.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from benchmarks.fits import _simulate
from bayeshcc.bayes.fit import fit_survival_model
t, e, trt, X, w = _simulate(126, seed=1)
fit = fit_survival_model(sys.argv[1], t, e, trt, weights=w, seed=7, intervals=10, draws=300,
                         tune=300, chains=2)
print("ROW" + json.dumps({"done": time.time(), "compile_s": fit.timings["compile_s"],
                          "sample_s": fit.timings["sample_s"],
                          "source": fit.timings["compile_cache"]}), flush=True)
"""

RUNS = ("cold", "pytensor_cache", "warm")


def _child(model: str, pytensor_dir: Path, cache: str) -> dict:
    env = {**os.environ, "BAYESHCC_CACHE_DIR": cache,
           "PYTENSOR_FLAGS": f"base_compiledir={pytensor_dir}"}
    start = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD, model], env=env, capture_output=True,
                          text=True, check=True, cwd=Path(__file__).parents[1])
    row = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("ROW"))[3:])
    row["first_posterior_s"] = row.pop("done") - start
    return row


def bench_compile_cache(models=("weibull", "piecewise"), repeats: int = 3) -> list[dict]:
    """Fresh-process time to first posterior: cold, PyTensor cache only, bayeshcc cache warm."""
    import statistics

    rows = []
    for model in models:
        ratios = {"cold": [], "pytensor_cache": []}
        compile_ratios = {"cold": [], "pytensor_cache": []}
        for repeat in range(repeats):
            with tempfile.TemporaryDirectory(prefix="bayeshcc-bench-") as tmp:
                pytensor_dir, cache = Path(tmp) / "pytensor", Path(tmp) / "bayeshcc"
                runs = {"cold": _child(model, pytensor_dir, "off")}
                runs["pytensor_cache"] = _child(model, pytensor_dir, str(cache))
                runs["warm"] = _child(model, pytensor_dir, str(cache))
            assert [runs[r]["source"] for r in RUNS] == ["uncached", "compiled", "disk"], runs
            for run in RUNS:
                rows.append({"model": model, "repeat": repeat, "run": run, **runs[run]})
                print("   ", rows[-1], flush=True)
            for run in ratios:
                ratios[run].append(runs[run]["first_posterior_s"]
                                   / runs["warm"]["first_posterior_s"])
                compile_ratios[run].append(runs[run]["compile_s"] / runs["warm"]["compile_s"])
        for run in ratios:
            rows.append({"model": model, "run": f"ratio_{run}_to_warm",
                         "first_posterior_median": statistics.median(ratios[run]),
                         "first_posterior": [round(v, 2) for v in ratios[run]],
                         "compile_median": statistics.median(compile_ratios[run]),
                         "compile": [round(v, 2) for v in compile_ratios[run]]})
            print("   ", rows[-1], flush=True)
    return rows
