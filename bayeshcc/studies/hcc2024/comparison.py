"""``paper_comparison.csv``: every published figure of the reference study beside ours.

Reads the results tables of a run of the paper's spec and the published aggregates
(``targets.toml`` of this study, a copy of ``shared/paper/targets.toml``). One row per figure:
what it is, the cohort and arm, the paper's value and the value computed on the bundled
cohort. Nothing here is asserted; the tests calibrate the cohort, this table shows the result.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from bayeshcc.studies.hcc2024 import load_targets

ARMS = ("lenvatinib", "sorafenib")
COLUMNS = ["quantity", "cohort", "arm", "paper", "bundled", "note"]


def load_paper_targets() -> dict[str, Any]:
    """The published aggregates of the reference study."""
    return load_targets()


def _pick(table: pd.DataFrame | None, column: str, **where) -> float:
    if table is None:
        return np.nan
    mask = np.ones(len(table), dtype=bool)
    for key, value in where.items():
        mask &= table[key].astype(str).to_numpy() == str(value)
    values = table.loc[mask, column]
    return float(values.iloc[0]) if len(values) else np.nan


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


def paper_comparison(tables: Mapping[str, pd.DataFrame], targets: Mapping[str, Any],
                     pairs: int | None) -> pd.DataFrame:
    """The side-by-side table (see module docstring)."""
    rows: list[dict] = []

    def add(quantity: str, cohort: str, arm: str, paper: Any, ours: float, note: str = "") -> None:
        rows.append(dict(quantity=quantity, cohort=cohort, arm=arm, paper=_number(paper),
                         bundled=ours, note=note or ("" if isinstance(paper, (int, float)) else
                                                     f"paper: {paper}")))

    surv, cox, resp, safety, base = (tables.get(k) for k in
                                     ("survival", "cox", "response", "safety", "baseline"))
    add("patients", "unadjusted", ARMS[0], targets["cohort"]["n_lenvatinib"],
        _pick(surv, "n", cohort="unadjusted", outcome="os", arm=ARMS[0]))
    add("patients", "unadjusted", ARMS[1], targets["cohort"]["n_sorafenib"],
        _pick(surv, "n", cohort="unadjusted", outcome="os", arm=ARMS[1]))
    add("matched pairs", "matched", "", targets["matching"]["pairs"], float(pairs or np.nan))
    for cohort in ("unadjusted", "matched"):
        published = targets["survival"][cohort]
        for outcome, events_key in (("os", "deaths"), ("pfs", "progressions")):
            for i, arm in enumerate(ARMS):
                add(f"{outcome} median", cohort, arm, published[f"{outcome}_median"][i],
                    _pick(surv, "median", cohort=cohort, outcome=outcome, arm=arm))
                ci = published[f"{outcome}_ci_{arm}"]
                add(f"{outcome} median lower", cohort, arm, ci[0],
                    _pick(surv, "median_lower", cohort=cohort, outcome=outcome, arm=arm))
                add(f"{outcome} median upper", cohort, arm, ci[1],
                    _pick(surv, "median_upper", cohort=cohort, outcome=outcome, arm=arm))
            add(f"{outcome} log-rank p", cohort, "", published[f"{outcome}_logrank_p"],
                _pick(surv, "logrank_p", cohort=cohort, outcome=outcome, arm=ARMS[0]))
            events = sum(_pick(surv, "events", cohort=cohort, outcome=outcome, arm=a) for a in ARMS)
            add(f"{outcome} events", cohort, "", published[events_key], events)
    for i, arm in enumerate(ARMS):
        column = "value_treated" if i == 0 else "value_reference"
        add("Child-Pugh A", "unadjusted", arm, targets["baseline"][arm]["child_pugh_a"],
            _pick(base, column, cohort="unadjusted", variable="child_pugh_class", level="A"))
        add("ATE+BEV cycles median", "unadjusted", arm,
            targets["baseline"][arm]["atebev_cycles_median"],
            _pick(base, column, cohort="unadjusted", variable="atebev_cycles"),
            "bundled value is the median when Table 1 reports median [IQR], else the mean")
    for cohort in ("unadjusted", "matched"):
        published = targets["response"][cohort]
        for measure in ("orr", "dcr", "sd", "pr", "cr"):
            if measure not in published:
                continue
            for i, arm in enumerate(ARMS):
                side = "treated" if i == 0 else "reference"
                value_column = f"n_{side}" if measure in ("pr", "cr") else f"pct_{side}"
                add(measure.upper(), cohort, arm, published[measure][i],
                    _pick(resp, value_column, cohort=cohort, measure=measure.upper()))
            if f"{measure}_p" in published:
                add(f"{measure.upper()} p", cohort, "", published[f"{measure}_p"],
                    _pick(resp, "p", cohort=cohort, measure=measure.upper()))
    for outcome, terms in (("os", {"child_pugh_b": "child_pugh_class[B]",
                                   "pivka_ge_1000": "pivka_ge_1000"}),
                           ("pfs", {"extrahepatic_metastasis": "extrahepatic_metastasis",
                                    "sorafenib": "treatment"})):
        for entry in targets["cox"][outcome]["multivariable"]:
            term = terms[entry["term"]]
            hr = _pick(cox, "hr", cohort="unadjusted", outcome=outcome, model="multivariable",
                       term=term)
            note = "sorafenib vs lenvatinib = 1 / (treatment HR)" if term == "treatment" else ""
            add(f"{outcome} multivariable HR {entry['term']}", "unadjusted", "", entry["hr"],
                1 / hr if term == "treatment" else hr, note)
    for name, key in (("any", "any_grade"), ("any", "grade_3_4"), ("discontinued_for_ae", "discontinued_for_ae"),
                      ("hand_foot_syndrome", "hand_foot_syndrome")):
        grade = "3-4" if key == "grade_3_4" else "any"
        for i, arm in enumerate(ARMS):
            side = "treated" if i == 0 else "reference"
            add(f"AE {key}", "unadjusted", arm, targets["safety"][key][i],
                _pick(safety, f"pct_{side}", adverse_event=name, grade=grade))
        add(f"AE {key} p", "unadjusted", "", targets["safety"][f"{key}_p"],
            _pick(safety, "p", adverse_event=name, grade=grade))
    return pd.DataFrame(rows, columns=COLUMNS)
