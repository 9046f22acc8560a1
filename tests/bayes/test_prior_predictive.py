"""Prior predictive checks: the direct prior sampler equals the PyMC model's priors, the medians
solve S(t) = 1/2, and the sceptical prior puts 2.5 % on HR < 0.5."""

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from bayeshcc.bayes.data import prepare, quantile_cutpoints
from bayeshcc.bayes.hazards import cumulative_hazard
from bayeshcc.bayes.models import build_model, data_values, rate_center
from bayeshcc.bayes.prior_predictive import (median_survival, prior_predictive,
                                             sample_prior)
from bayeshcc.bayes.priors import BUILT_IN


def _data(n=200, seed=3):
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n).astype(float)
    t = rng.weibull(1.3, n) * np.exp(-(np.log(0.2) - 0.5 * trt) / 1.3)
    c = rng.uniform(2, 8, n)
    return np.minimum(t, c), (t <= c).astype(float), trt


def test_skeptical_prior_gives_five_percent_below_the_clinical_hr():
    """log HR ~ N(0, -log 0.7 / 1.645): P(HR < 0.7) = 0.05 and P(HR > 1/0.7) = 0.05 (20 000
    draws, SE 0.0015); P(HR < 0.5) = Phi(log 0.5 / 0.21684) = 0.00070."""
    time, event, trt = _data()
    table = prior_predictive("weibull", time, event, trt, BUILT_IN["skeptical"], ("A", "B"),
                             draws=20_000, seed=1)
    hr = table.set_index("quantity").loc["hr"]
    assert hr["prob_hr_below_0.5"] == pytest.approx(0.0007, abs=0.0006)
    # 2.5 % and 97.5 % quantiles: exp(-+1.96 * 0.21684) = 0.654 and 1.529
    assert hr["q025"] == pytest.approx(0.654, rel=0.02) and hr["q975"] == pytest.approx(1.529, rel=0.02)
    assert hr["prob_hr_below_1"] == pytest.approx(0.5, abs=0.015)


# PyMC runs the observed variable's NumPy generator in numba's object mode, and says so.
@pytest.mark.filterwarnings("ignore:Numba will use object mode:UserWarning")
@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_direct_draws_follow_the_pymc_model_priors(model):
    """Same distributions as pm.sample_prior_predictive on the fitted model (KS test, 4000
    draws each, p > 0.001 for every parameter)."""
    time, event, trt = _data()
    data = prepare(time, event, trt)
    prior = BUILT_IN["enthusiastic"]
    cuts = quantile_cutpoints(data.time, data.event, 4) if model == "piecewise" else None
    j = 1 if cuts is None else len(cuts) + 1
    pm_model = build_model(model, data_values(model, data, prior, cuts), 0, j)
    reference = pm.sample_prior_predictive(4000, model=pm_model, random_seed=2,
                                           return_inferencedata=False)
    ours = sample_prior(model, prior, rate_center(data), j, draws=4000, seed=2)
    names = ["log_hr", "shape", "log_rate"] if model == "weibull" else ["log_hr", "alpha"]
    for name in names:
        a, b = np.asarray(ours[name]), np.asarray(reference[name]).reshape(4000, -1)
        for k in range(a.reshape(4000, -1).shape[1]):
            assert stats.ks_2samp(a.reshape(4000, -1)[:, k], b[:, k]).pvalue > 1e-3, (name, k)


@pytest.mark.parametrize("model", ["weibull", "piecewise"])
def test_median_solves_survival_one_half(model):
    """H(m_a) = log 2 by the models' own cumulative hazard (bayeshcc.bayes.hazards)."""
    cuts = np.array([0.3, 0.8, 1.5]) if model == "piecewise" else None
    draws = sample_prior(model, BUILT_IN["weakly_informative"], np.log(0.5), 4, draws=300, seed=4)
    for arm in (0.0, 1.0):
        m = median_survival(model, draws, arm, cuts)
        H = np.array([cumulative_hazard(model, {k: v[i:i + 1] for k, v in draws.items()},
                                        np.array([m[i]]), np.array([arm]), np.zeros((1, 1)),
                                        cuts)[0, 0] for i in range(m.size)])
        np.testing.assert_allclose(H, np.log(2), rtol=1e-9)


def test_medians_are_in_the_data_time_unit_and_ordered_by_the_prior_hr():
    """An enthusiastic prior (HR centred at 0.7) gives the treated arm the longer prior median."""
    time, event, trt = _data()
    table = prior_predictive("piecewise", time * 30, event, trt, BUILT_IN["enthusiastic"],
                             ("new", "old"), draws=8000, seed=5)
    med = table[table["quantity"] == "median"].set_index("arm")["q500"]
    assert med["new"] > med["old"]
    in_days = table[table["quantity"] == "median"]["q500"].to_numpy()
    in_units = prior_predictive("piecewise", time, event, trt, BUILT_IN["enthusiastic"],
                                ("new", "old"), draws=8000, seed=5)
    np.testing.assert_allclose(in_days, 30 * in_units[in_units["quantity"] == "median"]["q500"],
                               rtol=1e-9)


def test_same_seed_same_table():
    time, event, trt = _data()
    a = prior_predictive("weibull", time, event, trt, BUILT_IN["vague"], ("A", "B"), seed=7)
    b = prior_predictive("weibull", time, event, trt, BUILT_IN["vague"], ("A", "B"), seed=7)
    assert a.equals(b)


def test_pipeline_table_has_one_block_per_outcome_model_and_prior():
    """prior_predictive.csv: hr + one median row per arm, for each fit the spec asks for."""
    from bayeshcc.cohort import Cohort
    from bayeshcc.spec import spec_from_text
    from bayeshcc.tables.bayes import prior_predictive_table

    from tests.conftest import SMALL_SPEC, make_small_frame

    spec = spec_from_text(SMALL_SPEC + "\n[bayes]\npriors = ['weakly_informative', 'skeptical']\n")
    table = prior_predictive_table(Cohort.from_dataframe(make_small_frame(80), spec))
    assert len(table) == 1 * 2 * 2 * 3
    assert list(table.columns[:5]) == ["outcome", "model", "prior", "quantity", "arm"]
    skeptical = table[(table["prior"] == "skeptical") & (table["quantity"] == "hr")]
    assert skeptical["prob_hr_below_0.5"].between(0.0, 0.003).all()  # Phi(log 0.5 / 0.2168) = 0.0007
    assert set(table.loc[table["quantity"] == "median", "arm"]) == {"new", "old"}
