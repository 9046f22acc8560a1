"""Unmeasured confounding in ``tipping_point.csv``: the E-values of the primary analysis and the
confounding tipping point, beside the sceptical-prior tipping point
(:func:`bayeshcc.sensitivity.tipping_point_table`).

Per outcome (one row of the sceptical-prior table, the primary analysis's model and adjustment):

- ``evalue``, ``evalue_ci``: the E-value (VanderWeele & Ding 2017) of the primary posterior's
  median HR and of its 95 % credible limit closer to 1 (``evalue_hr_median``,
  ``evalue_hr_lower``, ``evalue_hr_upper``: the numbers used, from ``posterior_hr.csv``;
  ``evalue_prior``: the primary prior); the outcome taken as common, as for the Cox table.
- ``evalue_cox``, ``evalue_ci_cox``: the E-values of the Cox model of the same population
  (``cox.csv``), for comparison with a frequentist analysis.
- ``confounding_bias_factor``, ``confounding_evalue``: the Ding & VanderWeele (2016) bounding
  factor B at which the primary posterior's P(HR < 1) falls to the decision threshold, and its
  E-value (:func:`bayeshcc.frequentist.evalue.confounding_tipping_point`);
  ``prob_hr_below_1_primary``: that posterior's P(HR < 1) without any bias.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from bayeshcc.frequentist.evalue import confounding_tipping_point, evalue_hazard_ratio

COLUMNS = ["evalue", "evalue_ci", "evalue_hr_median", "evalue_hr_lower", "evalue_hr_upper",
           "evalue_prior", "evalue_cox", "evalue_ci_cox", "prob_hr_below_1_primary",
           "confounding_bias_factor", "confounding_evalue", "confounding_note"]


def _cox_row(cox: pd.DataFrame | None, outcome: str, adjustment: str) -> pd.Series | None:
    """The treatment row of the Cox model that analyses the same population as ``adjustment``
    (the multivariable model for ``covariates``)."""
    if cox is None or not len(cox) or "evalue" not in cox.columns:
        return None
    cohort = {"none": "unadjusted", "covariates": "unadjusted"}.get(adjustment, adjustment)
    model = "multivariable" if adjustment == "covariates" else "univariable"
    pick = cox[(cox["cohort"] == cohort) & (cox["outcome"] == outcome)
               & (cox["model"] == model) & (cox["term"] == "treatment")]
    return pick.iloc[0] if len(pick) else None


def _summary_ok(row: pd.Series) -> bool:
    """Whether a posterior row's HR summary can give an E-value (positive, finite, ordered)."""
    values = np.array([row["hr_lower"], row["hr_median"], row["hr_upper"]], dtype=float)
    return bool(np.all(np.isfinite(values)) and np.all(values > 0)
                and values[0] <= values[1] <= values[2])


def confounding_columns(tipping: pd.DataFrame, hr_table: pd.DataFrame, cox: pd.DataFrame | None,
                        primary_log_hr: Callable[[pd.Series], np.ndarray | None],
                        threshold: float) -> pd.DataFrame:
    """``tipping`` with the :data:`COLUMNS` added (see the module docstring).

    Parameters
    ----------
    tipping : the sceptical-prior tipping-point table (one row per outcome).
    hr_table : ``posterior_hr.csv``, with its ``primary`` column.
    cox : ``cox.csv`` (None without one).
    primary_log_hr : the log-HR draws of a primary ``posterior_hr`` row (None when not saved).
    threshold : the decision threshold (``[bayes] decision_threshold``).
    """
    out = tipping.copy()
    for column in COLUMNS:
        out[column] = "" if column in ("evalue_prior", "confounding_note") else np.nan
    primary = (hr_table[hr_table["primary"].astype(bool)]
               if "primary" in hr_table.columns else hr_table.iloc[:0])
    for i, t in out.iterrows():
        row = primary[(primary["outcome"] == t["outcome"]) & (primary["model"] == t["model"])
                      & (primary["adjustment"] == t["adjustment"])]
        if len(row) and _summary_ok(row.iloc[0]):
            r = row.iloc[0]
            ev = evalue_hazard_ratio(r["hr_median"], r["hr_lower"], r["hr_upper"])
            out.loc[i, ["evalue", "evalue_ci", "evalue_hr_median", "evalue_hr_lower",
                        "evalue_hr_upper"]] = [ev.evalue, ev.evalue_ci, float(r["hr_median"]),
                                               float(r["hr_lower"]), float(r["hr_upper"])]
            out.loc[i, "evalue_prior"] = str(r["prior"])
            draws = primary_log_hr(r)
            if draws is not None and np.size(draws) and np.all(np.isfinite(draws)):
                tp = confounding_tipping_point(draws, threshold)
                out.loc[i, ["prob_hr_below_1_primary", "confounding_bias_factor",
                            "confounding_evalue"]] = [tp.prob_benefit, tp.bias_factor,
                                                      tp.evalue]
                out.loc[i, "confounding_note"] = (
                    f"P(HR < 1) is below {threshold:g} without any unmeasured confounding"
                    if math.isnan(tp.bias_factor) else
                    f"an unmeasured confounder favouring the treated arm with bounding factor "
                    f"{tp.bias_factor:.3f} (E-value {tp.evalue:.3f}) brings P(HR < 1) of the "
                    f"primary posterior below {threshold:g}")
        c = _cox_row(cox, t["outcome"], t["adjustment"])
        if c is not None:
            out.loc[i, ["evalue_cox", "evalue_ci_cox"]] = [float(c["evalue"]),
                                                           float(c["evalue_ci"])]
    return out
