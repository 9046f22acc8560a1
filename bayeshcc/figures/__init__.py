"""Figures: each function reads tidy tables (never raw data), draws, and returns what it drew."""
