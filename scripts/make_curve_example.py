"""Write the illustrative external sorafenib curve under ``models/external/`` and reconstruct it.

**Synthetic, for the walk-through only: not digitised from any published figure.** The
reference study discusses Yoo et al., whose second-line sorafenib arm after
atezolizumab+bevacizumab had a median OS of 11.2 months (``paper/targets.toml``,
``external_evidence.yoo_os_median``); no figure of that arm ships with bayeshcc. This script
simulates an arm with that median (Weibull, shape 1.2; 60 patients; accrual over 24 months and
6 more months of follow-up: the shape, size and follow-up are invented), then writes what a
careful digitiser would read off its Kaplan-Meier figure (both corners of every drop, with
jitter of 0.05 months and 0.002 in survival; numbers at risk every 3 months; total deaths), and
reconstructs patients from those digitised files with ``bayeshcc reconstruct``
(:func:`bayeshcc.reconstruct.run_reconstruct`). Replace the three digitised files by a real
digitisation and re-run the reconstruction to use a published curve.

Run from the repository root::

    python scripts/make_curve_example.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "models" / "external"
ARM = "sorafenib"
MEDIAN, SHAPE, N = 11.2, 1.2, 60
ACCRUAL, EXTRA = 24.0, 6.0
SEED = 20220611


def simulate(rng: np.random.Generator) -> pd.DataFrame:
    """Weibull OS with median MEDIAN; administrative censoring after uniform accrual."""
    scale = MEDIAN / np.log(2) ** (1 / SHAPE)
    death = scale * rng.weibull(SHAPE, N)
    follow = EXTRA + rng.uniform(0, ACCRUAL, N)
    return pd.DataFrame({"time": np.minimum(death, follow).round(2),
                         "event": (death <= follow).astype(int)})


def digitise(ipd: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The Kaplan-Meier figure's corners with jitter, numbers at risk, total events."""
    from lifelines import KaplanMeierFitter

    sf = KaplanMeierFitter().fit(ipd["time"], ipd["event"]).survival_function_.iloc[:, 0]
    times, surv = sf.index.to_numpy(float), sf.to_numpy(float)
    t = np.concatenate([[0.0], times[1:], times[1:]])
    s = np.concatenate([[1.0], surv[:-1], surv[1:]])
    t = np.clip(t + rng.normal(0, 0.05, t.size) * (t > 0), 0, None)
    s = np.clip(s + rng.normal(0, 0.002, s.size) * (t > 0), 0, 1)
    curve = pd.DataFrame({"arm": ARM, "time": t.round(2), "survival": s.round(4)})
    curve = curve.sort_values(["time", "survival"], ascending=[True, False])
    ticks = np.arange(0, ipd["time"].max(), 3.0)
    at_risk = pd.DataFrame({"arm": ARM, "time": ticks,
                            "n_risk": [int((ipd["time"] >= x).sum()) for x in ticks]})
    events = pd.DataFrame({"arm": [ARM], "events": [int(ipd["event"].sum())]})
    return {"curve": curve, "at_risk": at_risk, "events": events}


def main() -> None:
    from bayeshcc.reconstruct import run_reconstruct

    rng = np.random.default_rng(SEED)
    figure = digitise(simulate(rng), rng)
    OUT.mkdir(parents=True, exist_ok=True)
    paths = {name: OUT / f"{ARM}_os_{name}.csv" for name in figure}
    for name, frame in figure.items():
        frame.to_csv(paths[name], index=False)
    rec = run_reconstruct(paths["curve"], paths["at_risk"], paths["events"],
                          OUT / f"{ARM}_os_ipd.csv", force=True)
    print(rec.quality.to_string(index=False))


if __name__ == "__main__":
    main()
