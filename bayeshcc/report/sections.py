"""What each report section shows: which table, which columns, under which heading.

Only selection and wording live here; numbers come from the results tables as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from bayeshcc.bayes.km_misfit import THRESHOLD as KM_THRESHOLD
from bayeshcc.report.numbers import p_relation, significant
from bayeshcc.vocab import readable

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
                ("covariate", "smd_unadjusted", "smd_matched", "smd_weighted", "smd_ate",
                 "smd_att", "smd_overlap")),
    "overlap": ("Overlap of the propensity score", "Per weighting estimand and arm: quantiles "
                "of the arm's propensity score (ps_*, the same for every estimand), patients "
                "with a score outside [0.05, 0.95], the largest weight, the Kish effective "
                "sample size (ess; ess_share = ess / n) and the arm's patients in the matched "
                "cohort. A weight above 10 or an ESS under half the arm marks extreme weights.",
                ("estimand", "arm", "n", "ps_min", "ps_q05", "ps_median", "ps_q95", "ps_max",
                 "n_ps_outside", "max_weight", "ess", "ess_share", "n_matched",
                 "matched_share")),
    "response": ("Table 2. Best overall response", "ORR = CR + PR; DCR = CR + PR + SD.",
                 ("cohort", "measure", "n_treated", "pct_treated", "n_reference", "pct_reference",
                  "test", "p")),
    "survival": ("Table 3. Kaplan-Meier medians", "Median survival with 95% CI (NA: not reached); "
                 "log-rank test (robust score test for weighted cohorts).",
                 ("cohort", "outcome", "arm", "n", "events", "median", "median_lower",
                  "median_upper", "logrank_chisq", "logrank_p")),
    "survival_landmarks": ("Survival at landmark times", "Kaplan-Meier estimate with 95% CI "
                           "(weighted cohorts: robust, infinitesimal-jackknife variance).",
                           ("cohort", "outcome", "arm", "time", "survival", "lower", "upper")),
    "cox": ("Table 4. Cox proportional hazards models", "Hazard ratios treated vs reference; "
            "robust SE for weighted cohorts, pair-clustered for the matched cohort.",
            ("cohort", "outcome", "model", "term", "hr", "hr_lower", "hr_upper", "p")),
    "cox_zph": ("Proportional-hazards checks", "Schoenfeld-residual tests (R cox.zph, KM transform).",
                ("cohort", "outcome", "model", "term", "chisq", "df", "p")),
    "rmst": ("Restricted mean survival time", "RMST per arm up to tau; difference treated minus "
             "reference with 95% CI (weighted cohorts: influence-function SE that accounts for "
             "the estimated propensity score; matched: pair-clustered).",
             ("cohort", "outcome", "tau", "arm", "rmst", "rmst_se", "difference",
              "difference_lower", "difference_upper")),
    "safety": ("Table 5. Treatment-related adverse events", "Patients with at least one event.",
               ("adverse_event", "grade", "n_treated", "pct_treated", "n_reference",
                "pct_reference", "p")),
    "posterior_hr": ("Posterior hazard ratios", "Posterior median and 95% interval: a credible "
                     "interval, or for calibrated rows (interval = calibrated interval) a "
                     "calibrated interval, whose probabilities are calibrated probabilities; "
                     "'reliable' is false when R-hat > 1.01, ESS < 400, divergences or low E-BFMI.",
                     ("outcome", "model", "prior", "adjustment", "estimand", "uncertainty",
                      "interval", "calibration_meat", "calibration_sd_ratio",
                      "calibration_clipped", "primary", "hr_median",
                      "hr_lower", "hr_upper", "prob_hr_below_1", "prob_hr_below_*",
                      "prior_ess_events", "prior_weight_posterior", "prior_data_conflict_p",
                      "commensurate_sd", "draws", "stopped_early", "rhat_max", "ess_bulk_min",
                      "divergences", "reliable")),
    "posterior_contrasts": ("Posterior survival contrasts", "Marginal (standardised) medians and "
                            "RMST per arm and their differences.",
                            ("outcome", "model", "prior", "adjustment", "estimand", "uncertainty",
                             "interval", "quantity", "arm", "tau", "estimate", "lower", "upper",
                             "prob_above_0", "reliable")),
    "sensitivity": ("Sensitivity of the posterior hazard ratio", "One row per fit.",
                    ("outcome", "model", "prior", "adjustment", "estimand", "hr_median", "hr_lower",
                     "hr_upper", "prob_hr_below_1", "reliable")),
    "borrowing_sweep": ("Borrowing from external evidence", "The primary model and adjustment "
                        "refitted with each power prior at discount a0 (0: no external data, the "
                        "vague N(0, 10) on the log HR; 1: the external estimate in full); "
                        "prior_ess_events: the external evidence's worth in events.",
                        ("outcome", "prior", "a0", "prior_ess_events", "hr_median", "hr_lower",
                         "hr_upper", "prob_hr_below_1", "interval", "reliable")),
    "tipping_point": ("Tipping points", "Sceptical-prior tipping point (tipping_prior_*): how "
                      "sceptical a prior it takes before the probability of benefit falls below "
                      "the decision threshold (a reverse-Bayes analysis under the vague-prior "
                      "likelihood). Confounding tipping point (confounding_*): the bounding factor "
                      "B (Ding & VanderWeele 2016) of an unmeasured confounder, applied to the "
                      "primary posterior's hazard ratio, at which P(HR < 1) falls to the "
                      "threshold, and its E-value B + sqrt(B(B - 1)). evalue, evalue_ci: E-values "
                      "of the primary posterior's median and credible limit (outcome taken as "
                      "common, VanderWeele & Ding 2017); evalue_cox, evalue_ci_cox: the Cox "
                      "model's of the same population.", ()),
    "prior_predictive": ("Prior predictive check", "What each prior says before the outcomes are "
                         "seen: prior quantiles (2.5, 25, 50, 75, 97.5 %) of the hazard ratio and "
                         "of the median survival per arm for a patient at the covariate means.",
                         ("outcome", "model", "prior", "quantity", "arm", "q025", "q500", "q975",
                          "prob_hr_below_0.5", "prob_hr_below_1")),
    "propensity_model": ("Propensity model", "Logistic regression of treatment on the "
                         "propensity covariates (log-odds coefficients).", ()),
    "prior_predictive_hr": ("Prior predictive check: the hazard ratio", "What each prior says "
                            "about the HR before the outcomes are seen (prior 2.5, 50 and 97.5 % "
                            "quantiles); the prior's median survival per arm is in the appendix.",
                            ("outcome", "model", "prior", "q025", "q500", "q975",
                             "prob_hr_below_0.5", "prob_hr_below_1")),
    "loo": ("Model comparison (LOO)", "Leave-one-out expected log predictive density; Pareto-k "
            "> 0.7 marks unreliable estimates.", ()),
    "model_fit": ("Model survival against Kaplan-Meier", "Per unadjusted fit and arm: the "
                  "largest gap between the model's survival curve and the Kaplan-Meier curve "
                  "over the event times, in Greenwood standard errors; misfit above "
                  f"{KM_THRESHOLD:g}, the 95th percentile of that gap in one arm when the model "
                  "is true (simulated from a fitted Weibull).",
                  ("outcome", "model", "prior", "arm", "statistic", "misfit")),
    "matches": ("Matched pairs (patient-level)", "Shown only with --include-patient-data.",
                ("treated_id", "reference_id", "distance")),
}


UNCERTAINTY_NOTES = {
    "sandwich": ("Rows with uncertainty = sandwich (weighted and matched fits) are calibrated: "
                 "their posterior draws are moved to the posterior that the prior gives with a "
                 "robust (sandwich) likelihood of the weighted estimate (Williams & Savitsky "
                 "2021, Bayesian Analysis 16:1), which accounts for the estimated propensity "
                 "score (weights) or for the matched pairs (clustered); their intervals are "
                 "calibrated intervals and their probabilities calibrated probabilities "
                 "(interval column); calibration_clipped marks the rare fit whose combined "
                 "precision had to be made positive definite; calibration_meat says how the robust covariance's middle term was "
                 "estimated (jackknife: leave one patient or pair out, the propensity model "
                 "refitted each time; sandwich: the delta method) and calibration_sd_ratio is "
                 "the calibrated / sampled posterior SD of the log HR. Their coverage was checked by "
                 "simulation: see Methods and limitations."),
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


CALIBRATION_METHODS = (
    "Calibration: a weighted or matched Bayesian fit first samples a pseudo-posterior that "
    "treats the weighted or paired patients as independent, which ignores that the weights "
    "were estimated and that paired patients are alike. Calibration replaces that information "
    "by the robust (sandwich or jackknife) variance of the weighted estimate and combines it "
    "with the prior, giving the posterior the prior would have with the calibrated evidence. "
    "Calibrated intervals and calibrated probabilities are read like credible intervals and "
    "posterior probabilities.")

#: The package version whose calibration the simulation study below measured.
VALIDATED_VERSION = "0.1.0"
#: What the simulation study of the calibrated intervals showed (the package's validation
#: study, 500 cohorts per scenario; its numbers, not recomputed here).
VALIDATION_METHODS = (
    "Validation by simulation (bayeshcc {version}{this}): in 500 simulated observational cohorts "
    "of 500 patients per scenario (good, weight-risk correlated and poor propensity-score "
    "overlap), the 95% calibrated intervals of Weibull fits covered the true marginal log "
    "hazard ratio in 93.2-95.4% of cohorts for ATE, ATT, overlap-weighted and matched analyses, "
    "except ATE weights under poor overlap: 89.2%, as extreme weights bias the estimate and no "
    "interval repairs that (overlap weights covered 95.2% there, hence their use as the primary "
    "analysis when ATE weights are extreme). Intervals of the 12-month RMST difference covered "
    "87-94%: their widths were right, but a treatment-only Weibull model's marginal survival "
    "is biased when the hazard depends on covariates; matched analyses drift from the "
    "treated population when the caliper leaves the highest-score treated patients "
    "unmatched.")


def validation_methods(manifest: Mapping[str, Any] | None = None) -> str:
    """The methods section's sentence on what the simulation study of the calibrated intervals
    showed, naming the version it measured (and this report's, when another).

    Parameters
    ----------
    manifest : mapping, optional
        ``manifest.json`` (``versions.bayeshcc``: the version that made the results).

    Returns
    -------
    str
        :data:`VALIDATION_METHODS` with the versions filled in.
    """
    made = str(((manifest or {}).get("versions") or {}).get("bayeshcc", VALIDATED_VERSION))
    this = (", the version of this report" if made == VALIDATED_VERSION
            else f"; this report was made with bayeshcc {made}")
    return VALIDATION_METHODS.format(version=VALIDATED_VERSION, this=this)


def calibration_methods(tables: Mapping[str, pd.DataFrame],
                        manifest: Mapping[str, Any] | None = None) -> str:
    """The methods section's sentences on calibration and its validation by simulation
    (:func:`validation_methods`), when any posterior row is calibrated.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results tables (``posterior_hr``).
    manifest : mapping, optional
        ``manifest.json``, for the version that made the results.

    Returns
    -------
    str
        :data:`CALIBRATION_METHODS` and the validation sentence, or "" when no row is
        calibrated.
    """
    hr = tables.get("posterior_hr")
    if hr is None or not len(hr) or not any(is_calibrated(r) for _, r in hr.iterrows()):
        return ""
    return " ".join([CALIBRATION_METHODS, validation_methods(manifest)])


def uncertainty_note(frame: pd.DataFrame) -> str:
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


BORROWING_NOTE = (
    "prior_ess_events: the prior's worth in events (expected local-information ratio, "
    "Neuenschwander et al. 2020, with a log HR from d events having variance 4 / d). For priors "
    "that borrow external evidence, prior_data_conflict_p is Box's prior-predictive p-value of "
    "the cohort's own log-HR estimate (maximum likelihood of that model, adjustment and "
    "weights, with the interval's robust SE) under the external evidence; small values mean "
    "the two disagree. For robust mixture priors (Schmidli et al. 2014), prior_weight_posterior "
    "is the posterior weight of the external component: it falls when the data disagree. For "
    "curve priors (a commensurate prior on the reference arm's baseline hazard, Hobbs et al. "
    "2011), commensurate_sd is the posterior median of the commensurability SD: small when the "
    "cohort's baseline follows the external curve, large when little was borrowed.")


def borrowing_note(frame: pd.DataFrame) -> str:
    """What the borrowing columns of a posterior table mean, when any row has them."""
    if "prior_ess_events" not in frame.columns:
        return ""
    return BORROWING_NOTE


# columns holding times (in the data's unit in the tables; the report shows the display unit)
TIME_COLUMNS = {"survival": ("median", "median_lower", "median_upper"),
                "survival_landmarks": ("time",),
                "rmst": ("tau", "rmst", "rmst_se", "difference", "difference_lower",
                         "difference_upper"),
                "posterior_contrasts": ("tau",)}
# ... and columns holding a time only in the rows of a time quantity (medians, RMST)
QUANTITY_TIME_COLUMNS = {"posterior_contrasts": ("estimate", "lower", "upper"),
                         "prior_predictive": ("q025", "q250", "q500", "q750", "q975")}
TIME_QUANTITIES = ("median", "rmst")
ARM_COLUMNS = ("arm",)


def shown_frame(key: str, frame: pd.DataFrame, words) -> pd.DataFrame:
    """A results table as the report shows it: arm codes by their labels, times in the display
    unit (``words``: :class:`~bayeshcc.report.wording.Wording`). The table itself is unchanged.
    """
    frame = frame.copy()
    for column in ARM_COLUMNS:
        if column in frame.columns and words.arms:
            frame[column] = frame[column].map(words.arm)
    if key == "overlap" and "arm" in frame.columns:  # its arms are "treated" and "reference"
        frame["arm"] = frame["arm"].map({"treated": words.treated,
                                         "reference": words.reference}).fillna(frame["arm"])
    if key == "baseline" and {"variable", "level"} <= set(frame.columns):
        frame["level"] = [words.level(v, c) for v, c in zip(frame["variable"], frame["level"])]
    if not words.converts:
        return frame
    for column in TIME_COLUMNS.get(key, ()):
        if column in frame.columns:
            frame[column] = frame[column].map(words.shown)
    if key in QUANTITY_TIME_COLUMNS and "quantity" in frame.columns:
        timed = frame["quantity"].isin(TIME_QUANTITIES)
        for column in QUANTITY_TIME_COLUMNS[key]:
            if column in frame.columns:
                frame[column] = frame[column].astype(object)
                frame.loc[timed, column] = frame.loc[timed, column].map(words.shown)
    return frame


def table_views(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> dict[str, TableView]:
    """The report's view of each results table that exists, arms named and times in the
    display unit (:func:`shown_frame`)."""
    from bayeshcc.report.wording import Wording

    words = Wording.from_manifest(manifest)
    views = {}
    for key, (title, note, columns) in SHOWN.items():
        if key not in tables:
            continue
        frame = shown_frame(key, tables[key], words)
        timed = key in TIME_COLUMNS or key in QUANTITY_TIME_COLUMNS
        if timed and words.converts:
            note = " ".join([note, words.unit_note()])
        wanted = []
        for c in columns or tuple(frame.columns):
            if c.endswith("*"):  # a family of columns, e.g. prob_hr_below_<threshold>
                wanted += [f for f in frame.columns if f.startswith(c[:-1]) and f not in columns]
            else:
                wanted.append(c)
        # a column no row fills (e.g. commensurate_sd without a curve prior) is left out
        cols = tuple(c for c in wanted if c in frame.columns and frame[c].notna().any())
        if key == "balance" and any(c in cols for c in ("smd_ate", "smd_att", "smd_overlap")):
            cols = tuple(c for c in cols if c != "smd_weighted")  # one of those, repeated
        if key in ("posterior_hr", "posterior_contrasts", "sensitivity"):
            note = " ".join(filter(None, [note, uncertainty_note(frame)]))
        if key == "posterior_hr":
            note = " ".join(filter(None, [note, borrowing_note(frame)]))
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
    from bayeshcc.report.wording import Wording

    spec = manifest.get("spec", {})
    words = Wording.from_manifest(manifest)
    treated, reference = words.treated, words.reference
    outcomes = spec.get("outcomes", {})
    chosen = primary_rows(tables)
    statements = []
    for outcome, rows in tables["posterior_hr"].groupby("outcome", sort=False):
        mine = chosen[chosen["outcome"] == outcome] if len(chosen) else chosen
        row = (mine if len(mine) else rows).iloc[0]
        label = outcomes.get(outcome, {}).get("label", outcome).lower()
        p = percent(row["prob_hr_below_1"])
        what = "Calibrated probability" if is_calibrated(row) else "Probability"
        if is_causal(row["adjustment"]) and len(mine):
            text = (f"{what} that {treated} lowers the hazard of {label} compared with "
                    f"{reference}: {p} (primary analysis, adjustment: {row['adjustment']})")
        else:
            text = (f"{what} that the hazard of {label} is lower with {treated} than with "
                    f"{reference}: {p} (an association: adjustment {row['adjustment']}, "
                    "not a causal estimate)")
        estimand = row["estimand"] if "estimand" in row.index else ""
        statements.append({
            "text": text,
            "detail": (f"hazard ratio {hazard_ratio(row['hr_median'])} (95% "
                       f"{interval_name(row)} {hazard_ratio(row['hr_lower'])} to "
                       f"{hazard_ratio(row['hr_upper'])}); {estimand} for "
                       f"{population_in_words(row['adjustment'], treated)}; {row['model']} "
                       f"model, {row['prior']} prior"),
            "reliable": bool(row["reliable"]),
        })
    return statements


# --- the summary: one screen, numbers for reading ---------------------------------------------

DEFAULT_DECISION_THRESHOLD = 0.95  # bayeshcc.spec.BayesSpec.decision_threshold's default


def is_calibrated(row) -> bool:
    """Whether a posterior row's draws were calibrated (its ``interval`` column says so, or,
    in tables older than that column, its ``calibration_meat`` names a meat)."""
    from bayeshcc.bayes.calibration import CALIBRATED_INTERVAL

    interval = row.get("interval") if hasattr(row, "get") else None
    if isinstance(interval, str) and interval:
        return interval == CALIBRATED_INTERVAL
    meat = row.get("calibration_meat") if hasattr(row, "get") else None
    return isinstance(meat, str) and bool(meat)


def interval_name(row) -> str:
    """``"calibrated interval"`` or ``"credible interval"`` for a posterior row."""
    return "calibrated interval" if is_calibrated(row) else "credible interval"


def percent(p: float) -> str:
    """A probability as the report prints it (:func:`bayeshcc.report.probability.probability`:
    never ``100%`` or ``0%`` unless exactly 1 or 0)."""
    from bayeshcc.report.probability import probability

    return probability(p)


def hazard_ratio(value: float) -> str:
    """A hazard ratio to 3 significant digits (:func:`bayeshcc.report.numbers.significant`)."""
    return "NA" if value is None or pd.isna(value) else significant(float(value))


def _bayes_spec(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    return manifest.get("spec", {}).get("bayes", {}) or {}


def decision_threshold(manifest: Mapping[str, Any]) -> float:
    """The spec's ``[bayes] decision_threshold`` (0.95 unless set)."""
    return float(_bayes_spec(manifest).get("decision_threshold", DEFAULT_DECISION_THRESHOLD))


