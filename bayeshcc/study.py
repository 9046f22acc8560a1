"""A study of many fits, run in memory: ``bh.Study.from_toml(path).run(df)``.

:class:`Study` runs every analysis its spec asks for, stage by stage (:mod:`bayeshcc.stages`),
and returns a :class:`StudyResult` holding the tables, figures, posteriors, manifest and report
in memory. Nothing is written to disk (the compiled-model cache aside, see
:mod:`bayeshcc.bayes.compile_cache`) and nothing the run made is read back from disk: the
figures and tables that need a fit's draws take them as the fit arrives, and the report is built
from the tables and figures in memory. :meth:`StudyResult.write` then writes the results folder
of the contract (docs/architecture.md) atomically; ``bayeshcc analyze`` and ``reproduce`` are
:meth:`Study.run` followed by it, streaming each posterior to the staging folder as it arrives
(a grid of large fits would otherwise hold every posterior in memory).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from bayeshcc.cohort import Cohort
from bayeshcc.errors import AnalysisWarning, BayesHCCError
from bayeshcc.manifest import build_manifest
from bayeshcc.outputs import RunOutputs
from bayeshcc.spec import AnalysisSpec, load_spec, spec_from_text


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


def _as_json(value: Any) -> Any:
    """``value`` as ``manifest.json`` stores it and a reader gets it back (JSON types only)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


@dataclass(frozen=True)
class StudyResult:
    """The results of one :meth:`Study.run`, in memory.

    Attributes
    ----------
    tables : dict of {str: DataFrame}
        Every results table by name (``tables/NAME.csv``), as a reader of the folder gets it:
        ``NA`` is missing, no other text is.
    figures : dict of {str: bytes}
        Every figure by name (``figures/NAME.png``, palette PNG).
    posteriors : dict of {str: DataTree or Path}
        Every posterior by name (``outcome_model_prior_adjustment``): an ArviZ DataTree whose
        per-patient groups are 32-bit, as ``posterior/NAME.nc`` stores it, or that file when
        the run streamed its posteriors to a folder.
    manifest : dict
        ``manifest.json``: inputs, versions, timings, warnings, files.
    report : str
        ``report.html``, the self-contained HTML report.
    """

    tables: dict[str, pd.DataFrame]
    figures: dict[str, bytes]
    posteriors: dict[str, Any]
    manifest: dict[str, Any]
    report: str
    outputs: RunOutputs = field(repr=False)

    @property
    def warnings(self) -> list[str]:
        """The run's warnings (``manifest["warnings"]``)."""
        return list(self.manifest.get("warnings", []))

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the results folder (tables, figures, posteriors, manifest, report).

        Atomically: staged beside ``folder``, then renamed into place; a non-empty ``folder``
        is refused unless ``force``, as ``bayeshcc analyze --out``.

        Parameters
        ----------
        folder : str or Path
            The results folder to create.
        force : bool
            Replace an existing non-empty folder (once the new one is complete).

        Returns
        -------
        Path
            ``folder``.
        """
        from bayeshcc.results import open_results

        with open_results(folder, force) as writer:
            self.write_into(writer)
        return Path(folder)

    def write_into(self, writer) -> None:
        """Write every file of the results folder with a
        :class:`~bayeshcc.results.ResultsWriter`; posteriors that the run already streamed into
        the writer's folder stay where they are."""
        import shutil

        for name, text in self.outputs.tables.items():
            writer.text(f"tables/{name}.csv", text)
        for name, png in self.outputs.figures.items():
            writer.png(name, png)
        for name, posterior in self.outputs.posteriors.items():
            if not isinstance(posterior, Path):
                writer.posterior(name, posterior)
            elif posterior.parent != writer.staging / "posterior":
                shutil.copyfile(posterior, writer.path("posterior", posterior.name))
        writer.json("manifest.json", self.manifest)
        writer.text("report.html", self.report)


