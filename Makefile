# Two commands for a new user: `make run` and `make test`. Everything else is here to serve them.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv

.PHONY: run test test-sqlite lint format env bench clean browser

# uv itself comes from PyPI into a private tool folder when the machine has none.
$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml libs/common/pyproject.toml $(wildcard services/*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages
	touch $@

env: $(VENV)/.synced

## Start the whole embedded stack: broker, identity provider, the four services, demo data.
run: env
	$(VENV)/bin/python -m homeward.common.devstack

## The console's browser tests: Debian's chromium (Playwright drives it; never `playwright
## install`) and axe-core pinned by tests/console/package-lock.json.
browser:
	@command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium; }
	@test -f tests/console/node_modules/axe-core/axe.min.js || npm ci --prefix tests/console

## Every test: unit, integration (real Tansu broker), SQLite and, when reachable (always in CI), PostgreSQL.
test: env browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: env
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: env
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache
