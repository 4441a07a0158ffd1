# The two commands the README opens with: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup run test lint translations clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Set up, initialise the instance (the first time, print the admin's one-time password),
# load the demo data, and serve the web app on http://127.0.0.1:5000/.
run: setup
	$(BIN)/tracker init
	$(BIN)/tracker demo
	$(BIN)/tracker serve --host 127.0.0.1 --port 5000

# The whole suite: lint, types, and every test on SQLite (and PostgreSQL when it answers).
test: setup
	bash .ci/test-suite

lint: setup
	$(BIN)/ruff check tracker tests bench
	$(BIN)/ruff format --check tracker tests bench
	$(BIN)/mypy

# After changing UI strings: extract them, merge into the az and ru catalogs, compile.
translations: setup
	$(BIN)/pybabel extract -F pyproject.toml -k _l -o tracker/translations/messages.pot --no-location --sort-output --project tracker .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d tracker/translations --statistics

clean:
	rm -rf $(VENV) build *.egg-info
