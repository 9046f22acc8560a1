"""``bayeshcc export``: a shareable copy of a results folder holds no patient-level data (issue #26).

The cohort is real-shaped (ids, times in days, a continuous and a 0/1 covariate) and its values
are unmistakable: ids ``QX...``, times and ages with four non-zero decimals, so that any of them
found in a shared file was copied from the input, not produced by rounding.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayeshcc.cli import main
from bayeshcc.export import ExportError, export_results, km_on_grid, round_significant

N = 150
SPEC = """
[data]
id = "patient_code"
treatment = "therapy"
treated = 1
reference = 0
time_unit = "days"

[outcomes.rfs]
time = "rfs_days"
event = "recurrence"

[covariates]
age = "numeric"
menopause = "categorical"

[propensity]
covariates = ["age", "menopause"]

[cox]
covariates = ["age", "menopause"]

[bayes]
models = ["weibull"]
adjustments = ["none", "ate", "matched"]
priors = ["vague"]
draws = 150
tune = 150
chains = 2
"""


def _four_decimals(rng, whole: np.ndarray) -> np.ndarray:
    """``whole`` plus four decimals none of which is 0 (so that '%.4f' is the value's text)."""
    digits = rng.integers(1, 10, size=(whole.size, 4))
    return whole + (digits * [1e-1, 1e-2, 1e-3, 1e-4]).sum(axis=1)


def _cohort(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = _four_decimals(rng, rng.integers(35, 80, N).astype(float))
    menopause = (age > 52).astype(int) ^ (rng.random(N) < 0.2)
    therapy = (rng.random(N) < 1 / (1 + np.exp(-(age - 55) / 10))).astype(int)
    latent = rng.exponential(900 * np.exp(0.4 * therapy), N)
    censor = rng.uniform(200, 1900, N)
    days = _four_decimals(rng, np.floor(np.minimum(latent, censor)) + 1)
    letters = rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), size=(N, 6))
    return pd.DataFrame({"patient_code": ["QX" + "".join(row) for row in letters],
                         "therapy": therapy, "rfs_days": days,
                         "recurrence": (latent <= censor).astype(int), "age": age,
                         "menopause": menopause})


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The cohort, its results folder and the shared copy (one analysis for the module)."""
    from bayeshcc.cohort import Cohort
    from bayeshcc.pipeline import RunOptions, run_analysis
    from bayeshcc.spec import spec_from_text

    folder = tmp_path_factory.mktemp("export")
    frame = _cohort()
    results = run_analysis(Cohort.from_dataframe(frame, spec_from_text(SPEC)),
                           folder / "results", options=RunOptions(quiet=True))
    shared = export_results(results, folder / "shared")
    return frame, results, shared


def _text_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".md",
                                                                          ".html")]


def test_the_results_folder_itself_holds_the_patient_data_the_share_must_not(analysed):
    # what the test looks for is really there before the export (else it would find nothing)
    frame, results, _ = analysed
    texts = "".join(p.read_text(encoding="utf-8") for p in _text_files(results))
    assert frame["patient_code"].iloc[0] in texts or "QX" in (results / "tables" / "matches.csv").read_text()
    assert any(f"{t:.4f}" in texts for t in frame["rfs_days"])  # km_curves.csv steps
    tree = xr.open_datatree(results / "posterior" / "rfs_weibull_vague_none.nc")
    assert "observed_data" in tree.children


def test_no_id_time_or_covariate_value_of_the_input_is_in_any_shared_text_file(analysed):
    frame, _, shared = analysed
    values = ([str(v) for v in frame["patient_code"]]
              + [f"{v:.4f}" for v in frame["rfs_days"]] + [f"{v:.4f}" for v in frame["age"]])
    pattern = re.compile("|".join(re.escape(v) for v in values))
    found = {str(path.relative_to(shared)): sorted(set(pattern.findall(path.read_text("utf-8"))))
             for path in _text_files(shared)}
    assert {k: v for k, v in found.items() if v} == {}


def test_no_shared_posterior_holds_a_per_patient_array_or_an_input_time(analysed):
    frame, results, shared = analysed
    times = frame["rfs_days"].to_numpy()
    files = sorted((shared / "posterior").glob("*.nc"))
    assert [p.name for p in files] == sorted(p.name for p in (results / "posterior").glob("*.nc"))
    for path in files:
        tree = xr.open_datatree(path)
        assert set(tree.children) >= {"posterior", "sample_stats"}
        for name, node in tree.children.items():
            ds = node.to_dataset()
            assert "patient" not in ds.sizes, f"{path.name}/{name}"
            for var in ds.data_vars:
                values = np.asarray(ds[var].values, dtype=float).ravel() \
                    if ds[var].dtype.kind in "fiu" else np.array([])
                assert not np.isin(values, times).any(), f"{path.name}/{name}/{var}"


def test_the_posterior_draws_are_shared_unchanged(analysed):
    _, results, shared = analysed
    name = "rfs_weibull_vague_ate.nc"
    before = xr.open_datatree(results / "posterior" / name)["posterior"]["log_hr"].values
    after = xr.open_datatree(shared / "posterior" / name)["posterior"]["log_hr"].values
    np.testing.assert_array_equal(after, before)


def test_tables_without_patient_values_are_shared_as_they_are(analysed):
    _, results, shared = analysed
    for name in ("posterior_hr", "cox", "balance", "rmst"):
        before = pd.read_csv(results / "tables" / f"{name}.csv")
        after = pd.read_csv(shared / "tables" / f"{name}.csv")
        if name == "rmst":  # its horizon is the shorter arm's largest time: a patient's
            np.testing.assert_allclose(after.pop("tau"), round_significant(before.pop("tau")))
        pd.testing.assert_frame_equal(after, before, check_dtype=False)


def test_the_model_fit_table_is_shared_with_its_time_of_largest_gap_rounded(analysed):
    # the time of the largest gap is an arm's event time: a patient's, rounded like a median
    _, results, shared = analysed
    before = pd.read_csv(results / "tables" / "model_fit.csv")
    after = pd.read_csv(shared / "tables" / "model_fit.csv")
    assert len(before) and list(after.columns) == list(before.columns)
    np.testing.assert_allclose(after["statistic"], before["statistic"])
    np.testing.assert_allclose(after["time_of_max_gap"],
                               round_significant(before["time_of_max_gap"], 3))


def test_matched_pairs_are_left_out_and_the_share_says_so(analysed):
    _, results, shared = analysed
    assert (results / "tables" / "matches.csv").is_file()
    assert not (shared / "tables" / "matches.csv").exists()
    note = (shared / "SHARED.md").read_text(encoding="utf-8")
    assert "`tables/matches.csv`: left out (one row per patient)" in note


def test_kaplan_meier_medians_are_rounded_to_three_significant_digits(analysed):
    _, results, shared = analysed
    before = pd.read_csv(results / "tables" / "survival.csv")
    after = pd.read_csv(shared / "tables" / "survival.csv")
    np.testing.assert_allclose(after["median"], round_significant(before["median"], 3))
    np.testing.assert_allclose(after["logrank_chisq"], before["logrank_chisq"])


def test_the_shared_report_is_built_and_names_the_suppression(analysed):
    _, _, shared = analysed
    html = (shared / "report.html").read_text(encoding="utf-8")
    assert "<html" in html.lower()
    manifest = json.loads((shared / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shared"]["min_count"] == 5
    assert "path" not in manifest["inputs"]["data"] and "sha256" in manifest["inputs"]["data"]


def test_small_counts_are_suppressed():
    from bayeshcc.export import _shared_table

    table = pd.DataFrame({"adverse_event": ["rash", "fever"], "n_treated": [3, 12],
                          "pct_treated": [0.03, 0.12]})
    shared = _shared_table("safety", table, min_count=5)
    assert shared["n_treated"].tolist() == ["<5", 12]
    assert shared["pct_treated"].tolist() == ["suppressed", 0.12]


def test_a_kaplan_meier_curve_on_the_grid_is_the_step_function_of_its_steps():
    km = pd.DataFrame({"cohort": "unadjusted", "outcome": "os", "arm": "a",
                       "time": [1.2345, 2.5, 7.75], "n_risk": [10.0, 9.0, 4.0],
                       "n_event": [1.0, 1.0, 1.0], "n_censor": 0.0,
                       "survival": [0.9, 0.8, 0.6], "lower": [0.7, 0.6, 0.3],
                       "upper": [1.0, 1.0, 0.9]})
    grid = km_on_grid(km, points=9)  # 0, 1, ..., 8 (7.75 rounds up to 7.8, ceiling 8)
    assert grid["time"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert grid["survival"].tolist() == [1.0, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.6]
    assert grid["n_risk"].tolist()[:3] == [10.0, 10.0, 9.0]
    assert "n_event" not in grid and "n_censor" not in grid


def test_a_folder_that_is_not_a_results_folder_is_refused(tmp_path):
    with pytest.raises(ExportError, match="not a bayeshcc results folder"):
        export_results(tmp_path, tmp_path / "share")


def test_the_command_refuses_an_existing_share_without_force(analysed, capsys):
    _, results, shared = analysed
    assert main(["export", str(results), "--out", str(shared)]) == 2
    assert "--force" in capsys.readouterr().err


def test_the_command_writes_the_share_and_says_where(analysed, tmp_path):
    _, results, _ = analysed
    run = subprocess.run([sys.executable, "-m", "bayeshcc", "export", str(results), "--out",
                          str(tmp_path / "share"), "--min-count", "10"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "shareable copy written to" in run.stdout
    assert json.loads((tmp_path / "share" / "manifest.json").read_text())["shared"][
        "min_count"] == 10