def clinical_thresholds(hr: pd.DataFrame, manifest: Mapping[str, Any]) -> list[float]:
    """The spec's ``[bayes] thresholds`` and its ``clinical_hr`` (when given) that have a
    ``prob_hr_below_<t>`` column."""
    bayes = _bayes_spec(manifest)
    wanted = [float(t) for t in bayes.get("thresholds", [])]
    if "clinical_hr" in bayes:  # given in the spec: P(HR < clinical_hr) is always shown
        wanted.append(float(bayes["clinical_hr"]))
    if not wanted:  # an older manifest: whatever columns the table has
        wanted = [float(c.removeprefix("prob_hr_below_")) for c in hr.columns
                  if c.startswith("prob_hr_below_") and c != "prob_hr_below_1"]
    return [t for t in sorted(set(wanted)) if f"prob_hr_below_{t:g}" in hr.columns]


def is_synthetic(manifest: Mapping[str, Any]) -> bool:
    """Whether the results come from the bundled synthetic cohort (``reproduce``)."""
    path = str(manifest.get("inputs", {}).get("data", {}).get("path", ""))
    command = manifest.get("command") or []
    command = command if isinstance(command, list) else [str(command)]
    return path.endswith("paper_cohort.csv") or "reproduce" in [str(c) for c in command[1:2]]


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _matching(frame: pd.DataFrame | None, row: pd.Series, keys=("outcome", "model", "prior",
                                                                 "adjustment")) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame()
    mask = pd.Series(True, index=frame.index)
    for key in keys:
        if key in frame.columns:
            mask &= frame[key].astype(str) == str(row[key])
    return frame[mask]


