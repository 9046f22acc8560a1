"""Benchmark 11: ``bayeshcc warmup`` -- the first ``analyze`` on a fresh machine, and a portable
compiled-model cache.

Two measurements, each a ratio of two alternatives timed alternately in the same run:

(a) ``first_analyze``: ``bayeshcc analyze`` of a one-fit spec (the bundled cohort, overall
    survival, ATE-weighted Weibull, prior ``vague``; tables, propensity model, the fit, figures,
    report) in a fresh process whose caches are all new, empty folders
    (``BAYESHCC_CACHE_DIR``, PyTensor's ``base_compiledir``, ``NUMBA_CACHE_DIR``): ``cold``, with
    nothing compiled before, against ``after_warmup``, after ``bayeshcc warmup --spec S --data D``
    in the same empty folders; and the warmup's own time, and a ``second`` analysis after that
    one (every cache warm: what the warmup can at best bring the first analysis to). Each repeat
    runs both, in alternating order. The analysis after the warmup must leave the cache entries
    as they were (it compiled nothing the warmup did not).
(b) ``cpu_target``: sampling speed of one fit (Weibull, N = 126 and N = 3 000, 8 covariates, 4
    chains x 1000 draws) with numba generating code for the host CPU (default) against
    ``NUMBA_CPU_NAME=generic`` (numba's ``core/config.py``: with ``generic`` the feature list
    defaults to empty, the baseline x86-64 ISA, which is what a cache file shippable to any
    machine of the architecture would have to contain). Draws/s and bulk ESS/s of the log HR
    (``sample_s`` only: compilation excluded), processes alternating host, generic, host...

Plus (c) ``import_floor``: ``python -X importtime`` of a fresh process running one fit on a
warm cache: the cumulative import time of PyMC (with PyTensor), nutpie and ArviZ against the
process's wall time to the first posterior.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_FIT_SPEC = """
[data]
id = "id"
treatment = "arm"
treated = "lenvatinib"
reference = "sorafenib"
time_unit = "months"

[outcomes.os]
time = "os_months"
event = "os_event"
label = "Overall survival"

[covariates]
age = "numeric"
sex = { type = "categorical", reference = "female" }
tumor_size = "numeric"
tumor_number = { type = "categorical", reference = "single" }
extrahepatic_metastasis = "numeric"
lymph_node_metastasis = "numeric"
child_pugh_class = { type = "categorical", reference = "A" }

[propensity]
covariates = ["age", "sex", "tumor_size", "tumor_number", "extrahepatic_metastasis",
              "lymph_node_metastasis", "child_pugh_class"]

[cox]
covariates = ["age", "sex", "tumor_size"]

[bayes]
models = ["weibull"]
adjustments = ["ate"]
priors = ["vague"]
"""


def _env(folder: Path, **extra) -> dict:
    """The environment of a process whose caches all live in ``folder``."""
    return {**os.environ, "BAYESHCC_CACHE_DIR": str(folder / "bayeshcc"),
            "PYTENSOR_FLAGS": f"base_compiledir={folder / 'pytensor'}",
            "NUMBA_CACHE_DIR": str(folder / "numba"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            **extra}


def _bayeshcc(args: list[str], env: dict) -> float:
    """Wall seconds of one ``bayeshcc`` command in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bayeshcc", *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - start


def _entries(folder: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "bayeshcc").glob("*.nutpie")}


def bench_first_analyze(repeats: int = 3) -> list[dict]:
    """(a): the first ``analyze`` in empty caches, without and after ``bayeshcc warmup``."""
    from bayeshcc.datasets import paper_cohort_path

    rows, cold, after, warm, total = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bayeshcc-warmup-") as tmp:
        tmp = Path(tmp)
        spec = tmp / "one_fit.toml"
        spec.write_text(ONE_FIT_SPEC)
        data = str(paper_cohort_path())
        analyze = ["analyze", "--data", data, "--spec", str(spec), "--quiet", "--force"]
        for repeat in range(repeats):
            order = ("cold", "warmed") if repeat % 2 == 0 else ("warmed", "cold")
            times = {}
            for run in order:
                folder = tmp / f"{run}-{repeat}"
                env = _env(folder)
                if run == "cold":
                    times["cold"] = _bayeshcc(analyze + ["--out", str(folder / "out")], env)
                    continue
                times["warmup"] = _bayeshcc(["warmup", "--spec", str(spec), "--data", data,
                                             "--quiet"], env)
                before = _entries(folder)
                times["after_warmup"] = _bayeshcc(analyze + ["--out", str(folder / "out")], env)
                assert before and _entries(folder) == before, "the analysis compiled a model"
                # the same analysis again: every cache warm, as a machine's second analysis
                times["second"] = _bayeshcc(analyze + ["--out", str(folder / "out")], env)
            for folder in tmp.glob(f"*-{repeat}"):
                shutil.rmtree(folder, ignore_errors=True)
            rows.append({"part": "first_analyze", "repeat": repeat, "order": "/".join(order),
                         **{k: round(v, 2) for k, v in times.items()}})
            print("   ", rows[-1], flush=True)
            cold.append(times["cold"] / times["after_warmup"])
            warm.append(times["warmup"] / times["cold"])
            total.append((times["warmup"] + times["after_warmup"]) / times["cold"])
            after.append(times["after_warmup"] / times["second"])
    rows.append({"part": "first_analyze", "run": "ratios",
                 "cold_to_after_warmup_median": round(statistics.median(cold), 2),
                 "cold_to_after_warmup": [round(v, 2) for v in cold],
                 "warmup_to_cold_median": round(statistics.median(warm), 2),
                 "warmup_plus_after_to_cold_median": round(statistics.median(total), 2),
                 "after_warmup_to_second_median": round(statistics.median(after), 2)})
    print("   ", rows[-1], flush=True)
    return rows


