# Two commands on a fresh machine:
#   make run   — virtualenv, embedded SQLite database, demo data, http://127.0.0.1:8000
#   make test  — ruff, mypy, pytest on PostgreSQL + Redis + a real Celery worker + Chromium
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest services venv system-packages bench-packages messages bench worker clean-db

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests need: Chromium for browser tests, Pango for WeasyPrint,
# poppler-utils to look at PDFs, GNU time to check the benches' memory figures (tests/bench).
# Installed only when missing and when we are root.
system-packages:
	@missing=""; \
	for p in chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils time postgresql-client-15 redis-server; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages (run as root to install):$$missing"; fi; \
	fi

services:
	@bash .ci/services.sh

# Fingerprinted, pre-compressed static files, as in production (core/static.py); collected
# again only when a file under static/ changed.
staticfiles/staticfiles.json: $(STAMP) $(shell find static -type f)
	$(BIN)/python manage.py collectstatic --noinput -v0

run: export DEBUG ?= true
run: venv staticfiles/staticfiles.json
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py compilemessages -l id -l en >/dev/null 2>&1 || true
	$(BIN)/python manage.py seed_demo --scale city
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy .

pytest: venv system-packages services
	$(BIN)/pytest --create-db

test: venv system-packages services lint typecheck
	$(BIN)/pytest --create-db

# The page bench's load tool (bench/pages_bench.py); benches only, the tests do not need it.
bench-packages:
	@dpkg -s wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "Missing Debian package wrk (run as root to install)"; exit 1; fi; }

bench: venv services bench-packages
	$(BIN)/python -m bench

worker: venv
	$(BIN)/celery -A pokja_portal worker -l info
