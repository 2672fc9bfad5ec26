.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
DEMO_DIR ?= demo
# The running interpreter's minor version: what `make demo` bakes for.
DEMO_PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_PYTHON): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: the template's tools need Python >= 3.11; run with PYTHON=python3.11 (or newer)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --require-hashes -r requirements.txt
	@touch $(VENV_PYTHON)

.PHONY: install
install: $(VENV_PYTHON) ## Create .venv with the template's tools (hash-checked)

.PHONY: test
test: $(VENV_PYTHON) ## Run every template test, fast and slow tiers (bakes, installs, trains), on pytest-xdist workers (ARGS=-n0: one process)
	$(VENV_PYTHON) -m pytest $(ARGS)

.PHONY: test-fast
test-fast: $(VENV_PYTHON) ## Run the fast tier only (no installs, no network)
	$(VENV_PYTHON) -m pytest -m "not slow"

.PHONY: lint
lint: $(VENV_PYTHON) ## Check the template's own Python (tests/, scripts/) with ruff: lint rules and format
	$(VENV)/bin/ruff check tests scripts
	$(VENV)/bin/ruff format --check tests scripts

.PHONY: demo
demo: $(VENV_PYTHON) ## Bake each example into demo/, install, smoke, make data, train (images: with both loaders)
	@test ! -e $(DEMO_DIR) || { echo "error: $(DEMO_DIR)/ exists; remove it or pass DEMO_DIR=other" >&2; exit 1; }
	$(VENV)/bin/cookiecutter --no-input --output-dir $(DEMO_DIR) . python_version=$(DEMO_PYTHON_VERSION)
	$(MAKE) -C $(DEMO_DIR)/keras-project install smoke data
	$(MAKE) -C $(DEMO_DIR)/keras-project train LOADER=sequence OUTPUT=artifacts/sequence
	$(MAKE) -C $(DEMO_DIR)/keras-project train LOADER=tf-data OUTPUT=artifacts/tf-data
	$(VENV)/bin/cookiecutter --no-input --output-dir $(DEMO_DIR) . python_version=$(DEMO_PYTHON_VERSION) \
		project_name="Table Project" example=table
	$(MAKE) -C $(DEMO_DIR)/table-project install smoke data
	$(MAKE) -C $(DEMO_DIR)/table-project train EPOCHS=20
	@for loader in sequence tf-data; do \
		$(VENV_PYTHON) -c 'import json, sys; print("{loader:>8}: val_accuracy {val_accuracy:.3f} after {epochs_run} epochs, {seconds:.1f} s of training".format(**json.load(open(sys.argv[1]))))' \
			$(DEMO_DIR)/keras-project/artifacts/$$loader/metrics.json; done
	@$(VENV_PYTHON) -c 'import json, sys; print("   table: val_mae {val_mae:.3f} after {epochs_run} epochs, {seconds:.1f} s of training".format(**json.load(open(sys.argv[1]))))' \
		$(DEMO_DIR)/table-project/artifacts/metrics.json

.PHONY: bench-install
bench-install: $(VENV_PYTHON) ## Bake, then time make install (uv) against plain pip and bake-to-green, in one run
	$(VENV_PYTHON) scripts/bench_install.py

.PHONY: bench-lock-check
bench-lock-check: $(VENV_PYTHON) ## Bake, install, then time the project's make lock-check (uv, cold and warm) against the pip-compile re-lock it replaced
	$(VENV_PYTHON) scripts/bench_lock_check.py $(ARGS)

.PHONY: locks
locks: $(VENV_PYTHON) ## Re-lock the shipped locks of every offered Python with pip-tools (slow)
	$(VENV_PYTHON) scripts/relock.py $(ARGS)

.PHONY: lock-tools
lock-tools: $(VENV_PYTHON) ## Re-lock the template's own tools (requirements.in -> requirements.txt)
	CUSTOM_COMPILE_COMMAND="make lock-tools" $(VENV)/bin/pip-compile --quiet --generate-hashes \
		--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
