#!/usr/bin/env bash
# The whole check: lint, types, Django checks, then the suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the whole run needs from the machine (README.md, "Prerequisites for make test"),
# checked before anything long starts: one line for each thing missing.
missing=0
need() { printf 'Missing: %s\n' "$*" >&2; missing=1; }
if [ "${1:-}" != "--lint-only" ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    need "root or sudo (to install Chromium and start PostgreSQL)"
  fi
  if [ ! -x /usr/bin/chromium ] && ! command -v apt-get >/dev/null; then
    need "Chromium at /usr/bin/chromium, or apt-get to install it (Debian or Ubuntu)"
  fi
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    need "a local PostgreSQL cluster managed by pg_ctlcluster (apt install postgresql)"
  elif ! command -v psql >/dev/null; then
    need "psql, to check the postgres role (apt install postgresql-client)"
  else
    if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
    can_create=$(psql -h 127.0.0.1 -p 5432 -U postgres -w -d postgres -tAc \
      "select rolcreatedb or rolsuper from pg_roles where rolname = current_user" 2>/dev/null || true)
    if [ "$can_create" != t ]; then
      need "a postgres role on 127.0.0.1:5432 that logs in without a password and may create databases"
    fi
  fi
  if ! command -v redis-server >/dev/null; then
    need "redis-server (apt install redis-server)"
  fi
fi
[ "$missing" = 0 ] || exit 1

scripts/install.sh test
export PATH="$PWD/.venv/bin:$PATH"
py=.venv/bin/python

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  step "Installing Chromium from Debian for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi

# Tools that import the settings (mypy's Django plugin, manage.py) need a key.
export SECRET_KEY="test-only-secret-key-not-for-production-0123456789abcdefghijklmnop"

step "ruff (lint and format)"
ruff check .
ruff format --check .
step "djlint"
djlint templates --lint
step "mypy"
mypy .
step "hadolint"
hadolint Dockerfile

step "Django checks"
DEBUG=true $py manage.py check
DEBUG=true $py manage.py makemigrations --check --dry-run
DEBUG=false ALLOWED_HOSTS=heavylegs.example DATABASE_URL="sqlite://:memory:" \
  SECRET_KEY="$($py -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  EMAIL_URL="smtp+tls://mailer:secret@127.0.0.1:587" \
  $py manage.py check --deploy --fail-level WARNING

[ "${1:-}" = "--lint-only" ] && exit 0

step "Test suite on SQLite (with coverage)"
unset DATABASE_URL
$py -m pytest -p no:cacheprovider --cov --cov-report=term --cov-fail-under=90 -q

step "Test suite on PostgreSQL"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres" $py -m pytest -p no:cacheprovider -q -m "not browser"
step "All checks passed"
