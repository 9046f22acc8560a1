"""The package's layers hold (pyproject.toml, ``[tool.importlinter]``): a module imports only from
its own layer and those below, e.g. the models never import the pipeline, the spec never imports
the report. Checked with import-linter on the source itself, and on a copy with one planted
upward import to show that a violation is found."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c",
                           "import sys; from importlinter.cli import lint_imports; "
                           "sys.exit(lint_imports(no_cache=True))"],
                          cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_every_module_imports_only_from_its_layer_and_below():
    run = _lint(REPO)
    assert run.returncode == 0, run.stdout[-3000:]


def test_an_import_from_a_higher_layer_is_found(tmp_path):
    shutil.copytree(REPO / "bayeshcc", tmp_path / "bayeshcc",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    planted = tmp_path / "bayeshcc" / "cohort.py"  # the cohort importing the pipeline
    planted.write_text(planted.read_text() + "\nfrom bayeshcc import pipeline  # noqa\n")
    run = _lint(tmp_path)
    assert run.returncode == 1
    assert "bayeshcc.cohort is not allowed to import bayeshcc.pipeline" in run.stdout
