"""Compare the tables of two results folders: the redesign's "nothing changes numerically" check.

Usage::

    python scripts/compare_results.py BEFORE AFTER [--rtol 1e-9] [--atol 0]

Every ``tables/*.csv`` of the two folders is compared: the same files, the same columns in the
same order, the same number of rows; numeric columns equal to ``rtol`` (NaN equal to NaN, and
infinities equal to infinities of the same sign), text equal exactly. Each difference is printed
on one line; the exit status is 0 when every table is equal, 1 when any differs, 2 when a
folder has no tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def compare_tables(before: pd.DataFrame, after: pd.DataFrame, rtol: float = 1e-9,
                   atol: float = 0.0) -> list[str]:
    """Differences between two tables, one sentence each.

    Parameters
    ----------
    before, after : pandas.DataFrame
        The two versions of one table.
    rtol, atol : float
        Relative and absolute tolerance for numeric cells (``numpy.isclose``).

    Returns
    -------
    list of str
        Empty when the tables are equal: same columns in the same order, same number of rows,
        numeric cells within the tolerance (NaN equal to NaN), other cells equal as text.
    """
    if list(before.columns) != list(after.columns):
        gone = [c for c in before.columns if c not in after.columns]
        new = [c for c in after.columns if c not in before.columns]
        return [f"columns differ (only before: {gone}, only after: {new}, "
                f"or another order)"]
    if len(before) != len(after):
        return [f"{len(before)} rows before, {len(after)} after"]
    problems = []
    for column in before.columns:
        a, b = before[column], after[column]
        numeric = (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
                   and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b))
        if numeric:
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            same = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True) | (x == y)
        else:
            x, y = a.astype(str).to_numpy(), b.astype(str).to_numpy()
            same = x == y
        rows = np.flatnonzero(~same)
        if rows.size:
            i = rows[0]
            problems.append(f"column {column!r}: {rows.size} of {len(a)} rows differ "
                            f"(first: row {i}, {x[i]!r} before, {y[i]!r} after)")
    return problems


def compare_folders(before: Path, after: Path, rtol: float = 1e-9,
                    atol: float = 0.0) -> dict[str, list[str]]:
    """Differences between the ``tables/*.csv`` of two results folders, per file.

    Parameters
    ----------
    before, after : pathlib.Path
        Results folders (each with a ``tables`` folder).
    rtol, atol : float
        As :func:`compare_tables`.

    Returns
    -------
    dict
        File name -> its differences (an empty list: equal); a file present in one folder
        only has the difference saying so.
    """
    names_before = {p.name for p in (Path(before) / "tables").glob("*.csv")}
    names_after = {p.name for p in (Path(after) / "tables").glob("*.csv")}
    out: dict[str, list[str]] = {}
    for name in sorted(names_before | names_after):
        if name not in names_after:
            out[name] = ["only in the first folder"]
        elif name not in names_before:
            out[name] = ["only in the second folder"]
        else:
            out[name] = compare_tables(pd.read_csv(Path(before) / "tables" / name),
                                       pd.read_csv(Path(after) / "tables" / name), rtol, atol)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: print each table's verdict; 0 all equal, 1 some differ, 2 no tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-9)
    parser.add_argument("--atol", type=float, default=0.0)
    args = parser.parse_args(argv)
    for folder in (args.before, args.after):
        if not list((folder / "tables").glob("*.csv")):
            print(f"{folder}: no tables/*.csv", file=sys.stderr)
            return 2
    result = compare_folders(args.before, args.after, args.rtol, args.atol)
    for name, problems in result.items():
        print(f"{name}: {'equal' if not problems else 'DIFFERENT'}")
        for problem in problems:
            print(f"  {problem}")
    differing = [name for name, problems in result.items() if problems]
    print(f"{len(result) - len(differing)} of {len(result)} tables equal (rtol {args.rtol:g})")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
