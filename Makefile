# Two commands: `make run` (set up and serve the product) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
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

# bpmnlint for tests/test_bpmnlint.py, exactly as package-lock.json pins it (`make run` needs no npm).
# Without npm the lint tests are skipped, and fail when CI is set.
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && touch $(NPM_STAMP); \
	else echo "npm not found: the bpmnlint tests will be skipped (install Node.js 20+)" >&2; fi

test: $(STAMP) $(NPM_STAMP)
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
