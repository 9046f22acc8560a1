"""Interrupts end a run: Ctrl-C (SIGINT) and SIGTERM are never a result.

A job scheduler (Slurm, a Dask nanny, ``kill``) sends SIGTERM; a user at a terminal sends SIGINT.
Python turns SIGINT into :class:`KeyboardInterrupt` and has no handler for SIGTERM, which kills
the process without running any ``finally``: a staging folder is left behind. While the command
runs (:func:`handling_signals`), both raise in the main thread, SIGTERM as :class:`Terminated`,
a :class:`KeyboardInterrupt`, so that every cleanup written for Ctrl-C runs for both and the
exit status tells them apart (:func:`exit_status`: 130 and 143, the shell's 128 + signal).

The signal is also recorded, so that code which cannot see the exception (a library that
catches the interrupt and returns what it has, as nutpie's sampler does) is still stopped at
the next :func:`raise_if_interrupted`: before a results folder is moved into place and after
each fit of a grid. Further signals while the run cleans up are recorded and do not interrupt
the cleanup; a third one exits at once.

Some code must not be interrupted halfway: an interrupt raised inside netCDF I/O leaves
xarray's file lock held, and closing the file then waits for that lock forever (measured: a
SIGTERM during ``DataTree.to_netcdf`` hung the run). Such code runs within :func:`deferred`: a
signal that arrives there is held and delivered, as the signal itself, when the block ends.

Hand-written: the standard library gives signal handlers, not this policy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

#: Exit status of a run ended by each signal (128 + the signal number, as a shell reports it).
EXIT_STATUS = {signal.SIGINT: 128 + signal.SIGINT, signal.SIGTERM: 128 + signal.SIGTERM}

#: The signals a run handles.
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM received: raised as an interrupt, so that Ctrl-C's cleanups run for it too."""


def _interrupt_for(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _handler(signum: int, frame) -> None:  # noqa: ARG001 - signal handler signature
    _received.append(signum)
    if len(_received) == 1:
        raise _interrupt_for(signum)
    if len(_received) >= 3:  # the cleanup itself hangs: leave now
        sys.stderr.write("bayeshcc: interrupted again; exiting without cleaning up\n")
        sys.stderr.flush()
        os._exit(EXIT_STATUS.get(_received[0], 130))


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """Within the block, SIGINT raises :class:`KeyboardInterrupt` and SIGTERM
    :class:`Terminated` in the main thread, and both are recorded; the previous handlers come
    back afterwards and the recorded signal is forgotten (in a notebook, the next fit is not
    stopped by the last one's interrupt). Outside the main thread (where Python cannot set
    handlers) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _received.clear()  # a signal belongs to its command: the next one starts afresh


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are held, then delivered when it ends.

    For code that an exception raised between two of its bytecodes would leave unusable (file
    I/O under a lock). The handlers in force (:func:`handling_signals`'s, Python's default
    ``KeyboardInterrupt`` in a notebook, or the default action of SIGTERM) are put back at the
    end, and each held signal is then raised again with :func:`signal.raise_signal`, so it has
    exactly the effect it would have had, only later. Blocks nest. Outside the main thread
    (where no signal handler runs) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame) -> None:  # noqa: ARG001 - signal handler signature
        held.append(signum)

    previous = {s: signal.signal(s, hold) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(held):  # each signal once, in the order they came
            signal.raise_signal(signum)


def received() -> int | None:
    """The first signal received within :func:`handling_signals`, or None."""
    return _received[0] if _received else None


def raise_if_interrupted() -> None:
    """Raise the interrupt of a signal received earlier, even if something caught it since."""
    if _received:
        raise _interrupt_for(_received[0])


def exit_status(exc: BaseException) -> int:
    """Exit status for an interrupt: 143 for SIGTERM (:class:`Terminated`), else 130."""
    if isinstance(exc, Terminated) or received() == signal.SIGTERM:
        return EXIT_STATUS[signal.SIGTERM]
    return EXIT_STATUS[signal.SIGINT]


def ignore_interrupts() -> None:
    """Ignore SIGINT in a worker process: Ctrl-C at a terminal reaches every process of its
    group, and the parent, which stops the workers itself, must be the one that decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


__all__ = ["EXIT_STATUS", "SIGNALS", "Terminated", "deferred", "exit_status", "handling_signals",
           "ignore_interrupts", "raise_if_interrupted", "received"]
