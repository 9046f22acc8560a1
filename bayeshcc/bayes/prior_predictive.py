"""Prior predictive checks: what each prior set says about the HR and the median survival per arm
before seeing the outcomes.

Draws come straight from the model's priors (the hyper-parameters of
:mod:`bayeshcc.bayes.families`, baseline centred at log(events / exposure) of the data as the fit
does), without the likelihood. For each draw the hazard ratio is exp(log HR) and the median
survival of arm a, for a patient at the covariate means (standardised x = 0), solves
S_a(t) = 1/2:

.. math::

    \\text{Weibull: } m_a = \\Big(\\frac{\\log 2}{\\exp(\\text{log\\_rate} + a \\log \\mathrm{HR})}
    \\Big)^{1/k}

and for the piecewise-exponential model m_a is the time where the cumulative hazard
sum_j exp(alpha_j + a log HR) x exposure_j(t) reaches log 2 (exactly, interval by interval).
Times are returned in the data's unit. A prior whose 95 % range of medians runs from hours to
centuries tells the reader the baseline prior is weak, not that the data are odd.

R equivalent: ``brms::brm(..., sample_prior = "only")`` followed by the same summaries.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from bayeshcc.bayes.data import prepare
from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.families.base import rate_center
from bayeshcc.bayes.priors import Prior

QUANTILES = (0.025, 0.25, 0.5, 0.75, 0.975)
COLUMNS = ["quantity", "arm", "q025", "q250", "q500", "q750", "q975", "prob_hr_below_0.5",
           "prob_hr_below_1"]
LOG2 = float(np.log(2.0))


def sample_prior(model: str, prior: Prior, rate_centre: float, n_intervals: int = 1,
                 draws: int = 4000, seed: int = 1) -> dict[str, np.ndarray]:
    """Draws of the parameters from the model's priors (scaled time).

    Returns ``log_hr`` and, for ``weibull``, ``log_rate`` and ``shape``; for ``piecewise``,
    ``alpha`` (draws x intervals).
    """
    family = get_family(model)
    rng = np.random.default_rng(seed)
    out = {"log_hr": prior.sample(rng, draws)}  # a robust prior: its mixture
    out.update(family.sample_prior(rate_centre, n_intervals, draws, rng))
    return out


def median_survival(model: str, draws: dict, arm: float, cuts: np.ndarray | None = None) -> np.ndarray:
    """Median survival per draw (scaled time) for arm 1 (treated) or 0 (reference), x = 0
    (:meth:`bayeshcc.bayes.families.base.Family.median_survival`)."""
    return get_family(model).median_survival(draws, arm, cuts)


def _row(quantity: str, arm: str, values: np.ndarray, log_hr: np.ndarray | None = None) -> dict:
    q = np.quantile(values, QUANTILES)
    row = {"quantity": quantity, "arm": arm, **dict(zip(COLUMNS[2:7], map(float, q)))}
    row["prob_hr_below_0.5"] = float(np.mean(log_hr < np.log(0.5))) if log_hr is not None else np.nan
    row["prob_hr_below_1"] = float(np.mean(log_hr < 0)) if log_hr is not None else np.nan
    return row


def prior_predictive(model: str, time, event, treated, prior: Prior, arms: Sequence[str],
                     draws: int = 4000, seed: int = 1, cutpoints=None,
                     intervals: int = 6) -> pd.DataFrame:
    """Quantiles of the prior distribution of the HR and of each arm's median survival.

    Parameters
    ----------
    model : {"weibull", "piecewise", "mspline"}
    time, event, treated : array_like
        The data the fit sees; only their totals (events, exposure, mean follow-up) and, for the
        piecewise model, the event times for the default cut points are used, as in the fit.
    prior : Prior
    arms : (treated label, reference label)
    draws, seed : int
        Prior draws; the same seed gives the same table.
    cutpoints, intervals
        As :func:`bayeshcc.bayes.fit.fit_survival_model`.

    Returns
    -------
    DataFrame
        One row per quantity (``hr``; ``median`` per arm) with the 2.5, 25, 50, 75 and 97.5 %
        prior quantiles (``q025`` ... ``q975``) and, for the HR, P(HR < 0.5) and P(HR < 1).

    Examples
    --------
    >>> table = prior_predictive("weibull", t, d, trt, BUILT_IN["skeptical"], ("A", "B"))  # doctest: +SKIP
    >>> table.loc[table["quantity"] == "hr", "prob_hr_below_0.5"]  # about 0.025  # doctest: +SKIP
    """
    data = prepare(time, event, treated)
    cuts = get_family(model).cutpoints(cutpoints, data, intervals)
    n_intervals = 1 if cuts is None else len(cuts) + 1
    sample = sample_prior(model, prior, rate_center(data), n_intervals, draws, seed)
    scaled_cuts = None if cuts is None else cuts / data.time_scale
    rows = [_row("hr", "", np.exp(sample["log_hr"]), sample["log_hr"])]
    for label, a in zip(arms, (1.0, 0.0)):
        rows.append(_row("median", label,
                         data.time_scale * median_survival(model, sample, a, scaled_cuts)))
    return pd.DataFrame(rows, columns=COLUMNS)
