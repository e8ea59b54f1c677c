# procflow tasks: `make demo`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo
SAMPLE := logs/permit-delayering

.PHONY: install system-deps demo test lint unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "procflow needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: system-deps $(STAMP)

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh

demo: install
	@mkdir -p $(DEMO)
	@rm -f $(DEMO)/procflow.duckdb $(DEMO)/procflow.duckdb.wal
	$(BIN)/procflow import $(SAMPLE)/before.csv --name before --tz Asia/Makassar \
		--orgchart $(SAMPLE)/orgchart.csv --workspace $(DEMO)/procflow.duckdb
	$(BIN)/procflow import $(SAMPLE)/after.csv --name after --tz Asia/Makassar \
		--orgchart $(SAMPLE)/orgchart.csv --workspace $(DEMO)/procflow.duckdb
	$(BIN)/procflow logs --workspace $(DEMO)/procflow.duckdb
	$(BIN)/procflow analyze before --workspace $(DEMO)/procflow.duckdb --out $(DEMO)/before
	$(BIN)/procflow analyze after --workspace $(DEMO)/procflow.duckdb --out $(DEMO)/after
	$(BIN)/procflow map after --workspace $(DEMO)/procflow.duckdb --profile performance \
		--out $(DEMO)/after-map.svg
	$(BIN)/procflow conform after --workspace $(DEMO)/procflow.duckdb \
		--model models/permit-to-be.bpmn --out $(DEMO)/conformance
	$(BIN)/procflow report after --workspace $(DEMO)/procflow.duckdb --out $(DEMO)/report-after
	$(BIN)/procflow compare before after --workspace $(DEMO)/procflow.duckdb \
		--out $(DEMO)/comparison --xlsx
	@echo "Before/after comparison report: $(DEMO)/comparison/report.html"

lint: install
	$(BIN)/ruff check procflow tests bench
	$(BIN)/mypy

unit: install
	@PYTHON=$(PYTHON) scripts/system-deps.sh java chromium
	$(BIN)/pytest -q

test: lint unit

bench: install
	$(BIN)/python bench/xes_speed.py
	$(BIN)/python bench/import_speed.py
	$(BIN)/python bench/analyze_speed.py --ten-million
	$(BIN)/python bench/filter_speed.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
