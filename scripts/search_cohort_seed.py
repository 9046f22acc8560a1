"""Search seeds of the synthetic-cohort generator against the reference study's figures.

Not part of the package: this is how the seed in ``bayeshcc/studies/hcc2024/generator.py`` was
chosen. Each candidate cohort goes through the same code as ``bayeshcc reproduce``
(adjustment, Kaplan-Meier / log-rank, the Cox screen) and is kept when it reproduces the
study's directions (Clin Mol Hepatol 2024;30:345-359):

- previous ATE+BEV cycles median 6 vs 3;
- KM medians within 10 % of OS 10.3 / 5.6 and PFS 3.5 / 1.8 months, 81 +- 3 deaths,
  107 +- 3 PFS events, unadjusted log-rank OS p < 0.05 and PFS p < 0.01;
- 33-39 matched pairs; matched PFS p < 0.05; matched OS p > 0.05 with lenvatinib's median
  longer;
- OS multivariable model (univariable screen p < 0.05) holding Child-Pugh B and PIVKA-II
  >= 1000, both HR > 1.3; PFS one holding extrahepatic metastasis and treatment.

Candidates are ranked by the distance of the published p-values and hazard ratios.

Usage: ``python scripts/search_cohort_seed.py START COUNT``
"""

from __future__ import annotations

import math
import sys
import warnings

from bayeshcc.adjust.cohort import adjust
from bayeshcc.cohort import Cohort
from bayeshcc.studies.hcc2024.generator import generate_paper_cohort
from bayeshcc.spec import load_spec
from bayeshcc.pipeline import paper_spec_path
from bayeshcc.tables.cox import cox_tables
from bayeshcc.tables.survival import survival_tables


def evaluate(seed: int, spec) -> dict | None:
    """Figures of one candidate cohort, or None when a hard criterion fails."""
    df = generate_paper_cohort(seed)
    cycles = df.groupby("arm")["atebev_cycles"].median()
    if (cycles["lenvatinib"], cycles["sorafenib"]) != (6, 3):  # Table 1: median 6 vs 3
        return None
    if df["os_event"].sum() not in range(78, 85) or df["pfs_event"].sum() not in range(104, 111):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = Cohort.from_dataframe(df, spec)
        result = adjust(cohort)
        pops = list(result.populations)
        surv = survival_tables(pops)["survival"]
    s = surv.set_index(["cohort", "outcome", "arm"])
    med = {(c, o, a): s.loc[(c, o, a), "median"] for c in ("unadjusted", "matched")
           for o in ("os", "pfs") for a in ("lenvatinib", "sorafenib")}
    targets = {("os", "lenvatinib"): 10.3, ("os", "sorafenib"): 5.6,
               ("pfs", "lenvatinib"): 3.5, ("pfs", "sorafenib"): 1.8}
    if any(abs(med[("unadjusted", *k)] / v - 1) > 0.10 for k, v in targets.items()):
        return None
    p = {(c, o): s.loc[(c, o, "lenvatinib"), "logrank_p"] for c in ("unadjusted", "matched")
         for o in ("os", "pfs")}
    pairs = 0 if result.matches is None else len(result.matches)
    if not (p[("unadjusted", "os")] < 0.05 and p[("unadjusted", "pfs")] < 0.01
            and 33 <= pairs <= 39 and p[("matched", "pfs")] < 0.05
            and p[("matched", "os")] > 0.05
            and med[("matched", "os", "lenvatinib")] > med[("matched", "os", "sorafenib")]):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = cox_tables([pops[0]])["cox"]
    multi = cox[cox["model"] == "multivariable"].set_index(["outcome", "term"])
    need = [("os", "child_pugh_class[B]"), ("os", "pivka_ge_1000"),
            ("pfs", "extrahepatic_metastasis"), ("pfs", "treatment")]
    if any(k not in multi.index for k in need):
        return None
    hr = {k: multi.loc[k, "hr"] for k in need}
    if min(hr[need[0]], hr[need[1]], hr[need[2]]) <= 1.3 or hr[need[3]] >= 1 / 1.3:
        return None
    os_terms = sorted(t for o, t in multi.index if o == "os")
    paper = {need[0]: 2.472, need[1]: 1.710, need[2]: 1.991, need[3]: 1 / 1.852}
    distance = sum(abs(math.log(hr[k] / v)) for k, v in paper.items())
    distance += abs(math.log(p[("matched", "os")] / 0.353)) / 4 + abs(pairs - 36) / 6
    return {"seed": seed, "distance": round(distance, 3), "pairs": pairs,
            "p_os": round(p[("unadjusted", "os")], 4), "p_os_matched": round(p[("matched", "os")], 3),
            "p_pfs_matched": round(p[("matched", "pfs")], 4),
            "hr": {k[1]: round(v, 2) for k, v in hr.items()},
            "p_pivka": round(multi.loc[("os", "pivka_ge_1000"), "p"], 3),
            "os_terms": os_terms}


def main(start: int, count: int) -> None:
    spec = load_spec(paper_spec_path())
    found = []
    for seed in range(start, start + count):
        row = evaluate(seed, spec)
        if row:
            found.append(row)
            print(row, flush=True)
    for row in sorted(found, key=lambda r: r["distance"])[:10]:
        print("BEST", row)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
