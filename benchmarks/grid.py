"""Benchmark 3: the 64-fit sensitivity grid, sequential vs ``workers=2``.

The grid is the reference study's spec with the four built-in priors (weakly informative, vague,
sceptical, enthusiastic) in place of its external one: 2 outcomes x 2 models x 4 adjustments x
4 priors = 64 fits on the bundled cohort. Each variant runs the whole pipeline
(:func:`bayeshcc.pipeline.run_analysis`) in a fresh child process, so every process pays its own
imports and model compilations. Per-fit compile and sampling times are recorded by wrapping the
grid's job function in the child (and, through pickling by reference, in its worker processes);
each process appends them to its own JSON-lines file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID_PRIORS = ("weakly_informative", "vague", "skeptical", "enthusiastic")
TARGET_S = 180.0  # issue #6: the 64-fit grid in under 3 minutes
CHILD_TIMEOUT_S = 1800
_LOG_ENV = "BAYESHCC_BENCH_FIT_LOG"
_saved: dict = {}


def grid_spec_text(priors: tuple[str, ...] = GRID_PRIORS) -> str:
    """The reference study's spec (``bayeshcc/studies/hcc2024/paper.toml``) with ``[bayes] priors``
    replaced by ``priors``."""
    from bayeshcc.pipeline import paper_spec_path

    text = paper_spec_path().read_text(encoding="utf-8")
    line = "priors = [" + ", ".join(f'"{p}"' for p in priors) + "]"
    new, count = re.subn(r"(?m)^priors = \[[^\]]*\]$", line, text)
    if count != 1:
        raise RuntimeError(f"expected one `priors = [...]` line in the paper spec, found {count}")
    return new


def write_grid_spec(folder: str | Path, priors: tuple[str, ...] = GRID_PRIORS) -> Path:
    """Write :func:`grid_spec_text` to ``folder/grid.toml`` and return its path."""
    path = Path(folder) / "grid.toml"
    path.write_text(grid_spec_text(priors), encoding="utf-8")
    return path


def _timed_run_job(job):
    """:func:`bayeshcc.bayes.grid.run_job` that also logs the fit's timings (child processes)."""
    from bayeshcc.bayes import grid
    from bayeshcc.bayes.fit import fit_survival_model

    records = []

    def recording(*args, **kwargs):
        fit = fit_survival_model(*args, **kwargs)
        records.append(dict(fit.timings))
        return fit

    run_job = _saved.get("run_job", grid.run_job)
    grid.fit_survival_model = recording
    start = time.perf_counter()
    try:
        result = run_job(job)
    finally:
        grid.fit_survival_model = fit_survival_model
    wall = time.perf_counter() - start
    log = Path(os.environ[_LOG_ENV]) / f"{os.getpid()}.jsonl"
    with log.open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps({"fit": job.label, "pid": os.getpid(), "job_s": wall, **rec}) + "\n")
    return result


def _child(spec_path: str, out: str, workers: int | None) -> None:
    """Run the pipeline on the bundled cohort with the grid spec (in a fresh process)."""
    from bayeshcc.bayes import grid
    from bayeshcc.cohort import Cohort
    from bayeshcc.datasets import paper_cohort_path
    from bayeshcc.pipeline import RunOptions, run_analysis
    from bayeshcc.spec import load_spec

    _saved["run_job"] = grid.run_job
    grid.run_job = _timed_run_job  # run_grid looks the job function up when called
    cohort = Cohort.from_file(paper_cohort_path(), load_spec(spec_path))
    run_analysis(cohort, out, options=RunOptions(workers=workers, quiet=True), spec_path=spec_path)


def run_variant(spec_path: Path, out: Path, workers: int | None) -> dict:
    """One pipeline run in a child process; its wall time, stage times and per-fit timings."""
    log_dir = out.parent / f"{out.name}_fitlog"
    log_dir.mkdir()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, _LOG_ENV: str(log_dir),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    code = (f"from benchmarks.grid import _child; _child({str(spec_path)!r}, {str(out)!r}, "
            f"{workers!r})")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root,
                   timeout=CHILD_TIMEOUT_S)
    wall = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    fits = [json.loads(line) for f in sorted(log_dir.glob("*.jsonl"))
            for line in f.read_text().splitlines()]
    return {"wall_s": wall, "stages": manifest["timings_seconds"], "fits": fits}


def summarise(variant: str, run: dict, processes: int) -> dict:
    """A table row: wall and Bayesian-stage time, s per fit and the compile share.

    ``compile_share`` = total compile seconds (all processes) / (Bayesian stage wall x
    processes): the fraction of the stage's process time spent compiling models. The 3-minute
    target is judged on the whole run's wall time (imports, frequentist stage, figures and
    report included), not on the Bayesian stage alone.
    """
    bayes_s = run["stages"]["bayesian"]
    n = len(run["fits"])
    compile_s = sum(f["compile_s"] for f in run["fits"])
    compiles = sum(1 for f in run["fits"] if not f["reuse"])
    return {"variant": variant, "fits": n, "wall_s": run["wall_s"], "bayes_stage_s": bayes_s,
            "s_per_fit": bayes_s / max(n, 1),
            "compiles": compiles, "compile_s": compile_s,
            "s_per_compile": compile_s / max(compiles, 1),
            "compile_share": compile_s / (bayes_s * processes),
            "sample_s": sum(f["sample_s"] for f in run["fits"]),
            "processes": len({f["pid"] for f in run["fits"]}),
            f"target_{TARGET_S:.0f}s_met": run["wall_s"] <= TARGET_S}


def bench_grid(workers: int = 2) -> list[dict]:
    """The 64-fit grid run sequentially, then on ``workers`` processes; identical tables?"""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = write_grid_spec(tmp)
        seq = run_variant(spec, tmp / "sequential", None)
        par = run_variant(spec, tmp / f"workers{workers}", workers)
        tables = [(tmp / name / "tables" / "sensitivity.csv").read_text()
                  for name in ("sequential", f"workers{workers}")]
    rows = [summarise("sequential", seq, 1), summarise(f"workers={workers}", par, workers)]
    rows[1]["speed_up_wall"] = seq["wall_s"] / par["wall_s"]
    rows[1]["speed_up_bayes_stage"] = rows[0]["bayes_stage_s"] / rows[1]["bayes_stage_s"]
    rows[1]["sensitivity_tables_identical"] = tables[0] == tables[1]
    return rows
