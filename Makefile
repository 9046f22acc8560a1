# Quick start targets: each builds .venv from scratch if needed, then runs.
# Needs Python >= 3.12 (PyMC 6 / ArviZ 1.x): scripts/find_python.sh finds one on PATH, under
# pyenv or uv without any variable set, and says which; PYTHON=/path/to/python overrides it.
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
OUT ?= results
PYTEST_ARGS ?=

.PHONY: install reproduce test bench docs clean

# The interpreter, then one stamp per set of extras: `make reproduce` installs bayeshcc and its
# runtime dependencies only, `make test` adds the test extras, `make docs` the documentation's.
# pip runs with -qq: errors only (a machine's pip configuration can print a warning per package).
$(BIN)/python:
	@py=$$(PYTHON='$(PYTHON)' sh scripts/find_python.sh) || exit 2; \
	echo "$$py -m venv $(VENV)"; "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip

# After installing, `bayeshcc warmup` compiles the bundled study's models into the user's
# compiled-model cache (docs/guide/warmup.md), so the first analysis compiles nothing; a second
# run only loads them. A failed warmup is reported and does not fail the install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "make: installing bayeshcc and its dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install -qq -e .
	@touch $@
	@echo "make: compiling the bundled study's models ahead of time (bayeshcc warmup)"
	@$(BIN)/bayeshcc warmup || echo "make: bayeshcc warmup failed; the first analysis will compile instead"

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	@echo "make: installing bayeshcc with its $* extras into $(VENV)"
	$(BIN)/python -m pip install -qq -e '.[$*]'
	@touch $@

install: $(VENV)/.installed
	@$(BIN)/python -c 'import sys; print("make: .venv runs Python %d.%d.%d" % sys.version_info[:3])'

reproduce: install
	$(BIN)/bayeshcc reproduce --out $(OUT) $(ARGS)

# pytest exits 5 when no test was collected; that is not a failure of the suite.
test: install $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

# The documentation site (Sphinx, numpydoc, MyST); any warning is an error.
docs: install $(VENV)/.installed-docs
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: install $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/examples
