"""``bh.fit`` and ``bh.analyze`` errors name their own arguments, not the spec keys or the
command-line flags behind them (issue #26: "bh.fit errors mention CLI flags and spec keys it does
not accept")."""

from __future__ import annotations

import numpy as np
import pytest

import bayeshcc as bh
from bayeshcc.errors import CohortError, SpecError
from bayeshcc.pipeline import OptionError
from tests.conftest import SMALL_SPEC, make_small_frame

FAST = dict(draws=20, tune=20, chains=1)


def _fit(df=None, **kwargs):
    df = make_small_frame(60) if df is None else df
    return bh.fit(df, "os_time", "os_event", "arm", "new", **{**FAST, **kwargs})


def test_too_few_draws_names_the_draws_argument():
    # before: "bh.fit: bayes.draws must be a whole number >= 10, got 5"
    with pytest.raises(SpecError, match=r"^bh\.fit: draws must be a whole number >= 10, got 5$"):
        _fit(draws=5)


def test_a_custom_prior_with_a_missing_key_names_the_prior_argument():
    # before: "[priors.custom] needs 'log_hr_sd'", a table bh.fit's user never wrote
    with pytest.raises(SpecError, match=r"prior= needs 'log_hr_sd'") as info:
        _fit(prior={"type": "normal", "log_hr_mean": 0.0})
    assert "[priors" not in str(info.value)


def test_a_propensity_setting_out_of_range_is_named_as_the_mapping_key():
    with pytest.raises(SpecError, match=r"propensity\['caliper'\] must be a positive number"):
        _fit(adjustment="matched", covariates=["age"], propensity={"caliper": -1})


def test_missing_covariate_values_suggest_what_bh_fit_can_do_not_a_spec_key():
    df = make_small_frame(60)
    df.loc[4, "age"] = np.nan
    with pytest.raises(CohortError, match=r"drop those rows from df") as info:
        _fit(df, adjustment="ate", covariates=["age"])
    assert "[data]" not in str(info.value) and "missing =" not in str(info.value)


def test_an_invalid_event_value_names_the_event_argument():
    df = make_small_frame(60)
    df.loc[3, "os_event"] = 2
    with pytest.raises(CohortError, match=r"^bh\.fit: event= column 'os_event' has values"):
        _fit(df)


def test_bh_analyze_names_its_draws_argument_not_the_command_line_flag():
    # before: "--draws must be at least 10, got 3"
    with pytest.raises(OptionError, match=r"^bh\.analyze: draws must be at least 10, got 3$"):
        bh.analyze(make_small_frame(60), SMALL_SPEC, draws=3)
