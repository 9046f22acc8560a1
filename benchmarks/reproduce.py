"""Benchmark 1: ``bayeshcc reproduce`` wall time and peak memory, split by stage."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bench_reproduce(extra_args: tuple[str, ...] = ()) -> list[dict]:
    """Run ``bayeshcc reproduce`` in a child process; stage timings come from its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bayeshcc.cli", "reproduce", "--out", str(out),
                        "--quiet", *extra_args], check=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads((out / "manifest.json").read_text())
    row = {"case": "reproduce " + " ".join(extra_args), "wall_s": wall, "peak_rss_mb": peak_mb}
    row.update({f"{k}_s": float(v) for k, v in manifest["timings_seconds"].items()})
    return [row]
