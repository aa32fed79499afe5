# Stepwise: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install install-dev browser fonts node pdftools check lint format audit clean bench

$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV) (with $(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	@echo "==> Installing the requirements (requirements.txt); the first time takes a minute or two"
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	@echo "==> Installing the requirements and the test tools (requirements-dev.txt)"
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install fonts
	@echo "==> Creating or updating the SQLite database (db.sqlite3)"
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py createcachetable
	@echo "==> Loading the standard foods and protocols and the demo clinics, people and challenges"
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Stepwise is running at http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins (password: stepwise-demo):"
	@echo "    allergist    - allergist, Northside Allergy Clinic"
	@echo "    nurse        - nurse, Northside Allergy Clinic"
	@echo "    patient      - patient (Zoë Ångström-Nguyễn), Northside Allergy Clinic"
	@echo "    other-nurse  - nurse, Harbour Children's Allergy Service"
	@echo "    other-allergist - allergist, Harbour Children's Allergy Service"
	@echo ""
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev browser fonts node pdftools
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium (never a downloaded browser); install it when missing and we can.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: install Debian's chromium package (the browser tests need it)"; fi; }

# Test-only JavaScript tools from the npm registry, pinned by package-lock.json: axe-core (accessibility checks in
# the browser tests) and Medplum's FHIR R4 validator with the official definitions (the export tests).
node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "==> Installing Node.js and npm (Debian packages)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "npm is missing: install Node.js and npm (the accessibility and FHIR checks need them)"; exit 1; fi; }
	@echo "==> Installing the test-only JavaScript tools (npm ci: axe-core, Medplum FHIR definitions)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The PDF tests read the reports back with independent tools (docs/pdf-output.md): Poppler's pdfinfo (tagged
# structure tree) and qpdf --check, Debian's poppler-utils and qpdf. Installed when missing and we can.
pdftools:
	@command -v pdfinfo >/dev/null 2>&1 && command -v qpdf >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "==> Installing the PDF check tools (Debian poppler-utils, qpdf)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils qpdf >/dev/null; \
		else echo "poppler-utils or qpdf is missing: install both (the PDF tagging and archival tests need them)"; fi; }

# Chinese, Japanese and Korean names in the PDFs need a CJK TrueType face (challenges/reports/fonts.py): Debian's
# fonts-wqy-microhei. Installed when missing and we can; without it such names print as empty boxes.
fonts:
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "==> Installing the CJK report font (Debian fonts-wqy-microhei)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
		else echo "fonts-wqy-microhei is missing: install it so Chinese, Japanese and Korean names print in PDFs"; fi; }

# Performance figures (bench/README.md): page latency small vs large data on SQLite and PostgreSQL, gunicorn overhead,
# dose throughput, a clinic-sized load and reports; one table. `make bench BENCH_ARGS=--full` for the full scale.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: install Debian's wrk package (the server overhead needs it)"; fi; }
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# Lint, format and type checks (CI runs them; pre-commit runs the same through .pre-commit-config.yaml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# Known vulnerabilities in the pinned requirements (needs PyPI's JSON API or OSV; exceptions with expiry dates
# in .ci/pip-audit-ignore.txt).
audit: install-dev
	$(BIN)/pip install --quiet pip-audit==2.10.1
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
