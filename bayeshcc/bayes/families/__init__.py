"""The baseline hazard families and their registry.

Each family is one module implementing :class:`~bayeshcc.bayes.families.base.Family`; adding
one is that module plus a line in :data:`FAMILIES`. Code elsewhere asks the family returned by
:func:`get_family` instead of branching on the model's name.
"""

from __future__ import annotations

from bayeshcc.bayes.families.base import Family
from bayeshcc.bayes.families.piecewise import PIECEWISE
from bayeshcc.bayes.families.weibull import WEIBULL
from bayeshcc.errors import AnalysisError

FAMILIES: dict[str, Family] = {family.name: family for family in (WEIBULL, PIECEWISE)}


def get_family(name: str) -> Family:
    """The family of a model name.

    Parameters
    ----------
    name : str
        A key of :data:`FAMILIES` (``"weibull"``, ``"piecewise"``).

    Returns
    -------
    Family

    Raises
    ------
    AnalysisError
        An unknown name; the message lists the valid ones.
    """
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise AnalysisError(f"model must be one of {tuple(FAMILIES)}, got {name!r}") from None


__all__ = ["FAMILIES", "Family", "get_family"]
