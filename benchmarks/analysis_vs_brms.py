"""Benchmark 8: whole analyses against one brms fit, side by side in one run (issue #17).

Three comparisons, each a ratio of wall times measured here, one after the other:

1. ``analyze_colon``: ``bayeshcc analyze`` on survival's ``colon`` trial (death, Lev+5FU vs Obs,
   619 patients) with a spec of one weighted Weibull fit (adjustment ``ate``, prior ``vague``):
   tables, propensity model, matching, the fit, figures and the report; with a cold compile
   cache (an empty ``BAYESHCC_CACHE_DIR``) and then warm (the same folder again). Against brms's
   compile + sampling of the same weighted Weibull model on the same data: the outcome ``y``,
   ``trt`` and the ATE weights exactly as bayeshcc's sampler sees them
   (:func:`bayeshcc.bayes.data.prepare` of the ``ate`` population), through
   ``benchmarks/brms_weibull.R`` (see :mod:`benchmarks.stan` for the model correspondence).
2. ``reproduce``: ``bayeshcc reproduce`` (every table, 56 fits, report) with a warm cache,
   against one brms fit of the bundled cohort's ATE-weighted Weibull model. (``reproduce`` ran
   56 fits before issue #18 added the robust Persano prior: 64 fits and 5 discount-sweep fits.)
3. ``analyze_rotterdam``: survival's ``rotterdam`` cohort (2 982 patients, chemotherapy vs none,
   relapse-free and overall survival) with the default ``[bayes]`` settings (2 models x 4
   adjustments x 2 outcomes = 16 fits), warm cache, against one brms fit of its ATE-weighted
   Weibull model of overall survival; with the peak resident memory of the analysis process
   (``os.wait4``; the default runs every fit in that one process).

Beside them, the floors of the colon comparison, in the same run: ``import_floor_s``, a
process that only imports the libraries every analysis needs (PyMC, nutpie, ArviZ, pandas,
SciPy's statistics, matplotlib's figures) and exits, and ``compile_s`` = cold - warm (numba
compiling the model's two callbacks). brms's time over the import floor is the largest speed-up
any ``analyze`` in a fresh Python process could reach.

The public datasets are written by R (``survival``), which brms needs anyway; nothing is
stored in the repository. Same sampler settings on both sides: 4 chains in parallel, 1000
warm-up and 1000 draws, target acceptance 0.9.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.stan import CHAINS, DRAWS, R_SCRIPT, SEED, TARGET_ACCEPT, WARMUP

ROOT = Path(__file__).resolve().parent.parent

EXPORT_R = r"""
suppressPackageStartupMessages(library(survival))
out <- commandArgs(trailingOnly = TRUE)[1]
d <- colon[colon$etype == 2 & colon$rx %in% c("Obs", "Lev+5FU"), ]
d$rx <- as.character(d$rx)
write.csv(d[, c("id", "rx", "time", "status", "age", "sex", "obstruct", "perfor", "adhere",
                "extent", "surg", "node4")], file.path(out, "colon.csv"), row.names = FALSE)
r <- rotterdam
r$size <- as.character(r$size)
write.csv(r[, c("pid", "chemo", "age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon",
                "rtime", "recur", "dtime", "death")], file.path(out, "rotterdam.csv"),
          row.names = FALSE)
"""

COLON_SPEC = """
[data]
id = "id"
treatment = "rx"
treated = "Lev+5FU"
reference = "Obs"

[outcomes.os]
time = "time"
event = "status"
label = "Overall survival"

[covariates]
age = "numeric"
sex = "categorical"
obstruct = "categorical"
perfor = "categorical"
adhere = "categorical"
extent = "categorical"
surg = "categorical"
node4 = "categorical"

[propensity]
covariates = ["age", "sex", "obstruct", "perfor", "adhere", "extent", "surg", "node4"]
caliper = 0.2

[cox]
covariates = ["age", "sex", "obstruct", "perfor", "adhere", "extent", "surg", "node4"]

[bayes]
models = ["weibull"]
adjustments = ["ate"]
priors = ["vague"]
"""

ROTTERDAM_SPEC = """
[data]
id = "pid"
treatment = "chemo"
treated = 1
reference = 0

[outcomes.rfs]
time = "rtime"
event = "recur"
label = "Relapse-free survival"

[outcomes.os]
time = "dtime"
event = "death"
label = "Overall survival"

[covariates]
age = "numeric"
meno = "categorical"
size = "categorical"
grade = "categorical"
nodes = "numeric"
pgr = "numeric"
er = "numeric"
hormon = "categorical"

[propensity]
covariates = ["age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon"]
caliper = 0.2

