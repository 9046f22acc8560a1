"""Named priors for the log hazard ratio (treated vs reference) and the covariate coefficients.

Each prior set is a :class:`Prior`: Normal(``log_hr_mean``, ``log_hr_sd``) on the log HR and
Normal(0, ``coef_sd``) on each standardised covariate coefficient. Baseline hazard priors are the
same for every set and are documented in :mod:`bayeshcc.bayes.families`.

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
- ``robust`` (spec only, ``type = "robust"``): the robust mixture prior of Schmidli et al.
  (2014, Biometrics 70:1023), ``w N(log HR, SD^2) + (1 - w) N(0, vague_sd^2)`` with the
  external prior's SD as its informative component (``weight`` w, default 0.8; ``vague_sd``
  default 2). When the cohort disagrees with the external evidence, the posterior moves to the
  vague component and the external evidence is discounted by the data themselves.

A :class:`Prior` is therefore a mixture of one or two normal components on the log HR
(:meth:`Prior.components`); the model takes every prior as a two-component mixture
(:meth:`Prior.mixture_values`), a single normal as two identical components, so one compiled
model serves every prior (:mod:`bayeshcc.bayes.models`). The borrowing summaries (posterior
weight of the external component, effective sample size, prior-data conflict) are in
:mod:`bayeshcc.bayes.borrowing`.

Every prior's description states its tail probabilities, computed from its parameters
(:func:`describe`), never typed by hand.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from bayeshcc.errors import SpecError

Z975 = 1.959963984540054


KINDS = ("normal", "external", "robust")
BORROWING = ("external", "robust")  # priors that carry external evidence


@dataclass(frozen=True)
class Prior:
    """Prior on the log hazard ratio, plus the covariate-coefficient prior SD.

    The log-HR prior is N(``log_hr_mean``, ``log_hr_sd``) with probability ``weight`` and
    N(0, ``vague_sd``) otherwise; ``weight = 1`` (every prior but ``robust``) is the plain
    normal. ``kind`` says where it came from: ``"normal"`` (built in or ``type = "normal"``),
    ``"external"`` (power prior) or ``"robust"`` (robust mixture).
    """

    name: str
    log_hr_mean: float = 0.0
    log_hr_sd: float = 1.0
    coef_sd: float = 1.0
    description: str = ""
    weight: float = 1.0
    vague_sd: float = 2.0
    kind: str = "normal"
    discount: float = 1.0

    def __post_init__(self) -> None:
        if not (self.log_hr_sd > 0 and self.coef_sd > 0 and math.isfinite(self.log_hr_mean)):
            raise SpecError(f"prior {self.name!r}: SDs must be positive and the mean finite")
        if not 0 < self.weight <= 1:
            raise SpecError(f"prior {self.name!r}: weight must be in (0, 1], got {self.weight}")
        if not (self.vague_sd > 0 and math.isfinite(self.vague_sd)):
            raise SpecError(f"prior {self.name!r}: vague_sd must be positive, got {self.vague_sd}")
        if self.kind not in KINDS:
            raise SpecError(f"prior {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def is_mixture(self) -> bool:
        """Whether the log-HR prior has a vague component (a robust prior)."""
        return self.weight < 1

    @property
    def borrows(self) -> bool:
        """Whether the prior carries external evidence (``external`` or ``robust``)."""
        return self.kind in BORROWING

    def components(self) -> tuple[tuple[float, float, float], ...]:
        """(weight, mean, SD) of each normal component of the log-HR prior, the informative
        (external) component first."""
        first = (float(self.weight), float(self.log_hr_mean), float(self.log_hr_sd))
        if not self.is_mixture:
            return (first,)
        return first, (1.0 - float(self.weight), 0.0, float(self.vague_sd))

    def mixture_values(self) -> dict[str, np.ndarray]:
        """The model's hyper-parameters of the log-HR prior: two components' weights, means and
        SDs (``log_hr_weights``, ``log_hr_means``, ``log_hr_sds``). A normal prior is two
        identical components of weight 1/2 each: the same density, and no log(0) in the
        compiled mixture."""
        parts = self.components()
        if len(parts) == 1:
            parts = ((0.5,) + parts[0][1:],) * 2
        w, mu, sd = (np.array(v, dtype=float) for v in zip(*parts))
        return {"log_hr_weights": w, "log_hr_means": mu, "log_hr_sds": sd}

    def logpdf(self, log_hr) -> np.ndarray:
        """Log prior density of the log HR."""
        from scipy.special import logsumexp
        from scipy.stats import norm

        x = np.asarray(log_hr, dtype=float)
        terms = [math.log(w) + norm.logpdf(x, m, s) for w, m, s in self.components()]
        return logsumexp(np.stack(terms), axis=0)

    def cdf(self, log_hr) -> np.ndarray:
        """Prior probability that the log HR is below ``log_hr``."""
        from scipy.stats import norm

        x = np.asarray(log_hr, dtype=float)
        return sum(w * norm.cdf(x, m, s) for w, m, s in self.components())

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draws of the log HR from the prior (a normal prior draws exactly as
        ``rng.normal(log_hr_mean, log_hr_sd, size)``)."""
        if not self.is_mixture:
            return rng.normal(self.log_hr_mean, self.log_hr_sd, size)
        informative = rng.random(size) < self.weight
        return np.where(informative, rng.normal(self.log_hr_mean, self.log_hr_sd, size),
                        rng.normal(0.0, self.vague_sd, size))

    def prob_hr_below(self, threshold: float) -> float:
        """Prior probability that HR < threshold."""
        return float(self.cdf(math.log(threshold)))


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


