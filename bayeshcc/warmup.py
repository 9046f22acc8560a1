"""Compile ahead of time what a spec's Bayesian fits compile: ``bayeshcc warmup`` and
``bh.warmup()``.

A fresh machine pays numba's compilation of each model structure the first time a fit needs
it (1-9 s per structure, :mod:`bayeshcc.bayes.compile_cache`), and PyTensor's compilation of
the functions of the fit's other groups (log-likelihood, predictive draws, log prior:
:mod:`bayeshcc.bayes.groups`). :func:`warmup` pays both before the first analysis, sampling
nothing:

1. a cohort of the spec's shape: the table given as ``data``; for the bundled study's spec
   (the default) its bundled synthetic cohort; otherwise a small synthetic one
   (:func:`synthetic_cohort`: every column the Bayesian fits read, categorical covariates with
   their reference and one other level);
2. the fits of the spec's grid, built by the code a run uses: the adjustment stage's
   populations, the primary-analysis switch, :func:`bayeshcc.bayes.plan.plan_fits` and
   :func:`bayeshcc.stages.bayes_job`;
3. each fit's compile step only (:func:`bayeshcc.bayes.grid.compile_job`, which dispatches as
   :func:`~bayeshcc.bayes.grid.fit_job` does, and :func:`bayeshcc.bayes.fit.compile_fit`, which
   derives the structure with the function the fit derives it with), so the structures warmed
   are the ones a run of the spec looks up: it then reports ``"disk"`` (loaded) for each, in
   ``BayesFit.timings["compile_cache"]``. The groups' functions are compiled by numba at their
   first call, so ``compile_fit`` calls them once, on a stand-in posterior of two draws.

Run twice, it loads what the first run stored (idempotent). A truncated or garbled cache entry
is rebuilt (reported on its line, and one :class:`~bayeshcc.bayes.compile_cache.CacheWarning`),
never an error. Categorical covariates with more than two levels, or event times with many
ties (fewer piecewise intervals), can give a user's data other structures than the synthetic
cohort's: pass the table (``--data``) to warm exactly those of the data.

The module is callable: ``bh.warmup()`` is :func:`warmup`.
"""

from __future__ import annotations

import sys
import types
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

#: Patients of the synthetic cohort: enough for the propensity model, matching and six
#: piecewise intervals of distinct event times; nothing is sampled from them.
SYNTHETIC_PATIENTS = 60


@dataclass(frozen=True)
class Warmed:
    """One compiled structure: its key, the fits of the grid it serves, what the cache held
    before (:func:`bayeshcc.bayes.compile_cache.entry_state`) and what was done
    (:class:`bayeshcc.bayes.fit.Compiled`)."""

    key: tuple
    fits: tuple[str, ...]
    before: str
    source: str
    model_s: float
    groups_s: float

    @property
    def structure(self) -> str:
        """The structure in words, e.g. ``weibull, 4 covariate columns, 1 interval``."""
        return describe_key(self.key)

    @property
    def outcome(self) -> str:
        """What happened, e.g. ``compiled and cached`` or ``rebuilt (entry unreadable: ...)``."""
        if self.source == "memory":
            return "already compiled in this process"
        if self.source == "disk":
            return "loaded from the cache"
        if self.source == "uncached":
            return "compiled, not cached (the compiled-model cache is off or not writable)"
        if self.before.startswith("unreadable"):
            return f"rebuilt (entry {self.before})"
        if self.before == "present":
            return "rebuilt (the entry did not fit the model)"
        return "compiled and cached"

    def line(self) -> str:
        """One line for the terminal."""
        fits = f"{len(self.fits)} fit{'s' * (len(self.fits) != 1)}"
        return (f"warmup: {self.structure}: {self.outcome} in {self.model_s:.1f} s, group "
                f"functions {self.groups_s:.1f} s ({fits})")


def describe_key(key: tuple) -> str:
    """A compiled model's key in words."""
    if key[0] == "curve":
        _, model, columns, j = key
        model, varying = f"{model} (curve prior)", False
    else:
        model, columns, j, varying = key
    return (f"{model}{' (time-varying HR)' if varying else ''}, {columns} covariate columns, "
            f"{j} interval{'s' * (j != 1)}")


def _other_level(reference):
    """A level of the same type as a categorical covariate's reference, other than it."""
    if isinstance(reference, bool):
        return not reference
    if isinstance(reference, (int, float)):
        return reference + 1
    return f"{reference}_other"


def synthetic_cohort(spec, n: int = SYNTHETIC_PATIENTS, seed: int = 0):
    """A cohort of ``spec``'s shape for :func:`warmup`: both arms (alternating), every outcome
    (exponential times, 3 in 4 events), numeric covariates standard normal, categorical ones
    with their reference and one other level in each arm. The spec's response and safety
    tables are left out (no Bayesian fit reads them). Simulated, not patient data.

    Returns
    -------
    bayeshcc.cohort.Cohort
    """
    import numpy as np
    import pandas as pd

    from bayeshcc.cohort import Cohort

    rng = np.random.default_rng(seed)
    spec = replace(spec, response=None, safety=(), baseline=())
    d = spec.data
    arm = np.arange(n) % 2 == 0
    frame = {} if not d.id else {d.id: [f"W{i:04d}" for i in range(n)]}
    frame[d.treatment] = [d.treated if a else d.reference for a in arm]
    for out in spec.outcomes:
        frame[out.time] = np.round(rng.exponential(12.0, n) + 0.1, 3)
        frame[out.event] = (rng.random(n) < 0.75).astype(int)
    for cov in spec.covariates:
        if cov.kind == "numeric":
            frame[cov.name] = rng.normal(0.0, 1.0, n)
            continue
        levels = np.array([cov.reference, _other_level(cov.reference)], dtype=object)
        column = np.empty(n, dtype=object)
        for rows in (np.flatnonzero(arm), np.flatnonzero(~arm)):  # both levels in both arms
            column[rows] = rng.permutation(np.resize(levels, rows.size))
        frame[cov.name] = column
    return Cohort.from_dataframe(pd.DataFrame(frame), spec, source="<synthetic>")


