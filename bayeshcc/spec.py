"""The analysis spec: a TOML file mapping a table's columns to an analysis.

The spec is read once into small frozen dataclasses. Unknown keys are an error that lists
the valid ones, so a typo never silently falls back to a default.

Examples
--------
>>> spec = spec_from_text('''
... [data]
... treatment = "arm"
... treated = "A"
... reference = "B"
... [outcomes.os]
... time = "months"
... event = "died"
... ''')
>>> spec.outcomes[0].name
'os'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bayeshcc.errors import SpecError
from bayeshcc.external_ipd import absolute_ipd, read_external_arm
from bayeshcc.labels import code_key, keyed
from bayeshcc.spec_schema import CONF_TYPES, SENSITIVITY_DRAWS, check_document
from bayeshcc.units import TIME_UNITS, convert, horizon_in
from bayeshcc.vocab import ADJUSTMENTS, BUILT_IN_PRIORS, MODELS, UNCERTAINTY, WEIGHTED

Level = str | int | float | bool

# MODELS (from bayeshcc.vocab): the families registry has one family for each (tested)
WEIGHTING = WEIGHTED


@dataclass(frozen=True)
class DataSpec:
    """Which columns identify patients and treatment, and what to do with missing values."""

    treatment: str
    treated: Level
    reference: Level
    id: str | None = None
    missing: str = "error"  # "error" or "drop" (drop is recorded in the manifest)
    time_unit: str = ""     # the data's unit of time (bayeshcc.units.TIME_UNITS), or ""
    display_unit: str = ""  # the unit the report and figures show times in ("" = time_unit)
    labels: Mapping[str, str] = field(default_factory=dict)  # arm code -> name
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column -> code -> name

    @property
    def shown_unit(self) -> str:
        """The unit times are shown in: ``display_unit``, else ``time_unit`` (may be "")."""
        return self.display_unit or self.time_unit

    def time_axis(self) -> tuple[float, str]:
        """The figures' time axis: the factor from the data's unit to the shown one, and the
        axis label (``Time (years)``; ``Time`` without a unit)."""
        unit = self.shown_unit
        scale = convert(1.0, self.time_unit, unit) if self.display_unit and self.time_unit else 1.0
        return scale, f"Time ({unit})" if unit else "Time"

    def arm_names(self) -> tuple[str, str]:
        """The treated and reference arms as the report names them (their labels, else their
        codes as text)."""
        from bayeshcc.labels import name_of

        return name_of(self.treated, self.labels), name_of(self.reference, self.labels)


@dataclass(frozen=True)
class OutcomeSpec:
    """One time-to-event outcome: its time and event columns (1 = event, 0 = censored)."""

    name: str
    time: str
    event: str
    label: str


@dataclass(frozen=True)
class CovariateSpec:
    """A covariate: numeric, or categorical against a reference level."""

    name: str
    kind: str  # "numeric" or "categorical"
    reference: Level | None = None
    label: str = ""


@dataclass(frozen=True)
class PropensitySpec:
    """Propensity model and matching settings (MatchIt's nearest-neighbour rule)."""

    covariates: tuple[str, ...] = ()
    caliper: float | None = None
    ratio: int = 1
    replace: bool = False
    stabilize: bool = False
    trim: float | None = None


@dataclass(frozen=True)
class CoxSpec:
    """Multivariable Cox model: its covariates, or those selected by univariable p."""

    covariates: tuple[str, ...] = ()
    selection: str = "all"  # "all" or "univariable" (keep those with univariable p < p_threshold)
    p_threshold: float = 0.05
    ties: str = "efron"


@dataclass(frozen=True)
class KaplanMeierSpec:
    """Kaplan-Meier confidence intervals and landmark times."""

    conf_type: str = "log"
    conf_level: float = 0.95
    landmarks: tuple[float, ...] = ()


@dataclass(frozen=True)
class ResponseSpec:
    """Best overall response column (RECIST levels CR / PR / SD / PD)."""

    column: str
    levels: tuple[str, ...] = ("CR", "PR", "SD", "PD")


@dataclass(frozen=True)
class AdverseEventSpec:
    """One adverse-event type: its any-grade and (optional) grade 3-4 indicator columns."""

    name: str
    any_grade: str
    grade_3_4: str | None = None


@dataclass(frozen=True)
class PrimaryAnalysis:
    """The pre-specified analysis that the report's summary, the tipping points and the E-value
    use: one model, adjustment (never ``none``) and prior of the grid, for every outcome.

    ``adjustment_given``: whether ``[bayes] primary`` names the adjustment. A defaulted one
    (:func:`default_primary_adjustment`) gives way to overlap weights when the ATE weights are
    extreme (:func:`with_overlap_primary`); a given one is always obeyed."""

    model: str
    adjustment: str
    prior: str
    adjustment_given: bool = True

    def as_dict(self) -> dict[str, str]:
        return {"model": self.model, "adjustment": self.adjustment, "prior": self.prior}


@dataclass(frozen=True)
class BayesSpec:
    """The Bayesian analyses to run and the sampler settings.

    ``uncertainty`` says how weighted and matched posteriors are made honest: ``sandwich``
    (default; :mod:`bayeshcc.bayes.calibration`), ``kish`` (weights normalised to the Kish
    effective sample size, pairs independent: the plug-in pseudo-posterior) or ``ps_bootstrap``
    (the propensity score drawn, :mod:`bayeshcc.bayes.propagation`). ``covariates`` is the
    pre-specified set of the ``covariates`` adjustment (default: the propensity covariates).
    ``clinical_hr`` is the clinically meaningful HR the sceptical and enthusiastic priors are
    built on (:func:`bayeshcc.bayes.priors.built_in_priors`); when the spec gives it, it is
    one of ``thresholds`` too, so that P(HR < clinical_hr) is reported.
    ``sensitivity_draws`` says how long the fits other than the primary analysis sample (the
    primary analysis always takes ``draws``): ``"full"`` (``draws``), ``"until_ess"`` (stop
    once R-hat and bulk and tail ESS pass the convergence gate, at most ``draws``;
    :mod:`bayeshcc.bayes.stopping`) or a number of draws per chain (at most ``draws``).
    ``outcome_covariates`` (default False) puts the propensity covariates into the outcome
    model of the weighted and matched fits, which then standardise survival over the target
    population of their estimand (:mod:`bayeshcc.bayes.standardise`); off, those fits are
    treatment-only as before.
    """

    models: tuple[str, ...] = ("weibull", "piecewise")
    adjustments: tuple[str, ...] = ("none", "covariates", "ate", "matched")
    priors: tuple[str, ...] = ("weakly_informative",)
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20241
    cutpoints: tuple[float, ...] = ()
    intervals: int = 6
    thresholds: tuple[float, ...] = ()
    decision_threshold: float = 0.95
    enabled: bool = True
    uncertainty: str = "sandwich"
    ps_replicates: int = 20  # PS draws per fit with uncertainty = "ps_bootstrap"
    covariates: tuple[str, ...] = ()
    clinical_hr: float = 0.7
    primary: PrimaryAnalysis | None = None
    sensitivity_draws: str | int = "full"
    outcome_covariates: bool = False


@dataclass(frozen=True)
class AnalysisSpec:
    """A whole analysis spec. Build it with :func:`load_spec` or :func:`spec_from_text`."""

    data: DataSpec
    outcomes: tuple[OutcomeSpec, ...]
    covariates: tuple[CovariateSpec, ...] = ()
    propensity: PropensitySpec = field(default_factory=PropensitySpec)
    cox: CoxSpec = field(default_factory=CoxSpec)
    km: KaplanMeierSpec = field(default_factory=KaplanMeierSpec)
    rmst_tau: float | None = None
    baseline: tuple[str, ...] = ()
    response: ResponseSpec | None = None
    safety: tuple[AdverseEventSpec, ...] = ()
    bayes: BayesSpec = field(default_factory=BayesSpec)
    priors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    title: str = ""
    source: str = "<text>"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def covariate(self, name: str) -> CovariateSpec:
        """The covariate declared under ``[covariates]`` with this column name."""
        for cov in self.covariates:
            if cov.name == name:
                return cov
        raise SpecError(f"covariate {name!r} is not declared in [covariates]")

    def columns(self) -> tuple[str, ...]:
        """Every data column the spec names, in a stable order, without repeats."""
        names = [self.data.id] if self.data.id else []
        names.append(self.data.treatment)
        for out in self.outcomes:
            names += [out.time, out.event]
        names += [c.name for c in self.covariates]
        if self.response:
            names.append(self.response.column)
        for ae in self.safety:
            names += [ae.any_grade] + ([ae.grade_3_4] if ae.grade_3_4 else [])
        return tuple(dict.fromkeys(names))


# --- reading -----------------------------------------------------------------------------

def load_spec(path: str | Path) -> AnalysisSpec:
    """Read and validate an analysis spec from a TOML file.

    Parameters
    ----------
    path : str or Path
        The TOML file.

    Returns
    -------
    AnalysisSpec

    Raises
    ------
    SpecError
        If the file is missing, is not valid TOML (the message gives line and column), or has
        unknown keys or invalid values (the message names the key).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec file {path}: {exc}") from None
    return spec_from_text(text, source=str(path))


def spec_from_text(text: str, source: str = "<text>") -> AnalysisSpec:
    """Parse and validate a spec given as TOML text (see :func:`load_spec`)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source} is not valid TOML: {exc}") from None
    return spec_from_mapping(raw, source=source)


