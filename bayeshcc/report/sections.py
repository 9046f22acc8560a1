"""What each report section shows: which table, which columns, under which heading.

Only selection and wording live here; numbers come from the results tables as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd


@dataclass(frozen=True)
class TableView:
    """A table as the report shows it."""

    key: str
    title: str
    note: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


# table name -> (title, note, columns to show)
SHOWN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "baseline": ("Table 1. Baseline characteristics", "Test chosen per variable (column 'test'); "
                 "SMD = standardized mean difference.",
                 ("cohort", "label", "level", "statistic", "summary_treated", "summary_reference",
                  "test", "p", "smd")),
    "balance": ("Covariate balance", "Standardized mean differences as MatchIt's summary "
                "(treated-group SD in the whole cohort as denominator).",
                ("covariate", "smd_unadjusted", "smd_matched", "smd_weighted")),
    "response": ("Table 2. Best overall response", "ORR = CR + PR; DCR = CR + PR + SD.",
                 ("cohort", "measure", "n_treated", "pct_treated", "n_reference", "pct_reference",
                  "test", "p")),
    "survival": ("Table 3. Kaplan-Meier medians", "Median survival with 95% CI (NA: not reached); "
                 "log-rank test (robust score test for weighted cohorts).",
                 ("cohort", "outcome", "arm", "n", "events", "median", "median_lower",
                  "median_upper", "logrank_chisq", "logrank_p")),
    "survival_landmarks": ("Survival at landmark times", "Kaplan-Meier estimate with 95% CI.",
                           ("cohort", "outcome", "arm", "time", "survival", "lower", "upper")),
    "cox": ("Table 4. Cox proportional hazards models", "Hazard ratios treated vs reference; "
            "robust SE for weighted cohorts, pair-clustered for the matched cohort.",
            ("cohort", "outcome", "model", "term", "hr", "hr_lower", "hr_upper", "p")),
    "cox_zph": ("Proportional-hazards checks", "Schoenfeld-residual tests (R cox.zph, KM transform).",
                ("cohort", "outcome", "model", "term", "chisq", "df", "p")),
    "rmst": ("Restricted mean survival time", "RMST per arm up to tau; difference treated minus "
             "reference with 95% CI.",
             ("cohort", "outcome", "tau", "arm", "rmst", "rmst_se", "difference",
              "difference_lower", "difference_upper")),
    "safety": ("Table 5. Treatment-related adverse events", "Patients with at least one event.",
               ("adverse_event", "grade", "n_treated", "pct_treated", "n_reference",
                "pct_reference", "p")),
    "posterior_hr": ("Posterior hazard ratios", "Posterior median and 95% credible interval; "
                     "'reliable' is false when R-hat > 1.01, ESS < 400, divergences or low E-BFMI.",
                     ("outcome", "model", "prior", "adjustment", "estimand", "uncertainty",
                      "primary", "hr_median",
                      "hr_lower", "hr_upper", "prob_hr_below_1", "rhat_max", "ess_bulk_min",
                      "divergences", "reliable")),
    "posterior_contrasts": ("Posterior survival contrasts", "Marginal (standardised) medians and "
                            "RMST per arm and their differences.",
                            ("outcome", "model", "prior", "adjustment", "estimand", "quantity",
                             "arm", "estimate", "lower", "upper", "prob_above_0", "reliable")),
    "sensitivity": ("Sensitivity of the posterior hazard ratio", "One row per fit.",
                    ("outcome", "model", "prior", "adjustment", "estimand", "hr_median", "hr_lower",
                     "hr_upper", "prob_hr_below_1", "reliable")),
    "tipping_point": ("Tipping point", "How sceptical a prior it takes before the probability of "
                      "benefit falls below the decision threshold.", ()),
    "prior_predictive": ("Prior predictive check", "What each prior says before the outcomes are "
                         "seen: prior quantiles (2.5, 25, 50, 75, 97.5 %) of the hazard ratio and "
                         "of the median survival per arm for a patient at the covariate means.",
                         ("outcome", "model", "prior", "quantity", "arm", "q025", "q500", "q975",
                          "prob_hr_below_0.5", "prob_hr_below_1")),
    "loo": ("Model comparison (LOO)", "Leave-one-out expected log predictive density; Pareto-k "
            "> 0.7 marks unreliable estimates.", ()),
    "matches": ("Matched pairs (patient-level)", "Shown only with --include-patient-data.",
                ("treated_id", "reference_id", "distance")),
}


UNCERTAINTY_NOTES = {
    "sandwich": ("Rows with uncertainty = sandwich (weighted and matched fits) have their "
                 "posterior draws rescaled to a robust sandwich covariance (Williams & Savitsky "
                 "2021, Bayesian Analysis 16:1) that accounts for the estimated propensity score "
                 "(weights) or for the matched pairs (clustered), keeping the prior's "
                 "information; calibration_sd_ratio is the calibrated / sampled posterior SD of "
                 "the log HR. Its coverage is checked by simulation in docs/validation.md."),
    "kish": ("Rows with uncertainty = kish use the weighted pseudo-posterior as sampled "
             "(weights normalised to the Kish effective sample size, pair members independent, "
             "the propensity score treated as known): their intervals are not guaranteed to be "
             "calibrated."),
    "ps_bootstrap": ("Rows with uncertainty = ps_bootstrap carry the propensity score's "
                     "uncertainty: the propensity model was redrawn {replicates} times by the "
                     "Bayesian bootstrap (Rubin 1981), the weights or matches rebuilt on the "
                     "original data, the outcome model fitted to each and the posteriors pooled "
                     "(two-step Bayesian propensity score analysis, Kaplan & Chen 2012, "
                     "Psychometrika 77:581); convergence is checked in each replicate and the "
                     "worst shown."),
}


def propensity_note(frame: pd.DataFrame) -> str:
    """How the intervals of a posterior table's weighted and matched rows were made."""
    if "uncertainty" not in frame.columns:
        return ""
    used = set(frame["uncertainty"].dropna().astype(str))
    notes = []
    for method, note in UNCERTAINTY_NOTES.items():
        if method not in used:
            continue
        if method == "ps_bootstrap":
            replicates = sorted({int(r) for r in frame.loc[frame["uncertainty"] == method,
                                                           "ps_replicates"]})
            note = note.format(replicates=" or ".join(map(str, replicates)))
        notes.append(note)
    return " ".join(notes)


