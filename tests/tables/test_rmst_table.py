"""rmst.csv: the matched cohort's RMST difference uses the pair-clustered SE, the weighted cohorts
the PS-refitting jackknife (up to 2,000 patients), the unadjusted cohort the independent-arms SE,
and the se_method column says which."""

import numpy as np
import pytest

from bayeshcc.adjust.cohort import adjust
from bayeshcc.cohort import Cohort
from bayeshcc.frequentist.rmst import rmst_difference
from bayeshcc.spec import spec_from_text
from bayeshcc.tables.rmst import rmst_table

from tests.conftest import SMALL_SPEC, make_small_frame


@pytest.fixture(scope="module")
def populations():
    cohort = Cohort.from_dataframe(make_small_frame(n=80, seed=11), spec_from_text(SMALL_SPEC))
    return {p.name: p for p in adjust(cohort).populations}


def test_se_method_by_cohort(populations):
    table = rmst_table(list(populations.values()))
    methods = table.groupby("cohort")["se_method"].unique().map(list).to_dict()
    assert methods["matched"] == ["pair-clustered"]
    assert methods["unadjusted"] == ["independent"]
    for weighted in ("ate", "att", "overlap"):
        if weighted in methods:
            assert methods[weighted] == ["jackknife (PS refitted)"]   # N = 80 <= 2000
    assert "ate" in methods


def test_matched_difference_se_is_clustered_by_matched_pair(populations):
    """The matched rows' difference_se is rmst_difference(..., clusters = matched-pair ids)."""
    pop = populations["matched"]
    table = rmst_table([pop])
    tau = table["tau"].iloc[0]
    expected = rmst_difference(pop.cohort.time("os"), pop.cohort.event("os"), pop.cohort.treated,
                               tau, weights=pop.weights, clusters=pop.clusters)
    assert pop.clusters is not None and len(np.unique(pop.clusters)) == pop.cohort.treated.sum()
    np.testing.assert_allclose(table["difference_se"], expected.se, rtol=1e-12)
    assert expected.se != pytest.approx(
        rmst_difference(pop.cohort.time("os"), pop.cohort.event("os"), pop.cohort.treated,
                        tau, weights=pop.weights).se, rel=1e-6)
