"""The report's words for a cohort, read from the spec the manifest records."""

from bayeshcc.report.wording import Wording, readable

MANIFEST = {"spec": {"data": {"treated": 1, "reference": 0, "time_unit": "days",
                              "display_unit": "years",
                              "labels": {"1": "Hormonal therapy", "0": "No hormonal therapy"},
                              "levels": {"menopause": {"0": "pre", "1": "post"}}}}}


def test_arms_are_named_by_their_labels_whatever_the_codes_type():
    words = Wording.from_manifest(MANIFEST)
    assert (words.treated, words.reference) == ("Hormonal therapy", "No hormonal therapy")
    assert [words.arm(c) for c in (1, "1", 1.0, 0, "difference")] == [
        "Hormonal therapy", "Hormonal therapy", "Hormonal therapy", "No hormonal therapy",
        "difference"]


def test_a_level_is_named_by_its_label_or_its_code_never_empty():
    words = Wording.from_manifest(MANIFEST)
    assert words.level("menopause", 0.0) == "pre" and words.level("other", 0) == "0"
    assert words.level("age", float("nan")) == ""


def test_times_of_the_tables_are_shown_in_the_display_unit():
    words = Wording.from_manifest(MANIFEST)
    assert words.converts and words.duration(578.3) == "1.6 years"
    assert words.horizon(1826.25) == "5 years" and words.axis_label() == "Time (years)"
    assert "1 year = 365.25 days = 12 months" in words.unit_note()


def test_without_a_display_unit_times_are_shown_as_the_data_has_them():
    words = Wording.from_manifest({"spec": {"data": {"treated": "a", "reference": "b",
                                                     "time_unit": "months"}}})
    assert not words.converts and words.unit_note() == ""
    assert words.duration(4.27) == "4.3 months" and words.shown(4.27) == 4.27


def test_without_a_unit_times_are_time_units():
    assert Wording().duration(4.27) == "4.3 time units"


def test_built_in_names_read_as_words_and_the_specs_own_names_as_written():
    assert [readable(n) for n in ("weakly_informative", "weibull", "overlap", "persano_half")] == [
        "weakly informative", "Weibull", "overlap-weighted", "persano_half"]
