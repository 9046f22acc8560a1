"""The redesign's "nothing changes numerically" check: every table of three analyses, at a git
revision and at the working tree, equal to rtol 1e-9.

Usage::

    python scripts/redesign_check.py REVISION [--out FOLDER] [--draws N]

The three analyses (issue "One shape for the package", acceptance):

1. ``bayeshcc reproduce`` (the bundled study: matched and weighted, five priors);
2. survival's ``gbsg`` (686 breast-cancer patients, hormonal therapy vs none; days): ATE and
   overlap weights and the covariate-adjusted model, Weibull and piecewise;
3. survival's ``veteran`` (137 patients of the VA lung cancer trial, test vs standard
   chemotherapy): 1:1 matching and ATE weights with priors borrowing a published HR (a power
   prior and a robust mixture), Weibull.

Each runs as a fresh ``python -m bayeshcc`` process with ``PYTHONPATH`` at the revision's tree
(a detached ``git worktree``) or at this one, in the same environment. Run-to-run equality needs
the compiled-model caches in the same state for both: before the timed runs, each analysis is
run once at this tree, so that every model structure is compiled and cached once and both sides
load it (a process that compiles a structure can differ from one that loads it in the last
bits of floating point; see docs/benchmarks.md). The exit status is 0 when every table is equal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "data"
sys.path.insert(0, str(ROOT / "scripts"))

from compare_results import compare_folders  # noqa: E402

GBSG_SPEC = """
[data]
treatment = "hormon"
treated = "yes"
reference = "no"
time_unit = "days"

[outcomes.rfs]
time = "time"
event = "event"
label = "Recurrence-free survival"

[covariates]
age = "numeric"
size = "numeric"
nodes = "numeric"
meno = "categorical"
grade = "categorical"

[propensity]
covariates = ["age", "size", "nodes", "meno", "grade"]

[rmst]
tau = 1825

[bayes]
models = ["weibull", "piecewise"]
adjustments = ["none", "covariates", "ate", "overlap"]
priors = ["weakly_informative", "vague"]
draws = {draws}
tune = {draws}
chains = 2
seed = 11
"""

VETERAN_SPEC = """
[data]
treatment = "arm"
treated = "test"
reference = "standard"
time_unit = "days"

[outcomes.os]
time = "time"
event = "event"
label = "Overall survival"

[covariates]
karno = "numeric"
age = "numeric"
celltype = {{ type = "categorical", reference = "squamous" }}

[propensity]
covariates = ["karno", "age", "celltype"]

[bayes]
models = ["weibull"]
adjustments = ["matched", "ate"]
priors = ["vague", "external_half", "external_robust"]
draws = {draws}
tune = {draws}
chains = 2
seed = 12

[priors.external_half]
type = "external"
hr = 0.8
lower = 0.6
upper = 1.07
discount = 0.5

[priors.external_robust]
type = "robust"
hr = 0.8
lower = 0.6
upper = 1.07
weight = 0.8
"""


def write_inputs(folder: Path, draws: int) -> dict[str, tuple[Path, Path]]:
    """The two public cohorts as CSV files and their specs, by analysis name."""
    gbsg = pd.read_csv(DATA / "gbsg.csv")
    gbsg = gbsg.assign(hormon=np.where(gbsg["group"], "yes", "no"),
                       meno=gbsg["meno"].astype(int), grade=gbsg["grade"].astype(int))
    veteran = pd.read_csv(DATA / "veteran.csv")
    veteran = pd.DataFrame({"time": veteran["time"], "event": veteran["event"],
                            "arm": np.where(veteran["group"], "test", "standard"),
                            "karno": veteran["karno"], "age": veteran["age"],
                            "celltype": veteran["celltype"]})
    inputs = {}
    for name, frame, spec in (("gbsg", gbsg, GBSG_SPEC), ("veteran", veteran, VETERAN_SPEC)):
        data, spec_path = folder / f"{name}.csv", folder / f"{name}.toml"
        frame.to_csv(data, index=False)
        spec_path.write_text(spec.format(draws=draws), encoding="utf-8")
        inputs[name] = (data, spec_path)
    return inputs


def run(tree: Path, out: Path, inputs: dict[str, tuple[Path, Path]], cwd: Path) -> None:
    """Run the three analyses with the package at ``tree``, into ``out/NAME``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    commands = {"reproduce": ["reproduce"]}
    for name, (data, spec) in inputs.items():
        commands[name] = ["analyze", "--data", str(data), "--spec", str(spec)]
    for name, command in commands.items():
        subprocess.run([sys.executable, "-m", "bayeshcc", *command, "--out", str(out / name),
                        "--force", "--quiet"], check=True, env=env, cwd=cwd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="git revision to compare with, e.g. main or a hash")
    parser.add_argument("--out", type=Path, default=None, help="keep the results here")
    parser.add_argument("--draws", type=int, default=500, help="draws and tuning per chain")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="redesign-check-"))
    out.mkdir(parents=True, exist_ok=True)
    inputs = write_inputs(out, args.draws)
    tree = out / "revision"
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree),
                        args.revision], check=True)
    try:
        run(ROOT, out / "warm", inputs, out)  # every structure compiled and cached once
        run(tree, out / "before", inputs, out)
        run(ROOT, out / "after", inputs, out)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       check=False)
    differing = 0
    for name in ["reproduce", *inputs]:
        result = compare_folders(out / "before" / name, out / "after" / name)
        bad = {table: problems for table, problems in result.items() if problems}
        print(f"{name}: {len(result) - len(bad)} of {len(result)} tables equal (rtol 1e-09)")
        for table, problems in bad.items():
            print(f"  {table}: " + "; ".join(problems))
        differing += len(bad)
    print(f"results in {out}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
