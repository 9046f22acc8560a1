"""Inputs the reconstruction refuses: one CohortError naming the file, column and row.

Rows are named by their line in the CSV file (the header is line 1).
"""

from __future__ import annotations

import pandas as pd
import pytest

from bayeshcc.errors import CohortError
from bayeshcc.reconstruct import read_curve_csv, reconstruct_ipd

CURVE = pd.DataFrame({"arm": ["A"] * 4 + ["B"] * 4,
                      "time": [0.0, 2.0, 5.0, 10.0] * 2,
                      "survival": [1.0, 0.9, 0.7, 0.5, 1.0, 0.8, 0.6, 0.4]})
AT_RISK = pd.DataFrame({"arm": ["A", "A", "B", "B"], "time": [0, 5, 0, 5],
                        "n_risk": [50, 30, 50, 25]})


def _write(tmp_path, name: str, frame: pd.DataFrame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_good_input_reconstructs(tmp_path):
    """The tables below are valid as given: 50 patients per arm."""
    rec = reconstruct_ipd(_write(tmp_path, "curve.csv", CURVE),
                          _write(tmp_path, "at_risk.csv", AT_RISK))
    assert rec.ipd.groupby("arm").size().to_dict() == {"A": 50, "B": 50}


def test_arm_missing_from_at_risk(tmp_path):
    """Arm B digitised but absent from the at-risk file: names that file and the arm."""
    risk = _write(tmp_path, "at_risk.csv", AT_RISK[AT_RISK["arm"] == "A"])
    with pytest.raises(CohortError, match=r"at_risk\.csv: column 'arm' has no row for arm B"):
        reconstruct_ipd(_write(tmp_path, "curve.csv", CURVE), risk)


def test_negative_time_beyond_tolerance(tmp_path):
    """Time -1 with largest time 10 is beyond 0.02 x 10: names column and row."""
    curve = CURVE.copy()
    curve.loc[2, "time"] = -1.0
    path = _write(tmp_path, "curve.csv", curve)
    with pytest.raises(CohortError, match=r"curve\.csv: column 'time' line 4 is -1") as info:
        reconstruct_ipd(path, _write(tmp_path, "at_risk.csv", AT_RISK))
    assert "\n" not in str(info.value)


def test_small_negative_time_is_set_to_zero():
    """Time -0.1 (within 0.02 x 10) is digitising noise: read as 0, no error."""
    curve = CURVE.copy()
    curve.loc[0, "time"] = -0.1
    rec = reconstruct_ipd(curve, AT_RISK)
    assert rec.digitized["time"].min() == 0


def test_survival_above_one_beyond_tolerance(tmp_path):
    """Survival 1.3 in a 0-1 curve is refused (only a largest value > 1.5 is read as
    percent, so 1.3 stays a fraction and lies 0.3 above 1)."""
    curve = CURVE.copy()
    curve.loc[1, "survival"] = 1.3
    path = _write(tmp_path, "curve.csv", curve)
    with pytest.raises(CohortError, match=r"curve\.csv: column 'survival' line 3 is 1\.3"):
        reconstruct_ipd(path, _write(tmp_path, "at_risk.csv", AT_RISK))


def test_percent_survival_is_read_as_fraction():
    """A curve in percent (largest value 100 > 1.5) is divided by 100."""
    curve = CURVE.assign(survival=CURVE["survival"] * 100)
    rec = reconstruct_ipd(curve, AT_RISK)
    assert rec.digitized["survival"].max() == pytest.approx(1.0)


def test_numbers_at_risk_increase(tmp_path):
    """n_risk 50 at time 0 then 60 at time 5: names the file, column and row."""
    risk = AT_RISK.copy()
    risk.loc[1, "n_risk"] = 60
    path = _write(tmp_path, "at_risk.csv", risk)
    with pytest.raises(CohortError, match=r"at_risk\.csv: column 'n_risk' line 3 rises"):
        reconstruct_ipd(_write(tmp_path, "curve.csv", CURVE), path)


def test_missing_column(tmp_path):
    """A curve file without 'survival' is refused by name, from the reader too."""
    path = _write(tmp_path, "curve.csv", CURVE.rename(columns={"survival": "surv"}))
    with pytest.raises(CohortError, match=r"curve\.csv: column 'survival' is missing"):
        read_curve_csv(path)
    with pytest.raises(CohortError, match=r"curve\.csv: column 'survival' is missing"):
        reconstruct_ipd(path, _write(tmp_path, "at_risk.csv", AT_RISK))
