"""The pipeline's stages, in order: adjustment, frequentist, Bayesian, paper comparison.

Each stage is a function of the cohort and the typed results of the stages before it (small
frozen dataclasses: :class:`~bayeshcc.adjust.cohort.Adjustment`, :class:`FrequentistResults`,
:class:`BayesianResults`); it writes its tables and figures and returns its own result. Nothing
is shared or mutated between stages, and nothing a stage made is read back from disk: the
stages hand their tables, figures and posteriors to a :class:`~bayeshcc.outputs.RunOutputs`,
and the figures and tables that need a fit's draws take them from the fit as it arrives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Mapping

from bayeshcc.cohort import Cohort
from bayeshcc.outputs import RunOutputs, compact_png_bytes
from bayeshcc.vocab import readable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from bayeshcc.adjust.cohort import Adjustment


@dataclass(frozen=True)
class FrequentistResults:
    """Tables 1-5, Kaplan-Meier, Cox and RMST tables, by their results-folder names."""

    tables: Mapping[str, "pd.DataFrame"]


@dataclass(frozen=True)
class BayesianResults:
    """The Bayesian tables (``posterior_hr``, ``posterior_contrasts``, ``tipping_point``, ...),
    the manifest's ``bayes`` entry and each fit's log-HR draws by posterior name (for the
    report's figures)."""

    tables: Mapping[str, "pd.DataFrame"] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)
    log_hr: Mapping[str, "np.ndarray"] = field(default_factory=dict)


def adjustment_stage(cohort: Cohort, outputs: RunOutputs) -> "Adjustment":
    """Populations to analyse: the whole cohort, then matched and weighted ones."""
    from bayeshcc.adjust.cohort import adjust
    from bayeshcc.figures.balance import plot_love
    from bayeshcc.figures.overlap import plot_ps_histogram

    result = adjust(cohort)
    if result.propensity is not None:
        outputs.table("propensity_model", result.propensity)
    if result.matches is not None:
        outputs.table("matches", result.matches)
    if result.balance is not None:
        outputs.table("balance", result.balance)
        outputs.figure("love_plot", plot_love(result.balance).figure)
    if result.overlap is not None:
        outputs.table("overlap", result.overlap)
    if result.ps_histogram is not None:
        outputs.table("ps_histogram", result.ps_histogram)
        outputs.figure("ps_histogram", plot_ps_histogram(
            result.ps_histogram, cohort.spec.data.arm_names(),
            title="Propensity score by arm (shaded: outside 0.05-0.95)").figure)
    return result


def primary_stage(cohort: Cohort, adjusted: "Adjustment") -> Cohort:
    """The cohort whose spec the later stages read: the primary analysis moved to overlap
    weights when the adjustment stage made that default switch (``Adjustment.bayes``; see
    :func:`bayeshcc.adjust.cohort.adjust`), else the cohort as it is."""
    if adjusted.bayes is None:
        return cohort
    from dataclasses import replace

    return replace(cohort, spec=replace(cohort.spec, bayes=adjusted.bayes))


