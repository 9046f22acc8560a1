"""The spec's typed structure (issue #24): every problem at once, with key paths; a JSON Schema
that editors use, valid for the reference spec."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

from bayeshcc.errors import SpecError
from bayeshcc.spec import spec_from_text
from bayeshcc.spec_schema import json_schema
from tests.conftest import SMALL_SPEC

ROOT = Path(__file__).resolve().parents[1]


def test_three_errors_are_reported_together_with_their_key_paths():
    text = (SMALL_SPEC.replace("[propensity]", "[propensity]\ncaliperr = 0.2")
            + "\n[km]\nconf_type = 'logit'\n[bayes]\ndraws = 5\n")
    with pytest.raises(SpecError) as caught:
        spec_from_text(text)
    message = str(caught.value)
    assert message.startswith("<text>: 3 problems: (1) ")
    assert "unknown key 'caliperr' in [propensity]; valid keys are: covariates, caliper" in message
    assert "km.conf_type = 'logit' is not one of: log, log-log, plain" in message
    assert "bayes.draws must be a whole number >= 10, got 5" in message
    assert "\n" not in message  # one line, as every error of the command


def test_a_prior_is_checked_against_the_keys_of_its_own_type():
    text = SMALL_SPEC + "\n[priors.ext]\ntype = 'external'\nhr = 0.5\nlower = 0.3\nupper = 0.9\nweight = 0.8\n"
    with pytest.raises(SpecError, match=r"unknown key 'weight' in \[priors\.ext\]; valid keys are: "
                       r"description, outcomes, type, hr, lower, upper, discount"):
        spec_from_text(text)


def test_an_unknown_prior_type_lists_the_types():
    with pytest.raises(SpecError, match=r"priors\.p\.type = 'gamma' is not one of: curve, "
                       r"external, normal, robust"):
        spec_from_text(SMALL_SPEC + "\n[priors.p]\ntype = 'gamma'\n")


def test_the_json_schema_accepts_the_reference_spec_and_refuses_an_unknown_key():
    schema = json_schema()
    paper = tomllib.loads((ROOT / "models" / "paper.toml").read_text(encoding="utf-8"))
    jsonschema.validate(paper, schema)
    paper["bayes"]["drawz"] = 1000
    with pytest.raises(jsonschema.ValidationError, match="drawz"):
        jsonschema.validate(paper, schema)


def test_the_command_prints_the_schema():
    run = subprocess.run([sys.executable, "-m", "bayeshcc.cli", "schema"], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    assert json.loads(run.stdout)["title"] == "bayeshcc analysis spec"


def test_the_values_of_priors_are_checked_with_the_structure_all_at_once():
    """An interval that misses its HR, a discount above 1 and a robust weight of 1 are three
    problems of one message, each at its key path, found before any prior is built."""
    text = (SMALL_SPEC
            + "\n[priors.a]\ntype = 'external'\nhr = 0.5\nlower = 0.6\nupper = 0.9\n"
            + "\n[priors.b]\ntype = 'external'\nhr = 0.5\nlower = 0.3\nupper = 0.9\ndiscount = 1.5\n"
            + "\n[priors.c]\ntype = 'robust'\nhr = 0.5\nlower = 0.3\nupper = 0.9\nweight = 1\n")
    with pytest.raises(SpecError) as caught:
        spec_from_text(text)
    message = str(caught.value)
    assert message.startswith("<text>: 3 problems: (1) ")
    assert ("priors.a needs lower < hr < upper (the interval must contain its hr), got hr=0.5, "
            "lower=0.6, upper=0.9") in message
    assert "priors.b.discount must be in (0, 1] (the power prior's a0), got 1.5" in message
    assert "priors.c.weight must be in (0, 1) (the informative component's share), got 1" in message


def test_a_curve_prior_names_one_log_hr_prior_from_the_built_in_ones():
    text = (SMALL_SPEC + "\n[priors.k]\ntype = 'curve'\nipd = 'x.csv'\narm = 'old'\n"
            "log_hr = 'optimistic'\n")
    with pytest.raises(SpecError, match=r"priors\.k\.log_hr = 'optimistic' is not a built-in "
                       r"prior: vague, weakly_informative, skeptical, enthusiastic"):
        spec_from_text(text)
    both = (SMALL_SPEC + "\n[priors.k]\ntype = 'curve'\nipd = 'x.csv'\narm = 'old'\n"
            "log_hr = 'vague'\nlog_hr_sd = 1.0\n")
    with pytest.raises(SpecError, match=r"priors\.k gives either 'log_hr' \(a built-in prior\) "
                       r"or 'log_hr_mean' / 'log_hr_sd', not both"):
        spec_from_text(both)
