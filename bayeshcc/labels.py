"""Names for coded values: the arms' labels (``[data] labels``) and the levels of coded
covariates (``[data.levels]``), matched to the codes whatever their type.

A code is written as a TOML key (always text: ``1 = "Hormonal therapy"``), but the data may
hold it as ``1``, ``1.0`` or ``"1"``; :func:`code_key` gives all of them the same key. The
tables keep the codes; the report and the figures show the labels.

Examples
--------
>>> code_key(1.0), code_key(1), code_key("1"), code_key("female")
('1', '1', '1', 'female')
>>> name_of(0, {"1": "Hormonal therapy", "0": "No hormonal therapy"})
'No hormonal therapy'
>>> name_of("2", {"1": "Hormonal therapy"})
'2'
"""

from __future__ import annotations

import math
from typing import Any, Mapping


def code_key(value: Any) -> str:
    """The text a code is known by: ``1``, ``1.0`` and ``"1"`` are all ``"1"``."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and math.isfinite(number) else text


def keyed(labels: Mapping[Any, str] | None) -> dict[str, str]:
    """A labels table with its codes as :func:`code_key` writes them."""
    return {code_key(code): str(label) for code, label in (labels or {}).items()}


def name_of(code: Any, labels: Mapping[str, str] | None) -> str:
    """The label of ``code`` in ``labels`` (keyed by :func:`code_key`), else the code as text."""
    key = code_key(code)
    return (labels or {}).get(key, key)


__all__ = ["code_key", "keyed", "name_of"]
