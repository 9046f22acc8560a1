"""Table 3: Kaplan-Meier medians with CIs, events and the log-rank test, per cohort and outcome.

Also the curve and numbers-at-risk tables the Kaplan-Meier figures read, and survival at the
spec's landmark times. Weighted cohorts get the weighted Kaplan-Meier estimator and the robust
score test of a weighted Cox model in place of the log-rank test.

Weighted cohorts' pointwise bands (hence median CIs and landmark limits) always use the
infinitesimal-jackknife variance, as R ``survfit(..., weights = w, robust = TRUE)`` (and
``survey::svykm``): weights held fixed, unchanged when they are multiplied by a constant. R's
default switches to Greenwood on weighted counts when every weight happens to be an integer
(e.g. the ATT treated arm, all 1), which treats weights as frequencies; here it does not. The
estimated PS is not accounted for in these bands (for ATE weights that makes them slightly
conservative: on survival::gbsg the fixed-weight RMST SE is 8 % above the PS-refitting
bootstrap's, see bayeshcc.frequentist.propensity_influence). The robust score test is
likewise R's ``coxph(..., weights = w, robust = TRUE)`` one and scale-invariant.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.frequentist import km as km_mod
from bayeshcc.frequentist import logrank
from bayeshcc.populations import Population

SURVIVAL_COLUMNS = ["cohort", "outcome", "arm", "n", "events", "median", "median_lower",
                    "median_upper", "logrank_chisq", "logrank_p", "test", "sum_weights",
                    "conf_type"]
CURVE_COLUMNS = ["cohort", "outcome", "arm", "time", "n_risk", "n_event", "n_censor", "survival",
                 "lower", "upper"]


def _arms(pop: Population):
    treated = pop.cohort.treated
    labels = pop.cohort.arm_labels()
    return ((labels[0], treated), (labels[1], ~treated))


def _test(pop: Population, time, event, weights):
    if pop.weights is None:
        result = logrank.logrank_test(time, event, pop.cohort.treated)
        return result, "log-rank"
    result = logrank.weighted_logrank_test(time, event, pop.cohort.treated, weights)
    return result, "robust score (weighted Cox)"


def at_risk_times(max_time: float, steps: int = 6) -> np.ndarray:
    """Round, evenly spaced times from 0 for the numbers-at-risk table under a figure."""
    raw = max_time / steps
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    return np.arange(0, max_time + 1e-9, step)


def _at_risk_grid(max_time: float, scale: float) -> np.ndarray:
    """:func:`at_risk_times` round in the unit the figures show (``scale``: data unit to shown
    unit, :meth:`bayeshcc.spec.DataSpec.time_axis`), in the data's unit: with days shown in
    years, at 0, 365.25, 730.5, ... days."""
    if scale == 1.0:
        return at_risk_times(max_time)
    return at_risk_times(max_time * scale) / scale


def survival_tables(populations: Sequence[Population]) -> dict[str, pd.DataFrame]:
    """``survival``, ``km_curves``, ``km_at_risk`` and ``survival_landmarks`` tables.

    ``km_at_risk`` counts the patients at risk at round times of the unit the figures show
    (``[data] display_unit``; the data's unit without one), written in the data's unit."""
    survival, curves, risks, landmarks = [], [], [], []
    for pop in populations:
        spec = pop.cohort.spec
        weights = pop.weights
        for out in spec.outcomes:
            time, event = pop.cohort.time(out.name), pop.cohort.event(out.name)
            test, test_name = _test(pop, time, event, weights)
            grid = _at_risk_grid(float(time.max()), spec.data.time_axis()[0])
            for arm, mask in _arms(pop):
                w = None if weights is None else np.asarray(weights)[mask]
                curve = km_mod.kaplan_meier(time[mask], event[mask], weights=w,
                                            conf_type=spec.km.conf_type,
                                            conf_level=spec.km.conf_level,
                                            robust=True if w is not None else None)
                median = km_mod.median_survival(curve)
                key = dict(cohort=pop.name, outcome=out.name, arm=arm)
                survival.append({**key, "n": int(mask.sum()), "events": int(event[mask].sum()),
                                 "median": median.median, "median_lower": median.lower,
                                 "median_upper": median.upper, "logrank_chisq": test.chisq,
                                 "logrank_p": test.p, "test": test_name,
                                 "sum_weights": float(np.sum(w)) if w is not None else float(mask.sum()),
                                 "conf_type": spec.km.conf_type})
                curves.append(pd.DataFrame({**key, "time": curve.time, "n_risk": curve.n_risk,
                                            "n_event": curve.n_event, "n_censor": curve.n_censor,
                                            "survival": curve.survival, "lower": curve.lower,
                                            "upper": curve.upper}))
                risk = [float(np.sum(np.where(time[mask] >= t, 1.0 if w is None else w, 0.0)))
                        for t in grid]
                risks.append(pd.DataFrame({**key, "time": grid, "n_risk": risk}))
                if spec.km.landmarks:
                    at = km_mod.survival_at(curve, np.array(spec.km.landmarks))
                    landmarks.append(pd.DataFrame({**key, "time": spec.km.landmarks,
                                                   "survival": at.survival, "lower": at.lower,
                                                   "upper": at.upper}))
    return {
        "survival": pd.DataFrame(survival, columns=SURVIVAL_COLUMNS),
        "km_curves": pd.concat(curves, ignore_index=True)[CURVE_COLUMNS],
        "km_at_risk": pd.concat(risks, ignore_index=True),
        "survival_landmarks": (pd.concat(landmarks, ignore_index=True) if landmarks else
                               pd.DataFrame(columns=["cohort", "outcome", "arm", "time",
                                                     "survival", "lower", "upper"])),
    }
