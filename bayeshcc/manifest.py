"""``manifest.json``: what a run used and did, so that it can be audited and repeated."""

from __future__ import annotations

import hashlib
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

from bayeshcc.cohort import Cohort

_PACKAGES = ("bayeshcc", "numpy", "pandas", "scipy", "pymc", "pytensor", "arviz", "arviz-stats",
             "nutpie", "xarray", "matplotlib")


def software_versions() -> dict[str, str]:
    """Python, the platform and the installed versions of the packages bayeshcc relies on."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_manifest(cohort: Cohort, spec_path: str | Path | None, timings: Mapping[str, float],
                   warnings: Sequence[str], extra: Mapping[str, Any],
                   files: Sequence[str]) -> dict[str, Any]:
    """The manifest of one run (see docs/architecture.md, results folder contract)."""
    spec = cohort.spec
    return {
        "bayeshcc_manifest_version": 1,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "versions": software_versions(),
        "seed": spec.bayes.seed,
        # The pre-specified adjusted analysis behind the report's summary, the tipping point
        # and the E-value (None when the spec runs no Bayesian adjusted analysis).
        "primary": (spec.bayes.primary.as_dict()
                    if spec.bayes.enabled and spec.bayes.primary is not None else None),
        "inputs": {
            "data": {"path": cohort.source, "sha256": cohort.sha256, "rows": len(cohort)
                     + len(cohort.dropped_ids)},
            "spec": {"path": str(spec_path) if spec_path else spec.source,
                     "sha256": file_sha256(spec_path) if spec_path else None},
        },
        "spec": dict(spec.raw),
        "dropped_for_missing_values": {"count": len(cohort.dropped_ids),
                                       "ids": [str(i) for i in cohort.dropped_ids]},
        "timings_seconds": dict(timings),
        "warnings": list(dict.fromkeys(warnings)),
        "files": sorted(files),
        **dict(extra),
    }
