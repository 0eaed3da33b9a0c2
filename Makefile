# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint typecheck contracts check messages bench

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed tools/lighthouse/package-lock.json
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# Lighthouse (pinned in its lock file) audits pages in Debian's Chromium; no browser download.
	cd tools/lighthouse && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
	touch $@

# Migrates, loads the demo data into an empty database, and serves web + background worker.
# Without SECRET_KEY in the environment, a random key is kept under var/ for local use.
run: $(VENV)/.installed
	@mkdir -p var
	@test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	DEBUG=$${DEBUG:-0} SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} PORT=$(PORT) $(PY) manage.py serve

test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# mypy with django-stubs over allies/ (config and per-module strictness in pyproject.toml).
typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# The layers of ARCHITECTURE.md, as import-linter contracts in pyproject.toml.
contracts: $(VENV)/.installed-dev
	$(VENV)/bin/lint-imports

# Everything CI checks before the tests.
check: lint contracts typecheck

# Re-extract and compile translations (needs GNU gettext; the compiled .mo files are committed).
messages: $(VENV)/.installed
	cd allies && ../$(PY) ../manage.py makemessages -l en --no-obsolete && ../$(PY) ../manage.py compilemessages

bench: $(VENV)/.installed-dev
	$(PY) bench/storefront.py
