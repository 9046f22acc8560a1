"""Tables 1, 2 and 5 on small cohorts whose counts are known."""

import numpy as np
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.populations import unadjusted
from bayeshcc.spec import spec_from_text
from bayeshcc.tables.baseline import baseline_table, pooled_smd
from bayeshcc.tables.response import response_table
from bayeshcc.tables.safety import safety_table

from tests.conftest import SMALL_SPEC

SPEC = SMALL_SPEC + """
[response]
column = "resp"

[safety]
rash = { any_grade = "rash", grade_3_4 = "rash34" }
"""


@pytest.fixture
def cohort(small_frame):
    frame = small_frame.copy()
    treated = frame["arm"] == "new"
    # new arm (20): 3 PR, 12 SD, 5 PD; old arm (20): 1 PR, 4 SD, 15 PD
    frame["resp"] = np.concatenate([["PR"] * 3 + ["SD"] * 12 + ["PD"] * 5,
                                    ["PR"] * 1 + ["SD"] * 4 + ["PD"] * 15])
    frame.loc[treated, "resp"] = ["PR"] * 3 + ["SD"] * 12 + ["PD"] * 5
    frame.loc[~treated, "resp"] = ["PR"] * 1 + ["SD"] * 4 + ["PD"] * 15
    frame["rash"] = 0
    frame.loc[frame.index[treated][:2], "rash"] = 1
    frame.loc[frame.index[~treated][:8], "rash"] = 1
    frame["rash34"] = 0
    frame.loc[frame.index[~treated][:1], "rash34"] = 1
    return Cohort.from_dataframe(frame, spec_from_text(SPEC))


def test_response_table_counts_rates_and_fisher(cohort):
    table = response_table([unadjusted(cohort)], cohort.spec.response).set_index("measure")
    assert table.loc["PR", ["n_treated", "n_reference"]].tolist() == [3, 1]
    assert table.loc["DCR", "pct_treated"] == pytest.approx(15 / 20)
    assert table.loc["DCR", "pct_reference"] == pytest.approx(5 / 20)
    # fisher.test(matrix(c(3,1,17,19),2))$p.value (expected counts < 5)
    assert table.loc["ORR", "test"] == "Fisher exact"
    assert table.loc["ORR", "p"] == pytest.approx(0.604989604989605, rel=1e-9)
    # chisq.test(matrix(c(15,5,5,15),2))$p.value (R 4.2.2, Yates' correction by default)
    assert table.loc["DCR", "test"] == "chi-square (Yates)"
    assert table.loc["DCR", "p"] == pytest.approx(0.00442652585791983, rel=1e-9)


def test_safety_table_any_grade_and_grade_3_4(cohort):
    table = safety_table(cohort).set_index("grade")
    assert table.loc["any", ["n_treated", "n_reference"]].tolist() == [2, 8]
    assert table.loc["3-4", ["n_treated", "n_reference"]].tolist() == [0, 1]
    # expected counts 5 and 15: chisq.test(matrix(c(2,8,18,12),2))$p.value (R 4.2.2, Yates)
    assert table.loc["any", "p"] == pytest.approx(0.0678891548618291, rel=1e-9)


def test_baseline_has_a_row_per_level_and_one_test_per_variable(cohort):
    table = baseline_table([unadjusted(cohort)], ["age", "stage"])
    stage = table[table["variable"] == "stage"]
    assert stage["level"].tolist() == ["I", "II", "III"]
    assert stage["p"].nunique() == 1
    assert stage["summary_treated"].str.match(r"^\d+ \(\d+\.\d%\)$").all()
    age = table[table["variable"] == "age"].iloc[0]
    assert age["statistic"] in ("mean (SD)", "median [IQR]")
    assert age["test"] == {"mean (SD)": "t-test", "median [IQR]": "Mann-Whitney"}[age["statistic"]]


def test_pooled_smd_formula():
    # (mean 2 - mean 1) / sqrt((var 1 + var 1) / 2) for samples with variance 1
    assert pooled_smd(np.array([1.0, 2, 3]), np.array([0.0, 1, 2])) == pytest.approx(1.0)
