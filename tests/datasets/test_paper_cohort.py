"""The bundled synthetic cohort matches the published aggregates (paper/targets.toml).

Targets quoted beside each assertion are from Clin Mol Hepatol 2024;30:345-359 (the text and
tables summarised in targets.toml). Tolerances are those the cohort was calibrated to:
exact or one patient for counts, 10 % for Kaplan-Meier medians.
"""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

from bayeshcc.datasets import PAPER_COHORT_CSV, load_paper_cohort
from bayeshcc.studies.hcc2024.generator import AE_TYPES, generate_paper_cohort, write_paper_cohort

ARMS = ("lenvatinib", "sorafenib")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_paper_cohort()


def _by_arm(df):
    return [df[df["arm"] == arm] for arm in ARMS]


def _km_median(part, outcome):
    kmf = KaplanMeierFitter().fit(part[f"{outcome}_months"], part[f"{outcome}_event"])
    return kmf.median_survival_time_


def test_regeneration_is_byte_identical(tmp_path):
    """`python -m bayeshcc.studies.hcc2024.generator` reproduces the shipped CSV byte for byte."""
    written = write_paper_cohort(tmp_path / "cohort.csv")
    assert written.read_bytes() == PAPER_COHORT_CSV.read_bytes()


def test_generator_ignores_global_random_state():
    np.random.seed(1)
    first = generate_paper_cohort()
    np.random.seed(2)
    np.random.uniform(size=10)
    pd.testing.assert_frame_equal(first, generate_paper_cohort())


def test_loaded_csv_equals_generator_output(cohort):
    pd.testing.assert_frame_equal(cohort, generate_paper_cohort(), check_dtype=False)


def test_group_sizes(cohort):
    """n = 40 lenvatinib, 86 sorafenib; ids 1..126."""
    assert cohort["arm"].value_counts().to_dict() == {"lenvatinib": 40, "sorafenib": 86}
    assert cohort["id"].tolist() == list(range(1, 127))


def test_child_pugh_a_imbalance(cohort):
    """Child-Pugh A 92.5 % (37/40) vs 62.8 % (54/86), within one patient."""
    counts = [int((part["child_pugh_class"] == "A").sum()) for part in _by_arm(cohort)]
    assert abs(counts[0] - 37) <= 1 and abs(counts[1] - 54) <= 1


def test_child_pugh_score_consistent_with_class(cohort):
    a = cohort["child_pugh_class"] == "A"
    assert cohort.loc[a, "child_pugh_score"].between(5, 6).all()
    assert cohort.loc[~a, "child_pugh_score"].between(7, 9).all()


def test_atebev_cycles_medians(cohort):
    """Median ATE+BEV cycles 6 [4-10] vs 3 [2-6]."""
    assert [part["atebev_cycles"].median() for part in _by_arm(cohort)] == [6, 3]
    assert (cohort["atebev_cycles"] >= 1).all()


def test_cut_points_derive_from_raw_columns(cohort):
    assert (cohort["ecog_2"] == (cohort["ecog"] == 2)).all()
    assert (cohort["tumor_size_ge_10"] == (cohort["tumor_size"] >= 10)).all()
    assert (cohort["pivka_ge_1000"] == (cohort["pivka"] >= 1000)).all()
    assert (cohort["afp_ge_400"] == (cohort["afp"] >= 400)).all()
    assert (cohort["atebev_cycles_lt_3"] == (cohort["atebev_cycles"] < 3)).all()


def test_times_positive_and_pfs_not_after_os(cohort):
    assert (cohort["os_months"] > 0).all() and (cohort["pfs_months"] > 0).all()
    assert (cohort["pfs_months"] <= cohort["os_months"]).all()
    died_first = (cohort["os_event"] == 1) & (cohort["pfs_months"] == cohort["os_months"])
    assert (cohort.loc[died_first, "pfs_event"] == 1).all()


@pytest.mark.parametrize(("outcome", "targets"), [("os", (10.3, 5.6)), ("pfs", (3.5, 1.8))])
def test_km_medians_within_10_percent(cohort, outcome, targets):
    """Table 3 unadjusted medians: OS 10.3 vs 5.6, PFS 3.5 vs 1.8 months."""
    medians = [_km_median(part, outcome) for part in _by_arm(cohort)]
    assert medians == pytest.approx(list(targets), rel=0.10)


def test_event_counts(cohort):
    """81 deaths and 107 progressions (PFS events), within 3."""
    assert abs(int(cohort["os_event"].sum()) - 81) <= 3
    assert abs(int(cohort["pfs_event"].sum()) - 107) <= 3