def _interval_se(kind: str, name: str, hr: float, lower: float, upper: float) -> float:
    """SE of a log HR from its 95 % CI; a clear error naming the keys when the interval does
    not contain the HR."""
    if not (0 < lower < hr < upper):
        raise SpecError(f"{kind} prior {name!r}: need 0 < lower < hr < upper (the interval must "
                        f"contain its hr), got hr={hr}, lower={lower}, upper={upper}")
    return (math.log(upper) - math.log(lower)) / (2 * Z975)


def _check_discount(kind: str, name: str, discount: float) -> None:
    if not (0 < discount <= 1):
        raise SpecError(f"{kind} prior {name!r}: discount must be in (0, 1], got {discount}")


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
    se = _interval_se("external", name, hr, lower, upper)
    _check_discount("external", name, discount)
    sd = se / math.sqrt(discount)
    return Prior(name, math.log(hr), sd, 1.0,
                 f"external HR {hr} ({lower}-{upper}), discount {discount}: "
                 + describe(math.log(hr), sd, clinical_hr), kind="external", discount=discount)


def robust_prior(hr: float, lower: float, upper: float, weight: float = 0.8,
                 vague_sd: float = 2.0, discount: float = 1.0, name: str = "robust",
                 clinical_hr: float = CLINICAL_HR) -> Prior:
    """Robust mixture prior (Schmidli et al. 2014) from a published hazard ratio and 95 % CI.

    .. math:: \\log \\mathrm{HR} \\sim w\\, N(\\log \\mathrm{HR}_{ext}, \\sigma^2)
              + (1 - w)\\, N(0, \\sigma_v^2), \\qquad
              \\sigma = \\frac{\\log u - \\log l}{2 \\cdot 1.96} / \\sqrt{a}

    Parameters
    ----------
    hr, lower, upper : float
        External hazard ratio and its 95 % CI (0 < lower < hr < upper).
    weight : float
        Prior weight w of the informative (external) component, in (0, 1).
    vague_sd : float
        SD of the vague component on the log HR (> 0; default 2: 95 % of its mass on HR
        0.02-50).
    discount : float
        Power-prior discount a of the informative component, in (0, 1].
    name, clinical_hr
        Prior name; the clinically meaningful HR of the description.

    Returns
    -------
    Prior
        ``kind = "robust"``; its informative component is ``log_hr_mean``, ``log_hr_sd``.

    Examples
    --------
    >>> p = robust_prior(0.45, 0.24, 0.83, weight=0.8)   # Persano et al., OS
    >>> [(round(w, 3), round(m, 3), round(sd, 3)) for w, m, sd in p.components()]
    [(0.8, -0.799, 0.317), (0.2, 0.0, 2.0)]
    """
    se = _interval_se("robust", name, hr, lower, upper)
    _check_discount("robust", name, discount)
    if not 0 < weight < 1:
        raise SpecError(f"robust prior {name!r}: weight must be in (0, 1) (the informative "
                        f"component's share), got {weight}")
    if not (vague_sd > 0 and math.isfinite(vague_sd)):
        raise SpecError(f"robust prior {name!r}: vague_sd must be positive, got {vague_sd}")
    sd = se / math.sqrt(discount)
    prior = Prior(name, math.log(hr), sd, 1.0, weight=weight, vague_sd=vague_sd, kind="robust",
                  discount=discount)
    below = prior.prob_hr_below(clinical_hr)        # of the mixture, not of one component
    above = 1.0 - prior.prob_hr_below(1.0)
    text = (f"robust external HR {hr} ({lower}-{upper}), discount {discount}: log HR ~ "
            f"{weight:g} N({math.log(hr):.3g}, {sd:.3g}) + {1 - weight:g} N(0, {vague_sd:g}): "
            f"P(HR < {clinical_hr:g}) = {100 * below:.1f} %, P(HR > 1) = {100 * above:.1f} %")
    return dataclasses.replace(prior, description=text)


