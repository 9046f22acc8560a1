"""Edge cases run or refuse with one clear message, and a refusal writes nothing."""

import numpy as np

from bayeshcc.cli import main

from tests.conftest import SMALL_SPEC, make_small_frame


def _analyze(tmp_path, frame, spec=SMALL_SPEC, *extra):
    data, spec_path, out = tmp_path / "d.csv", tmp_path / "s.toml", tmp_path / "out"
    frame.to_csv(data, index=False)
    spec_path.write_text(spec)
    code = main(["analyze", "--data", str(data), "--spec", str(spec_path), "--out", str(out),
                 "--quiet", "--no-bayes", *extra])
    return code, out


def test_all_patients_censored_is_refused_without_writing(tmp_path, capsys):
    code, out = _analyze(tmp_path, make_small_frame().assign(os_event=0))
    err = capsys.readouterr().err
    assert code == 2 and "no events" in err and err.count("\n") == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_no_events_in_one_arm_is_refused_naming_the_treatment_term(tmp_path, capsys):
    frame = make_small_frame()
    frame.loc[frame["arm"] == "new", "os_event"] = 0
    code, out = _analyze(tmp_path, frame)
    err = capsys.readouterr().err
    assert code == 2 and "'treatment'" in err and "infinite" in err and not out.exists()


def test_covariate_that_separates_treatment_is_named(tmp_path, capsys):
    frame = make_small_frame()
    frame["age"] = np.where(frame["arm"] == "new", 70, 40) + np.arange(len(frame)) % 3
    code, out = _analyze(tmp_path, frame)
    err = capsys.readouterr().err
    assert code == 2 and "age" in err and "separat" in err and not out.exists()


def test_no_pairs_within_caliper_runs_without_a_matched_cohort_and_says_so(tmp_path):
    import json

    import pandas as pd

    frame = make_small_frame(n=60)
    frame["age"] = frame["age"] + np.random.default_rng(1).uniform(0, 1, len(frame))
    spec = SMALL_SPEC.replace('[propensity]\ncovariates = ["age", "stage"]',
                              '[propensity]\ncovariates = ["age", "stage"]\ncaliper = 1e-9')
    code, out = _analyze(tmp_path, frame, spec)
    assert code == 0
    warnings = json.loads((out / "manifest.json").read_text())["warnings"]
    assert any("no matched cohort" in w for w in warnings)
    assert "matched" not in set(pd.read_csv(out / "tables" / "survival.csv")["cohort"])
