# The two commands the README opens with: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup run test lint demo-summary clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Set up, initialise the instance, load the demo data, and show what is there.
run: setup
	$(BIN)/tracker init
	$(BIN)/tracker demo
	$(BIN)/tracker check

# The whole suite: lint, types, and every test on SQLite (and PostgreSQL when it answers).
test: setup
	bash .ci/test-suite

lint: setup
	$(BIN)/ruff check tracker tests bench
	$(BIN)/ruff format --check tracker tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
