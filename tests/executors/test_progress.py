"""Progress: 'k/N fits' on stderr when it is a terminal, nothing otherwise."""

from __future__ import annotations

import io

from bayeshcc.executors import run_tasks
from bayeshcc.progress import Progress
from tests.executors.tasks import GRID, simulate


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_silent_when_the_stream_is_not_a_terminal():
    out = io.StringIO()
    run_tasks(simulate, GRID[:3], progress=Progress(stream=out))
    assert out.getvalue() == ""


def test_silent_when_quiet_even_on_a_terminal():
    out = FakeTTY()
    run_tasks(simulate, GRID[:3], progress=Progress(stream=out, quiet=True))
    assert out.getvalue() == ""


def test_counts_fits_with_the_task_label_on_a_terminal():
    out = FakeTTY()
    run_tasks(simulate, GRID[:3], progress=Progress(stream=out))
    text = out.getvalue()
    assert "0/3 fits" in text and "3/3 fits" in text
    assert "os/weibull/skeptical/none" in text


def test_force_writes_to_a_plain_stream():
    out = io.StringIO()
    with Progress(noun="replicates", stream=out, force=True) as progress:
        progress.begin(2)
        progress.step("sbc/1")
    assert "1/2 replicates" in out.getvalue() and "sbc/1" in out.getvalue()
    assert out.getvalue().removesuffix("\x1b[?25h").endswith("\n")  # the line is ended


def test_the_bar_is_drawn_by_rich():
    # issue 15: the progress display is a library's (rich, installed with PyMC), not hand-written
    progress = Progress(stream=io.StringIO(), force=True)
    progress.begin(1)
    assert type(progress._bar).__module__ == "rich.progress"
    progress.end()


def test_defaults_to_stderr(capsys):
    progress = Progress(force=True)
    progress.begin(1)
    progress.step("x")
    progress.end()
    captured = capsys.readouterr()
    assert captured.out == "" and "1/1 fits" in captured.err
