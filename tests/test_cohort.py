"""Cohort validation: one clear error per problem, naming column, rows and fix; inputs untouched."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.errors import CohortError
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC


def test_valid_table_gives_typed_cohort(small_frame, small_spec):
    cohort = Cohort.from_dataframe(small_frame, small_spec)
    assert len(cohort) == 40
    assert cohort.treated.sum() == 20
    assert cohort.time("os").dtype == float
    assert set(cohort.event("os")) <= {0, 1}
    assert cohort.ids[0] == "P001"


def test_input_dataframe_is_not_modified(small_frame, small_spec):
    frame = small_frame.astype({"os_event": object, "age": object})
    frame.loc[3, "os_event"] = True  # a boolean event and a numeric text are accepted ...
    frame.loc[4, "age"] = "61"
    before = frame.copy(deep=True)
    Cohort.from_dataframe(frame, small_spec)
    pd.testing.assert_frame_equal(frame, before)  # ... and the caller's frame is unchanged


def test_input_file_is_not_modified(small_files, small_spec):
    data, _ = small_files
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    cohort = Cohort.from_file(data, small_spec)
    assert hashlib.sha256(data.read_bytes()).hexdigest() == digest == cohort.sha256


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_parquet_and_excel_load_like_csv(tmp_path, small_frame, small_spec, suffix):
    path = tmp_path / f"cohort{suffix}"
    if suffix == ".parquet":
        small_frame.to_parquet(path)
    else:
        small_frame.to_excel(path, index=False)
    cohort = Cohort.from_file(path, small_spec)
    np.testing.assert_allclose(cohort.time("os"), small_frame["os_time"])


def _error(frame, spec=SMALL_SPEC):
    with pytest.raises(CohortError) as info:
        Cohort.from_dataframe(frame, spec_from_text(spec))
    return str(info.value)


def test_missing_column_is_named(small_frame):
    msg = _error(small_frame.drop(columns="age"))
    assert "column 'age' named in the spec is not in the data" in msg


def test_negative_time_names_column_rows_and_fix(small_frame):
    frame = small_frame.copy()
    frame.loc[[2, 5], "os_time"] = -1.0
    msg = _error(frame)
    assert "time column 'os_time'" in msg and "P003, P006" in msg and "must be positive" in msg


def test_zero_time_is_refused(small_frame):
    frame = small_frame.copy()
    frame.loc[0, "os_time"] = 0.0
    assert "P001" in _error(frame)


def test_non_numeric_time_is_named(small_frame):
    frame = small_frame.astype({"os_time": object})
    frame.loc[4, "os_time"] = "12 months"
    msg = _error(frame)
    assert "non-numeric values ['12 months']" in msg and "P005" in msg


def test_missing_time_without_drop_option_names_the_fix(small_frame):
    frame = small_frame.copy()
    frame.loc[7, "os_time"] = np.nan
    msg = _error(frame)
    assert "column 'os_time' has missing values at rows with id P008" in msg
    assert 'missing = "drop"' in msg


def test_drop_option_drops_and_records_rows(small_frame):
    frame = small_frame.copy()
    frame.loc[7, "age"] = np.nan
    spec = spec_from_text(SMALL_SPEC.replace('reference = "old"', 'reference = "old"\nmissing = "drop"'))
    cohort = Cohort.from_dataframe(frame, spec)
    assert len(cohort) == 39 and cohort.dropped_ids == ("P008",)


def test_event_outside_zero_one_is_named(small_frame):
    frame = small_frame.copy()
    frame.loc[1, "os_event"] = 2
    msg = _error(frame)
    assert "column 'os_event' has values ['2'] at rows with id P002" in msg and "0/1" in msg


def test_boolean_events_are_accepted(small_frame, small_spec):
    frame = small_frame.assign(os_event=small_frame["os_event"].astype(bool))
    cohort = Cohort.from_dataframe(frame, small_spec)
    assert cohort.event("os").tolist() == small_frame["os_event"].tolist()


def test_third_treatment_level_is_named(small_frame):
    frame = small_frame.copy()
    frame.loc[9, "arm"] = "placebo"
    msg = _error(frame)
    assert "treatment column 'arm' has values ['placebo'] at rows with id P010" in msg
    assert "'new' (treated) and 'old' (reference)" in msg


def test_arm_without_patients_is_refused(small_frame):
    msg = _error(small_frame.assign(arm="new"))
    assert "no patient with level 'old'" in msg


def test_duplicate_ids_are_named(small_frame):
    frame = small_frame.copy()
    frame.loc[1, "pid"] = "P001"
    assert "duplicate ids ['P001']" in _error(frame)


def test_header_only_table_is_refused(small_frame):
    assert "has no rows" in _error(small_frame.iloc[:0])


def test_header_only_file_is_refused(tmp_path, small_frame, small_spec):
    path = tmp_path / "empty.csv"
    small_frame.iloc[:0].to_csv(path, index=False)
    with pytest.raises(CohortError, match="has no rows"):
        Cohort.from_file(path, small_spec)


def test_missing_data_file_is_named(tmp_path, small_spec):
    with pytest.raises(CohortError, match="data file not found: .*absent.csv"):
        Cohort.from_file(tmp_path / "absent.csv", small_spec)


@pytest.mark.parametrize("suffix", ["parquet", "xlsx"])
def test_unreadable_parquet_or_excel_is_one_clear_error(tmp_path, small_spec, suffix):
    path = tmp_path / f"broken.{suffix}"
    path.write_bytes(b"not a real file of that type")
    with pytest.raises(CohortError, match=f"cannot read .*broken.{suffix} as {suffix}") as info:
        Cohort.from_file(path, small_spec)
    assert "\n" not in str(info.value)


def test_non_numeric_covariate_is_named(small_frame):
    frame = small_frame.astype({"age": object})
    frame.loc[0, "age"] = "sixty"
    assert "covariate (covariates.age) column 'age' has non-numeric values ['sixty']" in _error(frame)


def test_undeclared_reference_level_is_named(small_frame):
    msg = _error(small_frame, SMALL_SPEC.replace('reference = "I"', 'reference = "IV"'))
    assert "covariates.stage.reference = 'IV' is not a value of column 'stage'" in msg


def test_numeric_treatment_levels_work(small_frame):
    frame = small_frame.assign(arm=np.where(small_frame["arm"] == "new", 1, 0))
    spec = spec_from_text(SMALL_SPEC.replace('treated = "new"', "treated = 1")
                          .replace('reference = "old"', "reference = 0"))
    assert Cohort.from_dataframe(frame, spec).treated.sum() == 20
