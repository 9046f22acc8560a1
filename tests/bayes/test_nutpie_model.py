"""Rebuilding nutpie's compiled model from cached callbacks (bayeshcc.bayes.nutpie_model).

That a rebuilt model gives the draws of a compiled one, in a fresh process, is
``test_compile_cache.test_warm_cache_in_fresh_process_gives_identical_draws`` (every cache hit
of a fit is a rebuild); these tests pin the check that keeps a stale layout from being used.
"""

import numpy as np
import pytest

from bayeshcc.bayes.data import prepare
from bayeshcc.bayes.families import get_family
from bayeshcc.bayes.models import build_model, data_values
from bayeshcc.bayes.nutpie_model import StaleLayout, model_digest, rebuild
from bayeshcc.bayes.priors import BUILT_IN


def _model(model="weibull", k=0, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) if k else None
    d = prepare(rng.exponential(size=n), (rng.random(n) < 0.7).astype(float),
                rng.integers(0, 2, n).astype(float), X, tuple("abc"[:k]))
    cuts = get_family(model).cutpoints(None, d, 4)
    j = 1 if cuts is None else len(cuts) + 1
    return build_model(model, data_values(model, d, BUILT_IN["vague"], cuts), k, j)


def test_digest_is_the_same_for_every_build_of_a_structure_whatever_the_data():
    assert model_digest(_model(seed=1)) == model_digest(_model(seed=2, n=60))


@pytest.mark.parametrize("other", [dict(k=2), dict(model="piecewise")])
def test_digest_differs_between_structures(other):
    assert model_digest(_model()) != model_digest(_model(**other))


def test_rebuild_refuses_a_layout_made_from_another_graph():
    layout = {"model_digest": model_digest(_model(k=2)), "shared": []}
    with pytest.raises(StaleLayout, match="graph differs"):
        rebuild(layout, [None, None], _model(), {"log_hr": 0.0})


def test_digest_does_not_depend_on_the_order_the_data_were_declared_in(monkeypatch):
    # a fit without covariates pads X with zero columns after the other data; a fit with four
    # has X among them: one compiled structure (fit.compiled_columns), so one digest
    import bayeshcc.bayes.fit as fit_module

    built = []

    def capture(*args, **kwargs):
        built.append(build_model(*args, **kwargs))
        raise StopIteration  # the model is all this test needs: no compile

    monkeypatch.setattr(fit_module, "build_model", capture)
    rng = np.random.default_rng(1)
    n = 30
    time, event = rng.exponential(size=n), (rng.random(n) < 0.7).astype(float)
    treated = rng.integers(0, 2, n).astype(float)
    for X, names in ((None, ()), (rng.normal(size=(n, 4)), ("a", "b", "c", "d"))):
        monkeypatch.setattr(fit_module, "_COMPILED", {})
        with pytest.raises(StopIteration):
            fit_module.fit_survival_model("weibull", time, event, treated, X=X,
                                          covariate_names=names)
    declared = [[v.name for v in m.data_vars] for m in built]
    assert declared[0] != declared[1]  # declared in another order ...
    assert model_digest(built[0]) == model_digest(built[1])  # ... same compiled structure
