"""A curve prior's external data: the reconstructed individual patient data of one arm.

A ``[priors.NAME]`` table of ``type = "curve"`` names a file written by ``bayeshcc reconstruct``
(``arm,time,event``, one row per patient) and the arm it borrows from. The spec reads it when it
is loaded (so that a missing or malformed file is an error of the spec, before any analysis
runs) and the model reads it again when it builds the curve prior; both through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bayeshcc.errors import SpecError


def absolute_ipd(table: Mapping[str, Any], folder: Path) -> dict:
    """A ``[priors.NAME]`` table with a curve prior's ``ipd`` made absolute against ``folder``
    (the spec file's folder); other tables are returned as a plain copy."""
    out = dict(table)
    if out.get("type") == "curve" and isinstance(out.get("ipd"), str):
        path = Path(out["ipd"]).expanduser()
        out["ipd"] = str(path if path.is_absolute() else (folder / path).resolve())
    return out


def read_external_arm(name: str, path: Path, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and events of ``arm`` in a reconstructed IPD file (``arm,time,event``).

    Parameters
    ----------
    name : str
        The prior's name (``[priors.NAME]``), for the error messages.
    path : Path
        The file.
    arm : str
        The arm whose rows are read.

    Returns
    -------
    (ndarray, ndarray)
        Times (a time of 0 becomes half the arm's smallest positive time: the likelihood needs
        positive times) and events (0/1).

    Raises
    ------
    SpecError
        A missing or unreadable file, a missing column, an arm with no rows, non-numeric times
        or events other than 0/1, negative times; the message names the key.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise SpecError(f"priors.{name}.ipd: file not found: {path}") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise SpecError(f"priors.{name}.ipd: cannot read {path}: {exc}") from None
    missing = [c for c in ("arm", "time", "event") if c not in table.columns]
    if missing:
        raise SpecError(f"priors.{name}.ipd: {path} has no column {missing[0]!r}; expected "
                        "arm,time,event as written by `bayeshcc reconstruct`")
    labels = table["arm"].astype(str)
    arms = list(dict.fromkeys(labels))
    rows = table.loc[labels == str(arm)]
    if rows.empty:
        raise SpecError(f"priors.{name}.arm = {arm!r}: {path} has no rows for that arm; its "
                        f"arms: {', '.join(arms)}")
    time = pd.to_numeric(rows["time"], errors="coerce").to_numpy(dtype=float)
    event = pd.to_numeric(rows["event"], errors="coerce").to_numpy(dtype=float)
    if not (np.all(np.isfinite(time)) and np.all(np.isin(event, (0.0, 1.0)))):
        raise SpecError(f"priors.{name}.ipd: {path}: arm {arm}: time must be numbers and event "
                        "0/1")
    if np.any(time < 0):
        raise SpecError(f"priors.{name}.ipd: {path}: arm {arm} has negative times")
    # A reconstructed patient can leave at time 0 (a drop at the first step); the likelihood
    # needs positive times, so those get half the arm's smallest positive time.
    positive = time[time > 0]
    if positive.size == 0:
        raise SpecError(f"priors.{name}.ipd: {path}: arm {arm} has no positive times")
    return np.where(time > 0, time, 0.5 * positive.min()), event


__all__ = ["absolute_ipd", "read_external_arm"]
