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