CPU_CHILD = """
import json, sys
import arviz as az
import numpy as np
from benchmarks.fits import _simulate
from bayeshcc.bayes.fit import fit_survival_model
n = int(sys.argv[1])
t, e, trt, X, w = _simulate(n, seed=1)
fit = fit_survival_model("weibull", t, e, trt, X, weights=w, seed=7, draws=1000, tune=1000,
                         chains=4, model_groups=False)
ess = float(np.asarray(az.ess(fit.posterior, var_names=["log_hr"], method="bulk")["log_hr"]))
from numba.core.registry import cpu_target
print("ROW" + json.dumps({"sample_s": fit.timings["sample_s"], "ess": ess,
                          "source": fit.timings["compile_cache"],
                          "cpu": cpu_target.target_context.codegen().magic_tuple()[1]}))
"""


def _cpu_child(n: int, folder: Path, generic: bool) -> dict:
    extra = {"NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": ""} if generic else {}
    env = _env(folder, **extra)
    for name in () if generic else ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", CPU_CHILD, str(n)], env=env, check=True,
                          cwd=ROOT, capture_output=True, text=True)
    return json.loads(next(x for x in done.stdout.splitlines() if x.startswith("ROW"))[3:])


def bench_cpu_target(sizes=(126, 3000), repeats: int = 3) -> list[dict]:
    """(b): sampling speed, code for the host CPU vs numba's ``generic`` CPU."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bayeshcc-cpu-") as tmp:
        folder = Path(tmp)  # one cache for both: the CPU is part of every cache key
        for n in sizes:
            ratios_draws, ratios_ess = [], []
            for repeat in range(repeats):
                runs = {}
                for generic in (False, True) if repeat % 2 == 0 else (True, False):
                    runs["generic" if generic else "host"] = _cpu_child(n, folder, generic)
                for run, r in runs.items():
                    rows.append({"part": "cpu_target", "n": n, "repeat": repeat, "run": run,
                                 "draws_per_s": round(4000 / r["sample_s"], 1),
                                 "ess_per_s": round(r["ess"] / r["sample_s"], 1), **r})
                    print("   ", rows[-1], flush=True)
                ratios_draws.append(runs["generic"]["sample_s"] / runs["host"]["sample_s"])
                ratios_ess.append((runs["host"]["ess"] / runs["host"]["sample_s"])
                                  / (runs["generic"]["ess"] / runs["generic"]["sample_s"]))
            rows.append({"part": "cpu_target", "n": n, "run": "ratios",
                         "generic_to_host_sample_s_median": round(statistics.median(ratios_draws),
                                                                  3),
                         "generic_to_host_sample_s": [round(v, 3) for v in ratios_draws],
                         "host_to_generic_ess_per_s_median": round(statistics.median(ratios_ess),
                                                                   3)})
            print("   ", rows[-1], flush=True)
    return rows


IMPORT_CHILD = """
import time
start = time.perf_counter()
import bayeshcc as bh
from bayeshcc.datasets import load_paper_cohort
df = load_paper_cohort()
fit = bh.fit(df, "os_months", "os_event", "arm", "lenvatinib", model="weibull", draws=200,
             tune=200, chains=2)
print("ROW", time.perf_counter() - start, fit.bayes_fit.timings["compile_cache"],
      fit.bayes_fit.timings["sample_s"], flush=True)
"""

IMPORTS = ("bayeshcc", "bayeshcc.api", "pymc", "pytensor", "nutpie", "arviz", "numba", "pandas",
           "scipy", "xarray")
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def bench_import_floor(repeats: int = 3) -> list[dict]:
    """(c): seconds importing PyMC/PyTensor, nutpie, ArviZ in a one-fit process, warm cache."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bayeshcc-import-") as tmp:
        env = _env(Path(tmp))
        subprocess.run([sys.executable, "-c", IMPORT_CHILD], env=env, check=True, cwd=ROOT,
                       capture_output=True)  # warms the caches
        for repeat in range(repeats):
            done = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_CHILD],
                                  env=env, check=True, cwd=ROOT, capture_output=True, text=True)
            row_line = next(x for x in done.stdout.splitlines() if x.startswith("ROW")).split()
            plain = subprocess.run([sys.executable, "-c", IMPORT_CHILD], env=env, check=True,
                                   cwd=ROOT, capture_output=True, text=True)
            plain_wall = float(next(x for x in plain.stdout.splitlines()
                                    if x.startswith("ROW")).split()[1])
            cumulative, top = {}, {}
            for line in done.stderr.splitlines():
                match = _IMPORT_LINE.match(line)
                if match:  # each module is imported once: one line each
                    cumulative[match.group(4)] = int(match.group(2)) / 1e6
                    if len(match.group(3)) == 1:  # imported by the script or a function call
                        top[match.group(4)] = int(match.group(2)) / 1e6
            top_level = sum(top.values())
            rows.append({"part": "import_floor", "repeat": repeat,
                         "wall_to_posterior_s": round(float(row_line[1]), 2),
                         "source": row_line[2], "sample_s": round(float(row_line[3]), 2),
                         "wall_without_importtime_s": round(plain_wall, 2),
                         "all_imports_s": round(top_level, 2),
                         "top_level": {k: round(v, 2) for k, v in sorted(
                             top.items(), key=lambda kv: -kv[1])[:8]},
                         **{f"{name}_import_s": round(cumulative.get(name, 0.0), 2)
                            for name in IMPORTS}})
            print("   ", rows[-1], flush=True)
    return rows


def bench_warmup() -> list[dict]:
    """(a), (b) and (c) of the module docstring."""
    return bench_first_analyze() + bench_cpu_target() + bench_import_floor()
