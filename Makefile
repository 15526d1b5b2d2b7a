# Incident Map: two commands on a fresh machine.
#   make run   set up .venv, fetch front-end assets, start the dashboard on :8501 (PORT=, ONLINE=1)
#   make test  the same set-up, plus the Debian packages the suite needs, then ruff and the whole test suite
#   make test-fast  ruff and every test not marked slow (no browser tests, no exports through Chromium)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS_STAMP := dashboard/static/vendor/.fetched

.PHONY: run test test-fast install assets system lint clean

# make run [PORT=8501] [ONLINE=1]: offline by default (the bundled basemap; nothing is
# fetched from the internet); ONLINE=1 draws the online map tiles instead.
PORT ?= 8501
ONLINE ?=
run: install assets
	@if [ -n "$(ONLINE)" ]; then echo "Serving online (map tiles from the internet) on port $(PORT)"; \
	else echo "Serving offline (the bundled basemap; make run ONLINE=1 for online map tiles) on port $(PORT)"; fi
	$(BIN)/incident-map serve --port $(PORT) $(if $(ONLINE),,--offline)

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
