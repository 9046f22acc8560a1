"""The large-cohort changes of issue #17 keep the numbers: marginal survival computed once per
distinct covariate row equals the per-patient average; the grid saves each posterior as it
arrives (pointwise groups in float32) and its LOO table equals the one computed from the
in-memory posteriors."""

import arviz as az
import numpy as np
import pandas as pd

from bayeshcc.bayes.contrasts import marginal_survival
from bayeshcc.bayes.fit import fit_survival_model
from bayeshcc.bayes.hazards import cumulative_hazard, linear_covariates
from bayeshcc.bayes.grid import POINTWISE_GROUPS
from bayeshcc.cohort import Cohort
from bayeshcc.pipeline import RunOptions, run_analysis
from bayeshcc.spec import spec_from_text
from bayeshcc.tables.bayes import loo_result, loo_rows

from tests.conftest import SMALL_SPEC, make_small_frame


def _per_patient(fit, grid):
    """The average of every patient's own survival curve (the definition)."""
    d = fit.data
    draws = fit.draws(400)
    xb = linear_covariates(draws, d.X)
    w = d.weights / d.weights.sum()
    cuts = None if fit.cuts is None else fit.cuts / d.time_scale
    out = np.empty((2, xb.shape[0], grid.size))
    for a, arm in enumerate((1.0, 0.0)):
        for g, t in enumerate(grid / d.time_scale):
            H = cumulative_hazard(fit.model, draws, np.full(d.time.size, max(t, 1e-12)),
                                  np.full(d.time.size, arm), xb, cuts)
            out[a, :, g] = np.exp(-H) @ w
    return out


def test_marginal_survival_by_covariate_row_equals_the_per_patient_average():
    rng = np.random.default_rng(5)
    n = 90
    treated = (np.arange(n) % 2).astype(float)
    X = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 3, n)]).astype(float)  # repeats
    time = rng.weibull(1.3, n) * np.exp(-0.3 * treated - 0.4 * X[:, 0]) * 8 + 0.1
    event = (rng.uniform(size=n) < 0.8).astype(float)
    weights = rng.uniform(0.5, 2.0, n)
    grid = np.linspace(0, 12, 25)
    for model in ("weibull", "piecewise"):
        fit = fit_survival_model(model, time, event, treated, X=X, weights=weights, draws=200,
                                 tune=200, chains=2, seed=4, intervals=3)
        np.testing.assert_allclose(marginal_survival(fit, grid), _per_patient(fit, grid),
                                   rtol=1e-12, atol=1e-14)


def test_the_grid_saves_pointwise_groups_in_float32_and_its_loo_from_memory(tmp_path):
    text = SMALL_SPEC + ("\n[bayes]\nmodels = ['weibull', 'piecewise']\nadjustments = ['none']\n"
                         "draws = 150\ntune = 150\nchains = 2\n")
    cohort = Cohort.from_dataframe(make_small_frame(60), spec_from_text(text))
    out = run_analysis(cohort, tmp_path / "r", options=RunOptions(quiet=True))
    saved = {}
    for model in ("weibull", "piecewise"):
        tree = az.from_netcdf(out / "posterior" / f"os_{model}_weakly_informative_none.nc")
        assert {tree[g]["time"].dtype for g in POINTWISE_GROUPS} == {np.dtype("float32")}
        assert tree["posterior"]["log_hr"].dtype == np.float64
        saved[("os", model, "weakly_informative", "none")] = (tree, False)
    table = pd.read_csv(out / "tables" / "loo.csv")
    from_disk = loo_rows(saved)
    np.testing.assert_allclose(table["elpd_loo"], from_disk["elpd_loo"], rtol=1e-5)
    assert loo_result(saved[("os", "weibull", "weakly_informative", "none")][0]).log_weights is None


class _Probe(np.ndarray):
    """An array that can be weakly referenced: alive while any view of it is."""


def _synthetic_posterior(n_patients: int, seed: int = 3):
    """A posterior (2 chains x 300 draws) and a pointwise log-likelihood of ``n_patients``,
    with a few heavy-tailed columns so some Pareto k are large; and a weak reference to the
    log-likelihood's memory."""
    import weakref

    import xarray as xr

    rng = np.random.default_rng(seed)
    loglik = rng.normal(-1.0, 0.3, (2, 300, n_patients))
    loglik[..., :3] += rng.standard_t(2, (2, 300, 3)) * 2
    loglik = loglik.view(_Probe)
    tree = xr.DataTree.from_dict({
        "posterior": xr.Dataset({"log_hr": (("chain", "draw"), rng.normal(size=(2, 300)))}),
        "log_likelihood": xr.Dataset({"time": (("chain", "draw", "patient"), loglik)})})
    return tree, weakref.ref(loglik)


def test_loo_in_batches_of_patients_equals_one_call():
    import warnings

    tree, _ = _synthetic_posterior(61)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = az.loo(tree, pointwise=True)
    batched = loo_result(tree, batch=7)  # 9 batches, the last of 5 patients
    assert batched.log_weights is None
    np.testing.assert_array_equal(batched.elpd_i.values, whole.elpd_i.values)
    np.testing.assert_array_equal(batched.pareto_k.values, whole.pareto_k.values)
    assert batched.elpd == whole.elpd and batched.se == whole.se
    np.testing.assert_allclose(batched.p, whole.p, rtol=1e-12)
    assert (batched.n_data_points, batched.n_samples, batched.warning, batched.good_k) == (
        whole.n_data_points, whole.n_samples, whole.warning, whole.good_k)


def test_the_log_likelihood_is_freed_after_loo_without_the_cycle_collector(monkeypatch):
    """A DataTree, and every DataArray arviz reads, is a reference cycle: the grid frees the
    draws x patients arrays of each fit as soon as LOO has read them, not fits later (for
    log-likelihoods of COLLECT_ABOVE values or more: here every size)."""
    import gc

    from bayeshcc.bayes.grid import drop_groups
    from bayeshcc.tables import bayes as bayes_tables

    monkeypatch.setattr(bayes_tables, "COLLECT_ABOVE", 0)

    for batch in (7, 500):  # in batches, and in one call
        tree, loglik = _synthetic_posterior(20)
        gc.disable()
        try:
            loo_result(tree, batch=batch)
            assert loglik() is not None  # still in the posterior
            drop_groups(tree, ("log_likelihood", "posterior_predictive"))  # one absent
            assert loglik() is None and list(tree.children) == ["posterior"]
        finally:
            gc.enable()
