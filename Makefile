# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint bench bench-search bench-records bench-files i18n-status i18n-update venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/wiki init
	$(BIN)/wiki serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check wiki tests bench
	$(BIN)/ruff format --check wiki tests bench

# without the tests that start servers or a browser (marked `slow`)
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow"

i18n-status: $(VENV)/.installed
	$(BIN)/wiki i18n status

# the catalogs brought up to the strings of the code (then translate what is new)
i18n-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o wiki/translations/messages.pot .
	$(BIN)/pybabel update -i wiki/translations/messages.pot -d wiki/translations --no-fuzzy-matching

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

bench-search: $(VENV)/.installed
	$(BIN)/python bench/search.py

bench-records: $(VENV)/.installed
	$(BIN)/python bench/records.py

bench-files: $(VENV)/.installed
	$(BIN)/python bench/files.py

clean:
	rm -rf $(VENV) build *.egg-info