def spec_from_mapping(raw: Mapping[str, Any], source: str = "<mapping>") -> AnalysisSpec:
    """Validate a spec given as a nested mapping (the parsed TOML): its structure first, every
    problem at once (:func:`bayeshcc.spec_schema.check_document`), then what crosses tables."""
    check_document(raw, source)
    if "data" not in raw:
        raise SpecError(f"{source}: missing table [data] (treatment, treated, reference)")
    if "outcomes" not in raw or not raw["outcomes"]:
        raise SpecError(f"{source}: missing [outcomes.NAME] tables (time and event columns)")
    data = _data(raw["data"], source)
    covariates = _covariates(_table(raw, "covariates", source), source)
    declared = {c.name for c in covariates}
    propensity = _propensity(_table(raw, "propensity", source), declared, source)
    cox = _cox(_table(raw, "cox", source), declared, source)
    baseline = _names(raw.get("baseline", {}), "baseline.variables", source, key="variables")
    rmst = _table(raw, "rmst", source)
    tau = _horizon(rmst["tau"], "rmst.tau", data.time_unit, source) if "tau" in rmst else None
    for column in data.levels:
        if column not in declared:
            raise SpecError(f"{source}: data.levels names {column!r}, which is not declared in "
                            "[covariates]; level labels name the codes of a declared covariate")
    priors = dict(_table(raw, "priors", source))
    for name, value in priors.items():
        if not isinstance(value, Mapping):
            raise SpecError(f"{source}: priors.{name} must be a table, e.g. [priors.{name}]")
        # a curve prior's ipd file is relative to the spec file's folder
        priors[name] = value = absolute_ipd(value, _folder(source))
        if value.get("type") == "curve":
            _check_curve_prior(name, value, data.reference, source)
    outcomes = _outcomes(raw["outcomes"], source)
    bayes = _bayes(_table(raw, "bayes", source), priors, declared, outcomes, source)
    if bayes.outcome_covariates and not propensity.covariates:
        raise SpecError(f"{source}: bayes.outcome_covariates = true puts the propensity "
                        "covariates into the outcome model; list them in [propensity] "
                        "covariates")
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise SpecError(f"{source}: title must be a string")
    return AnalysisSpec(
        data=data, outcomes=outcomes, covariates=covariates,
        propensity=propensity, cox=cox,
        km=_km(_table(raw, "km", source), data.time_unit, source),
        rmst_tau=tau, baseline=baseline, response=_response(raw.get("response"), source),
        safety=_safety(_table(raw, "safety", source), source), bayes=bayes,
        priors={k: dict(v) for k, v in priors.items()}, title=title, source=source, raw=raw,
    )


