"""The results folder is written whole or not at all, and never replaces results unasked."""

import pandas as pd
import pytest

from bayeshcc.results import ResultsExistError, open_results


def test_folder_appears_only_when_complete(tmp_path):
    out = tmp_path / "res"
    with open_results(out) as writer:
        writer.table("survival", pd.DataFrame({"a": [1]}))
        assert not out.exists()  # still staged
    assert (out / "tables" / "survival.csv").read_text() == "a\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no staging folder left behind


def test_failure_leaves_no_folder_and_no_staging(tmp_path):
    out = tmp_path / "res"
    with pytest.raises(RuntimeError):
        with open_results(out) as writer:
            writer.table("survival", pd.DataFrame({"a": [1]}))
            raise RuntimeError("crash in the middle")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_leaves_no_folder(tmp_path):
    out = tmp_path / "res"
    with pytest.raises(KeyboardInterrupt):
        with open_results(out) as writer:
            writer.table("x", pd.DataFrame({"a": [1]}))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_existing_results_are_not_overwritten_without_force(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ResultsExistError, match="already exists and is not empty; pass --force"):
        with open_results(out):
            pass
    assert (out / "keep.txt").read_text() == "mine"


def test_force_replaces_only_after_success(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        with open_results(out, force=True):
            raise RuntimeError
    assert (out / "keep.txt").read_text() == "mine"  # a failed forced run keeps the old results
    with open_results(out, force=True) as writer:
        writer.text("new.txt", "new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_empty_existing_folder_is_used(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    with open_results(out) as writer:
        writer.text("a.txt", "a")
    assert (out / "a.txt").exists()


def test_figures_are_written_as_compact_palette_pngs_without_pyplot(tmp_path):
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(4, 3))
    fig.subplots().plot([0, 1], [1, 0])
    with open_results(tmp_path / "res") as writer:
        writer.figure("line", fig)
    with Image.open(tmp_path / "res" / "figures" / "line.png") as image:
        assert image.format == "PNG" and image.mode == "P"  # palette: a few kB, not 30
        assert image.getpixel((0, 0)) == image.getpixel((1, 1))
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)  # white, not transparent