def _absolute_effects(contrasts: pd.DataFrame | None, row: pd.Series, words) -> list[str]:
    """Median and RMST differences of the analysis in ``row``, as sentences, times in the
    shown unit (``words``: :class:`~bayeshcc.report.wording.Wording`)."""
    mine = _matching(contrasts, row)
    if not len(mine):
        return []
    sentences = []
    for quantity in ("median", "rmst"):
        pick = mine[(mine["quantity"] == quantity) & (mine["arm"].astype(str) == "difference")]
        if not len(pick):
            continue
        d = pick.iloc[0]
        what = ("Difference in median survival" if quantity == "median" else
                f"Difference in restricted mean survival time up to {words.horizon(d.get('tau'))}")
        if pd.isna(d["estimate"]):
            sentences.append(f"{what}: not estimable (a median is not reached in most draws).")
            continue
        sentences.append(
            f"{what} ({words.treated} minus {words.reference}): {words.duration(d['estimate'])} "
            f"(95% {interval_name(d)} {words.amount(d['lower'])} to "
            f"{words.duration(d['upper'])}; P(> 0) = {percent(d['prob_above_0'])}).")
    return sentences


def _robustness(grid: pd.DataFrame | None, outcome: str, label: str, threshold: float,
                primary: pd.Series | None = None) -> str:
    """How many analyses of the sensitivity grid give P(HR < 1) above the decision threshold,
    counted within one estimand (:mod:`bayeshcc.estimands`: a crude, a conditional and a
    marginal HR are different quantities, so their rows are never pooled).

    With a primary analysis the first sentence counts the rows of its estimand (models x
    priors) and says whether the conclusion holds in all of them; the other estimands follow,
    one count each. Without one, one count per estimand."""
    if grid is None or "prob_hr_below_1" not in grid.columns:
        return ""
    rows = grid[grid["outcome"].astype(str) == str(outcome)]
    if not len(rows):
        return ""
    from bayeshcc.estimands import hr_estimand

    estimands = (rows["estimand"].astype(str) if "estimand" in rows.columns
                 else rows["adjustment"].map(hr_estimand))
    level = percent(threshold)

    def count(part: pd.DataFrame) -> tuple[int, int, int, int]:
        agree = int((part["prob_hr_below_1"] > threshold).sum())
        below_one = int((part["hr_median"] < 1).sum()) if "hr_median" in part else agree
        unreliable = (int((~part["reliable"].map(_is_true)).sum()) if "reliable" in part
                      else 0)
        return agree, below_one, unreliable, len(part)

    order = list(dict.fromkeys(estimands))
    texts = []
    if primary is not None:
        mine = str(primary["estimand"]) if "estimand" in primary.index else hr_estimand(
            primary["adjustment"])
        if mine in order:
            agree, below_one, unreliable, n = count(rows[estimands == mine])
            text = (f"Robustness within the primary estimand ({mine}): P(benefit) > {level} in "
                    f"{agree} of {n} analyses of {label} (models x priors); the posterior "
                    f"median HR is below 1 in {below_one} of {n}. ")
            text += (f"P(benefit) exceeds {level} under every model and prior of this "
                     "estimand." if agree == n else
                     f"Whether P(benefit) exceeds {level} depends on the model and prior: the "
                     "result is not robust." if agree else
                     f"No analysis of this estimand reaches {level}: the result is not robust "
                     "evidence of benefit.")
            if unreliable:
                text += f" {unreliable} of these {n} fits did not pass the convergence checks."
            texts.append(text)
            order.remove(mine)
    others = []
    for estimand in order:
        agree, _, unreliable, n = count(rows[estimands == estimand])
        what = f"{estimand}, an association" if estimand == hr_estimand("none") else estimand
        others.append(f"{what}: {agree} of {n}"
                      + (f" ({unreliable} not converged)" if unreliable else ""))
    if others:
        head = ("Other estimands, not pooled with it" if texts else
                f"Robustness, one count per estimand of {label}")
        texts.append(f"{head}: P(benefit) > {level} in " + "; ".join(others) + ".")
    return " ".join(texts)


