# One entry point for developers. `make help` lists the targets.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: help install jars demo test unit lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv and install pics-sync with its test tools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

jars: install ## fetch the Kafka broker's jars with Maven (once, into ~/.cache/pics-sync)
	$(PY) -c "from sandbox.stack.kafka_jars import ensure_jars; print('kafka jars:', ensure_jars())"

demo: jars ## run the demo on a local broker, database and SA sandbox
	$(VENV)/bin/pics-sync demo --json

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: install ## the unit tests only (nothing started)
	$(PY) -m pytest tests/unit

test: jars lint ## lint, then every test (starts Kafka, PostgreSQL and the SA sandbox once)
	$(PY) -m pytest

clean: ## remove the virtualenv and caches (not the Maven cache)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
