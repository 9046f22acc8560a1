"""The grid and brms benchmarks are registered and set up as issue #6 asks; nothing is timed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.registry import BENCHMARKS


def test_grid_and_stan_benchmarks_are_registered():
    from benchmarks.grid import bench_grid
    from benchmarks.stan import bench_stan

    assert BENCHMARKS["grid"] is bench_grid
    assert BENCHMARKS["stan"] is bench_stan


def test_grid_spec_plans_64_fits(tmp_path):
    """2 outcomes x 2 models x 4 adjustments x 4 built-in priors; the OS-only external prior
    of the paper spec is not in the grid."""
    from benchmarks.grid import GRID_PRIORS, write_grid_spec
    from bayeshcc.bayes.plan import plan_fits
    from bayeshcc.spec import load_spec

    tasks = plan_fits(load_spec(write_grid_spec(tmp_path)))
    assert len(tasks) == 64
    assert {t.prior for t in tasks} == set(GRID_PRIORS)
    assert {t.outcome for t in tasks} == {"os", "pfs"}
    assert len({t.seed for t in tasks}) == 64


def test_stan_benchmark_skips_without_rscript(monkeypatch, tmp_path, capsys):
    """With no Rscript on PATH the benchmark prints one skip line and returns no rows."""
    from benchmarks.stan import bench_stan

    monkeypatch.setenv("PATH", str(tmp_path))
    assert bench_stan() == []
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "skipped" in out[0] and "Rscript is not on PATH" in out[0]


def test_brms_sees_the_data_bayeshcc_samples(tmp_path):
    """The prepared CSV given to brms: time / mean time, weights summing to the Kish ESS
    (sum w)^2 / sum w^2 of the raw weights, standardised covariates, same events."""
    from benchmarks.stan import write_data

    raw_path, prepared_path = write_data(tmp_path, 200)
    raw, prep = pd.read_csv(raw_path), pd.read_csv(prepared_path)
    w = raw["w"].to_numpy()
    np.testing.assert_allclose(prep["w"].sum(), w.sum() ** 2 / np.sum(w ** 2), rtol=1e-12)
    np.testing.assert_allclose(prep["y"], raw["time"] / raw["time"].mean(), rtol=1e-12)
    np.testing.assert_allclose(prep["z3"], (raw["x3"] - raw["x3"].mean()) / raw["x3"].std(ddof=0),
                               rtol=1e-10)
    assert (prep["event"] == raw["event"]).all() and (prep["trt"] == raw["trt"]).all()


def test_grid_summary_compile_share():
    """compile_share = compile seconds / (Bayesian stage wall x processes)."""
    from benchmarks.grid import summarise

    fits = [{"compile_s": 5.0, "sample_s": 1.0, "reuse": False, "pid": 1},
            {"compile_s": 0.0, "sample_s": 1.0, "reuse": True, "pid": 2},
            {"compile_s": 3.0, "sample_s": 1.0, "reuse": False, "pid": 2}]
    row = summarise("workers=2", {"wall_s": 30.0, "stages": {"bayesian": 20.0}, "fits": fits}, 2)
    assert row["compile_share"] == pytest.approx(8.0 / 40.0)
    assert row["compiles"] == 2 and row["processes"] == 2 and row["fits"] == 3
    assert row["s_per_fit"] == pytest.approx(20.0 / 3)
    assert row["target_180s_met"]


def test_weighted_weibull_mle_matches_survreg(tmp_path):
    """The anchor of the brms comparison equals R's weighted Weibull fit on the same data:
    ``d <- read.csv(path); f <- survreg(Surv(y, event) ~ trt + z0, data = d, weights = w,
    dist = "weibull"); exp(-coef(f)["trt"] / f$scale)`` = 0.508156296222 (R 4.2.2,
    survival 3.5.3)."""
    from benchmarks.stan import weighted_weibull_mle

    rng = np.random.default_rng(2024)
    n = 60
    trt = rng.integers(0, 2, n)
    z0 = rng.normal(size=n)
    t = rng.weibull(1.3, n) * np.exp(0.3 * trt - 0.2 * z0)
    c = rng.uniform(0.5, 3, n)
    path = tmp_path / "d.csv"
    pd.DataFrame({"y": np.minimum(t, c), "event": (t <= c).astype(int), "trt": trt,
                  "w": rng.uniform(0.5, 2, n), "z0": z0}).to_csv(path, index=False,
                                                                  float_format="%.17g")
    assert weighted_weibull_mle(path) == pytest.approx(0.508156296222, rel=1e-6)


def test_large_cohort_benchmark_scales_the_generator_and_keeps_the_default_grid(tmp_path):
    """Issue #17: 3,000 synthetic patients, the default [bayes] settings: 16 fits."""
    from benchmarks.large_cohort import write_inputs
    from bayeshcc.bayes.plan import plan_fits
    from bayeshcc.cohort import Cohort
    from bayeshcc.spec import load_spec

    data, spec_path = write_inputs(tmp_path, n=3000)
    spec = load_spec(spec_path)
    cohort = Cohort.from_file(data, spec)
    assert len(cohort.treated) == 3000
    assert BENCHMARKS["large_cohort"].__name__ == "bench_large_cohort"
    assert len(plan_fits(spec)) == 16


def test_sensitivity_draws_benchmark_sets_the_key_in_the_paper_spec():
    from benchmarks.sensitivity_draws import variant_spec_text
    from bayeshcc.spec import spec_from_text

    assert spec_from_text(variant_spec_text("until_ess")).bayes.sensitivity_draws == "until_ess"
    assert spec_from_text(variant_spec_text(500)).bayes.sensitivity_draws == 500
