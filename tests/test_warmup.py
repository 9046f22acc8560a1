"""``bayeshcc warmup`` (bayeshcc.warmup): it compiles the structures a run of the same spec then
loads from the cache, rebuilds a damaged entry, refuses a bad spec with exit status 2, and does
not change the draws.

The warmed cache is built once for the module (two structures: Weibull and piecewise, 4 covariate
columns); the tests that damage or clear it work on copies. The run samples 100 + 50 draws of two
chain per fit.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from bayeshcc.bayes import compile_cache as cc
from bayeshcc.bayes import fit as fit_module
from tests.conftest import SMALL_SPEC, make_small_frame

SPEC = SMALL_SPEC + """
[bayes]
models = ["weibull", "piecewise"]
adjustments = ["none", "covariates", "ate"]
draws = 50
tune = 100
chains = 2
"""


@pytest.fixture(scope="module")
def warmed(tmp_path_factory):
    """(cache folder, spec path, data path, the warmup's result), warmed in this process."""
    folder = tmp_path_factory.mktemp("warmup")
    spec, data = folder / "spec.toml", folder / "cohort.csv"
    spec.write_text(SPEC)
    make_small_frame(n=60).to_csv(data, index=False)
    cache = folder / "cache"
    mp = pytest.MonkeyPatch()
    mp.setenv(cc.ENV_VAR, str(cache))
    mp.setattr(fit_module, "_COMPILED", {})
    try:
        from bayeshcc.warmup import warmup

        result = warmup(spec, data)
    finally:
        mp.undo()
    return cache, spec, data, result


@pytest.fixture
def fresh_process(monkeypatch):
    """This process as a new one would start: no compiled model in memory, warnings re-armed."""
    monkeypatch.setattr(fit_module, "_COMPILED", {})
    monkeypatch.setattr(cc, "_WARNED", False)
    return monkeypatch


def _copy(cache, tmp_path):
    target = tmp_path / "cache"
    shutil.copytree(cache, target)
    return target


# a short chain's overflow in a tail of the piecewise model is not this test's subject
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_warmup_compiles_the_structures_a_run_then_loads(warmed, fresh_process, tmp_path):
    from bayeshcc.cohort import Cohort
    from bayeshcc.pipeline import RunOptions, run_analysis
    from bayeshcc.spec import load_spec

    cache, spec, data, result = warmed
    assert {w.key for w in result} == {("weibull", 4, 1, False), ("piecewise", 4, 6, False)}
    assert all(w.source == "compiled" and w.before == "absent" for w in result)
    assert len(list(cache.glob("*.nutpie"))) == 2
    fresh_process.setenv(cc.ENV_VAR, str(_copy(cache, tmp_path)))
    seen = []
    original = fit_module._compiled

    def recording(key, *args):
        compiled, source = original(key, *args)
        seen.append((key, source))
        return compiled, source

    fresh_process.setattr(fit_module, "_compiled", recording)
    run_analysis(Cohort.from_file(data, load_spec(spec)), tmp_path / "out",
                 options=RunOptions(quiet=True))
    # every structure the run compiled is one the warmup compiled, each loaded from the disk
    # the first time and from memory after: the run compiled nothing
    assert {key for key, _ in seen} == {w.key for w in result}
    first = {}
    for key, source in seen:
        first.setdefault(key, source)
    assert set(first.values()) == {"disk"}
    assert {source for _, source in seen} <= {"disk", "memory"}


def test_a_second_warmup_loads_everything(warmed, fresh_process, tmp_path):
    from bayeshcc.warmup import warmup

    cache, spec, data, result = warmed
    fresh_process.setenv(cc.ENV_VAR, str(_copy(cache, tmp_path)))
    again = warmup(spec, data)
    assert [(w.key, w.source, w.before) for w in again] == [
        (w.key, "disk", "present") for w in result]
    assert all("loaded from the cache" in w.line() for w in again)


def test_a_truncated_entry_is_rebuilt_with_a_warning(warmed, fresh_process, tmp_path):
    from bayeshcc.warmup import warmup

    cache, spec, data, _ = warmed
    copy = _copy(cache, tmp_path)
    fresh_process.setenv(cc.ENV_VAR, str(copy))
    (entry,) = copy.glob("weibull-*.nutpie")
    entry.write_bytes(entry.read_bytes()[:1000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = {w.key[0]: w for w in warmup(spec, data)}
    assert again["weibull"].source == "compiled"
    assert again["weibull"].before.startswith("unreadable")
    assert "rebuilt (entry unreadable" in again["weibull"].line()
    assert again["piecewise"].source == "disk"
    assert [w for w in caught if issubclass(w.category, cc.CacheWarning)]
    assert cc.entry_state(again["weibull"].key) == "present"  # the rebuilt entry is whole


@pytest.mark.filterwarnings("ignore::bayeshcc.errors.AnalysisWarning")  # 20 draws: unreliable
def test_draws_after_warmup_equal_draws_without(warmed, fresh_process, tmp_path):
    import bayeshcc as bh

    cache, *_ = warmed
    df = make_small_frame(n=60)
    settings = dict(model="weibull", draws=20, tune=20, chains=1, seed=5)
    fresh_process.setenv(cc.ENV_VAR, "off")
    cold = bh.fit(df, "os_time", "os_event", "arm", "new", **settings)
    fresh_process.setattr(fit_module, "_COMPILED", {})
    fresh_process.setenv(cc.ENV_VAR, str(_copy(cache, tmp_path)))
    warm = bh.fit(df, "os_time", "os_event", "arm", "new", **settings)
    assert cold.bayes_fit.timings["compile_cache"] == "uncached"
    assert warm.bayes_fit.timings["compile_cache"] == "disk"
    a, b = cold.bayes_fit.draws(), warm.bayes_fit.draws()
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_bad_spec_is_one_error_line_and_exit_2(tmp_path, capsys):
    from bayeshcc.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_SPEC + "\n[bayes]\nmodels = [\"gompertz\"]\n")
    assert main(["warmup", "--spec", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bayeshcc: error:") and "gompertz" in err[0]
    assert main(["warmup", "--spec", str(tmp_path / "missing.toml")]) == 2
    assert "spec file not found" in capsys.readouterr().err


def test_bh_warmup_is_the_function():
    import bayeshcc as bh
    from bayeshcc.warmup import warmup

    assert callable(bh.warmup) and "warmup" in dir(bh)
    assert bh.warmup.warmup is warmup


def test_synthetic_cohort_has_the_spec_shape():
    from bayeshcc.spec import spec_from_text
    from bayeshcc.warmup import fit_jobs, synthetic_cohort

    spec = spec_from_text(SPEC)
    cohort = synthetic_cohort(spec)
    assert set(cohort.data["stage"].astype(str)) == {"I", "I_other"}
    jobs = fit_jobs(cohort)
    assert sorted({j.task.adjustment for j in jobs}) == ["ate", "covariates", "none"]
    assert {j.task.model for j in jobs} == {"weibull", "piecewise"}


def test_a_curve_prior_fit_finds_what_compile_fit_compiled(fresh_process, tmp_path):
    """The commensurate-prior fits (bayeshcc.bayes.commensurate) take the same route."""
    from bayeshcc.bayes.commensurate import CurvePrior, fit_with_curve
    from bayeshcc.bayes.fit import compile_fit

    fresh_process.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    rng = np.random.default_rng(3)
    t, d = rng.exponential(2.0, 80), (rng.random(80) < 0.7).astype(float)
    treated = (np.arange(80) % 2).astype(float)
    prior = CurvePrior("curve", external_time=rng.exponential(2.0, 100),
                       external_event=np.ones(100), discount=0.5)
    compiled = compile_fit("weibull", t, d, treated, prior=prior)
    assert compiled.key == ("curve", "weibull", 4, 1) and compiled.source == "compiled"
    fresh_process.setattr(fit_module, "_COMPILED", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_with_curve("weibull", t, d, treated, prior=prior, draws=20, tune=20,
                             chains=1)
    assert fit.timings["compile_cache"] == "disk"


@pytest.mark.slow  # compiles everything in fresh caches: about a minute on 2 cores
def test_after_warmup_a_fresh_process_compiles_nothing(tmp_path):
    """In new, empty cache folders (bayeshcc's, PyTensor's, numba's), ``bayeshcc warmup`` and
    then ``bh.fit`` in another process: the fit loads its model from the disk and numba writes
    no new cache file (every kernel of the fit's groups was compiled by the warmup)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[1]
    spec, data = tmp_path / "spec.toml", tmp_path / "cohort.csv"
    spec.write_text(SMALL_SPEC + '\n[bayes]\nmodels = ["weibull"]\nadjustments = ["none"]\n')
    make_small_frame(n=60).to_csv(data, index=False)
    env = {**os.environ, cc.ENV_VAR: str(tmp_path / "bayeshcc"),
           "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}",
           "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}

    def files():
        return {p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                if p.suffix in (".nbi", ".nbc", ".nutpie")}

    subprocess.run([sys.executable, "-m", "bayeshcc", "warmup", "--spec", str(spec), "--data",
                    str(data)], env=env, check=True, cwd=root, capture_output=True)
    warmed = files()
    assert any(p.suffix == ".nbc" for p in warmed) and any(p.suffix == ".nutpie" for p in warmed)
    script = ("import warnings, pandas as pd, bayeshcc as bh\n"
              "warnings.simplefilter('ignore')\n"
              f"df = pd.read_csv({str(data)!r})\n"
              "fit = bh.fit(df, 'os_time', 'os_event', 'arm', 'new', outcome='os', draws=30,"
              " tune=30, chains=2)\n"
              "print('SOURCE', fit.bayes_fit.timings['compile_cache'])\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=root,
                          capture_output=True, text=True)
    assert "SOURCE disk" in done.stdout
    assert files() == warmed
