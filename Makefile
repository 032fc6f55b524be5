# sitebill: two commands do everything on a fresh Debian machine with Python 3.11.
#   make run    set up, migrate, load the demo data, serve on http://127.0.0.1:$(PORT)
#   make test   set up, then ruff, mypy, makemigrations --check and the whole pytest suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test lint typecheck migrations-check pytest pytest-postgres arithmetic lock clean deploy-check

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sitebill needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

var:
	mkdir -p var

run: $(BIN)/.installed var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --if-empty
	@echo ""
	@echo "  sitebill is at http://127.0.0.1:$(PORT)/   (mail: http://127.0.0.1:$(PORT)/outbox/)"
	@echo "  Demo logins (password demo1234):"
	@$(BIN)/python manage.py demo_logins
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(BIN)/.installed var lint typecheck migrations-check pytest pytest-postgres arithmetic

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy sitebill config

migrations-check: $(BIN)/.installed
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

# The whole suite on the embedded SQLite database...
pytest: $(BIN)/.installed
	scripts/ensure-chromium
	$(BIN)/pytest -q

# ...and again on a throwaway PostgreSQL cluster (scripts/with-postgres starts and removes it).
pytest-postgres: $(BIN)/.installed
	scripts/ensure-chromium
	scripts/with-postgres $(BIN)/pytest -q

# The arithmetic's properties at 10,000 examples each, and 100% branch coverage of it.
arithmetic: $(BIN)/.installed
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q \
		tests/billing/test_calculations.py tests/billing/test_calculations_properties.py \
		tests/billing/test_published_examples.py tests/core/test_money.py \
		--cov=sitebill.billing.calculations --cov=sitebill.core.money --cov-branch \
		--cov-report=term-missing --cov-fail-under=100

# Django's deployment checklist against the production settings, with throwaway values for the
# variables they require: any warning fails it (config/settings/prod.py).
DEPLOY_CHECK_SECRET_KEY := throwaway-deploy-check-key-not-secret-0123456789-abcdefghijklmno
deploy-check: $(BIN)/.installed
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$(DEPLOY_CHECK_SECRET_KEY) \
		ALLOWED_HOSTS=billing.example.com EMAIL_HOST=smtp.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

lock:
	rm -rf /tmp/sitebill-lock && $(PYTHON) -m venv /tmp/sitebill-lock
	/tmp/sitebill-lock/bin/pip install --quiet -r requirements.in
	(echo "# Pinned with: make lock (pip freeze of a venv built from requirements.in)"; \
	 /tmp/sitebill-lock/bin/pip freeze) > requirements.txt

clean:
	rm -rf $(VENV) var/sitebill.sqlite3
