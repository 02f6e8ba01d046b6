# Two commands on a fresh machine:
#   make run    install kehoach (with the notebook extra) and ingest the bundled sample plans into data/processed/kehoach.db
#   make test   install what the tests need (Tesseract, PostgreSQL, test libraries) and run them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What `make run` needs at run time: OCR for the scanned sample, poppler, LibreOffice for legacy .doc files.
RUN_PACKAGES := tesseract-ocr tesseract-ocr-vie poppler-utils libreoffice-writer-nogui
# What `make test` needs on top: a PostgreSQL server for the database tests, a browser for the UI tests.
APT_PACKAGES := $(RUN_PACKAGES) postgresql chromium sqlite3

.PHONY: run test install install-test system-deps run-deps notebook bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The notebook extra (plotly, ipykernel, nbclient) comes with `make run`, so the notebook runs after it.
# A stamp per extra: pip runs again only when pyproject.toml changes (a second `make run` is just the ingest).
install: $(VENV)/.installed-notebook
install-test: $(VENV)/.installed-test

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[$*]"
	@touch $@

# Installs the missing packages of $(1) as root with apt.  Not root or no apt: a warning (kehoach skips the files
# a missing tool would read and names the package; the tests needing it are skipped).  apt failing: a warning with
# $(2) = lenient (`make run` goes on), a failure with strict (`make test`: a CI machine that cannot install is broken).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	    then :; else echo "warning: apt-get could not install:$$missing"; [ "$(2)" != strict ] || exit 1; fi; \
	  else \
	    echo "warning: missing system packages:$$missing (installing them needs root and apt-get)"; \
	  fi; \
	fi
endef

# System packages for OCR, .doc files, the PostgreSQL and browser tests.
system-deps:
	$(call apt_install,$(APT_PACKAGES),strict)

# The run-time subset, for `make run`: never fails the run.
run-deps:
	$(call apt_install,$(RUN_PACKAGES),lenient)

# Without Tesseract the scanned sample is skipped with a warning naming tesseract-ocr-vie, and the run exits 0.
run: run-deps install
	$(BIN)/kehoach ingest data/raw

# Executes the notebook headless on the default database (after `make run`): data/processed/timeline_exploration.ipynb
notebook: install
	$(BIN)/jupyter execute --timeout=300 notebooks/timeline_exploration.ipynb \
	  --output=../data/processed/timeline_exploration

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
