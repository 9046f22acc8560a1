"""The on-disk cache of compiled models (bayeshcc.bayes.compile_cache).

Fast tests drive the cache protocol with a stand-in "model" of two tiny numba C callbacks (the
shape of nutpie's numba model); the slow test runs real fits in fresh processes and compares
draws exactly. Every test uses its own cache folder through ``BAYESHCC_CACHE_DIR``.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bayeshcc.bayes import compile_cache as cc

ROOT = Path(__file__).parents[2]

# A stand-in for nutpie.compile_pymc_model: two numba.cfunc calls, like nutpie's numba backend.
FAKE = textwrap.dedent("""
    import ctypes, json, sys, warnings
    from types import SimpleNamespace
    import numba
    from bayeshcc.bayes import compile_cache as cc

    def compile_model(scale=2.0):
        def f(x):
            return scale * x + 1.0
        def g(x):
            return x * x
        sig = "float64(float64)"
        a, b = numba.cfunc(sig)(f), numba.cfunc(sig)(g)
        return SimpleNamespace(n_dim=1, n_expanded=1, shape_info=(["x"], [], [()]),
                               shared_var_keys={}, shared_data={}, logp_func=None,
                               expand_func=None, compiled_logp_func=a, compiled_expand_func=b)

    def call(cf, x):
        return ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(cf.address)(x)

    if __name__ == "__main__":
        scale = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model, source = cc.compile_cached(("fake", 1), lambda: compile_model(scale))
            model2, source2 = cc.compile_cached(("fake", 1), lambda: compile_model(scale))
        print("OUT" + json.dumps({
            "source": source, "source2": source2,
            "values": [call(model.compiled_logp_func, 3.0), call(model.compiled_expand_func, 3.0)],
            "warnings": [str(w.message) for w in caught
                         if issubclass(w.category, cc.CacheWarning)]}))
""")


def _env(cache):
    env = {**os.environ, "BAYESHCC_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return env


def _run(script, cache, *args, timeout=600):
    done = subprocess.run([sys.executable, str(script), *map(str, args)], env=_env(cache),
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("OUT"))
    return json.loads(line[3:])


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_model.py"
    script.write_text(FAKE)
    return script


def _entries(cache):
    return sorted(Path(cache).glob("*.nutpie"))


def test_cache_dir_env_var_default_and_off(monkeypatch, tmp_path):
    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "c"))
    assert cc.cache_dir() == tmp_path / "c"
    for off in ("off", "OFF", "0"):
        monkeypatch.setenv(cc.ENV_VAR, off)
        assert cc.cache_dir() is None
        assert cc.entry_path(("weibull", 4)) is None
    monkeypatch.delenv(cc.ENV_VAR)
    default = cc.cache_dir()
    assert default.name == "bayeshcc"
    assert ROOT not in default.resolve().parents  # never inside the repository


def test_entry_name_depends_on_structure_and_versions(monkeypatch, tmp_path):
    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path))
    a = cc.entry_path(("weibull", 4, 1, False, False))
    assert a.parent == tmp_path and a.name.startswith("weibull-4-1-False-False-")
    assert a != cc.entry_path(("weibull", 8, 1, False, False))
    versions = cc.versions()
    for name in ("bayeshcc", "pymc", "pytensor", "nutpie", "numba", "numpy", "python"):
        assert versions[name]
    monkeypatch.setattr(cc, "versions", lambda: {**versions, "numba": "0.0"})
    assert cc.entry_path(("weibull", 4, 1, False, False)) != a


def test_write_is_atomic_and_read_detects_corruption(tmp_path):
    path = tmp_path / "sub" / "x.nutpie"
    entry = {"cfuncs": [1, 2], "signature": {"n_dim": 3}}
    cc._write(path, entry)
    assert cc._read(path) == entry
    assert [p.name for p in path.parent.iterdir()] == ["x.nutpie"]  # no temporary left over
    assert cc._read(tmp_path / "absent.nutpie") is None
    raw = path.read_bytes()
    for bad in (raw[: len(raw) // 2], raw[:10], b"", b"garbage" * 100,
                raw[:-1] + bytes([raw[-1] ^ 1])):
        path.write_bytes(bad)
        with pytest.raises(ValueError):
            cc._read(path)


def test_fresh_process_loads_what_another_compiled(fake, tmp_path):
    cache = tmp_path / "cache"
    cold = _run(fake, cache)
    assert (cold["source"], cold["source2"]) == ("compiled", "disk")
    assert len(_entries(cache)) == 1
    warm = _run(fake, cache)
    assert (warm["source"], warm["source2"]) == ("disk", "disk")
    assert warm["values"] == cold["values"] == [7.0, 9.0]
    assert warm["warnings"] == cold["warnings"] == []


def _fake_module(fake, monkeypatch):
    """The stand-in as an importable module (numba rebuilds a function's environment by
    importing its module, as it does for nutpie's callbacks)."""
    import importlib

    monkeypatch.syspath_prepend(str(fake.parent))
    sys.modules.pop("fake_model", None)
    module = importlib.import_module("fake_model")
    assert Path(module.__file__) == fake
    return module


def _compile_in_process(fake, monkeypatch):
    """compile_cached in this process (fresh warning state); returns source, values, warnings."""
    import warnings

    module = _fake_module(fake, monkeypatch)
    monkeypatch.setattr(cc, "_WARNED", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, source = cc.compile_cached(("fake", 1), module.compile_model)
    values = [module.call(model.compiled_logp_func, 3.0),
              module.call(model.compiled_expand_func, 3.0)]
    return source, values, [str(w.message) for w in caught
                            if issubclass(w.category, cc.CacheWarning)]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "flipped"])
