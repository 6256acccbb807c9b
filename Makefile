# One entry point for developers. `make help` lists the targets.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: help install lock jars demo up test unit lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv and install pics-sync with its test tools, as locked

# Every package exactly as requirements-dev.lock pins it, each checked against its hash; then pics-sync
# itself, built by the locked setuptools (no isolation: nothing unpinned is fetched). pip check fails
# when pyproject.toml wants what the lock does not hold: run `make lock`.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

# Both locks for the image's platform (Python 3.11, Linux x86_64), with pyproject's build backend in them;
# the dev lock keeps the runtime lock's versions, so the tests run what the image ships.
LOCK = $(VENV)/bin/uv pip compile pyproject.toml - --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --quiet --custom-compile-command 'make lock'
BUILD_REQUIRES = $(PY) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

lock: install ## pin every dependency again, with hashes, from pyproject.toml (add --upgrade via LOCK_ARGS)
	$(BUILD_REQUIRES) | $(LOCK) $(LOCK_ARGS) -o requirements.lock
	$(BUILD_REQUIRES) | $(LOCK) $(LOCK_ARGS) --extra test --constraint requirements.lock -o requirements-dev.lock
	$(MAKE) install

jars: install ## fetch the Kafka broker's jars with Maven (once, into ~/.cache/pics-sync)
	$(PY) -c "from sandbox.stack.kafka_jars import ensure_jars; print('kafka jars:', ensure_jars())"

demo: jars ## run the demo on a local broker, database and SA sandbox (progress on stderr)
	$(VENV)/bin/pics-sync demo --json

up: jars ## the demo, then its stack, consumers and console left running to look around (Ctrl-C stops)
	$(VENV)/bin/pics-sync demo --keep

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
