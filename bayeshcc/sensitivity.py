"""Sceptical-prior tipping point: how sceptical a prior it takes before the probability of
benefit falls below the decision threshold (a reverse-Bayes analysis). The E-values and the
confounding tipping point beside it in ``tipping_point.csv`` are
:func:`bayeshcc.tables.confounding.confounding_columns`'s.

For each outcome, the primary analysis (``[bayes] primary``: its model and adjustment, never the
unadjusted one) under the vague prior gives a normal approximation of the likelihood for the log
HR, mean ``m`` and SD ``s``.
With a sceptical prior N(0, tau^2) the posterior probability of benefit is
``Phi(-m tau / (s sqrt(tau^2 + s^2)))``; it equals the threshold ``q`` at

.. math:: \\tau^* = z_q s^2 / \\sqrt{m^2 - z_q^2 s^2}

(no tipping point when even the vague prior gives P(HR < 1) < q). The table also reports how
strong that prior is (its P(HR < 0.5)) and checks the approximation with a real fit at tau*
(``prob_hr_below_1_at_tipping``). For a weighted or matched primary analysis m and s are those
of the calibrated vague fit, and the check fit is calibrated as the grid's fits are
(:mod:`bayeshcc.bayes.calibration`): the calibration combines the prior with the calibrated
likelihood N(m, s^2), so the formula is the conjugate one the check fit follows (its
``probability`` column says "calibrated probability"). On the bundled cohort the check gives
0.952 for a threshold of 0.95 (Monte Carlo SE about 0.004); it gave 0.940 while the calibration kept the Kish-weighted
prior-data compromise, which the formula does not assume.
The vague-prior fit is the grid's own when the grid ran it at full length with the same
calibration (its draws are read back, not resampled); otherwise it is fitted here with the seed
the grid would give it, so the table's ``prob_hr_below_1_vague`` is the grid's vague row either way.
The tipping point is also given in events: a N(0, tau^2) prior on a log HR carries about
``4 / tau^2`` events' worth of information (a log HR from E events has variance about 4 / E,
Spiegelhalter et al. 1994), the number of events of null evidence it would take.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd
from scipy.stats import norm

from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.calibration import calibrate, interval_words
from bayeshcc.bayes.plan import (FitTask, adjustment_covariates, calibration_for, fit_inputs,
                                 plan_fits, population_for)
from bayeshcc.bayes.priors import BUILT_IN, Prior
from bayeshcc.cohort import Cohort
from bayeshcc.estimands import hr_estimand

COLUMNS = ["outcome", "model", "adjustment", "estimand", "threshold", "prob_hr_below_1_vague",
           "tipping_prior_sd", "tipping_prior_events", "tipping_prior_prob_hr_below_0_5",
           "prob_hr_below_1_at_tipping", "probability", "note"]


def tipping_sd(mean: float, sd: float, threshold: float) -> float:
    """Prior SD tau* at which P(HR < 1) equals ``threshold`` (NaN if there is none)."""
    z = norm.ppf(threshold)
    if mean >= 0 or mean ** 2 <= (z * sd) ** 2:
        return float("nan")
    return float(z * sd ** 2 / math.sqrt(mean ** 2 - (z * sd) ** 2))


def tipping_point_table(cohort: Cohort, populations, hr_table: pd.DataFrame,
                        grid_log_hr: Callable[[FitTask], np.ndarray | None] | None = None
                        ) -> pd.DataFrame:
    """One row per outcome for the primary analysis (see module docstring); empty without one.

    ``populations``: the adjusted populations (:func:`bayeshcc.adjust.cohort.adjust`);
    ``grid_log_hr(task)``: the log-HR draws the grid saved for
    ``task`` when they are what this table would sample (else None)."""
    spec, b = cohort.spec, cohort.spec.bayes
    if b.primary is None:
        return pd.DataFrame(columns=COLUMNS)
    model, adjustment = b.primary.model, b.primary.adjustment
    rows = []
    for out in spec.outcomes:
        task = plan_fits(spec, outcomes=[out.name], models=[model], priors=["vague"],
                         adjustments=[adjustment])[0]
        pop = population_for(adjustment, populations)
        if pop is None:
            continue
        inputs = fit_inputs(task, pop, adjustment_covariates(spec))
        calibration = calibration_for(task, pop, b.uncertainty)

        def fit(prior: Prior):
            """The primary analysis's fit under ``prior``, its interval made as the grid's."""
            result = fit_survival_model(model, **inputs, prior=prior, draws=b.draws,
                                        tune=b.tune, chains=b.chains, seed=task.seed,
                                        cutpoints=b.cutpoints or None, intervals=b.intervals,
                                        model_groups=False)  # only the log HR is read
            return result if calibration is None else calibrate(result, calibration)

        log_hr = None if grid_log_hr is None else grid_log_hr(task)
        if log_hr is None:
            log_hr = fit(BUILT_IN["vague"]).draws()["log_hr"]
        m, s = float(log_hr.mean()), float(log_hr.std())
        tau = tipping_sd(m, s, b.decision_threshold)
        row = {"outcome": out.name, "model": model, "adjustment": adjustment,
               "estimand": hr_estimand(adjustment), "threshold": b.decision_threshold,
               "prob_hr_below_1_vague": float(np.mean(log_hr < 0)),
               "tipping_prior_sd": tau, "tipping_prior_events": 4 / tau ** 2,
               "tipping_prior_prob_hr_below_0_5": np.nan,
               "prob_hr_below_1_at_tipping": np.nan,
               "probability": interval_words(calibration is not None)["probability"],
               "note": ""}
        if math.isnan(tau) and row["prob_hr_below_1_vague"] < b.decision_threshold:
            row["note"] = ("no tipping point: P(HR < 1) is below the threshold even with a vague "
                           "prior")
        elif math.isnan(tau):  # at the threshold: the normal approximation is just below it
            row.update(tipping_prior_sd=math.inf, tipping_prior_events=0.0,
                       note=("P(HR < 1) is at the threshold with a vague prior: any sceptical "
                             "prior, however weak, brings it below"))
        else:
            check = fit(Prior("tipping", 0.0, tau, 1.0))
            row["tipping_prior_prob_hr_below_0_5"] = float(norm.cdf(math.log(0.5) / tau))
            row["prob_hr_below_1_at_tipping"] = float(np.mean(check.draws()["log_hr"] < 0))
            row["note"] = (f"a sceptical prior N(0, {tau:.3f}) on the log HR, or any stronger one, "
                           f"brings P(HR < 1) below {b.decision_threshold:g}")
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
