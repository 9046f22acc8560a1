"""`bayeshcc reconstruct`: files in, IPD and a spec out, usable by `bayeshcc validate`."""

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi

from bayeshcc.cli import main


def _inputs(tmp_path):
    d = load_rossi()
    curve, risk = [], []
    for arm in (0, 1):
        m = d["fin"] == arm
        km = KaplanMeierFitter().fit(d["week"][m], d["arrest"][m]).survival_function_.iloc[:, 0]
        curve += [(f"fin{arm}", t, s) for t, s in km.items()]
        risk += [(f"fin{arm}", t, int((d["week"][m] >= t).sum())) for t in (0, 10, 20, 30, 40, 50)]
    pd.DataFrame(curve, columns=["arm", "time", "survival"]).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame(risk, columns=["arm", "time", "n_risk"]).to_csv(tmp_path / "r.csv", index=False)
    return ["--curve", str(tmp_path / "c.csv"), "--at-risk", str(tmp_path / "r.csv")]


def test_reconstruct_writes_ipd_and_spec_that_validate(tmp_path, capsys):
    args = _inputs(tmp_path)
    assert main(["reconstruct", *args, "--out", str(tmp_path / "ipd.csv"),
                 "--spec-out", str(tmp_path / "ipd.toml")]) == 0
    ipd = pd.read_csv(tmp_path / "ipd.csv")
    assert ipd.groupby("arm").size().to_dict() == {"fin0": 216, "fin1": 216}  # rossi: 216 per arm
    assert main(["validate", "--data", str(tmp_path / "ipd.csv"), "--spec", str(tmp_path / "ipd.toml")]) == 0
    assert "432 patients" in capsys.readouterr().out


def test_reconstruct_refuses_to_overwrite_without_force(tmp_path, capsys):
    args = _inputs(tmp_path)
    (tmp_path / "ipd.csv").write_text("mine\n")
    assert main(["reconstruct", *args, "--out", str(tmp_path / "ipd.csv")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "ipd.csv").read_text() == "mine\n"