def frequentist_stage(cohort: Cohort, adjusted: "Adjustment",
                      outputs: RunOutputs) -> FrequentistResults:
    """Tables 1-5, Kaplan-Meier and their figures."""
    from bayeshcc.figures.km import plot_km
    from bayeshcc.figures.forest import plot_forest
    from bayeshcc.tables.baseline import baseline_table
    from bayeshcc.tables.cox import cox_tables
    from bayeshcc.tables.response import response_table
    from bayeshcc.tables.rmst import rmst_table
    from bayeshcc.tables.safety import safety_table
    from bayeshcc.tables.survival import survival_tables

    spec = cohort.spec
    populations = list(adjusted.populations)
    variables = spec.baseline or tuple(c.name for c in spec.covariates)
    tables = {}
    if variables:
        tables["baseline"] = baseline_table(populations, variables)
    if spec.response is not None:
        tables["response"] = response_table(populations, spec.response)
    if spec.safety:
        tables["safety"] = safety_table(cohort)
    tables.update(survival_tables(populations))
    tables.update(cox_tables(populations))
    tables["rmst"] = rmst_table(populations)
    for name, table in tables.items():
        outputs.table(name, table)
    for out in spec.outcomes:
        rows = tables["cox"][(tables["cox"]["outcome"] == out.name)
                             & ((tables["cox"]["model"] == "multivariable")
                                | ((tables["cox"]["term"] == "treatment")
                                   & (tables["cox"]["cohort"] != "unadjusted")))]
        if len(rows):
            rows = rows.assign(label=rows["cohort"] + ": " + rows["term"])
            ax = plot_forest(rows, title=f"{out.label}: Cox hazard ratios")
            outputs.figure(f"forest_cox_{out.name}", ax.figure)
    arms = cohort.arm_labels()
    scale, time_label = spec.data.time_axis()
    for pop in populations:
        for out in spec.outcomes:
            pick = lambda t: t[(t["cohort"] == pop.name) & (t["outcome"] == out.name)]  # noqa: E731
            ax, _ = plot_km(pick(tables["km_curves"]), pick(tables["km_at_risk"]), arms,
                            title=f"{out.label} ({readable(pop.name)})",
                            time_label=time_label, names=spec.data.arm_names(),
                            time_scale=scale, weighted=pop.is_weighted)
            outputs.figure(f"km_{out.name}_{pop.name}", ax.figure)
    return FrequentistResults(tables)


def paper_comparison_stage(cohort: Cohort, adjusted: "Adjustment",
                           frequentist: FrequentistResults, outputs: RunOutputs,
                           options) -> None:
    """``paper_comparison.csv``: the published figures beside ours (``reproduce`` only)."""
    if not getattr(options, "compare_to_paper", False):
        return
    from bayeshcc.studies.hcc2024.comparison import load_paper_targets, paper_comparison

    pairs = (adjusted.summary or {}).get("pairs")
    outputs.table("paper_comparison", paper_comparison(dict(frequentist.tables),
                                                      load_paper_targets(), pairs))


def bayes_job(cohort: Cohort, populations, task):
    """The :class:`~bayeshcc.bayes.grid.FitJob` of one fit of the grid, or None when the
    population its adjustment analyses was not built (e.g. no matched pairs). Shared by the
    pipeline and the Python API (:func:`bayeshcc.fit`)."""
    from bayeshcc.bayes.grid import FitJob
    from bayeshcc.bayes.plan import (adjustment_covariates, calibration_for, fit_inputs,
                                     population_for, propensity_design, standardisation_for,
                                     uncertainty_label)
    from bayeshcc.bayes.priors import resolve_prior
    from bayeshcc.tables.rmst import default_tau

    spec = cohort.spec
    b = spec.bayes
    pop = population_for(task.adjustment, populations)
    if pop is None:
        return None
    covariates = adjustment_covariates(spec)
    inputs = fit_inputs(task, pop, covariates)
    tau = spec.rmst_tau or default_tau(inputs["time"], inputs["treated"] > 0)
    design = propensity_design(task, cohort)
    if design is not None:  # the PS is drawn: the job sees every patient
        inputs = fit_inputs(task, population_for("none", populations), covariates)
    primary = b.primary
    full = task.prior == b.priors[0] or (primary is not None and task.prior == primary.prior)
    draws, rule = sensitivity_length(b, task)
    return FitJob(task, inputs, resolve_prior(task.prior, spec.priors, b.clinical_hr),
                  draws, b.tune, b.chains, tuple(b.cutpoints), b.intervals, tau,
                  cohort.arm_labels(), tuple(b.thresholds), full, design,
                  b.ps_replicates if design is not None else 0,
                  uncertainty=uncertainty_label(task.adjustment, b.uncertainty),
                  calibration=(calibration_for(task, pop, b.uncertainty)
                               if design is None else None),
                  draws_rule=rule, standardise=standardisation_for(task, pop))


