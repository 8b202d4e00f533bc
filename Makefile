# Pipewise: two commands for a new user.
#   make run   — set up everything and serve the populated product on http://127.0.0.1:8000
#   make test  — set up everything and run the whole suite (twice under CI=true: SQLite, PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000

.PHONY: run test install lint fmt bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/pipewise setup
	$(BIN)/pipewise serve --port $(PORT)

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles var/test.sqlite3
