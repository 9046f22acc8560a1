"""bayeshcc: frequentist and Bayesian survival comparison of two treatments in clinical cohorts."""

__version__ = "0.1.0"