def _tipping(tipping: pd.DataFrame | None, outcome: str, threshold: float) -> str:
    """The sceptical-prior tipping point (a reverse-Bayes analysis), in words; the prior's SD
    to 3 significant digits (:func:`bayeshcc.report.numbers.significant`)."""
    if tipping is None or not len(tipping):
        return ""
    rows = tipping[tipping["outcome"].astype(str) == str(outcome)]
    if not len(rows):
        return ""
    t = rows.iloc[0]
    level = percent(t.get("threshold", threshold))
    name = "Sceptical-prior tipping point"
    if pd.isna(t.get("tipping_prior_events")):
        if t.get("prob_hr_below_1_vague", 1.0) < t.get("threshold", threshold):
            return f"{name}: none; even with a vague prior P(benefit) is below {level}."
        return f"{name}: none could be computed."
    events = float(t["tipping_prior_events"])
    if events < 1:
        return (f"{name}: P(benefit) is at {level} with a vague prior already; any "
                f"sceptical prior, however weak, brings it below {level}.")
    return (f"{name}: a sceptical prior would have to be as strong as "
            f"{events:.0f} events of null evidence (a normal prior on the log HR centred on no "
            f"effect with SD {significant(float(t['tipping_prior_sd']))}) to bring P(benefit) below "
            f"{level}.")


