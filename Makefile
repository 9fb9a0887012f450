# Quick start: `make run` (demo pipeline, offline) and `make test` (whole suite);
# `make run CATALOG=path [CONSUMPTION=path]` runs the pipeline on one's own catalog.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

# Every location is a setting; these are the embedded defaults (one git-ignored folder).
export PROCUREMENT_STATE_DIR ?= $(CURDIR)/.local_state
export DAGSTER_HOME ?= $(PROCUREMENT_STATE_DIR)/dagster_home
export PROCUREMENT_ARTIFACT_ROOT ?= $(PROCUREMENT_STATE_DIR)/artifacts
# One ASSET_MATERIALIZATION_PLANNED event per asset for a run over a range of product
# partitions, instead of one per partition (500 per batch, ~70 s of SQLite writes each).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= 1
# A step's per-partition asset events reach the storage as one batch (procurement_pipeline/
# instance_storage.py writes it in one transaction instead of one commit per product).
export DAGSTER_EVENT_BATCH_SIZE ?= 2000
# The buyer's own files (CSV or .xlsx) instead of the demo's: the catalog, and optionally the
# ERP consumption export (without it the advice comes from stock, minimum and lead time).
ifdef CATALOG
export PROCUREMENT_CATALOG_CSV := $(CATALOG)
endif
ifdef CONSUMPTION
export PROCUREMENT_CONSUMPTION_CSV := $(CONSUMPTION)
endif

.PHONY: install run dev dagster-ui dashboard test lint clean-state

install: $(STAMP)

# uv is bootstrapped with pip inside the venv, then installs the locked tree, compiled to
# bytecode: uv does not compile by default, and where PYTHONDONTWRITEBYTECODE is set (this
# kind of machine sets it) every process would compile Dagster, pandas and SQLAlchemy from
# source again: importing the definitions took 14 s instead of 5 s, in every run worker,
# daemon, webserver and test process. The project's own modules are compiled too (a module
# edited later is compiled in memory again, as without the step).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==0.13.8
	$(UV) pip install --quiet --compile-bytecode -p $(PY) -r requirements.lock
	$(UV) pip install --quiet --compile-bytecode -p $(PY) --no-deps -e .
	$(PY) -m compileall -q procurement_pipeline dashboard > /dev/null
	touch $(STAMP)

# Copies the instance config and initialises the instance storage once, before anything can
# open it concurrently (several first runs at once on a fresh SQLite home corrupt it otherwise);
# if that fails the copy goes too, so the next `make` tries again.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) $(PROCUREMENT_ARTIFACT_ROOT)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m procurement_pipeline.defs.instance_setup || { rm -f $@; exit 1; }

run: install $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m procurement_pipeline.main

# Dagster UI on :3000 and the buyers' dashboard on :8501, over the same local state.
# Ctrl-C stops both (kill 0 ends the whole process group this recipe started).
dev: install $(DAGSTER_HOME)/dagster.yaml
	trap 'kill 0' EXIT INT TERM; \
	$(MAKE) --no-print-directory dashboard & \
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dagster-ui: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dashboard: install
	$(VENV)/bin/streamlit run dashboard/app.py --server.headless true \
		--server.address 127.0.0.1 --server.port 8501 \
		--browser.gatherUsageStats false --client.toolbarMode minimal

test: install
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean-state:
	rm -rf $(PROCUREMENT_STATE_DIR)