def sensitivity_length(b, task) -> tuple[int, str]:
    """Draws per chain and draws rule (``fixed`` or ``until_ess``) of a fit: the primary
    analysis (and every fit when the grid has none) samples ``[bayes] draws``; the others as
    ``[bayes] sensitivity_draws`` says (``full``, ``until_ess`` or a number of draws)."""
    primary = b.primary
    if primary is None or (task.model, task.adjustment, task.prior) == (
            primary.model, primary.adjustment, primary.prior):
        return b.draws, "fixed"
    if b.sensitivity_draws == "until_ess":
        return b.draws, "until_ess"
    if b.sensitivity_draws == "full":
        return b.draws, "fixed"
    return min(int(b.sensitivity_draws), b.draws), "fixed"


def bayesian_stage(cohort: Cohort, adjusted: "Adjustment", frequentist: FrequentistResults,
                   outputs: RunOutputs, options) -> BayesianResults:
    """Posterior HRs, contrasts, curves, LOO and posteriors for every fit the spec asks for."""
    spec = cohort.spec
    if not spec.bayes.enabled:
        return BayesianResults()
    import dataclasses
    import warnings

    import pandas as pd

    from bayeshcc.bayes.grid import POINTWISE_GROUPS, drop_groups, run_grid
    from bayeshcc.bayes.km_misfit import km_misfit_table
    from bayeshcc.bayes.plan import plan_fits
    from bayeshcc.bayes.priors import resolve_prior
    from bayeshcc.errors import AnalysisWarning
    from bayeshcc.progress import Progress
    from bayeshcc.tables.bayes import (HR_COLUMNS, is_primary, loo_result, loo_rows,
                                       prior_predictive_table)

    b = spec.bayes
    primary = b.primary
    jobs = []
    for task in plan_fits(spec):
        job = bayes_job(cohort, adjusted.populations, task)
        if job is None:
            warnings.warn(f"Bayesian fit {task.label} skipped: no {task.adjustment} "
                          "population (see the warnings above)", AnalysisWarning, stacklevel=2)
            continue
        jobs.append(job)

    kept = KeptDraws()

    def save(result):
        """Hand a fit's posterior to the outputs as soon as it arrives and keep its table rows,
        LOO, log-HR draws and (unadjusted fits) the draws of the diagnostics figures only: a
        grid of fits of 3 000 patients would otherwise hold every draws x patients group
        (log-likelihood, predictive draws: 190 MB a fit) until the last fit ends."""
        if result.error:
            return result, None
        tree = result.posterior
        outputs.posterior(result.task.name, tree, single=POINTWISE_GROUPS)
        kept.keep(result.task, tree)
        # freed group by group once on disk (a dropped tree would wait for the cycle
        # collector, see drop_groups): the predictive draws before LOO's batches are made
        drop_groups(tree, ("posterior_predictive",))
        loo = loo_result(tree) if result.contrasts is not None else None
        drop_groups(tree, POINTWISE_GROUPS)
        return dataclasses.replace(result, posterior=None), loo

    with Progress(quiet=options.quiet) as progress:
        results = run_grid(jobs, workers=options.workers, scheduler=options.scheduler,
                           progress=progress, keep=save)
    hr_rows, contrasts, curves, trees = [], [], [], {}
    for result, loo in results:
        task = result.task
        if result.error:
            warnings.warn(f"Bayesian fit {task.label} not run: {result.error}", AnalysisWarning,
                          stacklevel=2)
            continue
        if not result.hr["reliable"]:
            warnings.warn(f"posterior {task.label} is not reliable: {result.hr['convergence']}",
                          AnalysisWarning, stacklevel=2)
        hr_rows.append(result.hr)
        if result.contrasts is not None:
            contrasts.append(result.contrasts)
            curves.append(result.curves)
            trees[task.key] = (loo, result.weighted)
    if not hr_rows:
        return BayesianResults()
    hr_table = pd.DataFrame(hr_rows)
    hr_table["primary"] = [is_primary(primary, row) for row in hr_rows]
    hr_table = hr_table[HR_COLUMNS + [c for c in hr_table.columns if c not in HR_COLUMNS]]
    tables = {"posterior_hr": hr_table, "sensitivity": hr_table,
              "posterior_contrasts": pd.concat(contrasts, ignore_index=True),
              "marginal_survival": pd.concat(curves, ignore_index=True),
              "loo": loo_rows(trees), "prior_predictive": prior_predictive_table(cohort)}
    tables["model_fit"] = km_misfit_table(tables["marginal_survival"], frequentist.tables.get("km_curves"))
    for name, table in tables.items():
        outputs.table(name, table)
    manifest = {
        "fits": len(hr_rows), "unreliable": int((~hr_table["reliable"]).sum()),
        "sampler": "nutpie NUTS", "draws": b.draws, "tune": b.tune, "chains": b.chains,
        "sensitivity_draws": b.sensitivity_draws,
        "uncertainty": b.uncertainty,
        "ps_replicates": b.ps_replicates if b.uncertainty == "ps_bootstrap" else 0,
        "clinical_hr": b.clinical_hr,
        "priors": {p: resolve_prior(p, spec.priors, b.clinical_hr).description for p in b.priors}}
    _bayes_figures(cohort, tables, frequentist.tables.get("km_curves"), kept, outputs)
    from bayeshcc.sensitivity import tipping_point_table

    from bayeshcc.tables.confounding import confounding_columns

    tipping = tipping_point_table(cohort, adjusted.populations, hr_table,
                                  partial(_grid_log_hr, b, kept))
    tipping = confounding_columns(tipping, hr_table, frequentist.tables.get("cox"),
                                  kept.of_row, b.decision_threshold)
    outputs.table("tipping_point", tipping)
    from bayeshcc.bayes.borrowing import borrowing_sweep_table

    sweep = borrowing_sweep_table(cohort, adjusted.populations)
    outputs.table("borrowing_sweep", sweep)
    if len(sweep):
        from bayeshcc.figures.borrowing import plot_borrowing_sweep

        outputs.figure("borrowing_sweep", plot_borrowing_sweep(
            sweep, title="Borrowing from external evidence: the power prior's discount a0"))
    return BayesianResults({**tables, "tipping_point": tipping, "borrowing_sweep": sweep},
                           manifest, kept.log_hr)


