"""The analysis spec's structure, typed: every table, its keys and the type of each value.

A parsed TOML document is checked against :class:`SpecDocument` (pydantic v2) before anything
else reads it: unknown keys are refused with the valid ones listed, a missing key is named, a
value of the wrong kind is named by its key path, and **every** such problem of the document is
reported in one :class:`~bayeshcc.errors.SpecError`. Priors are a union tagged by their
``type`` (``normal`` when absent). The same classes give the JSON Schema that editors use to
complete and check spec files (:func:`json_schema`; ``bayeshcc schema`` prints it).

What crosses tables (a covariate named in ``[propensity]`` must be declared in
``[covariates]``, the primary analysis must be in the grid, a curve prior's file must exist) is
checked afterwards by :mod:`bayeshcc.spec`, which builds the frozen dataclasses the package
uses.

Hand-written here: only the package's wording of pydantic's errors (one line per problem, in
the spec's own terms: ``bayes.draws must be a whole number >= 10, got 5``).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag,
                      ValidationError, model_validator)

from bayeshcc.errors import SpecError
from bayeshcc.units import TIME_UNITS, parse_horizon
from bayeshcc.vocab import ADJUSTMENTS, BUILT_IN_PRIORS, UNCERTAINTY

#: Kaplan-Meier confidence-interval transforms (R ``survfit``'s ``conf.type``).
CONF_TYPES = ("log", "log-log", "plain")
#: ``[bayes] sensitivity_draws`` words (or a number of draws per chain).
SENSITIVITY_DRAWS = ("full", "until_ess")
#: Prior types, the tag of :data:`PriorTable`.
PRIOR_TYPES = ("normal", "external", "robust", "curve")


# --- value types: each check words its own error ---------------------------------------------

class _ValueProblem(ValueError):
    """A value of the wrong kind: its message is the package's wording."""


