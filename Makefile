# make run  — set up everything on a fresh machine, build content/ into output/, serve it on :8000
# make test — set up the same way, then run the whole suite (pytest, ruff, mypy)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils qpdf default-jre-headless \
                libpango-1.0-0 libpangoft2-1.0-0 fontconfig
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system-packages venv build serve lint bench clean schema

run: setup build
	$(PY) schedule.py --content content --out output --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check exporter tests schedule.py bench scripts
	$(VENV)/bin/ruff format --check exporter tests schedule.py bench scripts
	$(VENV)/bin/mypy

setup: system-packages venv

# System packages, only those missing (apt-get needs root; CI and the dev machines run as root).
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

build: setup
	$(VENV)/bin/exporter build --content content --out output

serve: setup
	$(VENV)/bin/exporter serve --out output --host $(HOST) --port $(PORT)

bench: setup
	$(PY) bench/run.py

schema: setup
	$(VENV)/bin/exporter schema --out-dir docs/schema

clean:
	rm -rf output .output.releases $(VENV)