@dataclass
class KeptDraws:
    """What the figures and tables after the grid need of each fit, kept as the fit arrives:
    its log-HR draws (flattened over chains and draws, as the posterior file stores them) and,
    for unadjusted fits, the ``posterior`` and ``sample_stats`` groups the diagnostics figures
    draw."""

    log_hr: dict[str, "np.ndarray"] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def keep(self, task, tree) -> None:
        """Keep what is needed of a fit's posterior ``tree`` (not changed)."""
        self.log_hr[task.name] = tree["posterior"]["log_hr"].values.ravel().copy()
        if task.adjustment == "none":
            import xarray as xr

            self.diagnostics[task.name] = xr.DataTree.from_dict(
                {group: tree[group].to_dataset() for group in ("posterior", "sample_stats")
                 if group in tree.children})

    def of_row(self, row) -> "np.ndarray | None":
        """The log-HR draws of a ``posterior_hr`` row's fit (None when it was not fitted)."""
        return self.log_hr.get(f"{row['outcome']}_{row['model']}_{row['prior']}_{row['adjustment']}")


def _grid_log_hr(b, kept: KeptDraws, task) -> "np.ndarray | None":
    """The log-HR draws the grid made for ``task``, if it sampled them as the tipping-point
    table would: a fixed-length run of ``[bayes] draws`` (:func:`sensitivity_length`, with the
    task's own seed) whose posterior is the sampled (or sandwich-calibrated) one, not a
    PS-bootstrap mixture. None when the grid did not fit it."""
    if b.uncertainty == "ps_bootstrap" or sensitivity_length(b, task) != (b.draws, "fixed"):
        return None
    return kept.log_hr.get(task.name)