def _check_curve_prior(name: str, table: Mapping[str, Any], reference: Any, source: str) -> None:
    """What a curve prior's table (typed by :class:`~bayeshcc.spec_schema.CurvePriorTable`)
    says beyond itself: its arm is the spec's reference arm, and its file holds that arm's
    patients (read by :func:`~bayeshcc.external_ipd.read_external_arm`)."""
    arm = str(table["arm"])
    if arm != str(reference):
        raise SpecError(f"{source}: priors.{name}.arm = {arm!r} is not the spec's reference "
                        "arm; a curve prior borrows the reference arm's baseline hazard: valid "
                        f"arm: {str(reference)!r} (data.reference)")
    try:
        read_external_arm(name, Path(str(table["ipd"])), arm)
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}") from None


def _folder(source: str) -> Path:
    """The folder relative paths in a spec are read from: the spec file's, else the working
    folder (a spec given as text or a mapping)."""
    path = Path(source)
    return path.parent if path.is_file() else Path.cwd()


# --- sections ------------------------------------------------------------------------------

def _data(table: Any, source: str) -> DataSpec:
    table = _as_table(table, "data", source)
    for key in ("treatment", "treated", "reference"):
        if key not in table:
            raise SpecError(f"{source}: [data] needs '{key}' (treatment column, treated level, "
                            "reference level)")
    if table["treated"] == table["reference"]:
        raise SpecError(f"{source}: data.treated and data.reference are both "
                        f"{table['treated']!r}; they must be the two different arms")
    missing = table.get("missing", "error")
    _choice(missing, ("error", "drop"), "data.missing", source)
    time_unit = table.get("time_unit", "")
    display_unit = table.get("display_unit", "")
    if time_unit:
        _choice(time_unit, TIME_UNITS, "data.time_unit", source)
    if display_unit:
        _choice(display_unit, TIME_UNITS, "data.display_unit", source)
        if not time_unit:
            raise SpecError(f"{source}: data.display_unit = {display_unit!r} needs "
                            "data.time_unit (the unit of the data's times) to convert from; "
                            "one of: " + ", ".join(TIME_UNITS))
    treated = _level(table["treated"], "data.treated", source)
    reference = _level(table["reference"], "data.reference", source)
    return DataSpec(treatment=_string(table["treatment"], "data.treatment", source),
                    treated=treated, reference=reference,
                    id=_string(table["id"], "data.id", source) if "id" in table else None,
                    missing=missing, time_unit=time_unit, display_unit=display_unit,
                    labels=_arm_labels(table.get("labels"), treated, reference, source),
                    levels={column: keyed(_as_table(codes, f"data.levels.{column}", source))
                            for column, codes in
                            _as_table(table.get("levels", {}), "data.levels", source).items()})


