# Quick start targets: each builds .venv from scratch if needed, then runs.
# Needs Python >= 3.12 (PyMC 6 / ArviZ 1.x); the first of python3.13, python3.12, python3
# that is new enough is used, or set PYTHON=/path/to/python.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= results
PYTEST_ARGS ?=

.PHONY: install reproduce test bench clean

$(BIN)/bayeshcc: pyproject.toml
	@test -n "$(PYTHON)" || { echo "bayeshcc needs Python >= 3.12 (none found on PATH; set PYTHON=...)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/bayeshcc

reproduce: install
	$(BIN)/bayeshcc reproduce --out $(OUT) $(ARGS)

# pytest exits 5 when no test was collected; that is not a failure of the suite.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