def test_corrupt_entry_is_rebuilt_with_one_warning(fake, tmp_path, monkeypatch, damage):
    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    assert _compile_in_process(fake, monkeypatch) == ("compiled", [7.0, 9.0], [])
    (path,) = _entries(tmp_path / "cache")
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 3], "garbage": os.urandom(5000),
                      "empty": b"", "flipped": raw[:-100] + bytes(100)}[damage])
    source, values, warned = _compile_in_process(fake, monkeypatch)
    assert (source, values) == ("compiled", [7.0, 9.0])  # rebuilt
    assert len(warned) == 1 and "unreadable" in warned[0]
    # the rebuilt entry is good again, and a second bad entry in a process stays silent
    assert _compile_in_process(fake, monkeypatch) == ("disk", [7.0, 9.0], [])
    path.write_bytes(b"junk")
    module = _fake_module(fake, monkeypatch)
    cc._WARNED = True
    assert cc.compile_cached(("fake", 1), module.compile_model)[1] == "compiled"


def test_stale_entry_is_rebuilt(fake, tmp_path, monkeypatch):
    """A well-formed entry that does not match the model just built is not used."""
    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    _compile_in_process(fake, monkeypatch)
    (path,) = _entries(tmp_path / "cache")
    entry = cc._read(path)
    entry["signature"] = {**entry["signature"], "n_dim": 2}
    cc._write(path, entry)
    source, values, warned = _compile_in_process(fake, monkeypatch)
    assert (source, values) == ("compiled", [7.0, 9.0])
    assert len(warned) == 1 and "does not match" in warned[0]
    assert _compile_in_process(fake, monkeypatch) == ("disk", [7.0, 9.0], [])


def test_unwritable_cache_folder_still_fits(fake, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cc.ENV_VAR, str(blocker / "cache"))
    source, values, warned = _compile_in_process(fake, monkeypatch)
    assert (source, values) == ("uncached", [7.0, 9.0]) and len(warned) == 1


def test_concurrent_processes_leave_a_valid_entry(fake, tmp_path):
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, str(fake)], env=_env(cache),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        assert json.loads(out.split("OUT", 1)[1])["values"] == [7.0, 9.0]
    (path,) = Path(cache).iterdir()  # one entry, no temporaries
    assert path.suffix == ".nutpie" and cc._read(path)["signature"]["n_dim"] == 1


