"""Property-based: any table or spec gives a valid cohort or one clean bayeshcc error, nothing else."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayeshcc.cohort import Cohort
from bayeshcc.errors import BayesHCCError
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame

CELL = st.one_of(st.none(), st.booleans(), st.integers(-5, 200),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                 st.sampled_from(["new", "old", "I", "II", "P001", "", "NA"]))
COLUMNS = ["pid", "arm", "os_time", "os_event", "age", "stage"]


@st.composite
def corrupted_tables(draw):
    frame = make_small_frame(n=draw(st.integers(0, 12)), seed=draw(st.integers(0, 50)))
    frame = frame.astype(object)
    for _ in range(draw(st.integers(0, 6))):
        if len(frame) == 0:
            break
        row = draw(st.integers(0, len(frame) - 1))
        column = draw(st.sampled_from(COLUMNS))
        frame.at[row, column] = draw(CELL)
    if draw(st.booleans()):
        frame = frame.drop(columns=draw(st.sampled_from(COLUMNS)))
    return frame


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_tables())
def test_any_table_gives_cohort_or_clean_error(frame):
    before = frame.copy(deep=True)
    try:
        cohort = Cohort.from_dataframe(frame, spec_from_text(SMALL_SPEC))
    except BayesHCCError as exc:
        message = str(exc)
        assert message and "\n" not in message
    else:
        assert len(cohort) > 0
        assert np.all(cohort.time("os") > 0) and set(cohort.event("os")) <= {0, 1}
        assert set(cohort.data["arm"]) == {"new", "old"}
    pd.testing.assert_frame_equal(frame, before)


SPEC_LINES = SMALL_SPEC.strip().splitlines()
TOKENS = st.sampled_from(["=", "[", "]", '"', "x", "caliper = 2", "[bayes]", "draws = -1",
                          "models = ['x']", "ratio = 0", "type = 'numeric'", "\n", "0.5", "{", "}"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SPEC_LINES) - 1), TOKENS), max_size=4))
def test_any_spec_text_gives_spec_or_clean_error(edits):
    lines = list(SPEC_LINES)
    for index, token in edits:
        lines[index] = lines[index] + token if len(token) < 3 else token
    try:
        spec = spec_from_text("\n".join(lines))
    except BayesHCCError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert spec.outcomes and spec.data.treatment