def _arm_labels(labels: Any, treated: Level, reference: Level, source: str) -> dict[str, str]:
    """``[data] labels``: a name for each arm code; a code that is not an arm is refused."""
    labels = keyed(_as_table(labels or {}, "data.labels", source))
    arms = (code_key(treated), code_key(reference))
    for code in labels:
        if code not in arms:
            raise SpecError(f"{source}: data.labels names arm code {code!r}, which is not an arm "
                            f"of the data: data.treated = {treated!r}, data.reference = "
                            f"{reference!r}")
    return labels


def _horizon(value: Any, where: str, data_unit: str, source: str) -> float:
    """A horizon of the spec (RMST tau, a landmark) in the data's unit: a positive number, or
    a number with a unit (``"5 years"``) converted to ``[data] time_unit``."""
    if not isinstance(value, str):
        return _positive(value, where, source)
    if not data_unit:
        raise SpecError(f"{source}: {where} = {value!r} gives a unit; set data.time_unit (one "
                        "of: " + ", ".join(TIME_UNITS) + ") so that it can be converted to the "
                        "unit of the data's times")
    try:
        return horizon_in(value, data_unit)
    except ValueError as exc:
        raise SpecError(f"{source}: {where} {exc}") from None


def _outcomes(table: Any, source: str) -> tuple[OutcomeSpec, ...]:
    table = _as_table(table, "outcomes", source)
    outcomes = []
    for name, sub in table.items():
        sub = _as_table(sub, f"outcomes.{name}", source)
        for key in ("time", "event"):
            if key not in sub:
                raise SpecError(f"{source}: [outcomes.{name}] needs '{key}' (a column name)")
        outcomes.append(OutcomeSpec(
            name=name, time=_string(sub["time"], f"outcomes.{name}.time", source),
            event=_string(sub["event"], f"outcomes.{name}.event", source),
            label=_string(sub.get("label", name), f"outcomes.{name}.label", source)))
    return tuple(outcomes)


