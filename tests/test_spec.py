"""The analysis spec: what it accepts, and one clear error for each thing it refuses."""

import pytest

from bayeshcc.errors import SpecError
from bayeshcc.pipeline import paper_spec_path
from bayeshcc.spec import load_spec, spec_from_text

from tests.conftest import SMALL_SPEC


def test_small_spec_reads_outcomes_covariates_and_defaults():
    spec = spec_from_text(SMALL_SPEC)
    assert [o.name for o in spec.outcomes] == ["os"]
    assert spec.covariate("stage").reference == "I"
    assert spec.km.conf_type == "log"          # R survfit's default
    assert spec.propensity.caliper is None     # docs/architecture.md: "omit for none"
    assert spec.cox.ties == "efron"            # R coxph's default


def test_paper_spec_names_the_papers_seven_ps_covariates():
    spec = load_spec(paper_spec_path())
    assert set(spec.propensity.covariates) == {
        "age", "sex", "tumor_size", "tumor_number", "extrahepatic_metastasis",
        "lymph_node_metastasis", "child_pugh_class"}   # targets.toml [matching].ps_covariates
    assert [o.name for o in spec.outcomes] == ["os", "pfs"]
    assert (spec.data.treated, spec.data.reference) == ("lenvatinib", "sorafenib")


def test_unknown_key_is_named_with_the_valid_keys():
    with pytest.raises(SpecError, match=r"unknown key 'caliperr' in \[propensity\]; valid keys "
                                        r"are: covariates, caliper"):
        spec_from_text(SMALL_SPEC.replace("[propensity]", "[propensity]\ncaliperr = 0.1"))


def test_unknown_top_level_table_is_refused():
    with pytest.raises(SpecError, match=r"unknown key 'outcome' in the spec; valid keys are: "):
        spec_from_text(SMALL_SPEC + "\n[outcome.x]\ntime='t'\n")


def test_malformed_toml_says_the_line():
    text = SMALL_SPEC.replace('treated = "new"', 'treated = "new')
    with pytest.raises(SpecError, match=r"is not valid TOML: .*line 5"):
        spec_from_text(text)


def test_missing_spec_file_is_named(tmp_path):
    with pytest.raises(SpecError, match="spec file not found: .*nope.toml"):
        load_spec(tmp_path / "nope.toml")


def test_propensity_covariate_must_be_declared():
    text = SMALL_SPEC.replace('covariates = ["age", "stage"]\n\n[cox]',
                              'covariates = ["age", "bmi"]\n\n[cox]')
    with pytest.raises(SpecError, match=r"propensity.covariates names 'bmi', which is not declared"):
        spec_from_text(text)


def test_same_level_for_both_arms_is_refused():
    with pytest.raises(SpecError, match="both 'new'"):
        spec_from_text(SMALL_SPEC.replace('reference = "old"', 'reference = "new"'))


@pytest.mark.parametrize("snippet, message", [
    ("[km]\nconf_type = 'logit'", r"km.conf_type = 'logit' is not one of: log, log-log, plain"),
    ("[bayes]\nmodels = ['cox']", r"bayes.models = 'cox' is not one of: weibull, piecewise"),
    ("[bayes]\npriors = ['flat']", r"bayes.priors .* = 'flat' is not one of"),
    ("[bayes]\ndraws = 5", r"bayes.draws must be a whole number >= 10"),
    ("[rmst]\ntau = -1", r"rmst.tau must be a positive number"),
    ("[bayes]\ncutpoints = [3, 2]", r"bayes.cutpoints must be strictly increasing"),
    ("[bayes]\nps_uncertainty = 'bootstrap'", r"unknown key 'ps_uncertainty' in \[bayes\]; valid keys are: .*uncertainty"),
    ("[bayes]\nps_replicates = 1", r"bayes.ps_replicates must be a whole number >= 2"),
])
def test_invalid_values_name_their_key(snippet, message):
    with pytest.raises(SpecError, match=message):
        spec_from_text(SMALL_SPEC + "\n" + snippet + "\n")