def _row_of(tipping: pd.DataFrame | None, outcome: str) -> pd.Series | None:
    if tipping is None or not len(tipping):
        return None
    rows = tipping[tipping["outcome"].astype(str) == str(outcome)]
    return rows.iloc[0] if len(rows) else None


def _evalue(tipping: pd.DataFrame | None, outcome: str) -> str:
    """The E-value of the primary posterior (median and credible limit), the Cox model's beside
    it; ``{label}`` is left for the outcome's name. A results folder written before the
    posterior E-value existed (no ``evalue_prior`` column) holds the Cox model's only."""
    t = _row_of(tipping, outcome)
    if t is None or "evalue" not in t.index:
        return ""
    posterior = "evalue_prior" in t.index
    if pd.isna(t["evalue"]):
        if not posterior or pd.isna(t.get("evalue_cox")):
            return ""
        return (f"Unmeasured confounding (Cox model of the same population): E-value "
                f"{float(t['evalue_cox']):.1f}"
                + (f", {float(t['evalue_ci_cox']):.1f} for its confidence limit"
                   if not pd.isna(t.get("evalue_ci_cox")) else "") + ".")
    what = (f"the primary estimate (posterior median HR {hazard_ratio(t['evalue_hr_median'])})"
            if posterior else "the Cox estimate")
    text = (f"Unmeasured confounding: to explain {what} away, an unmeasured confounder "
            f"would have to be associated with both the treatment choice and {{label}} by a risk "
            f"ratio of {float(t['evalue']):.1f} each, beyond the measured covariates (E-value)")
    if not pd.isna(t.get("evalue_ci")):
        limit = "credible" if posterior else "confidence"
        text += f"; {float(t['evalue_ci']):.1f} would move the {limit} limit to no effect"
    if posterior and not pd.isna(t.get("evalue_cox")):
        text += (f". The Cox model of the same population gives an E-value of "
                 f"{float(t['evalue_cox']):.1f}")
        if not pd.isna(t.get("evalue_ci_cox")):
            text += f" ({float(t['evalue_ci_cox']):.1f} for its confidence limit)"
    return text + "."


def _confounding(tipping: pd.DataFrame | None, outcome: str, threshold: float) -> str:
    """The confounding tipping point of the primary posterior, in words; the bounding factor
    and its E-value to 3 significant digits (:func:`bayeshcc.report.numbers.significant`)."""
    t = _row_of(tipping, outcome)
    if t is None or "confounding_bias_factor" not in t.index:
        return ""
    level = percent(t.get("threshold", threshold))
    b = t["confounding_bias_factor"]
    if pd.isna(b):
        if pd.isna(t.get("prob_hr_below_1_primary")):
            return ""
        return (f"Confounding tipping point: none; P(benefit) of the primary analysis is below "
                f"{level} without any unmeasured confounding.")
    return (f"Confounding tipping point: an unmeasured confounder that made {{treated}} look "
            f"better than it is by a factor of {significant(float(b))} on the hazard ratio (bounding "
            f"factor, Ding & VanderWeele 2016), for example one associated with both the "
            f"treatment choice and {{label}} by a risk ratio of "
            f"{significant(float(t['confounding_evalue']))} each, would bring P(benefit) of the primary "
            f"analysis below {level}.")


CONFLICT_LEVEL = 0.05


def _conflict(hr: pd.DataFrame, row: pd.Series, outcome: str, label: str) -> list[str]:
    """Sentences for the priors that borrow external evidence and conflict with the cohort
    (``prior_data_conflict_p`` < 0.05) in the analysis of ``row``'s model and adjustment."""
    if "prior_data_conflict_p" not in hr.columns:
        return []
    rows = hr[(hr["outcome"].astype(str) == str(outcome)) & (hr["model"] == row["model"])
              & (hr["adjustment"] == row["adjustment"]) & hr["prior_data_conflict_p"].notna()]
    sentences = []
    for r in rows.itertuples(index=False):
        p = float(r.prior_data_conflict_p)
        if p >= CONFLICT_LEVEL:
            continue
        shown = p_relation(p)
        text = (f"Prior-data conflict: the external evidence of the {r.prior} prior disagrees "
                f"with this cohort's own estimate of the hazard ratio for {label} (Box's "
                f"prior-predictive p {shown}, {r.model} model, adjustment {r.adjustment}): a "
                "difference this large would be rare if the external study and this cohort "
                "measured the same effect, so borrowing from it pulls the result towards an "
                "effect these data do not support.")
        weight = getattr(r, "prior_weight_posterior", float("nan"))
        if weight is not None and not pd.isna(weight):
            text += (f" Its robust mixture kept {percent(weight)} of its weight on the external "
                     "evidence after seeing the data, discounting the rest automatically.")
        else:
            text += (" A power prior borrows it regardless; see the analyses without it and the "
                     "borrowing sweep.")
        sentences.append(text)
    return sentences


#: A model beaten on LOO by more than this many standard errors of the difference is noted.
LOO_SE_MARGIN = 2.0
#: The treatment term's proportional-hazards test (cox.zph) below this is noted.
PH_LEVEL = 0.05


