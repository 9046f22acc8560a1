"""run_tasks: same results in task order whatever the executor; derive_seed is stable."""

from __future__ import annotations

import socket

import pytest

from bayeshcc.errors import BayesHCCError
from bayeshcc.executors import ExecutorError, derive_seed, run_tasks, task_label
from tests.executors.tasks import GRID, Fit, fail_on_piecewise, simulate


class Recorder:
    """A progress reporter that keeps what it was told."""

    def __init__(self):
        self.calls = []

    def begin(self, total):
        self.calls.append(("begin", total))

    def step(self, label):
        self.calls.append(("step", label))

    def end(self):
        self.calls.append(("end",))


def test_derive_seed_is_a_fixed_function_of_seed_and_key():
    """The value is pinned: sha256 of '["20241",[["s","os"],["s","weibull"],["s","skeptical"],
    ["s","ate"]]]', first 8 bytes big-endian, shifted right by one bit."""
    assert derive_seed(20241, ("os", "weibull", "skeptical", "ate")) == 7555454100266410860


def test_derive_seed_distinguishes_keys_seeds_and_types():
    keys = [("os", m, p, a) for m in ("weibull", "piecewise")
            for p in ("vague", "weakly_informative", "skeptical")
            for a in ("none", "covariates", "ate", "att", "overlap", "matched")]
    seeds = {derive_seed(20241, k) for k in keys}
    assert len(seeds) == len(keys)
    assert derive_seed(1, ("os",)) != derive_seed(2, ("os",))
    assert len({derive_seed(0, (1,)), derive_seed(0, (1.0,)), derive_seed(0, ("1",)),
                derive_seed(0, (True,))}) == 4
    assert derive_seed(0, ("a", "bc")) != derive_seed(0, ("ab", "c"))
    assert all(0 <= s < 2**63 for s in seeds)


def test_derive_seed_rejects_unhashable_parts():
    with pytest.raises(TypeError, match="key parts must be"):
        derive_seed(1, ("os", None))


def test_sequential_returns_results_in_task_order():
    results = run_tasks(simulate, GRID)
    assert [r[0] for r in results] == [t.key for t in GRID]
    assert results == [simulate(t) for t in GRID]


def test_process_pool_gives_the_sequential_results():
    assert run_tasks(simulate, GRID, workers=2) == run_tasks(simulate, GRID)


def test_dask_local_cluster_gives_the_sequential_results():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        progress = Recorder()
        results = run_tasks(simulate, GRID, scheduler=cluster.scheduler_address,
                            progress=progress)
        with pytest.raises(ExecutorError, match="task os/piecewise/vague/none failed|"
                                                "task os/piecewise/.* failed"):
            run_tasks(fail_on_piecewise, GRID, scheduler=cluster.scheduler_address)
    assert results == run_tasks(simulate, GRID)
    assert progress.calls[0] == ("begin", len(GRID))
    assert sorted(c[1] for c in progress.calls[1:-1]) == sorted(task_label(t) for t in GRID)


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("bayeshcc.executors.CONNECT_TIMEOUT", 1.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ExecutorError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        run_tasks(simulate, GRID, scheduler=f"tcp://127.0.0.1:{port}")


@pytest.mark.parametrize("workers", [None, 2])
def test_a_failing_task_is_named(workers):
    with pytest.raises(ExecutorError, match=r"task os/piecewise/\w+/\w+ failed: "
                                            r"ValueError: design matrix is singular"):
        run_tasks(fail_on_piecewise, GRID, workers=workers)


def test_the_first_failing_task_is_named_when_sequential():
    with pytest.raises(ExecutorError, match="task os/piecewise/vague/none failed") as info:
        run_tasks(fail_on_piecewise, GRID)
    assert isinstance(info.value, BayesHCCError)
    assert isinstance(info.value.__cause__, ValueError)


def test_progress_is_told_total_each_task_and_end():
    progress = Recorder()
    run_tasks(simulate, GRID[:2], progress=progress)
    assert progress.calls == [("begin", 2), ("step", "os/weibull/vague/none"),
                              ("step", "os/weibull/vague/ate"), ("end",)]


def test_no_tasks_gives_no_results():
    assert run_tasks(simulate, [], workers=2) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"workers": 0}, "workers must be a positive integer"),
    ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, "either workers= or scheduler="),
])
def test_bad_executor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_tasks(simulate, GRID, **kwargs)


def test_task_label_uses_key_then_tuple():
    assert task_label(Fit(("os", "weibull"))) == "os/weibull"
    assert task_label(("pfs", 3)) == "pfs/3"


def _mean_only(result):
    """A ``keep`` for the executor tests: the key and the mean, not the draws."""
    return result[0], result[1]


@pytest.mark.parametrize("workers", [None, 2])
def test_keep_replaces_each_result_as_it_arrives_in_task_order(workers):
    kept = run_tasks(simulate, GRID, workers=workers, keep=_mean_only)
    assert kept == [_mean_only(simulate(t)) for t in GRID]
