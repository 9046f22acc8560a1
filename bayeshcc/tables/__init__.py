"""Descriptive tables of the study: baseline (Table 1), response (Table 2), safety (Table 5)."""
