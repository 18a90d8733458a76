# Two commands for a fresh clone (see README.md):
#   make demo   start the demo shop on SQLite at http://127.0.0.1:5000/
#   make test   install everything, lint, run the whole test suite
# Each does its own set-up: a virtualenv in .venv with xtycore and the
# first-party plugins installed in editable mode.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.xtycore-installed
PLUGINS := $(wildcard plugins/*/pyproject.toml)
# one test worker per CPU (pytest-xdist); each worker gets its own database. Workers take tests one or two
# at a time, so the slow ones (tests/conftest.py runs them first) spread over the workers as they come free.
PYTEST_ARGS ?= -n auto --maxschedchunk 1 --durations=15

.PHONY: demo test lint install clean bench

$(STAMP): pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/xty demo

lint: $(STAMP)
	$(BIN)/flake8 xtycore tests plugins $(wildcard bench)

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP) ; $(BIN)/python -m pip install --quiet -e '.[bench]' && $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
