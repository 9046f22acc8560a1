"""The example notebooks run end to end (small sampler settings)."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.filterwarnings(
    # jupyter_client warns about platformdirs migration on some installs; not ours
    "ignore::DeprecationWarning:jupyter_client", "ignore::DeprecationWarning:jupyter_core")


def test_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_reproduce_the_study.ipynb",
                                           "02_bayesian_model_checking.ipynb",
                                           "03_bring_your_own_cohort.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESHCC_DRAWS", "150")
    monkeypatch.setenv("BAYESHCC_CHAINS", "2")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]) + os.pathsep
                       + os.environ.get("PYTHONPATH", ""))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
