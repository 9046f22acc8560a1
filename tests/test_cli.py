"""The command line: exit status 2 and one line on stderr for bad input, never a traceback."""

import subprocess
import sys

import pytest

from bayeshcc.cli import main


def test_validate_accepts_a_valid_table(small_files, capsys):
    data, spec = small_files
    assert main(["validate", "--data", str(data), "--spec", str(spec)]) == 0
    assert "40 patients, valid" in capsys.readouterr().out


@pytest.mark.parametrize("change, message", [
    (lambda d: d.replace(",old,", ",placebo,", 1), "treatment column 'arm' has values ['placebo']"),
    (lambda d: d.replace("P002", "P001", 1), "duplicate ids ['P001']"),
    (lambda d: d.split("\n")[0] + "\n", "has no rows"),
])
def test_bad_data_gives_exit_2_and_one_line(small_files, capsys, change, message):
    data, spec = small_files
    data.write_text(change(data.read_text()))
    assert main(["validate", "--data", str(data), "--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_spec_gives_exit_2(small_files, capsys):
    data, spec = small_files
    spec.write_text(spec.read_text() + "\n[propensity2]\n")
    assert main(["validate", "--data", str(data), "--spec", str(spec)]) == 2
    assert "unknown key 'propensity2'" in capsys.readouterr().err


def test_missing_data_file_gives_exit_2(small_files, capsys):
    _, spec = small_files
    assert main(["analyze", "--data", "nowhere.csv", "--spec", str(spec), "--out", "x"]) == 2
    assert "data file not found: nowhere.csv" in capsys.readouterr().err


def test_usage_error_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--data", "a.csv"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "required" in err and err.count("\n") == 1


def test_invalid_draws_option_exit_2(small_files, tmp_path, capsys):
    data, spec = small_files
    code = main(["analyze", "--data", str(data), "--spec", str(spec), "--out",
                 str(tmp_path / "o"), "--draws", "3"])
    assert code == 2 and "--draws must be at least 10" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_installed_command_reports_errors_without_traceback(small_files):
    data, spec = small_files
    data.write_text(data.read_text().replace(",old,", ",placebo,", 1))
    run = subprocess.run([sys.executable, "-m", "bayeshcc.cli", "validate", "--data", str(data),
                          "--spec", str(spec)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.startswith("bayeshcc: error: ") and "Traceback" not in run.stderr
