"""A one-line "k/N fits" progress display for :func:`bayeshcc.executors.run_tasks`.

Written to stderr with carriage returns, so it never mixes with results on stdout, and
silent when ``quiet`` or when stderr is not a terminal (logs, CI, pipes).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Overall count of finished fits with the latest task's label.

    Pass it as ``progress=`` to :func:`bayeshcc.executors.run_tasks`, or drive it by hand
    with :meth:`begin`, :meth:`step` and :meth:`end`. Usable as a context manager (the
    line is ended on exit).

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
        self._width = 0
        self._start = 0.0

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

    def text(self, label: str = "") -> str:
        """The current line, e.g. ``"3/8 fits (12 s)  os/weibull/skeptical/ate"``."""
        elapsed = time.perf_counter() - self._start if self._start else 0.0
        line = f"{self.done}/{self.total} {self.noun} ({elapsed:.0f} s)"
        return f"{line}  {label}" if label else line

    def _write(self, line: str) -> None:
        pad = max(self._width - len(line), 0)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._width = len(line)

    def begin(self, total: int) -> None:
        """Start counting ``total`` tasks."""
        self.total, self.done, self._width = int(total), 0, 0
        self._start = time.perf_counter()
        if self.enabled:
            self._write(self.text())

    def step(self, label: str = "") -> None:
        """One more task finished; ``label`` names it."""
        self.done += 1
        if self.enabled:
            self._write(self.text(label))

    def end(self) -> None:
        """End the line (the last count stays visible)."""
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.end()


__all__ = ["Progress"]