def _loo_loss(tables: Mapping[str, pd.DataFrame], row: pd.Series) -> tuple[str, str]:
    """The model that predicts the data better than ``row``'s by more than
    :data:`LOO_SE_MARGIN` SE of the PSIS-LOO difference, and the clause that says so ('', ''
    when none does).

    LOO compares models only on an unweighted likelihood: for a weighted or matched primary
    analysis the models are compared on their unadjusted fits (the same data, same prior)."""
    loo = tables.get("loo")
    if loo is None or not len(loo) or "elpd_diff_se" not in loo:
        return "", ""
    mine = loo[(loo["outcome"].astype(str) == str(row["outcome"]))
               & (loo["prior"] == row["prior"])]
    valid = mine["valid_predictive_comparison"].map(_is_true)
    compared = mine[valid & (mine["adjustment"] == row["adjustment"])]
    where = "these fits"
    if compared.empty:
        compared, where = mine[valid & (mine["adjustment"] == "none")], "the unadjusted fits"
    if compared["model"].nunique() < 2 or row["model"] not in set(compared["model"]):
        return "", ""
    own = compared[compared["model"] == row["model"]].iloc[0]
    best = compared.loc[compared["elpd_loo"].idxmax()]
    gap, se = -float(own["elpd_diff_from_best"]), float(own["elpd_diff_se"])
    if best["model"] == row["model"] or not (se > 0) or gap <= LOO_SE_MARGIN * se:
        return "", ""
    return str(best["model"]), (
        f"the {readable(best['model'])} model predicts these data better than the "
        f"{readable(row['model'])} model of this analysis (PSIS-LOO, {where}: expected log "
        f"predictive density {gap:.1f} higher, SE {se:.1f})")


def _km_gap(tables: Mapping[str, pd.DataFrame], row: pd.Series, words=None) -> tuple[str, str]:
    """The clause saying that the unadjusted fit of ``row``'s model and prior strays from the
    Kaplan-Meier curve (``model_fit.csv``, :mod:`bayeshcc.bayes.km_misfit`), and the model of
    the same outcome and prior that follows it best without straying, if any ('', '' when the
    model does not stray or the table is missing)."""
    fit = tables.get("model_fit")
    if fit is None or not len(fit) or "misfit" not in fit.columns:
        return "", ""
    mine = fit[(fit["outcome"].astype(str) == str(row["outcome"]))
               & (fit["prior"].astype(str) == str(row["prior"]))]
    own = mine[mine["model"] == row["model"]]
    bad = own[own["misfit"].map(_is_true)]
    if bad.empty:
        return "", ""
    worst = bad.loc[pd.to_numeric(bad["statistic"]).idxmax()]
    arm = words.arm(worst["arm"]) if words is not None else worst["arm"]
    clause = (f"the survival curve of the {readable(row['model'])} model strays from the "
              f"Kaplan-Meier curve (unadjusted fit, {arm} arm: by up to "
              f"{significant(float(worst['statistic']))} standard errors; a correct model stays within "
              f"{KM_THRESHOLD:g} in 95 % of arms or more)")
    others = mine[mine["model"] != row["model"]]
    if others.empty:  # the grid has this model only: nothing to compare with
        return "", clause
    largest = others.groupby("model", sort=False).agg(
        statistic=("statistic", lambda v: pd.to_numeric(v).max()),
        misfit=("misfit", lambda v: v.map(_is_true).any()))
    fitting = largest[~largest["misfit"]]
    if fitting.empty:
        return "", clause + "; no other model of the analysis follows it either"
    return str(fitting["statistic"].idxmin()), clause


def _model_fit(tables: Mapping[str, pd.DataFrame], row: pd.Series, words=None) -> str:
    """One sentence when the model of the primary analysis is in question, naming the
    better-fitting model's hazard ratio in the same prior and adjustment ('' otherwise).

    The model is in question when another predicts the data better by more than
    :data:`LOO_SE_MARGIN` SE of the PSIS-LOO difference (:func:`_loo_loss`), or when its
    unadjusted fit's survival curve strays from the Kaplan-Meier curve (``model_fit.csv``,
    :func:`_km_gap`). The better-fitting model is LOO's best when LOO says so, else the model
    of the same outcome and prior that strays least from Kaplan-Meier without straying.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results tables (``loo``, ``model_fit``, ``posterior_hr``).
    row : pandas.Series
        The ``posterior_hr`` row of the analysis.
    words : bayeshcc.report.wording.Wording, optional
        Names the arms (their codes otherwise).

    Returns
    -------
    str
    """
    hr = tables.get("posterior_hr")
    if hr is None:
        return ""
    loo_model, loo_clause = _loo_loss(tables, row)
    km_model, km_clause = _km_gap(tables, row, words)
    if not (loo_clause or km_clause):
        return ""
    better = loo_model or km_model
    if loo_clause and km_clause:
        text = f"Model fit: {loo_clause}, and {km_clause}"
    elif loo_clause:
        text = f"Model fit: {loo_clause}"
    else:
        text = f"Model fit: {km_clause}"
        if better:
            text += f"; the {readable(better)} model follows it"
    other = hr[(hr["outcome"].astype(str) == str(row["outcome"])) & (hr["model"] == better)
               & (hr["prior"] == row["prior"]) & (hr["adjustment"] == row["adjustment"])]
    if better and len(other):
        o = other.iloc[0]
        with_it = f"the {readable(better)} model" if loo_clause and km_clause else "it"
        text += (f"; with {with_it} the hazard ratio is {hazard_ratio(o['hr_median'])} (95% "
                 f"{interval_name(o)} {hazard_ratio(o['hr_lower'])} to "
                 f"{hazard_ratio(o['hr_upper'])})")
    return text + "."


def _proportional_hazards(tables: Mapping[str, pd.DataFrame], row: pd.Series) -> str:
    """A sentence when the primary population's test of proportional hazards for the treatment
    (``cox_zph.csv``, the Grambsch-Therneau test of R's ``cox.zph``) has p < :data:`PH_LEVEL`
    ('' otherwise)."""
    zph = tables.get("cox_zph")
    if zph is None or not len(zph):
        return ""
    adjustment = str(row["adjustment"])
    cohort = "unadjusted" if adjustment in ("none", "covariates") else adjustment
    model = "multivariable" if adjustment == "covariates" else "univariable"
    rows = zph[(zph["outcome"].astype(str) == str(row["outcome"])) & (zph["cohort"] == cohort)
               & (zph["model"] == model) & (zph["term"] == "treatment")]
    if rows.empty or not float(rows["p"].iloc[0]) < PH_LEVEL:
        return ""
    p = float(rows["p"].iloc[0])
    shown = p_relation(p)
    return (f"Proportional hazards in question: in the {cohort} cohort the treatment's hazard "
            f"ratio changes with time (cox.zph p {shown}). The hazard ratio is then an average "
            "over the follow-up that depends on its length; the survival and RMST differences "
            "say more.")


