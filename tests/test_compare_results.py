"""scripts/compare_results.py: two results folders' tables equal to rtol, or the differences."""

import importlib.util
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare_results",
                                              ROOT / "scripts" / "compare_results.py")
compare_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_results)


def _folder(root: Path, tables: dict) -> Path:
    (root / "tables").mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(root / "tables" / name, index=False)
    return root


def test_equal_within_rtol_and_nan_equal(tmp_path):
    a = pd.DataFrame({"x": [1.0, float("nan")], "label": ["a", "b"]})
    b = pd.DataFrame({"x": [1.0 + 1e-12, float("nan")], "label": ["a", "b"]})
    before, after = _folder(tmp_path / "a", {"t.csv": a}), _folder(tmp_path / "b", {"t.csv": b})
    assert compare_results.main([str(before), str(after)]) == 0


def test_differences_are_reported(tmp_path, capsys):
    a = pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]})
    b = pd.DataFrame({"x": [1.0, 2.001], "label": ["a", "c"]})
    before = _folder(tmp_path / "a", {"t.csv": a, "only.csv": a})
    after = _folder(tmp_path / "b", {"t.csv": b})
    assert compare_results.main([str(before), str(after)]) == 1
    out = capsys.readouterr().out
    assert "column 'x'" in out and "column 'label'" in out and "only in the first" in out
    assert compare_results.compare_tables(a, a[["label", "x"]]) != []
    assert compare_results.compare_tables(a, a.iloc[:1]) == ["2 rows before, 1 after"]