def table_views(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> dict[str, TableView]:
    """The report's view of each results table that exists."""
    views = {}
    for key, (title, note, columns) in SHOWN.items():
        if key not in tables:
            continue
        frame = tables[key]
        cols = tuple(c for c in (columns or tuple(frame.columns)) if c in frame.columns)
        if key in ("posterior_hr", "posterior_contrasts", "sensitivity"):
            note = " ".join(filter(None, [note, propensity_note(frame)]))
        rows = tuple(tuple(None if pd.isna(v) else v for v in row)
                     for row in frame[list(cols)].itertuples(index=False, name=None))
        views[key] = TableView(key, title, note, cols, rows)
    return views


def primary_rows(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``posterior_hr`` rows of the primary analysis, one per outcome (empty without one)."""
    hr = tables.get("posterior_hr")
    if hr is None or "primary" not in hr.columns:
        return pd.DataFrame()
    return hr[hr["primary"].astype(str).str.lower() == "true"]


def bayes_statements(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> list[dict]:
    """Plain-language probabilities of benefit, one per outcome, from the primary analysis.

    The primary analysis is the spec's pre-specified adjusted one (``manifest["primary"]``,
    rows with ``primary`` true in ``posterior_hr.csv``); its adjustment and estimand are named.
    An unadjusted estimate is never worded as an effect: without a primary analysis the first
    row of each outcome is reported as an association.
    """
    from bayeshcc.estimands import is_causal, population_in_words

    if "posterior_hr" not in tables:
        return []
    spec = manifest.get("spec", {})
    treated = spec.get("data", {}).get("treated", "the treated arm")
    reference = spec.get("data", {}).get("reference", "the reference arm")
    outcomes = spec.get("outcomes", {})
    chosen = primary_rows(tables)
    statements = []
    for outcome, rows in tables["posterior_hr"].groupby("outcome", sort=False):
        mine = chosen[chosen["outcome"] == outcome] if len(chosen) else chosen
        row = (mine if len(mine) else rows).iloc[0]
        label = outcomes.get(outcome, {}).get("label", outcome).lower()
        p = 100 * row["prob_hr_below_1"]
        if is_causal(row["adjustment"]) and len(mine):
            text = (f"Probability that {treated} lowers the hazard of {label} compared with "
                    f"{reference}: {p:.0f}% (primary analysis, adjustment: {row['adjustment']})")
        else:
            text = (f"Probability that the hazard of {label} is lower with {treated} than with "
                    f"{reference}: {p:.0f}% (an association: adjustment {row['adjustment']}, "
                    "not a causal estimate)")
        estimand = row["estimand"] if "estimand" in row.index else ""
        statements.append({
            "text": text,
            "detail": (f"hazard ratio {row['hr_median']:.2f} (95% credible interval "
                       f"{row['hr_lower']:.2f} to {row['hr_upper']:.2f}); {estimand} for "
                       f"{population_in_words(row['adjustment'], treated)}; {row['model']} "
                       f"model, {row['prior']} prior"),
            "reliable": bool(row["reliable"]),
        })
    return statements