[cox]
covariates = ["age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon"]
"""


def export_datasets(rscript: str, folder: Path) -> None:
    """Write ``colon.csv`` and ``rotterdam.csv`` (survival's data) into ``folder``."""
    subprocess.run([rscript, "-e", EXPORT_R, str(folder)], check=True, capture_output=True,
                   timeout=300)


def _run_timed(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command's process (``os.wait4``: its own
    rusage, not the largest of every child this benchmark ran, which includes brms's C++
    compiler)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): "
                               f"{err.read().decode(errors='replace').strip()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def bayeshcc_command(args: list[str], cache: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``bayeshcc ARGS`` in a fresh process (its compile
    cache in ``cache``)."""
    env = {**os.environ, "BAYESHCC_CACHE_DIR": str(cache)}
    return _run_timed([sys.executable, "-m", "bayeshcc.cli", *args, "--quiet"], env)


LIBRARIES = "import pymc, nutpie, arviz, pandas, scipy.stats, matplotlib.figure"


def import_floor() -> float:
    """Wall seconds of a fresh process that imports :data:`LIBRARIES` and exits (best of 3)."""
    return min(_run_timed([sys.executable, "-c", LIBRARIES])[0] for _ in range(3))


def prepared_ate_data(data: Path, spec_text: str, outcome: str, out: Path) -> Path:
    """The ATE-weighted, treatment-only Weibull fit's data as bayeshcc's sampler sees it, in
    ``benchmarks/brms_weibull.R``'s columns (y, event, trt, w)."""
    import pandas as pd

    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.bayes.data import prepare
    from bayeshcc.cohort import Cohort
    from bayeshcc.spec import spec_from_text

    cohort = Cohort.from_file(data, spec_from_text(spec_text))
    population = next(p for p in adjust(cohort).populations if p.name == "ate")
    c = population.cohort
    d = prepare(c.time(outcome), c.event(outcome), c.treated.astype(float), None, (),
                population.weights)
    pd.DataFrame({"y": d.scaled_time, "event": d.event.astype(int), "trt": d.treated.astype(int),
                  "w": d.weights}).to_csv(out, index=False, float_format="%.17g")
    return out


def brms_fit(rscript: str, prepared: Path, folder: Path) -> dict:
    """One brms compile + sampling of the weighted Weibull model; wall time and its summary."""
    out = folder / (prepared.stem + "_brms.json")
    wall, _ = _run_timed([rscript, str(R_SCRIPT), str(prepared), str(out), str(SEED), str(CHAINS),
                             str(DRAWS), str(WARMUP), str(TARGET_ACCEPT)])
    result = json.loads(out.read_text())
    return {"wall_s": wall, "compile_s": result["compile_s"], "sample_s": result["sample_s"],
            "hr_median": result["hr_median"]}


def _hr_of(results: Path, **key) -> float:
    import pandas as pd

    table = pd.read_csv(results / "tables" / "posterior_hr.csv")
    for column, value in key.items():
        table = table[table[column] == value]
    return float(table["hr_median"].iloc[0])


def bench_analysis_vs_brms() -> list[dict]:
    """The three comparisons of the module docstring; no rows when R or brms is absent."""
    from bayeshcc.datasets import paper_cohort_path
    from bayeshcc.pipeline import paper_spec_path
    from benchmarks.stan import brms_available

    ok, rscript = brms_available()
    if not ok:
        print(f"   skipped: needs R with brms ({rscript})", flush=True)
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export_datasets(rscript, tmp)
        cache = tmp / "cache"
        cache.mkdir()

        # 1. colon: one weighted Weibull fit, cold then warm cache
        spec = tmp / "colon.toml"
        spec.write_text(COLON_SPEC)
        args = ["analyze", "--data", str(tmp / "colon.csv"), "--spec", str(spec), "--out"]
        cold, _ = bayeshcc_command(args + [str(tmp / "colon_cold")], cache)
        warm, _ = bayeshcc_command(args + [str(tmp / "colon_warm")], cache)
        brms = brms_fit(rscript, prepared_ate_data(tmp / "colon.csv", COLON_SPEC, "os",
                                                   tmp / "colon_ate.csv"), tmp)
        floor = import_floor()
        rows.append({"case": "analyze colon (619, 1 ATE Weibull fit)", "brms_s": brms["wall_s"],
                     "brms_compile_s": brms["compile_s"], "brms_sample_s": brms["sample_s"],
                     "bayeshcc_cold_s": cold, "bayeshcc_warm_s": warm,
                     "compile_s": cold - warm, "import_floor_s": floor,
                     "largest_possible_speedup": brms["wall_s"] / floor,
                     "speedup_cold": brms["wall_s"] / cold, "speedup_warm": brms["wall_s"] / warm,
                     "hr_median_brms": brms["hr_median"],
                     "hr_median_bayeshcc": _hr_of(tmp / "colon_warm", adjustment="ate")})

        # 2. reproduce, warm cache (the cache was warmed by a first run)
        bayeshcc_command(["reproduce", "--out", str(tmp / "reproduce_first")], cache)
        wall, _ = bayeshcc_command(["reproduce", "--out", str(tmp / "reproduce")], cache)
        bundled_spec = paper_spec_path().read_text()
        brms = brms_fit(rscript, prepared_ate_data(paper_cohort_path(), bundled_spec, "os",
                                                   tmp / "bundled_ate.csv"), tmp)
        rows.append({"case": "reproduce (126, 64 fits + 5 sweep) warm cache", "brms_s": brms["wall_s"],
                     "bayeshcc_warm_s": wall, "time_over_brms": wall / brms["wall_s"]})

        # 3. rotterdam, default [bayes]: 16 fits, warm cache for the Weibull (colon) and
        # piecewise (reproduce) structures it shares
        spec = tmp / "rotterdam.toml"
        spec.write_text(ROTTERDAM_SPEC)
        wall, peak = bayeshcc_command(["analyze", "--data", str(tmp / "rotterdam.csv"), "--spec",
                                       str(spec), "--out", str(tmp / "rotterdam")], cache)
        brms = brms_fit(rscript, prepared_ate_data(tmp / "rotterdam.csv", ROTTERDAM_SPEC, "os",
                                                   tmp / "rotterdam_ate.csv"), tmp)
        rows.append({"case": "analyze rotterdam (2982, 16 fits) warm cache",
                     "brms_s": brms["wall_s"], "bayeshcc_s": wall,
                     "time_over_brms": wall / brms["wall_s"], "peak_rss_mb": peak})
    return rows
