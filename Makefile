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

run: $(STAMP) $(NPM_STAMP)
	$(PY) -m webapp.serve --host $(HOST) --port $(PORT)

# The npm packages exactly as package-lock.json pins them: the browser libraries of the modeler pages
# (camunda-bpmn-js, bpmn-js-i18n, dmn-js, served from node_modules/ by webapp/web/vendor.py) and
# bpmnlint. Without Node.js `make run` still serves everything else (the modeler pages say in Chinese
# what is missing) and the lint tests are skipped, failing when CI is set.
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && touch $(NPM_STAMP); \
	else echo "npm not found: the modeler pages and the bpmnlint tests need Node.js 20+ (then run make again)" >&2; fi

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
