"""The pipeline's stages, in order. Each reads the cohort and the state earlier stages left,
writes its tables and figures, and leaves what later stages need in ``state``."""

from __future__ import annotations

from typing import Callable

from bayeshcc.cohort import Cohort
from bayeshcc.results import ResultsWriter

Stage = Callable[[Cohort, dict, ResultsWriter, object], None]


def adjustment_stage(cohort: Cohort, state: dict, writer: ResultsWriter, options) -> None:
    """Populations to analyse: the whole cohort, then matched and weighted ones."""
    from bayeshcc.adjustment import adjust
    from bayeshcc.figures.balance import plot_love

    result = adjust(cohort)
    state["populations"] = list(result.populations)
    state["adjustment"] = result
    state.setdefault("manifest", {})["adjustment"] = result.summary
    if result.propensity is not None:
        writer.table("propensity_model", result.propensity)
    if result.matches is not None:
        writer.table("matches", result.matches)
    if result.balance is not None:
        writer.table("balance", result.balance)
        writer.figure("love_plot", plot_love(result.balance).figure)


def frequentist_stage(cohort: Cohort, state: dict, writer: ResultsWriter, options) -> None:
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
    populations = state["populations"]
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
        writer.table(name, table)
    state.setdefault("tables", {}).update(tables)
    for out in spec.outcomes:
        rows = tables["cox"][(tables["cox"]["outcome"] == out.name)
                             & ((tables["cox"]["model"] == "multivariable")
                                | ((tables["cox"]["term"] == "treatment")
                                   & (tables["cox"]["cohort"] != "unadjusted")))]
        if len(rows):
            rows = rows.assign(label=rows["cohort"] + ": " + rows["term"])
            ax = plot_forest(rows, title=f"{out.label}: Cox hazard ratios")
            writer.figure(f"forest_cox_{out.name}", ax.figure)
    arms = cohort.arm_labels()
    for pop in populations:
        for out in spec.outcomes:
            pick = lambda t: t[(t["cohort"] == pop.name) & (t["outcome"] == out.name)]  # noqa: E731
            ax, _ = plot_km(pick(tables["km_curves"]), pick(tables["km_at_risk"]), arms,
                            title=f"{out.label} ({pop.name})",
                            time_label=f"Time ({spec.data.time_unit})" if spec.data.time_unit else "Time")
            writer.figure(f"km_{out.name}_{pop.name}", ax.figure)


def paper_comparison_stage(cohort: Cohort, state: dict, writer: ResultsWriter, options) -> None:
    """``paper_comparison.csv``: the published figures beside ours (``reproduce`` only)."""
    if not getattr(options, "compare_to_paper", False):
        return
    from bayeshcc.paper_comparison import load_paper_targets, paper_comparison

    pairs = state.get("manifest", {}).get("adjustment", {}).get("pairs")
    writer.table("paper_comparison", paper_comparison(state["tables"], load_paper_targets(), pairs))


STAGES: tuple[tuple[str, Stage], ...] = (
    ("adjustment", adjustment_stage),
    ("frequentist", frequentist_stage),
    ("paper_comparison", paper_comparison_stage),
)
