"""The cohort's own words in the report: arm and level labels, times in the display unit,
readable names of models, priors and adjustments.

Read from the spec as the manifest records it (``manifest["spec"]``): ``[data] labels``,
``[data.levels]``, ``time_unit`` and ``display_unit``. The tables keep codes and the data's
unit; only what the report shows goes through :class:`Wording`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from bayeshcc.labels import code_key, keyed, name_of
from bayeshcc.units import CONVENTION, amount, convert, duration, horizon
from bayeshcc.vocab import ADJUSTMENT_NAMES, readable  # noqa: F401 (readable: re-exported)

@dataclass(frozen=True)
class Wording:
    """How the report names arms and levels and shows times.

    Attributes
    ----------
    treated_code, reference_code : str
        The arms' codes as the tables write them (:func:`bayeshcc.labels.code_key`).
    arms : mapping of str to str
        Arm code -> label (``[data] labels``).
    levels : mapping of str to mapping of str to str
        Covariate -> level code -> label (``[data.levels]``).
    data_unit, shown_unit : str
        The data's unit of time and the unit shown (``""`` when the spec names none).
    """

    treated_code: str = "treated"
    reference_code: str = "reference"
    arms: Mapping[str, str] = field(default_factory=dict)
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    data_unit: str = ""
    shown_unit: str = ""

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> "Wording":
        """The wording of a results folder, from its ``manifest.json``."""
        data = (manifest.get("spec") or {}).get("data") or {}
        unit = str(data.get("time_unit") or "")
        return cls(treated_code=code_key(data.get("treated", "the treated arm")),
                   reference_code=code_key(data.get("reference", "the reference arm")),
                   arms=keyed(data.get("labels")),
                   levels={str(k): keyed(v) for k, v in (data.get("levels") or {}).items()},
                   data_unit=unit, shown_unit=str(data.get("display_unit") or unit))

    # --- names ---------------------------------------------------------------------------
    @property
    def treated(self) -> str:
        """The treated arm's name."""
        return name_of(self.treated_code, self.arms)

    @property
    def reference(self) -> str:
        """The reference arm's name."""
        return name_of(self.reference_code, self.arms)

    def arm(self, code: Any) -> Any:
        """An arm's name from its code; other values (``difference``) unchanged."""
        key = code_key(code)
        return self.arms.get(key, code) if key in (self.treated_code, self.reference_code) else code

    def level(self, variable: Any, code: Any) -> str:
        """A covariate level's name: its label, else the code as text (``0``, never empty)."""
        if code is None or (isinstance(code, float) and code != code) or code == "":
            return ""
        return name_of(code, self.levels.get(str(variable)))

    # --- times ---------------------------------------------------------------------------
    @property
    def converts(self) -> bool:
        """Whether shown times differ in unit from the tables'."""
        return bool(self.data_unit) and self.shown_unit != self.data_unit

    @property
    def unit(self) -> str:
        """The unit shown, or ``time units`` when the spec names none."""
        return self.shown_unit or "time units"

    def shown(self, value: Any) -> Any:
        """A time of the tables in the shown unit (as a number; non-numbers unchanged)."""
        if not self.converts or value is None or isinstance(value, (str, bool)):
            return value
        try:
            return convert(float(value), self.data_unit, self.shown_unit)
        except (TypeError, ValueError):
            return value

    def duration(self, value: Any) -> str:
        """A time of the tables for reading, with its unit: ``1.6 years``."""
        if not self.shown_unit:
            text = self.amount(value)
            return text if text == "NA" else f"{text} time units"
        return duration(self.shown(value), self.shown_unit)

    def amount(self, value: Any) -> str:
        """A time of the tables for reading, without its unit."""
        return amount(self.shown(value), self.shown_unit or "weeks")

    def horizon(self, value: Any) -> str:
        """A horizon (landmark, tau) of the tables for reading: ``5 years``."""
        if not self.shown_unit:
            return f"{float(value):g} time units"
        return horizon(self.shown(value), self.shown_unit)

    def axis_label(self) -> str:
        """The time axis's label: ``Time (years)``."""
        return f"Time ({self.shown_unit})" if self.shown_unit else "Time"

    def unit_note(self) -> str:
        """The sentence on conversion for a table note or the methods ("" when none)."""
        if not self.converts:
            return ""
        return (f"Times are shown in {self.shown_unit}; the results tables hold them in "
                f"{self.data_unit} ({CONVENTION}).")


__all__ = ["Wording", "readable"]
