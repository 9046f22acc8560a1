"""Analysed populations: the whole cohort, the matched cohort, and propensity-weighted cohorts.

Every frequentist table has a ``cohort`` column naming the population a row describes:
``unadjusted``, ``matched``, ``ate``, ``att`` or ``overlap`` (docs/architecture.md conventions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.cohort import Cohort
from bayeshcc.vocab import WEIGHTED


@dataclass(frozen=True)
class Population:
    """Patients analysed together, with their weights and matched-pair clusters.

    Attributes
    ----------
    name : str
        ``unadjusted``, ``matched``, ``ate``, ``att`` or ``overlap``.
    cohort : Cohort
        The patients (for ``matched``, only the matched ones).
    weights : numpy.ndarray or None
        Analysis weights (propensity weights, or matching weights when a control serves more
        than one treated patient); None when every patient counts once.
    clusters : numpy.ndarray or None
        Matched-set ids, for pair-clustered robust standard errors.
    ps_score, ps_covariates : numpy.ndarray or None
        Weighted populations: the estimated propensity score of each patient and the PS model's
        covariate matrix (no intercept), so that a posterior can account for the score being
        estimated (:mod:`bayeshcc.bayes.calibration`).
    """

    name: str
    cohort: Cohort
    weights: np.ndarray | None = None
    clusters: np.ndarray | None = None
    ps_score: np.ndarray | None = None
    ps_covariates: np.ndarray | None = None

    @property
    def is_weighted(self) -> bool:
        """True for propensity-weighted pseudo-populations."""
        return self.name in WEIGHTED

    def weights_or_ones(self) -> np.ndarray:
        """The weights, or ones when the population is unweighted."""
        return np.ones(len(self.cohort)) if self.weights is None else np.asarray(self.weights)


def unadjusted(cohort: Cohort) -> Population:
    """The whole cohort, every patient counted once."""
    return Population("unadjusted", cohort)
