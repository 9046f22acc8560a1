"""A "k/N fits" progress bar for :func:`bayeshcc.executors.run_tasks`, drawn by ``rich``.

``rich`` (installed with PyMC) draws the bar, the elapsed time and the estimated time left on
stderr, so it never mixes with results on stdout; it is silent when ``quiet`` or when stderr
is not a terminal (logs, CI, pipes). This module only adapts rich's bar to the executors'
``begin`` / ``step`` / ``end`` calls.
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Overall count of finished fits with the latest task's label.

    Pass it as ``progress=`` to :func:`bayeshcc.executors.run_tasks`, or drive it by hand
    with :meth:`begin`, :meth:`step` and :meth:`end`. Usable as a context manager (the
    bar is closed on exit).

    Parameters
    ----------
    noun : str
        What is counted (``"fits"``).
    quiet : bool
        Write nothing.
    stream : text stream, optional
        Where to write; default ``sys.stderr`` (looked up when writing).
    force : bool
        Write even when the stream is not a terminal (tests, ``--progress``).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress(stream=out, force=True)
    >>> p.begin(2); p.step("os/weibull"); p.end()
    >>> "1/2 fits" in out.getvalue()
    True
    """

    def __init__(self, noun: str = "fits", quiet: bool = False, stream: TextIO | None = None,
                 force: bool = False) -> None:
        self.noun = noun
        self.quiet = quiet
        self.force = force
        self._stream = stream
        self.total = 0
        self.done = 0
        self._bar = None
        self._task = None

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def enabled(self) -> bool:
        """Whether anything is written: not quiet, and a terminal (or forced)."""
        if self.quiet:
            return False
        if self.force:
            return True
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def begin(self, total: int) -> None:
        """Start counting ``total`` tasks."""
        from rich.console import Console
        from rich.progress import (BarColumn, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)
        from rich.progress import Progress as Bar

        self.end()
        self.total, self.done = int(total), 0
        if not self.enabled:
            return
        console = Console(file=self.stream, force_terminal=True, width=110,
                          color_system=None if self._stream is not None else "auto")
        self._bar = Bar(TextColumn("{task.completed}/{task.total} " + self.noun), BarColumn(),
                        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                        TextColumn("{task.fields[label]}"), console=console,
                        auto_refresh=False)
        self._bar.start()
        self._task = self._bar.add_task("", total=self.total, label="")
        self._bar.refresh()

    def step(self, label: str = "") -> None:
        """One more task finished; ``label`` names it."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, label=label)
            self._bar.refresh()

    def end(self) -> None:
        """Close the bar (the last count stays visible)."""
        if self._bar is not None:
            self._bar.stop()
        self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.end()


__all__ = ["Progress"]
