"""Proportional-hazards tests against R cox.zph (fixtures from tests/reference/survival_reference.R)."""

import pytest

from bayeshcc.errors import AnalysisError
from bayeshcc.frequentist.zph import cox_zph

from .fixtures import assert_r_equal, load
from .test_cox import CASES, fit_like_r


@pytest.mark.parametrize(("dataset", "index"), CASES)
def test_zph_equals_cox_zph_per_column(dataset, index):
    """cox.zph(fit, transform = "km", terms = FALSE)$table: chisq, df, p and GLOBAL."""
    fit, ref, _ = fit_like_r(dataset, index)
    table = cox_zph(fit)
    assert list(table.term) == list(fit.terms) + ["GLOBAL"]
    assert_r_equal(table.chisq, ref["zph"]["chisq"])
    assert_r_equal(table.df, ref["zph"]["df"])
    assert_r_equal(table.p, ref["zph"]["p"])


@pytest.mark.parametrize("name", ["multivariable efron", "multivariable breslow"])
def test_zph_groups_factor_columns_like_terms_true(name):
    """cox.zph(coxph(... ~ group + karno + age + celltype), terms = TRUE): celltype on 3 df."""
    fixture, _ = load("veteran")
    index = next(i for i, m in enumerate(fixture["cox"]) if m["name"] == name)
    fit, ref, _ = fit_like_r("veteran", index)
    groups = {k: list(v) if isinstance(v, list) else [v] for k, v in ref["zph_groups"].items()}
    table = cox_zph(fit, terms={"celltype": groups["celltype"]})
    assert list(table.term) == ["group", "karno", "age", "celltype", "GLOBAL"]
    assert_r_equal(table.chisq, ref["zph_terms"]["chisq"])
    assert_r_equal(table.df, ref["zph_terms"]["df"])


def test_zph_unknown_column_in_terms_is_refused():
    fit, _, _ = fit_like_r("lung", 1)
    with pytest.raises(AnalysisError, match="not in the fit"):
        cox_zph(fit, terms={"x": ["nope"]})
