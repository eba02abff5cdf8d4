# From Perceptron to Speech — two commands: `make lab` (learn) and `make test` (check everything).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
LAB_ARGS ?=
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: help setup editions lab lint test test-unit test-notebooks test-book book bench clean

help:
	@echo "make lab    — set up .venv, build the student edition into workspace/, start JupyterLab"
	@echo "make lint   — check the whole tree with ruff (pyflakes, import order, 120-column lines)"
	@echo "make test   — set up .venv, lint, run unit tests, execute every notebook (quick mode), build the book"
	@echo "make book   — build the Jupyter Book site into build/book/_build/html"
	@echo "make bench  — run the benchmarks and write benchmarks/RESULTS.md"
	@echo "make clean  — remove build outputs (never workspace/, which holds your work)"

$(STAMP): pyproject.toml environment.yml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(PYTHON) scripts/pins.py > $(VENV)/constraints.txt
	$(BIN)/python -m pip install -q -c $(VENV)/constraints.txt torch==2.13.0
	$(BIN)/python -m pip install -q -c $(VENV)/constraints.txt -e '.[dev]'
	@touch $@

setup: $(STAMP)

editions: setup
	$(BIN)/python -m authoring build

lab: editions
	$(BIN)/python -m authoring workspace
	cd workspace && ../$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

lint: setup
	$(BIN)/python -m ruff check .

test-unit: setup
	$(PYTEST) -n $(JOBS) --durations=25 -m "not book and not browser" tests

test-notebooks: editions
	rm -rf build/executed build/timings
	COURSE_QUICK=1 COURSE_THREADS=1 $(PYTEST) -n $(JOBS) --dist loadfile --nbval-lax --nbval-cell-timeout=600 --nbval-kernel-startup-timeout=180 \
	  -p authoring.pytest_plugin build/editions/instructor build/editions/student

test-book: setup
	$(PYTEST) -m "book or browser" tests

test: lint test-unit test-notebooks test-book

book: editions
	COURSE_QUICK=$${COURSE_QUICK:-1} $(BIN)/python -m authoring execute --jobs $(JOBS)
	$(BIN)/python -m authoring.book

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf build book/_build .pytest_cache .benchmarks
	find . -name __pycache__ -path ./.venv -prune -o -name __pycache__ -exec rm -rf {} +
