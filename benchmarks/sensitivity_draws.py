"""Benchmark: ``[bayes] sensitivity_draws`` on ``bayeshcc reproduce``'s 56 fits (issue #17).

The reference study's spec and bundled cohort (the fits ``reproduce`` runs) with
``sensitivity_draws`` = ``"full"`` (today's behaviour: every fit samples ``draws``),
``"until_ess"`` (fits other than the primary analysis stop once R-hat and bulk and tail ESS pass
the convergence gate, :mod:`bayeshcc.bayes.stopping`) and a fixed shorter length. Each variant is
``bayeshcc analyze`` in a child process; the variants run side by side, so that they see the
same machine load, and are compared by CPU seconds (user + system, every thread; wall time is
given too). Each row also says how many fits the gate flags unreliable and how many draws were
sampled in all, so a faster variant cannot hide worse diagnostics.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.large_cohort import finish_all, start_analyze

VARIANTS = ("full", "until_ess", 500)


def variant_spec_text(value) -> str:
    """The reference study's spec with ``[bayes] sensitivity_draws = value``."""
    from bayeshcc.pipeline import paper_spec_path

    text = paper_spec_path().read_text(encoding="utf-8")
    line = f"sensitivity_draws = {value!r}".replace("'", '"')
    new, count = re.subn(r"(?m)^\[bayes\]$", "[bayes]\n" + line, text)
    if count != 1:
        raise RuntimeError("expected one [bayes] table in the paper spec")
    return new


def summarise(variant, run: dict, hr: pd.DataFrame) -> dict:
    """A table row: times, and the grid's diagnostics and draws."""
    return {"variant": str(variant), **run, "fits": len(hr),
            "unreliable": int((~hr["reliable"]).sum()),
            "stopped_early": int(hr["stopped_early"].sum()),
            "draws_per_chain_total": int(hr["draws"].sum()),
            "ess_bulk_min": float(hr["ess_bulk_min"].min()),
            "ess_tail_min": float(hr["ess_tail_min"].min())}


def bench_sensitivity_draws(variants=VARIANTS) -> list[dict]:
    """The 56 fits of ``reproduce`` under each ``sensitivity_draws``; ratios to ``full``."""
    from bayeshcc.datasets import paper_cohort_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = []
        for value in variants:
            spec = tmp / f"{value}.toml"
            spec.write_text(variant_spec_text(value), encoding="utf-8")
            out = tmp / f"out_{value}"
            runs.append((*start_analyze(paper_cohort_path(), spec, out), out))
        rows = [summarise(value, run, pd.read_csv(out / "tables" / "posterior_hr.csv"))
                for value, run, (_, _, out) in zip(variants, finish_all(runs), runs)]
    for row in rows:
        row["cpu_ratio_to_full"] = row["cpu_s"] / rows[0]["cpu_s"]
        row["wall_ratio_to_full"] = row["wall_s"] / rows[0]["wall_s"]
        row["bayes_stage_ratio_to_full"] = row["bayesian_s"] / rows[0]["bayesian_s"]
    return rows
