# make run   - set everything up and start the portal on SQLite: open http://localhost:8000
# make test  - set everything up, a Chromium for the browser tests included, and run every test
# make bench - benchmarks (not tests): figures as JSON lines

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=1

.PHONY: run test bench setup browser migrate lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py createcachetable

run: migrate
	@echo "Open http://localhost:8000 (SITE_URL: passkeys work on that name, not on 127.0.0.1)."
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# A Chromium that starts: found, or installed (Playwright's, else Debian's as root); if none
# can be, one line says what to run and no test starts.
browser: setup
	@$(PY) -m tests.browser.chromium

test: browser
	$(DEV_ENV) $(PY) -m pytest $(PYTEST_ARGS)

bench: migrate
	$(DEV_ENV) $(PY) bench/run.py

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
