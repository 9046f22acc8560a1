"""The baseline hazard families and their registry.

Each family is one module implementing :class:`~bayeshcc.bayes.families.base.Family`; adding
one is that module plus a line in :data:`FAMILIES`. Code elsewhere asks the family returned by
:func:`get_family` instead of branching on the model's name.
"""

from __future__ import annotations

from bayeshcc.bayes.families.base import Family
from bayeshcc.bayes.families.mspline import MSPLINE
from bayeshcc.bayes.families.piecewise import PIECEWISE
from bayeshcc.bayes.families.weibull import WEIBULL
from bayeshcc.errors import AnalysisError

FAMILIES: dict[str, Family] = {family.name: family for family in (WEIBULL, PIECEWISE, MSPLINE)}

# The families whose weighted and matched fits the sandwich calibration
# (bayeshcc.bayes.calibration) knows how to calibrate (each family's own ``calibrated``
# attribute, set once its coverage was measured); the others are refused there
# (check_calibration) rather than given a wrong interval.
CALIBRATED: tuple[str, ...] = tuple(name for name, family in FAMILIES.items()
                                    if getattr(family, "calibrated", False))


def get_family(name: str) -> Family:
    """The family of a model name.

    Parameters
    ----------
    name : str
        A key of :data:`FAMILIES` (``"weibull"``, ``"piecewise"``, ``"mspline"``).

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


def check_calibration(name: str) -> None:
    """Refuse the sandwich calibration of a family it does not know (the family's
    ``calibrated`` attribute; :data:`CALIBRATED` lists those that have it).

    Parameters
    ----------
    name : str
        A key of :data:`FAMILIES`.

    Raises
    ------
    AnalysisError
        The family's weighted and matched fits cannot be calibrated yet; the message says what
        can be used instead.
    """
    family = get_family(name)
    if not getattr(family, "calibrated", False):
        raise AnalysisError(
            f"calibration of {family.name} fits is not available yet; use [bayes] uncertainty = "
            f"\"kish\" or \"ps_bootstrap\" for weighted and matched {family.name} fits, the "
            f"adjustments \"none\" or \"covariates\", or one of the models {CALIBRATED}")


__all__ = ["CALIBRATED", "FAMILIES", "Family", "check_calibration", "get_family"]
