"""The spec's words for a cohort: time units from a fixed vocabulary, a display unit, horizons
with a unit, arm labels and level labels; one clear error naming the key for each refusal."""

import pytest

from bayeshcc.errors import CohortError, SpecError
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame


def with_data(*lines: str) -> str:
    """SMALL_SPEC with ``lines`` added to its [data] table."""
    return SMALL_SPEC.replace('reference = "old"\n', 'reference = "old"\n' + "\n".join(lines) + "\n", 1)


CODED = """
[data]
treatment = "hormon"
treated = 1
reference = 0
time_unit = "days"
{extra}

[outcomes.rfs]
time = "rfs_days"
event = "rfs_event"

[covariates]
menopause = {{ type = "categorical", reference = 0 }}
{tail}
"""


def coded(extra: str = "", tail: str = "") -> str:
    return CODED.format(extra=extra, tail=tail)


def test_a_time_unit_outside_the_vocabulary_names_the_key_and_the_allowed_units():
    with pytest.raises(SpecError, match=r"^<text>: data\.time_unit = 'fortnights' is not one "
                                        r"of: days, weeks, months, years$"):
        spec_from_text(with_data('time_unit = "fortnights"'))


def test_a_display_unit_outside_the_vocabulary_is_refused_the_same_way():
    with pytest.raises(SpecError, match=r"data\.display_unit = 'decades' is not one of: days, "):
        spec_from_text(with_data('time_unit = "days"', 'display_unit = "decades"'))


def test_a_display_unit_needs_the_data_time_unit_to_convert_from():
    with pytest.raises(SpecError, match=r"data\.display_unit = 'years' needs data\.time_unit"):
        spec_from_text(with_data('display_unit = "years"'))


def test_the_display_unit_defaults_to_the_time_unit():
    data = spec_from_text(with_data('time_unit = "months"')).data
    assert (data.time_unit, data.display_unit, data.shown_unit) == ("months", "", "months")
    assert data.time_axis() == (1.0, "Time (months)")


def test_days_shown_in_years_scale_the_figures_time_axis():
    data = spec_from_text(with_data('time_unit = "days"', 'display_unit = "years"')).data
    assert data.time_axis() == (1 / 365.25, "Time (years)")


def test_a_horizon_with_a_unit_is_converted_to_the_datas_unit():
    spec = spec_from_text(coded(tail='[rmst]\ntau = "5 years"\n[km]\nlandmarks = ["6 months", '
                                     '"1 year", 730]'))
    assert spec.rmst_tau == 5 * 365.25
    assert spec.km.landmarks == (365.25 / 2, 365.25, 730.0)


def test_a_horizon_with_a_unit_needs_the_data_time_unit():
    with pytest.raises(SpecError, match=r"rmst\.tau = '5 years' gives a unit; set "
                                        r"data\.time_unit"):
        spec_from_text(SMALL_SPEC + '\n[rmst]\ntau = "5 years"\n')


def test_a_horizon_in_an_unknown_unit_names_the_key():
    with pytest.raises(SpecError, match=r"rmst\.tau = '2 fortnights' is not a positive number "
                                        r"followed by a unit \(days, weeks, months, years\)"):
        spec_from_text(coded(tail='[rmst]\ntau = "2 fortnights"'))


def test_arm_labels_are_keyed_by_the_arms_codes():
    spec = spec_from_text(coded('labels = { 1 = "Hormonal therapy", 0 = "No hormonal therapy" }'))
    assert spec.data.arm_names() == ("Hormonal therapy", "No hormonal therapy")


def test_an_arm_without_a_label_keeps_its_code_as_its_name():
    spec = spec_from_text(coded('labels = { 1 = "Hormonal therapy" }'))
    assert spec.data.arm_names() == ("Hormonal therapy", "0")


def test_a_label_for_a_code_that_is_not_an_arm_names_the_key_and_the_code():
    with pytest.raises(SpecError, match=r"data\.labels names arm code '2', which is not an arm "
                                        r"of the data: data\.treated = 1, data\.reference = 0"):
        spec_from_text(coded('labels = { 1 = "Hormonal therapy", 2 = "Placebo" }'))


def test_an_empty_label_names_the_key():
    with pytest.raises(SpecError, match=r"data\.labels gives code '1' the label ''"):
        spec_from_text(coded('labels = { 1 = "" }'))


def test_level_labels_are_read_per_covariate():
    spec = spec_from_text(coded(tail='[data.levels]\nmenopause = { 0 = "pre", 1 = "post" }'))
    assert spec.data.levels == {"menopause": {"0": "pre", "1": "post"}}


def test_level_labels_of_an_undeclared_covariate_name_it():
    with pytest.raises(SpecError, match=r"data\.levels names 'stage', which is not declared in "
                                        r"\[covariates\]"):
        spec_from_text(coded(tail='[data.levels]\nstage = { 1 = "I" }'))


def test_a_level_label_for_a_code_the_column_lacks_names_the_key_and_the_code(small_frame):
    from bayeshcc.cohort import Cohort

    spec = spec_from_text(SMALL_SPEC.replace('stage = { type = "categorical", reference = "I" }',
                                             'stage = { type = "categorical", reference = "I" }\n'
                                             '[data.levels]\nstage = { I = "early", IV = "late" }'))
    with pytest.raises(CohortError, match=r"data\.levels\.stage names code 'IV', which column "
                                          r"'stage' does not hold"):
        Cohort.from_dataframe(make_small_frame(), spec)


def test_a_given_clinical_hr_is_one_of_the_reported_thresholds():
    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\nclinical_hr = 0.75\nthresholds = [0.5]\n")
    assert spec.bayes.thresholds == (0.5, 0.75)


def test_the_default_clinical_hr_adds_no_threshold():
    assert spec_from_text(SMALL_SPEC).bayes.thresholds == ()
