"""Benchmark: the default ``bayeshcc analyze`` on a synthetic 3,000-patient cohort (issue #17).

Issue #17 reports a real observational cohort of about 3,000 patients (2 outcomes, the default
``[bayes]`` settings: 2 models x 4 adjustments = 16 fits) taking 487 s and 2.33 GB peak memory,
against 104 s for one weighted Weibull fit of the same cohort in brms; the target is at most 2x
that brms fit and at most 1 GB. That cohort is not shareable, so this benchmark runs the bundled
synthetic generator (:mod:`bayeshcc.studies.hcc2024.generator`) scaled to ``n`` patients, with the
reference study's spec minus its ``[bayes]`` table (every Bayesian setting at its default).

Hand-written here: the scaling of the generator's exact counts (group sizes, Child-Pugh A,
responses, adverse events) by ``n / 126``, since the generator is calibrated to the 126-patient
study and allocates those counts exactly; everything else is the generator's.

The run is a child process (``python -m bayeshcc.cli analyze``), timed by wall clock and CPU
time, its peak resident memory read from ``wait4`` (the child's own high-water mark), its stage
times from the manifest.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_PATIENTS = 3_000
BRMS_S = 104.0   # issue #17: one weighted Weibull fit of the real cohort in brms
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 1024.0


def scaled_cohort(n: int = N_PATIENTS, seed: int = 20242061):
    """The synthetic cohort with ``n`` patients (arm sizes and exact counts scaled by n/126)."""
    from bayeshcc.studies.hcc2024.generator import CohortParameters, generate_paper_cohort

    p = CohortParameters()
    factor = n / sum(p.n)

    def scale(pair):
        return tuple(round(v * factor) for v in pair)

    sizes = scale(p.n)
    sizes = (sizes[0], n - sizes[0])
    params = dataclasses.replace(
        p, n=sizes, child_pugh_a=scale(p.child_pugh_a),
        response_pr_sd=tuple(scale(pair) for pair in p.response_pr_sd),
        ae_any=scale(p.ae_any), ae_grade34=scale(p.ae_grade34),
        ae_discontinued=scale(p.ae_discontinued))
    return generate_paper_cohort(seed, params)


def default_spec_text() -> str:
    """The reference study's spec without its ``[bayes]`` and ``[priors.*]`` tables: every
    Bayesian setting at its default (16 fits for the two outcomes)."""
    from bayeshcc.pipeline import paper_spec_path

    text = paper_spec_path().read_text(encoding="utf-8")
    head = re.split(r"(?m)^\[bayes\]\s*$", text)[0]
    return head


def write_inputs(folder: str | Path, n: int = N_PATIENTS) -> tuple[Path, Path]:
    """Write the scaled cohort (CSV) and the default spec (TOML) to ``folder``."""
    folder = Path(folder)
    data, spec = folder / f"cohort_{n}.csv", folder / "default.toml"
    scaled_cohort(n).to_csv(data, index=False, lineterminator="\n")
    spec.write_text(default_spec_text(), encoding="utf-8")
    return data, spec


def start_analyze(data: Path, spec: Path, out: Path, extra_args: tuple[str, ...] = (),
                  code_root: Path | None = None, env: dict | None = None):
    """Start ``bayeshcc analyze`` in a child process (the package found first on
    ``code_root``, default this checkout); returns (process, start time)."""
    root = Path(code_root or Path(__file__).resolve().parent.parent)
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "bayeshcc.cli", "analyze", "--data",
                                str(data), "--spec", str(spec), "--out", str(out), "--quiet",
                                *extra_args], cwd=root, env=env)
    return process, time.perf_counter()


def finish_all(runs: list) -> list[dict]:
    """Wait for children of :func:`start_analyze`, given as ``[(process, start time, out)]``,
    in whatever order they end: each one's wall time, CPU time (user + system, all threads) and
    peak resident memory (``wait4``: that child alone), and its manifest's stage times. CPU
    seconds are the figure to compare between variants run side by side."""
    pending = {process.pid: i for i, (process, _, _) in enumerate(runs)}
    rows: list = [None] * len(runs)
    while pending:
        pid, status, usage = os.wait4(-1, 0)
        if pid not in pending:
            continue
        i = pending.pop(pid)
        process, started, out = runs[i]
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"bayeshcc analyze exited with {process.returncode}")
        manifest = json.loads((out / "manifest.json").read_text())
        row = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
               "peak_rss_mb": usage.ru_maxrss / 1024}
        row.update({f"{k}_s": float(v) for k, v in manifest["timings_seconds"].items()})
        rows[i] = row
    return rows


def run_analyze(data: Path, spec: Path, out: Path, extra_args: tuple[str, ...] = (),
                code_root: Path | None = None, env: dict | None = None) -> dict:
    """``bayeshcc analyze`` in a child process (see :func:`finish_all`)."""
    return finish_all([(*start_analyze(data, spec, out, extra_args, code_root, env), out)])[0]


def bench_large_cohort(n: int = N_PATIENTS) -> list[dict]:
    """The default ``analyze`` on an ``n``-patient synthetic cohort, against the issue's
    targets (wall <= 2 x the brms fit, peak memory <= 1 GB).

    """
    with tempfile.TemporaryDirectory() as tmp:
        data, spec = write_inputs(tmp, n)
        row = run_analyze(data, spec, Path(tmp) / "results")
        hr = (Path(tmp) / "results" / "tables" / "posterior_hr.csv").read_text()
    fits = hr.count("\n") - 1
    row = {"case": f"analyze default spec, n={n}", "fits": fits, **row,
           "wall_over_brms_fit": row["wall_s"] / BRMS_S,
           f"target_{TARGET_RATIO:g}x_brms_met": row["wall_s"] <= TARGET_RATIO * BRMS_S,
           "target_1GB_met": row["peak_rss_mb"] <= TARGET_PEAK_MB}
    return [row]


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(write_inputs(folder))