@pytest.mark.parametrize("key", ["models", "adjustments", "priors"])
def test_an_empty_bayes_list_is_an_error_pointing_to_enabled_false(key):
    # issue 15: `models = []` used to run the default models silently
    with pytest.raises(SpecError, match=rf"bayes.{key} is empty; .*enabled = false"):
        spec_from_text(SMALL_SPEC + f"\n[bayes]\n{key} = []\n")


def test_enabled_false_runs_no_bayesian_model():
    assert spec_from_text(SMALL_SPEC + "\n[bayes]\nenabled = false\n").bayes.enabled is False


def test_uncertainty_defaults_to_sandwich_and_reads_ps_bootstrap():
    assert spec_from_text(SMALL_SPEC).bayes.uncertainty == "sandwich"
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\nuncertainty = 'ps_bootstrap'\nps_replicates = 8\n")
    assert (spec.bayes.uncertainty, spec.bayes.ps_replicates) == ("ps_bootstrap", 8)


def test_primary_defaults_to_the_first_weighting_adjustment():
    # default grid: none, covariates, ate, matched -> ate (issue 13: first weighting adjustment)
    primary = spec_from_text(SMALL_SPEC).bayes.primary
    assert primary.as_dict() == {"model": "weibull", "adjustment": "ate",
                                 "prior": "weakly_informative"}


@pytest.mark.parametrize("adjustments, expected", [
    (["none", "matched", "covariates"], "matched"),    # no weighting: matched
    (["none", "covariates"], "covariates"),            # else covariates
    (["covariates", "overlap", "att"], "overlap"),     # the first weighting one listed
])
def test_primary_default_falls_back_to_matched_then_covariates(adjustments, expected):
    spec = spec_from_text(SMALL_SPEC + f"\n[bayes]\nadjustments = {adjustments}\n")
    assert spec.bayes.primary.adjustment == expected


def test_a_grid_without_adjusted_analyses_has_no_primary():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\nadjustments = ['none']\n")
    assert spec.bayes.primary is None


def test_primary_prior_defaults_to_the_first_prior_used_for_every_outcome():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\npriors = ['ext', 'vague']\n[priors.ext]\n"
                          "type = 'external'\nhr = 0.5\nlower = 0.3\nupper = 0.9\n"
                          "outcomes = ['pfs']\n")
    assert spec.bayes.primary.prior == "vague"


def test_primary_names_model_adjustment_and_prior_of_the_grid():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\nmodels = ['weibull', 'piecewise']\n"
                          "priors = ['vague', 'skeptical']\nadjustments = ['none', 'matched']\n"
                          "primary = { model = 'piecewise', adjustment = 'matched', prior = 'skeptical' }\n")
    assert spec.bayes.primary.as_dict() == {"model": "piecewise", "adjustment": "matched",
                                            "prior": "skeptical"}


def test_covariates_adjustment_set_and_clinical_hr_are_read():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\ncovariates = ['age']\nclinical_hr = 0.8\n")
    assert spec.bayes.covariates == ("age",) and spec.bayes.clinical_hr == 0.8


def test_custom_prior_name_can_be_used_in_bayes_priors():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\npriors = ['mine']\n[priors.mine]\n"
                          "type = 'external'\nhr = 0.5\nlower = 0.3\nupper = 0.9\ndiscount = 1.0\n")
    assert spec.bayes.priors == ("mine",)
    assert spec.priors["mine"]["hr"] == 0.5


def test_a_defaulted_primary_adjustment_is_marked_as_not_given():
    # only a defaulted adjustment may move to overlap weights (bayeshcc.adjust.cohort.adjust)
    bayes = '\n[bayes]\nadjustments = ["none", "ate", "overlap"]\n'
    assert not spec_from_text(SMALL_SPEC + bayes).bayes.primary.adjustment_given
    assert not spec_from_text(SMALL_SPEC + bayes + 'primary = { model = "weibull" }\n'
                              ).bayes.primary.adjustment_given
    given = spec_from_text(SMALL_SPEC + bayes + 'primary = { adjustment = "ate" }\n')
    assert given.bayes.primary.adjustment_given and given.bayes.primary.adjustment == "ate"