def _covariates(table: Mapping[str, Any], source: str) -> tuple[CovariateSpec, ...]:
    out = []
    for name, value in table.items():
        where = f"covariates.{name}"
        if isinstance(value, str):
            value = {"type": value}
        value = _as_table(value, where, source)
        kind = value.get("type")
        _choice(kind, ("numeric", "categorical"), f"{where} (or its 'type')", source)
        if kind == "numeric" and "reference" in value:
            raise SpecError(f"{source}: {where} is numeric; 'reference' applies only to "
                            "categorical covariates")
        ref = _level(value["reference"], f"{where}.reference", source) if "reference" in value else None
        out.append(CovariateSpec(name=name, kind=kind, reference=ref,
                                 label=_string(value.get("label", name), f"{where}.label", source)))
    return tuple(out)


def _propensity(table: Mapping[str, Any], declared: set[str], source: str) -> PropensitySpec:
    covs = _names(table, "propensity.covariates", source, key="covariates")
    _declared(covs, declared, "propensity.covariates", source)
    caliper = table.get("caliper")
    if caliper is not None:
        caliper = _positive(caliper, "propensity.caliper", source)
    ratio = table.get("ratio", 1)
    if not isinstance(ratio, int) or isinstance(ratio, bool) or ratio < 1:
        raise SpecError(f"{source}: propensity.ratio must be a whole number >= 1, got {ratio!r}")
    trim = table.get("trim")
    if trim is not None and not (isinstance(trim, (int, float)) and 0 < trim < 0.5):
        raise SpecError(f"{source}: propensity.trim must be a PS bound in (0, 0.5), e.g. 0.05; "
                        f"got {trim!r}")
    return PropensitySpec(covariates=covs, caliper=caliper, ratio=ratio,
                          replace=_bool(table.get("replace", False), "propensity.replace", source),
                          stabilize=_bool(table.get("stabilize", False), "propensity.stabilize", source),
                          trim=trim)


def _cox(table: Mapping[str, Any], declared: set[str], source: str) -> CoxSpec:
    covs = _names(table, "cox.covariates", source, key="covariates")
    _declared(covs, declared, "cox.covariates", source)
    selection = table.get("selection", "all")
    _choice(selection, ("all", "univariable"), "cox.selection", source)
    ties = table.get("ties", "efron")
    _choice(ties, ("efron", "breslow"), "cox.ties", source)
    p = table.get("p_threshold", 0.05)
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 < p <= 1:
        raise SpecError(f"{source}: cox.p_threshold must be in (0, 1], got {p!r}")
    return CoxSpec(covariates=covs, selection=selection, p_threshold=float(p), ties=ties)


