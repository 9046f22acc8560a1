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
    lines = text.rstrip("\n").split("\r")[1:]
    assert [line.split(" (")[0] for line in lines] == ["0/3 fits", "1/3 fits", "2/3 fits",
                                                       "3/3 fits"]
    assert lines[-1].rstrip().endswith("os/weibull/skeptical/none")
    assert text.endswith("\n")


def test_force_writes_to_a_plain_stream():
    out = io.StringIO()
    with Progress(noun="replicates", stream=out, force=True) as progress:
        progress.begin(2)
        progress.step("sbc/1")
    assert "1/2 replicates" in out.getvalue() and "sbc/1" in out.getvalue()
    assert out.getvalue().endswith("\n")


def test_a_shorter_line_blanks_the_rest_of_the_longer_one():
    out = io.StringIO()
    progress = Progress(stream=out, force=True)
    progress.begin(2)
    progress.step("a-very-long-task-label")
    progress.step("b")
    last, previous = out.getvalue().split("\r")[-1], out.getvalue().split("\r")[-2]
    assert len(last) >= len(previous)


def test_defaults_to_stderr(capsys):
    progress = Progress(force=True)
    progress.begin(1)
    progress.step("x")
    progress.end()
    captured = capsys.readouterr()
    assert captured.out == "" and "1/1 fits" in captured.err
