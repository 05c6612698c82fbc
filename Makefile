# Entry points for a fresh machine with Python 3.11+ and git:
#   make demo   validates the bundled referentials and judges every example in one batch (decisions in build/)
#   make lint   runs ruff and mypy on engine/ and cli.py (their settings are in pyproject.toml)
#   make test   runs the test suite
#   make fuzz   judges 10,000 mutated example dossiers under the three runtimes (FUZZ_SEED, FUZZ_CASES; docs/fuzzing.md)
# Each builds .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo lint test fuzz bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/referee validate referentials/
	@mkdir -p build
	$(BIN)/referee batch examples/*/*.yaml --check-sample 0.1 -o build/demo-decisions.jsonl --summary build/demo-summary.csv --force

lint: $(STAMP)
	$(BIN)/ruff check engine cli.py
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/python -m pytest

fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

bench: $(STAMP)
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/one_dossier.py
	$(BIN)/python bench/fec.py
	$(BIN)/python bench/transmission.py
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(VENV) .pytest_cache