def _km(table: Mapping[str, Any], data_unit: str, source: str) -> KaplanMeierSpec:
    conf_type = table.get("conf_type", "log")
    _choice(conf_type, CONF_TYPES, "km.conf_type", source)
    level = table.get("conf_level", 0.95)
    if not isinstance(level, float) or not 0 < level < 1:
        raise SpecError(f"{source}: km.conf_level must be a fraction in (0, 1), got {level!r}")
    landmarks = tuple(_horizon(t, "km.landmarks", data_unit, source)
                      for t in _list(table, "landmarks", source))
    return KaplanMeierSpec(conf_type=conf_type, conf_level=level, landmarks=landmarks)


def _response(table: Any, source: str) -> ResponseSpec | None:
    if table is None:
        return None
    table = _as_table(table, "response", source)
    if "column" not in table:
        raise SpecError(f"{source}: [response] needs 'column' (the best-response column)")
    levels = tuple(_string(v, "response.levels", source) for v in
                   table.get("levels", ["CR", "PR", "SD", "PD"]))
    if set(levels) != {"CR", "PR", "SD", "PD"}:
        raise SpecError(f"{source}: response.levels must be the RECIST levels CR, PR, SD, PD; "
                        f"got {list(levels)}")
    return ResponseSpec(column=_string(table["column"], "response.column", source), levels=levels)


def _safety(table: Mapping[str, Any], source: str) -> tuple[AdverseEventSpec, ...]:
    out = []
    for name, value in table.items():
        where = f"safety.{name}"
        value = _as_table(value, where, source)
        if "any_grade" not in value:
            raise SpecError(f"{source}: [{where}] needs 'any_grade' (a 0/1 column)")
        g34 = value.get("grade_3_4")
        out.append(AdverseEventSpec(
            name=name, any_grade=_string(value["any_grade"], f"{where}.any_grade", source),
            grade_3_4=_string(g34, f"{where}.grade_3_4", source) if g34 is not None else None))
    return tuple(out)


def _bayes(table: Mapping[str, Any], custom_priors: Mapping[str, Mapping[str, Any]],
           declared: set[str], outcomes: tuple[OutcomeSpec, ...], source: str) -> BayesSpec:
    for key in ("models", "adjustments", "priors"):  # [] would silently mean "the defaults"
        if key in table and table[key] == []:
            raise SpecError(f"{source}: bayes.{key} is empty; list at least one, or set "
                            "[bayes] enabled = false to run the frequentist analysis only")
    defaults = BayesSpec()
    models = tuple(_list(table, "models", source) or defaults.models)
    for m in models:
        _choice(m, MODELS, "bayes.models", source)
    adjustments = tuple(_list(table, "adjustments", source) or defaults.adjustments)
    for a in adjustments:
        _choice(a, ADJUSTMENTS, "bayes.adjustments", source)
    priors = tuple(_list(table, "priors", source) or defaults.priors)
    for p in priors:
        _choice(p, BUILT_IN_PRIORS + tuple(custom_priors),
                "bayes.priors (or define [priors.NAME])", source)
    ints = {}
    uncertainty = table.get("uncertainty", defaults.uncertainty)
    _choice(uncertainty, UNCERTAINTY, "bayes.uncertainty", source)
    for key, low in (("draws", 10), ("tune", 10), ("chains", 1), ("seed", 0), ("intervals", 1),
                     ("ps_replicates", 2)):
        value = table.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise SpecError(f"{source}: bayes.{key} must be a whole number >= {low}, got {value!r}")
        ints[key] = value
    cuts = tuple(_positive(c, "bayes.cutpoints", source) for c in _list(table, "cutpoints", source))
    if list(cuts) != sorted(set(cuts)):
        raise SpecError(f"{source}: bayes.cutpoints must be strictly increasing, got {list(cuts)}")
    thresholds = tuple(_positive(t, "bayes.thresholds", source)
                       for t in _list(table, "thresholds", source))
    decision = table.get("decision_threshold", defaults.decision_threshold)
    if not isinstance(decision, float) or not 0.5 <= decision < 1:
        raise SpecError(f"{source}: bayes.decision_threshold must be in [0.5, 1), got {decision!r}")
    clinical_hr = table.get("clinical_hr", defaults.clinical_hr)
    if (not isinstance(clinical_hr, (int, float)) or isinstance(clinical_hr, bool)
            or not 0 < clinical_hr < 1):
        raise SpecError(f"{source}: bayes.clinical_hr must be a hazard ratio in (0, 1), the "
                        f"smallest benefit that would change practice (e.g. 0.7); got {clinical_hr!r}")
    if "clinical_hr" in table and float(clinical_hr) not in thresholds:
        thresholds += (float(clinical_hr),)  # given: P(HR < clinical_hr) is reported
    covariates = _names(table.get("covariates", []), "bayes.covariates", source, key="covariates")
    _declared(covariates, declared, "bayes.covariates", source)
    primary = _primary(table.get("primary"), models, adjustments, priors, custom_priors,
                       outcomes, source)
    sensitivity_draws = _sensitivity_draws(table.get("sensitivity_draws",
                                                     defaults.sensitivity_draws),
                                           ints["draws"], source)
    outcome_covariates = _bool(table.get("outcome_covariates", False),
                               "bayes.outcome_covariates", source)
    if outcome_covariates and uncertainty == "ps_bootstrap":
        raise SpecError(f"{source}: bayes.outcome_covariates = true is not available with "
                        "bayes.uncertainty = \"ps_bootstrap\" yet (its PS replicates refit "
                        "treatment-only models); use \"sandwich\" or \"kish\"")
    return BayesSpec(models=models, adjustments=adjustments, priors=priors, cutpoints=cuts,
                     thresholds=thresholds, decision_threshold=decision,
                     enabled=_bool(table.get("enabled", True), "bayes.enabled", source),
                     uncertainty=uncertainty, covariates=covariates,
                     clinical_hr=float(clinical_hr), primary=primary,
                     sensitivity_draws=sensitivity_draws,
                     outcome_covariates=outcome_covariates, **ints)


