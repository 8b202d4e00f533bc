# Pipewise: two commands for a new user.
#   make run   — set up everything and serve the populated product on http://127.0.0.1:8000
#   make test  — set up everything and run the whole suite (twice under CI=true: SQLite, PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NPM_STAMP := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)
VENDOR := pipewise/web/static/web/vendor/README.txt
PORT ?= 8000
# `make run` is a demo, not development: DEBUG off (the product's own error pages, static
# files through whitenoise), plain http on this machine. `make run DEBUG=1` to develop.
DEBUG ?= 0
DEMO_ENV := DEBUG=$(DEBUG) SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0

.PHONY: run test install lint fmt bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Front-end packages come from the npm registry (package-lock.json) and are copied
# into pipewise/web/static/web/vendor/ (generated, gitignored): no CDN at run time.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -f node_modules/.installed-*
	touch $(NPM_STAMP)

$(VENDOR): $(NPM_STAMP) pipewise/web/frontend/build.mjs
	npm run --silent build

install: $(STAMP) $(VENDOR)

run: install
	$(DEMO_ENV) $(BIN)/pipewise setup
	$(DEMO_ENV) $(BIN)/pipewise serve --port $(PORT)

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules pipewise/web/static/web/vendor staticfiles var/test.sqlite3
