"""`bayeshcc reproduce` on the bundled synthetic cohort: the reference study's tables, end to end.

Directions are the study's (Clin Mol Hepatol 2024;30:345-359, Table 3): lenvatinib better PFS
unadjusted and matched; OS better unadjusted but not significant after matching.
"""

import pandas as pd
import pytest

from bayeshcc.pipeline import RunOptions, reproduce


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return reproduce(tmp_path_factory.mktemp("repro") / "results",
                     options=RunOptions(bayes=False, quiet=True))


@pytest.fixture(scope="module")
def tables(folder):
    return {p.stem: pd.read_csv(p) for p in (folder / "tables").glob("*.csv")}


def test_the_bundled_cohorts_report_says_its_data_are_synthetic(folder):
    html = (folder / "report.html").read_text()
    assert "Results on a synthetic cohort illustrate the method, not the treatments." in html
    assert "These are the bundled synthetic data" in html


def _survival(tables, cohort, outcome):
    s = tables["survival"]
    return s[(s["cohort"] == cohort) & (s["outcome"] == outcome)].set_index("arm")


def test_survival_table_has_both_outcomes_and_arms(tables):
    s = tables["survival"]
    whole = s[s["cohort"] == "unadjusted"]
    assert sorted(zip(whole["outcome"], whole["arm"])) == [
        ("os", "lenvatinib"), ("os", "sorafenib"), ("pfs", "lenvatinib"), ("pfs", "sorafenib")]
    assert whole.groupby("outcome")["n"].sum().tolist() == [126, 126]


def test_pfs_favours_lenvatinib_unadjusted_and_matched(tables):
    for cohort, alpha in (("unadjusted", 0.01), ("matched", 0.05)):  # paper: p = 0.001, 0.003
        pfs = _survival(tables, cohort, "pfs")
        assert pfs.loc["lenvatinib", "median"] > pfs.loc["sorafenib", "median"]
        assert pfs["logrank_p"].iloc[0] < alpha


def test_os_favours_lenvatinib_unadjusted_but_not_significantly_after_matching(tables):
    whole, matched = _survival(tables, "unadjusted", "os"), _survival(tables, "matched", "os")
    assert whole["logrank_p"].iloc[0] < 0.05          # paper: 0.019
    assert matched["logrank_p"].iloc[0] > 0.05        # paper: 0.353
    assert matched.loc["lenvatinib", "median"] > matched.loc["sorafenib", "median"]


def test_matching_keeps_about_the_papers_36_pairs(tables):
    assert 33 <= len(tables["matches"]) <= 39


def test_multivariable_cox_has_the_papers_predictors(tables):
    """Table 4 (univariable screen p < 0.05): OS Child-Pugh B HR 2.472 and PIVKA-II >= 1000
    HR 1.710; PFS extrahepatic metastasis HR 1.991 and sorafenib HR 1.852."""
    cox = tables["cox"]
    multi = cox[(cox["cohort"] == "unadjusted") & (cox["model"] == "multivariable")]
    pfs_terms = set(multi.loc[multi["outcome"] == "pfs", "term"])
    assert {"treatment", "extrahepatic_metastasis"} <= pfs_terms
    os_terms = set(multi.loc[multi["outcome"] == "os", "term"])
    assert {"child_pugh_class[B]", "pivka_ge_1000"} <= os_terms
    hr = multi.set_index(["outcome", "term"])["hr"]
    assert hr[("pfs", "treatment")] < 1 and hr[("pfs", "extrahepatic_metastasis")] > 1
    assert hr[("os", "child_pugh_class[B]")] > 1 and hr[("os", "pivka_ge_1000")] > 1


def test_paper_comparison_lists_published_figures_beside_ours(tables):
    comparison = tables["paper_comparison"].set_index(["quantity", "cohort", "arm"])
    assert comparison.loc[("patients", "unadjusted", "lenvatinib"), "bundled"] == 40
    assert comparison.loc[("PR", "unadjusted", "sorafenib"), "paper"] == 5
    assert comparison["bundled"].notna().sum() > 50


def test_matched_pairs_are_matchits_pairs(tables):
    """R MatchIt 4.7.2: matchit(arm ~ the paper's 7 covariates, method = "nearest",
    distance = "glm", link = "linear.logit", caliper = 0.2) on paper_cohort.csv
    (tests/reference/matchit_reference.R)."""
    import json
    from pathlib import Path

    fixture = json.loads((Path(__file__).parent / "reference" / "fixtures" /
                          "matchit_paper_cohort.json").read_text())["matches"]["caliper_0.2"]
    expected = set(zip(fixture["treated_id"], fixture["reference_id"]))
    ours = set(zip(tables["matches"]["treated_id"], tables["matches"]["reference_id"]))
    assert ours == expected
