"""Frequentist survival analyses, numerically equal to R's `survival` package."""
