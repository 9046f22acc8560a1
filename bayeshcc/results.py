"""The results folder: written whole into a temporary folder, then renamed into place.

A crash or Ctrl-C therefore never leaves a half-written results folder, and an existing
non-empty folder is only replaced when the caller asks for it (``--force``).

Layout (docs/architecture.md, "results folder contract")::

    DIR/manifest.json   DIR/tables/*.csv   DIR/figures/*.png   DIR/posterior/*.nc   DIR/report.html

Borrowing external evidence (:mod:`bayeshcc.bayes.borrowing`) adds ``posterior_hr.csv`` columns
``prior_weight_posterior``, ``prior_ess_events``, ``prior_data_conflict_p``, ``cohort_log_hr``,
``cohort_log_hr_se``, and ``tables/borrowing_sweep.csv`` (always written; rows only for
``external`` priors) with ``figures/borrowing_sweep.png`` (when it has rows).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from bayeshcc.errors import BayesHCCError
from bayeshcc.interrupts import deferred, raise_if_interrupted
from bayeshcc.outputs import FIGURE_DPI, figure_png, table_csv, write_posterior


class ResultsExistError(BayesHCCError, FileExistsError):
    """The results folder exists, is not empty, and ``force`` was not given."""


@dataclass
class ResultsWriter:
    """Writes tables, figures and posteriors into a staging folder (see :func:`open_results`)."""

    staging: Path
    files: list[str] = field(default_factory=list)

    def _path(self, sub: str, name: str) -> Path:
        folder = self.staging / sub if sub else self.staging
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        self.files.append(str(path.relative_to(self.staging)))
        return path

    def path(self, sub: str, name: str) -> Path:
        """The path of ``SUB/NAME`` in the folder, recorded as one of its files, for a writer
        this class does not have (the caller writes it)."""
        return self._path(sub, name)

    def copy(self, source: str | Path, sub: str) -> Path:
        """Copy a file into ``SUB/`` under its own name."""
        source = Path(source)
        path = self._path(sub, source.name)
        shutil.copyfile(source, path)
        return path

    def table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``tables/NAME.csv`` (UTF-8, no index, ``NA`` for missing values,
        :func:`~bayeshcc.outputs.table_csv`)."""
        return self.text(f"tables/{name}.csv", table_csv(frame))

    def figure(self, name: str, fig: Any, dpi: int = FIGURE_DPI) -> Path:
        """Save a matplotlib figure as ``figures/NAME.png`` (palette PNG,
        :func:`~bayeshcc.outputs.figure_png`) and close it if pyplot manages it."""
        return self.png(name, figure_png(fig, dpi))

    def png(self, name: str, data: bytes) -> Path:
        """Write PNG bytes as ``figures/NAME.png``."""
        path = self._path("figures", f"{name}.png")
        path.write_bytes(data)
        return path

    def posterior(self, name: str, tree: Any, single: tuple[str, ...] = ()) -> Path:
        """Save an ArviZ DataTree as ``posterior/NAME.nc``, the groups named in ``single`` as
        32-bit floats (:func:`~bayeshcc.outputs.write_posterior`)."""
        return write_posterior(self._path("posterior", f"{name}.nc"), tree, single)

    def text(self, relative: str, content: str) -> Path:
        """Write a text file at ``relative`` inside the folder (UTF-8, line ends as given)."""
        parent, _, name = relative.rpartition("/")
        path = self._path(parent, name)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        return path

    def json(self, relative: str, content: Any) -> Path:
        """Write JSON (sorted keys, two-space indent) at ``relative``."""
        return self.text(relative, json.dumps(content, indent=2, sort_keys=True, default=str) + "\n")


def check_destination(out: str | Path, force: bool) -> Path:
    """Refuse a non-empty existing ``out`` unless ``force``; refuse a file in its place."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ResultsExistError(f"--out {out} is a file, not a folder; choose another path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ResultsExistError(f"results folder {out} already exists and is not empty; pass "
                                "--force to replace it, or choose another --out")
    return out


@contextlib.contextmanager
def open_results(out: str | Path, force: bool = False) -> Iterator[ResultsWriter]:
    """Stage a results folder and move it into place only if the block finishes.

    Parameters
    ----------
    out : str or Path
        The final results folder.
    force : bool
        Replace an existing non-empty folder (only once the new one is complete).

    Yields
    ------
    ResultsWriter
    """
    out = check_destination(out, force).absolute()
    created = _missing_ancestors(out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield ResultsWriter(staging)
        raise_if_interrupted()  # an interrupt caught on the way is still no result
        _replace(staging, out, force)
    except BaseException:  # an error or an interrupt: the parent folder is left as it was
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # innermost first; only if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _missing_ancestors(folder: Path) -> list[Path]:
    """The folders that ``folder.mkdir(parents=True)`` would create, innermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _replace(staging: Path, out: Path, force: bool) -> None:
    check_destination(out, force)  # the folder may have appeared while we were working
    if not out.exists():
        os.replace(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    try:
        os.replace(out, old / "previous")
        os.replace(staging, out)
    except BaseException:  # interrupted between the two moves: the previous folder goes back
        if (old / "previous").exists() and not out.exists():
            os.replace(old / "previous", out)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def load_posterior(path: str | Path):
    """A posterior file (``posterior/NAME.nc``) read whole into memory and closed: an ArviZ
    DataTree that no longer depends on the file.

    The read is not interruptible halfway (:func:`bayeshcc.interrupts.deferred`: an interrupt
    inside netCDF I/O would leave its file lock held); a signal that comes meanwhile takes
    effect when the read ends.
    """
    import xarray as xr

    with deferred():
        return xr.load_datatree(path)


def read_draws(path: str | Path, variable: str = "log_hr", group: str = "posterior"):
    """One variable's draws from a posterior file, flattened over chains and draws (a 1-D NumPy
    array; only that variable is read). Not interruptible halfway, as :func:`load_posterior`."""
    import xarray as xr

    with deferred(), xr.open_datatree(path) as tree:
        return tree[group][variable].values.ravel()
