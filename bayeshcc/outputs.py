"""What one run produces, held in memory in the form the results folder stores it.

The stages of a run (:mod:`bayeshcc.stages`) hand each table, figure and posterior to a
:class:`RunOutputs` as they make it:

- a table is kept as the text of its ``tables/NAME.csv`` (UTF-8, no index, ``NA`` for missing
  values), so a table written later is byte-identical to the file the run would have written,
  and :meth:`RunOutputs.frame` parses it back exactly as a reader of the folder would;
- a figure is kept as the bytes of its ``figures/NAME.png`` (palette PNG, :func:`compact_png`);
- a posterior is kept as an ArviZ DataTree whose per-patient groups are 32-bit, as the netCDF
  file stores them, or, when the run streams its posteriors (``posterior_folder``, the command
  line, which keeps one fit's draws x patients arrays in memory at a time), written to that
  folder at once.

Nothing here reads back what it was given: :class:`~bayeshcc.study.StudyResult` writes the
results folder from it, and the report is built from it.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bayeshcc.interrupts import deferred

FIGURE_DPI = 100
"""Resolution of the PNG figures: sharp on screen and on an A4 page, small in the report."""


def compact_png_bytes(data: bytes, colours: int = 128) -> bytes:
    """A PNG as an optimised palette image (at most ``colours`` colours).

    Plots use few colours, so this loses nothing visible and makes the file (and the
    self-contained report that embeds it) about three times smaller. Transparent parts become
    white, as they print.

    Parameters
    ----------
    data : bytes
        A PNG image.
    colours : int
        Largest palette size.

    Returns
    -------
    bytes
        The palette PNG.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        rgba = image.convert("RGBA")
    rgb = Image.new("RGB", rgba.size, "white")  # transparent parts print as paper
    rgb.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    # zlib's default level, not ``optimize=True``: half the time for files 7 % larger.
    # (Octree quantisation is faster still, but it averages the white background to 254.)
    rgb.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
                 ).save(out, format="PNG")
    return out.getvalue()


def figure_png(fig: Any, dpi: int = FIGURE_DPI) -> bytes:
    """A matplotlib figure as palette PNG bytes, closed afterwards if pyplot manages it.

    Saving a :class:`matplotlib.figure.Figure` never touches the global backend.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)  # a no-op for a figure made without pyplot
    return compact_png_bytes(buffer.getvalue())


def table_csv(frame: pd.DataFrame) -> str:
    """The text of a results table's CSV file: no index, ``NA`` for missing values, ``\\n``
    line ends."""
    return frame.to_csv(index=False, na_rep="NA", lineterminator="\n")


def parse_table(text: str) -> pd.DataFrame:
    """A table from its CSV text as a reader of the results folder gets it: ``NA`` is missing,
    and no other text is (an empty cell is an empty string)."""
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=["NA"])


def single_precision(tree: Any, groups: tuple[str, ...]) -> Any:
    """A shallow copy of a DataTree whose float variables in ``groups`` are 32-bit, as
    :func:`write_posterior` stores them; the tree given is not changed."""
    copy = tree.copy(deep=False)
    for group in groups:
        if group in copy.children:
            ds = copy[group].to_dataset()
            floats = {v: ds[v].astype("float32") for v in ds.data_vars if ds[v].dtype.kind == "f"}
            copy[group] = copy[group].copy(deep=False)
            copy[group].dataset = ds.assign(floats)
    return copy


def posterior_encoding(tree: Any, single: tuple[str, ...]) -> dict | None:
    """netCDF encoding that stores the float variables of the ``single`` groups as 32-bit."""
    encoding = {f"/{group}": {var: {"dtype": "float32"} for var in tree[group].data_vars
                              if tree[group][var].dtype.kind == "f"}
                for group in single if group in tree.children}
    return encoding or None


def write_posterior(path: Path, tree: Any, single: tuple[str, ...] = ()) -> Path:
    """Save an ArviZ DataTree as netCDF; the groups named in ``single`` as 32-bit floats (7
    significant digits: enough for pointwise log-likelihoods and predictive draws, half the
    disk and write time). Not interruptible halfway (:func:`bayeshcc.interrupts.deferred`: an
    interrupt inside netCDF I/O would leave its file lock held)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with deferred():
        tree.to_netcdf(path, encoding=posterior_encoding(tree, single))
    return path


@dataclass
class RunOutputs:
    """Tables, figures and posteriors of one run, in the order the run made them.

    Attributes
    ----------
    tables : dict of {str: str}
        ``tables/NAME.csv`` texts.
    figures : dict of {str: bytes}
        ``figures/NAME.png`` images.
    posteriors : dict of {str: DataTree or Path}
        In memory, or the file written when ``posterior_folder`` is set.
    files : list of str
        Every file of the results folder made so far, relative to it, in order.
    posterior_folder : Path, optional
        Stream each posterior to ``posterior_folder/NAME.nc`` as it arrives instead of keeping
        it in memory.
    """

    tables: dict[str, str] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    posteriors: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    posterior_folder: Path | None = None

    def table(self, name: str, frame: pd.DataFrame) -> None:
        """Keep ``tables/NAME.csv``."""
        self.tables[name] = table_csv(frame)
        self.files.append(f"tables/{name}.csv")

    def frame(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a reader of ``tables/NAME.csv`` gets it (:func:`parse_table`)."""
        return parse_table(self.tables[name])

    def figure(self, name: str, fig: Any, dpi: int = FIGURE_DPI) -> None:
        """Keep a matplotlib figure as ``figures/NAME.png`` (:func:`figure_png`)."""
        self.png(name, figure_png(fig, dpi))

    def png(self, name: str, data: bytes) -> None:
        """Keep PNG bytes drawn elsewhere as ``figures/NAME.png``."""
        self.figures[name] = data
        self.files.append(f"figures/{name}.png")

    def posterior(self, name: str, tree: Any, single: tuple[str, ...] = ()) -> None:
        """Keep a posterior as ``posterior/NAME.nc`` stores it: ``single`` groups as 32-bit.

        Streamed to ``posterior_folder`` when it is set; otherwise a shallow copy is kept, so
        that the caller may drop groups of ``tree`` afterwards.
        """
        if self.posterior_folder is not None:
            self.posteriors[name] = write_posterior(self.posterior_folder / f"{name}.nc", tree,
                                                    single)
        else:
            self.posteriors[name] = single_precision(tree, single)
        self.files.append(f"posterior/{name}.nc")


__all__ = ["RunOutputs", "FIGURE_DPI", "compact_png_bytes", "figure_png", "table_csv",
           "parse_table", "single_precision", "write_posterior"]
