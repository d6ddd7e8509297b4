# Every target sets itself up: a fresh machine needs only Python 3 and make.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
YEAR ?= 2022/23
PYTEST_ARGS ?=

.PHONY: site test serve bench pack lint clean setup browser-deps

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Browser tests need Debian's chromium, Java for the Nu HTML Checker, and npm packages.
# CI runs as root, so apt-get can install what is missing; never `playwright install`.
browser-deps: $(NODE_STAMP)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else echo "java is missing: run 'sudo apt-get install default-jre-headless'" >&2; exit 1; fi; }
	@command -v pdftotext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "pdftotext is missing: run 'sudo apt-get install poppler-utils'" >&2; exit 1; fi; }

$(NODE_STAMP): package.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is missing (needed for axe-core and the Nu HTML Checker): run 'sudo apt-get install npm'" >&2; exit 1; fi; }
	npm install --no-audit --no-fund --silent
	@test -f node_modules/axe-core/axe.min.js && test -f node_modules/vnu-jar/build/dist/vnu.jar || { \
	  echo "npm install did not provide axe-core and vnu-jar: check the network and package.json" >&2; exit 1; }
	touch $@

site: $(STAMP)
	$(BIN)/transparency-site build

serve: $(STAMP)
	$(BIN)/transparency-site serve

test: $(STAMP) browser-deps
	$(BIN)/ruff check scripts tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) browser-deps
	$(BIN)/python -m transparency_site.bench

pack: $(STAMP) browser-deps
	$(BIN)/transparency-site pack --year '$(YEAR)'

clean:
	rm -rf site .build-* .pytest_cache
