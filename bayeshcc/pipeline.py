"""The command line's runs: cohort -> adjustment -> analyses -> results folder
(docs/architecture.md, data flow).

A run is :func:`bayeshcc.study.run_study` (the stages, in memory) with each posterior streamed
into the staging folder as it arrives, then :meth:`~bayeshcc.study.StudyResult.write_into` the
same folder, renamed into place only once complete.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bayeshcc.cohort import Cohort
from bayeshcc.results import ResultsWriter, check_destination, open_results
from bayeshcc.spec import load_spec
from bayeshcc.study import OptionError, RunOptions, run_study


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
    check_destination(out, force)
    with open_results(out, force) as writer:
        result = run_study(cohort, options, spec_path,
                           posterior_folder=writer.staging / "posterior")
        result.write_into(writer)
    _echo_warnings(result.warnings, options)
    return Path(out)


def _echo_warnings(messages: list[str], options: RunOptions) -> None:
    if options.quiet:
        return
    import sys

    for message in dict.fromkeys(messages):
        print(f"bayeshcc: warning: {message}", file=sys.stderr)


__all__ = ["RunOptions", "OptionError", "reproduce", "run_analysis", "paper_spec_path",
           "ResultsWriter"]