@dataclass(frozen=True)
class Study:
    """An analysis spec, ready to run on a cohort.

    Parameters
    ----------
    spec : AnalysisSpec
        The validated spec (:func:`bayeshcc.spec.load_spec`).
    spec_path : Path, optional
        The spec's file, recorded with its sha256 in the manifest.

    Examples
    --------
    >>> study = bh.Study.from_toml("models/paper.toml")        # doctest: +SKIP
    >>> result = study.run(df, workers=2)                        # doctest: +SKIP
    >>> result.tables["posterior_hr"]                            # doctest: +SKIP
    >>> result.write("results")                                  # doctest: +SKIP
    """

    spec: AnalysisSpec
    spec_path: Path | None = None

    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        """The study of a TOML spec file."""
        return cls(load_spec(path), Path(path))

    @classmethod
    def from_text(cls, text: str) -> Study:
        """The study of a spec given as TOML text."""
        return cls(spec_from_text(text))

    def cohort(self, data: pd.DataFrame | str | Path | Cohort) -> Cohort:
        """The validated cohort of ``data``: a DataFrame, a CSV / Parquet / Excel file, or a
        :class:`~bayeshcc.cohort.Cohort` already validated (analysed with this study's spec)."""
        if isinstance(data, Cohort):
            return replace(data, spec=self.spec)
        if isinstance(data, pd.DataFrame):
            return Cohort.from_dataframe(data, self.spec)
        return Cohort.from_file(data, self.spec)

    def run(self, data: pd.DataFrame | str | Path | Cohort, *, draws: int | None = None,
            tune: int | None = None, chains: int | None = None, bayes: bool = True,
            workers: int | None = None, scheduler: str | None = None, quiet: bool = True,
            include_patient_data: bool = False) -> StudyResult:
        """Run every analysis of the spec on ``data``, in memory.

        Parameters
        ----------
        data : DataFrame, path or Cohort
            The cohort (see :meth:`cohort`); not changed.
        draws, tune, chains : int, optional
            Override the spec's ``[bayes]`` sampler settings.
        bayes : bool
            False skips the Bayesian fits.
        workers : int, optional
            Run the Bayesian fits on this many local processes.
        scheduler : str, optional
            ... or on the Dask cluster at this address.
        quiet : bool
            No progress bar.
        include_patient_data : bool
            Show patient-level tables (matched pairs) in the report.

        Returns
        -------
        StudyResult
            The run's warnings are issued as :class:`~bayeshcc.errors.AnalysisWarning` once it
            is done, and kept in ``result.warnings``.
        """
        options = RunOptions(bayes=bayes, draws=draws, tune=tune, chains=chains, quiet=quiet,
                             include_patient_data=include_patient_data, workers=workers,
                             scheduler=scheduler)
        result = run_study(self.cohort(data), options, self.spec_path)
        for message in dict.fromkeys(result.warnings):
            warnings.warn(message, AnalysisWarning, stacklevel=2)
        return result


def run_study(cohort: Cohort, options: RunOptions = RunOptions(),
              spec_path: str | Path | None = None,
              posterior_folder: Path | None = None) -> StudyResult:
    """Run every analysis the cohort's spec asks for and keep the results in memory.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort (its spec drives the analyses).
    options : RunOptions
    spec_path : str or Path, optional
        The spec file, recorded (with its sha256) in the manifest.
    posterior_folder : Path, optional
        Write each posterior to ``posterior_folder/NAME.nc`` as it arrives instead of keeping
        it in memory (the command line: a results folder's staging ``posterior/``).

    Returns
    -------
    StudyResult
        Its warnings are in ``manifest["warnings"]``; they are not issued.
    """
    from bayeshcc.report import render_report, tables_from_csv
    from bayeshcc.stages import (adjustment_stage, bayesian_stage, frequentist_stage,
                                 paper_comparison_stage, primary_stage)

    spec = options.apply(cohort.spec)
    cohort = replace(cohort, spec=spec)
    outputs = RunOutputs(posterior_folder=posterior_folder)
    timings: dict[str, float] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AnalysisWarning)

        def timed(name, stage, *args):
            start = time.perf_counter()
            result = stage(*args)
            timings[name] = round(time.perf_counter() - start, 3)
            return result

        # Each stage takes the typed results of those before it (bayeshcc.stages).
        adjusted = timed("adjustment", adjustment_stage, cohort, outputs)
        cohort = primary_stage(cohort, adjusted)  # overlap weights when ATE's are extreme
        frequentist = timed("frequentist", frequentist_stage, cohort, adjusted, outputs)
        bayesian = timed("bayesian", bayesian_stage, cohort, adjusted, frequentist, outputs,
                         options)
        timed("paper_comparison", paper_comparison_stage, cohort, adjusted, frequentist,
              outputs, options)
        messages = [str(w.message) for w in caught if issubclass(w.category, AnalysisWarning)]
        extra = {"adjustment": adjusted.summary or {}}
        if bayesian.manifest:
            extra["bayes"] = dict(bayesian.manifest)
        manifest = _as_json(build_manifest(cohort, spec_path, timings, messages, extra,
                                           outputs.files + ["manifest.json", "report.html"]))
        start = time.perf_counter()
        report = render_report(tables_from_csv(outputs.tables), outputs.figures, manifest,
                               bayesian.log_hr.get,
                               include_patient_data=options.include_patient_data)
        manifest["timings_seconds"]["report"] = round(time.perf_counter() - start, 3)
    return StudyResult(tables={name: outputs.frame(name) for name in sorted(outputs.tables)},
                       figures=outputs.figures, posteriors=outputs.posteriors,
                       manifest=manifest, report=report, outputs=outputs)


__all__ = ["Study", "StudyResult", "RunOptions", "OptionError", "run_study"]
