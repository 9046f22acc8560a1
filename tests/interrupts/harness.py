"""Run ``bayeshcc`` in this process with a signal sent to itself at one phase of the run.

``python harness.py PHASE SIGNAL bayeshcc-arguments...``: PHASE names a function of the pipeline
(:data:`PHASES`); when the run first calls it, the process sends itself SIGNAL (``INT`` or
``TERM``) through the operating system, exactly as a terminal or a job scheduler would, and then
goes on. ``imports`` sends it from a timer while the command imports its libraries; ``sampling``
from a timer while nutpie's chains run. The exit status is the command's.
"""

from __future__ import annotations

import faulthandler
import importlib
import os
import signal
import sys
import threading

#: phase -> (module, function, seconds after the call starts; None: at once, on entry)
PHASES = {
    "imports": (None, None, 0.3),
    "adjustment": ("bayeshcc.adjust.cohort", "adjust", None),
    "compilation": ("bayeshcc.bayes.nutpie_model", "compile_pymc_cached", None),
    "sampling": ("nutpie", "sample", 0.05),
    "jackknife": ("bayeshcc.bayes.calibration", "jackknife_covariance", None),
    "loo": ("bayeshcc.tables.bayes", "loo_result", None),
    "figures": ("bayeshcc.figures.posterior", "plot_marginal_survival", None),
    "report": ("bayeshcc.report", "render_report", None),
    # the grid on worker processes or a Dask cluster, once its tasks have started
    "grid": ("bayeshcc.executors", "run_tasks", 6.0),
}


def _send_later(signum: int, delay: float, phase: str, running=lambda: True) -> None:
    def send():
        # what the test checks: the signal left while the phase was still running
        print(f"harness: signal sent {'during' if running() else 'after'} {phase}", flush=True)
        os.kill(os.getpid(), signum)

    timer = threading.Timer(delay, send)
    timer.daemon = True
    timer.start()


def _arm(phase: str, signum: int) -> None:
    module_name, name, delay = PHASES[phase]
    if module_name is None:
        _send_later(signum, delay, phase)
        return
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    state = {"calls": 0, "returned": False}

    def wrapped(*args, **kwargs):
        state["calls"] += 1
        first = state["calls"] == 1
        if first and delay is None:
            print(f"harness: signal sent during {phase}", flush=True)
            os.kill(os.getpid(), signum)
        elif first:
            _send_later(signum, delay, phase, lambda: not state["returned"])
        result = original(*args, **kwargs)
        if phase == "sampling" and first:
            result.wait = _waiting(result.wait, state)  # nutpie's run returns before its end
        elif first:
            state["returned"] = True
        return result

    setattr(module, name, wrapped)


def _waiting(wait, state):
    def wrapped_wait(*args, **kwargs):
        try:
            return wait(*args, **kwargs)
        finally:
            state["returned"] = True

    return wrapped_wait


#: A run that has not ended this long after it started is hung: every thread's stack is
#: written to stderr and the process exits, so that the test shows where (its own limit is 600 s)
HUNG_AFTER = 420


def main(argv: list[str]) -> int:
    phase, sig, *args = argv
    faulthandler.dump_traceback_later(HUNG_AFTER, exit=True)
    signum = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}[sig]
    if phase != "imports":
        _arm(phase, signum)
        from bayeshcc.cli import main as cli
    else:
        from bayeshcc.cli import main as cli
        _arm(phase, signum)
    try:
        return cli(args)
    finally:
        print(f"harness: worker processes alive: {len(_workers())}", flush=True)


def _workers() -> list:
    """This process's child processes that run tasks (not multiprocessing's resource tracker)."""
    import psutil

    children = psutil.Process().children(recursive=True)
    return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(c.cmdline())]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