_KEYS = {"type", "hr", "lower", "upper", "discount", "log_hr_mean", "log_hr_sd", "coef_sd",
         "description", "outcomes", "weight", "vague_sd"}
_ROBUST_ONLY = ("weight", "vague_sd")


def prior_applies(name: str, outcome: str, custom: Mapping[str, Mapping[str, Any]]) -> bool:
    """A spec prior with ``outcomes = [...]`` is used only for those outcomes (external evidence
    about OS says nothing about PFS)."""
    table = custom.get(name, {})
    return "outcomes" not in table or outcome in table["outcomes"]


def prior_from_mapping(name: str, table: Mapping[str, Any],
                       clinical_hr: float = CLINICAL_HR, reference: Any = None) -> Prior:
    """A prior defined in the spec's ``[priors.NAME]`` table.

    ``type = "external"`` takes ``hr``, ``lower``, ``upper``, ``discount``; ``type = "robust"``
    the same plus ``weight`` (default 0.8) and ``vague_sd`` (default 2); ``type = "normal"``
    takes ``log_hr_mean``, ``log_hr_sd`` and optionally ``coef_sd``; ``type = "curve"``
    borrows the reference arm's baseline hazard from a reconstructed Kaplan-Meier curve
    (:func:`bayeshcc.bayes.commensurate.curve_prior`; ``reference``: the spec's reference arm,
    which its ``arm`` must name). Every type takes ``outcomes`` (see :func:`prior_applies`).
    """
    if table.get("type") == "curve":
        from bayeshcc.bayes.commensurate import curve_prior

        return curve_prior(name, table, clinical_hr, reference)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in [priors.{name}]; valid keys are: "
                        + ", ".join(sorted(_KEYS)))
    kind = table.get("type", "normal")
    misplaced = [key for key in _ROBUST_ONLY if key in table]
    if misplaced and kind != "robust":
        raise SpecError(f"[priors.{name}]: key {misplaced[0]!r} is only for type = \"robust\" "
                        f"(this prior is type = {kind!r})")
    def number(key: str, default: float | None = None) -> float:
        value = table[key] if default is None else table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"[priors.{name}] {key} must be a number, got {value!r}")
        return float(value)

    try:
        if kind == "robust":
            return robust_prior(number("hr"), number("lower"), number("upper"),
                                number("weight", 0.8), number("vague_sd", 2.0),
                                number("discount", 1.0), name=name, clinical_hr=clinical_hr)
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
    raise SpecError(f"priors.{name}.type = {kind!r} is not one of: curve, external, normal, "
                    "robust")


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
