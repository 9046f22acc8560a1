"""A signal during netCDF I/O takes effect when the I/O ends, never halfway (issue #28).

An interrupt raised inside ``DataTree.to_netcdf`` left xarray's file lock held and the close that
followed waited for it forever: a SIGTERM 0.7 s into a Dask grid hung ``bayeshcc analyze`` (the
thread dump showed ``xarray/backends/locks.py`` ``acquire`` under ``ResultsWriter.posterior``).
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import xarray as xr

from bayeshcc.interrupts import Terminated, deferred, handling_signals, received
from bayeshcc.results import ResultsWriter, load_posterior, read_draws


def _tree() -> xr.DataTree:
    draws = np.arange(8.0).reshape(2, 4)
    return xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"log_hr": (("chain", "draw"), draws)})})


def test_a_signal_inside_deferred_is_raised_when_the_block_ends_not_before():
    reached = []
    with handling_signals():
        with pytest.raises(Terminated):
            with deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                reached.append("after the signal")  # still running: the signal is held
        assert received() == signal.SIGTERM
    assert reached == ["after the signal"]


def test_outside_a_command_ctrl_c_inside_deferred_is_a_keyboard_interrupt_at_its_end():
    # a notebook: Python's own SIGINT handler, put back and then given the signal
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_blocks_nest_and_the_signal_comes_after_the_outer_one():
    order = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            with deferred():
                os.kill(os.getpid(), signal.SIGINT)
            order.append("outer block still running")
    assert order == ["outer block still running"]


def test_a_signal_while_a_posterior_is_written_leaves_a_whole_file(tmp_path, monkeypatch):
    tree = _tree()
    original = xr.DataTree.to_netcdf

    def to_netcdf_interrupted(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the file is being written
        return original(self, *args, **kwargs)

    monkeypatch.setattr(xr.DataTree, "to_netcdf", to_netcdf_interrupted)
    writer = ResultsWriter(tmp_path)
    with handling_signals(), pytest.raises(Terminated):
        writer.posterior("fit", tree)
    np.testing.assert_array_equal(read_draws(tmp_path / "posterior" / "fit.nc"),
                                  np.arange(8.0))


def test_reading_a_posterior_gives_its_values_and_keeps_no_file_open(tmp_path):
    path = ResultsWriter(tmp_path).posterior("fit", _tree())
    tree = load_posterior(path)
    os.remove(path)  # nothing depends on the file any more
    np.testing.assert_array_equal(tree["posterior"]["log_hr"].values.ravel(), np.arange(8.0))


def test_a_signal_is_forgotten_when_its_command_ends():
    # a recorded signal outliving its command stopped the next fit in the same process
    from bayeshcc.interrupts import raise_if_interrupted

    with handling_signals(), pytest.raises(Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
    assert received() is None
    raise_if_interrupted()  # nothing to raise