def _sensitivity_draws(value: Any, draws: int, source: str) -> str | int:
    """``[bayes] sensitivity_draws``: ``"full"``, ``"until_ess"`` or a whole number of draws per
    chain from 10 to ``draws``."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 10 <= value <= draws:
            raise SpecError(f"{source}: bayes.sensitivity_draws = {value} must be from 10 to "
                            f"bayes.draws ({draws})")
        return value
    if value not in SENSITIVITY_DRAWS:
        raise SpecError(f"{source}: bayes.sensitivity_draws = {value!r} is not one of: "
                        + ", ".join(SENSITIVITY_DRAWS) + ", or a number of draws per chain")
    return value


def default_primary_adjustment(adjustments: tuple[str, ...]) -> str | None:
    """The first weighting adjustment listed, else ``matched``, else ``covariates`` (None when
    the grid has no adjusted analysis)."""
    for a in adjustments:
        if a in WEIGHTING:
            return a
    for a in ("matched", "covariates"):
        if a in adjustments:
            return a
    return None


def _primary(value: Any, models: tuple[str, ...], adjustments: tuple[str, ...],
             priors: tuple[str, ...], custom_priors: Mapping[str, Mapping[str, Any]],
             outcomes: tuple[OutcomeSpec, ...], source: str) -> PrimaryAnalysis | None:
    """``[bayes] primary = {model, adjustment, prior}``, each key defaulted (see
    :func:`default_primary_adjustment`; the first model; the first prior used for every outcome)."""
    table = {} if value is None else _as_table(value, "bayes.primary", source)
    adjusted = tuple(a for a in adjustments if a != "none")

    def every_outcome(prior: str) -> bool:
        named = custom_priors.get(prior, {}).get("outcomes")
        return named is None or all(o.name in named for o in outcomes)

    if "adjustment" in table:
        adjustment = table["adjustment"]
        if adjustment == "none":
            raise SpecError(f"{source}: bayes.primary.adjustment = 'none' is not an adjusted "
                            "analysis; the primary analysis must adjust for confounding: one of "
                            + (", ".join(adjusted) or "none in bayes.adjustments (add ate, att, "
                               "overlap, matched or covariates)"))
        _choice(adjustment, adjusted, "bayes.primary.adjustment (adjusted analyses of "
                "bayes.adjustments)", source)
    else:
        adjustment = default_primary_adjustment(adjustments)
        if adjustment is None:
            return None
    model = table.get("model", models[0])
    _choice(model, models, "bayes.primary.model (the models of bayes.models)", source)
    usable = tuple(p for p in priors if every_outcome(p))
    if "prior" in table:
        _choice(table["prior"], priors, "bayes.primary.prior (the priors of bayes.priors)", source)
        if table["prior"] not in usable:
            raise SpecError(f"{source}: bayes.primary.prior = {table['prior']!r} is not used for "
                            "every outcome (see its 'outcomes'); choose one of: " + ", ".join(usable))
        prior = table["prior"]
    elif usable:
        prior = usable[0]
    else:
        raise SpecError(f"{source}: bayes.primary.prior: no prior of bayes.priors applies to every "
                        "outcome; add one (e.g. 'weakly_informative')")
    return PrimaryAnalysis(model, adjustment, prior, adjustment_given="adjustment" in table)


def with_overlap_primary(bayes: BayesSpec) -> BayesSpec:
    """``bayes`` with the primary analysis on overlap weights (same model and prior), overlap
    added to ``adjustments`` (after the last weighting one) when the grid lacks it; used when
    the defaulted ATE primary meets extreme weights (:mod:`bayeshcc.adjust.overlap`)."""
    from dataclasses import replace

    adjustments = list(bayes.adjustments)
    if "overlap" not in adjustments:
        weighting = [i for i, a in enumerate(adjustments) if a in WEIGHTING]
        adjustments.insert(weighting[-1] + 1 if weighting else len(adjustments), "overlap")
    primary = replace(bayes.primary, adjustment="overlap")
    return replace(bayes, adjustments=tuple(adjustments), primary=primary)


# --- small validators ----------------------------------------------------------------------

def _as_table(value: Any, where: str, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{source}: {where} must be a table ([{where}]), got {value!r}")
    return value


def _table(raw: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    return _as_table(raw.get(key, {}), key, source)


def _list(table: Mapping[str, Any], key: str, source: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise SpecError(f"{source}: {key} must be a list, e.g. {key} = [...]; got {value!r}")
    return value


def _names(table: Any, where: str, source: str, key: str) -> tuple[str, ...]:
    if isinstance(table, list):  # `baseline = [...]` as a shorthand for `[baseline] variables`
        values = table
    else:
        table = _as_table(table, where.split(".")[0], source)
        values = _list(table, key, source)
    names = tuple(_string(v, where, source) for v in values)
    if len(set(names)) != len(names):
        raise SpecError(f"{source}: {where} lists a column twice: {list(names)}")
    return names


def _declared(names: tuple[str, ...], declared: set[str], where: str, source: str) -> None:
    for name in names:
        if name not in declared:
            raise SpecError(f"{source}: {where} names {name!r}, which is not declared in "
                            f"[covariates]; add `{name} = \"numeric\"` or \"categorical\" there")


def _choice(value: Any, valid: tuple[str, ...], where: str, source: str) -> None:
    if value not in valid:
        raise SpecError(f"{source}: {where} = {value!r} is not one of: " + ", ".join(valid))


def _string(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{source}: {where} must be a non-empty string, got {value!r}")
    return value


def _level(value: Any, where: str, source: str) -> Level:
    if not isinstance(value, (str, int, float)):
        raise SpecError(f"{source}: {where} must be a string or a number, got {value!r}")
    return value


def _bool(value: Any, where: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{source}: {where} must be true or false, got {value!r}")
    return value


def _positive(value: Any, where: str, source: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise SpecError(f"{source}: {where} must be a positive number, got {value!r}")
    return float(value)
