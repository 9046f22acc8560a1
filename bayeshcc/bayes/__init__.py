"""Bayesian survival models (PyMC): Weibull PH and piecewise exponential, with propensity
adjustment, posterior contrasts and convergence checks."""
