"""Named priors for the log hazard ratio (treated vs reference) and the covariate coefficients.

Each prior set is a :class:`Prior`: Normal(``log_hr_mean``, ``log_hr_sd``) on the log HR and
Normal(0, ``coef_sd``) on each standardised covariate coefficient. Baseline hazard priors are the
same for every set and are documented in :mod:`bayeshcc.bayes.models`.

Built in (:func:`built_in_priors`), the sceptical and enthusiastic ones on one clinically
meaningful hazard ratio ``c`` (``[bayes] clinical_hr``, default 0.7), as Spiegelhalter, Freedman
& Parmar (1994, JRSS A 157:357) build them:

- ``vague``: log HR ~ N(0, 10), coefficients ~ N(0, 10). Close to the likelihood alone.
- ``weakly_informative`` (default): log HR ~ N(0, 1) (95 % of prior mass on HR 0.14-7.1).
- ``skeptical``: log HR ~ N(0, s) with P(HR < c) = 5 %: s = -log(c) / z_0.95
  (c = 0.7: s = 0.217). A sceptic who thinks a clinically meaningful benefit unlikely.
- ``enthusiastic``: log HR ~ N(log c, s) with P(HR > 1) = 5 %: the same s. An enthusiast
  centred on that benefit who thinks harm unlikely.
- ``external``: from a published HR and 95 % CI, SE = (log upper - log lower) / (2 * 1.96),
  widened by a discount factor a in (0, 1] as a power prior: SD = SE / sqrt(a).

Every prior's description states its tail probabilities, computed from its parameters
(:func:`describe`), never typed by hand.
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


Z95 = 1.6448536269514722
CLINICAL_HR = 0.7  # default [bayes] clinical_hr


def describe(mean: float, sd: float, clinical_hr: float = CLINICAL_HR) -> str:
    """``log HR ~ N(mean, sd): P(HR < c) = ..., P(HR > 1) = ...`` with computed probabilities."""
    from scipy.stats import norm

    below = norm.cdf((math.log(clinical_hr) - mean) / sd)
    above = norm.sf((0.0 - mean) / sd)
    return (f"log HR ~ N({mean:.3g}, {sd:.3g}): P(HR < {clinical_hr:g}) = {100 * below:.1f} %, "
            f"P(HR > 1) = {100 * above:.1f} %")


def built_in_priors(clinical_hr: float = CLINICAL_HR) -> dict[str, Prior]:
    """The built-in prior sets for a clinically meaningful HR ``clinical_hr`` (module docstring).

    Examples
    --------
    >>> p = built_in_priors(0.7)
    >>> round(p["skeptical"].log_hr_sd, 4), round(p["skeptical"].prob_hr_below(0.7), 3)
    (0.2168, 0.05)
    >>> round(1 - p["enthusiastic"].prob_hr_below(1.0), 3)
    0.05
    """
    if not 0 < clinical_hr < 1:
        raise SpecError(f"clinical_hr must be in (0, 1), got {clinical_hr}")
    spread = -math.log(clinical_hr) / Z95
    sets = {"vague": (0.0, 10.0, 10.0), "weakly_informative": (0.0, 1.0, 1.0),
            "skeptical": (0.0, spread, 1.0), "enthusiastic": (math.log(clinical_hr), spread, 1.0)}
    return {name: Prior(name, mean, sd, coef, describe(mean, sd, clinical_hr))
            for name, (mean, sd, coef) in sets.items()}


BUILT_IN = built_in_priors()


def external_prior(hr: float, lower: float, upper: float, discount: float = 1.0,
                   name: str = "external", clinical_hr: float = CLINICAL_HR) -> Prior:
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
    sd = se / math.sqrt(discount)
    return Prior(name, math.log(hr), sd, 1.0,
                 f"external HR {hr} ({lower}-{upper}), discount {discount}: "
                 + describe(math.log(hr), sd, clinical_hr))


_KEYS = {"type", "hr", "lower", "upper", "discount", "log_hr_mean", "log_hr_sd", "coef_sd",
         "description", "outcomes"}


def prior_applies(name: str, outcome: str, custom: Mapping[str, Mapping[str, Any]]) -> bool:
    """A spec prior with ``outcomes = [...]`` is used only for those outcomes (external evidence
    about OS says nothing about PFS)."""
    table = custom.get(name, {})
    return "outcomes" not in table or outcome in table["outcomes"]


def prior_from_mapping(name: str, table: Mapping[str, Any],
                       clinical_hr: float = CLINICAL_HR, reference: Any = None) -> Prior:
    """A prior defined in the spec's ``[priors.NAME]`` table.

    ``type = "external"`` takes ``hr``, ``lower``, ``upper``, ``discount``; ``type = "normal"``
    takes ``log_hr_mean``, ``log_hr_sd`` and optionally ``coef_sd``; ``type = "curve"``
    borrows the reference arm's baseline hazard from a reconstructed Kaplan-Meier curve
    (:func:`bayeshcc.bayes.commensurate.curve_prior`; ``reference``: the spec's reference arm,
    which its ``arm`` must name).
    """
    if table.get("type") == "curve":
        from bayeshcc.bayes.commensurate import curve_prior

        return curve_prior(name, table, clinical_hr, reference)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in [priors.{name}]; valid keys are: "
                        + ", ".join(sorted(_KEYS)))
    kind = table.get("type", "normal")
    try:
        if kind == "external":
            return external_prior(float(table["hr"]), float(table["lower"]), float(table["upper"]),
                                  float(table.get("discount", 1.0)), name=name,
                                  clinical_hr=clinical_hr)
        if kind == "normal":
            mean, sd = float(table.get("log_hr_mean", 0.0)), float(table["log_hr_sd"])
            text = str(table.get("description", ""))
            computed = describe(mean, sd, clinical_hr) if sd > 0 else ""
            return Prior(name, mean, sd, float(table.get("coef_sd", 1.0)),
                         f"{text}: {computed}" if text else computed)
    except KeyError as exc:
        raise SpecError(f"[priors.{name}] needs {exc.args[0]!r}") from None
    raise SpecError(f"priors.{name}.type = {kind!r} is not one of: curve, external, normal")


def resolve_prior(name: str, custom: Mapping[str, Mapping[str, Any]],
                  clinical_hr: float = CLINICAL_HR) -> Prior:
    """A built-in prior by name (built on ``clinical_hr``), or one defined in the spec."""
    if name in custom:
        return prior_from_mapping(name, custom[name], clinical_hr)
    built_in = built_in_priors(clinical_hr)
    if name in built_in:
        return built_in[name]
    raise SpecError(f"unknown prior {name!r}; built in: {', '.join(BUILT_IN)}; or define "
                    f"[priors.{name}] in the spec")
