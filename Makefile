# Podium: `make run` starts a working instance; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
# The sandbox's default runtime (numpy, scipy, scikit-learn, pandas, pyyaml, pillow).
RUNTIME := runtimes/default
export PODIUM_HOME ?= $(CURDIR)/var
# The scaled setup's database, for the second run of the suite (see `make pytest`).
PODIUM_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install sandbox browser run test lint types imports migrations-check pytest lock runtime-lock clean

install: $(VENV)/.installed $(RUNTIME)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml scripts/find-python
	@python=$$(scripts/find-python) || exit 1; \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	    rm -rf $(VENV); echo "Creating $(VENV) with $$python"; $$python -m venv $(VENV); fi
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

# Built on an interpreter the sandbox's unprivileged user can read (see scripts/make-runtime).
$(RUNTIME)/.installed: runtime/requirements.txt scripts/make-runtime $(VENV)/.installed
	scripts/make-runtime $(VENV)/bin/uv $(RUNTIME)
	@touch $@

# The pages' front-end packages (htmx, Pico CSS, Chart.js), pinned by package-lock.json and
# served by Django from node_modules (podium/web/assets.py); never copied into the repository.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "The pages' front-end packages need npm: install Node.js (apt-get install npm)." >&2; \
	  exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# The worker's sandbox (bubblewrap) is a system package; the worker tests run it for real.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "The worker needs bubblewrap: install the 'bubblewrap' package (apt-get install bubblewrap)." >&2; \
	    exit 1; \
	  fi; }

# The browser tests (tests/browser) drive Debian's Chromium, never a downloaded browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: install the 'chromium' package (apt-get install chromium)." >&2; \
	    exit 1; \
	  fi; }

# Regenerates requirements.lock from pyproject.toml (run after changing a dependency).
lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.12 --universal -o requirements.lock

# Regenerates runtime/requirements.txt from runtime/requirements.in.
runtime-lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile runtime/requirements.in --python-version 3.11 --universal \
	  -o runtime/requirements.txt

# The web server, one local worker and the scheduler, on the embedded default.
run: install sandbox
	$(VENV)/bin/podium-server migrate --no-input
	$(VENV)/bin/podium-server demo
	$(VENV)/bin/podium-server up --port 8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install
	$(VENV)/bin/mypy podium podium_worker podium_client podium_bundle

imports: install
	$(VENV)/bin/lint-imports

migrations-check: install
	PODIUM_HOME=$$(mktemp -d) $(VENV)/bin/podium-server makemigrations --check --dry-run

# The whole suite twice: on the embedded default (SQLite), then on PostgreSQL.
pytest: install sandbox browser
	$(VENV)/bin/pytest -n auto -p no:cacheprovider
	PODIUM_DATABASE_URL=$(PODIUM_TEST_POSTGRES_URL) $(VENV)/bin/pytest -n auto -p no:cacheprovider

test: lint types imports migrations-check pytest

clean:
	rm -rf $(VENV) runtimes node_modules .mypy_cache .ruff_cache
