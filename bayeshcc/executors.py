"""Run many independent fits: sequentially, in local processes, or on a Dask cluster.

The sensitivity grid, simulation-based calibration and coverage simulations all reduce to
"apply one function to a list of picklable tasks and keep the results in task order".
:func:`run_tasks` does that with the same results whatever the executor, provided each
task carries its own seed (:func:`derive_seed`) instead of drawing from a shared stream.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from bayeshcc.errors import BayesHCCError
from bayeshcc.interrupts import ignore_interrupts, raise_if_interrupted

#: Seeds are drawn from ``[0, 2**63)``: valid for numpy ``default_rng``/``SeedSequence``,
#: PyMC ``random_seed`` and nutpie (``u64``); far fewer collisions than 32 bits.
SEED_BITS = 63

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 5.0


class ExecutorError(BayesHCCError, RuntimeError):
    """A batch of tasks could not be run: unreachable scheduler or a failed task."""


class ProgressReporter(Protocol):
    """What :func:`run_tasks` calls on its ``progress`` argument."""

    def begin(self, total: int) -> None: ...

    def step(self, label: str) -> None: ...

    def end(self) -> None: ...


def _encode_part(part: Any) -> list[str]:
    # Type-tagged so that 1, 1.0, "1" and True give different seeds; floats by their exact
    # hexadecimal form so that the encoding does not depend on repr's rounding.
    if isinstance(part, bool):
        return ["b", str(int(part))]
    if isinstance(part, int):
        return ["i", str(part)]
    if isinstance(part, float):
        return ["f", part.hex()]
    if isinstance(part, str):
        return ["s", part]
    raise TypeError(f"derive_seed key parts must be str, int, float or bool, "
                    f"got {type(part).__name__} ({part!r})")


def derive_seed(base_seed: int, key: tuple[str | int | float, ...]) -> int:
    """A stable seed for one fit, derived from the analysis seed and the fit's key.

    .. math::

        \\text{seed} = \\operatorname{int}\\big(\\operatorname{sha256}
        (\\operatorname{json}([\\text{base\\_seed}, \\text{tagged key}]))[:8]\\big)
        \\bmod 2^{63}

    Each key part is written with its type (``1``, ``1.0`` and ``"1"`` differ), floats by
    their exact hexadecimal form, so the seed is the same on every machine, Python version
    and process, unlike ``hash()`` which is salted per process. R has no built-in
    equivalent; it plays the role of ``parallel::nextRNGStream`` (independent streams per
    task), addressed by name instead of by position, so adding a cell to a grid does not
    change the seeds of the others.

    Parameters
    ----------
    base_seed : int
        The spec's seed (``[bayes] seed``).
    key : tuple of str, int or float
        Names the fit, e.g. ``("os", "weibull", "skeptical", "ate")``.

    Returns
    -------
    int
        A seed in ``[0, 2**63)``.

    Examples
    --------
    >>> derive_seed(20241, ("os", "weibull", "skeptical", "ate")) == \\
    ...     derive_seed(20241, ("os", "weibull", "skeptical", "ate"))
    True
    """
    if isinstance(base_seed, bool) or not isinstance(base_seed, int):
        raise TypeError(f"base_seed must be an int, got {type(base_seed).__name__}")
    if not isinstance(key, tuple):
        raise TypeError(f"key must be a tuple, got {type(key).__name__}")
    payload = json.dumps([str(base_seed), [_encode_part(p) for p in key]],
                         separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(payload.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - SEED_BITS)


def task_label(task: Any) -> str:
    """A short name for a task: its ``key`` or ``label`` attribute, or the tuple joined by ``/``."""
    for attr in ("label", "key"):
        value = getattr(task, attr, None)
        if value is not None:
            return "/".join(map(str, value)) if isinstance(value, tuple) else str(value)
    if isinstance(task, tuple):
        return "/".join(map(str, task))
    text = repr(task)
    return text if len(text) <= 80 else text[:77] + "..."


def _failed(task: Any, exc: BaseException) -> ExecutorError:
    return ExecutorError(f"task {task_label(task)} failed: {type(exc).__name__}: {exc}")


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int | None = None,
              scheduler: str | None = None,
              progress: ProgressReporter | None = None,
              keep: Callable[[Any], Any] | None = None) -> list:
    """Run ``fn(task)`` for every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference for processes and Dask).
    tasks : sequence
        Picklable tasks (frozen dataclasses or tuples), each carrying its own seed.
    workers : int, optional
        Run in a ``ProcessPoolExecutor`` with this many processes (``spawn`` start
        method, safe with PyTensor and threaded BLAS). Default: sequential in this process.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:port"``); tasks are submitted
        with ``client.map(fn, tasks, pure=False)``. Exclusive with ``workers``.
    progress : ProgressReporter, optional
        Told the total, each finished task's label and the end, e.g.
        :class:`bayeshcc.progress.Progress`.
    keep : callable, optional
        Applied in this process to each result as soon as it arrives (in the order the tasks
        finish), the result itself then dropped: the returned list holds what ``keep``
        returns. Lets a caller save large results (posteriors) and keep a summary, so memory
        does not grow with the number of tasks.

    Returns
    -------
    list
        ``[keep(fn(t)) for t in tasks]`` (``keep`` the identity by default), whichever
        executor ran them.

    Raises
    ------
    ExecutorError
        The scheduler cannot be reached within ``CONNECT_TIMEOUT`` seconds, or a task
        raised (the message names the task and the original error, chained as cause).
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers= or scheduler=, not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    tasks = list(tasks)
    if progress is not None:
        progress.begin(len(tasks))
    try:
        if not tasks:
            return []
        keep = keep or _identity
        if scheduler is not None:
            return _run_dask(fn, tasks, scheduler, progress, keep)
        if workers is not None:
            return _run_pool(fn, tasks, workers, progress, keep)
        return _run_sequential(fn, tasks, progress, keep)
    finally:
        if progress is not None:
            progress.end()


def _identity(result):
    return result


def _run_sequential(fn, tasks, progress, keep) -> list:
    results = []
    for task in tasks:
        try:
            result = fn(task)
        except Exception as exc:
            raise _failed(task, exc) from exc
        raise_if_interrupted()  # an interrupt that the task's code caught is still one
        results.append(keep(result))
        del result
        if progress is not None:
            progress.step(task_label(task))
    return results


def _run_pool(fn, tasks, workers, progress, keep) -> list:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    # workers ignore Ctrl-C (it reaches the whole process group): this process stops them
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                               initializer=ignore_interrupts)
    try:
        futures = [pool.submit(fn, task) for task in tasks]
        index = {future: i for i, future in enumerate(futures)}
        results = [None] * len(tasks)
        for future in as_completed(futures):
            i = index.pop(future)
            task = tasks[i]
            exc = future.exception()
            if exc is not None:
                if isinstance(exc, KeyboardInterrupt):
                    raise KeyboardInterrupt from exc
                if isinstance(exc, BrokenProcessPool):
                    raise ExecutorError(
                        f"a worker process died while running task {task_label(task)} (out of "
                        f"memory, or a script that starts processes without an "
                        f"`if __name__ == '__main__':` guard)") from exc
                raise _failed(task, exc) from exc
            raise_if_interrupted()
            results[i] = keep(future.result())
            futures[i] = future = None  # the result is not held until the others finish
            if progress is not None:
                progress.step(task_label(task))
    except BaseException:  # a failed task or an interrupt: no task goes on running
        _stop_pool(pool)
        raise
    pool.shutdown()
    return results


def _stop_pool(pool) -> None:
    """Cancel the pending tasks of a process pool and end its workers now, running tasks
    included (``shutdown`` alone waits for them)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # 3.12 and 3.13 have no public way: the pool's processes, read before shutdown drops them
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _run_dask(fn, tasks, scheduler, progress, keep) -> list:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # a core dependency; only a broken install gets here
        raise ExecutorError(f"scheduler={scheduler!r} needs dask.distributed: "
                            f"pip install 'dask[distributed]'") from exc
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler} within "
                            f"{CONNECT_TIMEOUT:g} s ({type(exc).__name__}: {exc}); start one "
                            f"with `dask scheduler` and workers with `dask worker {scheduler}`"
                            ) from exc
    with client:
        futures = client.map(fn, tasks, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        results = [None] * len(tasks)
        try:
            for future in as_completed(futures, loop=client.loop):
                i = index[future.key]
                task = tasks[i]
                if future.status == "error":
                    exc = future.exception()
                    if isinstance(exc, KeyboardInterrupt):
                        raise KeyboardInterrupt from exc
                    raise _failed(task, exc) from exc
                raise_if_interrupted()
                results[i] = keep(future.result())
                future.release()
                if progress is not None:
                    progress.step(task_label(task))
            return results
        finally:
            client.cancel(futures)


__all__ = ["ExecutorError", "ProgressReporter", "derive_seed", "run_tasks", "task_label",
           "CONNECT_TIMEOUT", "SEED_BITS"]
