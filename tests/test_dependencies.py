"""Dependency truth (issue 15): every package bayeshcc imports is declared in pyproject.toml,
and every declared runtime dependency is imported (or is an engine named below)."""

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Import name -> distribution name, where they differ.
DISTRIBUTION = {"arviz_stats": "arviz-stats", "arviz_plots": "arviz-plots", "distributed": "dask", "yaml": "pyyaml",
                "PIL": "pillow"}
# Declared but used through another library, never imported by name.
ENGINES = {"openpyxl": "pandas.read_excel", "pyarrow": "pandas.read_parquet",
           "netcdf4": "xarray.to_netcdf / arviz.from_netcdf"}


def _imported_packages() -> set[str]:
    names = set()
    for path in (ROOT / "bayeshcc").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    third_party = names - set(sys.stdlib_module_names) - {"bayeshcc", "__future__"}
    return {DISTRIBUTION.get(n, n).lower() for n in third_party}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("=")[0].split("<")[0].split("[")[0]
        names.add(name.strip().lower())
    return names


def test_every_imported_package_is_declared():
    assert _imported_packages() - _declared() == set()


def test_every_declared_package_is_imported_or_an_engine():
    assert _declared() - _imported_packages() - set(ENGINES) == set()
