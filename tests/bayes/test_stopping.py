"""``[bayes] sensitivity_draws``: sensitivity fits that stop once the convergence gate's R-hat and
ESS pass (``until_ess``) or take a fixed shorter length; the primary analysis always samples
``draws``; the tables say how many draws each fit took and flag short fits honestly."""

import numpy as np
import pytest

from bayeshcc.adjust.cohort import adjust
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.grid import run_job
from bayeshcc.bayes.plan import plan_fits
from bayeshcc.bayes.diagnostics import rhat_and_ess
from bayeshcc.bayes.stopping import checkpoints, draws_columns, passes, worst
from bayeshcc.cohort import Cohort
from bayeshcc.errors import SpecError
from bayeshcc.executors import run_tasks
from bayeshcc.spec import spec_from_text
from bayeshcc.stages import bayes_job, sensitivity_length

from tests.conftest import SMALL_SPEC, make_small_frame


def _data(n=120, seed=3):
    rng = np.random.default_rng(seed)
    treated = (np.arange(n) % 2).astype(float)
    time = rng.weibull(1.2, n) * np.exp(-0.4 * treated) * 10 + 0.05
    event = (rng.uniform(size=n) < 0.75).astype(float)
    return time, event, treated


def _grid(extra: str) -> Cohort:
    text = SMALL_SPEC + "\n[bayes]\nmodels = ['weibull']\nadjustments = ['none', 'ate']\n" + extra
    return Cohort.from_dataframe(make_small_frame(80), spec_from_text(text))


def _jobs(cohort: Cohort):
    pops = adjust(cohort).populations
    return [bayes_job(cohort, pops, task) for task in plan_fits(cohort.spec)]


@pytest.fixture(scope="module")
def fixed_and_short():
    """The same Weibull fit (seed 11, at most 800 draws per chain) at fixed length and with
    ``draws_rule = "until_ess"``; fitted once for the tests that compare them."""
    time, event, treated = _data()
    fixed = fit_survival_model("weibull", time, event, treated, draws=800, tune=300, chains=2,
                               seed=11)
    short = fit_survival_model("weibull", time, event, treated, draws=800, tune=300, chains=2,
                               seed=11, draws_rule="until_ess")
    return fixed, short


def test_until_ess_keeps_the_first_draws_of_the_fixed_run_with_the_same_seed(fixed_and_short):
    fixed, short = fixed_and_short
    m = short.posterior["posterior"].sizes["draw"]
    assert m in checkpoints(800)
    for name, values in short.posterior["posterior"].data_vars.items():
        np.testing.assert_array_equal(values.values,
                                      fixed.posterior["posterior"][name].values[:, :m])
    np.testing.assert_array_equal(short.posterior["sample_stats"]["diverging"].values,
                                  fixed.posterior["sample_stats"]["diverging"].values[:, :m])


def test_until_ess_stops_at_the_first_checkpoint_where_the_gate_passes(fixed_and_short):
    fixed, short = fixed_and_short
    m = short.posterior["posterior"].sizes["draw"]
    post = fixed.posterior["posterior"].to_dataset()
    expected = next((c for c in checkpoints(800) if passes(post.isel(draw=slice(0, c)))), 800)
    assert m == expected < 800
    assert draws_columns(short.posterior) == {"draws": m, "draws_rule": "until_ess",
                                              "stopped_early": m < 800}


def test_passes_needs_ess_400_and_rhat_1_01():
    rng = np.random.default_rng(0)
    import xarray as xr

    def dataset(values):
        return xr.Dataset({"x": (("chain", "draw"), values)})

    independent = rng.normal(size=(4, 1000))
    sticky = np.cumsum(rng.normal(size=(4, 1000)), axis=1)  # a random walk: tiny ESS
    shifted = independent + np.arange(4)[:, None]            # chains disagree: R-hat >> 1
    assert passes(dataset(independent))
    assert not passes(dataset(sticky))
    assert not passes(dataset(shifted))


def test_the_rule_computes_the_gates_rhat_and_ess():
    import xarray as xr

    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(size=(3, 300, 4)), axis=1) * 0.1 + rng.normal(size=(3, 300, 4))
    posterior = xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(3, 300))),
                            "b": (("chain", "draw", "b_dim_0"), walk)})
    np.testing.assert_allclose(worst(posterior), rhat_and_ess(posterior), rtol=1e-12)


def test_the_primary_analysis_samples_every_draw_whatever_the_sensitivity_setting():
    spec = _grid("draws = 300\nsensitivity_draws = 'until_ess'\n").spec
    lengths = {(t.adjustment, t.prior): sensitivity_length(spec.bayes, t) for t in plan_fits(spec)}
    assert lengths == {("none", "weakly_informative"): (300, "until_ess"),
                       ("ate", "weakly_informative"): (300, "fixed")}


def test_a_fixed_sensitivity_length_applies_to_the_other_fits_only():
    spec = _grid("draws = 300\nsensitivity_draws = 120\n").spec
    lengths = {t.adjustment: sensitivity_length(spec.bayes, t) for t in plan_fits(spec)}
    assert lengths == {"none": (120, "fixed"), "ate": (300, "fixed")}


@pytest.mark.parametrize("value, message", [("'quick'", "is not one of: full, until_ess"),
                                            ("5", "must be from 10 to bayes.draws"),
                                            ("400", "must be from 10 to bayes.draws")])
def test_invalid_sensitivity_draws_name_the_key(value, message):
    with pytest.raises(SpecError, match=message):
        spec_from_text(SMALL_SPEC + f"\n[bayes]\ndraws = 300\nsensitivity_draws = {value}\n")


def test_a_short_fit_that_misses_ess_400_is_flagged_unreliable_with_its_draws():
    cohort = _grid("draws = 300\ntune = 100\nchains = 2\nsensitivity_draws = 40\n")
    rows = {r.task.adjustment: r.hr for r in map(run_job, _jobs(cohort))}
    assert (rows["none"]["draws"], rows["none"]["draws_rule"]) == (40, "fixed")
    assert not rows["none"]["reliable"] and "ESS" in rows["none"]["convergence"]
    assert rows["ate"]["draws"] == 300 and not rows["ate"]["stopped_early"]


def test_until_ess_grid_gives_the_same_draws_on_worker_processes():
    cohort = _grid("draws = 700\ntune = 200\nchains = 2\nsensitivity_draws = 'until_ess'\n"
                   "priors = ['weakly_informative', 'vague']\n")
    jobs = [j for j in _jobs(cohort) if j.draws_rule == "until_ess"]
    assert len(jobs) == 3
    sequential = run_tasks(run_job, jobs)
    pooled = run_tasks(run_job, jobs, workers=2)
    for a, b in zip(sequential, pooled):
        assert a.hr["draws"] == b.hr["draws"]
        np.testing.assert_array_equal(a.posterior["posterior"]["log_hr"].values,
                                      b.posterior["posterior"]["log_hr"].values)
