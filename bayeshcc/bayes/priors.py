"""Named priors for the log hazard ratio (treated vs reference) and the covariate coefficients.

Each prior set is a :class:`Prior`: Normal(``log_hr_mean``, ``log_hr_sd``) on the log HR and
Normal(0, ``coef_sd``) on each standardised covariate coefficient. Baseline hazard priors are the
same for every set and are documented in :mod:`bayeshcc.bayes.models`.

Built in:

- ``vague``: log HR ~ N(0, 10), coefficients ~ N(0, 10). Close to the likelihood alone.
- ``weakly_informative`` (default): log HR ~ N(0, 1) (95 % of prior mass on HR 0.14-7.1).
- ``skeptical``: log HR ~ N(0, log 2 / 1.96), so P(HR < 0.5) = P(HR > 2) = 2.5 %.
- ``enthusiastic``: log HR ~ N(log 0.7, log 2 / 1.96): centred on a 30 % hazard reduction, with
  the same spread as the sceptical prior (P(HR > 1) = 5.6 %).
- ``external``: from a published HR and 95 % CI, SE = (log upper - log lower) / (2 * 1.96),
  widened by a discount factor a in (0, 1] as a power prior: SD = SE / sqrt(a).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from bayeshcc.errors import SpecError

Z975 = 1.959963984540054


@dataclass(frozen=True)
class Prior:
    """Normal prior on the log hazard ratio, plus the covariate-coefficient prior SD."""

    name: str
    log_hr_mean: float = 0.0
    log_hr_sd: float = 1.0
    coef_sd: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        if not (self.log_hr_sd > 0 and self.coef_sd > 0 and math.isfinite(self.log_hr_mean)):
            raise SpecError(f"prior {self.name!r}: SDs must be positive and the mean finite")

    def prob_hr_below(self, threshold: float) -> float:
        """Prior probability that HR < threshold."""
        from scipy.stats import norm

        return float(norm.cdf((math.log(threshold) - self.log_hr_mean) / self.log_hr_sd))


SKEPTICAL_SD = math.log(2) / Z975

BUILT_IN = {
    "vague": Prior("vague", 0.0, 10.0, 10.0, "log HR ~ N(0, 10)"),
    "weakly_informative": Prior("weakly_informative", 0.0, 1.0, 1.0, "log HR ~ N(0, 1)"),
    "skeptical": Prior("skeptical", 0.0, SKEPTICAL_SD, 1.0,
                       "log HR ~ N(0, 0.354): P(HR < 0.5) = 2.5 %"),
    "enthusiastic": Prior("enthusiastic", math.log(0.7), SKEPTICAL_SD, 1.0,
                          "log HR ~ N(log 0.7, 0.354)"),
}


def external_prior(hr: float, lower: float, upper: float, discount: float = 1.0,
                   name: str = "external") -> Prior:
    """A prior from a published hazard ratio and its 95 % CI, discounted (power prior).

    .. math:: \\mu = \\log \\mathrm{HR}, \\quad
              \\sigma = \\frac{\\log u - \\log l}{2 \\cdot 1.96} / \\sqrt{a}

    Examples
    --------
    >>> p = external_prior(0.45, 0.24, 0.83, discount=0.5)   # Persano et al., OS
    >>> round(p.log_hr_sd, 3)
    0.448
    """
    if not (0 < lower < hr < upper):
        raise SpecError(f"external prior {name!r}: need 0 < lower < hr < upper, got hr={hr}, "
                        f"lower={lower}, upper={upper}")
    if not (0 < discount <= 1):
        raise SpecError(f"external prior {name!r}: discount must be in (0, 1], got {discount}")
    se = (math.log(upper) - math.log(lower)) / (2 * Z975)
    return Prior(name, math.log(hr), se / math.sqrt(discount), 1.0,
                 f"external HR {hr} ({lower}-{upper}), discount {discount}")


_KEYS = {"type", "hr", "lower", "upper", "discount", "log_hr_mean", "log_hr_sd", "coef_sd",
         "description", "outcomes"}


def prior_applies(name: str, outcome: str, custom: Mapping[str, Mapping[str, Any]]) -> bool:
    """A spec prior with ``outcomes = [...]`` is used only for those outcomes (external evidence
    about OS says nothing about PFS)."""
    table = custom.get(name, {})
    return "outcomes" not in table or outcome in table["outcomes"]


def prior_from_mapping(name: str, table: Mapping[str, Any]) -> Prior:
    """A prior defined in the spec's ``[priors.NAME]`` table.

    ``type = "external"`` takes ``hr``, ``lower``, ``upper``, ``discount``; ``type = "normal"``
    takes ``log_hr_mean``, ``log_hr_sd`` and optionally ``coef_sd``.
    """
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in [priors.{name}]; valid keys are: "
                        + ", ".join(sorted(_KEYS)))
    kind = table.get("type", "normal")
    try:
        if kind == "external":
            return external_prior(float(table["hr"]), float(table["lower"]), float(table["upper"]),
                                  float(table.get("discount", 1.0)), name=name)
        if kind == "normal":
            return Prior(name, float(table.get("log_hr_mean", 0.0)), float(table["log_hr_sd"]),
                         float(table.get("coef_sd", 1.0)), str(table.get("description", "")))
    except KeyError as exc:
        raise SpecError(f"[priors.{name}] needs {exc.args[0]!r}") from None
    raise SpecError(f"priors.{name}.type = {kind!r} is not one of: external, normal")


def resolve_prior(name: str, custom: Mapping[str, Mapping[str, Any]]) -> Prior:
    """A built-in prior by name, or one defined in the spec."""
    if name in custom:
        return prior_from_mapping(name, custom[name])
    if name in BUILT_IN:
        return BUILT_IN[name]
    raise SpecError(f"unknown prior {name!r}; built in: {', '.join(BUILT_IN)}; or define "
                    f"[priors.{name}] in the spec")
