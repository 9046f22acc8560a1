"""The bundled synthetic cohort: 126 patients calibrated to the reference study's published figures.

**Synthetic, not patient data.** The study's patient data are not public. This generator draws a
cohort whose aggregates match what the paper prints (``specs/paper_targets.toml``): group sizes,
the Child-Pugh and ATE+BEV-cycle imbalances, Kaplan-Meier medians and event counts, best
responses and adverse-event rates, and covariate effects in the directions of its Cox models
(Child-Pugh B and PIVKA-II >= 1000 worsen OS; extrahepatic metastasis and sorafenib worsen PFS).

It is deterministic: ``generate_paper_cohort()`` with the default seed returns the shipped
``paper_cohort.csv`` bit for bit (a test regenerates and compares the bytes). Regenerate with::

    python -m bayeshcc.datasets.generator bayeshcc/datasets/paper_cohort.csv

Survival times come from Weibull proportional-hazards models; censoring is administrative
(staggered entry over the enrolment window) plus a small random loss to follow-up. The seed and
the few model constants in :class:`GeneratorSettings` were chosen once by a seed search against
the calibration tests (``tests/datasets/test_paper_cohort.py``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ARMS = ("lenvatinib", "sorafenib")
N_ARM = (40, 86)
AE_TYPES = ("hand_foot_syndrome", "proteinuria", "ast_elevation", "alt_elevation",
            "bilirubin_elevation", "thrombocytopenia", "hypertension", "anemia", "anorexia",
            "hypothyroidism", "rash", "gi_bleeding", "diarrhea", "fatigue")


@dataclass(frozen=True)
class GeneratorSettings:
    """Model constants of the generator (log hazard ratios, Weibull baselines, counts)."""

    seed: int = 20240345
    # Weibull PH: h(t) = shape * scale^-shape * t^(shape-1) * exp(lp), lp = sum(beta * x)
    os_shape: float = 1.15
    os_scale: float = 8.6           # months, for a reference patient (sorafenib, no risk factor)
    os_beta: dict = field(default_factory=lambda: {
        "lenvatinib": -0.30, "child_pugh_b": 0.95, "pivka_ge_1000": 0.50, "ecog_2": 0.55,
        "tumor_size_ge_10": 0.30, "atebev_cycles_lt_3": 0.25, "extrahepatic_metastasis": 0.15})
    pfs_shape: float = 1.35
    pfs_scale: float = 2.9
    pfs_beta: dict = field(default_factory=lambda: {
        "lenvatinib": -0.62, "extrahepatic_metastasis": 0.65, "child_pugh_b": 0.25,
        "ecog_2": 0.40, "atebev_cycles_lt_3": 0.20})
    accrual_months: float = 40.0    # 2019-08 to 2022-12
    min_followup: float = 4.0       # months from the last enrolment to data cut-off
    loss_rate: float = 0.01         # per month, random loss to follow-up
    # exact counts per arm (lenvatinib, sorafenib), from the paper's text
    child_pugh_a: tuple = (37, 54)
    partial_response: tuple = (3, 5)
    stable_disease: tuple = (24, 16)
    third_line: tuple = (18, 44)


# adverse events: (any-grade count, grade 3-4 count) per arm, Table 5 where the text gives them
AE_COUNTS = {
    "hand_foot_syndrome": ((2, 0), (17, 4)), "proteinuria": ((23, 12), (5, 0)),
    "ast_elevation": ((20, 4), (45, 2)), "alt_elevation": ((10, 1), (22, 1)),
    "bilirubin_elevation": ((12, 1), (47, 1)), "thrombocytopenia": ((20, 2), (15, 1)),
    "hypertension": ((16, 2), (7, 0)), "anemia": ((12, 1), (9, 1)), "anorexia": ((14, 1), (11, 0)),
    "hypothyroidism": ((10, 0), (2, 0)), "rash": ((3, 0), (14, 4)),
    "gi_bleeding": ((4, 3), (4, 1)), "diarrhea": ((6, 0), (15, 1)), "fatigue": ((10, 1), (20, 1)),
}
AE_ANY = (32, 75)           # 80.0 % and 87.2 %
AE_GRADE34 = (14, 33)       # 35.0 % and 38.4 %
AE_DISCONTINUED = (12, 16)  # 30.0 % and 18.6 %


def _quantile_values(n: int, median: float, q1: float, q3: float, rng) -> np.ndarray:
    """n values on the quantiles of a log-normal with this median and IQR, shuffled."""
    from scipy.stats import norm

    sigma = np.log(q3 / q1) / (2 * norm.ppf(0.75))
    z = norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    return rng.permutation(median * np.exp(sigma * z))


def _exact(n: int, k: int, rng) -> np.ndarray:
    """0/1 array with exactly k ones at random places."""
    out = np.zeros(n, dtype=int)
    out[rng.choice(n, size=k, replace=False)] = 1
    return out


def _weibull(rng, shape: float, scale: float, lp: np.ndarray) -> np.ndarray:
    """Weibull PH event times by inversion: S(t) = exp(-(t/scale)^shape * exp(lp))."""
    u = rng.uniform(size=lp.size)
    return scale * (-np.log(u) * np.exp(-lp)) ** (1 / shape)


def _arm_covariates(rng, n: int, arm: int, s: GeneratorSettings) -> dict[str, np.ndarray]:
    age = np.clip(np.round(rng.normal(63, 11, n)), 30, 88).astype(int)
    cp_b = 1 - _exact(n, s.child_pugh_a[arm], rng)
    cycles = (_quantile_values(n, 6, 4, 10, rng) if arm == 0 else
              _quantile_values(n, 3, 2, 6, rng))
    cycles = np.maximum(1, np.round(cycles)).astype(int)
    size = np.round(np.clip(rng.lognormal(np.log(6.5), 0.6, n), 1.0, 22.0), 1)
    return {
        "age": age,
        "sex": np.where(rng.uniform(size=n) < 0.881, "male", "female"),
        "etiology": rng.choice(np.array(["HBV", "HCV", "non-viral"]), size=n, p=[0.6, 0.13, 0.27]),
        "ecog": rng.choice(np.array([0, 1, 2]), size=n, p=[0.45, 0.45, 0.10]),
        "child_pugh_class": np.where(cp_b == 1, "B", "A"),
        "child_pugh_score": np.where(cp_b == 1, rng.choice([7, 8, 9], size=n, p=[.5, .35, .15]),
                                     rng.choice([5, 6], size=n, p=[.55, .45])),
        "bclc_stage": np.where(rng.uniform(size=n) < 0.866, "C", "B"),
        "tumor_size": size,
        "tumor_number": np.where(rng.uniform(size=n) < 0.7, "multiple", "single"),
        "extrahepatic_metastasis": (rng.uniform(size=n) < 0.55).astype(int),
        "lymph_node_metastasis": (rng.uniform(size=n) < 0.30).astype(int),
        "macrovascular_invasion": (rng.uniform(size=n) < 0.35).astype(int),
        "afp": np.round(rng.lognormal(np.log(150), 2.0, n), 1),
        "pivka": np.round(rng.lognormal(np.log(700), 1.9, n), 1),
        "atebev_cycles": cycles,
    }


def _linear_predictor(frame: pd.DataFrame, beta: dict) -> np.ndarray:
    x = {"lenvatinib": (frame["arm"] == "lenvatinib").astype(float),
         "child_pugh_b": (frame["child_pugh_class"] == "B").astype(float)}
    return sum(coef * (x[name] if name in x else frame[name].astype(float))
               for name, coef in beta.items()).to_numpy()


def _outcomes(rng, frame: pd.DataFrame, s: GeneratorSettings) -> pd.DataFrame:
    n = len(frame)
    death = _weibull(rng, s.os_shape, s.os_scale, _linear_predictor(frame, s.os_beta))
    progression = _weibull(rng, s.pfs_shape, s.pfs_scale, _linear_predictor(frame, s.pfs_beta))
    entry = rng.uniform(0, s.accrual_months, n)
    censor = np.minimum(s.accrual_months + s.min_followup - entry, rng.exponential(1 / s.loss_rate, n))
    os_time = np.minimum(death, censor)
    first = np.minimum(progression, death)
    pfs_time = np.minimum(first, censor)
    return frame.assign(
        os_months=np.round(np.maximum(os_time, 0.05), 2), os_event=(death <= censor).astype(int),
        pfs_months=np.round(np.maximum(pfs_time, 0.05), 2), pfs_event=(first <= censor).astype(int))


def _responses(frame: pd.DataFrame, s: GeneratorSettings) -> np.ndarray:
    """PR for the longest PFS in each arm, then SD, then PD (CR none, as in the paper)."""
    response = np.empty(len(frame), dtype=object)
    for arm, name in enumerate(ARMS):
        idx = np.flatnonzero(frame["arm"].to_numpy() == name)
        order = idx[np.argsort(-frame["pfs_months"].to_numpy()[idx], kind="stable")]
        pr, sd = s.partial_response[arm], s.stable_disease[arm]
        response[order[:pr]] = "PR"
        response[order[pr:pr + sd]] = "SD"
        response[order[pr + sd:]] = "PD"
    return response


def _adverse_events(rng, arm_index: np.ndarray) -> dict[str, np.ndarray]:
    n = arm_index.size
    out = {name: np.zeros(n, dtype=int) for name in ("ae_any", "ae_grade34", "ae_discontinued")}
    for t in AE_TYPES:
        out[f"ae_{t}"], out[f"ae_{t}_g34"] = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    for arm in (0, 1):
        idx = np.flatnonzero(arm_index == arm)
        any_ae = rng.permutation(idx)[:AE_ANY[arm]]
        severe = rng.permutation(any_ae)[:AE_GRADE34[arm]]
        out["ae_any"][any_ae] = 1
        out["ae_grade34"][severe] = 1
        out["ae_discontinued"][rng.permutation(any_ae)[:AE_DISCONTINUED[arm]]] = 1
        for t in AE_TYPES:
            total, g34 = AE_COUNTS[t][arm]
            grade = rng.permutation(severe)[:g34]
            rest = rng.permutation(np.setdiff1d(any_ae, grade))[:total - g34]
            out[f"ae_{t}"][np.concatenate([grade, rest])] = 1
            out[f"ae_{t}_g34"][grade] = 1
    return out


def _third_line(rng, arm_index: np.ndarray, s: GeneratorSettings) -> tuple[np.ndarray, np.ndarray]:
    received = np.zeros(arm_index.size, dtype=int)
    drug = np.full(arm_index.size, "none", dtype=object)
    options = {0: (["sorafenib"] * 15 + ["cabozantinib", "nivolumab", "regorafenib"]),
               1: None}
    for arm in (0, 1):
        idx = rng.permutation(np.flatnonzero(arm_index == arm))[:s.third_line[arm]]
        received[idx] = 1
        if options[arm] is not None:
            drug[idx] = rng.permutation(np.array(options[arm], dtype=object))
        else:
            drug[idx] = rng.choice(np.array(["cabozantinib", "regorafenib", "nivolumab",
                                             "ipilimumab+nivolumab"], dtype=object),
                                   size=idx.size, p=[0.3, 0.35, 0.2, 0.15])
    return received, drug


def generate_paper_cohort(settings: GeneratorSettings = GeneratorSettings()) -> pd.DataFrame:
    """The synthetic reference cohort (see module docstring).

    Parameters
    ----------
    settings : GeneratorSettings
        Seed and model constants; the defaults give the shipped ``paper_cohort.csv``.

    Returns
    -------
    pandas.DataFrame
        126 rows, one per synthetic patient.
    """
    rng = np.random.default_rng(settings.seed)
    parts = []
    for arm, (name, n) in enumerate(zip(ARMS, N_ARM)):
        parts.append(pd.DataFrame({"arm": name, **_arm_covariates(rng, n, arm, settings)}))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame["ecog_2"] = (frame["ecog"] == 2).astype(int)
    frame["tumor_size_ge_10"] = (frame["tumor_size"] >= 10).astype(int)
    frame["pivka_ge_1000"] = (frame["pivka"] >= 1000).astype(int)
    frame["afp_ge_400"] = (frame["afp"] >= 400).astype(int)
    frame["atebev_cycles_lt_3"] = (frame["atebev_cycles"] < 3).astype(int)
    frame = _outcomes(rng, frame, settings)
    frame["best_response"] = _responses(frame, settings)
    arm_index = (frame["arm"] == "sorafenib").to_numpy().astype(int)
    frame = frame.assign(**_adverse_events(rng, arm_index))
    frame["third_line"], frame["third_line_treatment"] = _third_line(rng, arm_index, settings)
    return frame


def write_paper_cohort(path: str | Path, settings: GeneratorSettings = GeneratorSettings()) -> Path:
    """Write the cohort as CSV (LF line endings, fixed float formatting)."""
    path = Path(path)
    generate_paper_cohort(settings).to_csv(path, index=False, lineterminator="\n")
    return path


if __name__ == "__main__":  # pragma: no cover
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("paper_cohort.csv"))
    print(write_paper_cohort(target))