def _fail(message: str):
    raise _ValueProblem(message)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        _fail(f"must be a non-empty string, got {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"must be a number, got {value!r}")
    return float(value)


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        _fail(f"must be a positive number, got {value!r}")
    return float(value)


def _discount(value: Any) -> float:
    number = _number(value)
    if not 0 < number <= 1:
        _fail(f"must be in (0, 1] (the power prior's a0), got {value!r}")
    return number


def _share(value: Any) -> float:
    number = _number(value)
    if not 0 < number < 1:
        _fail(f"must be in (0, 1) (the informative component's share), got {value!r}")
    return number


def _built_in_prior(value: Any) -> str:
    if value not in BUILT_IN_PRIORS:
        _fail(f"= {value!r} is not a built-in prior: {', '.join(BUILT_IN_PRIORS)}")
    return value


def _whole(low: int, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _fail(f"must be a whole number >= {low}, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(f"must be true or false, got {value!r}")
    return value


def _level(value: Any) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        _fail(f"must be a string or a number, got {value!r}")
    return value


def _one_of(valid: tuple[str, ...], value: Any) -> str:
    if value not in valid:
        _fail(f"= {value!r} is not one of: " + ", ".join(valid))
    return value


def _list(value: Any) -> list:
    if not isinstance(value, list):
        _fail(f"must be a list, e.g. [...]; got {value!r}")
    return value


def _horizon(value: Any) -> float | str:
    if isinstance(value, str):
        if parse_horizon(value) is None:
            _fail(f"= {value!r} is not a positive number followed by a unit ("
                  + ", ".join(TIME_UNITS) + "), e.g. \"5 years\"")
        return value
    return _positive(value)


def _labels(value: Any) -> dict:
    if not isinstance(value, dict):
        _fail("must be a table of code = \"label\", e.g. { 1 = \"Treated\", 0 = \"Control\" }; "
              f"got {value!r}")
    for code, label in value.items():
        if not isinstance(label, str) or not label:
            _fail(f"gives code {code!r} the label {label!r}; a label must be a non-empty string")
    return value


def _sensitivity_draws(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # from 10 to [bayes] draws: checked with the draws (bayeshcc.spec)
    if value not in SENSITIVITY_DRAWS:
        _fail(f"= {value!r} is not one of: " + ", ".join(SENSITIVITY_DRAWS)
              + ", or a number of draws per chain")
    return value


def _choice(valid: tuple[str, ...]):
    return Annotated[Literal[valid], BeforeValidator(functools.partial(_one_of, valid))]


def _whole_from(low: int):
    return Annotated[int, Field(ge=low), BeforeValidator(functools.partial(_whole, low))]


Text = Annotated[str, Field(min_length=1), BeforeValidator(_text)]
Number = Annotated[float, BeforeValidator(_number)]
Positive = Annotated[float, Field(gt=0), BeforeValidator(_positive)]
Discount = Annotated[float, Field(gt=0, le=1), BeforeValidator(_discount)]
Share = Annotated[float, Field(gt=0, lt=1), BeforeValidator(_share)]
BuiltInPrior = Annotated[str, BeforeValidator(_built_in_prior)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Level = Annotated[Union[str, int, float], BeforeValidator(_level)]
Names = Annotated[list[Text], BeforeValidator(_list)]
Positives = Annotated[list[Positive], BeforeValidator(_list)]
Horizon = Annotated[Union[float, str], BeforeValidator(_horizon)]
Horizons = Annotated[list[Horizon], BeforeValidator(_list)]
Labels = Annotated[dict[str, str], BeforeValidator(_labels)]


class _Table(BaseModel):
    """A TOML table: its keys are the fields, no others."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the tables ------------------------------------------------------------------------------

class DataTable(_Table):
    """``[data]``: the treatment column, its two levels, and how to read the table."""

    id: Text | None = Field(None, description="patient id column (row number if absent)")
    treatment: Text = Field(description="the column holding the treatment")
    treated: Level = Field(description="its level that is compared ...")
    reference: Level = Field(description="... against this one")
    missing: _choice(("error", "drop")) = Field(
        "error", description="missing values stop the run, or their rows are dropped")
    time_unit: _choice(TIME_UNITS) | None = Field(
        None, description="the unit of the data's times: " + ", ".join(TIME_UNITS))
    display_unit: _choice(TIME_UNITS) | None = Field(
        None, description="the unit the report, summaries and figures show times in "
        "(default: time_unit); tables keep time_unit")
    labels: Labels | None = Field(
        None, description="the arms' names in the report: { CODE = \"label\" } for the treated "
        "and reference levels")
    levels: dict[str, Labels] = Field(
        {}, description="[data.levels] COLUMN = { CODE = \"label\" }: names of a covariate's "
        "coded levels in the report")


class OutcomeTable(_Table):
    """``[outcomes.NAME]``: one time-to-event outcome."""

    time: Text = Field(description="follow-up time column (> 0)")
    event: Text = Field(description="event column (1 = event, 0 = censored)")
    label: Text | None = Field(None, description="its name in the report")


class CovariateTable(_Table):
    """``[covariates.NAME]``, or ``NAME = "numeric"`` / ``"categorical"``."""

    type: _choice(("numeric", "categorical"))
    reference: Level | None = Field(None, description="reference level of a categorical")
    label: Text | None = None


def _covariate(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


Covariate = Annotated[CovariateTable, BeforeValidator(_covariate)]


class PropensityTable(_Table):
    """``[propensity]``: the propensity model, matching and weights."""

    covariates: Names = []
    caliper: Positive | None = Field(None, description="SD of the logit PS; omit for none")
    ratio: _whole_from(1) = 1
    replace: Flag = False
    stabilize: Flag = False
    trim: Number | None = Field(None, description="PS bound in (0, 0.5)")


class CoxTable(_Table):
    """``[cox]``: the multivariable Cox model."""

    covariates: Names = []
    selection: _choice(("all", "univariable")) = "all"
    p_threshold: Number = 0.05
    ties: _choice(("efron", "breslow")) = "efron"


class KaplanMeierTable(_Table):
    """``[km]``: Kaplan-Meier confidence intervals and landmark times."""

    conf_type: _choice(CONF_TYPES) = "log"
    conf_level: Number = 0.95
    landmarks: Horizons = Field(
        [], description="times in the data's unit, or with a unit (\"1 year\")")


class RmstTable(_Table):
    """``[rmst]``: the restricted-mean horizon, in the unit of the times or with a unit."""

    tau: Horizon | None = Field(None, description="in the data's unit, or with a unit "
                                "(\"5 years\")")


class BaselineTable(_Table):
    """``[baseline]``: the variables of Table 1."""

    variables: Names = []


class ResponseTable(_Table):
    """``[response]``: the best-response column (RECIST)."""

    column: Text
    levels: Names = ["CR", "PR", "SD", "PD"]


class AdverseEventTable(_Table):
    """``[safety.NAME]``: one adverse event's 0/1 columns."""

    any_grade: Text
    grade_3_4: Text | None = None


class PrimaryTable(_Table):
    """``[bayes] primary``: the pre-specified analysis behind the report's headline."""

    model: Text | None = None
    adjustment: Text | None = None
    prior: Text | None = None


class BayesTable(_Table):
    """``[bayes]``: the grid of Bayesian fits and the sampler."""

    models: Names | None = None
    adjustments: Annotated[list[_choice(ADJUSTMENTS)], BeforeValidator(_list)] | None = None
    priors: Names | None = None
    draws: _whole_from(10) = 1000
    tune: _whole_from(10) = 1000
    chains: _whole_from(1) = 4
    seed: _whole_from(0) = 20241
    cutpoints: Positives = []
    intervals: _whole_from(1) = 6
    thresholds: Positives = []
    decision_threshold: Number = 0.95
    enabled: Flag = True
    uncertainty: _choice(UNCERTAINTY) = "sandwich"
    ps_replicates: _whole_from(2) = 20
    covariates: Names = []
    clinical_hr: Number = 0.7
    primary: PrimaryTable | None = None
    sensitivity_draws: Annotated[Union[Literal[SENSITIVITY_DRAWS], int],
                                 BeforeValidator(_sensitivity_draws)] = "full"
    outcome_covariates: Flag = False


# --- priors: a union tagged by `type` --------------------------------------------------------

class _PriorTable(_Table):
    description: str | None = None
    outcomes: Names | None = Field(None, description="the outcomes it applies to (all if absent)")


class NormalPrior(_PriorTable):
    """``type = "normal"`` (the default): log HR ~ N(log_hr_mean, log_hr_sd)."""

    type: Literal["normal"] = "normal"
    log_hr_mean: Number = 0.0
    log_hr_sd: Positive
    coef_sd: Positive = 1.0


class _PublishedEstimate(_PriorTable):
    """A published HR and its 95 % CI, discounted as a power prior (``discount`` = a0)."""

    type: Literal["external", "robust"]
    hr: Positive
    lower: Positive
    upper: Positive
    discount: Discount = 1.0
    log_hr_mean: Number | None = None
    log_hr_sd: Number | None = None
    coef_sd: Positive = 1.0

    @model_validator(mode="after")
    def _interval_contains_hr(self):
        if not self.lower < self.hr < self.upper:
            _fail(f"needs lower < hr < upper (the interval must contain its hr), got "
                  f"hr={self.hr:g}, lower={self.lower:g}, upper={self.upper:g}")
        return self


class ExternalPrior(_PublishedEstimate):
    """``type = "external"``: a published HR and 95 % CI, discounted as a power prior."""

    type: Literal["external"]


class RobustPrior(_PublishedEstimate):
    """``type = "robust"``: the external estimate as the informative part of a mixture."""

    type: Literal["robust"]
    weight: Share = 0.8
    vague_sd: Positive = 2.0


class CurvePriorTable(_PriorTable):
    """``type = "curve"``: the reference arm's baseline borrowed from a reconstructed curve."""

    type: Literal["curve"]
    ipd: Text = Field(description="reconstructed IPD CSV, relative to the spec file")
    arm: Level = Field(description="its arm borrowed from (the spec's reference arm)")
    discount: Discount = 0.5
    log_hr: BuiltInPrior | None = Field(None, description="a built-in prior for the log HR")
    log_hr_mean: Number | None = None
    log_hr_sd: Positive | None = None
    coef_sd: Positive = 1.0

    @model_validator(mode="after")
    def _one_log_hr_prior(self):
        if self.log_hr is not None and (self.log_hr_mean is not None
                                        or self.log_hr_sd is not None):
            _fail("gives either 'log_hr' (a built-in prior) or 'log_hr_mean' / 'log_hr_sd', "
                  "not both")
        return self


def _prior_type(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("type", "normal")
    return getattr(value, "type", None)


PriorTable = Annotated[Union[Annotated[NormalPrior, Tag("normal")],
                             Annotated[ExternalPrior, Tag("external")],
                             Annotated[RobustPrior, Tag("robust")],
                             Annotated[CurvePriorTable, Tag("curve")]],
                       Discriminator(_prior_type)]


class SpecDocument(_Table):
    """A whole analysis spec, as its TOML file is laid out."""

    title: str | None = None
    data: DataTable
    outcomes: dict[str, OutcomeTable] = Field(min_length=1)
    covariates: dict[str, Covariate] = {}
    propensity: PropensityTable = PropensityTable()
    cox: CoxTable = CoxTable()
    km: KaplanMeierTable = KaplanMeierTable()
    rmst: RmstTable = RmstTable()
    baseline: Annotated[BaselineTable, BeforeValidator(
        lambda v: {"variables": v} if isinstance(v, list) else v)] = BaselineTable()
    response: ResponseTable | None = None
    safety: dict[str, AdverseEventTable] = {}
    bayes: BayesTable = BayesTable()
    priors: dict[str, PriorTable] = {}


# --- checking a document ----------------------------------------------------------------------

_TABLE_WORDS = {"data": "(treatment, treated, reference)",
                "outcomes": "(time and event columns)"}


def check_document(raw: Any, source: str) -> SpecDocument:
    """Check a parsed spec against :class:`SpecDocument`.

    Parameters
    ----------
    raw : mapping
        The parsed TOML.
    source : str
        Where it came from (its path), the first word of every message.

    Returns
    -------
    SpecDocument

    Raises
    ------
    SpecError
        Every problem of the document, numbered, in one line, each with its key path.
    """
    try:
        return SpecDocument.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_problem(error, raw) for error in exc.errors()))
    if len(problems) == 1:
        raise SpecError(f"{source}: {problems[0]}") from None
    listed = "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))
    raise SpecError(f"{source}: {len(problems)} problems: {listed}") from None


def _path(loc: tuple) -> tuple[str, ...]:
    """The key path of an error: list positions and the prior's union tag left out."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if len(parts) > 2 and parts[0] == "priors" and parts[2] in PRIOR_TYPES:
        del parts[2]
    return tuple(parts)


def _where(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path)}]" if path else "the spec"


def _problem(error: dict, raw: Any) -> str:
    path = _path(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        valid = ", ".join(_valid_keys(path[:-1], raw))
        return f"unknown key {path[-1]!r} in {_where(path[:-1])}; valid keys are: {valid}"
    if kind == "missing":
        if len(path) == 1 and path[0] in _TABLE_WORDS:
            return f"missing table [{path[0]}] {_TABLE_WORDS[path[0]]}"
        return f"{_where(path[:-1])} needs {path[-1]!r}"
    if kind == "too_short" and path == ("outcomes",):
        return "missing [outcomes.NAME] tables (time and event columns)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{'.'.join(path)} must be a table ([{'.'.join(path)}]), got {error['input']!r}"
    if kind == "union_tag_invalid":
        return (f"{'.'.join(path)}.type = {error['input'].get('type')!r} is not one of: "
                + ", ".join(sorted(PRIOR_TYPES)))
    if isinstance((error.get("ctx") or {}).get("error"), _ValueProblem):
        return f"{'.'.join(path)} {error['ctx']['error']}"
    return f"{'.'.join(path)}: {error['msg']}"


def _valid_keys(path: tuple[str, ...], raw: Any) -> list[str]:
    """The keys of the table at ``path`` (the names of free tables, such as an outcome's, are
    skipped; a prior's keys are those of its ``type`` in the document)."""
    if len(path) >= 2 and path[0] == "priors":
        table = (raw.get("priors") or {}).get(path[1]) if isinstance(raw, dict) else None
        kind = table.get("type", "normal") if isinstance(table, dict) else "normal"
        return list(_PRIOR_MODELS.get(kind, NormalPrior).model_fields)
    model: Any = SpecDocument
    free = False
    for part in path:
        if free:  # the name of an outcome, covariate, adverse event
            free = False
            continue
        model, free = _table_model(model.model_fields[part].annotation)
    return list(model.model_fields)


def _table_model(annotation: Any) -> tuple[Any, bool]:
    """The table class an annotation holds, and whether it sits under free names (a dict)."""
    import typing

    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict:
        inner, _ = _table_model(args[1])
        return inner, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, False
        inner, free = _table_model(arg)
        if inner is not None:
            return inner, free
    return None, False


_PRIOR_MODELS = {"normal": NormalPrior, "external": ExternalPrior, "robust": RobustPrior,
                 "curve": CurvePriorTable}


def json_schema() -> dict:
    """The JSON Schema of a spec file (draft 2020-12), for editors that check TOML files."""
    schema = SpecDocument.model_json_schema(mode="validation")
    schema["title"] = "bayeshcc analysis spec"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


__all__ = ["PRIOR_TYPES", "SpecDocument", "check_document", "json_schema"]
