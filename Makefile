# Two commands on a fresh machine:
#   make run    install kehoach and ingest the bundled sample plans into data/processed/kehoach.db
#   make test   install what the tests need (Tesseract, PostgreSQL, test libraries) and run them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie poppler-utils postgresql libreoffice-writer-nogui chromium

.PHONY: run test install install-test system-deps bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

# System packages for OCR and the PostgreSQL tests (needs root and apt; skipped when already there).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "warning: missing system packages:$$missing (OCR/PostgreSQL tests will be skipped)"; fi; \
	fi

run: install
	$(BIN)/kehoach ingest data/raw

# pytest exits 5 when it collected no test: that is a failure here, said plainly.
test: system-deps install-test
	@$(BIN)/python -m pytest -q -p no:cacheprovider; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; fi; exit $$status

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/ingest_benchmark.py

clean:
	rm -rf $(VENV) data/processed/kehoach.db
