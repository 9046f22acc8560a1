"""An interrupted run is never a result (issue #28).

Ctrl-C (SIGINT) and SIGTERM, sent through the operating system at eight points of a run, end
``bayeshcc analyze`` with exit status 130 / 143, one line on stderr and nothing left in the
output's parent folder; in Python, an interrupt during ``bh.fit``'s sampling propagates as
``KeyboardInterrupt`` (nutpie on its own returns the draws taken so far) and the next fit works.
"""

from __future__ import annotations

import _thread
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SMALL_SPEC, make_small_frame

HARNESS = Path(__file__).with_name("harness.py")
REPO = Path(__file__).resolve().parents[2]
ONE_LINE = "bayeshcc: interrupted; no results folder was written"
STATUS = {"INT": 130, "TERM": 143}
PHASES = ["imports", "adjustment", "compilation", "sampling", "jackknife", "loo", "figures",
          "report"]

# one weighted fit (so the run has a jackknife), its LOO, figures and report: every phase
ONE_FIT = SMALL_SPEC + """
[bayes]
models = ["weibull"]
adjustments = ["ate"]
priors = ["vague"]
draws = 500
tune = 500
chains = 2
"""
# several fits, for the executors: the grid is still running when the signal comes
GRID = SMALL_SPEC + """
[bayes]
models = ["weibull", "piecewise"]
adjustments = ["none", "ate"]
priors = ["vague", "weakly_informative", "skeptical", "enthusiastic"]
# long enough that the grid is still running 6 s after its tasks start, even with every model
# loaded from a warm cache (with 12 fits of 1 500 draws a fast machine finished it first)
draws = 5000
tune = 1000
chains = 2
"""


def _inputs(folder: Path, spec: str) -> tuple[Path, Path]:
    data, spec_path = folder / "cohort.csv", folder / "spec.toml"
    make_small_frame(120, 3).to_csv(data, index=False)
    spec_path.write_text(spec)
    return data, spec_path


def _interrupted_run(tmp_path: Path, phase: str, sig: str, spec: str = ONE_FIT,
                     extra: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess, Path]:
    data, spec_path = _inputs(tmp_path, spec)
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "earlier.txt").write_text("the user's file")
    run = subprocess.run([sys.executable, str(HARNESS), phase, sig, "analyze", "--data",
                          str(data), "--spec", str(spec_path), "--out",
                          str(parent / "results"), *extra],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    return run, parent


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["INT", "TERM"])
@pytest.mark.parametrize("phase", PHASES)
def test_a_signal_at_any_phase_ends_the_run_with_its_status_and_leaves_nothing(tmp_path, phase,
                                                                              sig):
    run, parent = _interrupted_run(tmp_path, phase, sig)
    assert f"harness: signal sent during {phase}" in run.stdout  # it landed where meant
    assert run.returncode == STATUS[sig], run.stderr
    assert run.stderr.strip() == ONE_LINE  # one line, no traceback
    assert sorted(p.name for p in parent.iterdir()) == ["earlier.txt"]  # no folder, no staging
    assert (parent / "earlier.txt").read_text() == "the user's file"


@pytest.mark.slow
def test_a_new_output_folder_with_new_parents_is_not_left_behind(tmp_path):
    data, spec_path = _inputs(tmp_path, ONE_FIT)
    out = tmp_path / "new" / "deeper" / "results"
    run = subprocess.run([sys.executable, str(HARNESS), "jackknife", "TERM", "analyze",
                          "--data", str(data), "--spec", str(spec_path), "--out", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert run.returncode == 143, run.stderr
    assert not (tmp_path / "new").exists()  # the parents the run made are gone too


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_an_interrupt_stops_the_worker_processes(tmp_path, sig):
    run, parent = _interrupted_run(tmp_path, "grid", sig, GRID, ("--workers", "2"))
    assert "harness: signal sent during grid" in run.stdout
    assert run.returncode == STATUS[sig], run.stderr
    assert run.stderr.strip() == ONE_LINE
    assert "harness: worker processes alive: 0" in run.stdout
    assert sorted(p.name for p in parent.iterdir()) == ["earlier.txt"]


@pytest.mark.slow
def test_an_interrupt_leaves_no_task_on_the_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run, parent = _interrupted_run(tmp_path, "grid", "TERM", GRID,
                                       ("--scheduler", cluster.scheduler_address))
        assert "harness: signal sent during grid" in run.stdout
        assert run.returncode == 143, run.stderr
        assert run.stderr.strip() == ONE_LINE
        assert sorted(p.name for p in parent.iterdir()) == ["earlier.txt"]
        # the queued tasks are cancelled; a task already running on a Dask worker thread cannot
        # be stopped, so it ends on its own (a fit, its compile in a fresh worker included:
        # seconds, more on a loaded machine), then the scheduler holds none of the run's tasks
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            left = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
            busy = sum(len(v) for v in client.processing().values())
            if left == 0 and busy == 0:
                break
            time.sleep(0.25)
        assert (left, busy) == (0, 0)


def _fit(df, draws):
    import bayeshcc as bh

    return bh.fit(df, "os_time", "os_event", "arm", "new", draws=draws, tune=300, chains=2,
                  seed=5)


@pytest.mark.slow
def test_an_interrupt_during_sampling_raises_and_the_next_fit_works(monkeypatch):
    """nutpie.sample on its own returns the draws taken so far when interrupted; bh.fit must
    raise KeyboardInterrupt instead, leaving the process usable."""
    import warnings

    import nutpie

    df = make_small_frame(120, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fit(df, 200)  # compiled once, so that the interrupt below lands in the sampler
        original = nutpie.sample

        def sample_then_interrupt(*args, **kwargs):
            threading.Timer(0.2, _thread.interrupt_main).start()
            return original(*args, **kwargs)

        monkeypatch.setattr(nutpie, "sample", sample_then_interrupt)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            _fit(df, 500_000)  # minutes of sampling: it can only end by the interrupt
        assert time.monotonic() - start < 30
        monkeypatch.setattr(nutpie, "sample", original)
        after = _fit(df, 300)
    assert after.bayes_fit.posterior["posterior"].sizes["draw"] == 300
