"""A ``[priors.NAME] type = "curve"`` table: read from the spec, bad input refused with the key
or path named."""

from __future__ import annotations

import pandas as pd
import pytest

from bayeshcc.bayes.commensurate import CurvePrior
from bayeshcc.bayes.priors import resolve_prior
from bayeshcc.errors import SpecError
from bayeshcc.spec import load_spec

from tests.conftest import SMALL_SPEC  # reference arm "old", treated "new"


def write_spec(folder, table: str):
    """The small spec plus a curve prior, written to ``folder``; returns its path."""
    path = folder / "spec.toml"
    path.write_text(SMALL_SPEC + "\n[priors.curve]\ntype = \"curve\"\n" + table
                    + "\n[bayes]\npriors = [\"curve\"]\n", encoding="utf-8")
    return path


@pytest.fixture
def ipd(tmp_path):
    """A reconstructed IPD file with arms old and other, in a subfolder of the spec's."""
    (tmp_path / "external").mkdir()
    path = tmp_path / "external" / "ipd.csv"
    pd.DataFrame({"arm": ["old"] * 4 + ["other"] * 2,
                  "time": [1.0, 2.5, 3.0, 0.0, 1.5, 2.0],
                  "event": [1, 0, 1, 1, 1, 0]}).to_csv(path, index=False)
    return path


def test_ipd_path_is_relative_to_the_spec_file(tmp_path, ipd, monkeypatch):
    monkeypatch.chdir(ipd.parent)  # not the spec's folder
    spec = load_spec(write_spec(tmp_path, 'ipd = "external/ipd.csv"\narm = "old"\ndiscount = 0.4'))
    prior = resolve_prior("curve", spec.priors)
    assert isinstance(prior, CurvePrior) and prior.discount == 0.4
    assert prior.external_time.size == 4 and prior.external_event.sum() == 3
    assert prior.external_time.min() > 0  # a reconstructed time 0 cannot enter the likelihood
    assert (prior.log_hr_mean, prior.log_hr_sd) == (0.0, 1.0)  # weakly informative by default


def test_arm_other_than_the_reference_arm_is_refused(tmp_path, ipd):
    with pytest.raises(SpecError, match=r"priors\.curve\.arm = 'other'.*'old' \(data\.reference\)"):
        load_spec(write_spec(tmp_path, 'ipd = "external/ipd.csv"\narm = "other"'))


def test_file_without_the_arm_is_refused(tmp_path):
    pd.DataFrame({"arm": ["B", "C"], "time": [1.0, 2.0], "event": [1, 0]}).to_csv(
        tmp_path / "ipd.csv", index=False)
    with pytest.raises(SpecError, match=r"priors\.curve\.arm = 'old'.*no rows.*arms: B, C"):
        load_spec(write_spec(tmp_path, 'ipd = "ipd.csv"\narm = "old"'))


def test_missing_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(SpecError, match=r"priors\.curve\.ipd: file not found: .*nowhere\.csv"):
        load_spec(write_spec(tmp_path, 'ipd = "nowhere.csv"\narm = "old"'))


@pytest.mark.parametrize("discount", ["0", "1.5", "-0.2"])
def test_discount_outside_zero_one_is_refused(tmp_path, ipd, discount):
    with pytest.raises(SpecError, match=r"priors\.curve\.discount must be in \(0, 1\]"):
        load_spec(write_spec(tmp_path, f'ipd = "external/ipd.csv"\narm = "old"\n'
                                       f"discount = {discount}"))


def test_unknown_key_is_refused(tmp_path, ipd):
    with pytest.raises(SpecError, match=r"unknown key 'hr' in \[priors\.curve\]"):
        load_spec(write_spec(tmp_path, 'ipd = "external/ipd.csv"\narm = "old"\nhr = 0.5'))
