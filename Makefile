# sitebill: two commands do everything on a fresh Debian machine with Python 3.11.
#   make run    set up, migrate, load the demo data, serve on http://127.0.0.1:$(PORT)
#   make test   set up, then ruff, mypy, makemigrations --check and the whole pytest suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Links in the demo's mail point at the server `make run` starts (override to serve elsewhere).
SITE_URL ?= http://127.0.0.1:$(PORT)
# Tests always run on the test settings, whatever the caller's environment says.
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test
DEV_ENV  := DJANGO_SETTINGS_MODULE=config.settings.dev

.PHONY: run test lint typecheck migrations-check pytest pytest-postgres arithmetic lock clean deploy-check bench

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sitebill needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

var:
	mkdir -p var

run: $(BIN)/.installed var
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo --if-empty
	@echo ""
	@echo "  sitebill is at http://127.0.0.1:$(PORT)/   (mail: http://127.0.0.1:$(PORT)/outbox/)"
	@echo "  Demo logins (password demo1234):"
	@$(DEV_ENV) $(BIN)/python manage.py demo_logins
	@echo ""
	$(DEV_ENV) SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(BIN)/.installed var lint typecheck migrations-check pytest pytest-postgres arithmetic

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(TEST_ENV) $(BIN)/mypy sitebill config

migrations-check: $(BIN)/.installed
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# The whole suite on the embedded SQLite database...
pytest: $(BIN)/.installed
	scripts/ensure-chromium
	$(TEST_ENV) $(BIN)/pytest -q

# ...and again on a throwaway PostgreSQL cluster (scripts/with-postgres starts and removes it).
pytest-postgres: $(BIN)/.installed
	scripts/ensure-chromium
	$(TEST_ENV) scripts/with-postgres $(BIN)/pytest -q

# The arithmetic: 100% branch coverage of the pure module (its hand-written tests reach it on
# their own), then its Hypothesis properties at 10,000 examples each (coverage off: tracing
# Hypothesis itself would double the time).
arithmetic: $(BIN)/.installed
	$(TEST_ENV) $(BIN)/pytest -q \
		tests/billing/test_calculations.py tests/billing/test_calculations_properties.py \
		tests/billing/test_published_examples.py tests/core/test_money.py \
		--cov=sitebill.billing.calculations --cov=sitebill.core.money --cov-branch \
		--cov-report=term-missing --cov-fail-under=100
	$(TEST_ENV) HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q tests/billing/test_calculations_properties.py

# Django's deployment checklist on the production settings (with throwaway values): no warning.
DEPLOY_CHECK_SECRET_KEY := throwaway-deploy-check-key-not-secret-0123456789-abcdefghijklmno
deploy-check: $(BIN)/.installed
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$(DEPLOY_CHECK_SECRET_KEY) \
		ALLOWED_HOSTS=billing.example.com EMAIL_HOST=smtp.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# Speed at scale (issue 6): the large project on SQLite, then on a throwaway PostgreSQL, each
# figure against its floor; the merge writes var/bench/results.json. A run that misses a
# target exits 1 after writing its file (the next still runs); the merge's status is the verdict.
bench: $(BIN)/.installed var
	scripts/ensure-wrk
	$(BIN)/python -m bench.run --database sqlite; test $$? -le 1
	scripts/with-postgres $(BIN)/python -m bench.run --database postgresql; test $$? -le 1
	$(BIN)/python -m bench.run --merge

lock:
	rm -rf /tmp/sitebill-lock && $(PYTHON) -m venv /tmp/sitebill-lock
	/tmp/sitebill-lock/bin/pip install --quiet -r requirements.in
	(echo "# Pinned with: make lock (pip freeze of a venv built from requirements.in)"; \
	 /tmp/sitebill-lock/bin/pip freeze) > requirements.txt

clean:
	rm -rf $(VENV) var/sitebill.sqlite3
