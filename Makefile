# make run  — set up everything on a fresh machine, build content/ into output/, serve it on :8000
# make test — set up the same way, then run the whole suite (pytest, ruff, mypy)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# What rendering needs (make run and make test): Noto CJK SC, then BabelStone Han and HanaMin for rare
# characters (CJK Extension B and later; fonts-noto-cjk-extra is 214 MB and adds no Extension B) ...
APT_RUN := fonts-noto-cjk fonts-babelstone-han fonts-hanazono libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fontconfig qpdf
# (qpdf linearises every PDF.) ... and what only the test suite needs: the validators (pdffonts/pdftotext, Java
# for EPUBCheck) and Chromium, which tests/test_replica.py drives through Playwright.
APT_TEST := poppler-utils default-jre-headless chromium
HOST ?= 127.0.0.1
PORT ?= 8000
# The URL feeds, OPDS and the EPUB point at: follows HOST and PORT (make run PORT=8731); set it to the
# public URL when a proxy serves the output (make run BASE_URL=https://paper.example.cn/herald/).
BASE_URL ?= http://$(HOST):$(PORT)/

.PHONY: run test setup test-setup system-packages test-packages venv build serve lint bench clean schema lock

run: setup build
	$(PY) schedule.py --content content --out output --host $(HOST) --port $(PORT) --option base_url=$(BASE_URL)

test: test-setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check exporter tests schedule.py bench scripts
	$(VENV)/bin/ruff format --check exporter tests schedule.py bench scripts
	$(VENV)/bin/mypy

setup: system-packages venv
test-setup: system-packages test-packages venv

# System packages, only those missing (apt-get needs root; CI and the dev machines run as root).
system-packages: PACKAGES = $(APT_RUN)
test-packages: PACKAGES = $(APT_TEST)
system-packages test-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

# Every distribution at the version in constraints.txt (the lock), so a fresh machine matches this one.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# Refresh the lock from a venv installed without it (review the diff, run make test, commit).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade pip && .lock-venv/bin/python -m pip install -q '.[dev]'
	{ sed -n '1,2p' constraints.txt; echo "pip==$$(.lock-venv/bin/python -m pip --version | cut -d' ' -f2)"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^exporter'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .lock-venv

build: setup
	$(VENV)/bin/exporter build --content content --out output --option base_url=$(BASE_URL)

serve: setup
	$(VENV)/bin/exporter serve --out output --host $(HOST) --port $(PORT)

bench: setup
	$(PY) bench/run.py

schema: setup
	$(VENV)/bin/exporter schema --out-dir docs/schema

clean:
	rm -rf output .output.releases $(VENV)