FIT = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    from bayeshcc.bayes.compile_cache import CacheWarning
    from bayeshcc.bayes.fit import fit_survival_model
    rng = np.random.default_rng(4)
    n = 150
    trt = rng.integers(0, 2, n).astype(float)
    X = rng.normal(size=(n, 2))
    t = rng.weibull(1.3, n) * np.exp(-(np.log(0.2) - 0.5 * trt + X @ [0.3, -0.2]) / 1.3)
    c = rng.uniform(2, 8, n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_survival_model("weibull", np.minimum(t, c), (t <= c).astype(float), trt,
                                 X=X, covariate_names=("a", "b"), seed=21, draws=100, tune=100,
                                 chains=2)
    np.savez(sys.argv[1], **fit.draws())
    print("OUT" + json.dumps({"source": fit.timings["compile_cache"],
                              "compile_s": fit.timings["compile_s"],
                              "warnings": [str(w.message) for w in caught
                                           if issubclass(w.category, CacheWarning)]}))
""")


@pytest.mark.slow
def test_warm_cache_in_fresh_process_gives_identical_draws(tmp_path, monkeypatch):
    """Cold compile, warm load and a rebuild after corruption, each in a fresh process.

    PyTensor's own numba cache (a temporary folder here) is warmed first by a run without the
    bayeshcc cache: a process that compiles PyTensor's kernels afresh gives draws that differ
    in the last digits from processes that load them from PyTensor's cache (measured without
    the bayeshcc cache, before it existed); the bayeshcc cache reproduces the latter exactly.
    """
    monkeypatch.setenv("PYTENSOR_FLAGS", f"base_compiledir={tmp_path / 'pytensor'}")
    script, cache = tmp_path / "fit.py", tmp_path / "cache"
    script.write_text(FIT)
    assert _run(script, "off", tmp_path / "prime.npz")["source"] == "uncached"
    runs = {}
    for label in ("cold", "warm", "corrupt"):
        if label == "corrupt":
            (path,) = _entries(cache)
            path.write_bytes(path.read_bytes()[:1000])
        runs[label] = _run(script, cache, tmp_path / f"{label}.npz")
    assert [runs[x]["source"] for x in runs] == ["compiled", "disk", "compiled"]
    assert runs["cold"]["warnings"] == runs["warm"]["warnings"] == []
    assert len(runs["corrupt"]["warnings"]) == 1
    draws = {x: np.load(tmp_path / f"{x}.npz") for x in runs}
    assert sorted(draws["cold"].files) == ["beta", "log_hr", "log_rate", "log_shape", "shape"]
    for label in ("warm", "corrupt"):
        for name in draws["cold"].files:
            np.testing.assert_array_equal(draws[label][name], draws["cold"][name])


def _rebuild_from_payloads(calls):
    """A ``rebuild`` for the stand-in: its two callbacks loaded as nutpie_model loads them."""
    from types import SimpleNamespace

    from bayeshcc.bayes.nutpie_model import LoadedCallback

    def rebuild(layout, payloads):
        calls.append(layout)
        logp, expand = (LoadedCallback(p) for p in payloads)
        return SimpleNamespace(compiled_logp_func=logp, compiled_expand_func=expand)

    return rebuild


def test_hit_is_rebuilt_from_the_stored_layout_without_compiling(fake, tmp_path, monkeypatch):
    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    module = _fake_module(fake, monkeypatch)
    rebuilds, compiles = [], []
    describe = lambda compiled: {"n_dim": compiled.n_dim}  # noqa: E731
    first, source = cc.compile_cached(("fake", 1), module.compile_model, describe=describe,
                                      rebuild=_rebuild_from_payloads(rebuilds))
    assert source == "compiled" and rebuilds == []
    hit, source = cc.compile_cached(("fake", 1), lambda: compiles.append(1), describe=describe,
                                    rebuild=_rebuild_from_payloads(rebuilds))
    assert (source, rebuilds, compiles) == ("disk", [{"n_dim": 1}], [])
    assert [module.call(hit.compiled_logp_func, 3.0),
            module.call(hit.compiled_expand_func, 3.0)] == [7.0, 9.0]  # 2 * 3 + 1, 3 * 3


@pytest.mark.parametrize("error", ["stale", "nutpie changed"])
def test_layout_that_does_not_fit_is_settled_by_the_compiled_graphs(fake, tmp_path,
                                                                   monkeypatch, error):
    """A rebuild that raises (StaleLayout, or e.g. a TypeError from nutpie internals it was not
    written for) falls back to compiling the graphs with the cached callbacks loaded: used when
    the compiled graphs match, recompiled when they do not (the stored signature). A stale
    layout is expected and silent; any other error is a bug or an internal change, and says so
    in the one warning of the process."""
    import warnings

    from bayeshcc.bayes.nutpie_model import StaleLayout

    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    module = _fake_module(fake, monkeypatch)
    describe = lambda compiled: {"n_dim": compiled.n_dim}  # noqa: E731
    cc.compile_cached(("fake", 1), module.compile_model, describe=describe,
                      rebuild=_rebuild_from_payloads([]))

    def stale(layout, payloads):
        if error == "stale":
            raise StaleLayout("the model's graph differs from the cached one")
        raise TypeError("CompiledPyMCModel.__init__() got an unexpected keyword argument")

    def compile_stale(signature_n_dim):
        (path,) = _entries(tmp_path / "cache")
        entry = cc._read(path)
        entry["signature"] = {**entry["signature"], "n_dim": signature_n_dim}
        cc._write(path, entry)
        monkeypatch.setattr(cc, "_WARNED", False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model, source = cc.compile_cached(("fake", 1), module.compile_model,
                                              describe=describe, rebuild=stale)
        assert module.call(model.compiled_logp_func, 3.0) == 7.0
        return source, [str(w.message) for w in caught if issubclass(w.category, cc.CacheWarning)]

    expected = "does not match" if error == "stale" else "could not be rebuilt (TypeError"
    source, warned = compile_stale(1)  # the graphs match: the cached code is used
    assert source == "disk"
    assert warned == ([] if error == "stale" else [warned[0]])
    assert error == "stale" or expected in warned[0]
    source, warned = compile_stale(2)  # they do not: recompiled
    assert source == "compiled" and len(warned) == 1 and expected in warned[0]


def test_an_untested_nutpie_turns_the_cache_off_with_one_log_line(monkeypatch, tmp_path, caplog):
    """The cache reads nutpie's internals: with a release it is not tested with, it is off."""
    import importlib.metadata

    monkeypatch.setenv(cc.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(cc, "_UNTESTED_LOGGED", False)
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "0.99.0" if name == "nutpie" else real(name))
    with caplog.at_level("WARNING", logger=cc.__name__):
        assert cc.cache_dir() is None
        assert cc.cache_dir() is None
    assert [r.getMessage() for r in caplog.records] == [
        "bayeshcc: compiled-model cache off: nutpie 0.99.0 is not one it is tested with "
        f"({', '.join(cc.TESTED_NUTPIE)}); every fit compiles"]
