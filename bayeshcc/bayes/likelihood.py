"""The censored (pseudo-)log-likelihood, written once for every model.

.. math:: \\ell = \\sum_i w_i \\left( d_i \\log h(t_i \\mid x_i) - H(t_i \\mid x_i) \\right)

A model supplies only its log hazard at the observed times and its cumulative hazard; weights
``w`` are analysis weights (ones when unweighted).
"""

from __future__ import annotations


def censored_loglik(log_hazard, cumulative_hazard, event, weights):
    """Per-patient terms ``w * (d * log h - H)`` (PyTensor or NumPy arrays)."""
    return weights * (event * log_hazard - cumulative_hazard)
