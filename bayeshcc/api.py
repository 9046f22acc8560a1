"""The Python API: ``bh.fit``, ``bh.compare`` and ``bh.analyze`` (``import bayeshcc as bh``).

Everything here goes through the same code as the command line: :func:`fit` writes a one-fit
spec (:func:`bayeshcc.spec.spec_from_mapping`), validates the DataFrame through
:class:`~bayeshcc.cohort.Cohort`, builds the populations with
:func:`bayeshcc.adjust.cohort.adjust` and the fit's :class:`~bayeshcc.bayes.grid.FitJob` with
:func:`bayeshcc.stages.bayes_job` (the very job the pipeline runs), and fits it with
:func:`bayeshcc.bayes.grid.fit_job`. So a fit made here with ``seed=S`` has the same draws as the
same cell of a spec with ``[bayes] seed = S`` run by ``bayeshcc analyze``.

The fit object, :class:`~bayeshcc.fitted.Fit`, and :func:`~bayeshcc.fitted.load_fit`, which reads
one saved by :meth:`Fit.to_netcdf <bayeshcc.fitted.Fit.to_netcdf>`, live in
:mod:`bayeshcc.fitted` and are re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bayeshcc.errors import AnalysisError, AnalysisWarning, CohortError, SpecError
from bayeshcc.fitted import Fit, load_fit  # noqa: F401  (re-exported: bh.Fit, bh.load_fit)
from bayeshcc.study import OptionError, RunOptions, Study, StudyResult


# --- one fit ---------------------------------------------------------------------------------

def _level(value):
    """A treatment level as the spec takes it (numpy scalars as Python numbers)."""
    return value.item() if isinstance(value, np.generic) else value


def _in_words_of(function: str, message: str, outcome: str = "") -> str:
    """A message of the spec or cohort layer in the words of the API function that called it:
    its arguments (``draws``, ``prior=``, ``propensity['caliper']``) instead of the spec keys
    and command-line flags it does not take, prefixed ``bh.<function>:``."""
    import re

    o = re.escape(outcome)
    replacements = [
        (r"^(?:bh\.\w+|<DataFrame>): ", ""),
        (r"bayes\.priors \(or define \[priors\.NAME\]\)", "prior"),
        (r"\[priors\.custom\]", "prior="),
        (rf"event \(outcomes\.{o}\)", "event="),
        (rf"time \(outcomes\.{o}\)", "time="),
        (rf"outcomes\.{o}\.(time|event)", r"\1="),
        (r"propensity\.(\w+)", r"propensity['\1']"),
        (r"rmst\.tau", "tau"),
        (r"bayes\.(draws|tune|chains|seed|thresholds|intervals|cutpoints|uncertainty|models|"
         r"adjustments|outcome_covariates)", r"\1"),
        (r"--(draws|tune|chains|workers)\b", r"\1"),
        (r"set `missing = \"drop\"` in \[data\] to drop such rows \(recorded in the "
         r"manifest\)", "drop those rows from df"),
    ]
    for pattern, replacement in replacements:
        message = re.sub(pattern, replacement, message)
    return f"bh.{function}: {message}"


def _check_choice(value, valid, argument: str) -> None:
    if not isinstance(value, str) or value not in valid:
        raise SpecError(f"{argument}={value!r} is not one of: " + ", ".join(valid))


def _fit_spec(df: pd.DataFrame, *, time, event, treatment, treated, reference, outcome, model,
              adjustment, covariates, categorical, prior, draws, tune, chains, seed, uncertainty,
              tau, thresholds, cutpoints, intervals, propensity, id, outcome_covariates=False):
    """The one-fit spec mapping of :func:`fit`, validated by :func:`spec_from_mapping`."""
    from bayeshcc.spec import MODELS, spec_from_mapping
    from bayeshcc.vocab import ADJUSTMENTS, UNCERTAINTY
    from bayeshcc.vocab import PROPENSITY as PS_ADJUSTMENTS

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    _check_choice(model, MODELS, "model")
    _check_choice(adjustment, ADJUSTMENTS, "adjustment")
    _check_choice(uncertainty, UNCERTAINTY, "uncertainty")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or ())
    categorical = [categorical] if isinstance(categorical, str) else list(categorical or ())
    named = {"time": time, "event": event, "treatment": treatment, **({"id": id} if id else {})}
    named.update({f"covariates[{c!r}]": c for c in covariates})
    for role, column in named.items():
        if not isinstance(column, str) or column not in df.columns:
            raise CohortError(f"{role}: column {column!r} is not in the DataFrame; its columns "
                              "are: " + ", ".join(map(str, df.columns)))
    for c in categorical:
        if c not in covariates:
            raise SpecError(f"categorical names {c!r}, which is not in covariates={covariates}")
    levels = [_level(v) for v in pd.unique(df[treatment].dropna())]
    if treated not in levels:
        raise CohortError(f"treatment column {treatment!r} has no patient with level {treated!r} "
                          f"(treated=); its levels are: {levels}")
    if reference is None:
        others = [v for v in levels if v != treated]
        if len(others) != 1:
            raise CohortError(f"treatment column {treatment!r} has {len(levels)} levels {levels}; "
                              "bh.fit compares two arms: keep the rows of two arms, or give "
                              "reference= (rows of other levels are then refused)"
                              if others else
                              f"treatment column {treatment!r} has only the level {treated!r}; "
                              "both arms need patients")
        reference = others[0]
    cov_table = {}
    for c in covariates:
        dtype = df[c].dtype
        kind = ("categorical" if c in categorical or dtype == object or dtype == bool
                or isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)
                else "numeric")
        cov_table[c] = {"type": kind}
    name = outcome or time
    bayes = {"models": [model], "adjustments": [adjustment], "draws": draws, "tune": tune,
             "chains": chains, "seed": seed, "uncertainty": uncertainty,
             "thresholds": list(thresholds or ()), "intervals": intervals,
             "cutpoints": list(cutpoints or ())}
    priors = {}
    if isinstance(prior, Mapping):  # a custom prior: the table of [priors.custom]
        priors["custom"] = dict(prior)
        prior = "custom"
    bayes["priors"] = [prior]
    if covariates:
        bayes["covariates"] = covariates
    if not isinstance(outcome_covariates, bool):
        raise SpecError(f"outcome_covariates={outcome_covariates!r} must be True or False")
    if outcome_covariates:
        if adjustment not in PS_ADJUSTMENTS:
            raise SpecError(f"outcome_covariates=True applies to the adjustments "
                            f"{list(PS_ADJUSTMENTS)} (adjustment='covariates' already has the "
                            f"covariates in its model), not adjustment={adjustment!r}")
        bayes["outcome_covariates"] = True
    raw = {"data": {"treatment": treatment, "treated": _level(treated),
                    "reference": _level(reference), **({"id": id} if id else {})},
           "outcomes": {name: {"time": time, "event": event}},
           "covariates": cov_table, "bayes": {k: v for k, v in bayes.items() if v is not None},
           "priors": priors}
    if adjustment == "covariates" and not covariates:
        raise SpecError("adjustment='covariates' needs covariates= (the model's covariates)")
    if adjustment in PS_ADJUSTMENTS:  # the propensity model is only fitted when it is used
        if not covariates:
            raise SpecError(f"adjustment={adjustment!r} needs covariates= for its propensity "
                            "model")
        raw["propensity"] = {"covariates": covariates, **dict(propensity or {})}
    elif propensity:
        raise SpecError(f"propensity= settings apply to the adjustments {list(PS_ADJUSTMENTS)}, "
                        f"not adjustment={adjustment!r}")
    if tau is not None:
        raw["rmst"] = {"tau": tau}
    return spec_from_mapping(raw, source="bh.fit")


def fit(df: pd.DataFrame, time: str, event: str, treatment: str, treated, *,
        reference=None, outcome: str | None = None, model: str = "weibull",
        adjustment: str = "none", covariates: Sequence[str] = (),
        categorical: Sequence[str] = (), prior: str | Mapping = "weakly_informative",
        draws: int = 1000, tune: int = 1000, chains: int = 4, seed: int = 20241,
        uncertainty: str = "sandwich", tau: float | None = None,
        thresholds: Sequence[float] = (), cutpoints: Sequence[float] = (), intervals: int = 6,
        propensity: Mapping | None = None, id: str | None = None,
        outcome_covariates: bool = False) -> Fit:
    """Fit one Bayesian survival model comparing two treatments.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient; not modified.
    time, event : str
        Follow-up (> 0) and event (1 = event, 0 = censored) columns.
    treatment : str
        Treatment column (two levels: strings, or numbers such as 0/1).
    treated : str or number
        The treated level; the other level is the reference (or give ``reference=``).
    outcome : str, optional
        The outcome's name (default: the time column). It is part of the fit's key, hence of
        its seed: give the spec's ``[outcomes.NAME]`` to reproduce a CLI fit.
    model : {"weibull", "piecewise", "mspline"}
        The baseline hazard (docs: "The survival models"); every family's weighted and
        matched fits are sandwich-calibrated (the M-spline's with its smoothing prior as a
        penalty, :mod:`bayeshcc.bayes.calibration`).
    adjustment : {"none", "covariates", "ate", "att", "overlap", "matched"}
        As in the spec's ``[bayes] adjustments``. ``covariates``: the covariates in the model
        (conditional HR); ``ate``/``att``/``overlap``: propensity-score weights; ``matched``:
        1:1 nearest-neighbour PS matching. The propensity model uses ``covariates``.
    covariates : list of str
        Covariate columns: the model's covariates with ``adjustment="covariates"``, the
        propensity model's with ``ate``/``att``/``overlap``/``matched``, unused with ``none``.
        Object, category, string and bool columns are categorical (first sorted level is the
        reference); list others in ``categorical=`` to treat them so.
    prior : str or mapping
        A built-in prior name (``weakly_informative``, ``vague``, ``skeptical``,
        ``enthusiastic``) or a ``[priors.NAME]`` table as a dict (e.g. ``{"type": "external",
        "hr": 0.45, "lower": 0.24, "upper": 0.83, "discount": 0.5}``, or ``{"type": "robust",
        "hr": 0.45, "lower": 0.24, "upper": 0.83, "weight": 0.8}``).
    draws, tune, chains : int
        Sampler settings (nutpie NUTS).
    seed : int
        The *analysis* seed, as ``[bayes] seed`` of a spec (default 20241, the spec default).
        The fit's own seed is ``bayeshcc.executors.derive_seed(seed, (outcome, model, prior,
        adjustment))``, as the pipeline derives it, so the same seed gives the same draws as
        the same cell of ``bayeshcc analyze``. It is ``fit.task.seed``.
    uncertainty : {"sandwich", "kish", "ps_bootstrap"}
        How weighted and matched posteriors are made honest (``[bayes] uncertainty``):
        sandwich-calibrated by default. Ignored for ``none`` and ``covariates``.
    tau : float, optional
        RMST horizon (default: as the pipeline, the smaller arm's last follow-up).
    thresholds : list of float
        HR thresholds for ``P(HR < t)`` in :meth:`Fit.hazard_ratio`.
    cutpoints, intervals
        Piecewise model: interval boundaries, or the number of intervals (event quantiles).
        M-spline model: the interior knots followed by the boundary knot, or the number of
        basis functions (default 6: 2 interior knots at event-time quantiles).
    propensity : mapping, optional
        Other ``[propensity]`` settings: ``caliper``, ``ratio``, ``replace``, ``stabilize``,
        ``trim``.
    id : str, optional
        Patient id column (used in error messages and matching).
    outcome_covariates : bool
        ``ate``/``att``/``overlap``/``matched`` only (``[bayes] outcome_covariates``): put
        ``covariates`` into the outcome model too (weighted likelihood), and standardise
        :meth:`Fit.survival_function`, :meth:`Fit.rmst` and :meth:`Fit.median` over the estimand's
        target population (everyone, the treated, overlap weights e(1-e), the matched sample;
        :mod:`bayeshcc.bayes.standardise`). The HR is then conditional on the covariates.
        Default False: treatment-only outcome model, as before.

    Returns
    -------
    Fit

    Raises
    ------
    bayeshcc.errors.CohortError
        A column is missing, the treatment has another number of levels than two, or a value
        is invalid (non-numeric time, event not 0/1, missing values); the message names it.
    bayeshcc.errors.SpecError
        An unknown model, adjustment, prior or uncertainty, or invalid settings.
    bayeshcc.errors.AnalysisError
        The fit cannot be made (e.g. no matched pairs, no events).
    """
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.bayes.grid import fit_job, is_weighted
    from bayeshcc.bayes.plan import adjustment_covariates, plan_fits, population_for
    from bayeshcc.cohort import Cohort
    from bayeshcc.design import profile_design
    from bayeshcc.stages import bayes_job

    try:
        spec = _fit_spec(df, time=time, event=event, treatment=treatment, treated=treated,
                         reference=reference, outcome=outcome, model=model,
                         adjustment=adjustment, covariates=covariates, categorical=categorical,
                         prior=prior, draws=draws, tune=tune, chains=chains, seed=seed,
                         uncertainty=uncertainty, tau=tau, thresholds=thresholds,
                         cutpoints=cutpoints, intervals=intervals, propensity=propensity, id=id,
                         outcome_covariates=outcome_covariates)
        cohort = Cohort.from_dataframe(df, spec)
    except (SpecError, CohortError) as exc:  # in bh.fit's words, not the spec's
        raise type(exc)(_in_words_of("fit", str(exc), outcome or str(time))) from None
    populations = adjust(cohort).populations
    (task,) = plan_fits(spec)
    job = bayes_job(cohort, populations, task)
    if job is None:
        raise AnalysisError(f"bh.fit: no {adjustment} population could be built (see the "
                            "warnings above), e.g. no pair within the caliper")
    bayes_fit, conv = fit_job(job)
    if not conv.reliable:
        warnings.warn(_in_words_of("fit", f"posterior {task.label} is not reliable: "
                                          f"{conv.message}"), AnalysisWarning, stacklevel=2)
    pop = population_for(task.adjustment, populations)
    in_model = adjustment_covariates(spec) if task.adjustment == "covariates" else ()
    return Fit(bayes_fit=bayes_fit, task=task, arms=(spec.data.treated, spec.data.reference),
               arm_names=cohort.arm_labels(), tau=job.tau, convergence=conv,
               profiles=profile_design(pop.cohort, in_model),
               thresholds=tuple(float(t) for t in spec.bayes.thresholds),
               weighted=is_weighted(bayes_fit), uncertainty=job.uncertainty, spec=spec,
               calibration=job.calibration)


# --- comparing fits --------------------------------------------------------------------------

def compare(fits: Mapping[str, Fit], method: str = "stacking") -> pd.DataFrame:
    """Compare fits by PSIS-LOO: :func:`arviz.compare` on their ``log_likelihood`` groups.

    Parameters
    ----------
    fits : dict of {name: Fit}
        At least two fits of the same patients and outcome.
    method : str
        ArviZ's weighting method (``stacking``, ``BB-pseudo-BMA``, ``pseudo-BMA``).

    Returns
    -------
    pandas.DataFrame
        ArviZ's table (one row per fit, best first: ``elpd``, ``elpd_diff`` and its SE
        ``dse``, ``p``, ``weight``, ...), unrounded, plus ``weighted`` and
        ``valid_predictive_comparison``: LOO of a weighted pseudo-likelihood (PS-weighted or
        matched with weights) does not estimate predictive performance, so those rows are
        flagged and an :class:`~bayeshcc.errors.AnalysisWarning` says so.
    """
    import arviz as az

    from bayeshcc.tables.bayes import NOT_PREDICTIVE

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise AnalysisError("compare needs a dict of at least two fits, e.g. "
                            "{'weibull': fit, 'piecewise': fit2}")
    trees = {}
    for name, f in fits.items():
        if not isinstance(f, Fit):
            raise AnalysisError(f"compare: {name!r} is a {type(f).__name__}, not a bayeshcc Fit")
        if "log_likelihood" not in f.tree.children:
            raise AnalysisError(f"compare: fit {name!r} has no log_likelihood group (too many "
                                "draws x patients were kept out of memory)")
        trees[name] = f.tree
    sizes = {name: int(f.bayes_fit.data.time.size) for name, f in fits.items()}
    if len(set(sizes.values())) > 1:
        raise AnalysisError(f"compare: the fits analyse different patients {sizes}; LOO compares "
                            "models of the same data")
    weighted = [name for name, f in fits.items() if f.weighted]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.compare(trees, method=method, round_to="none")
    table["weighted"] = [fits[name].weighted for name in table.index]
    table["valid_predictive_comparison"] = ~table["weighted"]
    if weighted:
        warnings.warn(f"compare: {', '.join(weighted)}: {NOT_PREDICTIVE} (elpd of a weighted "
                      "likelihood)", AnalysisWarning, stacklevel=2)
    return table


# --- the whole pipeline ----------------------------------------------------------------------

def _spec_of(spec):
    from bayeshcc.spec import AnalysisSpec, load_spec, spec_from_text

    if isinstance(spec, AnalysisSpec):
        return spec, None
    if isinstance(spec, Path):
        return load_spec(spec), spec
    if isinstance(spec, str):
        if "\n" in spec or "[" in spec:
            return spec_from_text(spec), None
        return load_spec(spec), Path(spec)
    raise SpecError(f"spec must be an AnalysisSpec, a path or TOML text, got {type(spec).__name__}")


def analyze(df: pd.DataFrame | str | Path, spec, *, draws: int | None = None,
            tune: int | None = None, chains: int | None = None, bayes: bool = True,
            workers: int | None = None, quiet: bool = True) -> StudyResult:
    """Run the whole analysis of a spec (as ``bayeshcc analyze``) and return its results in memory.

    :meth:`bayeshcc.study.Study.run`: the stages the command line runs, with nothing written to
    disk; the tables are those ``bayeshcc analyze`` writes, as a reader of its CSV files gets
    them (``NA`` becomes NaN), and :meth:`~bayeshcc.study.StudyResult.write` writes the same
    results folder.

    Parameters
    ----------
    df : pandas.DataFrame, or a path to a CSV / Parquet / Excel file
    spec : AnalysisSpec, path, or TOML text
    draws, tune, chains : int, optional
        Override the spec's ``[bayes]`` sampler settings.
    bayes : bool
        False skips the Bayesian fits.
    workers : int, optional
        Run the Bayesian fits on this many local processes.
    quiet : bool
        No progress bar. The run's warnings (``manifest["warnings"]``) are issued as
        :class:`~bayeshcc.errors.AnalysisWarning` once the run is done.

    Returns
    -------
    StudyResult
        ``.tables``, ``.figures``, ``.posteriors``, ``.manifest``, ``.report``,
        ``.write(folder, force=False)``.
    """
    spec, spec_path = _spec_of(spec)
    try:
        options = dict(draws=draws, tune=tune, chains=chains, bayes=bayes, workers=workers,
                       quiet=quiet)
        RunOptions(**options)  # checked here, in bh.analyze's words
    except OptionError as exc:
        raise OptionError(_in_words_of("analyze", str(exc))) from None
    return Study(spec, spec_path).run(df, **options)


# the results of :func:`analyze` (the name before :class:`~bayeshcc.study.StudyResult`)
Analysis = StudyResult

__all__ = ["Fit", "Analysis", "Study", "StudyResult", "fit", "load_fit", "compare", "analyze"]
