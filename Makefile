# Two entry points for a fresh machine with Python 3.11+ and git:
#   make demo   validates the bundled referentials and evaluates every example
#   make test   runs the test suite
# Each builds .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/referee validate referentials/
	@for dossier in examples/*/*.yaml; do \
		echo; echo "=== $$dossier"; \
		$(BIN)/referee evaluate "$$dossier" || exit $$?; \
	done

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/fec.py
	$(BIN)/python bench/transmission.py

clean:
	rm -rf $(VENV) .pytest_cache
