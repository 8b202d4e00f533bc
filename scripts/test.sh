#!/usr/bin/env bash
# The whole suite: lint, Django checks, migrations in sync, tests on SQLite;
# then the tests again on PostgreSQL when CI=true or DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# Browser tests (tests/e2e/) drive Debian's Chromium through Playwright; never a
# downloaded browser build.
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== ruff"
$BIN/ruff check .

echo "== pipewise check"
env -u DATABASE_URL $BIN/pipewise check
echo "== pipewise check --deploy (production settings)"
env -u DATABASE_URL DEBUG=0 SECRET_KEY="check-deploy-$(date +%s)-not-a-real-secret-0123456789abcdef" \
  ALLOWED_HOSTS=pipewise.example.com $BIN/pipewise check --deploy --fail-level WARNING
echo "== makemigrations --check"
env -u DATABASE_URL $BIN/pipewise makemigrations --check --dry-run

# One pytest worker per core (pytest-xdist); each worker has its own test database.
WORKERS="${PYTEST_WORKERS:-auto}"

echo "== tests on SQLite"
env -u DATABASE_URL $BIN/pytest -n "$WORKERS" "$@"

pg_url="${DATABASE_URL:-}"
if [ -z "$pg_url" ] && [ "${CI:-}" = "true" ]; then
  pg_url="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -n "$pg_url" ]; then
  echo "== tests on PostgreSQL ($pg_url)"
  DATABASE_URL="$pg_url" $BIN/pytest -n "$WORKERS" "$@"
fi
