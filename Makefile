# Quick start targets: each builds .venv from scratch if needed, then runs.
# Needs Python >= 3.12 (PyMC 6 / ArviZ 1.x): scripts/find_python.sh finds one on PATH, under
# pyenv or uv without any variable set, and says which; PYTHON=/path/to/python overrides it.
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
OUT ?= results
PYTEST_ARGS ?=

.PHONY: install reproduce test bench docs clean

$(BIN)/bayeshcc: pyproject.toml
	@py=$$(PYTHON='$(PYTHON)' sh scripts/find_python.sh) || exit 2; \
	echo "$$py -m venv $(VENV)"; "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/bayeshcc
	@$(BIN)/python -c 'import sys; print("make: .venv runs Python %d.%d.%d" % sys.version_info[:3])'

reproduce: install
	$(BIN)/bayeshcc reproduce --out $(OUT) $(ARGS)

# pytest exits 5 when no test was collected; that is not a failure of the suite.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

# The documentation site (Sphinx, numpydoc, MyST); any warning is an error.
docs: install
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/examples