@pytest.mark.parametrize(("outcome", "alpha"), [("os", 0.05), ("pfs", 0.01)])
def test_unadjusted_logrank_significant(cohort, outcome, alpha):
    """Published log-rank p: OS 0.019, PFS 0.001."""
    len_, sor = _by_arm(cohort)
    result = logrank_test(len_[f"{outcome}_months"], sor[f"{outcome}_months"],
                          len_[f"{outcome}_event"], sor[f"{outcome}_event"])
    assert result.p_value < alpha


def test_best_response(cohort):
    """Table 2: CR 0/0, PR 3/5, SD 60.0 % (24/40) vs 18.6 % (16/86) within one patient."""
    len_, sor = (part["best_response"].value_counts() for part in _by_arm(cohort))
    assert len_.get("CR", 0) == 0 and sor.get("CR", 0) == 0
    assert (len_["PR"], sor["PR"]) == (3, 5)
    assert abs(len_["SD"] - 24) <= 1 and abs(sor["SD"] - 16) <= 1


@pytest.mark.parametrize(("column", "targets"), [
    ("ae_any", (32, 75)), ("ae_grade34", (14, 33)), ("ae_discontinued", (12, 16)),
    ("ae_hand_foot_syndrome", (2, 17)), ("ae_proteinuria", (23, None)),
    ("ae_ast_elevation", (20, 45)), ("ae_thrombocytopenia", (20, None)),
    ("ae_bilirubin_elevation", (None, 47)), ("ae_alt_elevation", (None, 22)),
    ("ae_proteinuria_g34", (12, None)), ("ae_ast_elevation_g34", (4, 2)),
    ("ae_gi_bleeding_g34", (3, None)), ("ae_rash_g34", (None, 4)),
    ("ae_hand_foot_syndrome_g34", (None, 4)),
])
def test_adverse_event_counts_from_text(cohort, column, targets):
    """Table 5 rates as counts (e.g. any grade 80.0 % = 32/40, 87.2 % = 75/86), within one."""
    for part, target in zip(_by_arm(cohort), targets):
        if target is not None:
            assert abs(int(part[column].sum()) - target) <= 1


def test_adverse_events_nested(cohort):
    """Grade 3-4 implies any grade; any type implies ae_any; any grade 3-4 implies ae_grade34."""
    for name in AE_TYPES:
        assert (cohort[f"ae_{name}_g34"] <= cohort[f"ae_{name}"]).all()
        assert (cohort[f"ae_{name}"] <= cohort["ae_any"]).all()
        assert (cohort[f"ae_{name}_g34"] <= cohort["ae_grade34"]).all()
    assert (cohort["ae_grade34"] <= cohort["ae_any"]).all()


def test_higher_with_lenvatinib(cohort):
    """Hypertension, thrombocytopenia, anemia, anorexia, proteinuria, hypothyroidism: higher rate."""
    len_, sor = _by_arm(cohort)
    for name in ("hypertension", "thrombocytopenia", "anemia", "anorexia", "proteinuria",
                 "hypothyroidism"):
        assert len_[f"ae_{name}"].mean() > sor[f"ae_{name}"].mean()


def test_third_line(cohort):
    """18/40 and 44/86 received third-line; 15 lenvatinib patients went on to sorafenib."""
    len_, sor = _by_arm(cohort)
    assert (int(len_["third_line"].sum()), int(sor["third_line"].sum())) == (18, 44)
    assert int((len_["third_line_treatment"] == "sorafenib").sum()) == 15
    assert ((cohort["third_line"] == 1) == (cohort["third_line_treatment"] != "none")).all()


@pytest.mark.parametrize(("outcome", "terms"), [
    ("os", ("child_pugh_b", "pivka_ge_1000")),
    ("pfs", ("extrahepatic_metastasis", "sorafenib")),
])
def test_multivariable_cox_directions(cohort, outcome, terms):
    """Table 4 multivariable: OS Child-Pugh B HR 2.472, PIVKA-II >= 1000 HR 1.710;
    PFS extrahepatic metastasis HR 1.991, sorafenib HR 1.852. The synthetic cohort keeps
    the direction of these four terms (two terms per model) with HR above 1.3; with 126
    patients not every one need be significant (here PIVKA-II HR 1.74, p 0.014).
    """
    design = pd.DataFrame({
        "child_pugh_b": (cohort["child_pugh_class"] == "B").astype(int),
        "sorafenib": (cohort["arm"] == "sorafenib").astype(int),
        "pivka_ge_1000": cohort["pivka_ge_1000"],
        "extrahepatic_metastasis": cohort["extrahepatic_metastasis"],
        "time": cohort[f"{outcome}_months"],
        "event": cohort[f"{outcome}_event"],
    })
    keep = [*terms, "time", "event"]
    fit = CoxPHFitter().fit(design[keep], "time", "event")
    for term in terms:
        assert fit.hazard_ratios_[term] > 1.3
