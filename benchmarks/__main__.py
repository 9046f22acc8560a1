"""``python -m benchmarks [--only NAME ...] [--json PATH]``: run the benchmarks, print a table,
write JSON. Each benchmark measures bayeshcc and, where one exists, its alternative in the same
run, and reports ratios."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from benchmarks.registry import BENCHMARKS


def machine() -> dict:
    import os

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="benchmarks to run")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write JSON")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    # benchmarks not run now keep their earlier rows
    path = Path(args.json)
    results = json.loads(path.read_text()) if path.exists() else {"benchmarks": {}}
    results["machine"] = machine()
    for name in names:
        print(f"== {name}", flush=True)
        rows = BENCHMARKS[name]()
        results["benchmarks"][name] = rows
        for row in rows:
            print("   " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in row.items()), flush=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