def _bayes_figures(cohort: Cohort, tables: dict, km: "pd.DataFrame | None", kept: KeptDraws,
                   outputs: RunOutputs) -> None:
    from bayeshcc.figures.forest import plot_sensitivity_forest
    from bayeshcc.figures.posterior import plot_marginal_survival

    spec, arms = cohort.spec, cohort.arm_labels()
    names = spec.data.arm_names()
    scale, unit = spec.data.time_axis()
    hr = tables["posterior_hr"]
    outputs.figure("sensitivity_forest", plot_sensitivity_forest(
        hr, threshold=min(spec.bayes.thresholds, default=None),
        title="Posterior hazard ratios across the sensitivity grid",
        outcome_labels={o.name: o.label for o in spec.outcomes}))
    curves = tables["marginal_survival"]
    labels = {o.name: o.label for o in spec.outcomes}
    for (outcome, model, prior, adjustment), c in curves.groupby(
            ["outcome", "model", "prior", "adjustment"], sort=False):
        if adjustment != "none" or prior != spec.bayes.priors[0]:
            continue
        observed = None if km is None else km[(km["cohort"] == "unadjusted") & (km["outcome"] == outcome)]
        ax = plot_marginal_survival(
            c, arms, title=(f"{labels.get(outcome, outcome)}: {readable(model)} model "
                            f"({readable(prior)} prior, unadjusted) vs Kaplan-Meier"),
            km=observed, time_label=unit, names=names, time_scale=scale)
        outputs.figure(f"ppc_{outcome}_{model}", ax.figure)

    from bayeshcc.bayes.families import get_family
    from bayeshcc.figures.diagnostics import diagnostic_plots
    from bayeshcc.figures.posterior import plot_hr_densities
    from bayeshcc.figures.style import LINE_STYLES, adjustment_style

    models = list(spec.bayes.models)
    for outcome in hr["outcome"].unique():
        draws, styles = {}, {}
        for row in hr[(hr["outcome"] == outcome) & (hr["prior"] == spec.bayes.priors[0])].itertuples():
            label = f"{readable(row.model)}, {readable(row.adjustment)}"
            draws[label] = kept.log_hr[f"{outcome}_{row.model}_{row.prior}_{row.adjustment}"]
            # colour by adjustment, line style by model: every curve distinct
            styles[label] = {"color": adjustment_style(row.adjustment)["color"],
                             "linestyle": LINE_STYLES[models.index(row.model) % len(LINE_STYLES)]
                             if row.model in models else ":"}
        ax = plot_hr_densities(draws, styles=styles, arms=names,
                               title=f"{labels.get(outcome, outcome)}: posterior hazard ratio "
                                     f"({readable(spec.bayes.priors[0])} prior)")
        outputs.figure(f"posterior_hr_density_{outcome}", ax.figure)

    for (outcome, model, prior, adjustment), _ in curves.groupby(
            ["outcome", "model", "prior", "adjustment"], sort=False):
        if adjustment != "none":
            continue
        name = f"{outcome}_{model}_{prior}_{adjustment}"
        rank, trace = io.BytesIO(), io.BytesIO()
        diagnostic_plots(kept.diagnostics[name], rank, trace,
                         var_names=("log_hr", *get_family(model).diagnostic_variables,
                                    "commensurate_sd"))
        outputs.png(f"rank_{name}", compact_png_bytes(rank.getvalue()))
        outputs.png(f"trace_{name}", compact_png_bytes(trace.getvalue()))
    for (outcome, model, prior, adjustment), c in curves.groupby(
            ["outcome", "model", "prior", "adjustment"], sort=False):
        if model != spec.bayes.models[0] or prior != spec.bayes.priors[0]:
            continue
        ax = plot_marginal_survival(c, arms, title=f"{labels.get(outcome, outcome)}: marginal "
                                    f"survival ({readable(model)}, {readable(adjustment)})",
                                    time_label=unit, names=names, time_scale=scale)
        outputs.figure(f"marginal_survival_{outcome}_{adjustment}", ax.figure)