def summary(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> list[dict]:
    """The summary a clinician reads first: one block per outcome, from the primary analysis.

    Each block holds the probability statements (benefit and clinically meaningful benefit,
    worded as an effect only for an adjusted primary analysis; see :func:`bayes_statements`),
    the absolute effects (median and RMST differences with their 95 % credible intervals and
    P(> 0)), the per-arm numbers (:func:`bayeshcc.report.glance.at_a_glance`), the robustness
    within the primary estimand (:func:`_robustness`), the sceptical-prior
    tipping point, the E-value, the confounding tipping point and any
    prior-data conflict (p < 0.05) of a prior borrowing external evidence in the primary
    analysis's model and adjustment. A
    primary fit that failed its convergence checks gives a warning, and its numbers are marked
    as not to be relied on.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results folder's tables by name.
    manifest : mapping
        ``manifest.json``.

    Returns
    -------
    list of dict
        Per outcome: ``outcome``, ``label``, ``reliable``, ``warning``, ``statements`` (the
        probability sentences), ``estimate`` (HR and interval), ``absolute``, ``robustness``,
        ``tipping`` (sceptical-prior tipping point), ``evalue``, ``confounding`` (confounding
        tipping point), ``conflict`` (sentences), ``model_checks`` (sentences: non-proportional
        hazards, a better-fitting model on LOO or a survival curve that strays from
        Kaplan-Meier, :func:`_model_fit`), ``lead`` (when the treatment's hazards are not
        proportional, :func:`_proportional_hazards`: that sentence and every absolute effect,
        shown before the probability statements, which then read as averages over the
        follow-up; empty otherwise), ``glance`` (the per-arm numbers,
        :func:`bayeshcc.report.glance.at_a_glance`), ``more`` (the absolute effects after the
        first that the per-arm table does not give), ``row`` (the posterior row used, as
        a dict).
    """
    if "posterior_hr" not in tables:
        return []
    from bayeshcc.report.glance import at_a_glance
    from bayeshcc.report.wording import Wording

    spec = manifest.get("spec", {})
    words = Wording.from_manifest(manifest)
    treated, reference = words.treated, words.reference
    outcomes = spec.get("outcomes", {})
    hr = tables["posterior_hr"]
    chosen = primary_rows(tables)
    thresholds = clinical_thresholds(hr, manifest)
    level = decision_threshold(manifest)
    grid = tables.get("sensitivity", hr)
    blocks = []
    for (outcome, general), statement in zip(hr.groupby("outcome", sort=False),
                                             bayes_statements(tables, manifest)):
        mine = chosen[chosen["outcome"] == outcome] if len(chosen) else chosen
        primary = bool(len(mine))
        row = (mine if primary else general).iloc[0]
        label = str(outcomes.get(outcome, {}).get("label", outcome))
        reliable = _is_true(row.get("reliable", True))
        statements = [statement["text"] + "."]
        for t in thresholds:
            p = row[f"prob_hr_below_{t:g}"]
            what = "Calibrated probability" if is_calibrated(row) else "Probability"
            statements.append(f"{what} of a clinically meaningful benefit (HR < {t:g}): "
                              f"{percent(p)}.")
        absolute = _absolute_effects(tables.get("posterior_contrasts"), row, words)
        glance = at_a_glance(tables, row, outcome, words, manifest)
        warning = ""
        if not reliable:
            warning = (f"Warning: the {'primary ' if primary else ''}analysis of {label.lower()} "
                       f"did not pass the convergence checks ({row.get('convergence', '')}). "
                       "Its numbers below are shown for auditing only; do not rely on them.")
        proportional = _proportional_hazards(tables, row)
        # Hazards that are not proportional: the absolute effects lead, the HR follows as an
        # average over the follow-up (issue #25, "PH as a question the summary answers").
        lead = [proportional, *absolute] if proportional and absolute else []
        blocks.append({
            "outcome": str(outcome), "label": label, "reliable": reliable, "primary": primary,
            "lead": lead,
            "warning": warning, "statements": statements,
            "estimate": (f"Hazard ratio {hazard_ratio(row['hr_median'])} (95% {interval_name(row)} "
                         f"{hazard_ratio(row['hr_lower'])} to {hazard_ratio(row['hr_upper'])}); "
                         f"{readable(row['model'])} model, {readable(row['prior'])} prior, "
                         f"adjustment {row['adjustment']}."),
            "absolute": absolute,
            "more": [] if lead else absolute[1:] if glance is None or not glance.rmst else [],
            "glance": glance,
            "robustness": _robustness(grid, outcome, label.lower(), level,
                                      row if primary else None),
            "tipping": _tipping(tables.get("tipping_point"), outcome, level),
            "evalue": _evalue(tables.get("tipping_point"), outcome).replace("{label}",
                                                                            label.lower()),
            "confounding": _confounding(tables.get("tipping_point"), outcome, level).replace(
                "{label}", label.lower()).replace("{treated}", treated),
            "conflict": _conflict(hr, row, outcome, label.lower()),
            "model_checks": [t for t in ("" if lead else proportional,
                                         _model_fit(tables, row, words)) if t],
            "row": {k: (None if pd.isna(v) else v) for k, v in row.items()},
            "treated": treated, "reference": reference,
        })
    return blocks


def about_the_data(manifest: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """What the data are and what the primary estimate is about, in sentences.

    Parameters
    ----------
    manifest : mapping
        ``manifest.json`` (its spec, inputs and ``primary``).
    tables : mapping of str to pandas.DataFrame
        The results tables (the primary rows of ``posterior_hr`` name the estimand).

    Returns
    -------
    list of str
        Observational design, synthetic data when so, the estimand, why the primary analysis
        uses overlap weights (or a warning that an explicit ATE primary has extreme weights),
        the main caveat.
    """
    from bayeshcc.estimands import POPULATION_IN_WORDS, hr_estimand, population_in_words

    from bayeshcc.report.wording import Wording

    words = Wording.from_manifest(manifest)
    treated, reference = words.treated, words.reference
    rows = manifest.get("inputs", {}).get("data", {}).get("rows", "NA")
    sentences = [f"Data: an observational cohort of {rows} patients comparing {treated} with "
                 f"{reference}; treatment was not randomised."]
    if is_synthetic(manifest):
        sentences.append("These are the bundled synthetic data, calibrated to a published "
                         "study's aggregates: they illustrate the method and are not patient "
                         "data.")
    primary = dict(manifest.get("primary") or {})
    rows = primary_rows(tables)
    if not primary and len(rows):  # an older manifest: the table's primary rows say it
        primary = {k: rows.iloc[0][k] for k in ("model", "adjustment", "prior")}
    adjustment = primary.get("adjustment")
    if adjustment in POPULATION_IN_WORDS:
        estimand = (rows.iloc[0]["estimand"] if len(rows) and "estimand" in rows.columns
                    else hr_estimand(adjustment))
        sentences.append(f"Estimand of the primary analysis: the {estimand} for "
                         f"{population_in_words(adjustment, treated)} "
                         f"({readable(primary.get('model'))} model, "
                         f"{readable(primary.get('prior'))} prior).")
    overlap = (manifest.get("adjustment") or {}).get("primary_overlap") or {}
    if overlap.get("sentence"):
        sentences.append(overlap["sentence"] if overlap.get("switched") else
                         f"Warning: {overlap['sentence']} The spec names the ATE analysis as "
                         "primary, which is kept as given.")
    sentences.append("Main caveat: adjustment balances only the measured covariates; an "
                     "unmeasured confounder could explain part or all of the difference.")
    return sentences


# --- the appendix ------------------------------------------------------------------------------

DIAGNOSTIC_COLUMNS = ("outcome", "model", "prior", "adjustment", "reliable", "rhat_max",
                      "ess_bulk_min", "ess_tail_min", "divergences", "ebfmi_min", "convergence")


def diagnostics_view(tables: Mapping[str, pd.DataFrame]) -> TableView | None:
    """Convergence per fit (R-hat, ESS, divergences, E-BFMI), the unreliable fits first.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results tables; ``posterior_hr`` carries one row of flags per fit.

    Returns
    -------
    TableView or None
        None without a Bayesian run.
    """
    hr = tables.get("posterior_hr")
    if hr is None or not len(hr):
        return None
    frame = hr.copy()
    frame["_ok"] = frame["reliable"].map(_is_true) if "reliable" in frame else True
    frame = frame.sort_values("_ok", kind="stable")
    cols = tuple(c for c in DIAGNOSTIC_COLUMNS if c in frame.columns)
    bad = int((~frame["_ok"]).sum())
    note = (f"{bad} of {len(frame)} fits did not pass the checks (R-hat <= 1.01, bulk and tail "
            "ESS >= 400, no divergences, E-BFMI > 0.3) and are listed first." if bad else
            f"All {len(frame)} fits passed the checks (R-hat <= 1.01, bulk and tail ESS >= 400, "
            "no divergences, E-BFMI > 0.3).")
    rows = tuple(tuple(None if pd.isna(v) else v for v in r)
                 for r in frame[list(cols)].itertuples(index=False, name=None))
    return TableView("diagnostics", "Convergence of every fit", note, cols, rows)


def wide_baseline(baseline: pd.DataFrame, arms: tuple[str, str],
                  words=None) -> TableView | None:
    """Table 1 as a paper prints it: one row per characteristic (and level), one column per arm
    for each cohort (unadjusted, matched, ...) side by side, each cohort's p-value and SMD.

    Only reshapes ``baseline.csv``; no number is computed.

    Parameters
    ----------
    baseline : pandas.DataFrame or None
        ``baseline.csv`` (long: one row per cohort, characteristic and level).
    arms : tuple of (str, str)
        Treated and reference arm names, for the column headings.
    words : bayeshcc.report.wording.Wording, optional
        Names for coded levels (``[data.levels]``); without it levels show as their codes.

    Returns
    -------
    TableView or None
        None without a baseline table.
    """
    needed = {"cohort", "label", "summary_treated", "summary_reference"}
    if baseline is None or not needed <= set(baseline.columns):
        return None
    from bayeshcc.report.wording import Wording

    words = words or Wording()
    frame = baseline.copy()
    # every level by its name (or code as text): a level coded 0 is "0", never an empty cell
    variables = frame["variable"] if "variable" in frame else frame["label"]
    # a 0/1 numeric covariate has one row, its 1s: named by the label of 1 when it has one
    levels = [c if not (c == "" or pd.isna(c)) or str(v) not in words.levels else 1
              for v, c in zip(variables, frame["level"] if "level" in frame else [""] * len(frame))]
    frame["level"] = [words.level(v, c) for v, c in zip(variables, levels)]
    if "statistic" in frame:
        frame["statistic"] = frame["statistic"].fillna("")
    cohorts = list(dict.fromkeys(frame["cohort"].astype(str)))
    keys = ["label", "level"] + (["statistic"] if "statistic" in frame else [])
    order = frame.drop_duplicates(keys)[keys]
    columns = ["Characteristic", "Level"]
    values = {c: frame[frame["cohort"].astype(str) == c].drop_duplicates(keys).set_index(keys)
              for c in cohorts}
    for c in cohorts:
        columns += [f"{c}: {arms[0]}", f"{c}: {arms[1]}", f"{c}: p", f"{c}: SMD"]
    rows = []
    previous = None
    for key in order.itertuples(index=False, name=None):
        label, level = key[0], key[1]
        statistic = key[2] if len(key) > 2 else ""
        name = "" if label == previous else f"{label}" + (f", {statistic}" if statistic
                                                           and not level else "")
        previous = label
        row = [name, level if level else ("" if name else statistic)]
        for c in cohorts:
            v = values[c]
            if key in v.index:
                r = v.loc[key]
                row += [r.get("summary_treated"), r.get("summary_reference"),
                        r.get("p") if "p" in v.columns else None,
                        r.get("smd") if "smd" in v.columns else None]
            else:
                row += [None] * 4
        rows.append(tuple(None if (not isinstance(x, str) and pd.isna(x)) else x for x in row))
    note = ("Numbers per arm as n (%) or the statistic named; p from the test in baseline.csv's "
            "'test' column; SMD = standardized mean difference. Cohorts side by side: "
            + ", ".join(cohorts) + ".")
    return TableView("baseline_wide", "Table 1. Baseline characteristics", note,
                     tuple(columns), tuple(rows))