def fit_jobs(cohort) -> list:
    """The :class:`~bayeshcc.bayes.grid.FitJob` of every fit of the cohort's grid, as the
    pipeline's Bayesian stage builds them (warnings of the adjustment on a synthetic cohort
    are not the user's and are dropped)."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.bayes.plan import plan_fits
    from bayeshcc.stages import bayes_job, primary_stage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adjusted = adjust(cohort)
    cohort = primary_stage(cohort, adjusted)
    if not cohort.spec.bayes.enabled:
        return []
    jobs = (bayes_job(cohort, adjusted.populations, task) for task in plan_fits(cohort.spec))
    return [job for job in jobs if job is not None]


def _cohort(spec_path: Path | None, data):
    """The spec and the cohort to derive the fits from (module docstring, step 1)."""
    from bayeshcc.cohort import Cohort
    from bayeshcc.pipeline import paper_spec_path
    from bayeshcc.spec import load_spec

    bundled = spec_path is None
    spec = load_spec(paper_spec_path() if bundled else spec_path)
    if data is not None:
        return spec, Cohort.from_file(data, spec)
    if bundled:
        from bayeshcc.datasets import paper_cohort_path

        return spec, Cohort.from_file(paper_cohort_path(), spec)
    return spec, synthetic_cohort(spec)


def warmup(spec: str | Path | None = None, data: str | Path | None = None,
           echo: Callable[[str], None] | None = None, progress=None) -> list[Warmed]:
    """Compile every model structure (and the PyTensor functions of its groups) that an
    analysis of ``spec`` would compile, into the compiled-model cache, sampling nothing.

    Parameters
    ----------
    spec : str or Path, optional
        An analysis spec (TOML); default: the bundled study's (``bayeshcc reproduce``).
    data : str or Path, optional
        A table the spec reads: its shape (categorical levels, ties, matched pairs) decides the
        structures, instead of a synthetic cohort's (module docstring).
    echo : callable, optional
        Called with one line per structure (:meth:`Warmed.line`) once all are compiled.
    progress : bayeshcc.progress.Progress, optional
        Counts the fits as their structures are compiled.

    Returns
    -------
    list of Warmed
        One per structure, in the order first needed.

    Raises
    ------
    bayeshcc.errors.SpecError, bayeshcc.errors.CohortError
        An invalid spec, or a table that does not fit it.
    """
    from bayeshcc.bayes.grid import compile_job
    from bayeshcc.errors import AnalysisError

    _, cohort = _cohort(None if spec is None else Path(spec), data)
    jobs = fit_jobs(cohort)
    done: dict[tuple, Warmed] = {}
    if progress is not None:
        progress.begin(len(jobs))
    for job in jobs:
        try:
            compiled = compile_job(job)
        except AnalysisError:  # the run skips this fit too (e.g. no events in a population)
            if progress is not None:
                progress.step(job.label)
            continue
        first = done.get(compiled.key)
        if first is None:
            done[compiled.key] = Warmed(compiled.key, (job.label,), compiled.before,
                                        compiled.source, compiled.model_s, compiled.groups_s)
        else:
            done[compiled.key] = replace(first, fits=first.fits + (job.label,))
        if progress is not None:
            progress.step(job.label)
    if progress is not None:
        progress.end()
    if echo is not None:
        for warmed in done.values():
            echo(warmed.line())
    return list(done.values())


def summary(warmed: list[Warmed], seconds: float) -> str:
    """The last line of ``bayeshcc warmup``."""
    from bayeshcc.bayes.compile_cache import cache_dir

    words = {"disk": "loaded", "compiled": "compiled", "memory": "in memory",
             "uncached": "compiled, not cached"}
    counts: dict[str, int] = {}
    for w in warmed:
        counts[w.source] = counts.get(w.source, 0) + 1
    done = ", ".join(f"{n} {words.get(source, source)}" for source, n in counts.items())
    folder = cache_dir()
    where = f"cache: {folder}" if folder is not None else "compiled-model cache off"
    n_fits = sum(len(w.fits) for w in warmed)
    return (f"warmup: {len(warmed)} structure{'s' * (len(warmed) != 1)} for {n_fits} fits in "
            f"{seconds:.1f} s ({done or 'nothing to compile'}); {where}")


class _CallableModule(types.ModuleType):
    """``bh.warmup()``: the module ``bayeshcc.warmup`` called is :func:`warmup` (importing the
    submodule makes it the package's ``warmup`` attribute, so a function of that name could
    not stay there)."""

    def __call__(self, *args, **kwargs):
        return warmup(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Warmed", "warmup", "synthetic_cohort", "fit_jobs", "describe_key", "summary"]
