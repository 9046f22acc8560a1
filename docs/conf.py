"""Sphinx configuration of the bayeshcc documentation (``make docs``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import bayeshcc  # noqa: E402

project = "bayeshcc"
author = "the bayeshcc developers"
release = version = bayeshcc.__version__
copyright = "2026, the bayeshcc developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# The notebooks are executed by the test suite (tests/test_notebooks.py, short chains); the
# documentation shows their code and text without running the sampler again.
nb_execution_mode = "off"

autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "alabaster"
html_title = "bayeshcc"
html_static_path: list[str] = []


def _copy_notebooks(app) -> None:
    """The notebooks live in ``notebooks/`` (run by the tests); the site shows copies."""
    target = DOCS / "examples"
    target.mkdir(exist_ok=True)
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(notebook, target / notebook.name)


def setup(app):
    app.connect("builder-inited", _copy_notebooks)
