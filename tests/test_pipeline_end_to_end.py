"""End to end: a results folder with the contract's files, deterministic, inputs untouched."""

import hashlib
import json

import pandas as pd
import pytest

from bayeshcc.cli import main
from bayeshcc.pipeline import RunOptions, run_analysis
from bayeshcc.cohort import Cohort
from bayeshcc.spec import spec_from_text

from tests.conftest import SMALL_SPEC, make_small_frame

CONTRACT = {  # docs/architecture.md, results folder contract
    "survival": ["cohort", "outcome", "arm", "n", "events", "median", "median_lower",
                 "median_upper", "logrank_chisq", "logrank_p"],
    "cox": ["cohort", "outcome", "model", "term", "coef", "se", "hr", "hr_lower", "hr_upper", "p"],
    "rmst": ["cohort", "outcome", "tau", "arm", "rmst", "rmst_se", "difference",
             "difference_lower", "difference_upper"],
}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "results"
    cohort = Cohort.from_dataframe(make_small_frame(), spec_from_text(SMALL_SPEC))
    run_analysis(cohort, out, options=RunOptions(bayes=False))
    return out


def test_results_folder_has_manifest_tables_figures_report(small_run):
    assert (small_run / "manifest.json").is_file() and (small_run / "report.html").is_file()
    assert (small_run / "figures" / "km_os_unadjusted.png").is_file()
    for table, columns in CONTRACT.items():
        frame = pd.read_csv(small_run / "tables" / f"{table}.csv")
        assert set(columns) <= set(frame.columns), table


def test_manifest_records_versions_seed_hashes_and_timings(small_run):
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["versions"]["numpy"] and manifest["seed"] == 20241
    assert set(manifest["timings_seconds"]) >= {"adjustment", "frequentist", "report"}
    assert "tables/survival.csv" in manifest["files"]


def test_same_input_gives_byte_identical_tables(small_run, tmp_path):
    cohort = Cohort.from_dataframe(make_small_frame(), spec_from_text(SMALL_SPEC))
    again = run_analysis(cohort, tmp_path / "again", options=RunOptions(bayes=False))
    for path in sorted((small_run / "tables").glob("*.csv")):
        assert (again / "tables" / path.name).read_bytes() == path.read_bytes(), path.name


def test_analyze_command_writes_folder_and_leaves_inputs_unchanged(small_files, tmp_path):
    data, spec = small_files
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (data, spec)}
    out = tmp_path / "cli_out"
    assert main(["analyze", "--data", str(data), "--spec", str(spec), "--out", str(out),
                 "--no-bayes", "--quiet"]) == 0
    assert (out / "tables" / "survival.csv").is_file()
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (data, spec)} == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["data"]["sha256"] == before[data]
    assert manifest["inputs"]["spec"]["sha256"] == before[spec]


def test_analyze_refuses_existing_results_without_force(small_files, tmp_path, capsys):
    data, spec = small_files
    out = tmp_path / "existing"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    code = main(["analyze", "--data", str(data), "--spec", str(spec), "--out", str(out), "--no-bayes"])
    assert code == 2 and "already exists and is not empty; pass --force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["old.txt"]
