# Incident Map: two commands on a fresh machine.
#   make run   set up .venv, fetch front-end assets, start the dashboard on :8501
#   make test  the same set-up, plus the Debian packages the suite needs, then ruff and the whole test suite
#   make test-fast  ruff and every test not marked slow (no browser tests, no exports through Chromium)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS_STAMP := dashboard/static/vendor/.fetched

.PHONY: run test test-fast install assets system lint clean

run: install assets
	$(BIN)/incident-map serve

test: install assets system
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: install assets
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow"

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

assets: install
	$(BIN)/python -m dashboard.maps.assets fetch
	$(BIN)/python -m dashboard.maps.basemap places
	$(BIN)/python -m dashboard.maps.outline
	$(BIN)/python -m dashboard.maps.admin_borders

# Debian packages the suite needs (Chromium, ...): scripts/debian-packages.txt
system:
	@scripts/ensure-debian-packages.sh

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) dashboard/static/vendor tests/artifacts
