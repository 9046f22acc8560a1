"""The pipeline: cohort -> adjustment -> analyses -> results folder (docs/architecture.md, data flow).

Each stage is a plain function that takes the previous stage's value and returns tables and
figures; this module only orders the stages, times them, collects warnings and writes the
results folder atomically with its manifest.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from bayeshcc.cohort import Cohort
from bayeshcc.errors import AnalysisWarning, BayesHCCError
from bayeshcc.manifest import build_manifest
from bayeshcc.report import write_report
from bayeshcc.results import ResultsWriter, check_destination, open_results
from bayeshcc.spec import AnalysisSpec, load_spec


class OptionError(BayesHCCError, ValueError):
    """A run option (e.g. ``--draws``) is out of range."""


@dataclass(frozen=True)
class RunOptions:
    """Choices of one run that are not part of the analysis spec.

    ``draws``, ``tune`` and ``chains`` override the spec's ``[bayes]`` values when given.
    """

    bayes: bool = True
    draws: int | None = None
    tune: int | None = None
    chains: int | None = None
    quiet: bool = False
    include_patient_data: bool = False
    compare_to_paper: bool = False  # write paper_comparison.csv (the reference study only)
    workers: int | None = None      # Bayesian fits on N local processes
    scheduler: str | None = None    # ... or on a Dask cluster at this address

    def __post_init__(self) -> None:
        if self.workers is not None and self.scheduler is not None:
            raise OptionError("give --workers or --scheduler, not both")
        for name, low in (("draws", 10), ("tune", 10), ("chains", 1), ("workers", 1)):
            value = getattr(self, name)
            if value is not None and value < low:
                raise OptionError(f"--{name} must be at least {low}, got {value}")

    def apply(self, spec: AnalysisSpec) -> AnalysisSpec:
        """The spec with this run's sampler overrides applied."""
        changes = {k: getattr(self, k) for k in ("draws", "tune", "chains")
                   if getattr(self, k) is not None}
        if not self.bayes:
            changes["enabled"] = False
        return replace(spec, bayes=replace(spec.bayes, **changes)) if changes else spec


def paper_spec_path() -> Path:
    """The reference study's spec shipped with the package
    (``bayeshcc/studies/hcc2024/paper.toml``)."""
    from bayeshcc.studies.hcc2024 import spec_path

    return spec_path()


def reproduce(out: str | Path = "results", force: bool = False,
              options: RunOptions = RunOptions()) -> Path:
    """Run the reference study end to end on the bundled synthetic cohort.

    Parameters
    ----------
    out : str or Path
        Results folder to create.
    force : bool
        Replace an existing non-empty results folder.
    options : RunOptions

    Returns
    -------
    Path
        The results folder.
    """
    from bayeshcc.datasets import paper_cohort_path

    check_destination(out, force)
    spec_path = paper_spec_path()
    cohort = Cohort.from_file(paper_cohort_path(), load_spec(spec_path))
    return run_analysis(cohort, out, force=force, options=replace(options, compare_to_paper=True),
                        spec_path=spec_path)


def run_analysis(cohort: Cohort, out: str | Path, force: bool = False,
                 options: RunOptions = RunOptions(), spec_path: str | Path | None = None) -> Path:
    """Run every analysis the spec asks for and write the results folder.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort (its spec drives the analyses).
    out : str or Path
        Results folder; written to a temporary folder first and renamed at the end.
    force : bool
        Replace an existing non-empty results folder.
    options : RunOptions
    spec_path : str or Path, optional
        The spec file, recorded (with its sha256) in the manifest.

    Returns
    -------
    Path
        The results folder.
    """
    from bayeshcc.stages import (adjustment_stage, bayesian_stage, frequentist_stage,
                                 paper_comparison_stage, primary_stage)

    check_destination(out, force)
    spec = options.apply(cohort.spec)
    cohort = replace(cohort, spec=spec)
    timings: dict[str, float] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AnalysisWarning)
        with open_results(out, force) as writer:
            def timed(name, stage, *args):
                start = time.perf_counter()
                result = stage(*args)
                timings[name] = round(time.perf_counter() - start, 3)
                return result

            # Each stage takes the typed results of those before it (bayeshcc.stages).
            adjusted = timed("adjustment", adjustment_stage, cohort, writer)
            cohort = primary_stage(cohort, adjusted)  # overlap weights when ATE's are extreme
            frequentist = timed("frequentist", frequentist_stage, cohort, adjusted, writer)
            bayesian = timed("bayesian", bayesian_stage, cohort, adjusted, frequentist, writer,
                             options)
            timed("paper_comparison", paper_comparison_stage, cohort, adjusted, frequentist,
                  writer, options)
            messages = [str(w.message) for w in caught if issubclass(w.category, AnalysisWarning)]
            files = writer.files + ["manifest.json", "report.html"]
            extra = {"adjustment": adjusted.summary or {}}
            if bayesian.manifest:
                extra["bayes"] = dict(bayesian.manifest)
            manifest = build_manifest(cohort, spec_path, timings, messages, extra, files)
            writer.json("manifest.json", manifest)
            start = time.perf_counter()
            write_report(writer.staging, include_patient_data=options.include_patient_data)
            timings["report"] = round(time.perf_counter() - start, 3)
            manifest["timings_seconds"] = dict(timings)
            (writer.staging / "manifest.json").write_text(
                json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    _echo_warnings(messages, options)
    return Path(out)


def _echo_warnings(messages: list[str], options: RunOptions) -> None:
    if options.quiet:
        return
    import sys

    for message in dict.fromkeys(messages):
        print(f"bayeshcc: warning: {message}", file=sys.stderr)


__all__ = ["RunOptions", "reproduce", "run_analysis", "paper_spec_path", "ResultsWriter"]
