# Two commands: `make run` (set up and serve the product) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup deploy worker bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m webapp.serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	bash tests/setup_system.sh
	$(PY) -m pytest -q tests

deploy: $(STAMP)
	$(VENV)/bin/flask --app webapp deploy

worker: $(STAMP)
	$(VENV)/bin/flask --app webapp worker

bench: $(STAMP)
	$(PY) bench/engine_overhead.py

clean:
	rm -rf $(VENV) instance .pytest_cache
