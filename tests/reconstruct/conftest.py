"""Digitised-figure fixtures built from real public data shipped with lifelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_gbsg2, load_rossi


def _rossi() -> pd.DataFrame:
    """Rossi recidivism data: weeks to arrest by financial aid (fin 1 / 0)."""
    d = load_rossi()
    return pd.DataFrame({"arm": np.where(d["fin"] == 1, "aid", "no_aid"),
                         "time": d["week"].astype(float), "event": d["arrest"].astype(int)})


def _gbsg2() -> pd.DataFrame:
    """GBSG2 breast cancer data: days to recurrence by hormonal therapy (yes / no)."""
    d = load_gbsg2()
    return pd.DataFrame({"arm": np.where(d["horTh"] == "yes", "hormone", "none"),
                         "time": d["time"].astype(float), "event": d["cens"].astype(int)})


DATASETS = {"rossi": _rossi, "gbsg2": _gbsg2}


def digitise(ipd: pd.DataFrame, seed: int = 20120201) -> dict[str, pd.DataFrame]:
    """What a careful digitiser reads off the published figure of ``ipd``.

    Each arm's Kaplan-Meier corners (both ends of every drop) with Gaussian jitter
    (time SD 0.2 % of the time range, survival SD 0.002), 3 duplicated points, rows
    shuffled; numbers at risk at 7 evenly spaced times 0, T/7, ..., 6T/7 (T the last time); total events per arm.
    """
    rng = np.random.default_rng(seed)
    t_max = float(ipd["time"].max())
    # axis ticks 0, T/7, ..., 6T/7: the last one before the end of follow-up, so the
    # total events inform the tail after it
    ticks = np.floor(np.arange(7) * t_max / 7)
    curves, risks, events = [], [], []
    for arm, g in ipd.groupby("arm", sort=False):
        km = KaplanMeierFitter().fit(g["time"], g["event"])
        sf = km.survival_function_.iloc[:, 0]
        times, surv = sf.index.to_numpy(float), sf.to_numpy(float)
        # both corners of each step: (t_j, S(t_{j-1})) and (t_j, S(t_j))
        t = np.concatenate([times[1:], times[1:]])
        s = np.concatenate([surv[:-1], surv[1:]])
        t = t + rng.normal(0.0, 0.002 * t_max, t.size)
        s = s + rng.normal(0.0, 0.002, s.size)
        pts = pd.DataFrame({"arm": arm, "time": np.clip(t, 0, None), "survival": s})
        pts = pd.concat([pts, pts.sample(3, random_state=rng)], ignore_index=True)
        curves.append(pts)
        n = np.array([(g["time"] >= x).sum() for x in ticks])
        risks.append(pd.DataFrame({"arm": arm, "time": ticks, "n_risk": n}))
        events.append({"arm": arm, "events": int(g["event"].sum())})
    curve = pd.concat(curves, ignore_index=True)
    curve = curve.sample(frac=1.0, random_state=rng).reset_index(drop=True)
    return {"curve": curve, "at_risk": pd.concat(risks, ignore_index=True),
            "events": pd.DataFrame(events)}


@pytest.fixture(scope="session", params=sorted(DATASETS))
def original(request) -> tuple[str, pd.DataFrame]:
    return request.param, DATASETS[request.param]()


@pytest.fixture(scope="session")
def figure(original) -> dict[str, pd.DataFrame]:
    return digitise(original[1])


@pytest.fixture
def write_inputs(tmp_path):
    """Write the digitised rossi figure as the three CSV files a user would give."""
    fig = digitise(_rossi())
    paths = {}
    for name, frame in fig.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths
